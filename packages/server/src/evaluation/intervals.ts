/**
 * Bootstrap intervals of the headline metric. Every model's statistic is computed once per resample
 * and the paired differences are taken from those same arrays: with one seed every model sees the
 * same resample indices, so this equals `pairedBootstrap` without scoring each model again per pair.
 */
import {
  bootstrapStatistics,
  percentileInterval,
  type ConfidenceInterval,
  type PairedDifference,
  type ResampleMetric,
} from '../stats/bootstrap.js';
import type { BootstrapReport, BootstrapSpec } from './evaluation-types.js';

/** A model's headline metric as a resample metric, with its role. */
export interface HeadlineMetric {
  id: string;
  role: 'candidate' | 'baseline';
  metric: ResampleMetric;
}

/** A model's point estimate and bootstrap distribution. */
interface Distribution {
  estimate: number;
  statistics: Float64Array;
}

/** The identity resample 0…n−1, for point estimates. */
function allRows(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** Interval from a distribution with NaNs dropped (an all-NaN distribution gives a NaN interval). */
function interval(estimate: number, statistics: Float64Array, confidence: number): ConfidenceInterval {
  const kept = statistics.filter((x) => !Number.isNaN(x));
  const bounds =
    kept.length === 0 ? { lower: Number.NaN, upper: Number.NaN } : percentileInterval(kept, confidence);
  return {
    estimate,
    ...bounds,
    confidence,
    resamples: kept.length,
    droppedNaN: statistics.length - kept.length,
  };
}

/** candidate − baseline per resample, as `pairedBootstrap` reports it. */
function paired(c: Distribution, b: Distribution, confidence: number): PairedDifference {
  const diff = c.statistics.map((x, r) => x - (b.statistics[r] as number));
  const result = interval(c.estimate - b.estimate, diff, confidence);
  let above = 0;
  for (const d of diff) if (d > 0) above++;
  return { ...result, shareAboveZero: result.resamples === 0 ? Number.NaN : above / result.resamples };
}

/** CIs per model and paired differences for every candidate × baseline pair. */
export function bootstrapReport(
  n: number,
  spec: BootstrapSpec,
  models: readonly HeadlineMetric[],
): BootstrapReport {
  const settings = { resamples: spec.resamples, seed: spec.seed, confidence: spec.confidence };
  const dists = new Map<string, Distribution>(
    models.map((m) => [
      m.id,
      { estimate: m.metric(allRows(n)), statistics: bootstrapStatistics(n, m.metric, settings) },
    ]),
  );
  const dist = (id: string): Distribution => dists.get(id) as Distribution;
  const candidates = models.filter((m) => m.role === 'candidate');
  const baselines = models.filter((m) => m.role === 'baseline');
  return {
    headline: spec.headline,
    ...settings,
    models: Object.fromEntries(
      models.map((m) => [m.id, interval(dist(m.id).estimate, dist(m.id).statistics, spec.confidence)]),
    ),
    differences: candidates.flatMap((c) =>
      baselines.map((b) => ({
        candidate: c.id,
        baseline: b.id,
        ...paired(dist(c.id), dist(b.id), spec.confidence),
      })),
    ),
  };
}
