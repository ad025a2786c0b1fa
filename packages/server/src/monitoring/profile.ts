/**
 * Data profiles: a compact, JSON-serializable, mergeable summary of a table's columns, so drift over a
 * day, a week or a month is computed from stored profiles and never rescans rows. Numeric columns keep
 * exact moments (merged by Chan's parallel formula), a histogram on fixed bin edges chosen from the
 * reference, a KLL quantile sketch and a bounded uniform reservoir; categorical columns keep their top
 * categories' counts plus an "other" count. Both kinds also keep lag-1 sums over consecutive rows, so
 * the p-value tests can allow for autocorrelation (autocorrelation.ts). Pure. See docs/monitoring.md.
 */
import { invalidArgument } from '@slipway/contracts';
import { Xoshiro128 } from '../stats/random.js';
import {
  mergeCategoricalLag,
  mergeNumericLag,
  numericLagStats,
  type CategoricalLagStats,
  type NumericLagStats,
} from './autocorrelation.js';
import { pairwiseSum, quantileSorted } from '../stats/regression-metrics.js';
import {
  DEFAULT_SKETCH_K,
  emptySketch,
  sketchMerge,
  sketchUpdate,
  type QuantileSketchState,
} from './quantile-sketch.js';
import {
  DEFAULT_RESERVOIR_SIZE,
  emptyReservoir,
  reservoirIsComplete,
  reservoirMerge,
  reservoirUpdate,
  type ReservoirState,
} from './reservoir.js';

/**
 * Profile format version, so stored profiles can be read after the format changes. 2 added the
 * optional `lag` sums; a version 1 profile reads as one whose columns have none.
 */
export const PROFILE_VERSION = 2;
/** Default number of quantile bins between the reference's minimum and maximum. */
export const DEFAULT_BINS = 20;
/** Default number of categories counted by name; the rest go to `otherCount`. */
export const DEFAULT_TOP_CATEGORIES = 100;

/** How a column is summarized. */
export type ColumnKind = 'numeric' | 'categorical';

/**
 * Counts on fixed edges e_0 < … < e_m: counts[0] holds x < e_0, counts[i] holds e_{i-1} <= x < e_i
 * (the last inner bin also takes x = e_m), counts[m + 1] holds x > e_m. The open-ended outer bins catch
 * current values outside the reference's range.
 */
export interface Histogram {
  edges: number[];
  counts: number[];
}

/**
 * Summary of a numeric column. `count` excludes missing and invalid values; moments are over present
 * values. Rows = count + missing + invalid.
 */
export interface NumericColumnProfile {
  kind: 'numeric';
  count: number;
  /** Null, undefined, NaN or ±Infinity. */
  missing: number;
  /** Values of another type (strings, booleans, objects): counted for data quality, kept out of every statistic. */
  invalid: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  /** Sum of squared deviations from the mean (M2); variance = m2 / count. */
  m2: number;
  histogram: Histogram;
  sketch: QuantileSketchState;
  reservoir: ReservoirState;
  /** Lag-1 sums in row order; absent in profiles stored before version 2 (then treated as independent). */
  lag?: NumericLagStats;
}

/**
 * Summary of a categorical column (strings, booleans, or numbers a schema calls categorical). `count`
 * excludes missing and invalid values. Rows = count + missing + invalid.
 */
export interface CategoricalColumnProfile {
  kind: 'categorical';
  count: number;
  /** Null or undefined. */
  missing: number;
  /** Values no category can hold (objects, arrays): counted for data quality, kept out of the categories. */
  invalid: number;
  /** Maximum number of categories counted by name. */
  topN: number;
  /** Category → count, at most topN entries; booleans are keyed "true" and "false". */
  categories: Record<string, number>;
  /** Present values outside the top categories. */
  otherCount: number;
  /** Consecutive equal pairs in row order; absent before version 2 (then treated as independent). */
  lag?: CategoricalLagStats;
}

/** Summary of one column. */
export type ColumnProfile = NumericColumnProfile | CategoricalColumnProfile;

/** Summary of a table: plain JSON, safe to store and to merge later. */
export interface DataProfile {
  version: number;
  rowCount: number;
  columns: Record<string, ColumnProfile>;
}

/** Rows as records, or columns as arrays of equal length. */
export type TableInput = readonly Record<string, unknown>[] | Readonly<Record<string, readonly unknown[]>>;

/** Knobs for building a profile; the defaults suit monitoring. */
export interface ProfileOptions {
  /** Column kinds; columns not named are inferred from their values. */
  schema?: Record<string, ColumnKind>;
  /** Quantile bins for numeric histograms (default 20). */
  bins?: number;
  /** Categories counted by name (default 100). */
  topCategories?: number;
  /** Reservoir capacity (default 5,000). */
  reservoirSize?: number;
  /** KLL accuracy parameter (default 200). */
  sketchK?: number;
  /** Seed of the reservoir's sampling stream (default 0). */
  seed?: number;
}

/** Options with defaults filled in. */
interface Settings {
  schema: Record<string, ColumnKind>;
  bins: number;
  topCategories: number;
  reservoirSize: number;
  sketchK: number;
  seed: number;
}

/** Fills defaults and checks the numbers. */
function settings(options: ProfileOptions): Settings {
  const s = {
    schema: options.schema ?? {},
    bins: options.bins ?? DEFAULT_BINS,
    topCategories: options.topCategories ?? DEFAULT_TOP_CATEGORIES,
    reservoirSize: options.reservoirSize ?? DEFAULT_RESERVOIR_SIZE,
    sketchK: options.sketchK ?? DEFAULT_SKETCH_K,
    seed: options.seed ?? 0,
  };
  for (const field of ['bins', 'topCategories'] as const) {
    if (!Number.isInteger(s[field]) || s[field] < 1) {
      throw invalidArgument(field, `${field} must be a positive integer, got ${s[field]}`);
    }
  }
  return s;
}

/** The table as named columns, checking that column arrays share one length. */
function toColumns(data: TableInput): { rowCount: number; columns: Map<string, readonly unknown[]> } {
  const columns = new Map<string, unknown[]>();
  if (Array.isArray(data)) {
    const rows = data as readonly Record<string, unknown>[];
    rows.forEach((row, i) => {
      if (row === null || typeof row !== 'object')
        throw invalidArgument(`rows[${i}]`, 'each row must be an object');
      for (const name of Object.keys(row)) {
        if (!columns.has(name)) columns.set(name, new Array<unknown>(rows.length).fill(undefined));
      }
    });
    rows.forEach((row, i) => {
      for (const [name, values] of columns) values[i] = row[name];
    });
    return { rowCount: rows.length, columns };
  }
  const record = data as Readonly<Record<string, readonly unknown[]>>;
  let rowCount: number | undefined;
  const out = new Map<string, readonly unknown[]>();
  for (const [name, values] of Object.entries(record)) {
    if (!Array.isArray(values)) throw invalidArgument(`columns.${name}`, 'each column must be an array');
    if (rowCount !== undefined && values.length !== rowCount) {
      throw invalidArgument(`columns.${name}`, `column has ${values.length} values, expected ${rowCount}`);
    }
    rowCount = values.length;
    out.set(name, values);
  }
  return { rowCount: rowCount ?? 0, columns: out };
}

/** Null, undefined and NaN are missing in every column. */
function isMissing(v: unknown): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
}

/** Numeric when every present value is a number, categorical when every one is a string or boolean. */
function inferKind(name: string, values: readonly unknown[]): ColumnKind {
  let numbers = 0;
  let others = 0;
  for (const v of values) {
    if (isMissing(v)) continue;
    if (typeof v === 'number') numbers++;
    else if (typeof v === 'string' || typeof v === 'boolean') others++;
    else
      throw invalidArgument(
        `columns.${name}`,
        `unsupported value type ${typeof v}; expected numbers, strings or booleans`,
      );
  }
  if (numbers > 0 && others > 0) {
    throw invalidArgument(
      `columns.${name}`,
      'column mixes numbers with strings or booleans; name its kind in the schema',
    );
  }
  return numbers > 0 ? 'numeric' : 'categorical';
}

/**
 * Present, finite numbers of a numeric column, and how many values were missing or of another type.
 * A wrong-typed value is counted, not refused: a current window with bad inputs must still be profiled
 * so data quality can report them.
 */
function numericValues(values: readonly unknown[]): {
  present: Float64Array;
  missing: number;
  invalid: number;
} {
  const present: number[] = [];
  let missing = 0;
  let invalid = 0;
  for (const v of values) {
    if (isMissing(v)) missing++;
    else if (typeof v !== 'number') invalid++;
    else if (!Number.isFinite(v)) missing++;
    else present.push(v);
  }
  return { present: Float64Array.from(present), missing, invalid };
}

/** Quantile-based edges from sorted reference values: deduplicated, at least two (a constant column gets [v, v]). */
export function quantileEdges(sorted: Float64Array, bins: number): number[] {
  if (sorted.length === 0) return [];
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  if (edges.length === 1) edges.push(edges[0]!);
  return edges;
}

/** Index of x's bin on `edges` (see Histogram). */
export function binIndex(edges: readonly number[], x: number): number {
  const last = edges.length - 1;
  if (x < edges[0]!) return 0;
  if (x > edges[last]!) return last + 1;
  if (x === edges[last]) return last;
  let lo = 0;
  let hi = last;
  // Smallest i with edges[i] > x: the bin is then i (bins are 1-based past the underflow bin).
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Counts of `values` on `edges`; no edges (an empty reference) gives no bins. */
export function histogramOn(edges: readonly number[], values: Iterable<number>): Histogram {
  if (edges.length === 0) return { edges: [], counts: [] };
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) counts[binIndex(edges, v)]!++;
  return { edges: [...edges], counts };
}

/** Profiles a numeric column, on `edges` when given (a current window) or on its own quantile edges. */
function profileNumeric(
  values: readonly unknown[],
  s: Settings,
  rng: Xoshiro128,
  edges?: readonly number[],
): NumericColumnProfile {
  const { present, missing, invalid } = numericValues(values);
  const count = present.length;
  // Sorting is only for choosing edges; a window profiled on given edges needs just the extremes.
  const sorted = edges === undefined ? Float64Array.from(present).sort() : undefined;
  const [low, high] = sorted === undefined ? extremes(present) : [sorted[0], sorted[count - 1]];
  // Two passes (mean, then squared deviations), like numpy.var, so moments match NumPy to the last bits.
  const mean = count > 0 ? pairwiseSum(present) / count : null;
  const m2 = mean === null ? 0 : pairwiseSum(Float64Array.from(present, (v) => (v - mean) ** 2));
  const sketch = emptySketch(s.sketchK);
  sketchUpdate(sketch, present);
  const reservoir = emptyReservoir(s.reservoirSize);
  reservoirUpdate(reservoir, present, rng);
  return {
    kind: 'numeric',
    count,
    missing,
    invalid,
    min: count > 0 ? low! : null,
    max: count > 0 ? high! : null,
    mean,
    m2,
    histogram: histogramOn(edges ?? quantileEdges(sorted as Float64Array, s.bins), present),
    sketch,
    reservoir,
    lag: numericLagStats(values, mean ?? 0),
  };
}

/** The smallest and largest of the values (undefined when there are none). */
function extremes(values: ArrayLike<number>): [number | undefined, number | undefined] {
  if (values.length === 0) return [undefined, undefined];
  let low = values[0]!;
  let high = low;
  for (let i = 1; i < values.length; i++) {
    const v = values[i]!;
    if (v < low) low = v;
    else if (v > high) high = v;
  }
  return [low, high];
}

/** The category key of a present value. */
function categoryKey(v: unknown): string {
  return typeof v === 'string' ? v : String(v);
}

/** Keeps the topN largest counts (ties broken by name, so the result is deterministic); returns the rest's sum. */
function topCategories(
  counts: Map<string, number>,
  topN: number,
): { categories: Record<string, number>; rest: number } {
  const entries = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const categories: Record<string, number> = {};
  let rest = 0;
  entries.forEach(([key, c], i) => {
    if (i < topN) categories[key] = c;
    else rest += c;
  });
  return { categories, rest };
}

/** Profiles a categorical column; values no category can hold are counted as invalid (see numericValues). */
function profileCategorical(values: readonly unknown[], s: Settings): CategoricalColumnProfile {
  const counts = new Map<string, number>();
  let missing = 0;
  let invalid = 0;
  const lag: CategoricalLagStats = { pairs: 0, same: 0 };
  let previous: string | undefined;
  for (const v of values) {
    let key: string | undefined;
    if (isMissing(v)) missing++;
    else if (typeof v !== 'string' && typeof v !== 'boolean' && typeof v !== 'number') invalid++;
    else {
      key = categoryKey(v);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (previous !== undefined) {
        lag.pairs++;
        if (key === previous) lag.same++;
      }
    }
    previous = key;
  }
  const { categories, rest } = topCategories(counts, s.topCategories);
  return {
    kind: 'categorical',
    count: values.length - missing - invalid,
    missing,
    invalid,
    topN: s.topCategories,
    categories,
    otherCount: rest,
    lag,
  };
}

/** Profiles every column of `data`; numeric histograms get quantile edges from the data itself. */
export function profileColumns(data: TableInput, options: ProfileOptions = {}): DataProfile {
  return buildProfile(data, settings(options), undefined);
}

/**
 * Profiles a current window on the reference's terms: each column the reference knows keeps the
 * reference's kind, numeric bin edges, top-category limit, sketch k and reservoir size, so histograms
 * align and the two profiles can be compared or the windows merged.
 */
export function profileWithEdges(
  data: TableInput,
  reference: DataProfile,
  options: ProfileOptions = {},
): DataProfile {
  return buildProfile(data, settings(options), reference);
}

/** Shared body of profileColumns and profileWithEdges. */
function buildProfile(data: TableInput, s: Settings, reference: DataProfile | undefined): DataProfile {
  const { rowCount, columns } = toColumns(data);
  const rng = Xoshiro128.fromSeed(s.seed);
  const out: Record<string, ColumnProfile> = {};
  for (const [name, values] of columns) {
    const ref = reference?.columns[name];
    const kind = ref?.kind ?? s.schema[name] ?? inferKind(name, values);
    if (ref?.kind === 'numeric') {
      const own = { ...s, sketchK: ref.sketch.k, reservoirSize: ref.reservoir.capacity };
      out[name] = profileNumeric(values, own, rng, ref.histogram.edges);
    } else if (ref?.kind === 'categorical') {
      out[name] = profileCategorical(values, { ...s, topCategories: ref.topN });
    } else {
      out[name] = kind === 'numeric' ? profileNumeric(values, s, rng) : profileCategorical(values, s);
    }
  }
  return { version: PROFILE_VERSION, rowCount, columns: out };
}

/** True when two edge lists are identical. */
function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/**
 * The merged histogram. Different edges (profiles built independently) are reconciled on a's edges from
 * the reservoirs, which is exact only while both hold every value; otherwise the merge is refused.
 */
function mergeHistograms(name: string, a: NumericColumnProfile, b: NumericColumnProfile): Histogram {
  if (b.count === 0) return { edges: [...a.histogram.edges], counts: [...a.histogram.counts] };
  if (a.count === 0) return { edges: [...b.histogram.edges], counts: [...b.histogram.counts] };
  if (sameEdges(a.histogram.edges, b.histogram.edges)) {
    return {
      edges: [...a.histogram.edges],
      counts: a.histogram.counts.map((c, i) => c + b.histogram.counts[i]!),
    };
  }
  if (reservoirIsComplete(a.reservoir) && reservoirIsComplete(b.reservoir)) {
    return histogramOn(a.histogram.edges, [...a.reservoir.values, ...b.reservoir.values]);
  }
  throw invalidArgument(
    `columns.${name}.histogram.edges`,
    `profiles of column ${name} have different bin edges; build windows with profileWithEdges on one reference`,
  );
}

/** Merges two numeric summaries of disjoint rows; moments by Chan, Golub & LeVeque's parallel formula. */
function mergeNumeric(
  name: string,
  a: NumericColumnProfile,
  b: NumericColumnProfile,
  rng: Xoshiro128,
): NumericColumnProfile {
  const histogram = mergeHistograms(name, a, b);
  const count = a.count + b.count;
  let mean: number | null = a.mean ?? b.mean;
  let m2 = a.m2 + b.m2;
  if (a.mean !== null && b.mean !== null) {
    const delta = b.mean - a.mean;
    mean = a.mean + (delta * b.count) / count;
    m2 += (delta * delta * a.count * b.count) / count;
  }
  const merged: NumericColumnProfile = {
    kind: 'numeric',
    count,
    missing: a.missing + b.missing,
    invalid: a.invalid + b.invalid,
    min: minOf(a.min, b.min, Math.min),
    max: minOf(a.max, b.max, Math.max),
    mean,
    m2,
    histogram,
    sketch: sketchMerge(a.sketch, b.sketch),
    reservoir: reservoirMerge(a.reservoir, b.reservoir, rng),
  };
  const lag = mergeNumericLag(a.lag, b.lag, mean ?? 0);
  if (lag !== undefined) merged.lag = lag;
  return merged;
}

/** Combines two nullable extremes. */
function minOf(a: number | null, b: number | null, pick: (x: number, y: number) => number): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return pick(a, b);
}

/**
 * Merges two categorical summaries. Exact while the union of categories fits in topN; past that, a
 * category cut from either side's top list stays in "other", so merged counts are lower bounds.
 */
function mergeCategorical(
  a: CategoricalColumnProfile,
  b: CategoricalColumnProfile,
): CategoricalColumnProfile {
  const counts = new Map<string, number>(Object.entries(a.categories));
  for (const [key, c] of Object.entries(b.categories)) counts.set(key, (counts.get(key) ?? 0) + c);
  const topN = Math.min(a.topN, b.topN);
  const { categories, rest } = topCategories(counts, topN);
  const merged: CategoricalColumnProfile = {
    kind: 'categorical',
    count: a.count + b.count,
    missing: a.missing + b.missing,
    invalid: a.invalid + b.invalid,
    topN,
    categories,
    otherCount: a.otherCount + b.otherCount + rest,
  };
  const lag = mergeCategoricalLag(a.lag, b.lag);
  if (lag !== undefined) merged.lag = lag;
  return merged;
}

/** A column absent from a profile of `rows` rows: every row is missing. */
function allMissing(like: ColumnProfile, rows: number): ColumnProfile {
  if (like.kind === 'categorical') {
    return {
      kind: 'categorical',
      count: 0,
      missing: rows,
      invalid: 0,
      topN: like.topN,
      categories: {},
      otherCount: 0,
      lag: { pairs: 0, same: 0 },
    };
  }
  return {
    kind: 'numeric',
    count: 0,
    missing: rows,
    invalid: 0,
    min: null,
    max: null,
    mean: null,
    m2: 0,
    histogram: { edges: [...like.histogram.edges], counts: like.histogram.counts.map(() => 0) },
    sketch: emptySketch(like.sketch.k),
    reservoir: emptyReservoir(like.reservoir.capacity),
    lag: { pairs: 0, center: 0, sumX: 0, sumNext: 0, sumProduct: 0 },
  };
}

/** Options for mergeProfiles. */
export interface MergeOptions {
  /** Seed of the reservoir merge's sampling stream (default 0). */
  seed?: number;
}

/**
 * Combines the profiles of two disjoint sets of rows into the profile of their union, without the rows:
 * counts, extremes and histograms add exactly; mean and M2 combine by Chan's formula (equal to a
 * one-pass profile up to rounding); sketches and reservoirs merge within their guarantees; lag sums add,
 * without the one pair across the boundary (and are dropped when either side has none). A column
 * present in only one profile counts as missing on the other's rows. Numeric columns must share bin edges
 * unless both reservoirs still hold every value (then b is re-binned on a's edges, exactly).
 */
export function mergeProfiles(a: DataProfile, b: DataProfile, options: MergeOptions = {}): DataProfile {
  const rng = Xoshiro128.fromSeed(options.seed ?? 0);
  const names = [...new Set([...Object.keys(a.columns), ...Object.keys(b.columns)])];
  const columns: Record<string, ColumnProfile> = {};
  for (const name of names) {
    const ca = a.columns[name];
    const cb = b.columns[name];
    const left = ca ?? allMissing(cb!, a.rowCount);
    const right = cb ?? allMissing(ca!, b.rowCount);
    if (left.kind !== right.kind) {
      throw invalidArgument(
        `columns.${name}`,
        `column ${name} is ${left.kind} in one profile and ${right.kind} in the other`,
      );
    }
    columns[name] =
      left.kind === 'numeric'
        ? mergeNumeric(name, left, right as NumericColumnProfile, rng)
        : mergeCategorical(left, right as CategoricalColumnProfile);
  }
  return { version: PROFILE_VERSION, rowCount: a.rowCount + b.rowCount, columns };
}

/** Population variance (ddof = 0) of a numeric profile, null when it has no values. */
export function profileVariance(p: NumericColumnProfile): number | null {
  return p.count > 0 ? p.m2 / p.count : null;
}

/** Rows a column profile covers: present, missing and invalid values. */
export function columnRows(p: ColumnProfile): number {
  return p.count + p.missing + p.invalid;
}

/** Missing share of a column profile (0 for an empty table). */
export function missingShare(p: ColumnProfile): number {
  const rows = columnRows(p);
  return rows === 0 ? 0 : p.missing / rows;
}

/** Share of a column's values of the wrong type for its kind (0 for an empty table). */
export function invalidShare(p: ColumnProfile): number {
  const rows = columnRows(p);
  return rows === 0 ? 0 : p.invalid / rows;
}
