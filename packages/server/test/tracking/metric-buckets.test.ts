import { describe, expect, it } from 'vitest';
import type { Metric } from '@slipway/contracts';
import { bucketMetricHistory } from '../../src/tracking/metric-buckets.js';

const point = (step: number, value: number, timestamp = 1000 + step): Metric => ({
  key: 'loss',
  step,
  value,
  timestamp,
});

/** A deterministic wiggle, so extremes sit at known places. */
const series = (n: number): Metric[] => Array.from({ length: n }, (_, i) => point(i, Math.sin(i / 7)));

describe('bucketMetricHistory', () => {
  it('sends a short history whole, one point per bucket, in axis order', () => {
    const out = bucketMetricHistory('loss', [point(2, 0.2), point(0, 0.5), point(1, 0.4)], {
      buckets: 10,
      axis: 'step',
    });
    expect(out).toMatchObject({ key: 'loss', axis: 'step', total: 3, downsampled: false });
    expect(out.buckets.map((b) => [b.count, b.first.step, b.first.value])).toEqual([
      [1, 0, 0.5],
      [1, 1, 0.4],
      [1, 2, 0.2],
    ]);
    expect(out.buckets[0]!.min).toEqual(out.buckets[0]!.max);
  });

  it('reduces to at most N buckets and keeps every point counted', () => {
    const out = bucketMetricHistory('loss', series(100_000), { buckets: 1000, axis: 'step' });
    expect(out.downsampled).toBe(true);
    expect(out.total).toBe(100_000);
    expect(out.buckets.length).toBeLessThanOrEqual(1000);
    expect(out.buckets.length).toBeGreaterThan(990);
    expect(out.buckets.reduce((sum, b) => sum + b.count, 0)).toBe(100_000);
  });

  it('keeps each bucket exact: first and last by axis, min and max by value', () => {
    const points = series(10_000);
    const out = bucketMetricHistory('loss', points, { buckets: 37, axis: 'step' });
    let start = 0;
    for (const bucket of out.buckets) {
      const members = points.slice(start, start + bucket.count);
      start += bucket.count;
      const values = members.map((m) => m.value);
      expect(bucket.first.step).toBe(members[0]!.step);
      expect(bucket.last.step).toBe(members[members.length - 1]!.step);
      expect(bucket.min.value).toBe(Math.min(...values));
      expect(bucket.max.value).toBe(Math.max(...values));
      expect(members[values.indexOf(bucket.min.value)]!.step).toBe(bucket.min.step);
    }
    expect(start).toBe(points.length);
  });

  it('never loses a single spike or dip, wherever it falls', () => {
    const points = series(50_000);
    points[12_345] = point(12_345, 99);
    points[40_001] = point(40_001, -99);
    const out = bucketMetricHistory('loss', points, { buckets: 200, axis: 'step' });
    expect(Math.max(...out.buckets.map((b) => b.max.value))).toBe(99);
    expect(Math.min(...out.buckets.map((b) => b.min.value))).toBe(-99);
    expect(out.buckets.find((b) => b.max.value === 99)?.max.step).toBe(12_345);
  });

  it('slices the axis into equal widths, leaving gaps out', () => {
    // Steps 0..9 and 90..99: with 10 buckets of width 9.9 the middle eight buckets are empty.
    const points = [
      ...Array.from({ length: 10 }, (_, i) => i),
      ...Array.from({ length: 10 }, (_, i) => 90 + i),
    ];
    const out = bucketMetricHistory(
      'loss',
      points.map((s) => point(s, s)),
      { buckets: 10, axis: 'step' },
    );
    expect(out.buckets.map((b) => [b.first.step, b.last.step])).toEqual([
      [0, 9],
      [90, 99],
    ]);
  });

  it('ignores NaN for the extremes unless a bucket holds nothing else, and keeps infinities', () => {
    const points = [point(0, Number.NaN), point(1, 3), point(2, Number.NaN), point(3, 1)];
    points.push(point(4, Number.NaN), point(5, Number.NaN), point(6, Number.POSITIVE_INFINITY), point(7, 0));
    const out = bucketMetricHistory('loss', points, { buckets: 2, axis: 'step' });
    const [a, b] = out.buckets;
    expect([a!.min.value, a!.max.value]).toEqual([1, 3]);
    expect(a!.first.value).toBeNaN();
    expect([b!.min.value, b!.max.value]).toEqual([0, Number.POSITIVE_INFINITY]);
    const allNaN = bucketMetricHistory(
      'loss',
      [point(0, Number.NaN), point(1, Number.NaN), point(2, 1), point(3, 1)],
      {
        buckets: 2,
        axis: 'step',
      },
    );
    expect(allNaN.buckets[0]!.min.value).toBeNaN();
    expect(allNaN.buckets[0]!.count).toBe(2);
  });

  it('buckets along time when asked, ordering by timestamp rather than step', () => {
    const points = [point(0, 1, 5000), point(1, 2, 1000), point(2, 3, 3000), point(3, 4, 9000)];
    const out = bucketMetricHistory('loss', points, { buckets: 2, axis: 'time' });
    expect(out.axis).toBe('time');
    // Width (9000 - 1000) / 2 = 4000: [1000, 5000) holds steps 1 and 2, [5000, 9000] steps 0 and 3.
    expect(out.buckets.map((b) => [b.first.step, b.last.step, b.count])).toEqual([
      [1, 2, 2],
      [0, 3, 2],
    ]);
  });

  it('keeps only the requested range, inclusive at both ends', () => {
    const out = bucketMetricHistory('loss', series(1000), {
      buckets: 1000,
      axis: 'step',
      from: 100,
      to: 199,
    });
    expect(out.total).toBe(100);
    expect(out.buckets[0]!.first.step).toBe(100);
    expect(out.buckets[out.buckets.length - 1]!.last.step).toBe(199);
  });

  it('puts points of one axis value in one bucket', () => {
    const points = Array.from({ length: 5 }, (_, i) => point(7, i, 1000 + i));
    const out = bucketMetricHistory('loss', points, { buckets: 2, axis: 'step' });
    expect(out.buckets).toHaveLength(1);
    expect(out.buckets[0]).toMatchObject({ count: 5, first: { value: 0 }, last: { value: 4 } });
  });

  it('answers an empty history with no buckets', () => {
    expect(bucketMetricHistory('loss', [], { buckets: 5, axis: 'time' })).toEqual({
      key: 'loss',
      axis: 'time',
      total: 0,
      downsampled: false,
      buckets: [],
    });
  });
});
