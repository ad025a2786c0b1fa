import { describe, expect, it } from 'vitest';
import type { MonitorStatistic } from '@slipway/contracts';
import { dataQuality } from '../../src/monitoring/data-quality.js';
import { driftStatistics } from '../../src/monitoring/drift-statistics.js';
import {
  profileColumns,
  profileWithEdges,
  type NumericColumnProfile,
  type ProfileOptions,
  type TableInput,
} from '../../src/monitoring/profile.js';

// Bad input must give a defined result (a skipped column with its reason, or a flagged statistic),
// never an exception that stops a monitor run. See docs/monitoring.md (Bad input).

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
const fill = <T>(n: number, v: T): T[] => Array<T>(n).fill(v);
// Sorted values and runs of one category look autocorrelated, which the p-value tests discount by
// default; where a test is about something else its rows come scrambled or alternating instead.
/** from … from + n − 1 in the order from + (13·i mod n): a permutation for n = 50, lag-1 rho −0.13. */
const scrambled = (from: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => from + ((i * 13) % n));
const alternate = (n: number, a: number): number[] => Array.from({ length: n }, (_, i) => (i % 2 ? a : -a));

type Brief = [column: string | undefined, name: string, value: number, flagged: boolean];

/** Column, name, value and verdict of each statistic, in order. */
const brief = (stats: MonitorStatistic[]): Brief[] =>
  stats.map((s) => [s.column, s.name, s.value, s.flagged]);

/** The dataset drift statistic's details. */
function datasetDetails(stats: MonitorStatistic[]): Record<string, unknown> | undefined {
  return stats.find((s) => s.name === 'dataset_drift_share')?.details;
}

/** Both checks on a reference and a window profiled on its terms, as a monitor run computes them. */
function checks(
  reference: TableInput,
  current: TableInput,
  options: ProfileOptions = {},
): { drift: MonitorStatistic[]; quality: MonitorStatistic[] } {
  const ref = profileColumns(reference, options);
  const cur = profileWithEdges(current, ref);
  return { drift: driftStatistics(ref, cur), quality: dataQuality(ref, cur) };
}

describe('all-null columns', () => {
  it('a numeric reference column without values is skipped by drift, and has no range to check', () => {
    const { drift, quality } = checks(
      { x: [null, null, null, null], y: [1, 2, 3, 4] },
      { x: [1, 2, 3, 4], y: [1, 2, 3, 4] },
      { schema: { x: 'numeric' } },
    );
    expect(brief(drift)).toEqual([
      ['y', 'ks', 0, false],
      [undefined, 'dataset_drift_share', 0, false],
    ]);
    expect(datasetDetails(drift)).toEqual({
      driftedColumns: [],
      compared: 1,
      skipped: [{ column: 'x', reason: 'no_reference_values' }],
    });
    expect(brief(quality).filter(([c]) => c === 'x')).toEqual([
      ['x', 'missing_share', 0, false],
      ['x', 'type_mismatch_share', 0, false],
      ['x', 'constant', 0, false],
    ]);
  });

  it('without a schema an all-null reference column is categorical, so window numbers are new categories', () => {
    const { drift, quality } = checks({ x: [null, null] }, { x: [1, 2] });
    expect(datasetDetails(drift)?.skipped).toEqual([{ column: 'x', reason: 'no_reference_values' }]);
    expect(brief(quality)).toEqual([
      ['x', 'missing_share', 0, false],
      ['x', 'type_mismatch_share', 0, false],
      ['x', 'new_category_share', 1, true],
      ['x', 'constant', 0, false],
    ]);
  });

  it('a window column without values is skipped by drift and flagged as missing', () => {
    const { drift, quality } = checks({ x: range(0, 10) }, { x: fill(10, null) });
    expect(brief(drift)).toEqual([[undefined, 'dataset_drift_share', 0, false]]);
    expect(datasetDetails(drift)?.skipped).toEqual([{ column: 'x', reason: 'no_current_values' }]);
    expect(brief(quality)).toEqual([
      ['x', 'missing_share', 1, true],
      ['x', 'type_mismatch_share', 0, false],
    ]);
  });
});

describe('a column missing from the window', () => {
  it('is skipped by drift and counts as entirely missing in data quality', () => {
    const { drift, quality } = checks({ x: range(0, 10), y: range(0, 10) }, { y: range(0, 10) });
    expect(datasetDetails(drift)).toEqual({
      driftedColumns: [],
      compared: 1,
      skipped: [{ column: 'x', reason: 'missing_in_current' }],
    });
    expect(quality[0]).toEqual({
      check: 'data_quality',
      column: 'x',
      name: 'missing_share',
      value: 1,
      threshold: 0.05,
      flagged: true,
      details: {
        missing: 10,
        rows: 10,
        referenceShare: 0,
        increase: 1,
        maxIncrease: 0.05,
        absentInCurrent: true,
      },
    });
  });
});

describe('a single-valued reference', () => {
  it('small numeric: KS against the same constant does not drift, against other values it does', () => {
    const same = checks({ x: fill(50, 3) }, { x: fill(50, 3) });
    expect(brief(same.drift)[0]).toEqual(['x', 'ks', 0, false]);
    const moved = checks({ x: fill(50, 3) }, { x: scrambled(3, 50) });
    expect(brief(moved.drift)[0]).toEqual(['x', 'ks', 0.98, true]);
    expect(brief(moved.quality)).toEqual([
      ['x', 'missing_share', 0, false],
      ['x', 'type_mismatch_share', 0, false],
      ['x', 'out_of_range_share', 0.98, true],
      ['x', 'constant', 0, false],
    ]);
  });

  it('large numeric: Wasserstein is normalized by the 0.001 floor, not divided by a zero std', () => {
    expect(brief(checks({ x: fill(2000, 3) }, { x: fill(50, 3) }).drift)[0]).toEqual([
      'x',
      'wasserstein',
      0,
      false,
    ]);
    // W = mean(0..49) = 24.5, over 0.001.
    const moved = brief(checks({ x: fill(2000, 3) }, { x: range(3, 50) }).drift)[0]!;
    expect(moved.slice(0, 2)).toEqual(['x', 'wasserstein']);
    expect(moved[2]).toBeCloseTo(24500, 8);
    expect(moved[3]).toBe(true);
  });

  it('categorical: one category on both sides gives z = 0, p = 1; a second one in the window drifts', () => {
    const same = checks({ c: fill(50, 'a') }, { c: fill(50, 'a') });
    expect(same.drift[0]).toMatchObject({ name: 'z_test', value: 0, flagged: false, details: { pValue: 1 } });
    const alternating = Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? 'a' : 'b'));
    const { drift, quality } = checks({ c: fill(50, 'a') }, { c: alternating });
    expect(brief(drift)[0]).toEqual(['c', 'z_test', 5.773502691896257, true]);
    expect(brief(quality)).toEqual([
      ['c', 'missing_share', 0, false],
      ['c', 'type_mismatch_share', 0, false],
      ['c', 'new_category_share', 0.5, true],
      ['c', 'constant', 0, false],
    ]);
  });
});

describe('empty windows and references', () => {
  it('a window with no rows has no columns: all skipped, each missing share 0 of 0 rows', () => {
    const ref = profileColumns({ x: range(0, 10), c: fill(10, 'a') });
    const cur = profileWithEdges([], ref);
    const drift = driftStatistics(ref, cur);
    expect(brief(drift)).toEqual([[undefined, 'dataset_drift_share', 0, false]]);
    expect(datasetDetails(drift)?.skipped).toEqual([
      { column: 'x', reason: 'missing_in_current' },
      { column: 'c', reason: 'missing_in_current' },
    ]);
    expect(brief(dataQuality(ref, cur, { expectedRows: 100 }))).toEqual([
      [undefined, 'row_count', 0, true],
      ['x', 'missing_share', 0, false],
      ['c', 'missing_share', 0, false],
    ]);
  });

  it('a window with empty columns skips them in drift and reports no values', () => {
    const { drift, quality } = checks({ x: range(0, 10) }, { x: [] });
    expect(datasetDetails(drift)?.skipped).toEqual([{ column: 'x', reason: 'no_current_values' }]);
    expect(brief(quality)).toEqual([
      ['x', 'missing_share', 0, false],
      ['x', 'type_mismatch_share', 0, false],
    ]);
  });

  it('an empty reference compares nothing and never flags', () => {
    const ref = profileColumns([]);
    const cur = profileWithEdges([{ x: 1 }], ref);
    expect(driftStatistics(ref, cur)).toEqual([
      {
        check: 'drift',
        name: 'dataset_drift_share',
        value: 0,
        threshold: 0.5,
        flagged: false,
        details: { driftedColumns: [], compared: 0, skipped: [] },
      },
    ]);
    expect(dataQuality(ref, cur)).toEqual([]);
  });
});

describe('NaN and infinities', () => {
  it('are missing values in numeric profiles, on both profiling paths', () => {
    const ref = profileColumns({ x: [1, NaN, Infinity, -Infinity, 3] }, { bins: 2 });
    expect(ref.columns.x).toMatchObject({
      kind: 'numeric',
      count: 2,
      missing: 3,
      invalid: 0,
      min: 1,
      max: 3,
    });
    const cur = profileWithEdges({ x: [NaN, Infinity, -Infinity, 2, 2] }, ref);
    expect(cur.columns.x).toMatchObject({ count: 2, missing: 3, invalid: 0, min: 2, max: 2 });
    expect((cur.columns.x as NumericColumnProfile).histogram).toEqual({
      edges: [1, 2, 3],
      counts: [0, 0, 2, 0],
    });
  });

  it('NaN is missing in a categorical column, Infinity is the category "Infinity"', () => {
    const ref = profileColumns({ c: [1, 2, Infinity, NaN] }, { schema: { c: 'categorical' } });
    expect(ref.columns.c).toMatchObject({
      count: 3,
      missing: 1,
      categories: { '1': 1, '2': 1, Infinity: 1 },
    });
  });

  it('a window of NaN and infinities among numbers: drift on the finite values, the rest flagged missing', () => {
    const { drift, quality } = checks({ x: scrambled(0, 50) }, { x: [NaN, Infinity, -Infinity, 1, 2] });
    expect(brief(drift)[0]).toEqual(['x', 'ks', 0.94, true]);
    expect(brief(quality)).toEqual([
      ['x', 'missing_share', 0.6, true],
      ['x', 'type_mismatch_share', 0, false],
      ['x', 'out_of_range_share', 0, false],
      ['x', 'constant', 0, false],
    ]);
  });

  it('a window of infinities only is a column without values', () => {
    const { drift, quality } = checks({ x: range(0, 50) }, { x: [Infinity, -Infinity] });
    expect(datasetDetails(drift)?.skipped).toEqual([{ column: 'x', reason: 'no_current_values' }]);
    expect(brief(quality)).toEqual([
      ['x', 'missing_share', 1, true],
      ['x', 'type_mismatch_share', 0, false],
    ]);
  });

  // Finite values whose moments overflow: the mean of ±1.7e308 is NaN, the variance of ±1e200 is
  // Infinity. Wasserstein used to throw (NaN std) or return 0 (W / Infinity) for these.
  it('values whose moments overflow still get a normalized Wasserstein distance', () => {
    const cases: [number, number[], number, boolean][] = [
      [1.7e308, alternate(100, 1.7e308), 0, false],
      [1.7e308, fill(100, 0), 1, true],
      [1e200, alternate(100, 1e200), 0, false],
      [1e200, fill(100, 0), 1, true],
    ];
    for (const [magnitude, current, value, flagged] of cases) {
      const { drift } = checks({ x: alternate(2000, magnitude) }, { x: current });
      expect([magnitude, brief(drift)[0]]).toEqual([magnitude, ['x', 'wasserstein', value, flagged]]);
    }
  });
});
