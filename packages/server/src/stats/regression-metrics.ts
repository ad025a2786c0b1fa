/**
 * Regression metrics with scikit-learn 1.2 semantics (names, edge cases, sample weights) and NumPy's
 * summation order, so results agree with sklearn.metrics to ~1 ulp. Pure. Definitions and edge cases
 * are in docs/metrics-regression-ranking.md.
 */
import { invalidArgument } from '@slipway/contracts';

/** Numeric input: plain arrays or typed arrays, read-only. */
export type Numbers = ArrayLike<number>;

/** Residual quantile levels reported by `regressionMetrics` unless the caller picks others. */
export const DEFAULT_RESIDUAL_QUANTILES: readonly number[] = [0.05, 0.25, 0.5, 0.75, 0.95];

/** NumPy's float64 machine epsilon, the floor sklearn puts under |y_true| in MAPE. */
const FLOAT64_EPS = 2.220446049250313e-16;

/** NumPy's pairwise-summation block size (PW_BLOCKSIZE in loops_utils.h). */
const PAIRWISE_BLOCK = 128;

/**
 * Sums `values[start, start + n)` in exactly NumPy's pairwise order (8 accumulators per block of at most
 * 128, halves split on multiples of 8), so sums match `numpy.sum` bit for bit, not just closely.
 */
export function pairwiseSum(values: Numbers, start = 0, n = values.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = start; i < start + n; i++) res += values[i] as number;
    return res;
  }
  if (n <= PAIRWISE_BLOCK) return blockSum(values, start, n);
  let half = Math.floor(n / 2);
  half -= half % 8;
  return pairwiseSum(values, start, half) + pairwiseSum(values, start + half, n - half);
}

/** One pairwise leaf: eight interleaved running sums, combined as a tree, then the tail. */
function blockSum(values: Numbers, start: number, n: number): number {
  const r = [0, 0, 0, 0, 0, 0, 0, 0];
  for (let j = 0; j < 8; j++) r[j] = values[start + j] as number;
  let i = 8;
  for (; i < n - (n % 8); i += 8) {
    for (let j = 0; j < 8; j++) r[j] = (r[j] as number) + (values[start + i + j] as number);
  }
  const [r0, r1, r2, r3, r4, r5, r6, r7] = r as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  let res = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
  for (; i < n; i++) res += values[start + i] as number;
  return res;
}

/**
 * Linear-interpolated quantile of already-sorted values, NumPy's default method ('linear', type 7),
 * including its two-sided lerp (`b - (b - a)(1 - t)` when t ≥ 0.5) that keeps results monotone.
 */
export function quantileSorted(sorted: Numbers, q: number): number {
  const n = sorted.length;
  if (n === 0) throw invalidArgument('values', 'quantile of an empty array');
  if (!(q >= 0 && q <= 1)) throw invalidArgument('q', `quantile level must be in [0, 1], got ${q}`);
  const virtual = (n - 1) * q;
  const lo = Math.floor(virtual);
  const hi = Math.min(lo + 1, n - 1);
  const t = virtual - lo;
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Checks lengths, finiteness and weights once, so each metric can assume clean input. */
function validate(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): void {
  if (yTrue.length === 0) throw invalidArgument('yTrue', 'regression metrics need at least one row');
  if (yPred.length !== yTrue.length) {
    throw invalidArgument('yPred', `yPred has ${yPred.length} rows, yTrue has ${yTrue.length}`);
  }
  assertFinite('yTrue', yTrue);
  assertFinite('yPred', yPred);
  if (sampleWeight === undefined) return;
  if (sampleWeight.length !== yTrue.length) {
    throw invalidArgument(
      'sampleWeight',
      `sampleWeight has ${sampleWeight.length} rows, yTrue has ${yTrue.length}`,
    );
  }
  for (let i = 0; i < sampleWeight.length; i++) {
    const w = sampleWeight[i] as number;
    if (!(w >= 0 && Number.isFinite(w))) {
      throw invalidArgument('sampleWeight', `weights must be finite and non-negative (row ${i} is ${w})`);
    }
  }
  if (pairwiseSum(sampleWeight) === 0) throw invalidArgument('sampleWeight', 'weights sum to zero');
}

/** NaN or ±Infinity would silently poison every sum; sklearn rejects them too. */
function assertFinite(field: string, values: Numbers): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw invalidArgument(field, `row ${i} is not a finite number`);
  }
}

/** Applies `f` row by row into a fresh Float64Array (NumPy's elementwise step before a reduction). */
function map(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}

/** `numpy.average(values, weights=sampleWeight)`: Σw·x / Σw, or the plain mean. */
function average(values: Float64Array, sampleWeight?: Numbers): number {
  if (sampleWeight === undefined) return pairwiseSum(values) / values.length;
  const w = sampleWeight;
  return pairwiseSum(map(values.length, (i) => (values[i] as number) * (w[i] as number))) / pairwiseSum(w);
}

/** True when every row with positive weight has the same value: a zero variance known exactly. */
function isConstant(values: Numbers, sampleWeight?: Numbers): boolean {
  let first: number | undefined;
  for (let i = 0; i < values.length; i++) {
    if (sampleWeight !== undefined && sampleWeight[i] === 0) continue;
    const v = values[i] as number;
    if (first === undefined) first = v;
    else if (v !== first) return false;
  }
  return true;
}

/**
 * sklearn's `force_finite` rule shared by R² and explained variance: perfect predictions score 1, an
 * imperfect model of a constant target scores 0 (instead of NaN or -Infinity).
 */
function oneMinusRatio(numerator: number, denominator: number): number {
  if (numerator === 0) return 1;
  if (denominator === 0) return 0;
  return 1 - numerator / denominator;
}

/** Mean absolute error, `sklearn.metrics.mean_absolute_error`. */
export function meanAbsoluteError(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  return average(
    map(yTrue.length, (i) => Math.abs((yPred[i] as number) - (yTrue[i] as number))),
    sampleWeight,
  );
}

/** Mean squared error, `sklearn.metrics.mean_squared_error`. */
export function meanSquaredError(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  return average(squaredErrors(yTrue, yPred), sampleWeight);
}

/** (y_true − y_pred)² per row. */
function squaredErrors(yTrue: Numbers, yPred: Numbers): Float64Array {
  return map(yTrue.length, (i) => {
    const d = (yTrue[i] as number) - (yPred[i] as number);
    return d * d;
  });
}

/** Root mean squared error, `mean_squared_error(..., squared=False)` in sklearn 1.2. */
export function rootMeanSquaredError(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  return Math.sqrt(meanSquaredError(yTrue, yPred, sampleWeight));
}

/**
 * Coefficient of determination, `sklearn.metrics.r2_score`: NaN below two rows, 1 for perfect
 * predictions, 0 for imperfect predictions of a constant target.
 */
export function r2Score(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  if (yTrue.length < 2) return Number.NaN;
  const w = sampleWeight;
  const weighted = (x: Float64Array): Float64Array =>
    w === undefined ? x : map(x.length, (i) => (w[i] as number) * (x[i] as number));
  const numerator = pairwiseSum(weighted(squaredErrors(yTrue, yPred)));
  // Exact constancy instead of `denominator != 0`: a constant target's mean can carry rounding noise.
  if (isConstant(yTrue, w)) return oneMinusRatio(numerator, 0);
  const mean = average(Float64Array.from(yTrue), w);
  const denominator = pairwiseSum(weighted(map(yTrue.length, (i) => ((yTrue[i] as number) - mean) ** 2)));
  return oneMinusRatio(numerator, denominator);
}

/**
 * Mean absolute percentage error, `sklearn.metrics.mean_absolute_percentage_error`: a fraction, not a
 * percent, with |y_true| floored at machine epsilon, so a zero target gives a huge but finite error.
 */
export function meanAbsolutePercentageError(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  const ratios = map(yTrue.length, (i) => {
    const t = yTrue[i] as number;
    return Math.abs((yPred[i] as number) - t) / Math.max(Math.abs(t), FLOAT64_EPS);
  });
  return average(ratios, sampleWeight);
}

/**
 * Median absolute error, `sklearn.metrics.median_absolute_error`: `numpy.median` unweighted, sklearn's
 * lower weighted percentile (first value whose weight CDF reaches half the total) when weighted.
 */
export function medianAbsoluteError(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  const errors = map(yTrue.length, (i) => Math.abs((yPred[i] as number) - (yTrue[i] as number)));
  return sampleWeight === undefined ? median(errors) : weightedMedian(errors, sampleWeight);
}

/** `numpy.median`: the middle value, or the mean of the two middle values. */
function median(values: Float64Array): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] as number;
  return ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** sklearn's `_weighted_percentile(values, weights, 50)`; which of tied values comes first cannot change it. */
function weightedMedian(values: Float64Array, weights: Numbers): number {
  const order = Array.from(values.keys()).sort((a, b) => (values[a] as number) - (values[b] as number));
  let total = 0;
  const cdf = order.map((i) => (total += weights[i] as number));
  let target = 0.5 * total;
  // sklearn nudges a zero target up so leading zero-weight rows are skipped (its GH20528).
  if (target === 0) target = Number.MIN_VALUE;
  let k = cdf.findIndex((c) => c >= target);
  if (k < 0) k = order.length - 1;
  return values[order[k] as number] as number;
}

/**
 * Explained variance, `sklearn.metrics.explained_variance_score`: 1 − Var(y_true − y_pred) / Var(y_true),
 * with the same perfect / constant-target rules as R².
 */
export function explainedVarianceScore(yTrue: Numbers, yPred: Numbers, sampleWeight?: Numbers): number {
  validate(yTrue, yPred, sampleWeight);
  const n = yTrue.length;
  const diff = map(n, (i) => (yTrue[i] as number) - (yPred[i] as number));
  const numerator = isConstant(diff, sampleWeight) ? 0 : variance(diff, sampleWeight);
  const denominator = isConstant(yTrue, sampleWeight) ? 0 : variance(Float64Array.from(yTrue), sampleWeight);
  return oneMinusRatio(numerator, denominator);
}

/** Weighted population variance in NumPy's order: average((x − average(x))²). */
function variance(values: Float64Array, sampleWeight?: Numbers): number {
  const mean = average(values, sampleWeight);
  return average(
    map(values.length, (i) => ((values[i] as number) - mean) ** 2),
    sampleWeight,
  );
}

/**
 * Quantiles of the residuals y_true − y_pred (positive = under-prediction), NumPy's 'linear' method,
 * unweighted: `numpy.quantile(y_true - y_pred, levels)`.
 */
export function residualQuantiles(
  yTrue: Numbers,
  yPred: Numbers,
  levels: readonly number[] = DEFAULT_RESIDUAL_QUANTILES,
): number[] {
  validate(yTrue, yPred);
  const residuals = map(yTrue.length, (i) => (yTrue[i] as number) - (yPred[i] as number)).sort();
  return levels.map((q) => quantileSorted(residuals, q));
}

/** Every regression metric for one model, as `regressionMetrics` returns it. */
export interface RegressionReport {
  rows: number;
  mae: number;
  mse: number;
  rmse: number;
  r2: number;
  mape: number;
  medianAbsoluteError: number;
  explainedVariance: number;
  /** Levels and values side by side, in the order requested. */
  residualQuantiles: { level: number; value: number }[];
}

/** Options for `regressionMetrics`. */
export interface RegressionOptions {
  /** Per-row weights (all metrics except residual quantiles, which are unweighted like numpy.quantile). */
  sampleWeight?: Numbers;
  quantiles?: readonly number[];
}

/** All regression metrics at once. */
export function regressionMetrics(
  yTrue: Numbers,
  yPred: Numbers,
  options: RegressionOptions = {},
): RegressionReport {
  const w = options.sampleWeight;
  const levels = options.quantiles ?? DEFAULT_RESIDUAL_QUANTILES;
  const values = residualQuantiles(yTrue, yPred, levels);
  return {
    rows: yTrue.length,
    mae: meanAbsoluteError(yTrue, yPred, w),
    mse: meanSquaredError(yTrue, yPred, w),
    rmse: rootMeanSquaredError(yTrue, yPred, w),
    r2: r2Score(yTrue, yPred, w),
    mape: meanAbsolutePercentageError(yTrue, yPred, w),
    medianAbsoluteError: medianAbsoluteError(yTrue, yPred, w),
    explainedVariance: explainedVarianceScore(yTrue, yPred, w),
    residualQuantiles: levels.map((level, i) => ({ level, value: values[i] as number })),
  };
}
