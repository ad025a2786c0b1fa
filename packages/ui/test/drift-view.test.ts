import { describe, expect, it } from 'vitest';
import type { AggregateBucket, Alert, MonitorRun, MonitorStatistic } from '@slipway/contracts';
import {
  driftColumnsOf,
  heatColor,
  heatFigureOf,
  heatMap,
  histogramPair,
  largestFigure,
  realizedSeries,
} from '../src/monitoring/drift-view.js';

const ks = (column: string, value: number, pValue: number, flagged: boolean): MonitorStatistic => ({
  check: 'drift',
  column,
  name: 'ks',
  value,
  threshold: 0.05,
  flagged,
  details: { kind: 'p_value', pValue },
});

const run = (
  id: string,
  to: number,
  statistics: MonitorStatistic[],
  state: MonitorRun['state'] = 'succeeded',
): MonitorRun => ({
  id,
  monitorId: 'm',
  state,
  from: to - 1000,
  to,
  startedAt: to,
  statistics,
});

describe('drift heat map', () => {
  const runs = [
    // Newest first, as the API lists them.
    run('r3', 3000, [ks('a', 0.1, 0.4, false), ks('b', 1, 1e-9, true), ks('c', 0.2, 0.01, true)]),
    run('r2', 2000, [], 'failed'),
    run('r1', 1000, [
      ks('a', 0.05, 0.8, false),
      ks('b', 0.9, 1e-6, true),
      { check: 'drift', name: 'dataset_drift_share', value: 0.5, flagged: true },
    ]),
  ];

  it('has a row per compared column and a cell per succeeded run, oldest first', () => {
    const map = heatMap(runs, 'pValue');
    expect(map.runs.map((r) => r.id)).toEqual(['r1', 'r3']);
    expect(map.columns).toEqual(['a', 'b', 'c']);
    expect(map.cells['b']?.map((c) => c?.figure)).toEqual([1e-6, 1e-9]);
    expect(map.cells['c']?.map((c) => c?.figure)).toEqual([undefined, 0.01]);
    expect(map.cells['c']?.[0]).toBeUndefined();
  });

  it('shows the statistic or the verdict when asked', () => {
    expect(heatMap(runs, 'value').cells['a']?.map((c) => c?.figure)).toEqual([0.05, 0.1]);
    expect(heatMap(runs, 'drifted').cells['b']?.map((c) => c?.figure)).toEqual([1, 1]);
    expect(largestFigure(heatMap(runs, 'value'))).toBe(1);
    expect(heatFigureOf('value')).toBe('value');
    expect(heatFigureOf(null)).toBe('pValue');
  });

  it('colours drift red, deeper for smaller p-values, and no drift green', () => {
    const map = heatMap(runs, 'pValue');
    const [weak, strong] = [map.cells['c']?.[1], map.cells['b']?.[1]];
    const alpha = (color: string): number => Number(/, ([\d.]+)\)$/.exec(color)?.[1]);
    expect(heatColor(strong, 'pValue', 0)).toMatch(/^rgba\(220, 38, 38/);
    expect(alpha(heatColor(strong, 'pValue', 0))).toBeGreaterThan(alpha(heatColor(weak, 'pValue', 0)));
    expect(heatColor(map.cells['a']?.[0], 'pValue', 0)).toBe('#dcfce7');
    expect(heatColor(undefined, 'pValue', 0)).toBe('#f0f2f5');
  });
});

describe('histograms from drift evidence', () => {
  it('turns numeric counts with open outer bins into shares per side', () => {
    const pair = histogramPair({
      histogram: { edges: [0, 1, 2], reference: [0, 2, 2, 0], current: [1, 0, 0, 3] },
    });
    expect(pair?.kind).toBe('numeric');
    expect(pair?.bins.map((b) => b.label)).toEqual(['< 0', '0 – 1', '1 – 2', '> 2']);
    expect(pair?.bins.map((b) => b.reference)).toEqual([0, 0.5, 0.5, 0]);
    expect(pair?.bins.map((b) => b.current)).toEqual([0.25, 0, 0, 0.75]);
    expect([pair?.referenceTotal, pair?.currentTotal]).toEqual([4, 4]);
  });

  it('lists categories with the other values last', () => {
    const pair = histogramPair({
      categories: [
        { value: 'x', reference: 3, current: 1 },
        { value: 'y', reference: 1, current: 1 },
      ],
      referenceOther: 0,
      currentOther: 2,
    });
    expect(pair?.bins.map((b) => [b.label, b.reference, b.current])).toEqual([
      ['x', 0.75, 0.25],
      ['y', 0.25, 0.25],
      ['(other)', 0, 0.5],
    ]);
  });

  it('gives nothing for evidence without histograms or with counts that do not fit the edges', () => {
    expect(histogramPair({ pValue: 0.1 })).toBeUndefined();
    expect(histogramPair(undefined)).toBeUndefined();
    expect(
      histogramPair({ histogram: { edges: [0, 1], reference: [1, 1], current: [1, 1, 1] } }),
    ).toBeUndefined();
  });
});

describe('alert columns', () => {
  it('names each drifted column of the evidence once, not dataset statistics or other checks', () => {
    const alert = {
      evidence: [
        ks('b', 1, 0, true),
        { check: 'drift', name: 'wasserstein', column: 'b', value: 3, flagged: true },
        { check: 'drift', name: 'dataset_drift_share', value: 1, flagged: true },
        { check: 'data_quality', name: 'out_of_range_share', column: 'c', value: 1, flagged: true },
      ],
    } as Alert;
    expect(driftColumnsOf(alert)).toEqual(['b']);
  });
});

describe('realized performance', () => {
  it('has every bucket of the window, gaps without labels, and flat yardsticks', () => {
    const bucket = (start: number, mae: number | undefined, labelled: number): AggregateBucket => ({
      start,
      count: 10,
      errors: 0,
      errorRate: 0,
      labelled,
      ...(mae === undefined ? {} : { mae }),
    });
    const series = realizedSeries(
      [bucket(0, 0.4, 5), bucket(120_000, undefined, 0)],
      { from: 0, to: 180_000 },
      60_000,
      'mae',
      {
        reference: 0.3,
      },
    );
    expect(series.x).toEqual([0, 60, 120]);
    expect(series.values).toEqual([0.4, null, null]);
    expect(series.reference).toEqual([0.3, 0.3, 0.3]);
    expect(series.threshold).toBeUndefined();
    expect(series.labelled).toBe(5);
  });
});
