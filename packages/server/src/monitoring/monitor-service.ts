/**
 * Monitoring use cases: monitors (create, read, delete, run now), their runs and statistic series,
 * alert rules and alerts, and reference profiles (computed from rows, or captured from an
 * evaluation's dataset). Runs themselves are in monitor-run.ts; the schedule in monitor-scheduler.ts.
 */
import { randomUUID } from 'node:crypto';
import {
  ALERT_SEVERITIES,
  ALERT_STATES,
  MONITOR_CHECK_KINDS,
  SlipwayError,
  invalidArgument,
  notFound,
  type Alert,
  type AlertChannel,
  type AlertRule,
  type AlertSeverity,
  type AlertState,
  type Monitor,
  type MonitorChecks,
  type MonitorCheckKind,
  type MonitorRun,
  type MonitorWindow,
} from '@slipway/contracts';
import { validateChannel } from './alert-channels.js';
import { checkAutocorrelationMode } from './drift.js';
import { runMonitor, type MonitorRunDeps } from './monitor-run.js';
import type { MonitoringStore, ReferenceProfile, SeriesPoint, SeriesRequest } from './monitoring-store.js';
import { profileColumns, type DataProfile } from './profile.js';

/** A monitor as a caller asks for it. */
export interface CreateMonitorRequest {
  name: string;
  endpoint: string;
  reference: { model: string; version: string };
  checks: MonitorChecks;
  window: MonitorWindow;
  schedule?: { intervalMs: number };
}

/** An alert rule as a caller asks for it. */
export interface CreateAlertRuleRequest {
  name: string;
  severity?: AlertSeverity;
  match: { check: MonitorCheckKind; name?: string; column?: string };
  cooldownMs?: number;
  channels?: AlertChannel[];
}

/** What the monitoring service needs. */
export interface MonitorServiceDeps extends Omit<MonitorRunDeps, 'newId' | 'now'> {
  store: MonitoringStore;
  /** NOT_FOUND when the name is neither an endpoint nor a model whose batch jobs log under it. */
  checkLogName: (name: string) => Promise<void>;
  /** NOT_FOUND when the model version does not exist. */
  checkVersion: (model: string, version: string) => Promise<void>;
  now?: () => number;
  newId?: () => string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** Shortest schedule interval and window: a run reads the log, so once a second would be a load test. */
const MIN_INTERVAL_MS = 10_000;
const MIN_WINDOW_MS = 1_000;
/** Rows one reference-profile upload may carry (larger references come from evaluations). */
export const MAX_PROFILE_ROWS = 100_000;

/** Monitoring use cases. */
export class MonitorService {
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly deps: MonitorServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID().replaceAll('-', ''));
  }

  /** Creates a monitor; ALREADY_EXISTS when the name is taken. */
  async create(request: CreateMonitorRequest): Promise<Monitor> {
    checkMonitorRequest(request);
    await this.deps.checkLogName(request.endpoint);
    await this.deps.checkVersion(request.reference.model, request.reference.version);
    const now = this.now();
    const monitor: Monitor = {
      id: `mon_${this.newId()}`,
      name: request.name,
      endpoint: request.endpoint,
      reference: { model: request.reference.model, version: request.reference.version },
      checks: request.checks,
      window: request.window,
      ...(request.schedule === undefined ? {} : { schedule: { intervalMs: request.schedule.intervalMs } }),
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.store.createMonitor(monitor);
    return this.get(monitor.id);
  }

  /** The monitor by id or name; NOT_FOUND when neither matches. */
  async get(idOrName: string): Promise<Monitor> {
    const found =
      (await this.deps.store.getMonitor(idOrName)) ?? (await this.deps.store.getMonitorByName(idOrName));
    if (found === undefined) throw notFound(`Monitor '${idOrName}' does not exist.`, { field: 'monitor' });
    return found;
  }

  /** Monitors by name, optionally of one endpoint. */
  list(endpoint?: string): Promise<Monitor[]> {
    return this.deps.store.listMonitors(endpoint === undefined ? {} : { endpoint });
  }

  /** Deletes the monitor with its runs, rules and alerts. */
  async delete(idOrName: string): Promise<void> {
    await this.deps.store.deleteMonitor((await this.get(idOrName)).id);
  }

  /** Runs the monitor now over its window; the run is stored whether it succeeds or fails. */
  async run(idOrName: string): Promise<MonitorRun> {
    const monitor = await this.get(idOrName);
    return runMonitor(monitor, { ...this.deps, now: this.now, newId: this.newId });
  }

  /** The monitor's runs, newest first. */
  async runs(idOrName: string, limit = 20, before?: number): Promise<MonitorRun[]> {
    const monitor = await this.get(idOrName);
    checkLimit(limit);
    return this.deps.store.listRuns(monitor.id, { limit, ...(before === undefined ? {} : { before }) });
  }

  /** One run; NOT_FOUND when absent. */
  async getRun(id: string): Promise<MonitorRun> {
    const run = await this.deps.store.getRun(id);
    if (run === undefined) throw notFound(`Monitor run '${id}' does not exist.`, { field: 'run' });
    return run;
  }

  /** One statistic over the monitor's runs, oldest first (the trend of a column). */
  async series(idOrName: string, request: SeriesRequest): Promise<SeriesPoint[]> {
    const monitor = await this.get(idOrName);
    if (typeof request.name !== 'string' || request.name === '') {
      throw invalidArgument('name', 'name (the statistic, e.g. wasserstein) is required');
    }
    return this.deps.store.statisticSeries(monitor.id, request);
  }

  /** Adds an alert rule to the monitor. */
  async createRule(idOrName: string, request: CreateAlertRuleRequest): Promise<AlertRule> {
    const monitor = await this.get(idOrName);
    const rule = checkRule(request);
    const stored: AlertRule = { id: `rule_${this.newId()}`, monitorId: monitor.id, ...rule };
    await this.deps.store.createAlertRule(stored);
    return stored;
  }

  /** The monitor's alert rules. */
  async rules(idOrName: string): Promise<AlertRule[]> {
    return this.deps.store.listAlertRules((await this.get(idOrName)).id);
  }

  /** Deletes an alert rule (with its alerts). */
  async deleteRule(id: string): Promise<void> {
    await this.deps.store.deleteAlertRule(id);
  }

  /** Alerts newest first, optionally of one monitor and state. */
  async alerts(filter: { monitor?: string; state?: AlertState; limit?: number }): Promise<Alert[]> {
    const limit = filter.limit ?? 100;
    checkLimit(limit);
    if (filter.state !== undefined && !ALERT_STATES.includes(filter.state)) {
      throw invalidArgument('state', `state must be one of ${ALERT_STATES.join(', ')}`);
    }
    const monitorId = filter.monitor === undefined ? undefined : (await this.get(filter.monitor)).id;
    return this.deps.store.listAlerts({
      limit,
      ...(monitorId === undefined ? {} : { monitorId }),
      ...(filter.state === undefined ? {} : { state: filter.state }),
    });
  }

  /** Profiles rows as the reference of a model version (replacing any earlier one). */
  async putReferenceRows(
    model: string,
    version: string,
    rows: readonly Record<string, unknown>[],
  ): Promise<ReferenceProfile> {
    if (!Array.isArray(rows) || rows.length === 0)
      throw invalidArgument('rows', 'rows must be a non-empty array');
    if (rows.length > MAX_PROFILE_ROWS) {
      throw invalidArgument('rows', `rows holds ${rows.length} rows; at most ${MAX_PROFILE_ROWS} per upload`);
    }
    rows.forEach((row, i) => {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw invalidArgument(`rows[${i}]`, `rows[${i}] must be an object of input fields`);
      }
    });
    await this.deps.checkVersion(model, version);
    return this.putReference(model, version, 'upload', profileColumns(rows));
  }

  /**
   * Stores a profile of an evaluation's dataset as each candidate's reference, unless one was
   * uploaded: the input columns, plus the candidate's scalar outputs on those rows (so drift on a
   * prediction field has a reference); an output named like an input column is left out.
   */
  async captureFromEvaluation(
    versions: readonly { name: string; version: string; outputs?: readonly Record<string, unknown>[] }[],
    rows: readonly Record<string, unknown>[],
    columns: readonly string[],
  ): Promise<void> {
    const keep = new Set(columns);
    const inputs = rows.map((row) => pick(row, keep));
    for (const { name, version, outputs = [] } of versions) {
      const existing = await this.deps.store.getReferenceProfile(name, version);
      if (existing?.source === 'upload') continue;
      const table =
        outputs.length === inputs.length
          ? inputs.map((row, i) => withOutputs(row, outputs[i]!, keep))
          : inputs;
      await this.putReference(name, version, 'evaluation', profileColumns(table));
    }
  }

  /**
   * Stores a profile of a version's training data (read at registration) as its reference, unless
   * it already has one (uploaded, or from an evaluation, which are closer to what is served). Only
   * `columns` are kept when given (the contract's fields).
   */
  async captureFromRegistration(
    model: string,
    version: string,
    rows: readonly Record<string, unknown>[],
    columns: readonly string[] | undefined,
  ): Promise<void> {
    if ((await this.deps.store.getReferenceProfile(model, version)) !== undefined) return;
    const keep = columns === undefined ? undefined : new Set(columns);
    const table = keep === undefined ? rows : rows.map((row) => pick(row, keep));
    await this.putReference(model, version, 'registration', profileColumns(table));
  }

  /** The stored reference profile of a model version; NOT_FOUND when there is none. */
  async reference(model: string, version: string): Promise<ReferenceProfile> {
    const found = await this.deps.store.getReferenceProfile(model, version);
    if (found === undefined)
      throw notFound(`${model}/${version} has no reference profile.`, { field: 'version' });
    return found;
  }

  private async putReference(
    model: string,
    version: string,
    source: ReferenceProfile['source'],
    profile: DataProfile,
  ): Promise<ReferenceProfile> {
    const reference: ReferenceProfile = { model, version, source, profile, createdAt: this.now() };
    await this.deps.store.putReferenceProfile(reference);
    return reference;
  }
}

function withOutputs(
  row: Record<string, unknown>,
  outputs: Record<string, unknown>,
  inputs: ReadonlySet<string>,
): Record<string, unknown> {
  const out = { ...row };
  for (const [key, value] of Object.entries(outputs)) if (!inputs.has(key)) out[key] = value;
  return out;
}

function pick(row: Record<string, unknown>, keep: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keep) if (key in row) out[key] = row[key];
  return out;
}

function checkMonitorRequest(request: CreateMonitorRequest): void {
  if (typeof request !== 'object' || request === null)
    throw invalidArgument('body', 'body must be an object');
  if (typeof request.name !== 'string' || !NAME.test(request.name)) {
    throw invalidArgument(
      'name',
      'name must be 1-64 letters, digits, _, - or ., starting with a letter or digit',
    );
  }
  if (typeof request.endpoint !== 'string' || request.endpoint === '') {
    throw invalidArgument('endpoint', 'endpoint is required');
  }
  const ref = request.reference as Partial<CreateMonitorRequest['reference']> | undefined;
  if (typeof ref?.model !== 'string' || typeof ref.version !== 'string') {
    throw invalidArgument('reference', 'reference must be {model, version}');
  }
  checkChecks(request.checks);
  checkWindow(request.window);
  if (request.schedule !== undefined) {
    const interval = request.schedule.intervalMs;
    if (!Number.isInteger(interval) || interval < MIN_INTERVAL_MS) {
      throw invalidArgument(
        'schedule.intervalMs',
        `schedule.intervalMs must be an integer of at least ${MIN_INTERVAL_MS}`,
      );
    }
  }
}

function checkChecks(checks: MonitorChecks | undefined): void {
  if (typeof checks !== 'object' || checks === null)
    throw invalidArgument('checks', 'checks must be an object');
  const keys = Object.keys(checks);
  const known = ['drift', 'dataQuality', 'performance', 'service'];
  const unknown = keys.find((k) => !known.includes(k));
  if (unknown !== undefined)
    throw invalidArgument(`checks.${unknown}`, `Unknown check '${unknown}'; checks are ${known.join(', ')}`);
  if (keys.length === 0) throw invalidArgument('checks', 'a monitor needs at least one check');
  checkDriftModes(checks.drift);
  const performance = checks.performance;
  if (
    performance !== undefined &&
    (typeof performance.predictionField !== 'string' || !['accuracy', 'mae'].includes(performance.metric))
  ) {
    throw invalidArgument(
      'checks.performance',
      "checks.performance needs predictionField and metric 'accuracy' or 'mae'",
    );
  }
}

/** Refuses an unknown autocorrelation mode when the monitor is saved, not at its first run. */
function checkDriftModes(drift: MonitorChecks['drift']): void {
  if (drift === undefined) return;
  if (drift.autocorrelation !== undefined) {
    checkAutocorrelationMode(drift.autocorrelation, 'checks.drift.autocorrelation');
  }
  for (const [column, settings] of Object.entries(drift.perColumn ?? {})) {
    if (settings?.autocorrelation !== undefined) {
      checkAutocorrelationMode(settings.autocorrelation, `checks.drift.perColumn.${column}.autocorrelation`);
    }
  }
}

function checkWindow(window: MonitorWindow | undefined): void {
  if (window?.kind === 'rolling') {
    if (!Number.isInteger(window.durationMs) || window.durationMs < MIN_WINDOW_MS) {
      throw invalidArgument(
        'window.durationMs',
        `window.durationMs must be an integer of at least ${MIN_WINDOW_MS}`,
      );
    }
    return;
  }
  if (window?.kind === 'fixed') {
    if (!Number.isFinite(window.from) || !Number.isFinite(window.to) || window.to <= window.from) {
      throw invalidArgument('window', 'a fixed window needs from < to (ms since the epoch)');
    }
    return;
  }
  throw invalidArgument(
    'window.kind',
    "window must be {kind: 'rolling', durationMs} or {kind: 'fixed', from, to}",
  );
}

function checkRule(request: CreateAlertRuleRequest): Omit<AlertRule, 'id' | 'monitorId'> {
  if (typeof request?.name !== 'string' || !NAME.test(request.name)) {
    throw invalidArgument(
      'name',
      'name must be 1-64 letters, digits, _, - or ., starting with a letter or digit',
    );
  }
  const severity = request.severity ?? 'warning';
  if (!ALERT_SEVERITIES.includes(severity)) {
    throw invalidArgument('severity', `severity must be one of ${ALERT_SEVERITIES.join(', ')}`);
  }
  if (!MONITOR_CHECK_KINDS.includes(request.match?.check)) {
    throw invalidArgument('match.check', `match.check must be one of ${MONITOR_CHECK_KINDS.join(', ')}`);
  }
  const cooldownMs = request.cooldownMs ?? 3_600_000;
  if (!Number.isInteger(cooldownMs) || cooldownMs < 0) {
    throw invalidArgument('cooldownMs', 'cooldownMs must be a non-negative integer');
  }
  const channels = (request.channels ?? [{ kind: 'log' }]).map((c, i) =>
    validateChannel(c, `channels[${i}]`),
  );
  const match: AlertRule['match'] = { check: request.match.check };
  if (request.match.name !== undefined) match.name = request.match.name;
  if (request.match.column !== undefined) match.column = request.match.column;
  return { name: request.name, severity, match, cooldownMs, channels };
}

function checkLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new SlipwayError('INVALID_ARGUMENT', 'limit must be an integer between 1 and 1000', {
      field: 'limit',
    });
  }
}
