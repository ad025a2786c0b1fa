import { describe, expect, it } from 'vitest';
import type { AggregateBucket, LoggedPrediction } from '@slipway/contracts';
import {
  rowSummary,
  sameValue,
  shadowAgreement,
  timeRangeOf,
  trafficSeries,
  versionShares,
  windowOf,
} from '../src/endpoints/traffic.js';

const bucket = (start: number, fields: Partial<AggregateBucket> = {}): AggregateBucket => ({
  start,
  count: 0,
  errors: 0,
  errorRate: 0,
  labelled: 0,
  ...fields,
});

const prediction = (id: string, fields: Partial<LoggedPrediction>): LoggedPrediction => ({
  predictionId: id,
  endpoint: 'fraud',
  modelName: 'fraud',
  modelVersion: '1',
  arm: 'live',
  protocol: 'slipway',
  timestamp: 1000,
  latencyMs: 1,
  requestId: 'r',
  input: {},
  output: {},
  ...fields,
});

describe('time window', () => {
  it('ends with the bucket holding now, aligned to bucket starts', () => {
    const range = timeRangeOf('15m');
    expect(windowOf(range, 1_000_007_500)).toEqual({ from: 1_000_020_000 - 900_000, to: 1_000_020_000 });
    expect(timeRangeOf('nonsense').key).toBe('1h');
  });
});

describe('traffic series', () => {
  it('has a point per bucket, requests per second of live and canary, and gaps for empty buckets', () => {
    const series = trafficSeries(
      [
        bucket(60_000, { arm: 'live', count: 90, errors: 3, latencyP50: 2, latencyP95: 5, latencyP99: 9 }),
        bucket(60_000, { arm: 'canary', count: 30, errors: 1, latencyP99: 12 }),
        // Shadows mirror traffic: not counted again.
        bucket(60_000, { arm: 'shadow', count: 120, latencyP99: 50 }),
      ],
      { from: 0, to: 180_000 },
      60_000,
    );
    expect(series.x).toEqual([0, 60, 120]);
    expect(series.requestsPerSecond).toEqual([0, 2, 0]);
    expect(series.errors).toEqual([0, 4, 0]);
    expect(series.latencyP99).toEqual([null, 9, null]);
    expect(series.canaryP99).toEqual([null, 12, null]);
    expect([series.served, series.failed]).toEqual([120, 4]);
  });

  it('has no canary line without canary traffic', () => {
    const series = trafficSeries([bucket(0, { arm: 'live', count: 1 })], { from: 0, to: 60_000 }, 60_000);
    expect(series.canaryP99).toBeUndefined();
  });
});

describe('version shares', () => {
  it('sums buckets per version and arm, shares over what callers got, shadows as mirrored share', () => {
    const shares = versionShares([
      bucket(0, { modelVersion: '2', arm: 'canary', count: 10 }),
      bucket(0, { modelVersion: '1', arm: 'live', count: 20 }),
      bucket(60_000, { modelVersion: '1', arm: 'live', count: 10, errors: 1 }),
      bucket(0, { modelVersion: '3', arm: 'shadow', count: 40 }),
    ]);
    expect(shares.map((s) => [s.arm, s.modelVersion, s.count, s.errors, s.share])).toEqual([
      ['live', '1', 30, 1, 0.75],
      ['canary', '2', 10, 0, 0.25],
      ['shadow', '3', 40, 0, 1],
    ]);
  });
});

describe('shadow agreement', () => {
  it('joins shadows to what they shadowed and compares every field', () => {
    const live = [
      prediction('p1', { output: { label: 1, score: 0.9 } }),
      prediction('p2', { output: { label: 0, score: 0.2 } }),
    ];
    const shadows = [
      prediction('s1', {
        arm: 'shadow',
        modelVersion: '2',
        shadowOf: 'p1',
        output: { label: 1, score: 0.7 },
      }),
      prediction('s2', {
        arm: 'shadow',
        modelVersion: '2',
        shadowOf: 'p2',
        output: { label: 1, score: 0.2 },
      }),
      // Its primary is outside the sample: skipped.
      prediction('s3', {
        arm: 'shadow',
        modelVersion: '2',
        shadowOf: 'p9',
        output: { label: 1, score: 0.2 },
      }),
    ];
    const [v2] = shadowAgreement(live, shadows);
    expect(v2).toMatchObject({ modelVersion: '2', pairs: 2, agreed: 0 });
    expect(v2?.fields.map((f) => [f.field, f.compared, f.agreed])).toEqual([
      ['label', 2, 1],
      ['score', 2, 1],
    ]);
    expect(v2?.fields[1]?.meanAbsDiff).toBeCloseTo(0.1);
    expect(v2?.fields[0]?.meanAbsDiff).toBe(0.5);
  });

  it('counts a pair as agreeing when every field matches, arrays up to float noise', () => {
    const live = [prediction('p1', { output: { label: 'a', probabilities: [0.25, 0.75] } })];
    const shadows = [
      prediction('s1', {
        arm: 'shadow',
        shadowOf: 'p1',
        output: { label: 'a', probabilities: [0.25 + 1e-9, 0.75] },
      }),
    ];
    const [agreement] = shadowAgreement(live, shadows);
    expect(agreement).toMatchObject({ pairs: 1, agreed: 1 });
    expect(agreement?.fields.find((f) => f.field === 'label')?.meanAbsDiff).toBeUndefined();
  });

  it('compares values structurally, numbers with a relative tolerance', () => {
    expect(sameValue(1e9, 1e9 + 1)).toBe(true);
    expect(sameValue(0.5, 0.51)).toBe(false);
    expect(sameValue({ a: [1, 'x'] }, { a: [1, 'x'] })).toBe(true);
    expect(sameValue({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameValue('1', 1)).toBe(false);
    expect(sameValue(Number.NaN, Number.NaN)).toBe(true);
  });
});

describe('row summary', () => {
  it('lists fields with short numbers and cuts long rows', () => {
    expect(rowSummary({ a: 0.123456, b: 3, c: 'x' })).toBe('a=0.1235, b=3, c=x');
    const long = rowSummary({ text: 'y'.repeat(100) }, 20);
    expect(long).toHaveLength(20);
    expect(long.endsWith('…')).toBe(true);
  });
});
