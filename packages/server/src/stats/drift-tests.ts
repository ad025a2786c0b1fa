/**
 * Two-sample drift statistics with SciPy 1.10 semantics (and Evidently's definitions where SciPy has no
 * function): Kolmogorov-Smirnov (exact-n and, for effective sizes, asymptotic), the chi-square test of
 * homogeneity, the two-proportion z-test, PSI,
 * Jensen-Shannon, Wasserstein and Hellinger. Pure: inputs are samples, weighted samples or aligned
 * counts, never profiles (monitoring/drift.ts maps profiles onto these). Formulas are in docs/monitoring.md.
 */
import { invalidArgument } from '@slipway/contracts';
import { chiSquareSf, kolmogorovSf, kolmogorovSmirnovSf, normalSf } from './distributions.js';
import { pairwiseSum, type Numbers } from './regression-metrics.js';

/** A test statistic with its two-sided p-value. */
export interface TestResult {
  statistic: number;
  pValue: number;
}

/** Evidently's floor for an empty bin's share in PSI, so log(0) never appears. */
export const PSI_EMPTY_BIN_SHARE = 0.0001;

/** Ascending copy as a Float64Array (its sort is numeric, unlike Array#sort's default). */
function sortedCopy(values: Numbers, field: string): Float64Array {
  if (values.length === 0) throw invalidArgument(field, `${field} must not be empty`);
  const out = Float64Array.from(values);
  for (const v of out) {
    if (!Number.isFinite(v)) throw invalidArgument(field, `${field} must hold finite numbers, got ${v}`);
  }
  return out.sort();
}

/** NumPy's np.round: halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * The KS statistic D = sup |F_a - F_b| over the pooled points, each ECDF difference computed as SciPy does
 * (count/n1 - count/n2), so D matches ks_2samp bit for bit.
 */
function ksStatistic(a: Float64Array, b: Float64Array): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n1 || j < n2) {
    const next = j >= n2 || (i < n1 && a[i]! <= b[j]!) ? a[i]! : b[j]!;
    while (i < n1 && a[i]! <= next) i++;
    while (j < n2 && b[j]! <= next) j++;
    d = Math.max(d, Math.abs(i / n1 - j / n2));
  }
  return d;
}

/**
 * Two-sample two-sided Kolmogorov-Smirnov test, as scipy.stats.ks_2samp(a, b, method='asymp'): D, and the
 * p-value kstwo.sf(D, round(n1·n2/(n1+n2))). Slipway always uses this asymptotic p-value (SciPy's 'auto'
 * switches to an exact permutation count for n <= 10,000, which costs O(n1·n2)); it is conservative-ish
 * and close to the exact one for all but tiny samples.
 */
export function ks2Sample(a: Numbers, b: Numbers): TestResult {
  const sa = sortedCopy(a, 'reference');
  const sb = sortedCopy(b, 'current');
  const statistic = ksStatistic(sa, sb);
  const m = Math.max(sa.length, sb.length);
  const n = Math.min(sa.length, sb.length);
  const en = roundHalfEven((m * n) / (m + n));
  return { statistic, pValue: kolmogorovSmirnovSf(en, statistic) };
}

/**
 * Asymptotic two-sided KS p-value for samples worth `nReference` and `nCurrent` independent draws (they
 * may be fractional effective sizes): with en = n·m/(n+m), p = kstwobign.sf((√en + 0.12 + 0.11/√en)·D),
 * Stephens' small-sample correction of Kolmogorov's limit (Press et al., Numerical Recipes §14.3).
 */
export function ksAsymptoticPValue(statistic: number, nReference: number, nCurrent: number): number {
  for (const [field, n] of [
    ['nReference', nReference],
    ['nCurrent', nCurrent],
  ] as const) {
    if (!(n > 0) || !Number.isFinite(n)) throw invalidArgument(field, `${field} must be > 0, got ${n}`);
  }
  if (!(statistic >= 0 && statistic <= 1)) {
    throw invalidArgument('statistic', `a KS statistic is in [0, 1], got ${statistic}`);
  }
  const root = Math.sqrt((nReference * nCurrent) / (nReference + nCurrent));
  return Math.min(1, kolmogorovSf((root + 0.12 + 0.11 / root) * statistic));
}

/**
 * KS test of two samples whose values are not independent draws: D as ks2Sample, the p-value from
 * ksAsymptoticPValue with the given effective sizes instead of the sample sizes.
 */
export function ks2SampleEffective(
  a: Numbers,
  b: Numbers,
  effectiveA: number,
  effectiveB: number,
): TestResult {
  const statistic = ksStatistic(sortedCopy(a, 'reference'), sortedCopy(b, 'current'));
  return { statistic, pValue: ksAsymptoticPValue(statistic, effectiveA, effectiveB) };
}

/** Checks that counts are finite and non-negative and that the two arrays align. */
function checkCounts(reference: Numbers, current: Numbers): void {
  if (reference.length !== current.length) {
    throw invalidArgument(
      'current',
      `aligned counts differ in length: ${reference.length} vs ${current.length}`,
    );
  }
  if (reference.length === 0) throw invalidArgument('reference', 'aligned counts must not be empty');
  for (const [field, values] of [
    ['reference', reference],
    ['current', current],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!(v >= 0) || !Number.isFinite(v))
        throw invalidArgument(field, `counts must be finite and >= 0, got ${v}`);
    }
  }
}

/** Sum of counts, refusing an all-zero side (no distribution to compare). */
function total(values: Numbers, field: string): number {
  const sum = pairwiseSum(values);
  if (!(sum > 0)) throw invalidArgument(field, `${field} counts sum to zero`);
  return sum;
}

/**
 * Pearson's chi-square test of homogeneity on the 2×K table [reference; current], as
 * scipy.stats.chi2_contingency(table, correction=False): expected e_ij = row_i · col_j / total,
 * χ² = Σ (o_ij − e_ij)² / e_ij, df = K' − 1 over the K' categories present on either side. Counts need
 * not be integers (monitoring scales them to effective sizes). A category seen on one side only adds a
 * finite term, unlike a goodness-of-fit test against the reference, whose expected count there is 0.
 * One category present: statistic 0, p-value 1.
 */
export function chiSquareContingency(reference: Numbers, current: Numbers): TestResult {
  checkCounts(reference, current);
  const refTotal = total(reference, 'reference');
  const curTotal = total(current, 'current');
  const grand = refTotal + curTotal;
  const terms: number[] = [];
  let categories = 0;
  for (let i = 0; i < reference.length; i++) {
    const column = reference[i]! + current[i]!;
    // SciPy refuses a table with an all-zero column (0/0 expected); such a category carries no information.
    if (column === 0) continue;
    categories++;
    for (const [observed, rowTotal] of [
      [reference[i]!, refTotal],
      [current[i]!, curTotal],
    ] as const) {
      const expected = (rowTotal * column) / grand;
      terms.push(((observed - expected) * (observed - expected)) / expected);
    }
  }
  if (categories <= 1) return { statistic: 0, pValue: 1 };
  const statistic = pairwiseSum(terms);
  return { statistic, pValue: chiSquareSf(statistic, categories - 1) };
}

/**
 * Two-proportion z-test (pooled variance), Evidently's `z_stat`: z = (p1 - p2) / sqrt(P(1-P)(1/n1 + 1/n2))
 * with P the pooled share; two-sided p-value 2·norm.sf(|z|). Both samples all-success or all-failure:
 * z = 0, p-value 1. Totals and successes may be fractional (effective sizes), as long as 0 <= k <= n.
 */
export function twoProportionZTest(
  referenceSuccesses: number,
  referenceTotal: number,
  currentSuccesses: number,
  currentTotal: number,
): TestResult {
  for (const [field, n, k] of [
    ['reference', referenceTotal, referenceSuccesses],
    ['current', currentTotal, currentSuccesses],
  ] as const) {
    if (!(n > 0) || !Number.isFinite(n))
      throw invalidArgument(field, `${field} total must be a positive number, got ${n}`);
    if (!(k >= 0 && k <= n)) {
      throw invalidArgument(field, `${field} successes must be in [0, ${n}], got ${k}`);
    }
  }
  const p1 = referenceSuccesses / referenceTotal;
  const p2 = currentSuccesses / currentTotal;
  const pooled = (p1 * referenceTotal + p2 * currentTotal) / (referenceTotal + currentTotal);
  const variance = pooled * (1 - pooled) * (1 / referenceTotal + 1 / currentTotal);
  if (variance === 0) return { statistic: 0, pValue: 1 };
  const statistic = (p1 - p2) / Math.sqrt(variance);
  return { statistic, pValue: 2 * normalSf(Math.abs(statistic)) };
}

/** Counts divided by their total. */
function shares(counts: Numbers, field: string): Float64Array {
  const sum = total(counts, field);
  return Float64Array.from(counts, (c) => c / sum);
}

/**
 * Population Stability Index over aligned bins, Evidently's definition: Σ (r_i - c_i) ln(r_i / c_i) with
 * r, c the reference and current shares, an empty bin's share replaced by PSI_EMPTY_BIN_SHARE (1e-4).
 */
export function populationStabilityIndex(reference: Numbers, current: Numbers): number {
  checkCounts(reference, current);
  const r = shares(reference, 'reference');
  const c = shares(current, 'current');
  const terms = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] === 0 ? PSI_EMPTY_BIN_SHARE : r[i]!;
    const ci = c[i] === 0 ? PSI_EMPTY_BIN_SHARE : c[i]!;
    terms[i] = (ri - ci) * Math.log(ri / ci);
  }
  return pairwiseSum(terms);
}

/** SciPy's rel_entr(x, y) = x ln(x/y), 0 at x = 0. */
function relEntr(x: number, y: number): number {
  if (x === 0) return 0;
  return y > 0 ? x * Math.log(x / y) : Infinity;
}

/**
 * Jensen-Shannon distance (the square root of the divergence, natural log) between two aligned count
 * vectors, as scipy.spatial.distance.jensenshannon(p, q): in [0, sqrt(ln 2)] ≈ [0, 0.8326].
 */
export function jensenShannonDistance(reference: Numbers, current: Numbers): number {
  checkCounts(reference, current);
  const p = shares(reference, 'reference');
  const q = shares(current, 'current');
  const left = new Float64Array(p.length);
  const right = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    left[i] = relEntr(p[i]!, m);
    right[i] = relEntr(q[i]!, m);
  }
  return Math.sqrt((pairwiseSum(left) + pairwiseSum(right)) / 2);
}

/** Hellinger distance between aligned count vectors: sqrt(Σ (√p_i - √q_i)²) / √2, in [0, 1]. */
export function hellingerDistance(reference: Numbers, current: Numbers): number {
  checkCounts(reference, current);
  const p = shares(reference, 'reference');
  const q = shares(current, 'current');
  const terms = Float64Array.from(p, (pi, i) => (Math.sqrt(pi) - Math.sqrt(q[i]!)) ** 2);
  return Math.sqrt(pairwiseSum(terms)) / Math.SQRT2;
}

/** A sample with optional per-value weights (a quantile sketch's items carry weights). */
export interface WeightedSample {
  values: Numbers;
  weights?: Numbers;
}

/** Sorted values with the cumulative weight up to and including each (prefix[i + 1]). */
function cumulative(sample: WeightedSample, field: string): { sorted: Float64Array; prefix: Float64Array } {
  const n = sample.values.length;
  if (n === 0) throw invalidArgument(field, `${field} must not be empty`);
  if (sample.weights && sample.weights.length !== n) {
    throw invalidArgument(`${field}.weights`, `weights must match values in length (${n})`);
  }
  const order = Array.from({ length: n }, (_, i) => i);
  const values = sample.values;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]!)) throw invalidArgument(field, `${field} must hold finite numbers`);
  }
  order.sort((x, y) => values[x]! - values[y]!);
  const sorted = Float64Array.from(order, (i) => values[i]!);
  const prefix = new Float64Array(n + 1);
  for (let i = 0; i < n; i++) {
    const w = sample.weights ? sample.weights[order[i]!]! : 1;
    if (!(w >= 0) || !Number.isFinite(w))
      throw invalidArgument(`${field}.weights`, 'weights must be finite and >= 0');
    prefix[i + 1] = prefix[i]! + w;
  }
  if (!(prefix[n]! > 0)) throw invalidArgument(`${field}.weights`, 'weights must not sum to zero');
  return { sorted, prefix };
}

/** Number of sorted values <= x, starting the scan at `from` (the pooled walk only moves forward). */
function advance(sorted: Float64Array, from: number, x: number): number {
  let i = from;
  while (i < sorted.length && sorted[i]! <= x) i++;
  return i;
}

/**
 * 1-Wasserstein distance between two (optionally weighted) samples, as scipy.stats.wasserstein_distance:
 * ∫ |U(x) - V(x)| dx over the pooled sorted values, summed in NumPy's pairwise order.
 */
export function wassersteinDistance(reference: WeightedSample, current: WeightedSample): number {
  const u = cumulative(reference, 'reference');
  const v = cumulative(current, 'current');
  const all = new Float64Array(u.sorted.length + v.sorted.length);
  all.set(u.sorted);
  all.set(v.sorted, u.sorted.length);
  all.sort();
  const uTotal = u.prefix[u.sorted.length]!;
  const vTotal = v.prefix[v.sorted.length]!;
  const unweighted = !reference.weights && !current.weights;
  const terms = new Float64Array(all.length - 1);
  let iu = 0;
  let iv = 0;
  for (let t = 0; t < terms.length; t++) {
    iu = advance(u.sorted, iu, all[t]!);
    iv = advance(v.sorted, iv, all[t]!);
    // Unweighted, SciPy divides the count itself (index / size); keep that so the sum matches to the ulp.
    const uCdf = unweighted ? iu / u.sorted.length : u.prefix[iu]! / uTotal;
    const vCdf = unweighted ? iv / v.sorted.length : v.prefix[iv]! / vTotal;
    terms[t] = Math.abs(uCdf - vCdf) * (all[t + 1]! - all[t]!);
  }
  return pairwiseSum(terms);
}

/** Floor under the reference standard deviation in the normalized Wasserstein distance, as Evidently. */
export const WASSERSTEIN_MIN_STD = 0.001;

/**
 * Evidently's normalized Wasserstein distance: wasserstein_distance(ref, cur) / max(std(ref), 0.001), with
 * std the population standard deviation (ddof = 0) of the full reference, passed in because a profile
 * knows it exactly even when the samples are a subsample.
 */
export function normalizedWasserstein(
  reference: WeightedSample,
  current: WeightedSample,
  referenceStd: number,
): number {
  if (!(referenceStd >= 0)) throw invalidArgument('referenceStd', `must be >= 0, got ${referenceStd}`);
  return wassersteinDistance(reference, current) / Math.max(referenceStd, WASSERSTEIN_MIN_STD);
}
