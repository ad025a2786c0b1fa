/**
 * One run of a monitor: read the window from the prediction log, profile it on the reference's
 * bins (page by page, merged, so memory stays at one page), compute every configured check's
 * statistics, store the run, then apply the alert rules and send their notifications.
 */
import {
  SlipwayError,
  type Alert,
  type AlertDelivery,
  type Monitor,
  type MonitorRun,
  type MonitorStatistic,
} from '@slipway/contracts';
import type {
  AggregateBucket,
  AggregateRequest,
  PredictionPage,
  PredictionPageRequest,
} from '@slipway/contracts';
import { evaluateRules, type AlertNotification } from './alert-rules.js';
import { dataQuality } from './data-quality.js';
import { driftStatistics } from './drift-statistics.js';
import type { MonitoringStore } from './monitoring-store.js';
import { mergeProfiles, profileWithEdges, type DataProfile } from './profile.js';
import { performanceStatistics, serviceStatistics } from './service-checks.js';

/** The prediction log as a run reads it. */
export interface WindowSource {
  queryPredictions(request: PredictionPageRequest): Promise<PredictionPage>;
  aggregate(request: AggregateRequest): Promise<AggregateBucket[]>;
}

/** The reference version's and its baseline's metric in the latest evaluation; each absent when unknown. */
export interface ReferenceMetrics {
  value?: number;
  baseline?: { value: number; model: string };
}

/**
 * Sends one notification (a log line now, webhook delivery jobs queued) and answers the delivery
 * jobs queued; throwing leaves the alert's `notifiedAt` unchanged, so it is sent again next run.
 */
export type Notify = (notification: AlertNotification) => Promise<AlertDelivery[]>;

/** What a run needs. */
export interface MonitorRunDeps {
  store: MonitoringStore;
  log: WindowSource;
  notify: Notify;
  /**
   * The performance check's yardsticks from the reference version's latest evaluation: its own
   * metric, and the metric of the baseline it was evaluated against.
   */
  referenceMetric?: (monitor: Monitor) => Promise<ReferenceMetrics>;
  newId: () => string;
  now: () => number;
  /** Told about a notification that could not be sent or queued (it is sent again at the next run). */
  onNotifyError?: (error: unknown, notification: AlertNotification) => void;
}

/** Rows read from the log per page (the page size of the query API). */
const PAGE = 1000;

/** The window a run of `monitor` started at `now` looks at. */
export function windowOf(monitor: Monitor, now: number): { from: number; to: number } {
  return monitor.window.kind === 'fixed'
    ? { from: monitor.window.from, to: monitor.window.to }
    : { from: now - monitor.window.durationMs, to: now };
}

/** Runs the monitor once over its window and returns the stored run (failed runs included). */
export async function runMonitor(monitor: Monitor, deps: MonitorRunDeps): Promise<MonitorRun> {
  const startedAt = deps.now();
  const { from, to } = windowOf(monitor, startedAt);
  const run = await deps.store.startRun({ id: deps.newId(), monitorId: monitor.id, from, to, startedAt });
  let finished: MonitorRun;
  try {
    const { statistics, rows } = await computeStatistics(monitor, { from, to }, deps);
    finished = await deps.store.finishRun(run.id, {
      state: 'succeeded',
      statistics,
      rows,
      finishedAt: deps.now(),
    });
  } catch (err) {
    const error =
      err instanceof SlipwayError
        ? { code: err.code, message: err.message }
        : { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
    return deps.store.finishRun(run.id, { state: 'failed', statistics: [], error, finishedAt: deps.now() });
  }
  await applyAlerts(monitor, finished, deps);
  return finished;
}

async function computeStatistics(
  monitor: Monitor,
  window: { from: number; to: number },
  deps: MonitorRunDeps,
): Promise<{ statistics: MonitorStatistic[]; rows: number }> {
  const checks = monitor.checks;
  const statistics: MonitorStatistic[] = [];
  let rows = 0;
  if (checks.drift !== undefined || checks.dataQuality !== undefined) {
    const reference = await referenceOf(monitor, deps.store);
    const current = await windowProfile(
      monitor.endpoint,
      window,
      reference,
      deps.log,
      checks.drift?.predictionField,
    );
    rows = current.rowCount;
    if (checks.drift !== undefined) statistics.push(...driftStatistics(reference, current, checks.drift));
    if (checks.dataQuality !== undefined) {
      statistics.push(...dataQuality(reference, current, checks.dataQuality));
    }
  }
  if (checks.service !== undefined || checks.performance !== undefined) {
    const buckets = await deps.log.aggregate({
      endpoint: monitor.endpoint,
      from: window.from,
      to: window.to,
      bucketMs: Math.max(1, window.to - window.from),
      excludeShadows: true,
      ...(checks.performance === undefined ? {} : { predictionField: checks.performance.predictionField }),
    });
    if (rows === 0) rows = buckets.reduce((n, b) => n + b.count, 0);
    if (checks.service !== undefined) statistics.push(...serviceStatistics(buckets, checks.service));
    if (checks.performance !== undefined) {
      const { value, baseline } = (await deps.referenceMetric?.(monitor)) ?? {};
      statistics.push(
        ...performanceStatistics(
          buckets,
          checks.performance,
          value === undefined ? undefined : { value },
          baseline,
        ),
      );
    }
  }
  return { statistics, rows };
}

async function referenceOf(monitor: Monitor, store: MonitoringStore): Promise<DataProfile> {
  const { model, version } = monitor.reference;
  const found = await store.getReferenceProfile(model, version);
  if (found === undefined) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `${model}/${version} has no reference profile: evaluate it, or upload one (POST /api/v1/monitoring/reference-profiles).`,
      { field: 'reference' },
    );
  }
  return found.profile;
}

/** The window's served inputs profiled on the reference's bins, one page at a time. */
async function windowProfile(
  endpoint: string,
  window: { from: number; to: number },
  reference: DataProfile,
  log: WindowSource,
  predictionField: string | undefined,
): Promise<DataProfile> {
  let profile: DataProfile | undefined;
  let cursor: string | undefined;
  do {
    const page = await log.queryPredictions({
      endpoint,
      from: window.from,
      to: window.to,
      status: 'ok',
      excludeShadows: true,
      limit: PAGE,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.predictions.length > 0) {
      // The prediction field joins the inputs as one more column, named as in the reference.
      const rows =
        predictionField === undefined
          ? page.predictions.map((p) => p.input)
          : page.predictions.map((p) => ({ ...p.input, [predictionField]: p.output[predictionField] }));
      const part = profileWithEdges(rows, reference);
      profile = profile === undefined ? part : mergeProfiles(profile, part);
    }
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return profile ?? profileWithEdges([], reference);
}

/** Fires, updates and resolves the monitor's alerts from the run, then sends the notifications. */
async function applyAlerts(monitor: Monitor, run: MonitorRun, deps: MonitorRunDeps): Promise<void> {
  const rules = await deps.store.listAlertRules(monitor.id);
  if (rules.length === 0) return;
  const latest = new Map<string, Alert>();
  // Newest first: the first alert seen per rule is its latest (firing, or the last resolved).
  for (const alert of await deps.store.listAlerts({ monitorId: monitor.id, limit: 1000 })) {
    if (!latest.has(alert.ruleId)) latest.set(alert.ruleId, alert);
  }
  const plan = evaluateRules({ rules, open: latest, run, now: deps.now(), newId: deps.newId });
  for (const alert of plan.fire) await deps.store.openAlert(alert);
  for (const alert of [...plan.update, ...plan.resolve]) {
    await deps.store.updateAlert(alert.id, {
      lastRun: alert.lastRun,
      evidence: alert.evidence,
      ...(alert.resolvedAt === undefined ? {} : { resolvedAt: alert.resolvedAt }),
    });
  }
  for (const notification of plan.notify) {
    try {
      const deliveries = await deps.notify(notification);
      const known = notification.alert.deliveries ?? [];
      await deps.store.updateAlert(notification.alert.id, {
        notifiedAt: deps.now(),
        ...(deliveries.length === 0 ? {} : { deliveries: [...known, ...deliveries] }),
      });
    } catch (err) {
      deps.onNotifyError?.(err, notification);
    }
  }
}
