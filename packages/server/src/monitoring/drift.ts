/**
 * Drift between a reference profile and a current one, per column and for the dataset, computed from
 * profiles alone (never from rows). The default method follows Evidently's policy: p-value tests on small
 * references, distances on large ones (on large samples every p-value test flags negligible shifts).
 * The p-value tests count autocorrelated rows at their effective size (autocorrelation.ts) unless told
 * to ignore it. Every column's method and threshold can be overridden. Pure. See docs/monitoring.md.
 */
import { invalidArgument, SlipwayError } from '@slipway/contracts';
import {
  chiSquareContingency,
  hellingerDistance,
  jensenShannonDistance,
  ks2Sample,
  ks2SampleEffective,
  normalizedWasserstein,
  populationStabilityIndex,
  twoProportionZTest,
  wassersteinDistance,
  WASSERSTEIN_MIN_STD,
  type TestResult,
} from '../stats/drift-tests.js';
import {
  AUTOCORRELATION_MODES,
  categoricalRho,
  effectiveSize,
  numericRho,
  type AutocorrelationMode,
  type SideAutocorrelation,
} from './autocorrelation.js';
import { sketchItems } from './quantile-sketch.js';
import { reservoirIsComplete } from './reservoir.js';
import {
  histogramOn,
  profileVariance,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type DataProfile,
  type NumericColumnProfile,
} from './profile.js';

/** The drift methods Slipway implements. */
export type DriftMethod =
  'ks' | 'chi_square' | 'z_test' | 'psi' | 'jensen_shannon' | 'wasserstein' | 'hellinger';

/** Whether a method's statistic is judged by its p-value (drift when p < threshold) or its size (>= threshold). */
export type DriftKind = 'p_value' | 'distance';

/** Each method's kind, default threshold and the column kinds it applies to. */
export const DRIFT_METHODS: Readonly<
  Record<DriftMethod, { kind: DriftKind; threshold: number; columns: readonly ColumnProfile['kind'][] }>
> = {
  ks: { kind: 'p_value', threshold: 0.05, columns: ['numeric'] },
  chi_square: { kind: 'p_value', threshold: 0.05, columns: ['categorical'] },
  z_test: { kind: 'p_value', threshold: 0.05, columns: ['categorical'] },
  psi: { kind: 'distance', threshold: 0.1, columns: ['numeric', 'categorical'] },
  jensen_shannon: { kind: 'distance', threshold: 0.1, columns: ['numeric', 'categorical'] },
  wasserstein: { kind: 'distance', threshold: 0.1, columns: ['numeric'] },
  hellinger: { kind: 'distance', threshold: 0.1, columns: ['numeric', 'categorical'] },
};

/** References with at most this many present values get a p-value test by default, larger ones a distance. */
export const SMALL_REFERENCE_MAX = 1000;

/** Key under which values outside the top categories are compared (it cannot clash: real keys come first). */
const OTHER_BUCKET = '\u0000other';

/** Per-column choice of method, threshold and autocorrelation handling. */
export interface ColumnDriftOptions {
  method?: DriftMethod;
  threshold?: number;
  /** Effective sizes for the p-value tests (`adjust`, default) or rows as independent draws (`ignore`). */
  autocorrelation?: AutocorrelationMode;
}

/** Both sides' autocorrelation and effective sizes behind a p-value test. */
export interface DriftAutocorrelation {
  reference: SideAutocorrelation;
  current: SideAutocorrelation;
}

/** One column's verdict. */
export interface ColumnDriftResult {
  column: string;
  method: DriftMethod;
  kind: DriftKind;
  statistic: number;
  /** Only for p-value tests. */
  pValue?: number;
  threshold: number;
  drifted: boolean;
  /**
   * False when the result comes from a subsample or sketch rather than every value (a reservoir that
   * overflowed, categories folded into "other").
   */
  exact: boolean;
  /** For p-value tests with autocorrelation `adjust`: rho and the effective sizes used. */
  autocorrelation?: DriftAutocorrelation;
}

/**
 * The default method: numeric, reference count <= 1,000 → KS; numeric larger → normalized Wasserstein;
 * categorical <= 1,000 → z-test when reference and current together show at most two categories, else
 * chi-square; categorical larger → Jensen-Shannon.
 */
export function defaultDriftMethod(reference: ColumnProfile, current: ColumnProfile): DriftMethod {
  const small = reference.count <= SMALL_REFERENCE_MAX;
  if (reference.kind === 'numeric') return small ? 'ks' : 'wasserstein';
  if (!small) return 'jensen_shannon';
  const binary = current.kind === 'categorical' && alignedCategories(reference, current).keys.length <= 2;
  return binary ? 'z_test' : 'chi_square';
}

/** Reference and current category counts over the union of their categories (and "other" when used). */
function alignedCategories(
  reference: CategoricalColumnProfile,
  current: CategoricalColumnProfile,
): { keys: string[]; reference: number[]; current: number[]; exact: boolean } {
  const keys = [
    ...new Set([...Object.keys(reference.categories), ...Object.keys(current.categories)]),
  ].sort();
  const ref = keys.map((k) => reference.categories[k] ?? 0);
  const cur = keys.map((k) => current.categories[k] ?? 0);
  const folded = reference.otherCount > 0 || current.otherCount > 0;
  if (folded) {
    keys.push(OTHER_BUCKET);
    ref.push(reference.otherCount);
    cur.push(current.otherCount);
  }
  return { keys, reference: ref, current: cur, exact: !folded };
}

/**
 * Reference and current histogram counts on the reference's edges. A current profile built on other
 * edges is re-binned from its reservoir (exact while the reservoir holds every value).
 */
function alignedBins(
  reference: NumericColumnProfile,
  current: NumericColumnProfile,
): { reference: number[]; current: number[]; exact: boolean } {
  const edges = reference.histogram.edges;
  const same =
    edges.length === current.histogram.edges.length &&
    edges.every((e, i) => e === current.histogram.edges[i]);
  if (same) return { reference: reference.histogram.counts, current: current.histogram.counts, exact: true };
  const rebinned = histogramOn(edges, current.reservoir.values);
  return {
    reference: reference.histogram.counts,
    current: rebinned.counts,
    exact: reservoirIsComplete(current.reservoir),
  };
}

/**
 * A numeric profile's sample for KS and Wasserstein: the reservoir (every value when it fits), else
 * the reservoir still, a uniform subsample; the KLL items are used only when a reservoir is empty.
 */
function numericSample(p: NumericColumnProfile): { values: number[]; weights?: number[] } {
  if (p.reservoir.values.length > 0 || p.count === 0) return { values: p.reservoir.values };
  return sketchItems(p.sketch);
}

/** Beyond this magnitude squared deviations and CDF steps can overflow a double (sqrt(MAX_VALUE) ≈ 1.3e154). */
const SAFE_MAGNITUDE = 1e150;

/** Largest |x| of a sample (0 when empty). */
function maxAbs(values: readonly number[]): number {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m;
}

/** Population standard deviation of a (weighted) sample whose values are at most 1 in magnitude. */
function sampleStd(sample: { values: number[]; weights?: number[] }): number {
  const w = (i: number): number => sample.weights?.[i] ?? 1;
  let total = 0;
  let sum = 0;
  sample.values.forEach((v, i) => {
    total += w(i);
    sum += w(i) * v;
  });
  const mean = total > 0 ? sum / total : 0;
  let m2 = 0;
  sample.values.forEach((v, i) => (m2 += w(i) * (v - mean) ** 2));
  return total > 0 ? Math.sqrt(m2 / total) : 0;
}

/**
 * Normalized Wasserstein, W / max(std_ref, 0.001). Values so large that the profile's moments or the
 * CDF steps overflow (a NaN or infinite variance, |x| > 1e150) would give NaN or a silent 0; W and the
 * std both scale linearly, so those are computed on x / max|x| instead, with the reference's sample std.
 */
function wassersteinDrift(reference: NumericColumnProfile, current: NumericColumnProfile): number {
  const ref = numericSample(reference);
  const cur = numericSample(current);
  const variance = profileVariance(reference) ?? 0;
  const scale = Math.max(maxAbs(ref.values), maxAbs(cur.values));
  if (scale <= SAFE_MAGNITUDE && Number.isFinite(variance)) {
    return normalizedWasserstein(ref, cur, Math.sqrt(variance));
  }
  const scaled = (s: typeof ref): typeof ref => ({ ...s, values: s.values.map((v) => v / scale) });
  const r = scaled(ref);
  return wassersteinDistance(r, scaled(cur)) / Math.max(sampleStd(r), WASSERSTEIN_MIN_STD / scale);
}

/** What compute returns: the statistic (and p-value), exactness, and the effective sizes used. */
interface Computed {
  result: TestResult | { statistic: number };
  exact: boolean;
  autocorrelation?: DriftAutocorrelation;
}

/** A numeric side's autocorrelation for a test on `size` of its values. */
function numericSide(p: NumericColumnProfile, size: number): SideAutocorrelation {
  return effectiveSize(numericRho(p.lag, p.mean, p.m2), p.lag?.pairs ?? 0, p.count, size);
}

/** A categorical side's autocorrelation; its tests see every value (other included). */
function categoricalSide(p: CategoricalColumnProfile): SideAutocorrelation {
  const counts = Object.values(p.categories);
  if (p.otherCount > 0) counts.push(p.otherCount);
  return effectiveSize(categoricalRho(p.lag, counts, p.count), p.lag?.pairs ?? 0, p.count, p.count);
}

/** KS on the samples, with the effective sizes when either side is autocorrelated (else exact-n KS). */
function ksDrift(
  reference: NumericColumnProfile,
  current: NumericColumnProfile,
  mode: AutocorrelationMode,
): Omit<Computed, 'exact'> {
  const ref = numericSample(reference).values;
  const cur = numericSample(current).values;
  if (mode === 'ignore') return { result: ks2Sample(ref, cur) };
  const sides = { reference: numericSide(reference, ref.length), current: numericSide(current, cur.length) };
  const adjusted = sides.reference.adjusted || sides.current.adjusted;
  const result = adjusted
    ? ks2SampleEffective(ref, cur, sides.reference.effectiveSize, sides.current.effectiveSize)
    : ks2Sample(ref, cur);
  return { result, autocorrelation: sides };
}

/**
 * Chi-square or z-test on category counts, each side's counts scaled to its effective size (so the
 * table's row totals are n_eff); a z-test on such counts equals the 2×2 chi-square, z² = χ².
 */
function categoricalTest(
  method: 'chi_square' | 'z_test',
  reference: CategoricalColumnProfile,
  current: CategoricalColumnProfile,
  mode: AutocorrelationMode,
): Omit<Computed, 'exact'> {
  const cats = alignedCategories(reference, current);
  const sides =
    mode === 'adjust'
      ? { reference: categoricalSide(reference), current: categoricalSide(current) }
      : undefined;
  const refScale = sides ? sides.reference.effectiveSize / reference.count : 1;
  const curScale = sides ? sides.current.effectiveSize / current.count : 1;
  const ref = cats.reference.map((c) => c * refScale);
  const cur = cats.current.map((c) => c * curScale);
  // The first category (in sorted order) is the z-test's "success"; the test is two-sided, so the choice is free.
  const result =
    method === 'chi_square'
      ? chiSquareContingency(ref, cur)
      : twoProportionZTest(ref[0] ?? 0, reference.count * refScale, cur[0] ?? 0, current.count * curScale);
  return sides ? { result, autocorrelation: sides } : { result };
}

/** The statistic of `method` on the two profiles, whether it is exact, and the effective sizes used. */
function compute(
  method: DriftMethod,
  reference: ColumnProfile,
  current: ColumnProfile,
  mode: AutocorrelationMode,
): Computed {
  if (reference.kind === 'numeric' && current.kind === 'numeric') {
    const exactSamples = reservoirIsComplete(reference.reservoir) && reservoirIsComplete(current.reservoir);
    if (method === 'ks') return { ...ksDrift(reference, current, mode), exact: exactSamples };
    if (method === 'wasserstein') {
      return { result: { statistic: wassersteinDrift(reference, current) }, exact: exactSamples };
    }
    const bins = alignedBins(reference, current);
    return { result: { statistic: distance(method, bins.reference, bins.current) }, exact: bins.exact };
  }
  if (reference.kind === 'categorical' && current.kind === 'categorical') {
    const cats = alignedCategories(reference, current);
    if (method === 'chi_square' || method === 'z_test') {
      return { ...categoricalTest(method, reference, current, mode), exact: cats.exact };
    }
    return { result: { statistic: distance(method, cats.reference, cats.current) }, exact: cats.exact };
  }
  throw invalidArgument(
    'current',
    `column kinds differ: reference ${reference.kind}, current ${current.kind}`,
  );
}

/** A histogram-based distance between aligned counts. */
function distance(method: DriftMethod, reference: number[], current: number[]): number {
  if (method === 'psi') return populationStabilityIndex(reference, current);
  if (method === 'jensen_shannon') return jensenShannonDistance(reference, current);
  if (method === 'hellinger') return hellingerDistance(reference, current);
  throw new SlipwayError('INTERNAL', `method ${method} is not a histogram distance`);
}

/** Checks that a method applies to the column's kind and that the threshold is a usable number. */
function checkChoice(
  column: string,
  method: DriftMethod,
  kind: ColumnProfile['kind'],
  threshold: number,
): void {
  const spec = DRIFT_METHODS[method];
  if (!spec) throw invalidArgument(`perColumn.${column}.method`, `unknown drift method ${String(method)}`);
  if (!spec.columns.includes(kind)) {
    throw invalidArgument(
      `perColumn.${column}.method`,
      `method ${method} does not apply to ${kind} column ${column}`,
    );
  }
  const ok =
    spec.kind === 'p_value' ? threshold > 0 && threshold < 1 : threshold >= 0 && Number.isFinite(threshold);
  if (!ok)
    throw invalidArgument(
      `perColumn.${column}.threshold`,
      `threshold ${threshold} is out of range for ${method}`,
    );
}

/** Checks an autocorrelation mode; `field` names where it came from. */
export function checkAutocorrelationMode(mode: unknown, field: string): AutocorrelationMode {
  if (!AUTOCORRELATION_MODES.includes(mode as AutocorrelationMode)) {
    throw invalidArgument(
      field,
      `${field} must be one of ${AUTOCORRELATION_MODES.join(', ')}, got ${JSON.stringify(mode)}`,
    );
  }
  return mode as AutocorrelationMode;
}

/** Drift of one column: the chosen (or default) method, its statistic and verdict. */
export function columnDrift(
  column: string,
  reference: ColumnProfile,
  current: ColumnProfile,
  options: ColumnDriftOptions = {},
): ColumnDriftResult {
  if (reference.count === 0)
    throw invalidArgument('reference', `column ${column} has no values in the reference`);
  if (current.count === 0)
    throw invalidArgument('current', `column ${column} has no values in the current window`);
  const method = options.method ?? defaultDriftMethod(reference, current);
  const spec = DRIFT_METHODS[method];
  const threshold = options.threshold ?? spec?.threshold ?? NaN;
  checkChoice(column, method, reference.kind, threshold);
  const mode =
    options.autocorrelation === undefined
      ? 'adjust'
      : checkAutocorrelationMode(options.autocorrelation, `perColumn.${column}.autocorrelation`);
  const { result, exact, autocorrelation } = compute(method, reference, current, mode);
  const drifted =
    spec.kind === 'p_value' ? (result as TestResult).pValue < threshold : result.statistic >= threshold;
  const out: ColumnDriftResult = {
    column,
    method,
    kind: spec.kind,
    statistic: result.statistic,
    threshold,
    drifted,
    exact,
  };
  if (spec.kind === 'p_value') out.pValue = (result as TestResult).pValue;
  if (autocorrelation !== undefined) out.autocorrelation = autocorrelation;
  return out;
}

/** Options for datasetDrift. */
export interface DatasetDriftOptions {
  /** Columns to compare (default: every column in the reference). */
  columns?: string[];
  /** Per-column method and threshold overrides. */
  perColumn?: Record<string, ColumnDriftOptions>;
  /** The dataset drifts when at least this share of compared columns drift (default 0.5, as Evidently). */
  driftShare?: number;
  /** Autocorrelation handling of every column's p-value test (default `adjust`); perColumn overrides it. */
  autocorrelation?: AutocorrelationMode;
}

/** A column left out of the dataset verdict, and why. */
export interface SkippedColumn {
  column: string;
  reason: 'missing_in_current' | 'no_reference_values' | 'no_current_values';
}

/** Dataset-level verdict over the compared columns. */
export interface DatasetDriftResult {
  columns: ColumnDriftResult[];
  skipped: SkippedColumn[];
  driftedCount: number;
  /** Drifted columns over compared columns (0 when none could be compared). */
  driftedShare: number;
  driftShare: number;
  drifted: boolean;
}

/** Why a column cannot be compared, if it cannot. */
function skipReason(
  reference: ColumnProfile,
  current: ColumnProfile | undefined,
): SkippedColumn['reason'] | null {
  if (!current) return 'missing_in_current';
  if (reference.count === 0) return 'no_reference_values';
  if (current.count === 0) return 'no_current_values';
  return null;
}

/**
 * Drift of every selected column and of the dataset: drifted when driftedShare >= driftShare. Columns
 * that cannot be compared (absent or without values on one side) are reported as skipped, not drifted.
 */
export function datasetDrift(
  reference: DataProfile,
  current: DataProfile,
  options: DatasetDriftOptions = {},
): DatasetDriftResult {
  const driftShare = options.driftShare ?? 0.5;
  if (!(driftShare > 0 && driftShare <= 1)) {
    throw invalidArgument('driftShare', `driftShare must be in (0, 1], got ${driftShare}`);
  }
  const mode =
    options.autocorrelation === undefined
      ? undefined
      : checkAutocorrelationMode(options.autocorrelation, 'autocorrelation');
  const names = options.columns ?? Object.keys(reference.columns);
  const columns: ColumnDriftResult[] = [];
  const skipped: SkippedColumn[] = [];
  for (const name of names) {
    const ref = reference.columns[name];
    if (!ref) throw invalidArgument('columns', `column ${name} is not in the reference profile`);
    const cur = current.columns[name];
    const reason = skipReason(ref, cur);
    if (reason) skipped.push({ column: name, reason });
    else {
      const own = options.perColumn?.[name];
      const choice =
        mode === undefined || own?.autocorrelation !== undefined ? own : { ...own, autocorrelation: mode };
      columns.push(columnDrift(name, ref, cur!, choice));
    }
  }
  const driftedCount = columns.filter((c) => c.drifted).length;
  const driftedShare = columns.length === 0 ? 0 : driftedCount / columns.length;
  return {
    columns,
    skipped,
    driftedCount,
    driftedShare,
    driftShare,
    drifted: columns.length > 0 && driftedShare >= driftShare,
  };
}
