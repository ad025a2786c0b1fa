/**
 * The SQL implementation of the monitoring store port, for SQLite and PostgreSQL. Concurrency rests
 * on three rules. A claim takes due monitors with FOR UPDATE SKIP LOCKED (PostgreSQL) and moves
 * their `next_run_at` past a lease in an UPDATE that re-checks the due time, so a due monitor goes
 * to exactly one caller. The partial unique index `alerts_firing_rule_uq` keeps one firing alert
 * per rule whoever opens it. And writes that add rows under a monitor take that monitor's row lock
 * shared (PostgreSQL) before anything else, while deleting it takes the lock exclusively first, so a
 * cascade never races a new run, statistic, rule or alert, and locks are always taken monitor first.
 */
import {
  ALERT_STATES,
  invalidArgument,
  notFound,
  SlipwayError,
  type Alert,
  type AlertDelivery,
  type AlertRule,
  type AlertSeverity,
  type AlertState,
  type Monitor,
  type MonitorCheckKind,
  type MonitorRun,
  type MonitorRunState,
  type MonitorStatistic,
} from '@slipway/contracts';
import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import {
  MAX_MONITORING_PAGE,
  REFERENCE_PROFILE_SOURCES,
  type AlertListRequest,
  type AlertPatch,
  type MonitoringStore,
  type MonitorRunOutcome,
  type NewMonitorRun,
  type ReferenceProfile,
  type ReferenceProfileSource,
  type RunListRequest,
  type SeriesPoint,
  type SeriesRequest,
} from '../../monitoring/monitoring-store.js';
import type { DataProfile } from '../../monitoring/profile.js';
import type {
  AlertsTable,
  MonitorRunsTable,
  MonitorStatisticsTable,
  MonitorsTable,
} from './monitoring-schema.js';
import { toInt64, toNullableInt64 } from './row-mappers.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

type MonitorRow = Pick<Selectable<MonitorsTable>, 'body' | 'next_run_at'>;
type RunRow = Selectable<MonitorRunsTable>;
type StatisticRow = Selectable<MonitorStatisticsTable>;
type AlertRow = Selectable<AlertsTable>;

/** Statistics per INSERT: 12 parameters each stays far below either dialect's parameter limit. */
const STATISTICS_CHUNK = 200;
const DEFAULT_DUE_LIMIT = 100;

/** Monitoring store over SQLite or PostgreSQL (shares the tracking store's backend and database). */
export class SqlMonitoringStore implements MonitoringStore {
  constructor(private readonly backend: SqlBackend) {}

  // ---- monitors -------------------------------------------------------------------------------

  /** See the port. ON CONFLICT DO NOTHING, then a look at which key was taken, works on both dialects. */
  createMonitor(monitor: Monitor): Promise<void> {
    const invalid = scheduleError(monitor);
    if (invalid !== undefined) return Promise.reject(invalid);
    const row: Insertable<MonitorsTable> = {
      id: monitor.id,
      name: monitor.name,
      endpoint: monitor.endpoint,
      created_at: monitor.createdAt,
      updated_at: monitor.updatedAt,
      next_run_at: monitor.schedule === undefined ? null : monitor.createdAt + monitor.schedule.intervalMs,
      body: monitorBody(monitor),
    };
    return this.backend.write(async (conn) => {
      const result = await conn
        .insertInto('monitors')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return;
      const sameId = await conn
        .selectFrom('monitors')
        .select('id')
        .where('id', '=', monitor.id)
        .executeTakeFirst();
      throw sameId === undefined
        ? monitorNameTaken(monitor.name)
        : new SlipwayError('ALREADY_EXISTS', `Monitor id ${monitor.id} already exists.`, { field: 'id' });
    });
  }

  /** See the port. */
  async getMonitor(id: string): Promise<Monitor | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('monitors').select(['body', 'next_run_at']).where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : monitorFromRow(row);
  }

  /** See the port. */
  async getMonitorByName(name: string): Promise<Monitor | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('monitors').select(['body', 'next_run_at']).where('name', '=', name).executeTakeFirst(),
    );
    return row === undefined ? undefined : monitorFromRow(row);
  }

  /** See the port. */
  async listMonitors(filter: { endpoint?: string } = {}): Promise<Monitor[]> {
    const rows = await this.backend.read((conn) =>
      conn
        .selectFrom('monitors')
        .select(['body', 'next_run_at'])
        .$if(filter.endpoint !== undefined, (q) => q.where('endpoint', '=', filter.endpoint ?? ''))
        .orderBy(this.backend.sortableText(sql.ref('name')))
        .execute(),
    );
    return rows.map(monitorFromRow);
  }

  /**
   * See the port. The row is locked first (PostgreSQL), so the stale check, the rename check and the
   * reschedule all see one state; the UPDATE still matches `updated_at` as a second guard.
   */
  updateMonitor(next: Monitor, expectedUpdatedAt: number): Promise<boolean> {
    const invalid = scheduleError(next) ?? updatedAtError(next, expectedUpdatedAt);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.backend.write(async (conn) => {
      const current = await this.lockMonitor(conn, next.id, 'update');
      if (current === undefined) throw monitorNotFound(next.id);
      if (toInt64(current.updated_at) !== expectedUpdatedAt) return false;
      await this.assertMonitorNameFree(conn, next);
      const nextRunAt = nextRunAfterUpdate(
        monitorFromRow(current),
        next,
        toNullableInt64(current.next_run_at),
      );
      try {
        const result = await conn
          .updateTable('monitors')
          .set({
            name: next.name,
            endpoint: next.endpoint,
            updated_at: next.updatedAt,
            next_run_at: nextRunAt,
            body: monitorBody(next),
          })
          .where('id', '=', next.id)
          .where('updated_at', '=', expectedUpdatedAt)
          .executeTakeFirst();
        return result.numUpdatedRows === 1n;
      } catch (err) {
        // A concurrent create or rename took the name first (PostgreSQL).
        if (this.backend.isUniqueViolation(err)) throw monitorNameTaken(next.name);
        throw err;
      }
    });
  }

  private async assertMonitorNameFree(conn: SqlConn, next: Monitor): Promise<void> {
    const holder = await conn
      .selectFrom('monitors')
      .select('id')
      .where('name', '=', next.name)
      .where('id', '!=', next.id)
      .executeTakeFirst();
    if (holder !== undefined) {
      throw monitorNameTaken(next.name);
    }
  }

  /** See the port. Children go first: the foreign keys point at the monitor. */
  deleteMonitor(id: string): Promise<void> {
    return this.backend.write(async (conn) => {
      if ((await this.lockMonitor(conn, id, 'update')) === undefined) throw monitorNotFound(id);
      await conn.deleteFrom('alerts').where('monitor_id', '=', id).execute();
      await conn.deleteFrom('alert_rules').where('monitor_id', '=', id).execute();
      await conn.deleteFrom('monitor_statistics').where('monitor_id', '=', id).execute();
      await conn.deleteFrom('monitor_runs').where('monitor_id', '=', id).execute();
      await conn.deleteFrom('monitors').where('id', '=', id).execute();
    });
  }

  /** The monitor's row, locked on PostgreSQL (shared to add children, exclusive to change or delete it). */
  private lockMonitor(
    conn: SqlConn,
    id: string,
    mode: 'share' | 'update',
  ): Promise<(MonitorRow & { updated_at: string | number }) | undefined> {
    const postgres = this.backend.dialect === 'postgres';
    return conn
      .selectFrom('monitors')
      .select(['body', 'next_run_at', 'updated_at'])
      .where('id', '=', id)
      .$if(postgres && mode === 'update', (q) => q.forUpdate())
      .$if(postgres && mode === 'share', (q) => q.forShare())
      .executeTakeFirst();
  }

  // ---- scheduling -----------------------------------------------------------------------------

  /** See the port. */
  async dueMonitors(now: number, limit = DEFAULT_DUE_LIMIT): Promise<Monitor[]> {
    const invalid = limitError(limit);
    if (invalid !== undefined) throw invalid;
    const rows = await this.backend.read((conn) =>
      conn
        .selectFrom('monitors')
        .select(['body', 'next_run_at'])
        .where('next_run_at', 'is not', null)
        .where('next_run_at', '<=', now)
        .orderBy('next_run_at')
        .orderBy('id')
        .limit(limit)
        .execute(),
    );
    return rows.map(monitorFromRow);
  }

  /** See the port. SKIP LOCKED lets concurrent claimers on PostgreSQL take disjoint monitors without waiting. */
  async claimDue(now: number, leaseMs: number, limit = 1): Promise<Monitor[]> {
    const invalid = limitError(limit) ?? leaseError(leaseMs);
    if (invalid !== undefined) throw invalid;
    return this.backend.write(async (conn) => {
      const due = await conn
        .selectFrom('monitors')
        .select('id')
        .where('next_run_at', 'is not', null)
        .where('next_run_at', '<=', now)
        .orderBy('next_run_at')
        .orderBy('id')
        .limit(limit)
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .execute();
      if (due.length === 0) return [];
      const claimed = await conn
        .updateTable('monitors')
        .set({ next_run_at: now + leaseMs })
        .where(
          this.backend.inList(
            sql.ref('id'),
            due.map((row) => row.id),
          ),
        )
        // Re-checked under the row lock: a monitor claimed meanwhile is no longer due.
        .where('next_run_at', '<=', now)
        .returning(['id', 'body', 'next_run_at'])
        .execute();
      const order = new Map(due.map((row, i) => [row.id, i]));
      return claimed.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0)).map(monitorFromRow);
    });
  }

  /** See the port. */
  rescheduleMonitor(id: string, nextRunAt: number, expectedNextRunAt: number): Promise<boolean> {
    return this.backend.write(async (conn) => {
      const result = await conn
        .updateTable('monitors')
        .set({ next_run_at: nextRunAt })
        .where('id', '=', id)
        .where('next_run_at', '=', expectedNextRunAt)
        .executeTakeFirst();
      return result.numUpdatedRows === 1n;
    });
  }

  // ---- runs -----------------------------------------------------------------------------------

  /** See the port. */
  startRun(run: NewMonitorRun): Promise<MonitorRun> {
    if (run.to < run.from) {
      return Promise.reject(
        invalidArgument('to', `Run window ends (${run.to}) before it starts (${run.from}).`),
      );
    }
    const row: Insertable<MonitorRunsTable> = {
      id: run.id,
      monitor_id: run.monitorId,
      state: 'running',
      window_from: run.from,
      window_to: run.to,
      started_at: run.startedAt,
      finished_at: null,
      rows: null,
      error_code: null,
      error_message: null,
    };
    return this.backend.write(async (conn) => {
      if ((await this.lockMonitor(conn, run.monitorId, 'share')) === undefined) {
        throw monitorNotFound(run.monitorId, 'monitorId');
      }
      const result = await conn
        .insertInto('monitor_runs')
        .values(row)
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) !== 1) {
        throw new SlipwayError('ALREADY_EXISTS', `Monitor run ${run.id} already exists.`, { field: 'id' });
      }
      return { ...run, state: 'running', statistics: [] };
    });
  }

  /** See the port. Locks the monitor (shared), then the run, the order every writer uses. */
  finishRun(id: string, outcome: MonitorRunOutcome): Promise<MonitorRun> {
    const invalid = outcomeError(outcome);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.backend.write(async (conn) => {
      const owner = await conn
        .selectFrom('monitor_runs')
        .select('monitor_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (owner === undefined) throw runNotFound(id);
      await this.lockMonitor(conn, owner.monitor_id, 'share');
      const run = await conn
        .selectFrom('monitor_runs')
        .selectAll()
        .where('id', '=', id)
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (run === undefined) throw runNotFound(id);
      if (run.state !== 'running') {
        throw new SlipwayError('FAILED_PRECONDITION', `Monitor run ${id} already ended (${run.state}).`, {
          field: 'id',
        });
      }
      const finished = await conn
        .updateTable('monitor_runs')
        .set(finishedColumns(outcome))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      await insertStatistics(conn, finished, outcome.statistics);
      return runFromRow(finished, outcome.statistics);
    });
  }

  /** See the port. */
  getRun(id: string): Promise<MonitorRun | undefined> {
    return this.backend.read(async (conn) => {
      const run = await conn.selectFrom('monitor_runs').selectAll().where('id', '=', id).executeTakeFirst();
      if (run === undefined) return undefined;
      const statistics = await this.statisticsOf(conn, [id]);
      return runFromRow(run, statistics.get(id) ?? []);
    });
  }

  /** See the port. One query for the page of runs, one for all their statistics. */
  async listRuns(monitorId: string, request: RunListRequest): Promise<MonitorRun[]> {
    const invalid = limitError(request.limit);
    if (invalid !== undefined) throw invalid;
    return this.backend.read(async (conn) => {
      const runs = await conn
        .selectFrom('monitor_runs')
        .selectAll()
        .where('monitor_id', '=', monitorId)
        .$if(request.before !== undefined, (q) => q.where('started_at', '<', request.before ?? 0))
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(request.limit)
        .execute();
      const statistics = await this.statisticsOf(
        conn,
        runs.map((run) => run.id),
      );
      return runs.map((run) => runFromRow(run, statistics.get(run.id) ?? []));
    });
  }

  private async statisticsOf(conn: SqlConn, runIds: string[]): Promise<Map<string, MonitorStatistic[]>> {
    const byRun = new Map<string, MonitorStatistic[]>();
    if (runIds.length === 0) return byRun;
    const rows = await conn
      .selectFrom('monitor_statistics')
      .selectAll()
      .where(this.backend.inList(sql.ref('run_id'), runIds))
      .orderBy('run_id')
      .orderBy('idx')
      .execute();
    for (const row of rows) {
      const list = byRun.get(row.run_id) ?? [];
      list.push(statisticFromRow(row));
      byRun.set(row.run_id, list);
    }
    return byRun;
  }

  /** See the port: one range of `monitor_statistics_series_idx`. */
  async statisticSeries(monitorId: string, request: SeriesRequest): Promise<SeriesPoint[]> {
    const rows = await this.backend.read((conn) => seriesQuery(conn, monitorId, request).execute());
    return rows.map((row) => ({
      runId: row.run_id,
      at: toInt64(row.window_to),
      value: row.value ?? Number.NaN,
      flagged: row.flagged === 1,
    }));
  }

  // ---- alert rules ----------------------------------------------------------------------------

  /** See the port. */
  createAlertRule(rule: AlertRule): Promise<void> {
    return this.backend.write(async (conn) => {
      if ((await this.lockMonitor(conn, rule.monitorId, 'share')) === undefined) {
        throw monitorNotFound(rule.monitorId, 'monitorId');
      }
      const result = await conn
        .insertInto('alert_rules')
        .values({ id: rule.id, monitor_id: rule.monitorId, name: rule.name, body: JSON.stringify(rule) })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return;
      const sameId = await conn
        .selectFrom('alert_rules')
        .select('id')
        .where('id', '=', rule.id)
        .executeTakeFirst();
      throw sameId === undefined
        ? ruleNameTaken(rule)
        : new SlipwayError('ALREADY_EXISTS', `Alert rule id ${rule.id} already exists.`, { field: 'id' });
    });
  }

  /** See the port. */
  async getAlertRule(id: string): Promise<AlertRule | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('alert_rules').select('body').where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : (JSON.parse(row.body) as AlertRule);
  }

  /** See the port. */
  async listAlertRules(monitorId: string): Promise<AlertRule[]> {
    const rows = await this.backend.read((conn) =>
      conn
        .selectFrom('alert_rules')
        .select('body')
        .where('monitor_id', '=', monitorId)
        .orderBy(this.backend.sortableText(sql.ref('name')))
        .execute(),
    );
    return rows.map((row) => JSON.parse(row.body) as AlertRule);
  }

  /** See the port. */
  updateAlertRule(rule: AlertRule): Promise<void> {
    return this.backend.write(async (conn) => {
      const current = await conn
        .selectFrom('alert_rules')
        .select('monitor_id')
        .where('id', '=', rule.id)
        .executeTakeFirst();
      if (current === undefined) throw ruleNotFound(rule.id, 'id');
      if (current.monitor_id !== rule.monitorId) {
        throw invalidArgument('monitorId', `Alert rule ${rule.id} belongs to monitor ${current.monitor_id}.`);
      }
      const holder = await conn
        .selectFrom('alert_rules')
        .select('id')
        .where('monitor_id', '=', rule.monitorId)
        .where('name', '=', rule.name)
        .where('id', '!=', rule.id)
        .executeTakeFirst();
      if (holder !== undefined) throw ruleNameTaken(rule);
      try {
        await conn
          .updateTable('alert_rules')
          .set({ name: rule.name, body: JSON.stringify(rule) })
          .where('id', '=', rule.id)
          .execute();
      } catch (err) {
        // A concurrent rename to the same name got there first (PostgreSQL).
        if (this.backend.isUniqueViolation(err)) throw ruleNameTaken(rule);
        throw err;
      }
    });
  }

  /** See the port. */
  deleteAlertRule(id: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const owner = await conn
        .selectFrom('alert_rules')
        .select('monitor_id')
        .where('id', '=', id)
        .executeTakeFirst();
      if (owner === undefined) throw ruleNotFound(id, 'id');
      await this.lockMonitor(conn, owner.monitor_id, 'share');
      // Locked before its alerts go: an alert being opened meanwhile is waited for, or finds no rule.
      const rule = await conn
        .selectFrom('alert_rules')
        .select('id')
        .where('id', '=', id)
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (rule === undefined) throw ruleNotFound(id, 'id');
      await conn.deleteFrom('alerts').where('rule_id', '=', id).execute();
      await conn.deleteFrom('alert_rules').where('id', '=', id).execute();
    });
  }

  // ---- alerts ---------------------------------------------------------------------------------

  /** See the port. The partial unique index decides between concurrent openers; DO NOTHING reports it. */
  openAlert(alert: Alert): Promise<void> {
    if (alert.state !== 'firing' || alert.resolvedAt !== undefined) {
      return Promise.reject(invalidArgument('state', `A new alert must be firing, got ${alert.state}.`));
    }
    return this.backend.write(async (conn) => {
      await this.lockMonitor(conn, alert.monitorId, 'share');
      const rule = await conn
        .selectFrom('alert_rules')
        .select('monitor_id')
        .where('id', '=', alert.ruleId)
        .$if(this.backend.dialect === 'postgres', (q) => q.forShare())
        .executeTakeFirst();
      if (rule === undefined) throw ruleNotFound(alert.ruleId, 'ruleId');
      if (rule.monitor_id !== alert.monitorId) {
        throw invalidArgument(
          'monitorId',
          `Alert rule ${alert.ruleId} belongs to monitor ${rule.monitor_id}.`,
        );
      }
      const result = await conn
        .insertInto('alerts')
        .values(alertRow(alert))
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(result.numInsertedOrUpdatedRows ?? 0n) === 1) return;
      const sameId = await conn
        .selectFrom('alerts')
        .select('id')
        .where('id', '=', alert.id)
        .executeTakeFirst();
      throw sameId === undefined
        ? new SlipwayError('ALREADY_EXISTS', `Alert rule ${alert.ruleId} already has a firing alert.`, {
            field: 'ruleId',
          })
        : new SlipwayError('ALREADY_EXISTS', `Alert ${alert.id} already exists.`, { field: 'id' });
    });
  }

  /** See the port. */
  async getAlert(id: string): Promise<Alert | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst(),
    );
    return row === undefined ? undefined : alertFromRow(row);
  }

  /** See the port. */
  async getOpenAlert(ruleId: string): Promise<Alert | undefined> {
    const row = await this.backend.read((conn) =>
      conn
        .selectFrom('alerts')
        .selectAll()
        .where('rule_id', '=', ruleId)
        .where('state', '=', 'firing')
        .executeTakeFirst(),
    );
    return row === undefined ? undefined : alertFromRow(row);
  }

  /** See the port. */
  updateAlert(id: string, patch: AlertPatch): Promise<Alert> {
    return this.backend.write(async (conn) => {
      const current = await conn
        .selectFrom('alerts')
        .select('state')
        .where('id', '=', id)
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate())
        .executeTakeFirst();
      if (current === undefined) throw notFound(`Alert ${id} not found.`, { field: 'id' });
      if (patch.resolvedAt !== undefined && current.state === 'resolved') {
        throw new SlipwayError('FAILED_PRECONDITION', `Alert ${id} is already resolved.`, {
          field: 'resolvedAt',
        });
      }
      const row = await conn
        .updateTable('alerts')
        .set(alertPatchColumns(patch))
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      return alertFromRow(row);
    });
  }

  /** See the port. */
  async listAlerts(request: AlertListRequest): Promise<Alert[]> {
    const invalid = limitError(request.limit) ?? alertStateError(request.state);
    if (invalid !== undefined) throw invalid;
    const rows = await this.backend.read((conn) =>
      conn
        .selectFrom('alerts')
        .selectAll()
        .$if(request.monitorId !== undefined, (q) => q.where('monitor_id', '=', request.monitorId ?? ''))
        .$if(request.state !== undefined, (q) => q.where('state', '=', request.state ?? ''))
        .orderBy('fired_at', 'desc')
        .orderBy('id', 'desc')
        .limit(request.limit)
        .execute(),
    );
    return rows.map(alertFromRow);
  }

  // ---- reference profiles ---------------------------------------------------------------------

  /** See the port: an upsert on (model, version). */
  putReferenceProfile(reference: ReferenceProfile): Promise<void> {
    if (!(REFERENCE_PROFILE_SOURCES as readonly string[]).includes(reference.source)) {
      return Promise.reject(
        invalidArgument(
          'source',
          `source must be one of ${REFERENCE_PROFILE_SOURCES.join(', ')}, got ${String(reference.source)}.`,
        ),
      );
    }
    return this.backend.write(async (conn) => {
      await conn
        .insertInto('reference_profiles')
        .values({
          model: reference.model,
          version: reference.version,
          source: reference.source,
          profile: JSON.stringify(reference.profile),
          created_at: reference.createdAt,
        })
        .onConflict((oc) =>
          oc.columns(['model', 'version']).doUpdateSet((eb) => ({
            source: eb.ref('excluded.source'),
            profile: eb.ref('excluded.profile'),
            created_at: eb.ref('excluded.created_at'),
          })),
        )
        .execute();
    });
  }

  /** See the port. */
  async getReferenceProfile(model: string, version: string): Promise<ReferenceProfile | undefined> {
    const row = await this.backend.read((conn) =>
      conn
        .selectFrom('reference_profiles')
        .selectAll()
        .where('model', '=', model)
        .where('version', '=', version)
        .executeTakeFirst(),
    );
    return row === undefined
      ? undefined
      : {
          model: row.model,
          version: row.version,
          source: row.source as ReferenceProfileSource,
          profile: JSON.parse(row.profile) as DataProfile,
          createdAt: toInt64(row.created_at),
        };
  }
}

/**
 * The trend query, exported so tests can check its plan: equality on (monitor_id, name,
 * column_name), a range on window_to, in index order; `check` filters within the range.
 */
export function seriesQuery(conn: SqlConn, monitorId: string, request: SeriesRequest) {
  return (
    conn
      .selectFrom('monitor_statistics')
      .select(['run_id', 'window_to', 'value', 'flagged'])
      .where('monitor_id', '=', monitorId)
      .where('name', '=', request.name)
      .where('column_name', request.column === undefined ? 'is' : '=', request.column ?? null)
      .$if(request.check !== undefined, (q) => q.where('check_kind', '=', request.check ?? ''))
      .$if(request.from !== undefined, (q) => q.where('window_to', '>=', request.from ?? 0))
      .$if(request.to !== undefined, (q) => q.where('window_to', '<=', request.to ?? 0))
      // The whole index key: PostgreSQL does not count `column_name IS NULL` as fixing that column,
      // so ordering by window_to alone would sort the dataset-level series instead of walking the index.
      .orderBy('monitor_id')
      .orderBy('name')
      .orderBy('column_name')
      .orderBy('window_to')
      .orderBy('run_id')
      .orderBy('idx')
  );
}

// ---- validation -------------------------------------------------------------------------------

function scheduleError(monitor: Monitor): SlipwayError | undefined {
  const interval = monitor.schedule?.intervalMs;
  if (interval === undefined || (Number.isSafeInteger(interval) && interval > 0)) return undefined;
  return invalidArgument(
    'schedule.intervalMs',
    `schedule.intervalMs must be a positive integer, got ${interval}.`,
  );
}

function updatedAtError(next: Monitor, expectedUpdatedAt: number): SlipwayError | undefined {
  if (next.updatedAt > expectedUpdatedAt) return undefined;
  return invalidArgument(
    'updatedAt',
    `Monitor ${next.name} updatedAt must be later than ${expectedUpdatedAt}, got ${next.updatedAt}.`,
  );
}

function limitError(limit: number): SlipwayError | undefined {
  if (Number.isInteger(limit) && limit >= 1 && limit <= MAX_MONITORING_PAGE) return undefined;
  return invalidArgument('limit', `limit must be an integer in 1..${MAX_MONITORING_PAGE}, got ${limit}.`);
}

function leaseError(leaseMs: number): SlipwayError | undefined {
  if (Number.isSafeInteger(leaseMs) && leaseMs > 0) return undefined;
  return invalidArgument('leaseMs', `leaseMs must be a positive integer, got ${leaseMs}.`);
}

function alertStateError(state: AlertState | undefined): SlipwayError | undefined {
  if (state === undefined || (ALERT_STATES as readonly string[]).includes(state)) return undefined;
  return invalidArgument('state', `state must be one of ${ALERT_STATES.join(', ')}, got ${String(state)}.`);
}

function outcomeError(outcome: MonitorRunOutcome): SlipwayError | undefined {
  if (outcome.state === 'succeeded' || outcome.state === 'failed') return undefined;
  return invalidArgument('state', `A run ends succeeded or failed, got ${String(outcome.state)}.`);
}

// ---- rows ↔ domain ----------------------------------------------------------------------------

/** The schedule's next run after an update: kept while the interval is unchanged. */
function nextRunAfterUpdate(previous: Monitor, next: Monitor, current: number | null): number | null {
  if (next.schedule === undefined) return null;
  if (previous.schedule?.intervalMs === next.schedule.intervalMs && current !== null) return current;
  return next.updatedAt + next.schedule.intervalMs;
}

function monitorBody(monitor: Monitor): string {
  const { nextRunAt: _scheduled, ...body } = monitor;
  return JSON.stringify(body);
}

function monitorFromRow(row: MonitorRow): Monitor {
  const monitor = JSON.parse(row.body) as Monitor;
  const nextRunAt = toNullableInt64(row.next_run_at);
  return nextRunAt === null ? monitor : { ...monitor, nextRunAt };
}

function finishedColumns(outcome: MonitorRunOutcome): Updateable<MonitorRunsTable> {
  return {
    state: outcome.state,
    finished_at: outcome.finishedAt,
    rows: outcome.rows ?? null,
    error_code: outcome.error?.code ?? null,
    error_message: outcome.error?.message ?? null,
  };
}

async function insertStatistics(conn: SqlConn, run: RunRow, statistics: MonitorStatistic[]): Promise<void> {
  const rows: Insertable<MonitorStatisticsTable>[] = statistics.map((s, idx) => ({
    run_id: run.id,
    idx,
    monitor_id: run.monitor_id,
    window_to: toInt64(run.window_to),
    check_kind: s.check,
    column_name: s.column ?? null,
    name: s.name,
    // SQLite turns NaN into NULL; NULL means NaN on both dialects.
    value: Number.isNaN(s.value) ? null : s.value,
    threshold: s.threshold === undefined || Number.isNaN(s.threshold) ? null : s.threshold,
    flagged: s.flagged ? 1 : 0,
    details: s.details === undefined ? null : JSON.stringify(s.details),
  }));
  for (let i = 0; i < rows.length; i += STATISTICS_CHUNK) {
    await conn
      .insertInto('monitor_statistics')
      .values(rows.slice(i, i + STATISTICS_CHUNK))
      .execute();
  }
}

function runFromRow(row: RunRow, statistics: MonitorStatistic[]): MonitorRun {
  const run: MonitorRun = {
    id: row.id,
    monitorId: row.monitor_id,
    state: row.state as MonitorRunState,
    from: toInt64(row.window_from),
    to: toInt64(row.window_to),
    startedAt: toInt64(row.started_at),
    statistics,
  };
  const finishedAt = toNullableInt64(row.finished_at);
  if (finishedAt !== null) run.finishedAt = finishedAt;
  const rows = toNullableInt64(row.rows);
  if (rows !== null) run.rows = rows;
  if (row.error_code !== null) run.error = { code: row.error_code, message: row.error_message ?? '' };
  return run;
}

function statisticFromRow(row: StatisticRow): MonitorStatistic {
  const statistic: MonitorStatistic = {
    check: row.check_kind as MonitorCheckKind,
    name: row.name,
    value: row.value ?? Number.NaN,
    flagged: row.flagged === 1,
  };
  if (row.column_name !== null) statistic.column = row.column_name;
  if (row.threshold !== null) statistic.threshold = row.threshold;
  if (row.details !== null) statistic.details = JSON.parse(row.details) as Record<string, unknown>;
  return statistic;
}

function alertRow(alert: Alert): Insertable<AlertsTable> {
  return {
    id: alert.id,
    rule_id: alert.ruleId,
    monitor_id: alert.monitorId,
    severity: alert.severity,
    state: 'firing',
    fired_at: alert.firedAt,
    resolved_at: null,
    fired_by_run: alert.firedByRun,
    last_run: alert.lastRun,
    evidence: JSON.stringify(alert.evidence),
    notified_at: alert.notifiedAt ?? null,
    deliveries: alert.deliveries === undefined ? null : JSON.stringify(alert.deliveries),
  };
}

function alertPatchColumns(patch: AlertPatch): Updateable<AlertsTable> {
  const columns: Updateable<AlertsTable> = {};
  if (patch.lastRun !== undefined) columns.last_run = patch.lastRun;
  if (patch.evidence !== undefined) columns.evidence = JSON.stringify(patch.evidence);
  if (patch.notifiedAt !== undefined) columns.notified_at = patch.notifiedAt;
  if (patch.deliveries !== undefined) columns.deliveries = JSON.stringify(patch.deliveries);
  if (patch.resolvedAt !== undefined) {
    columns.state = 'resolved';
    columns.resolved_at = patch.resolvedAt;
  }
  return columns;
}

function alertFromRow(row: AlertRow): Alert {
  const alert: Alert = {
    id: row.id,
    ruleId: row.rule_id,
    monitorId: row.monitor_id,
    severity: row.severity as AlertSeverity,
    state: row.state as AlertState,
    firedAt: toInt64(row.fired_at),
    firedByRun: row.fired_by_run,
    lastRun: row.last_run,
    evidence: JSON.parse(row.evidence) as MonitorStatistic[],
  };
  const resolvedAt = toNullableInt64(row.resolved_at);
  if (resolvedAt !== null) alert.resolvedAt = resolvedAt;
  const notifiedAt = toNullableInt64(row.notified_at);
  if (notifiedAt !== null) alert.notifiedAt = notifiedAt;
  if (row.deliveries !== null) alert.deliveries = JSON.parse(row.deliveries) as AlertDelivery[];
  return alert;
}

// ---- errors -----------------------------------------------------------------------------------

function monitorNotFound(id: string, field = 'id'): SlipwayError {
  return notFound(`Monitor ${id} not found.`, { field });
}

function monitorNameTaken(name: string): SlipwayError {
  return new SlipwayError('ALREADY_EXISTS', `Monitor ${name} already exists.`, { field: 'name' });
}

function runNotFound(id: string): SlipwayError {
  return notFound(`Monitor run ${id} not found.`, { field: 'id' });
}

function ruleNotFound(id: string, field: string): SlipwayError {
  return notFound(`Alert rule ${id} not found.`, { field });
}

function ruleNameTaken(rule: AlertRule): SlipwayError {
  return new SlipwayError(
    'ALREADY_EXISTS',
    `Alert rule ${rule.name} already exists on monitor ${rule.monitorId}.`,
    {
      field: 'name',
    },
  );
}
