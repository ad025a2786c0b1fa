/**
 * Monitoring: monitors (an endpoint, its checks, a window and a schedule), their runs with every
 * statistic they computed, alert rules over those statistics, and alerts with their state. Shared by
 * the monitoring store port, the API and the SDK.
 */

/** What a monitor checks each run. */
export const MONITOR_CHECK_KINDS = ['drift', 'data_quality', 'performance', 'service'] as const;
/** One kind of check. */
export type MonitorCheckKind = (typeof MONITOR_CHECK_KINDS)[number];

/** Per-column drift settings of a monitor (method names as in docs/monitoring.md). */
export interface DriftColumnSettings {
  method?: 'ks' | 'chi_square' | 'z_test' | 'psi' | 'jensen_shannon' | 'wasserstein' | 'hellinger';
  threshold?: number;
  /** Overrides the monitor's `autocorrelation` for this column. */
  autocorrelation?: DriftAutocorrelationMode;
}

/**
 * How the p-value tests treat neighbouring rows that are alike: `adjust` (default) counts them at their
 * effective sample size, `ignore` as independent draws (docs/monitoring.md, Autocorrelation).
 */
export type DriftAutocorrelationMode = 'adjust' | 'ignore';

/** A monitor's checks and their thresholds; absent checks are not run. */
export interface MonitorChecks {
  drift?: {
    /** Columns to compare (default: every input column of the reference profile). */
    columns?: string[];
    perColumn?: Record<string, DriftColumnSettings>;
    /** Dataset drift when at least this share of columns drifted (default 0.5). */
    driftShare?: number;
    /** Also compare the distribution of this output field (e.g. `label`). */
    predictionField?: string;
    /** Effective sample sizes for autocorrelated rows (default `adjust`). */
    autocorrelation?: DriftAutocorrelationMode;
  };
  dataQuality?: {
    /** Flag a column whose missing share grew by more than this (absolute, default 0.05). */
    missingShareIncrease?: number;
    /** Flag a column with more than this share of values outside the reference range (default 0.05). */
    outOfRangeShare?: number;
    /** Flag a categorical column with more than this share of unseen categories (default 0.05). */
    newCategoryShare?: number;
    /** Flag a row count below or above the reference-sized expectation by this factor (default 0.5). */
    rowCountChange?: number;
  };
  performance?: {
    /** The output field compared with the label. */
    predictionField: string;
    /** Metric name (`accuracy`, `mae`) and the largest tolerated drop from the reference evaluation. */
    metric: 'accuracy' | 'mae';
    maxDegradation?: number;
  };
  service?: {
    latencyP99Ms?: number;
    errorRate?: number;
    minRequests?: number;
  };
}

/** The data window a run looks at: the last `durationMs` before the run, or a fixed range. */
export type MonitorWindow =
  { kind: 'rolling'; durationMs: number } | { kind: 'fixed'; from: number; to: number };

/** A monitor as stored and returned. */
export interface Monitor {
  id: string;
  name: string;
  endpoint: string;
  /** The reference the window is compared with: a model version's stored profile. */
  reference: { model: string; version: string };
  checks: MonitorChecks;
  window: MonitorWindow;
  /** Runs every `intervalMs` when set; otherwise only on demand. */
  schedule?: { intervalMs: number };
  /** When the next scheduled run is due; kept by the store (ignored on writes), absent without a schedule. */
  nextRunAt?: number;
  createdAt: number;
  updatedAt: number;
}

/** One statistic a run computed: the time series behind every trend and alert. */
export interface MonitorStatistic {
  check: MonitorCheckKind;
  /** The column or output field it is about (absent for dataset-level statistics). */
  column?: string;
  /** E.g. `wasserstein`, `missing_share`, `latency_p99_ms`, `dataset_drift_share`. */
  name: string;
  value: number;
  threshold?: number;
  /** True when this statistic crossed its threshold. */
  flagged: boolean;
  /** Method-specific evidence (p-value, histograms of reference and current, counts). */
  details?: Record<string, unknown>;
}

/** States of a run. */
export const MONITOR_RUN_STATES = ['running', 'succeeded', 'failed'] as const;
/** One state of a run. */
export type MonitorRunState = (typeof MONITOR_RUN_STATES)[number];

/** One run of a monitor over one window. */
export interface MonitorRun {
  id: string;
  monitorId: string;
  state: MonitorRunState;
  /** The window the run looked at. */
  from: number;
  to: number;
  startedAt: number;
  finishedAt?: number;
  /** Rows of the window (served predictions). */
  rows?: number;
  statistics: MonitorStatistic[];
  error?: { code: string; message: string };
}

/** Severities of alerts. */
export const ALERT_SEVERITIES = ['info', 'warning', 'critical'] as const;
/** One severity. */
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** A rule: fire when a monitor's statistics match; resolve when a later run no longer matches. */
export interface AlertRule {
  id: string;
  monitorId: string;
  name: string;
  severity: AlertSeverity;
  /** Which statistics count: by check, optionally by statistic name and column. */
  match: { check: MonitorCheckKind; name?: string; column?: string };
  /** After firing or resolving, no new notification for this long (ms). */
  cooldownMs: number;
  /** Where notifications go. */
  channels: AlertChannel[];
}

/** A notification channel: a signed webhook or the server's log. */
export type AlertChannel = { kind: 'webhook'; url: string; secret?: string } | { kind: 'log' };

/** States of an alert. */
export const ALERT_STATES = ['firing', 'resolved'] as const;
/** One state of an alert. */
export type AlertState = (typeof ALERT_STATES)[number];

/** One alert: a rule that fired, with the evidence of the run that fired it. */
export interface Alert {
  id: string;
  ruleId: string;
  monitorId: string;
  severity: AlertSeverity;
  state: AlertState;
  firedAt: number;
  resolvedAt?: number;
  /** The run that fired it, and the last run that still matched. */
  firedByRun: string;
  lastRun: string;
  /** The flagged statistics of the latest matching run (columns, values, thresholds, histograms). */
  evidence: MonitorStatistic[];
  /** When a notification was last sent (for the cooldown). */
  notifiedAt?: number;
  /**
   * The webhook deliveries its notifications were queued as, oldest first: each a
   * `webhook_delivery` job (`GET /api/v1/jobs/{jobId}` tells whether it got through).
   */
  deliveries?: AlertDelivery[];
}

/** One webhook notification of an alert, queued as a job. */
export interface AlertDelivery {
  event: 'firing' | 'resolved';
  /** Index of the channel in the rule's channels. */
  channel: number;
  jobId: string;
}
