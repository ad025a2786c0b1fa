/**
 * Monitoring tables: Kysely types and DDL (migration 0008). Monitors, rules and profiles are stored
 * whole as JSON text beside the columns that queries filter on; statistics are rows of their own so
 * a trend is one index range. Booleans are smallint 0/1 and times bigint ms on both dialects.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column, NullableInt64Column } from './tracking-schema.js';

/** `monitors`: one row per monitor, primary key `id`, unique `name`. */
export interface MonitorsTable {
  id: string;
  name: string;
  endpoint: string;
  created_at: Int64Column;
  /** What compare-and-set updates match on; equals the body's `updatedAt`. */
  updated_at: Int64Column;
  /** When the next scheduled run is due (or a claim's lease ends); null without a schedule. */
  next_run_at: NullableInt64Column;
  /** The Monitor as JSON, without `nextRunAt` (the column is the truth). */
  body: string;
}

/** `monitor_runs`: one row per run of a monitor. */
export interface MonitorRunsTable {
  id: string;
  monitor_id: string;
  state: string;
  window_from: Int64Column;
  window_to: Int64Column;
  started_at: Int64Column;
  finished_at: NullableInt64Column;
  rows: NullableInt64Column;
  error_code: string | null;
  error_message: string | null;
}

/** `monitor_statistics`: the statistics of a run, primary key (run_id, idx). */
export interface MonitorStatisticsTable {
  run_id: string;
  /** Position within the run, so a run reads back in the order it was written. */
  idx: number;
  /** Copied from the run so the series index needs no join. */
  monitor_id: string;
  window_to: Int64Column;
  check_kind: string;
  /** Null for dataset-level statistics. */
  column_name: string | null;
  name: string;
  /** Null stands for NaN (SQLite cannot store NaN). */
  value: number | null;
  threshold: number | null;
  flagged: number;
  /** Method-specific evidence as JSON. */
  details: string | null;
}

/** `alert_rules`: one row per rule, unique (monitor_id, name). */
export interface AlertRulesTable {
  id: string;
  monitor_id: string;
  name: string;
  /** The AlertRule as JSON. */
  body: string;
}

/** `alerts`: one row per alert; at most one `firing` row per rule (a partial unique index). */
export interface AlertsTable {
  id: string;
  rule_id: string;
  monitor_id: string;
  severity: string;
  state: string;
  fired_at: Int64Column;
  resolved_at: NullableInt64Column;
  fired_by_run: string;
  last_run: string;
  /** The flagged statistics as JSON. */
  evidence: string;
  notified_at: NullableInt64Column;
  /** The AlertDelivery list as JSON (migration 0009); null for none. */
  deliveries: string | null;
}

/** `reference_profiles`: the profile of a model version, primary key (model, version). */
export interface ReferenceProfilesTable {
  model: string;
  version: string;
  source: string;
  /** The DataProfile as JSON. */
  profile: string;
  created_at: Int64Column;
}

/** Every monitoring table, as Kysely sees the database. */
export interface MonitoringTables {
  monitors: MonitorsTable;
  monitor_runs: MonitorRunsTable;
  monitor_statistics: MonitorStatisticsTable;
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  reference_profiles: ReferenceProfilesTable;
}

/** Migration 0008: creates the monitoring tables (the same DDL on both dialects). */
export async function createMonitoringSchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // Tables read by a composite key prefix are cheapest on SQLite stored as that key's b-tree.
  const compact = dialect === 'sqlite' ? sql`without rowid` : sql``;
  await createMonitors(db);
  await createRuns(db, compact);
  await createAlertTables(db);
  await db.schema
    .createTable('reference_profiles')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('profile', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reference_profiles_pk', ['model', 'version'])
    .execute();
}

async function createMonitors(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('monitors')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('endpoint', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('next_run_at', 'bigint')
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('monitors_endpoint_idx').on('monitors').columns(['endpoint']).execute();
  // The scheduler's poll walks due monitors in due order and stops at its limit; unscheduled
  // monitors are left out of the index.
  await db.schema
    .createIndex('monitors_next_run_idx')
    .on('monitors')
    .columns(['next_run_at', 'id'])
    .where(sql.ref('next_run_at'), 'is not', null)
    .execute();
}

async function createRuns(db: Kysely<unknown>, compact: RawBuilder<unknown>): Promise<void> {
  await db.schema
    .createTable('monitor_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('monitor_id', 'text', (c) => c.notNull().references('monitors.id'))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('window_from', 'bigint', (c) => c.notNull())
    .addColumn('window_to', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('finished_at', 'bigint')
    .addColumn('rows', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .execute();
  // Run listings walk one monitor's runs newest first and stop at the page size.
  await db.schema
    .createIndex('monitor_runs_monitor_started_idx')
    .on('monitor_runs')
    .columns(['monitor_id', 'started_at desc', 'id desc'])
    .execute();
  await db.schema
    .createTable('monitor_statistics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('monitor_runs.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('monitor_id', 'text', (c) => c.notNull())
    .addColumn('window_to', 'bigint', (c) => c.notNull())
    .addColumn('check_kind', 'text', (c) => c.notNull())
    .addColumn('column_name', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision')
    .addColumn('threshold', 'double precision')
    .addColumn('flagged', 'smallint', (c) => c.notNull())
    .addColumn('details', 'text')
    .addPrimaryKeyConstraint('monitor_statistics_pk', ['run_id', 'idx'])
    .modifyEnd(compact)
    .execute();
  // The trend query: one monitor's statistic (by name and column) in window order, a single
  // index range; it also serves deleting a monitor's statistics.
  await db.schema
    .createIndex('monitor_statistics_series_idx')
    .on('monitor_statistics')
    .columns(['monitor_id', 'name', 'column_name', 'window_to', 'run_id', 'idx'])
    .execute();
}

async function createAlertTables(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('alert_rules')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('monitor_id', 'text', (c) => c.notNull().references('monitors.id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addUniqueConstraint('alert_rules_monitor_name_uq', ['monitor_id', 'name'])
    .execute();
  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('rule_id', 'text', (c) => c.notNull().references('alert_rules.id'))
    .addColumn('monitor_id', 'text', (c) => c.notNull().references('monitors.id'))
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('fired_at', 'bigint', (c) => c.notNull())
    .addColumn('resolved_at', 'bigint')
    .addColumn('fired_by_run', 'text', (c) => c.notNull())
    .addColumn('last_run', 'text', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('notified_at', 'bigint')
    .execute();
  // At most one firing alert per rule, whatever process opens it.
  await db.schema
    .createIndex('alerts_firing_rule_uq')
    .on('alerts')
    .column('rule_id')
    .unique()
    .where(sql.ref('state'), '=', sql.lit('firing'))
    .execute();
  // Listings walk alerts newest first: all of them, one monitor's, or one state's.
  await db.schema
    .createIndex('alerts_fired_idx')
    .on('alerts')
    .columns(['fired_at desc', 'id desc'])
    .execute();
  for (const column of ['monitor_id', 'state', 'rule_id']) {
    await db.schema
      .createIndex(`alerts_${column}_fired_idx`)
      .on('alerts')
      .columns([column, 'fired_at desc', 'id desc'])
      .execute();
  }
}
