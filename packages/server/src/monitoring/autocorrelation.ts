/**
 * Lag-1 autocorrelation of a profiled column and the effective sample size it implies. Monitored data
 * arrives in time order, and neighbouring rows are often alike (hourly weather, a user's session), so
 * n rows are worth fewer independent draws than the p-value tests assume; without the adjustment two
 * calm weeks of one month drift against each other. Profiles keep mergeable sums over consecutive
 * pairs in row order; this module turns them into rho and n_eff = n(1 − rho)/(1 + rho), the size of
 * an AR(1) sample whose mean has the same variance. Pure. See docs/monitoring.md (Autocorrelation).
 */

/**
 * Sums over the consecutive pairs (x_t, x_{t+1}) of a numeric column in row order, both present,
 * centred on `center` (the column's mean when profiled) so that large offsets cost no precision.
 */
export interface NumericLagStats {
  /** Consecutive pairs with both values present. */
  pairs: number;
  center: number;
  /** Σ (x_t − center) over the pairs. */
  sumX: number;
  /** Σ (x_{t+1} − center) over the pairs. */
  sumNext: number;
  /** Σ (x_t − center)(x_{t+1} − center) over the pairs. */
  sumProduct: number;
}

/** Consecutive pairs of a categorical column in row order, both present, and how many are equal. */
export interface CategoricalLagStats {
  pairs: number;
  same: number;
}

/** Whether the p-value tests use effective sizes (`adjust`, the default) or treat rows as independent. */
export type AutocorrelationMode = 'adjust' | 'ignore';

/** The modes, for validation. */
export const AUTOCORRELATION_MODES: readonly AutocorrelationMode[] = ['adjust', 'ignore'];

/** One-sided 5% normal quantile: rho counts as positive when above this many standard errors (1/√pairs). */
export const RHO_Z = 1.645;

/** Lag sums of a numeric column in row order; a missing or invalid value breaks the pairs around it. */
export function numericLagStats(values: readonly unknown[], center: number): NumericLagStats {
  const out: NumericLagStats = { pairs: 0, center, sumX: 0, sumNext: 0, sumProduct: 0 };
  let previous = NaN;
  for (const v of values) {
    const x = typeof v === 'number' && Number.isFinite(v) ? v - center : NaN;
    if (!Number.isNaN(x) && !Number.isNaN(previous)) {
      out.pairs++;
      out.sumX += previous;
      out.sumNext += x;
      out.sumProduct += previous * x;
    }
    previous = x;
  }
  return out;
}

/** The same sums centred on `center`: (x − c') = (x − c) + d with d = c − c'. */
function recentre(s: NumericLagStats, center: number): NumericLagStats {
  const d = s.center - center;
  return {
    pairs: s.pairs,
    center,
    sumX: s.sumX + s.pairs * d,
    sumNext: s.sumNext + s.pairs * d,
    sumProduct: s.sumProduct + d * (s.sumX + s.sumNext) + s.pairs * d * d,
  };
}

/**
 * Sums of two disjoint row sets, centred on `center`. The pair across the boundary (a's last row, b's
 * first) is unknown and dropped: one pair per merge, negligible for windows of many rows. Undefined when
 * either side has no sums (a profile stored before they existed), so the merged column counts as
 * independent rather than carrying half the evidence.
 */
export function mergeNumericLag(
  a: NumericLagStats | undefined,
  b: NumericLagStats | undefined,
  center: number,
): NumericLagStats | undefined {
  if (a === undefined || b === undefined) return undefined;
  const ra = recentre(a, center);
  const rb = recentre(b, center);
  return {
    pairs: ra.pairs + rb.pairs,
    center,
    sumX: ra.sumX + rb.sumX,
    sumNext: ra.sumNext + rb.sumNext,
    sumProduct: ra.sumProduct + rb.sumProduct,
  };
}

/** Categorical sums of two disjoint row sets (the boundary pair dropped; undefined as mergeNumericLag). */
export function mergeCategoricalLag(
  a: CategoricalLagStats | undefined,
  b: CategoricalLagStats | undefined,
): CategoricalLagStats | undefined {
  if (a === undefined || b === undefined) return undefined;
  return { pairs: a.pairs + b.pairs, same: a.same + b.same };
}

/**
 * Lag-1 autocorrelation of a numeric column, Σ_pairs (x_t − μ)(x_{t+1} − μ) / Σ_all (x − μ)² with μ and
 * the denominator (the profile's mean and M2) over every present value, as the usual sample ACF. 0
 * without sums, pairs or spread.
 */
export function numericRho(lag: NumericLagStats | undefined, mean: number | null, m2: number): number {
  if (lag === undefined || lag.pairs === 0 || mean === null || !(m2 > 0)) return 0;
  const centred = recentre(lag, mean);
  const rho = centred.sumProduct / m2;
  return Number.isFinite(rho) ? rho : 0;
}

/**
 * Lag-1 autocorrelation of a categorical column: (P(x_{t+1} = x_t) − Σ p_k²) / (1 − Σ p_k²), the excess
 * of equal neighbours over what independent draws give, scaled so that always-equal neighbours give 1.
 * Categories folded into "other" count as one category, which overstates Σ p² and so understates rho.
 * 0 without sums or pairs, or with a single category.
 */
export function categoricalRho(
  lag: CategoricalLagStats | undefined,
  counts: readonly number[],
  count: number,
): number {
  if (lag === undefined || lag.pairs === 0 || count === 0) return 0;
  let chance = 0;
  for (const c of counts) chance += (c / count) ** 2;
  if (chance >= 1) return 0;
  return (lag.same / lag.pairs - chance) / (1 - chance);
}

/** One side's autocorrelation evidence, as reported in a drift statistic's details. */
export interface SideAutocorrelation {
  /** Lag-1 autocorrelation (0 when the profile has no lag sums). */
  rho: number;
  pairs: number;
  /** Values the test sees. */
  size: number;
  /** Independent draws they are worth; equals size unless adjusted. */
  effectiveSize: number;
  /** True when rho > RHO_Z / √pairs, so the effective size was used. */
  adjusted: boolean;
}

/**
 * The effective size of `size` values drawn from a column of `count` values with autocorrelation rho.
 * Adjusted only when rho is significantly positive (rho > 1.645/√pairs), so independent data keeps its
 * exact test. The column's n_eff = count(1 − rho)/(1 + rho), at least 1; a uniform subsample of size m
 * (an overflowing reservoir) is worth 1 / (1/n_eff + 1/m − 1/count): the variance of its mean is the
 * series' plus the subsampling's, with the finite-population correction, so m = count gives n_eff.
 */
export function effectiveSize(rho: number, pairs: number, count: number, size: number): SideAutocorrelation {
  const adjusted = pairs > 0 && rho > RHO_Z / Math.sqrt(pairs);
  if (!adjusted) return { rho, pairs, size, effectiveSize: size, adjusted };
  const r = Math.min(rho, 1);
  const column = Math.max(1, (count * (1 - r)) / (1 + r));
  const effective = size >= count ? column : 1 / (1 / column + 1 / size - 1 / count);
  return { rho, pairs, size, effectiveSize: Math.min(size, Math.max(1, effective)), adjusted };
}
