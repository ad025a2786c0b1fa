import { describe, expect, it } from 'vitest';
import type { Run } from '@slipway/contracts';
import {
  alignSeries,
  compareUrl,
  metricDiff,
  niceTicks,
  paramDiff,
  parseRunIds,
  scatterOf,
} from '../src/compare/compare-data.js';

const run = (id: string, params: Record<string, string>, metrics: Record<string, number>): Run => ({
  info: {
    runId: id,
    runName: id,
    experimentId: '1',
    userId: '',
    status: 'FINISHED',
    startTime: 0,
    endTime: 1,
    artifactUri: '',
    lifecycleStage: 'active',
  },
  data: {
    params,
    tags: {},
    metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
  },
  inputs: { datasetInputs: [] },
});

describe('run ids in the URL', () => {
  it('splits, trims and drops blanks and repeats, keeping the order', () => {
    expect(parseRunIds(' b, a,,b ,c')).toEqual(['b', 'a', 'c']);
    expect(parseRunIds(null)).toEqual([]);
    expect(parseRunIds('')).toEqual([]);
  });

  it('builds the address back', () => {
    expect(compareUrl(['a1', 'b2'])).toBe('/compare?runs=a1,b2');
    expect(parseRunIds(new URL(`http://x${compareUrl(['a', 'b'])}`).searchParams.get('runs'))).toEqual([
      'a',
      'b',
    ]);
  });
});

describe('aligning curves', () => {
  it('merges x values of several runs and leaves gaps where a run has no point', () => {
    const out = alignSeries([
      { x: [0, 2, 4], y: [1, 2, 3] },
      { x: [1, 2, 5], y: [10, 20, 30] },
    ]);
    expect(out.x).toEqual([0, 1, 2, 4, 5]);
    expect(out.ys).toEqual([
      [1, null, 2, 3, null],
      [null, 10, 20, null, 30],
    ]);
  });

  it('keeps every point a run has at one x, in order, repeating that x as needed', () => {
    const out = alignSeries([
      { x: [0, 1, 1, 1], y: [5, 9, 1, 4] },
      { x: [1], y: [7] },
    ]);
    expect(out.x).toEqual([0, 1, 1, 1]);
    expect(out.ys).toEqual([
      [5, 9, 1, 4],
      [null, 7, null, null],
    ]);
  });

  it('keeps gaps a run already had and handles no runs or no points', () => {
    expect(alignSeries([{ x: [0, 1], y: [null, 2] }]).ys).toEqual([[null, 2]]);
    expect(alignSeries([])).toEqual({ x: [], ys: [] });
    expect(alignSeries([{ x: [], y: [] }])).toEqual({ x: [], ys: [[]] });
  });
});

describe('diff tables', () => {
  const runs = [
    run('a', { lr: '0.1', model: 'gbm', seed: '1' }, { rmse: 0.5, nan: Number.NaN }),
    run('b', { lr: '0.01', model: 'gbm' }, { rmse: 0.5, nan: Number.NaN, mae: 1 }),
  ];

  it('marks params that differ, a missing one included', () => {
    expect(paramDiff(runs)).toEqual([
      { key: 'lr', values: ['0.1', '0.01'], differs: true },
      { key: 'model', values: ['gbm', 'gbm'], differs: false },
      { key: 'seed', values: ['1', undefined], differs: true },
    ]);
  });

  it('compares latest metric values, NaN equal to NaN', () => {
    expect(metricDiff(runs).map((r) => [r.key, r.differs])).toEqual([
      ['mae', true],
      ['nan', false],
      ['rmse', false],
    ]);
  });
});

describe('scatter', () => {
  it('puts a numeric param on a number line and leaves out runs without the metric or param', () => {
    const runs = [
      run('a', { lr: '0.1' }, { rmse: 0.5 }),
      run('b', { lr: '1e-2' }, { rmse: 0.7 }),
      run('c', {}, { rmse: 0.9 }),
      run('d', { lr: '0.3' }, { rmse: Number.POSITIVE_INFINITY }),
    ];
    expect(scatterOf(runs, 'rmse', 'lr')).toEqual({
      points: [
        { run: 0, x: 0.1, y: 0.5, param: '0.1' },
        { run: 1, x: 0.01, y: 0.7, param: '1e-2' },
      ],
      categories: undefined,
      missing: 2,
    });
  });

  it('gives a non-numeric param one sorted column per value', () => {
    const runs = [
      run('a', { model: 'linear' }, { rmse: 1 }),
      run('b', { model: 'gbm' }, { rmse: 2 }),
      run('c', { model: 'linear' }, { rmse: 3 }),
    ];
    const out = scatterOf(runs, 'rmse', 'model');
    expect(out.categories).toEqual(['gbm', 'linear']);
    expect(out.points.map((p) => p.x)).toEqual([1, 0, 1]);
  });
});

describe('axis ticks', () => {
  it('picks round steps covering the range', () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.13, 0.91, 4)).toEqual([0.2, 0.4, 0.6, 0.8]);
    expect(niceTicks(-3, 17, 4)).toEqual([0, 5, 10, 15]);
    expect(niceTicks(2, 2, 5)).toEqual([2]);
    expect(niceTicks(Number.NaN, 1, 5)).toEqual([]);
  });
});
