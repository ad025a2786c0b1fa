/**
 * Percentile bootstrap confidence intervals for any metric, and a paired bootstrap for the difference
 * between two models scored on the same rows. Pure and deterministic given a seed (xoshiro128**, see
 * random.ts). Built for millions of rows: one reused Int32Array of resample indices, no per-row allocation.
 */
import { invalidArgument, type ConfidenceInterval, type PairedDifference } from '@slipway/contracts';
import { Xoshiro128 } from './random.js';
import { quantileSorted } from './regression-metrics.js';

/**
 * A metric over a resample: `indices` holds n row numbers drawn with replacement. The array is reused
 * between calls, so a metric must read it synchronously and not keep it.
 */
export type ResampleMetric = (indices: Int32Array) => number;

/** Options shared by both bootstraps. */
export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  resamples?: number;
  /** Two-sided confidence level in (0, 1) (default 0.95). */
  confidence?: number;
  /** PRNG seed (default 0); the same seed, n and resamples give the same interval. */
  seed?: number | bigint;
}

/** Interval shapes are wire types: reports carry them as they are. */
export type { ConfidenceInterval, PairedDifference } from '@slipway/contracts';

/** Options with defaults filled in and checked. */
interface Settings {
  resamples: number;
  confidence: number;
  seed: number | bigint;
}

/** Fills defaults and rejects values that would make the interval meaningless. */
function settings(n: number, options: BootstrapOptions): Settings {
  const resamples = options.resamples ?? 1000;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(n) || n < 1) throw invalidArgument('n', `n must be a positive integer, got ${n}`);
  if (!Number.isInteger(resamples) || resamples < 1) {
    throw invalidArgument('resamples', `resamples must be a positive integer, got ${resamples}`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw invalidArgument('confidence', `confidence must be in (0, 1), got ${confidence}`);
  }
  return { resamples, confidence, seed: options.seed ?? 0 };
}

/**
 * The percentile interval of bootstrap statistics: NumPy's linear quantiles at (1 − c)/2 and
 * 1 − (1 − c)/2, i.e. `numpy.quantile(stats, [lo, 1 - lo])`. NaNs must already be removed.
 */
export function percentileInterval(
  statistics: ArrayLike<number>,
  confidence: number,
): { lower: number; upper: number } {
  if (!(confidence > 0 && confidence < 1)) {
    throw invalidArgument('confidence', `confidence must be in (0, 1), got ${confidence}`);
  }
  const sorted = Float64Array.from(statistics).sort();
  const tail = (1 - confidence) / 2;
  return { lower: quantileSorted(sorted, tail), upper: quantileSorted(sorted, 1 - tail) };
}

/** The identity resample 0…n−1, for the point estimate. */
function allRows(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

/**
 * Runs `resamples` resamples of n rows and returns `statistic` on each, in draw order (NaNs included).
 * Exposed so callers can inspect or reuse the bootstrap distribution.
 */
export function bootstrapStatistics(
  n: number,
  statistic: ResampleMetric,
  options: BootstrapOptions = {},
): Float64Array {
  const s = settings(n, options);
  const rng = Xoshiro128.fromSeed(s.seed);
  const indices = new Int32Array(n);
  const out = new Float64Array(s.resamples);
  for (let r = 0; r < s.resamples; r++) {
    rng.fillIndices(indices, n);
    out[r] = statistic(indices);
  }
  return out;
}

/** Keeps the non-NaN statistics (a copy) and counts the rest. */
function dropNaN(statistics: Float64Array): { kept: Float64Array; dropped: number } {
  const kept = statistics.filter((x) => !Number.isNaN(x));
  return { kept, dropped: statistics.length - kept.length };
}

/** Interval from a bootstrap distribution; all-NaN distributions give a NaN interval rather than a throw. */
function interval(estimate: number, statistics: Float64Array, confidence: number): ConfidenceInterval {
  const { kept, dropped } = dropNaN(statistics);
  const bounds =
    kept.length === 0 ? { lower: Number.NaN, upper: Number.NaN } : percentileInterval(kept, confidence);
  return { estimate, ...bounds, confidence, resamples: kept.length, droppedNaN: dropped };
}

/** Percentile bootstrap CI of `metric` over n rows. */
export function bootstrapCi(
  n: number,
  metric: ResampleMetric,
  options: BootstrapOptions = {},
): ConfidenceInterval {
  const s = settings(n, options);
  return interval(metric(allRows(n)), bootstrapStatistics(n, metric, s), s.confidence);
}

/**
 * Paired bootstrap of candidate − baseline: both metrics see the very same resample each round, so
 * row-level correlation between the models cancels instead of widening the interval.
 */
export function pairedBootstrap(
  n: number,
  candidate: ResampleMetric,
  baseline: ResampleMetric,
  options: BootstrapOptions = {},
): PairedDifference {
  const s = settings(n, options);
  const difference: ResampleMetric = (indices) => candidate(indices) - baseline(indices);
  const statistics = bootstrapStatistics(n, difference, s);
  const result = interval(difference(allRows(n)), statistics, s.confidence);
  let above = 0;
  for (const d of statistics) if (d > 0) above++;
  return { ...result, shareAboveZero: result.resamples === 0 ? Number.NaN : above / result.resamples };
}
