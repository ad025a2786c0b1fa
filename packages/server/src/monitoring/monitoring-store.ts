/**
 * The monitoring store port: monitors and their schedule, runs with every statistic they computed
 * (the time series behind trends), alert rules, alerts, and the reference profiles of model
 * versions. Typed with domain types only; every backend passes the contract suite in
 * test/storage/monitoring-store.contract.ts.
 *
 * Updates of a monitor are compare-and-set on `updatedAt`: the caller passes the `updatedAt` it
 * read and a strictly later one in the new monitor, so of two updates from the same read exactly
 * one wins. Scheduling is the store's: `nextRunAt` is set from the schedule on create and when the
 * interval changes, and `claimDue` hands each due monitor to exactly one caller across processes.
 */
import type {
  Alert,
  AlertDelivery,
  AlertRule,
  AlertState,
  Monitor,
  MonitorRun,
  MonitorRunState,
  MonitorStatistic,
} from '@slipway/contracts';
import type { DataProfile } from './profile.js';

/** Most rows a listing returns. */
export const MAX_MONITORING_PAGE = 1000;

/** A run as started: state `running`, no statistics yet. */
export interface NewMonitorRun {
  id: string;
  monitorId: string;
  /** The window the run looks at. */
  from: number;
  to: number;
  startedAt: number;
}

/** How a run ended. */
export interface MonitorRunOutcome {
  state: Exclude<MonitorRunState, 'running'>;
  statistics: MonitorStatistic[];
  rows?: number;
  error?: { code: string; message: string };
  finishedAt: number;
}

/** A page of a monitor's runs, newest first. */
export interface RunListRequest {
  /** Most runs (1..1000). */
  limit: number;
  /** Only runs started strictly before this time (ms): the `startedAt` of the last run of the previous page. */
  before?: number;
}

/** Which statistic to follow over a monitor's runs. */
export interface SeriesRequest {
  name: string;
  /** The column or output field; absent selects the dataset-level statistic (no column). */
  column?: string;
  check?: MonitorStatistic['check'];
  /** Bounds on the run's window end (`to`), inclusive. */
  from?: number;
  to?: number;
}

/** One point of a statistic's time series. */
export interface SeriesPoint {
  runId: string;
  /** The run's window end. */
  at: number;
  value: number;
  flagged: boolean;
}

/** Changes to an alert; `resolvedAt` resolves it. */
export interface AlertPatch {
  lastRun?: string;
  evidence?: MonitorStatistic[];
  notifiedAt?: number;
  resolvedAt?: number;
  /** Replaces the alert's list of delivery jobs. */
  deliveries?: AlertDelivery[];
}

/** Filters of an alert listing, newest (by `firedAt`) first. */
export interface AlertListRequest {
  monitorId?: string;
  state?: AlertState;
  /** Most alerts (1..1000). */
  limit: number;
}

/** Where a reference profile came from. */
export const REFERENCE_PROFILE_SOURCES = ['registration', 'evaluation', 'upload'] as const;
/** One source of a reference profile. */
export type ReferenceProfileSource = (typeof REFERENCE_PROFILE_SOURCES)[number];

/** The profile a model version is monitored against. */
export interface ReferenceProfile {
  model: string;
  version: string;
  source: ReferenceProfileSource;
  profile: DataProfile;
  createdAt: number;
}

/** Persistence of monitoring; implemented on SQLite and PostgreSQL (storage/sql). */
export interface MonitoringStore {
  /**
   * Stores a new monitor; `nextRunAt` becomes `createdAt + schedule.intervalMs` (none without a
   * schedule). ALREADY_EXISTS (`name` or `id`) when taken.
   */
  createMonitor(monitor: Monitor): Promise<void>;
  /** The monitor, or undefined. */
  getMonitor(id: string): Promise<Monitor | undefined>;
  /** The monitor with this name, or undefined. */
  getMonitorByName(name: string): Promise<Monitor | undefined>;
  /** Monitors by name (code-point order), optionally of one endpoint. */
  listMonitors(filter?: { endpoint?: string }): Promise<Monitor[]>;
  /**
   * Replaces the monitor when its stored `updatedAt` is still `expectedUpdatedAt`; `next.updatedAt`
   * must be later (INVALID_ARGUMENT `updatedAt`). Returns false when another update won; NOT_FOUND
   * when it is gone; ALREADY_EXISTS (`name`) for a taken name. A changed schedule reschedules the
   * next run to `next.updatedAt + intervalMs`; an unchanged one keeps it.
   */
  updateMonitor(next: Monitor, expectedUpdatedAt: number): Promise<boolean>;
  /** Deletes the monitor with its runs, statistics, rules and alerts; NOT_FOUND when absent. */
  deleteMonitor(id: string): Promise<void>;

  /** Monitors whose next run is due at `now`, the most overdue first (at most `limit`, default 100). */
  dueMonitors(now: number, limit?: number): Promise<Monitor[]>;
  /**
   * Claims up to `limit` (default 1) due monitors: each one's `nextRunAt` moves to `now + leaseMs`,
   * so no other caller, in this process or another, gets it until the lease lapses. The returned
   * monitors carry that lease end as `nextRunAt`, the value `rescheduleMonitor` expects.
   */
  claimDue(now: number, leaseMs: number, limit?: number): Promise<Monitor[]>;
  /**
   * Sets the next run when `nextRunAt` is still `expectedNextRunAt` (the claim's lease end);
   * false when someone else rescheduled meanwhile (a newer claim, or an update of the schedule).
   */
  rescheduleMonitor(id: string, nextRunAt: number, expectedNextRunAt: number): Promise<boolean>;

  /** Records a run as `running`; NOT_FOUND (`monitorId`) for an unknown monitor, ALREADY_EXISTS (`id`) when taken. */
  startRun(run: NewMonitorRun): Promise<MonitorRun>;
  /** Ends a running run with its statistics; NOT_FOUND when absent, FAILED_PRECONDITION when it already ended. */
  finishRun(id: string, outcome: MonitorRunOutcome): Promise<MonitorRun>;
  /** The run with its statistics in the order they were stored, or undefined. */
  getRun(id: string): Promise<MonitorRun | undefined>;
  /** A monitor's runs with their statistics, newest (by `startedAt`) first. */
  listRuns(monitorId: string, request: RunListRequest): Promise<MonitorRun[]>;
  /** One statistic over a monitor's runs, oldest (by the run's `to`) first. */
  statisticSeries(monitorId: string, request: SeriesRequest): Promise<SeriesPoint[]>;

  /** Stores a rule; NOT_FOUND (`monitorId`) for an unknown monitor, ALREADY_EXISTS (`id`, or `name` within the monitor). */
  createAlertRule(rule: AlertRule): Promise<void>;
  /** The rule, or undefined. */
  getAlertRule(id: string): Promise<AlertRule | undefined>;
  /** A monitor's rules by name. */
  listAlertRules(monitorId: string): Promise<AlertRule[]>;
  /** Replaces a rule (its monitor cannot change: INVALID_ARGUMENT `monitorId`); NOT_FOUND when absent. */
  updateAlertRule(rule: AlertRule): Promise<void>;
  /** Deletes a rule with its alerts; NOT_FOUND when absent. */
  deleteAlertRule(id: string): Promise<void>;

  /**
   * Stores a firing alert. A rule has at most one firing alert: ALREADY_EXISTS (`ruleId`) while
   * another is firing. NOT_FOUND (`ruleId`) for an unknown rule; INVALID_ARGUMENT when the alert is
   * not `firing` or names another monitor than its rule's.
   */
  openAlert(alert: Alert): Promise<void>;
  /** The alert, or undefined. */
  getAlert(id: string): Promise<Alert | undefined>;
  /** The rule's firing alert, or undefined. */
  getOpenAlert(ruleId: string): Promise<Alert | undefined>;
  /**
   * Applies `patch` and returns the alert as stored; NOT_FOUND when absent, FAILED_PRECONDITION
   * when resolving an alert already resolved.
   */
  updateAlert(id: string, patch: AlertPatch): Promise<Alert>;
  /** Alerts newest first. */
  listAlerts(request: AlertListRequest): Promise<Alert[]>;

  /** Stores (or replaces) the reference profile of a model version. */
  putReferenceProfile(reference: ReferenceProfile): Promise<void>;
  /** The reference profile of a model version, or undefined. */
  getReferenceProfile(model: string, version: string): Promise<ReferenceProfile | undefined>;
}
