import { describe, expect, it } from 'vitest';
import type { Run } from '@slipway/contracts';
import {
  allColumns,
  defaultColumnIds,
  formatSort,
  keysOf,
  metricColumn,
  paramColumn,
  parseSort,
  rowsOf,
  sortRows,
  visibleColumns,
} from '../src/runs/columns.js';

function run(name: string, metrics: Record<string, number>, params: Record<string, string>): Run {
  return {
    info: {
      runId: name.padEnd(32, '0'),
      experimentId: '1',
      runName: name,
      userId: 'ada',
      status: 'FINISHED',
      startTime: 1000,
      endTime: 4000,
      artifactUri: '',
      lifecycleStage: 'active',
    },
    data: {
      metrics: Object.entries(metrics).map(([key, value]) => ({ key, value, step: 0, timestamp: 0 })),
      params,
      tags: {},
    },
    inputs: { datasetInputs: [] },
  };
}

const rows = rowsOf([
  run('a', { rmse: 0.5, acc: 0.9 }, { lr: '0.1', model: 'gbm' }),
  run('b', { rmse: 0.2 }, { lr: '0.01', model: 'linear' }),
  run('c', { rmse: Number.NaN, acc: 0.7 }, { lr: '1e-3' }),
  run('d', {}, { lr: 'auto', model: 'forest' }),
]);
const names = (r: typeof rows): string[] => r.map((x) => x.run.info.runName);

describe('runs table model', () => {
  it('looks up metrics and params by key and knows each duration', () => {
    expect(rows[0]!.metrics).toEqual({ rmse: 0.5, acc: 0.9 });
    expect(rows[0]!.durationMs).toBe(3000);
    expect(keysOf(rows)).toEqual({ metrics: ['acc', 'rmse'], params: ['lr', 'model'] });
  });

  it('sorts metrics numerically, missing values and NaN last in either direction', () => {
    const rmse = metricColumn('rmse');
    expect(names(sortRows(rows, rmse, false))).toEqual(['b', 'a', 'c', 'd']);
    expect(names(sortRows(rows, rmse, true))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sorts params as numbers when they are numbers, after them as text', () => {
    expect(names(sortRows(rows, paramColumn('lr'), false))).toEqual(['c', 'b', 'a', 'd']);
    expect(names(sortRows(rows, paramColumn('model'), true))).toEqual(['b', 'a', 'd', 'c']);
  });

  it('keeps the original order among equal values', () => {
    const same = rowsOf([run('x', { m: 1 }, {}), run('y', { m: 1 }, {}), run('z', { m: 0 }, {})]);
    expect(names(sortRows(same, metricColumn('m'), false))).toEqual(['z', 'x', 'y']);
    expect(names(sortRows(same, metricColumn('m'), true))).toEqual(['x', 'y', 'z']);
  });

  it('shows attributes and the first metrics and params by default, the run name always', () => {
    const keys = { metrics: Array.from({ length: 9 }, (_, i) => `m${i}`), params: ['p'] };
    const ids = defaultColumnIds(keys);
    expect(ids).toContain('metrics.m5');
    expect(ids).not.toContain('metrics.m6');
    expect(ids).toContain('params.p');
    expect(ids).not.toContain('user');
    const shown = visibleColumns(allColumns(keys), new Set(['params.p']));
    expect(shown.map((c) => c.id)).toEqual(['name', 'params.p']);
  });

  it('reads and writes the sort in the URL form', () => {
    expect(parseSort('metrics.val/loss:desc')).toEqual({ column: 'metrics.val/loss', descending: true });
    expect(parseSort('name')).toEqual({ column: 'name', descending: false });
    expect(parseSort('')).toBeUndefined();
    expect(parseSort(null)).toBeUndefined();
    expect(formatSort({ column: 'params.lr', descending: false })).toBe('params.lr:asc');
  });
});
