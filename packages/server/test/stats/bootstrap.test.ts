import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  bootstrapCi,
  bootstrapStatistics,
  pairedBootstrap,
  percentileInterval,
} from '../../src/stats/bootstrap.js';
import type { ResampleMetric } from '../../src/stats/bootstrap.js';
import { splitmix64, Xoshiro128 } from '../../src/stats/random.js';

interface PercentileFixture {
  name: string;
  stats: number[];
  confidence: number;
  lower: number;
  upper: number;
}

const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/regression_ranking.json', import.meta.url), 'utf8'),
) as { percentile: PercentileFixture[] };

/** Mean of `values` over a resample, allocation-free. */
function meanOf(values: Float64Array): ResampleMetric {
  return (indices) => {
    let sum = 0;
    for (let i = 0; i < indices.length; i++) sum += values[indices[i] as number] as number;
    return sum / indices.length;
  };
}

/** n draws from N(mean, sd²) by Box–Muller on the seeded PRNG. */
function normalSample(rng: Xoshiro128, n: number, mean: number, sd: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rng.nextFloat();
    out[i] = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.nextFloat());
  }
  return out;
}

describe('xoshiro128** and splitmix64', () => {
  // Expected values printed by the authors' C reference code (prng.di.unimi.it), compiled locally.
  it('matches the reference xoshiro128** stream for state {1, 2, 3, 4}', () => {
    const rng = new Xoshiro128([1, 2, 3, 4]);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492,
    ]);
  });

  it('matches the reference splitmix64 seeding for seed 42', () => {
    const first = splitmix64(42n);
    expect(first.value).toBe(13679457532755275413n);
    expect(splitmix64(first.state).value).toBe(2949826092126892291n);
    const rng = Xoshiro128.fromSeed(42);
    expect(Array.from({ length: 6 }, () => rng.nextUint32())).toEqual([
      1776835114, 4165204688, 17111135, 2317295270, 2792088233, 2554630222,
    ]);
  });

  it('draws indices by rejection then modulo, so small ranges are exactly uniform', () => {
    const indices = new Int32Array(6);
    Xoshiro128.fromSeed(42).fillIndices(indices, 10);
    expect(Array.from(indices)).toEqual([4, 8, 5, 0, 3, 2]);
    const rng = Xoshiro128.fromSeed(1);
    const counts = new Array<number>(3).fill(0);
    for (let i = 0; i < 30_000; i++) counts[rng.nextInt(3)]! += 1;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(400); // > 4.5 sd
  });

  it('nextFloat stays in [0, 1)', () => {
    const rng = Xoshiro128.fromSeed(7n);
    for (let i = 0; i < 10_000; i++) {
      const x = rng.nextFloat();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });

  it.each([
    ['an all-zero state', () => new Xoshiro128([0, 0, 0, 0])],
    ['a fractional seed', () => Xoshiro128.fromSeed(1.5)],
    ['an empty range', () => Xoshiro128.fromSeed(1).nextInt(0)],
  ])('rejects %s', (_name, call) => expect(call).toThrow(SlipwayError));
});

describe('percentile interval against numpy.quantile on the same statistics', () => {
  it.each(FIXTURES.percentile)('$name', (c) => {
    const { lower, upper } = percentileInterval(c.stats, c.confidence);
    expect(Math.abs(lower - c.lower)).toBeLessThanOrEqual(1e-12 * Math.abs(c.lower));
    expect(Math.abs(upper - c.upper)).toBeLessThanOrEqual(1e-12 * Math.abs(c.upper));
  });
});

describe('bootstrapCi', () => {
  const data = normalSample(Xoshiro128.fromSeed(3), 500, 10, 4);

  it('is deterministic under a seed and changes with it', () => {
    const a = bootstrapCi(data.length, meanOf(data), { seed: 11, resamples: 300 });
    expect(bootstrapCi(data.length, meanOf(data), { seed: 11, resamples: 300 })).toEqual(a);
    expect(bootstrapCi(data.length, meanOf(data), { seed: 12, resamples: 300 }).lower).not.toBe(a.lower);
    expect(a.estimate).toBe(meanOf(data)(Int32Array.from(data.keys())));
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
    expect(a).toMatchObject({ confidence: 0.95, resamples: 300, droppedNaN: 0 });
  });

  it('is the percentile interval of bootstrapStatistics under the same seed', () => {
    const options = { seed: 5, resamples: 200, confidence: 0.9 };
    const ci = bootstrapCi(data.length, meanOf(data), options);
    const stats = bootstrapStatistics(data.length, meanOf(data), options);
    expect(percentileInterval(stats, 0.9)).toEqual({ lower: ci.lower, upper: ci.upper });
  });

  it('hands every resample the same reused Int32Array of in-range indices', () => {
    const seen = new Set<Int32Array>();
    bootstrapStatistics(
      50,
      (indices) => {
        seen.add(indices);
        expect(indices.length).toBe(50);
        for (const i of indices) expect(i >= 0 && i < 50).toBe(true);
        return 0;
      },
      { resamples: 20 },
    );
    expect(seen.size).toBe(1);
  });

  it('drops NaN statistics and reports how many', () => {
    let call = 0;
    const ci = bootstrapCi(10, () => (call++ % 2 === 0 ? Number.NaN : call), { resamples: 10 });
    expect(ci.resamples).toBe(5);
    expect(ci.droppedNaN).toBe(5);
    expect(Number.isFinite(ci.lower)).toBe(true);
  });

  // Coverage sanity: the 95% percentile CI of a mean should cover the true mean about 95% of the time.
  // For n = 50 the percentile method under-covers slightly (≈ 93-94%), and 200 experiments carry a
  // binomial sd of ≈ 1.6 points, so [0.88, 0.99] is a wide band; the seeds make the outcome fixed.
  // Observed: 0.975 for these seeds, 0.937 over 2000 experiments with other seeds.
  it('covers the true mean of a normal sample in ~95% of 200 seeded experiments', () => {
    const trueMean = 3;
    let covered = 0;
    for (let e = 0; e < 200; e++) {
      const sample = normalSample(Xoshiro128.fromSeed(1000 + e), 50, trueMean, 2);
      const ci = bootstrapCi(sample.length, meanOf(sample), { seed: e, resamples: 500 });
      if (ci.lower <= trueMean && trueMean <= ci.upper) covered++;
    }
    expect(covered / 200).toBeGreaterThanOrEqual(0.88);
    expect(covered / 200).toBeLessThanOrEqual(0.99);
  });

  it('handles a million rows with one index buffer', () => {
    const big = new Float64Array(1_000_000);
    const rng = Xoshiro128.fromSeed(9);
    for (let i = 0; i < big.length; i++) big[i] = rng.nextFloat();
    const ci = bootstrapCi(big.length, meanOf(big), { resamples: 20, seed: 1 });
    expect(ci.upper - ci.lower).toBeLessThan(0.003); // sd of the mean ≈ 0.00029
    expect(ci.lower).toBeLessThan(0.501);
    expect(ci.upper).toBeGreaterThan(0.499);
  });

  it.each([
    ['n = 0', () => bootstrapCi(0, () => 0)],
    ['zero resamples', () => bootstrapCi(5, () => 0, { resamples: 0 })],
    ['confidence 1', () => bootstrapCi(5, () => 0, { confidence: 1 })],
    ['confidence 0 in percentileInterval', () => percentileInterval([1, 2], 0)],
  ])('rejects %s', (_name, call) => expect(call).toThrow(SlipwayError));
});

describe('pairedBootstrap', () => {
  const truth = normalSample(Xoshiro128.fromSeed(21), 400, 0, 1);
  const noise = normalSample(Xoshiro128.fromSeed(22), 400, 0, 1);
  /** Mean absolute error of predictions `truth + scale·noise` over a resample. */
  const maeOf =
    (scale: number): ResampleMetric =>
    (indices) => {
      let sum = 0;
      for (const i of indices) sum += Math.abs(scale * (noise[i] as number));
      return sum / indices.length;
    };

  it('gives exactly 0 for identical models', () => {
    const d = pairedBootstrap(truth.length, maeOf(1), maeOf(1), { seed: 4, resamples: 200 });
    expect(d).toMatchObject({ estimate: 0, lower: 0, upper: 0, shareAboveZero: 0, resamples: 200 });
  });

  it('feeds both models the same resample each round', () => {
    const seenBy = { candidate: [] as number[], baseline: [] as number[] };
    pairedBootstrap(
      30,
      (idx) => (seenBy.candidate.push(idx[0] as number, idx[29] as number), 0),
      (idx) => (seenBy.baseline.push(idx[0] as number, idx[29] as number), 0),
      { resamples: 25 },
    );
    expect(seenBy.candidate).toEqual(seenBy.baseline);
  });

  it('puts the interval and the share on the side of the truly larger metric', () => {
    // Candidate error is twice the baseline's on every row, so every resample's difference is > 0.
    const d = pairedBootstrap(truth.length, maeOf(2), maeOf(1), { seed: 8, resamples: 300 });
    expect(d.lower).toBeGreaterThan(0);
    expect(d.shareAboveZero).toBe(1);
    expect(d.estimate).toBeCloseTo(maeOf(1)(Int32Array.from(truth.keys())), 12);
  });

  it('is the bootstrap of the difference under the same seed', () => {
    const options = { seed: 13, resamples: 150 };
    const d = pairedBootstrap(truth.length, maeOf(1.1), maeOf(1), options);
    const stats = bootstrapStatistics(truth.length, (i) => maeOf(1.1)(i) - maeOf(1)(i), options);
    expect(percentileInterval(stats, 0.95)).toEqual({ lower: d.lower, upper: d.upper });
    expect(d.shareAboveZero).toBe(stats.filter((x) => x > 0).length / stats.length);
  });
});
