import { describe, expect, it } from 'vitest';
import type { MonitorStatistic, SlipwayError } from '@slipway/contracts';
import { columnDrift } from '../../src/monitoring/drift.js';
import { driftStatistics } from '../../src/monitoring/drift-statistics.js';
import { profileColumns, profileWithEdges } from '../../src/monitoring/profile.js';

const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);
// Sorted values and blocks of one category look autocorrelated (neighbours alike), which the default
// policy discounts; these fixtures are about the statistics, so their rows come in a scrambled order
// (lag-1 autocorrelation below 0) and the default policy keeps every test's exact p-value.
/** from … from + n − 1 in the order from + (13·i mod n), a permutation for n = 20 (rho = −0.40). */
const scrambled = (from: number, n: number): number[] =>
  Array.from({ length: n }, (_, i) => from + ((i * 13) % n));
/** The categories in turn (a, b, c, a, b, …), each until its count is used up. */
function repeat(counts: Record<string, number>): string[] {
  const left = new Map(Object.entries(counts));
  const out: string[] = [];
  while ([...left.values()].some((n) => n > 0)) {
    for (const [k, n] of left) {
      if (n > 0) {
        out.push(k);
        left.set(k, n - 1);
      }
    }
  }
  return out;
}

/** The statistic about `column` (undefined: the dataset statistic). */
function about(stats: MonitorStatistic[], column?: string): MonitorStatistic {
  const s = stats.find((x) => x.column === column);
  if (!s) throw new Error(`no statistic for ${column ?? 'the dataset'}`);
  return s;
}

// 20 reference values per column; 4 quantile bins of 0..19 have edges [0, 4.75, 9.5, 14.25, 19].
const reference = profileColumns(
  {
    shifted: scrambled(0, 20),
    same: scrambled(0, 20),
    k: repeat({ a: 10, b: 6, c: 4 }),
    moved: repeat({ a: 10, b: 6, c: 4 }),
    label: repeat({ yes: 12, no: 8 }),
  },
  { bins: 4 },
);
const current = profileWithEdges(
  {
    shifted: scrambled(100, 20),
    same: scrambled(0, 20).reverse(),
    k: repeat({ c: 4, b: 6, a: 10 }),
    moved: repeat({ a: 2, b: 6, c: 12 }),
    label: repeat({ yes: 12, no: 8 }),
  },
  reference,
);

describe('driftStatistics', () => {
  const stats = driftStatistics(reference, current);

  it('gives one statistic per column, named after its method, then the dataset share', () => {
    expect(stats.map((s) => [s.column, s.name])).toEqual([
      ['shifted', 'ks'],
      ['same', 'ks'],
      ['k', 'chi_square'],
      ['moved', 'chi_square'],
      ['label', 'z_test'],
      [undefined, 'dataset_drift_share'],
    ]);
    expect(stats.every((s) => s.check === 'drift')).toBe(true);
  });

  it('a shifted numeric column drifts, with both histograms on the reference edges', () => {
    const s = about(stats, 'shifted');
    const expected = columnDrift('shifted', reference.columns.shifted!, current.columns.shifted!);
    expect(s).toEqual({
      check: 'drift',
      column: 'shifted',
      name: 'ks',
      value: 1,
      threshold: 0.05,
      flagged: true,
      details: {
        kind: 'p_value',
        pValue: expected.pValue,
        exact: true,
        autocorrelation: expected.autocorrelation,
        histogram: {
          edges: [0, 4.75, 9.5, 14.25, 19],
          reference: [0, 5, 5, 5, 5, 0],
          current: [0, 0, 0, 0, 0, 20],
        },
      },
    });
    expect(expected.pValue).toBeLessThan(1e-6);
    expect(expected.autocorrelation?.reference).toMatchObject({ pairs: 19, size: 20, adjusted: false });
  });

  it('an unshifted numeric column does not drift', () => {
    expect(about(stats, 'same')).toMatchObject({
      value: 0,
      flagged: false,
      details: { pValue: 1, histogram: { reference: [0, 5, 5, 5, 5, 0], current: [0, 5, 5, 5, 5, 0] } },
    });
  });

  it('categorical columns: chi-square with both sides’ counts, most frequent first', () => {
    expect(about(stats, 'k')).toEqual({
      check: 'drift',
      column: 'k',
      name: 'chi_square',
      value: 0,
      threshold: 0.05,
      flagged: false,
      details: {
        kind: 'p_value',
        pValue: 1,
        exact: true,
        autocorrelation: {
          reference: expect.objectContaining({ pairs: 19, effectiveSize: 20, adjusted: false }) as unknown,
          current: expect.objectContaining({ pairs: 19, effectiveSize: 20, adjusted: false }) as unknown,
        },
        categories: [
          { value: 'a', reference: 10, current: 10 },
          { value: 'b', reference: 6, current: 6 },
          { value: 'c', reference: 4, current: 4 },
        ],
        referenceOther: 0,
        currentOther: 0,
      },
    });
    // Table [10, 6, 4; 2, 6, 12], rows of 20: expected 6, 6, 8 in both rows, so
    // χ² = 2·(16/6 + 0 + 16/8) = 28/3; with 2 degrees of freedom p = exp(−χ²/2).
    const moved = about(stats, 'moved');
    expect(moved.flagged).toBe(true);
    expect(moved.value).toBeCloseTo(28 / 3, 12);
    expect(Math.abs((moved.details?.pValue as number) / Math.exp(-14 / 3) - 1)).toBeLessThan(1e-9);
    expect(moved.details?.categories).toEqual([
      { value: 'c', reference: 4, current: 12 },
      { value: 'a', reference: 10, current: 2 },
      { value: 'b', reference: 6, current: 6 },
    ]);
  });

  it('dataset_drift_share: flagged when the share of drifted columns reaches driftShare', () => {
    expect(about(stats)).toEqual({
      check: 'drift',
      name: 'dataset_drift_share',
      value: 2 / 5,
      threshold: 0.5,
      flagged: false,
      details: { driftedColumns: ['shifted', 'moved'], compared: 5, skipped: [] },
    });
    expect(about(driftStatistics(reference, current, { driftShare: 0.4 }))).toMatchObject({
      value: 0.4,
      threshold: 0.4,
      flagged: true,
    });
  });
});

describe('driftStatistics and autocorrelation', () => {
  // A steady trend is the extreme case: every neighbour is alike, so 20 sorted values are worth about
  // 1.5 independent draws and even a jump to 100…119 is no evidence; `ignore` restores the exact test.
  const trend = profileColumns({ x: range(0, 20) }, { bins: 4 });
  const later = profileWithEdges({ x: range(100, 20) }, trend);

  it('reports rho and the effective sizes in the details, and discounts neighbours that are alike', () => {
    const s = about(driftStatistics(trend, later), 'x');
    const { reference } = s.details?.autocorrelation as { reference: Record<string, unknown> };
    expect(reference).toMatchObject({ pairs: 19, size: 20, adjusted: true });
    // Lag-1 autocorrelation of 0, 1, …, 19: Σ (t − 9.5)(t + 1 − 9.5) over Σ (t − 9.5)² = 0.85.
    expect(reference.rho).toBeCloseTo(0.85, 12);
    expect(reference.effectiveSize).toBeCloseTo((20 * 0.15) / 1.85, 10);
    expect(s).toMatchObject({ name: 'ks', value: 1, flagged: false });
  });

  it('tests rows as independent draws with autocorrelation ignore, per monitor or per column', () => {
    const ignored = about(driftStatistics(trend, later, { autocorrelation: 'ignore' }), 'x');
    expect(ignored).toMatchObject({ name: 'ks', value: 1, flagged: true });
    expect(ignored.details).not.toHaveProperty('autocorrelation');
    const perColumn = driftStatistics(trend, later, { perColumn: { x: { autocorrelation: 'ignore' } } });
    expect(about(perColumn, 'x').flagged).toBe(true);
    const back = driftStatistics(trend, later, {
      autocorrelation: 'ignore',
      perColumn: { x: { autocorrelation: 'adjust' } },
    });
    expect(about(back, 'x').flagged).toBe(false);
  });

  it('refuses an unknown mode, naming the field', () => {
    const bad = { autocorrelation: 'never' as 'ignore' };
    expect(() => driftStatistics(trend, later, bad)).toThrow(/autocorrelation must be one of adjust, ignore/);
  });
});

describe('driftStatistics settings', () => {
  it('applies per-column methods and thresholds', () => {
    const stats = driftStatistics(reference, current, {
      columns: ['shifted', 'same'],
      perColumn: { same: { method: 'wasserstein', threshold: 0.2 }, shifted: { method: 'psi' } },
    });
    expect(stats.map((s) => [s.column, s.name, s.threshold, s.flagged])).toEqual([
      ['shifted', 'psi', 0.1, true],
      ['same', 'wasserstein', 0.2, false],
      [undefined, 'dataset_drift_share', 0.5, true],
    ]);
    expect(about(stats, 'same').value).toBe(0);
    expect(about(stats, 'same').details).not.toHaveProperty('pValue');
  });

  it('adds the prediction field to the compared columns and marks it', () => {
    const stats = driftStatistics(reference, current, { columns: ['same'], predictionField: 'label' });
    expect(stats.map((s) => s.column)).toEqual(['same', 'label', undefined]);
    expect(about(stats, 'label')).toMatchObject({ name: 'z_test', value: 0, flagged: false });
    expect(about(stats, 'label').details).toMatchObject({ prediction: true, pValue: 1 });
  });

  it('flags a prediction field whose class shares moved (z-test)', () => {
    const moved = profileWithEdges({ label: repeat({ yes: 2, no: 18 }) }, reference);
    const s = about(driftStatistics(reference, moved, { columns: [], predictionField: 'label' }), 'label');
    expect(s).toMatchObject({ name: 'z_test', threshold: 0.05, flagged: true });
    expect(s.details?.pValue).toBeLessThan(0.001);
  });

  it('lists columns it cannot compare as skipped, without a statistic', () => {
    const partial = profileWithEdges({ shifted: [101, 100], same: [null, null] }, reference);
    const stats = driftStatistics(reference, partial, { columns: ['shifted', 'same', 'k'] });
    expect(stats.map((s) => s.column)).toEqual(['shifted', undefined]);
    expect(about(stats)).toMatchObject({
      value: 1,
      flagged: true,
      details: {
        compared: 1,
        skipped: [
          { column: 'same', reason: 'no_current_values' },
          { column: 'k', reason: 'missing_in_current' },
        ],
      },
    });
  });

  it('re-bins a window built on other edges for the evidence', () => {
    const own = profileColumns({ shifted: [-1, 3, 30] });
    const s = about(driftStatistics(reference, own, { columns: ['shifted'] }), 'shifted');
    expect((s.details?.histogram as { current: number[] }).current).toEqual([1, 1, 0, 0, 0, 1]);
  });

  it('lists the 20 largest categories and sums the rest as other', () => {
    const names = range(0, 25).map((i) => `c${String(i).padStart(2, '0')}`);
    const ref = profileColumns({ k: names });
    const cur = profileWithEdges({ k: [...names, 'c24', 'c24'] }, ref);
    const d = about(driftStatistics(ref, cur), 'k').details!;
    const listed = d.categories as { value: string }[];
    expect(listed.length).toBe(20);
    expect(listed[0]).toEqual({ value: 'c24', reference: 1, current: 3 });
    expect(listed[1]).toEqual({ value: 'c00', reference: 1, current: 1 });
    expect([d.referenceOther, d.currentOther]).toEqual([5, 5]);
  });

  it('rejects a prediction field or per-column settings it cannot use, naming the field', () => {
    const field = (settings: Parameters<typeof driftStatistics>[2]): unknown => {
      try {
        driftStatistics(reference, current, settings);
      } catch (e) {
        return (e as SlipwayError).details.field;
      }
      return undefined;
    };
    expect(field({ predictionField: 'score' })).toBe('predictionField');
    expect(field({ columns: ['same'], perColumn: { k: { method: 'psi' } } })).toBe('perColumn.k');
    expect(field({ perColumn: { k: { method: 'ks' } } })).toBe('perColumn.k.method');
    expect(field({ driftShare: 0 })).toBe('driftShare');
  });
});
