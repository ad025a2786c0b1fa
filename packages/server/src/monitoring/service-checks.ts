/**
 * The service and performance checks of a monitor, from the prediction log's time-bucket aggregates
 * over the window: traffic, error rate and tail latency; the realized metric on labelled predictions,
 * label coverage and label delay. Buckets of any width and grouping (model version, arm) combine the
 * same way. Pure. See docs/monitoring.md (Checks).
 */
import {
  invalidArgument,
  type AggregateBucket,
  type MonitorChecks,
  type MonitorStatistic,
} from '@slipway/contracts';

/** Settings of the service check. */
export type ServiceSettings = NonNullable<MonitorChecks['service']>;
/** Settings of the performance check. */
export type PerformanceSettings = NonNullable<MonitorChecks['performance']>;

/** Default thresholds of the service check; latency has none (it depends on the model). */
export const SERVICE_DEFAULTS = { errorRate: 0.05, minRequests: 10 } as const;

/** Default tolerated degradation: accuracy in points, MAE as a share of the reference MAE. */
export const PERFORMANCE_DEFAULTS = { accuracyDrop: 0.05, maeRelativeRise: 0.1 } as const;

/** Float noise allowed at a threshold. */
const TOLERANCE = 1e-12;

/** Sum of `pick` over the buckets. */
function total(buckets: readonly AggregateBucket[], pick: (b: AggregateBucket) => number): number {
  return buckets.reduce((s, b) => s + pick(b), 0);
}

/** Checks the service thresholds. */
function checkServiceSettings(settings: ServiceSettings): void {
  const { errorRate, latencyP99Ms, minRequests } = settings;
  if (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1)) {
    throw invalidArgument('errorRate', `errorRate must be a share in [0, 1], got ${errorRate}`);
  }
  if (latencyP99Ms !== undefined && !(latencyP99Ms >= 0 && Number.isFinite(latencyP99Ms))) {
    throw invalidArgument(
      'latencyP99Ms',
      `latencyP99Ms must be a finite, non-negative number, got ${latencyP99Ms}`,
    );
  }
  if (minRequests !== undefined && !(Number.isInteger(minRequests) && minRequests >= 0)) {
    throw invalidArgument('minRequests', `minRequests must be a non-negative integer, got ${minRequests}`);
  }
}

/** A service statistic. */
function service(
  name: string,
  value: number,
  threshold: number | undefined,
  flagged: boolean,
  details: Record<string, unknown>,
): MonitorStatistic {
  const s: MonitorStatistic = { check: 'service', name, value, flagged, details };
  if (threshold !== undefined) s.threshold = threshold;
  return s;
}

/**
 * The window's p99 as the largest bucket p99. It is an upper bound of the true p99 of the window (at
 * least 99% of every bucket, hence of their union, lies at or below it), so a breach is never missed;
 * a weighted mean of bucket p99s would not be a quantile of anything. A single slow, sparse bucket can
 * raise it: details carry the request-weighted mean of bucket p99s for comparison.
 */
function latencyP99(
  buckets: readonly AggregateBucket[],
): { max: number; at: number; weightedMean: number } | undefined {
  const timed = buckets.filter((b) => b.latencyP99 !== undefined && b.count > 0);
  if (timed.length === 0) return undefined;
  let worst = timed[0]!;
  for (const b of timed) if (b.latencyP99! > worst.latencyP99!) worst = b;
  const weighted = total(timed, (b) => b.latencyP99! * b.count) / total(timed, (b) => b.count);
  return { max: worst.latencyP99!, at: worst.start, weightedMean: weighted };
}

/**
 * Service statistics of a window: `requests` (served predictions plus failed requests; flagged below
 * minRequests), `error_rate` (failed over all, as the log defines it) and `latency_p99_ms` (omitted
 * without served predictions). Error rate and latency are never flagged below minRequests.
 */
export function serviceStatistics(
  buckets: readonly AggregateBucket[],
  settings: ServiceSettings = {},
): MonitorStatistic[] {
  checkServiceSettings(settings);
  const minRequests = settings.minRequests ?? SERVICE_DEFAULTS.minRequests;
  const errorThreshold = settings.errorRate ?? SERVICE_DEFAULTS.errorRate;
  const served = total(buckets, (b) => b.count);
  const errors = total(buckets, (b) => b.errors);
  const requests = served + errors;
  const enough = requests >= minRequests;
  const errorRate = requests === 0 ? 0 : errors / requests;
  const out = [
    service('requests', requests, minRequests, !enough, { served, errors, buckets: buckets.length }),
    service('error_rate', errorRate, errorThreshold, enough && errorRate > errorThreshold + TOLERANCE, {
      errors,
      requests,
      enoughRequests: enough,
    }),
  ];
  const latency = latencyP99(buckets);
  if (latency !== undefined) {
    const limit = settings.latencyP99Ms;
    const flagged = limit !== undefined && enough && latency.max > limit + TOLERANCE;
    out.push(
      service('latency_p99_ms', latency.max, limit, flagged, {
        combined: 'max_of_bucket_p99',
        worstBucketStart: latency.at,
        weightedMeanP99: latency.weightedMean,
        enoughRequests: enough,
      }),
    );
  }
  return out;
}

/** A performance statistic. */
function performance(
  column: string,
  name: string,
  value: number,
  threshold: number | undefined,
  flagged: boolean,
  details: Record<string, unknown>,
): MonitorStatistic {
  const s: MonitorStatistic = { check: 'performance', column, name, value, flagged, details };
  if (threshold !== undefined) s.threshold = threshold;
  return s;
}

/**
 * `baseline_margin`: how much better the live metric is than the baseline's in the reference
 * evaluation (accuracy: live minus baseline; MAE: baseline minus live), flagged at or below 0, when
 * the model no longer beats the baseline it was promoted over.
 */
function baselineMargin(
  settings: PerformanceSettings,
  realized: number,
  baseline: { value: number; model: string },
): MonitorStatistic {
  const margin = settings.metric === 'mae' ? baseline.value - realized : realized - baseline.value;
  return performance(settings.predictionField, 'baseline_margin', margin, 0, margin <= 0, {
    metric: settings.metric,
    realized,
    baseline: baseline.value,
    baselineModel: baseline.model,
  });
}

/** The weighted median of values (the smallest value whose cumulative weight reaches half the total). */
function weightedMedian(pairs: { value: number; weight: number }[]): number {
  const sorted = [...pairs].sort((x, y) => x.value - y.value);
  const half = sorted.reduce((s, p) => s + p.weight, 0) / 2;
  let cumulative = 0;
  for (const p of sorted) {
    cumulative += p.weight;
    if (cumulative >= half) return p.value;
  }
  return sorted[sorted.length - 1]!.value;
}

/** The realized metric over the window's labelled predictions: each bucket's value weighted by its labels. */
function realizedMetric(
  buckets: readonly AggregateBucket[],
  metric: PerformanceSettings['metric'],
): { value: number; labelled: number } | undefined {
  const scored = buckets.filter((b) => b.labelled > 0 && b[metric] !== undefined);
  const labelled = total(scored, (b) => b.labelled);
  if (labelled === 0) {
    const other = metric === 'accuracy' ? 'mae' : 'accuracy';
    if (buckets.some((b) => b.labelled > 0 && b[other] !== undefined)) {
      throw invalidArgument(
        'metric',
        `metric ${metric} does not fit the prediction field: its aggregates give ${other}`,
      );
    }
    return undefined;
  }
  return { value: total(scored, (b) => b[metric]! * b.labelled) / labelled, labelled };
}

/**
 * The metric against the reference: the tolerated degradation and the threshold it implies. Accuracy
 * may drop by maxDegradation (default 0.05); MAE may rise by maxDegradation (default 10% of the
 * reference MAE, since MAE has the target's units).
 */
function degradationLimit(
  settings: PerformanceSettings,
  reference: number,
): { maxDegradation: number; threshold: number } {
  if (settings.metric === 'accuracy') {
    const maxDegradation = settings.maxDegradation ?? PERFORMANCE_DEFAULTS.accuracyDrop;
    return { maxDegradation, threshold: reference - maxDegradation };
  }
  const maxDegradation =
    settings.maxDegradation ?? PERFORMANCE_DEFAULTS.maeRelativeRise * Math.abs(reference);
  return { maxDegradation, threshold: reference + maxDegradation };
}

/** The realized metric's statistic, flagged against the reference when there is one. */
function metricStatistic(
  settings: PerformanceSettings,
  realized: { value: number; labelled: number },
  reference: { value: number } | undefined,
): MonitorStatistic {
  const details: Record<string, unknown> = { labelled: realized.labelled };
  if (reference === undefined) {
    return performance(settings.predictionField, settings.metric, realized.value, undefined, false, details);
  }
  const { maxDegradation, threshold } = degradationLimit(settings, reference.value);
  const worse =
    settings.metric === 'accuracy'
      ? realized.value < threshold - TOLERANCE
      : realized.value > threshold + TOLERANCE;
  Object.assign(details, {
    reference: reference.value,
    degradation:
      settings.metric === 'accuracy' ? reference.value - realized.value : realized.value - reference.value,
    maxDegradation,
  });
  return performance(settings.predictionField, settings.metric, realized.value, threshold, worse, details);
}

/** Checks the performance settings. */
function checkPerformanceSettings(
  settings: PerformanceSettings,
  reference: { value: number } | undefined,
): void {
  if (settings.metric !== 'accuracy' && settings.metric !== 'mae') {
    throw invalidArgument('metric', `metric must be accuracy or mae, got ${String(settings.metric)}`);
  }
  const d = settings.maxDegradation;
  if (d !== undefined && !(d >= 0 && Number.isFinite(d))) {
    throw invalidArgument('maxDegradation', `maxDegradation must be a finite, non-negative number, got ${d}`);
  }
  if (reference !== undefined && !Number.isFinite(reference.value)) {
    throw invalidArgument('reference.value', `the reference ${settings.metric} must be a finite number`);
  }
}

/**
 * Performance statistics of a window, about `predictionField`: the realized metric (`accuracy` or
 * `mae`, omitted without labelled predictions; flagged when it degraded past maxDegradation from the
 * reference), `label_coverage` (labelled over served, omitted without served predictions) and
 * `label_delay_p50_ms` (omitted without labels). Coverage and delay have no threshold: they are
 * recorded, never flagged.
 */
export function performanceStatistics(
  buckets: readonly AggregateBucket[],
  settings: PerformanceSettings,
  reference?: { value: number },
  baseline?: { value: number; model: string },
): MonitorStatistic[] {
  checkPerformanceSettings(settings, reference);
  const field = settings.predictionField;
  const out: MonitorStatistic[] = [];
  const realized = realizedMetric(buckets, settings.metric);
  if (realized !== undefined) out.push(metricStatistic(settings, realized, reference));
  if (realized !== undefined && baseline !== undefined && Number.isFinite(baseline.value)) {
    out.push(baselineMargin(settings, realized.value, baseline));
  }
  const served = total(buckets, (b) => b.count);
  const labelled = total(buckets, (b) => b.labelled);
  if (served > 0) {
    out.push(performance(field, 'label_coverage', labelled / served, undefined, false, { labelled, served }));
  }
  const delays = buckets
    .filter((b) => b.labelled > 0 && b.labelDelayP50 !== undefined)
    .map((b) => ({ value: b.labelDelayP50!, weight: b.labelled }));
  if (delays.length > 0) {
    out.push(
      performance(field, 'label_delay_p50_ms', weightedMedian(delays), undefined, false, {
        combined: 'labelled_weighted_median_of_bucket_medians',
        buckets: delays.length,
      }),
    );
  }
  return out;
}
