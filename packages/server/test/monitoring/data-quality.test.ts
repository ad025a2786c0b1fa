import { describe, expect, it } from 'vitest';
import type { MonitorStatistic, SlipwayError } from '@slipway/contracts';
import { dataQuality } from '../../src/monitoring/data-quality.js';
import { profileColumns, profileWithEdges } from '../../src/monitoring/profile.js';

/** The statistic `name` of `column` (undefined column: dataset level). */
function find(stats: MonitorStatistic[], name: string, column?: string): MonitorStatistic {
  const s = stats.find((x) => x.name === name && x.column === column);
  if (!s) throw new Error(`no ${name} for ${column ?? 'the dataset'}`);
  return s;
}

// Reference, 10 rows: x spans [0, 8] with one missing value (edges [0, 2, 4, 6, 8] with 4 bins);
// k has categories a, b, c; v varies; s is constant.
const reference = profileColumns(
  {
    x: [0, 1, 2, 3, 4, 5, 6, 7, 8, null],
    k: ['a', 'a', 'b', 'b', 'c', 'a', 'b', 'c', 'a', 'b'],
    v: [1, 2, 1, 2, 1, 2, 1, 2, 1, 2],
    s: ['on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on'],
  },
  { bins: 4 },
);

// A bad window, 10 rows: x has 2 missing, 1 string, 3 of its 7 numbers outside [0, 8]; k has 3 of 9
// values in unseen categories d and e; v turned constant.
const bad = profileWithEdges(
  {
    x: [-1, 0, 4, 8, 9, 10, 'oops', null, null, 3],
    k: ['a', 'd', 'd', 'e', 'a', 'b', null, 'a', 'a', 'a'],
    v: [5, 5, 5, 5, 5, 5, 5, 5, 5, 5],
    s: ['on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on'],
  },
  reference,
);

// A window like the reference.
const good = profileWithEdges(
  {
    x: [8, 7, 6, 5, 4, 3, 2, 1, 0, null],
    k: ['b', 'a', 'b', 'a', 'c', 'a', 'b', 'c', 'a', 'b'],
    v: [2, 1, 2, 1, 2, 1, 2, 1, 2, 1],
    s: ['on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on', 'on'],
  },
  reference,
);

describe('dataQuality per column', () => {
  const flagged = dataQuality(reference, bad);
  const clean = dataQuality(reference, good);

  it('lists each column’s statistics in the reference’s order', () => {
    expect(flagged.map((s) => `${s.column}.${s.name}`)).toEqual([
      'x.missing_share',
      'x.type_mismatch_share',
      'x.out_of_range_share',
      'x.constant',
      'k.missing_share',
      'k.type_mismatch_share',
      'k.new_category_share',
      'k.constant',
      'v.missing_share',
      'v.type_mismatch_share',
      'v.out_of_range_share',
      'v.constant',
      's.missing_share',
      's.type_mismatch_share',
      's.new_category_share',
      's.constant',
    ]);
    expect(flagged.every((s) => s.check === 'data_quality')).toBe(true);
  });

  it('missing_share: flagged when it grew by more than 0.05 over the reference', () => {
    expect(find(flagged, 'missing_share', 'x')).toEqual({
      check: 'data_quality',
      column: 'x',
      name: 'missing_share',
      value: 0.2,
      threshold: 0.1 + 0.05,
      flagged: true,
      details: { missing: 2, rows: 10, referenceShare: 0.1, increase: 0.2 - 0.1, maxIncrease: 0.05 },
    });
    expect(find(clean, 'missing_share', 'x')).toMatchObject({ value: 0.1, flagged: false });
    // 0.1 above a reference of 0 is tolerated at missingShareIncrease 0.1 (the boundary does not flag).
    const k = find(dataQuality(reference, bad, { missingShareIncrease: 0.1 }), 'missing_share', 'k');
    expect(k).toMatchObject({ value: 0.1, threshold: 0.1, flagged: false });
    expect(find(flagged, 'missing_share', 'k')).toMatchObject({ value: 0.1, threshold: 0.05, flagged: true });
  });

  it('type_mismatch_share: values of the wrong type for the reference kind', () => {
    expect(find(flagged, 'type_mismatch_share', 'x')).toEqual({
      check: 'data_quality',
      column: 'x',
      name: 'type_mismatch_share',
      value: 0.1,
      threshold: 0,
      flagged: true,
      details: { invalid: 1, rows: 10, expectedKind: 'numeric' },
    });
    expect(find(clean, 'type_mismatch_share', 'x')).toMatchObject({ value: 0, flagged: false });
  });

  it('out_of_range_share: current values outside the reference [min, max], from the outer bins', () => {
    expect(find(flagged, 'out_of_range_share', 'x')).toEqual({
      check: 'data_quality',
      column: 'x',
      name: 'out_of_range_share',
      value: 3 / 7,
      threshold: 0.05,
      flagged: true,
      details: {
        below: 1,
        above: 2,
        values: 7,
        referenceMin: 0,
        referenceMax: 8,
        currentMin: -1,
        currentMax: 10,
        exact: true,
      },
    });
    expect(find(clean, 'out_of_range_share', 'x')).toMatchObject({ value: 0, flagged: false });
    expect(
      find(dataQuality(reference, bad, { outOfRangeShare: 0.5 }), 'out_of_range_share', 'x').flagged,
    ).toBe(false);
  });

  it('out_of_range_share of a window on other edges: re-binned from its complete reservoir', () => {
    const own = profileColumns({ x: [-3, 1, 2, 20] });
    expect(find(dataQuality(reference, own), 'out_of_range_share', 'x')).toMatchObject({
      value: 0.5,
      details: { below: 1, above: 1, values: 4, exact: true },
    });
  });

  it('new_category_share: current values in categories the reference never saw, listed by count', () => {
    expect(find(flagged, 'new_category_share', 'k')).toEqual({
      check: 'data_quality',
      column: 'k',
      name: 'new_category_share',
      value: 3 / 9,
      threshold: 0.05,
      flagged: true,
      details: {
        newValues: 3,
        values: 9,
        newCategoryCount: 2,
        newCategories: [
          { value: 'd', count: 2 },
          { value: 'e', count: 1 },
        ],
        exact: true,
      },
    });
    expect(find(clean, 'new_category_share', 'k')).toMatchObject({ value: 0, flagged: false });
  });

  it('lists at most 20 new categories and marks folded profiles inexact', () => {
    const many = profileWithEdges(
      { k: Array.from({ length: 25 }, (_, i) => `n${String(i).padStart(2, '0')}`) },
      reference,
    );
    const s = find(dataQuality(reference, many), 'new_category_share', 'k');
    expect(s.value).toBe(1);
    expect(s.details?.newCategoryCount).toBe(25);
    expect((s.details?.newCategories as unknown[]).length).toBe(20);
    expect((s.details?.newCategories as { value: string }[])[0]).toEqual({ value: 'n00', count: 1 });
    const folded = profileColumns({ k: ['a', 'a', 'b'] }, { topCategories: 1 });
    const cur = profileWithEdges({ k: ['a', 'b', 'b'] }, folded);
    // The reference folded b into "other", so b looks new: an upper bound.
    expect(find(dataQuality(folded, cur), 'new_category_share', 'k')).toMatchObject({
      value: 2 / 3,
      details: { exact: false },
    });
  });

  it('constant: 1 and flagged when a column that varied in the reference holds one value', () => {
    expect(find(flagged, 'constant', 'v')).toEqual({
      check: 'data_quality',
      column: 'v',
      name: 'constant',
      value: 1,
      flagged: true,
      details: { referenceConstant: false, currentConstant: true, currentValue: 5 },
    });
    expect(find(clean, 'constant', 'v')).toMatchObject({ value: 0, flagged: false });
    // A column already constant in the reference is not flagged for staying so.
    expect(find(flagged, 'constant', 's')).toMatchObject({
      value: 0,
      flagged: false,
      details: { referenceConstant: true, currentConstant: true, currentValue: 'on' },
    });
    const oneCategory = profileWithEdges({ k: ['b', 'b', 'b'] }, reference);
    expect(find(dataQuality(reference, oneCategory), 'constant', 'k')).toMatchObject({
      value: 1,
      flagged: true,
    });
  });

  it('reports a column missing from the window as entirely missing, and omits value statistics without values', () => {
    const partial = profileWithEdges({ k: ['a', 'b'], v: [null, null] }, reference);
    const stats = dataQuality(reference, partial);
    expect(find(stats, 'missing_share', 'x')).toMatchObject({
      value: 1,
      threshold: 0.1 + 0.05,
      flagged: true,
      details: { missing: 2, rows: 2, absentInCurrent: true },
    });
    expect(stats.filter((s) => s.column === 'x').length).toBe(1);
    expect(stats.filter((s) => s.column === 'v').map((s) => s.name)).toEqual([
      'missing_share',
      'type_mismatch_share',
    ]);
  });
});

describe('dataQuality row count', () => {
  it('is reported only with expectedRows, flagged outside expectedRows × (1 ± rowCountChange)', () => {
    expect(dataQuality(reference, good).some((s) => s.name === 'row_count')).toBe(false);
    expect(dataQuality(reference, good, { expectedRows: 12 })[0]).toEqual({
      check: 'data_quality',
      name: 'row_count',
      value: 10,
      threshold: 6,
      flagged: false,
      details: { expected: 12, min: 6, max: 18, rowCountChange: 0.5 },
    });
    expect(find(dataQuality(reference, good, { expectedRows: 30 }), 'row_count')).toMatchObject({
      value: 10,
      threshold: 15,
      flagged: true,
    });
    expect(
      find(dataQuality(reference, good, { expectedRows: 4, rowCountChange: 0.25 }), 'row_count'),
    ).toMatchObject({
      value: 10,
      threshold: 5,
      flagged: true,
      details: { min: 3, max: 5 },
    });
  });
});

describe('dataQuality settings', () => {
  it('rejects thresholds it cannot judge, naming the field', () => {
    const field = (settings: Parameters<typeof dataQuality>[2]): unknown => {
      try {
        dataQuality(reference, good, settings);
      } catch (e) {
        return (e as SlipwayError).details.field;
      }
      return undefined;
    };
    expect(field({ missingShareIncrease: 1.5 })).toBe('missingShareIncrease');
    expect(field({ newCategoryShare: -0.1 })).toBe('newCategoryShare');
    expect(field({ rowCountChange: Number.NaN })).toBe('rowCountChange');
    expect(field({ expectedRows: -1 })).toBe('expectedRows');
    expect(() => dataQuality(reference, profileColumns({ k: [1, 2] }))).toThrow(
      /categorical in the reference/,
    );
  });
});
