import { describe, expect, it } from 'vitest';
import type { MetricBucket, MetricSample } from '@slipway/contracts';
import { axisValueOf, extremesOf, seriesOf, smooth } from '../src/charts/chart-data.js';

const s = (step: number, value: number): MetricSample => ({ step, timestamp: 10_000 + step * 1000, value });
const bucket = (samples: MetricSample[]): MetricBucket => {
  const finite = samples.filter((x) => !Number.isNaN(x.value));
  const byValue = [...finite].sort((a, b) => a.value - b.value);
  return {
    count: samples.length,
    first: samples[0]!,
    last: samples[samples.length - 1]!,
    min: byValue[0] ?? samples[0]!,
    max: byValue[byValue.length - 1] ?? samples[0]!,
  };
};

describe('chart series', () => {
  it('draws first, min, max and last of each bucket in axis order', () => {
    const out = seriesOf([bucket([s(0, 5), s(1, 9), s(2, 1), s(3, 4)])], 'step');
    expect(out).toEqual({ x: [0, 1, 2, 3], y: [5, 9, 1, 4] });
  });

  it('draws a point shared by several roles once', () => {
    const out = seriesOf([bucket([s(0, 1), s(1, 2), s(2, 3)]), bucket([s(5, 7)])], 'step');
    expect(out).toEqual({ x: [0, 2, 5], y: [1, 3, 7] });
  });

  it('counts time in seconds and leaves gaps for non-finite values', () => {
    const out = seriesOf([bucket([s(0, Number.NaN)]), bucket([s(1, Number.POSITIVE_INFINITY)])], 'time');
    expect(out).toEqual({ x: [10, 11], y: [null, null] });
    expect(axisValueOf(11, 'time')).toBe(11_000);
    expect(axisValueOf(11, 'step')).toBe(11);
  });

  it('smooths with a debiased moving average that skips gaps', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3]);
    const out = smooth([4, null, 4, 0], 0.5);
    expect(out[0]).toBe(4); // debiased: the first point is not pulled towards zero
    expect(out[1]).toBeNull();
    expect(out[2]).toBeCloseTo(4);
    // Weights (1 - w) w^k from the newest back, divided by the weight the seen points add up to.
    expect(out[3]).toBeCloseTo((0 * 0.5 + 4 * 0.5 * 0.5 + 4 * 0.5 * 0.25) / (1 - 0.5 ** 3));
  });

  it('finds the extremes across buckets, infinities included', () => {
    const buckets = [bucket([s(0, 3), s(1, -2)]), bucket([s(2, Number.POSITIVE_INFINITY), s(3, 8)])];
    expect(extremesOf(buckets)).toEqual({ min: -2, max: Number.POSITIVE_INFINITY });
    expect(extremesOf(buckets.slice(0, 1))).toEqual({ min: -2, max: 3 });
    expect(extremesOf([bucket([s(0, Number.NaN)])])).toBeUndefined();
  });
});
