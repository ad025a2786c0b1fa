/**
 * The metric set of each task, computed on typed arrays over an optional list of row indices (a slice
 * or a bootstrap resample). Every value comes from one call into stats/, so evaluation and the stats
 * tests agree by construction.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  logLoss,
  precisionRecallF1,
  rocAuc,
  rocAucOvr,
} from '../stats/classification-metrics.js';
import {
  DEFAULT_RESIDUAL_QUANTILES,
  explainedVarianceScore,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  medianAbsoluteError,
  r2Score,
  residualQuantiles,
  rootMeanSquaredError,
} from '../stats/regression-metrics.js';
import type { EvaluationTask, MetricValues } from './evaluation-types.js';
import type { ClassPredictions } from './predictions.js';

/** Truth and one classifier's predictions, over the same rows. */
export interface ClassView {
  kind: 'class';
  truth: Int32Array;
  k: number;
  /** Binary: the sorted code of the positive class. */
  positive: number;
  predictions: ClassPredictions;
}

/** Truth and one regressor's predictions. */
export interface NumericView {
  kind: 'numeric';
  truth: Float64Array;
  predictions: Float64Array;
}

/** What a metric reads. */
export type MetricView = ClassView | NumericView;

/** A metric over a view; undefined when it has no value on these rows. */
type MetricFn<V> = (view: V) => number | undefined;

/** Which outputs a classification metric needs. */
type Needs = 'labels' | 'scores' | 'probabilities';

interface ClassMetric {
  needs: Needs;
  fn: MetricFn<ClassView>;
}

/** The codes 0…k−1, the class list every multi-class stats call is given so absent classes still count. */
function codes(k: number): number[] {
  return Array.from({ length: k }, (_, j) => j);
}

const BINARY: Record<string, ClassMetric> = {
  accuracy: { needs: 'labels', fn: (v) => accuracy(v.truth, v.predictions.labels) },
  balancedAccuracy: { needs: 'labels', fn: (v) => balancedAccuracy(v.truth, v.predictions.labels) },
  precision: { needs: 'labels', fn: (v) => binaryPrf(v).precision },
  recall: { needs: 'labels', fn: (v) => binaryPrf(v).recall },
  f1: { needs: 'labels', fn: (v) => binaryPrf(v).f1 },
  rocAuc: {
    needs: 'scores',
    fn: (v) => rocAuc(v.truth, v.predictions.scores ?? [], { posLabel: v.positive }),
  },
  averagePrecision: {
    needs: 'scores',
    fn: (v) => averagePrecision(v.truth, v.predictions.scores ?? [], { posLabel: v.positive }),
  },
  logLoss: { needs: 'probabilities', fn: (v) => classLogLoss(v) },
  brier: {
    needs: 'probabilities',
    fn: (v) => brierScore(v.truth, v.predictions.scores ?? [], { posLabel: v.positive }),
  },
};

const MULTICLASS: Record<string, ClassMetric> = {
  accuracy: BINARY.accuracy as ClassMetric,
  balancedAccuracy: BINARY.balancedAccuracy as ClassMetric,
  macroF1: {
    needs: 'labels',
    fn: (v) => precisionRecallF1(v.truth, v.predictions.labels, { average: 'macro' }).f1,
  },
  weightedF1: {
    needs: 'labels',
    fn: (v) => precisionRecallF1(v.truth, v.predictions.labels, { average: 'weighted' }).f1,
  },
  rocAucOvr: {
    needs: 'probabilities',
    fn: (v) => rocAucOvr(v.truth, v.predictions.probabilities ?? [], { labels: codes(v.k) }),
  },
  logLoss: { needs: 'probabilities', fn: (v) => classLogLoss(v) },
};

/** Name for a residual quantile level, e.g. 0.05 → `residualP05`. */
export function residualName(level: number): string {
  return `residualP${String(Math.round(level * 100)).padStart(2, '0')}`;
}

const REGRESSION: Record<string, MetricFn<NumericView>> = {
  mae: (v) => meanAbsoluteError(v.truth, v.predictions),
  mse: (v) => meanSquaredError(v.truth, v.predictions),
  rmse: (v) => rootMeanSquaredError(v.truth, v.predictions),
  r2: (v) => r2Score(v.truth, v.predictions),
  mape: (v) => meanAbsolutePercentageError(v.truth, v.predictions),
  medianAbsoluteError: (v) => medianAbsoluteError(v.truth, v.predictions),
  explainedVariance: (v) => explainedVarianceScore(v.truth, v.predictions),
  ...Object.fromEntries(
    DEFAULT_RESIDUAL_QUANTILES.map((q) => [
      residualName(q),
      (v: NumericView) => residualQuantiles(v.truth, v.predictions, [q])[0],
    ]),
  ),
};

/** Binary precision / recall / F1 of the positive class. */
function binaryPrf(v: ClassView): { precision: number; recall: number; f1: number } {
  return precisionRecallF1(v.truth, v.predictions.labels, { average: 'binary', posLabel: v.positive });
}

/** Log loss over the full probability matrix, so every class is a column even when absent from the rows. */
function classLogLoss(v: ClassView): number {
  return logLoss(v.truth, v.predictions.probabilities ?? [], { labels: codes(v.k) });
}

/** Metric names of a task, in report order. */
export function metricNames(task: EvaluationTask): string[] {
  if (task === 'regression') return Object.keys(REGRESSION);
  return Object.keys(task === 'binary' ? BINARY : MULTICLASS);
}

/** Whether a classifier's outputs can give a metric that needs `needs`. */
function available(needs: Needs, p: ClassPredictions): boolean {
  if (needs === 'labels') return true;
  if (needs === 'scores') return p.scores !== undefined;
  return p.probabilities !== undefined;
}

/** The function computing `name` on a view, or undefined when the view's outputs cannot give it. */
export function metricFunction(
  task: EvaluationTask,
  name: string,
  sample: MetricView,
): MetricFn<MetricView> | undefined {
  if (task === 'regression') {
    const fn = REGRESSION[name];
    return fn === undefined ? undefined : (v) => fn(v as NumericView);
  }
  const metric = (task === 'binary' ? BINARY : MULTICLASS)[name];
  if (metric === undefined || sample.kind !== 'class' || !available(metric.needs, sample.predictions))
    return undefined;
  return (v) => metric.fn(v as ClassView);
}

/** Rejects a metric name the task does not define (e.g. a gate or headline typo). */
export function requireMetricName(task: EvaluationTask, name: string, field: string): void {
  if (!metricNames(task).includes(name)) {
    throw invalidArgument(
      field,
      `'${name}' is not a ${task} metric; expected one of ${metricNames(task).join(', ')}`,
    );
  }
}

/** Every metric the view's outputs can give. */
export function computeMetrics(task: EvaluationTask, view: MetricView): MetricValues {
  const out: MetricValues = {};
  for (const name of metricNames(task)) {
    const fn = metricFunction(task, name, view);
    if (fn !== undefined) out[name] = fn(view) ?? null;
  }
  return out;
}

/** Copies `source` at `indices` (works for any typed array kind). */
function gather<T extends Int32Array | Float64Array>(
  source: T,
  indices: Int32Array,
  make: (n: number) => T,
): T {
  const out = make(indices.length);
  for (let i = 0; i < indices.length; i++) out[i] = source[indices[i] as number] as number;
  return out;
}

/** A row-major matrix's rows at `indices`. */
function gatherRows(matrix: Float64Array, k: number, indices: Int32Array): Float64Array {
  const out = new Float64Array(indices.length * k);
  for (let i = 0; i < indices.length; i++) {
    const from = (indices[i] as number) * k;
    for (let j = 0; j < k; j++) out[i * k + j] = matrix[from + j] as number;
  }
  return out;
}

/** The view restricted to `indices` (a slice or a resample), as fresh typed arrays. */
export function subView(view: MetricView, indices: Int32Array): MetricView {
  const f64 = (n: number): Float64Array => new Float64Array(n);
  if (view.kind === 'numeric') {
    return {
      kind: 'numeric',
      truth: gather(view.truth, indices, f64),
      predictions: gather(view.predictions, indices, f64),
    };
  }
  const p = view.predictions;
  const predictions: ClassPredictions = {
    labels: gather(p.labels, indices, (n) => new Int32Array(n)),
    probabilities: p.probabilities === undefined ? undefined : gatherRows(p.probabilities, view.k, indices),
    scores: p.scores === undefined ? undefined : gather(p.scores, indices, f64),
    scoresAreProbabilities: p.scoresAreProbabilities,
  };
  return { ...view, truth: gather(view.truth, indices, (n) => new Int32Array(n)), predictions };
}
