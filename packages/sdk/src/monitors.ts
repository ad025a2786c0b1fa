/**
 * `client.monitors`: monitoring of an endpoint's prediction log against a model version's
 * reference profile. Create monitors (drift, data quality, performance, service checks over a
 * window, optionally on a schedule), run them now, read their runs and a statistic's series, add
 * alert rules and list the alerts they fired, and upload reference profiles.
 */
import type {
  Alert,
  AlertChannel,
  AlertRule,
  AlertSeverity,
  AlertState,
  Monitor,
  MonitorCheckKind,
  MonitorChecks,
  MonitorRun,
  MonitorWindow,
} from '@slipway/contracts';
import { InvalidArgumentError } from './errors.js';
import { pathOf, type Transport } from './transport.js';

/** A monitor as `monitors.create` takes it (the server's create request). */
export interface CreateMonitorInput {
  /** 1-64 letters, digits, `_`, `-` or `.`, starting with a letter or digit. */
  name: string;
  /** The endpoint (or batch log name) whose prediction log is watched. */
  endpoint: string;
  /** The model version whose stored reference profile the window is compared with. */
  reference: { model: string; version: string };
  /** At least one check. */
  checks: MonitorChecks;
  window: MonitorWindow;
  /** Runs every `intervalMs` (at least 10,000) when set; otherwise only on demand. */
  schedule?: { intervalMs: number };
}

/** An alert rule as `monitors.addRule` takes it (the server's create request). */
export interface CreateAlertRuleInput {
  name: string;
  /** Default `warning`. */
  severity?: AlertSeverity;
  /** Which statistics fire the rule: by check, optionally by statistic name and column. */
  match: { check: MonitorCheckKind; name?: string; column?: string };
  /** Quiet time after a notification (ms, default one hour). */
  cooldownMs?: number;
  /** Where notifications go (default the server's log). */
  channels?: AlertChannel[];
}

/** A point in time: ms since the epoch or a `Date`. */
export type MonitorTime = number | Date;

/** Filter of `monitors.list`. */
export interface ListMonitorsOptions {
  endpoint?: string;
}

/** Paging of `monitors.runs`. */
export interface MonitorRunsOptions {
  /** Runs per call, 1-1000 (default 20). */
  limit?: number;
  /** Only runs started before this time. */
  before?: MonitorTime;
}

/** Which statistic `monitors.series` follows. */
export interface MonitorSeriesOptions {
  /** The statistic, e.g. `ks`, `wasserstein`, `missing_share`, `error_rate`. */
  name: string;
  /** The column or output field; absent selects the dataset-level statistic. */
  column?: string;
  check?: MonitorCheckKind;
  /** Bounds on each run's window end, inclusive. */
  from?: MonitorTime;
  to?: MonitorTime;
}

/** One point of a statistic's series. */
export interface MonitorSeriesPoint {
  runId: string;
  /** The run's window end (ms since the epoch). */
  at: number;
  value: number;
  flagged: boolean;
}

/** Filters of `monitors.alerts`. */
export interface ListAlertsOptions {
  /** A monitor's id or name. */
  monitor?: string;
  state?: AlertState;
  /** 1-1000 (default 100). */
  limit?: number;
}

/** Summary of one reference column (numeric: moments, histogram, sketch; categorical: counts). */
export interface ReferenceColumnProfile {
  kind: 'numeric' | 'categorical';
  count: number;
  missing: number;
  invalid: number;
  [statistic: string]: unknown;
}

/** A model version's reference profile: the data its monitors compare the live window with. */
export interface ReferenceProfile {
  model: string;
  version: string;
  /** How it was made: uploaded rows, an evaluation's dataset, or registration. */
  source: 'registration' | 'evaluation' | 'upload';
  profile: { version: number; rowCount: number; columns: Record<string, ReferenceColumnProfile> };
  createdAt: number;
}

interface MonitorResponse {
  monitor: Monitor;
}
interface RunResponse {
  run: MonitorRun;
}
interface ReferenceResponse {
  reference: ReferenceProfile;
}

/** Monitoring operations of a client. */
export class MonitorsApi {
  constructor(private readonly http: Transport) {}

  /**
   * Creates a monitor; InvalidArgumentError (`details.field`) for bad settings, NotFoundError for an
   * unknown endpoint or model version, AlreadyExistsError when the name is taken.
   */
  async create(request: CreateMonitorInput): Promise<Monitor> {
    return (await this.http.json<MonitorResponse>('POST', '/monitors', { json: request })).monitor;
  }

  /** The monitor by id or name; NotFoundError when neither matches. */
  async get(idOrName: string): Promise<Monitor> {
    return (await this.http.json<MonitorResponse>('GET', pathOf('monitors', idOrName))).monitor;
  }

  /** Monitors by name, optionally of one endpoint. */
  async list(options: ListMonitorsOptions = {}): Promise<Monitor[]> {
    const query = { endpoint: options.endpoint };
    return (await this.http.json<{ monitors: Monitor[] }>('GET', '/monitors', { query })).monitors;
  }

  /** Deletes the monitor with its runs, rules and alerts. */
  delete(idOrName: string): Promise<void> {
    return this.http.empty('DELETE', pathOf('monitors', idOrName));
  }

  /** Runs the monitor now over its window; alerts fire or resolve from the result. */
  async run(idOrName: string): Promise<MonitorRun> {
    return (await this.http.json<RunResponse>('POST', pathOf('monitors', idOrName, 'run'))).run;
  }

  /** The monitor's runs with their statistics, newest first. */
  async runs(idOrName: string, options: MonitorRunsOptions = {}): Promise<MonitorRun[]> {
    const query = { limit: options.limit, before: msOf(options.before, 'before') };
    const path = pathOf('monitors', idOrName, 'runs');
    return (await this.http.json<{ runs: MonitorRun[] }>('GET', path, { query })).runs;
  }

  /** One run with its statistics; NotFoundError when absent. */
  async getRun(id: string): Promise<MonitorRun> {
    return (await this.http.json<RunResponse>('GET', pathOf('monitor-runs', id))).run;
  }

  /** One statistic over the monitor's runs, oldest first (the trend behind a chart or an alert). */
  async series(idOrName: string, options: MonitorSeriesOptions): Promise<MonitorSeriesPoint[]> {
    const query = {
      name: options.name,
      column: options.column,
      check: options.check,
      from: msOf(options.from, 'from'),
      to: msOf(options.to, 'to'),
    };
    const path = pathOf('monitors', idOrName, 'series');
    return (await this.http.json<{ points: MonitorSeriesPoint[] }>('GET', path, { query })).points;
  }

  /** Adds an alert rule to the monitor; InvalidArgumentError (`details.field`) for a bad rule. */
  async addRule(idOrName: string, rule: CreateAlertRuleInput): Promise<AlertRule> {
    const path = pathOf('monitors', idOrName, 'rules');
    return (await this.http.json<{ rule: AlertRule }>('POST', path, { json: rule })).rule;
  }

  /** The monitor's alert rules by name. */
  async rules(idOrName: string): Promise<AlertRule[]> {
    const path = pathOf('monitors', idOrName, 'rules');
    return (await this.http.json<{ rules: AlertRule[] }>('GET', path)).rules;
  }

  /** Deletes an alert rule with its alerts; NotFoundError when absent. */
  deleteRule(id: string): Promise<void> {
    return this.http.empty('DELETE', pathOf('alert-rules', id));
  }

  /** Alerts newest first, each with its evidence (the flagged statistics of the run). */
  async alerts(options: ListAlertsOptions = {}): Promise<Alert[]> {
    const query = { monitor: options.monitor, state: options.state, limit: options.limit };
    return (await this.http.json<{ alerts: Alert[] }>('GET', '/alerts', { query })).alerts;
  }

  /**
   * Profiles rows (input fields, at most 100,000) as the reference of a model version, replacing an
   * earlier one; NotFoundError for an unknown version.
   */
  async putReferenceProfile(
    model: string,
    version: string,
    rows: readonly Record<string, unknown>[],
  ): Promise<ReferenceProfile> {
    const json = { model, version, rows };
    const path = '/monitoring/reference-profiles';
    return (await this.http.json<ReferenceResponse>('POST', path, { json })).reference;
  }

  /** The stored reference profile of a model version; NotFoundError when there is none. */
  async referenceProfile(model: string, version: string): Promise<ReferenceProfile> {
    const path = pathOf('monitoring', 'reference-profiles', model, version);
    return (await this.http.json<ReferenceResponse>('GET', path)).reference;
  }
}

/** A time as the integer ms the server's query parameters take. */
function msOf(value: MonitorTime | undefined, field: string): number | undefined {
  if (!(value instanceof Date)) return value;
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`${field} is an invalid Date.`, { field }, 0);
  return ms;
}
