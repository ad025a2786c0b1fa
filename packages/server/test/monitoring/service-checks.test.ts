import { describe, expect, it } from 'vitest';
import type { AggregateBucket, MonitorStatistic, SlipwayError } from '@slipway/contracts';
import { performanceStatistics, serviceStatistics } from '../../src/monitoring/service-checks.js';

/** A bucket with the given fields; errorRate follows from count and errors. */
function bucket(start: number, fields: Partial<AggregateBucket>): AggregateBucket {
  const count = fields.count ?? 0;
  const errors = fields.errors ?? 0;
  const errorRate = count + errors === 0 ? 0 : errors / (count + errors);
  return { start, count, errors, errorRate, labelled: 0, ...fields };
}

function named(stats: MonitorStatistic[], name: string): MonitorStatistic | undefined {
  return stats.find((s) => s.name === name);
}

function errorField(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return (e as SlipwayError).details.field;
  }
  return undefined;
}

describe('serviceStatistics', () => {
  // Two one-minute buckets, split by arm in the first: 200 requests, 10 of them failed.
  const buckets = [
    bucket(0, { arm: 'live', count: 60, errors: 10, latencyP99: 120 }),
    bucket(0, { arm: 'shadow', count: 30, latencyP99: 90 }),
    bucket(60_000, { count: 100, latencyP99: 80 }),
  ];

  it('sums requests and errors over buckets and takes the largest bucket p99', () => {
    expect(serviceStatistics(buckets, { latencyP99Ms: 150 })).toEqual([
      {
        check: 'service',
        name: 'requests',
        value: 200,
        threshold: 10,
        flagged: false,
        details: { served: 190, errors: 10, buckets: 3 },
      },
      {
        check: 'service',
        name: 'error_rate',
        value: 0.05,
        threshold: 0.05,
        flagged: false,
        details: { errors: 10, requests: 200, enoughRequests: true },
      },
      {
        check: 'service',
        name: 'latency_p99_ms',
        value: 120,
        threshold: 150,
        flagged: false,
        details: {
          combined: 'max_of_bucket_p99',
          worstBucketStart: 0,
          weightedMeanP99: (120 * 60 + 90 * 30 + 80 * 100) / 190,
          enoughRequests: true,
        },
      },
    ]);
  });

  it('flags an error rate and a p99 above their thresholds', () => {
    const stats = serviceStatistics(buckets, { errorRate: 0.04, latencyP99Ms: 100 });
    expect(named(stats, 'error_rate')).toMatchObject({ value: 0.05, threshold: 0.04, flagged: true });
    expect(named(stats, 'latency_p99_ms')).toMatchObject({ value: 120, threshold: 100, flagged: true });
  });

  it('records latency without a threshold, never flagged', () => {
    const latency = named(serviceStatistics(buckets), 'latency_p99_ms');
    expect(latency).toMatchObject({ value: 120, flagged: false });
    expect(latency).not.toHaveProperty('threshold');
  });

  it('flags too little traffic and nothing else below minRequests', () => {
    const stats = serviceStatistics(buckets, { minRequests: 201, errorRate: 0.01, latencyP99Ms: 1 });
    expect(stats.map((s) => [s.name, s.flagged])).toEqual([
      ['requests', true],
      ['error_rate', false],
      ['latency_p99_ms', false],
    ]);
    expect(named(stats, 'error_rate')?.details).toMatchObject({ enoughRequests: false });
  });

  it('gives an empty window zero requests and no latency', () => {
    expect(serviceStatistics([]).map((s) => [s.name, s.value, s.flagged])).toEqual([
      ['requests', 0, true],
      ['error_rate', 0, false],
    ]);
    // A window of failures only has no served latency either.
    expect(serviceStatistics([bucket(0, { errors: 20 })]).map((s) => [s.name, s.value, s.flagged])).toEqual([
      ['requests', 20, false],
      ['error_rate', 1, true],
    ]);
  });

  it('rejects thresholds it cannot judge, naming the field', () => {
    expect(errorField(() => serviceStatistics(buckets, { errorRate: 2 }))).toBe('errorRate');
    expect(errorField(() => serviceStatistics(buckets, { latencyP99Ms: -1 }))).toBe('latencyP99Ms');
    expect(errorField(() => serviceStatistics(buckets, { minRequests: 1.5 }))).toBe('minRequests');
  });
});

describe('performanceStatistics', () => {
  const accuracy = { predictionField: 'label', metric: 'accuracy' } as const;
  // 80 labelled of 250 served: 45 of 50 right, then 21 of 30 right.
  const classified = [
    bucket(0, { count: 100, labelled: 50, accuracy: 0.9, labelDelayP50: 1000 }),
    bucket(60_000, { count: 100, labelled: 30, accuracy: 0.7, labelDelayP50: 5000 }),
    bucket(120_000, { count: 50 }),
  ];

  it('weights bucket accuracy by labels and flags a drop of more than 0.05 from the reference', () => {
    expect(performanceStatistics(classified, accuracy, { value: 0.9 })).toEqual([
      {
        check: 'performance',
        column: 'label',
        name: 'accuracy',
        value: 66 / 80,
        threshold: 0.9 - 0.05,
        flagged: true,
        details: { labelled: 80, reference: 0.9, degradation: 0.9 - 66 / 80, maxDegradation: 0.05 },
      },
      {
        check: 'performance',
        column: 'label',
        name: 'label_coverage',
        value: 80 / 250,
        flagged: false,
        details: { labelled: 80, served: 250 },
      },
      {
        check: 'performance',
        column: 'label',
        name: 'label_delay_p50_ms',
        value: 1000,
        flagged: false,
        details: { combined: 'labelled_weighted_median_of_bucket_medians', buckets: 2 },
      },
    ]);
    const within = named(performanceStatistics(classified, accuracy, { value: 0.85 }), 'accuracy');
    expect(within).toMatchObject({ value: 0.825, threshold: 0.85 - 0.05, flagged: false });
  });

  it('flags the live metric once it no longer beats the baseline of the reference evaluation', () => {
    const beaten = named(
      performanceStatistics(classified, accuracy, undefined, { value: 0.83, model: 'fraud-constant/1' }),
      'baseline_margin',
    );
    expect(beaten).toEqual({
      check: 'performance',
      column: 'label',
      name: 'baseline_margin',
      value: 0.825 - 0.83,
      threshold: 0,
      flagged: true,
      details: { metric: 'accuracy', realized: 0.825, baseline: 0.83, baselineModel: 'fraud-constant/1' },
    });
    const ahead = named(
      performanceStatistics(classified, accuracy, undefined, { value: 0.6, model: 'b/1' }),
      'baseline_margin',
    );
    expect(ahead).toMatchObject({ value: 0.825 - 0.6, flagged: false });
    const regression = [bucket(0, { count: 10, labelled: 10, mae: 2 })];
    const mae = { predictionField: 'value', metric: 'mae' } as const;
    expect(
      named(
        performanceStatistics(regression, mae, undefined, { value: 3, model: 'mean/1' }),
        'baseline_margin',
      ),
    ).toMatchObject({
      value: 1,
      flagged: false,
    });
    expect(
      named(
        performanceStatistics(regression, mae, undefined, { value: 2, model: 'mean/1' }),
        'baseline_margin',
      ),
    ).toMatchObject({
      value: 0,
      flagged: true,
    });
  });

  it('records the metric without a reference, unflagged', () => {
    const a = named(performanceStatistics(classified, { ...accuracy, maxDegradation: 0 }), 'accuracy');
    expect(a).toEqual({
      check: 'performance',
      column: 'label',
      name: 'accuracy',
      value: 0.825,
      flagged: false,
      details: { labelled: 80 },
    });
  });

  it('takes the labelled-weighted median of bucket label delays', () => {
    const later = [
      ...classified,
      bucket(180_000, { count: 40, labelled: 40, accuracy: 1, labelDelayP50: 9000 }),
    ];
    // Weights 50, 30, 40 on 1000, 5000, 9000: half of 120 is reached at 5000.
    expect(named(performanceStatistics(later, accuracy), 'label_delay_p50_ms')?.value).toBe(5000);
  });

  it('flags a rise of MAE by more than 10% of the reference by default, or by maxDegradation', () => {
    const mae = { predictionField: 'score', metric: 'mae' } as const;
    const regressed = [
      bucket(0, { count: 10, labelled: 10, mae: 2 }),
      bucket(1, { count: 10, labelled: 5, mae: 5 }),
    ];
    expect(named(performanceStatistics(regressed, mae, { value: 2.5 }), 'mae')).toEqual({
      check: 'performance',
      column: 'score',
      name: 'mae',
      value: 3,
      threshold: 2.75,
      flagged: true,
      details: { labelled: 15, reference: 2.5, degradation: 0.5, maxDegradation: 0.25 },
    });
    expect(
      named(performanceStatistics(regressed, { ...mae, maxDegradation: 1 }, { value: 2.5 }), 'mae'),
    ).toMatchObject({ threshold: 3.5, flagged: false });
  });

  it('omits the metric without labels and the coverage without traffic', () => {
    const unlabelled = performanceStatistics([bucket(0, { count: 20 })], accuracy, { value: 0.9 });
    expect(unlabelled.map((s) => [s.name, s.value])).toEqual([['label_coverage', 0]]);
    expect(performanceStatistics([], accuracy)).toEqual([]);
  });

  it('rejects a metric the aggregates do not carry and bad settings, naming the field', () => {
    const numeric = [bucket(0, { count: 5, labelled: 5, mae: 1 })];
    expect(errorField(() => performanceStatistics(numeric, accuracy))).toBe('metric');
    expect(errorField(() => performanceStatistics(classified, { ...accuracy, maxDegradation: -1 }))).toBe(
      'maxDegradation',
    );
    expect(errorField(() => performanceStatistics(classified, accuracy, { value: Number.NaN }))).toBe(
      'reference.value',
    );
  });
});
