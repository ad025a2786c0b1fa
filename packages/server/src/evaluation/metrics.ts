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
import { rankingMetrics, type QueryMetrics, type RankingReport } from '../stats/ranking-metrics.js';
import type { Average, PrecisionRecallF1 } from '../stats/confusion.js';
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

/**
 * Truth and one ranker's scores; `queries[i]` is row i's query code (codes numbered by first
 * appearance in the dataset). Rows are regrouped by code on every view, so a slice's metrics are
 * per query on the slice's rows.
 */
export interface RankingView {
  kind: 'ranking';
  relevance: Float64Array;
  scores: Float64Array;
  queries: Int32Array;
  /** Cutoff of every metric; undefined = each query's whole list. */
  k: number | undefined;
}

/** What a metric reads. */
export type MetricView = ClassView | NumericView | RankingView;

/** A metric over a view; undefined when it has no value on these rows. */
type MetricFn<V> = (view: V) => number | undefined;

/** Which outputs a classification metric needs. */
export type Needs = 'labels' | 'scores' | 'probabilities';

interface ClassMetric {
  needs: Needs;
  fn: MetricFn<ClassView>;
}

/** The codes 0…k−1, the class list every multi-class stats call is given so absent classes still count. */
export function codes(k: number): number[] {
  return Array.from({ length: k }, (_, j) => j);
}

/**
 * precisionRecallF1 per view and average, so precision, recall and F1 of one average cost one call
 * (each call validates and scans every label). Views are never mutated: subView makes a fresh view
 * object per call, so a cached value always belongs to the rows it was computed on.
 */
const averagedCache = new WeakMap<ClassView, Map<Average, PrecisionRecallF1>>();

/** Precision / recall / F1 of `average` ('binary': of the positive class), computed once per view. */
function averaged(v: ClassView, average: Average): PrecisionRecallF1 {
  let byAverage = averagedCache.get(v);
  if (byAverage === undefined) averagedCache.set(v, (byAverage = new Map()));
  let result = byAverage.get(average);
  if (result === undefined) {
    result =
      average === 'binary'
        ? precisionRecallF1(v.truth, v.predictions.labels, { average, posLabel: v.positive })
        : precisionRecallF1(v.truth, v.predictions.labels, { average });
    byAverage.set(average, result);
  }
  return result;
}

/** A label metric reading one field of an average. */
function prfMetric(average: Average, field: keyof PrecisionRecallF1): ClassMetric {
  return { needs: 'labels', fn: (v) => averaged(v, average)[field] };
}

const BINARY: Record<string, ClassMetric> = {
  accuracy: { needs: 'labels', fn: (v) => accuracy(v.truth, v.predictions.labels) },
  balancedAccuracy: { needs: 'labels', fn: (v) => balancedAccuracy(v.truth, v.predictions.labels) },
  precision: prfMetric('binary', 'precision'),
  recall: prfMetric('binary', 'recall'),
  f1: prfMetric('binary', 'f1'),
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
  macroF1: prfMetric('macro', 'f1'),
  weightedF1: prfMetric('weighted', 'f1'),
  macroPrecision: prfMetric('macro', 'precision'),
  macroRecall: prfMetric('macro', 'recall'),
  microPrecision: prfMetric('micro', 'precision'),
  microRecall: prfMetric('micro', 'recall'),
  microF1: prfMetric('micro', 'f1'),
  weightedPrecision: prfMetric('weighted', 'precision'),
  weightedRecall: prfMetric('weighted', 'recall'),
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

/** Per-query metrics and their means, computed once per view (views are never mutated, as above). */
const rankingCache = new WeakMap<RankingView, RankingReport>();

/** `rankingMetrics` of a view: rows grouped by query code, every query averaged (none skipped). */
export function rankingReportOf(v: RankingView): RankingReport {
  let report = rankingCache.get(v);
  if (report === undefined) {
    report = rankingMetrics(
      { queryIds: v.queries, relevance: v.relevance, scores: v.scores },
      v.k === undefined ? {} : { k: v.k },
    );
    rankingCache.set(v, report);
  }
  return report;
}

/** A ranking metric: its mean over queries, and the per-query value the bootstrap averages. */
interface RankingMetric {
  mean: (report: RankingReport) => number;
  perQuery: (q: QueryMetrics) => number;
}

/** Ranking metrics, all means over queries with equal weight; see docs/metrics.md. */
const RANKING: Record<string, RankingMetric> = {
  ndcg: { mean: (r) => r.ndcg, perQuery: (q) => q.ndcg },
  map: { mean: (r) => r.map, perQuery: (q) => q.averagePrecision },
  mrr: { mean: (r) => r.mrr, perQuery: (q) => q.reciprocalRank },
  precision: { mean: (r) => r.precision, perQuery: (q) => q.precision },
  recall: { mean: (r) => r.recall, perQuery: (q) => q.recall },
};

/** The per-query value of a ranking metric, or undefined for a name ranking does not define. */
export function rankingPerQuery(name: string): ((q: QueryMetrics) => number) | undefined {
  return RANKING[name]?.perQuery;
}

/** Log loss over the full probability matrix, so every class is a column even when absent from the rows. */
function classLogLoss(v: ClassView): number {
  return logLoss(v.truth, v.predictions.probabilities ?? [], { labels: codes(v.k) });
}

/** Metric names of a task, in report order. */
export function metricNames(task: EvaluationTask): string[] {
  if (task === 'regression') return Object.keys(REGRESSION);
  if (task === 'ranking') return Object.keys(RANKING);
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
  if (task === 'ranking') {
    const metric = RANKING[name];
    if (metric === undefined || sample.kind !== 'ranking') return undefined;
    return (v) => {
      const value = metric.mean(rankingReportOf(v as RankingView));
      return Number.isNaN(value) ? undefined : value;
    };
  }
  const metric = (task === 'binary' ? BINARY : MULTICLASS)[name];
  if (metric === undefined || sample.kind !== 'class' || !available(metric.needs, sample.predictions))
    return undefined;
  return (v) => metric.fn(v as ClassView);
}

/** What a metric reads, so a resample copies only that; regression metrics read everything. */
export function metricNeeds(task: EvaluationTask, name: string): ViewNeeds {
  if (task === 'regression' || task === 'ranking') return 'all';
  return (task === 'binary' ? BINARY : MULTICLASS)[name]?.needs ?? 'all';
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

/** What subView copies: the outputs one metric needs, or everything (slices score every metric). */
export type ViewNeeds = Needs | 'all';

/**
 * Output arrays subView may fill instead of allocating, for callers that take many views of one size
 * and drop each before the next (the bootstrap: one metric per resample, read synchronously).
 */
export class ViewBuffers {
  private readonly int32 = new Map<string, Int32Array>();
  private readonly float64 = new Map<string, Float64Array>();

  /** An Int32Array of length n for `key`, reused while n stays the same. */
  ints(key: string, n: number): Int32Array {
    let out = this.int32.get(key);
    if (out?.length !== n) this.int32.set(key, (out = new Int32Array(n)));
    return out;
  }

  /** A Float64Array of length n for `key`, reused while n stays the same. */
  floats(key: string, n: number): Float64Array {
    let out = this.float64.get(key);
    if (out?.length !== n) this.float64.set(key, (out = new Float64Array(n)));
    return out;
  }
}

/** Fresh arrays, for views that are kept (slices). */
const FRESH = {
  ints: (_key: string, n: number): Int32Array => new Int32Array(n),
  floats: (_key: string, n: number): Float64Array => new Float64Array(n),
};

/** Copies `source` at `indices` into `out`. */
function gather<T extends Int32Array | Float64Array>(source: T, indices: Int32Array, out: T): T {
  for (let i = 0; i < indices.length; i++) out[i] = source[indices[i] as number] as number;
  return out;
}

/** A row-major matrix's rows at `indices`, into `out`. */
function gatherRows(matrix: Float64Array, k: number, indices: Int32Array, out: Float64Array): Float64Array {
  for (let i = 0; i < indices.length; i++) {
    const from = (indices[i] as number) * k;
    const to = i * k;
    for (let j = 0; j < k; j++) out[to + j] = matrix[from + j] as number;
  }
  return out;
}

/**
 * The view restricted to `indices` (a slice or a resample). Only the outputs `needs` names are
 * copied (the others are left out of the view): a labels metric never pays for the probability
 * matrix. With `buffers`, the arrays are reused between calls, so the view is valid only until the
 * next call with the same buffers.
 */
export function subView(
  view: MetricView,
  indices: Int32Array,
  needs: ViewNeeds = 'all',
  buffers: Pick<ViewBuffers, 'ints' | 'floats'> = FRESH,
): MetricView {
  const n = indices.length;
  if (view.kind === 'ranking') {
    return {
      kind: 'ranking',
      relevance: gather(view.relevance, indices, buffers.floats('relevance', n)),
      scores: gather(view.scores, indices, buffers.floats('scores', n)),
      queries: gather(view.queries, indices, buffers.ints('queries', n)),
      k: view.k,
    };
  }
  if (view.kind === 'numeric') {
    return {
      kind: 'numeric',
      truth: gather(view.truth, indices, buffers.floats('truth', n)),
      predictions: gather(view.predictions, indices, buffers.floats('predictions', n)),
    };
  }
  const p = view.predictions;
  const wantsProbabilities = needs === 'all' || needs === 'probabilities';
  // Binary probability metrics read the positive-class column from `scores` (Brier).
  const wantsScores = needs !== 'labels';
  const predictions: ClassPredictions = {
    labels: gather(p.labels, indices, buffers.ints('labels', n)),
    probabilities:
      p.probabilities === undefined || !wantsProbabilities
        ? undefined
        : gatherRows(p.probabilities, view.k, indices, buffers.floats('probabilities', n * view.k)),
    scores:
      p.scores === undefined || !wantsScores
        ? undefined
        : gather(p.scores, indices, buffers.floats('scores', n)),
    scoresAreProbabilities: p.scoresAreProbabilities,
  };
  return { ...view, truth: gather(view.truth, indices, buffers.ints('truth', n)), predictions };
}
