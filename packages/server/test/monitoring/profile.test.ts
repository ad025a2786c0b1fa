import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '@slipway/contracts';
import {
  binIndex,
  columnRows,
  invalidShare,
  mergeProfiles,
  missingShare,
  profileColumns,
  profileVariance,
  profileWithEdges,
  type CategoricalColumnProfile,
  type DataProfile,
  type NumericColumnProfile,
} from '../../src/monitoring/profile.js';
import {
  emptySketch,
  sketchMerge,
  sketchQuantile,
  sketchRank,
  sketchUpdate,
} from '../../src/monitoring/quantile-sketch.js';
import { Xoshiro128 } from '../../src/stats/random.js';

const PROFILES = (
  JSON.parse(readFileSync(new URL('../fixtures/scipy/drift.json', import.meta.url), 'utf8')) as {
    profiles: { numericLarge: { reference: number[]; mean: number; variance: number } };
  }
).profiles;

/** n seeded standard-normal-ish values (sum of uniforms), deterministic across platforms. */
function seededValues(n: number, seed: number): number[] {
  const rng = Xoshiro128.fromSeed(seed);
  return Array.from({ length: n }, () => rng.nextFloat() + rng.nextFloat() + rng.nextFloat() - 1.5);
}

function numeric(p: DataProfile, name: string): NumericColumnProfile {
  const c = p.columns[name];
  if (c?.kind !== 'numeric') throw new Error(`${name} is not numeric`);
  return c;
}

function categorical(p: DataProfile, name: string): CategoricalColumnProfile {
  const c = p.columns[name];
  if (c?.kind !== 'categorical') throw new Error(`${name} is not categorical`);
  return c;
}

function relClose(actual: number | null, expected: number, tolerance: number): boolean {
  return actual !== null && Math.abs(actual - expected) <= tolerance * Math.abs(expected);
}

describe('profileColumns', () => {
  const rows = [
    { x: 1.5, y: 'a', ok: true },
    { x: null, y: 'b', ok: false },
    { x: -2, y: 'a', ok: true },
    { x: Number.POSITIVE_INFINITY, y: null },
    { x: 4, y: 'c', ok: true },
  ];

  it('summarizes numeric and categorical columns, with missing values counted apart', () => {
    const p = profileColumns(rows);
    expect(p.rowCount).toBe(5);
    const x = numeric(p, 'x');
    expect([x.count, x.missing, x.min, x.max, x.mean]).toEqual([3, 2, -2, 4, 3.5 / 3]);
    expect(missingShare(x)).toBe(0.4);
    expect(categorical(p, 'y')).toEqual({
      kind: 'categorical',
      count: 4,
      missing: 1,
      invalid: 0,
      topN: 100,
      categories: { a: 2, b: 1, c: 1 },
      otherCount: 0,
      // a→b and b→a; the pairs around the null are skipped.
      lag: { pairs: 2, same: 0 },
    });
    // 1.5, null, -2, Infinity, 4: no two present values are neighbours.
    expect(x.lag).toMatchObject({ pairs: 0, sumProduct: 0 });
    expect(categorical(p, 'ok').categories).toEqual({ true: 3, false: 1 });
    expect(categorical(p, 'ok').missing).toBe(1);
  });

  it('gives the same profile from rows and from columns', () => {
    const columns = { x: rows.map((r) => r.x), y: rows.map((r) => r.y), ok: rows.map((r) => r.ok) };
    expect(profileColumns(columns)).toEqual(profileColumns(rows));
  });

  it('matches numpy.mean and numpy.var (ddof 0) on 3,000 values', () => {
    const p = profileColumns({ v: PROFILES.numericLarge.reference });
    const v = numeric(p, 'v');
    expect(relClose(v.mean, PROFILES.numericLarge.mean, 1e-14)).toBe(true);
    expect(relClose(profileVariance(v), PROFILES.numericLarge.variance, 1e-13)).toBe(true);
  });

  it('follows the schema and counts values that contradict it as invalid', () => {
    const p = profileColumns({ cls: [1, 2, 2, 3] }, { schema: { cls: 'categorical' } });
    expect(categorical(p, 'cls').categories).toEqual({ '2': 2, '1': 1, '3': 1 });
    const bad = profileColumns(
      { v: [1, 'a', null, true, 3], k: ['x', { y: 1 }, [2], 'x', null] },
      { schema: { v: 'numeric', k: 'categorical' } },
    );
    expect(numeric(bad, 'v')).toMatchObject({ count: 2, missing: 1, invalid: 2, min: 1, max: 3, mean: 2 });
    expect(numeric(bad, 'v').reservoir.values).toEqual([1, 3]);
    expect(categorical(bad, 'k')).toMatchObject({ count: 2, missing: 1, invalid: 2, categories: { x: 2 } });
    expect([missingShare(bad.columns.v!), invalidShare(bad.columns.v!)]).toEqual([0.2, 0.4]);
    expect(columnRows(bad.columns.k!)).toBe(5);
    const err = (() => {
      try {
        profileColumns({ v: [1, 'a'] });
      } catch (e) {
        return e as SlipwayError;
      }
    })();
    expect(err?.code).toBe('INVALID_ARGUMENT');
    expect(err?.details.field).toBe('columns.v');
    expect(err?.message).toMatch(/mixes numbers/);
    expect(() => profileColumns({ a: [1, 2], b: [1] })).toThrow(/expected 2/);
    expect(() => profileColumns({ v: [1] }, { bins: 0 })).toThrow(/bins must be a positive integer/);
  });

  it('keeps the top N categories and counts the rest as other', () => {
    const values = ['a', 'a', 'a', 'b', 'b', 'c', 'd'];
    const c = categorical(profileColumns({ v: values }, { topCategories: 2 }), 'v');
    expect(c.categories).toEqual({ a: 3, b: 2 });
    expect(c.otherCount).toBe(2);
  });
});

describe('histograms', () => {
  it('uses deduplicated quantile edges from the reference, and a closed [v, v] bin for a constant column', () => {
    const p = profileColumns({ v: [0, 1, 2, 3, 4, 5, 6, 7, 8], c: [7, 7, 7, 7, 7, 7, 7, 7, 7] }, { bins: 4 });
    expect(numeric(p, 'v').histogram).toEqual({ edges: [0, 2, 4, 6, 8], counts: [0, 2, 2, 2, 3, 0] });
    expect(numeric(p, 'c').histogram).toEqual({ edges: [7, 7], counts: [0, 9, 0] });
  });

  it('puts values on the edges into the right bins, outside values into the open-ended ones', () => {
    const edges = [0, 2, 4];
    expect([-1, 0, 1.9, 2, 3.9, 4, 4.1].map((x) => binIndex(edges, x))).toEqual([0, 1, 1, 2, 2, 2, 3]);
  });

  it('bins a current window on the reference edges (profileWithEdges)', () => {
    const ref = profileColumns({ v: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, { bins: 4 });
    const cur = profileWithEdges({ v: [-5, 0.5, 9, 10, 8], k: ['a', 'z', 'a', null, 'z'] }, ref);
    expect(numeric(cur, 'v').histogram).toEqual({ edges: [0, 2, 4, 6, 8], counts: [1, 1, 0, 0, 1, 2] });
    expect(categorical(cur, 'k').categories).toEqual({ a: 2, z: 2 });
  });

  it('keeps the reference kind in a current window and counts wrong-typed values as invalid', () => {
    const ref = profileColumns({ v: [0, 1, 2, 3, 4, 5, 6, 7, 8] }, { bins: 4 });
    const cur = profileWithEdges({ v: [1, '7', 9, false] }, ref);
    expect(numeric(cur, 'v')).toMatchObject({ count: 2, missing: 0, invalid: 2 });
    expect(numeric(cur, 'v').histogram.counts).toEqual([0, 1, 0, 0, 0, 1]);
  });
});

describe('mergeProfiles', () => {
  const values = seededValues(20_000, 42);
  const labels = values.map((v) => (v > 0.5 ? 'high' : v < -0.5 ? 'low' : 'mid'));
  const whole = profileColumns({ v: values, label: labels });
  const first = profileWithEdges({ v: values.slice(0, 7_000), label: labels.slice(0, 7_000) }, whole);
  const second = profileWithEdges({ v: values.slice(7_000), label: labels.slice(7_000) }, whole);
  const merged = mergeProfiles(first, second);

  it('adds counts, extremes and histograms exactly', () => {
    const m = numeric(merged, 'v');
    const w = numeric(whole, 'v');
    expect(merged.rowCount).toBe(20_000);
    expect([m.count, m.missing, m.min, m.max]).toEqual([w.count, w.missing, w.min, w.max]);
    expect(m.histogram).toEqual(w.histogram);
    // Lag sums add, except for the one pair across the boundary (rows 6,999 and 7,000).
    const { lag, ...label } = categorical(merged, 'label');
    const { lag: wholeLag, ...wholeLabel } = categorical(whole, 'label');
    expect(label).toEqual(wholeLabel);
    const boundarySame = labels[6_999] === labels[7_000] ? 1 : 0;
    expect(lag).toEqual({ pairs: wholeLag!.pairs - 1, same: wholeLag!.same - boundarySame });
    expect(m.lag!.pairs).toBe(w.lag!.pairs - 1);
  });

  it('re-centres numeric lag sums on the merged mean, equal to the one-pass sums without the boundary pair', () => {
    const m = numeric(merged, 'v').lag!;
    const w = numeric(whole, 'v').lag!;
    expect(m.center).toBe(numeric(merged, 'v').mean);
    const c = m.center;
    const [x, y] = [values[6_999]! - c, values[7_000]! - c];
    // Re-centre the one-pass sums on the merged mean (x − c = (x − w.center) + (w.center − c)).
    const d = w.center - c;
    const whole2 = {
      sumX: w.sumX + w.pairs * d,
      sumNext: w.sumNext + w.pairs * d,
      sumProduct: w.sumProduct + d * (w.sumX + w.sumNext) + w.pairs * d * d,
    };
    expect(Math.abs(m.sumX - (whole2.sumX - x))).toBeLessThan(1e-9);
    expect(Math.abs(m.sumNext - (whole2.sumNext - y))).toBeLessThan(1e-9);
    expect(Math.abs(m.sumProduct - (whole2.sumProduct - x * y))).toBeLessThan(1e-9);
  });

  it('reads profiles stored before lag sums existed, and merges them without any', () => {
    const old = JSON.parse(JSON.stringify(first)) as DataProfile;
    delete numeric(old, 'v').lag;
    delete categorical(old, 'label').lag;
    const both = mergeProfiles(old, second);
    expect(numeric(both, 'v')).not.toHaveProperty('lag');
    expect(categorical(both, 'label')).not.toHaveProperty('lag');
    expect(numeric(both, 'v').count).toBe(20_000);
  });

  it("combines mean and variance by Chan's formula, equal to the one-pass values up to rounding", () => {
    const m = numeric(merged, 'v');
    const w = numeric(whole, 'v');
    expect(relClose(m.mean, w.mean!, 1e-12)).toBe(true);
    expect(relClose(profileVariance(m), profileVariance(w)!, 1e-12)).toBe(true);
  });

  it('keeps the merged quantile sketch within its rank error (2% for k = 200)', () => {
    const sorted = [...values].sort((a, b) => a - b);
    const sketch = numeric(merged, 'v').sketch;
    expect(sketch.n).toBe(20_000);
    for (const q of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
      const estimate = sketchQuantile(sketch, q);
      const trueRank = sorted.filter((x) => x <= estimate).length / sorted.length;
      expect(Math.abs(trueRank - q), `q = ${q}`).toBeLessThan(0.02);
    }
    expect(sketchQuantile(sketch, 0)).toBe(sorted[0]);
    expect(sketchQuantile(sketch, 1)).toBe(sorted[sorted.length - 1]);
  });

  it('merges reservoirs into a uniform sample of the union, and keeps every value while they fit', () => {
    const r = numeric(merged, 'v').reservoir;
    expect([r.capacity, r.seen, r.values.length]).toEqual([5000, 20_000, 5000]);
    const pool = new Set(values);
    expect(r.values.every((v) => pool.has(v))).toBe(true);
    expect(new Set(r.values).size).toBe(5000);
    // 7,000 of 20,000 rows came from the first half: the merged sample draws about 35% from it.
    const firstHalf = new Set(values.slice(0, 7_000));
    const share = r.values.filter((v) => firstHalf.has(v)).length / 5000;
    expect(Math.abs(share - 0.35)).toBeLessThan(0.03);

    const small = mergeProfiles(profileColumns({ v: [3, 1] }), profileColumns({ v: [2] }));
    expect(numeric(small, 'v').reservoir).toEqual({ capacity: 5000, seen: 3, values: [3, 1, 2] });
  });

  it('is deterministic for a seed', () => {
    expect(mergeProfiles(first, second)).toEqual(merged);
    expect(numeric(mergeProfiles(first, second, { seed: 9 }), 'v').reservoir.values).not.toEqual(
      numeric(merged, 'v').reservoir.values,
    );
  });

  it('counts a column absent from one side as missing on its rows', () => {
    const m = mergeProfiles(profileColumns({ a: [1, 2], b: ['x', 'y'] }), profileColumns({ a: [3] }));
    expect(categorical(m, 'b')).toMatchObject({ count: 2, missing: 1, invalid: 0 });
    expect(numeric(m, 'a')).toMatchObject({ count: 3, min: 1, max: 3, mean: 2, invalid: 0 });
  });

  it('adds invalid counts', () => {
    const schema = { schema: { a: 'numeric', b: 'categorical' } } as const;
    const m = mergeProfiles(
      profileColumns({ a: [1, 'x'], b: ['p', {}] }, schema),
      profileColumns({ a: [true, 'y', 2], b: [[], [], 'q'] }, schema),
    );
    expect(numeric(m, 'a')).toMatchObject({ count: 2, invalid: 3, mean: 1.5 });
    expect(categorical(m, 'b')).toMatchObject({ count: 2, invalid: 3, categories: { p: 1, q: 1 } });
    expect(invalidShare(m.columns.a!)).toBe(0.6);
  });

  it('re-bins independently built profiles exactly while their reservoirs hold every value', () => {
    const m = mergeProfiles(
      profileColumns({ v: [0, 1, 2, 3, 4] }, { bins: 2 }),
      profileColumns({ v: [9, 1.5] }),
    );
    expect(numeric(m, 'v').histogram).toEqual({ edges: [0, 2, 4], counts: [0, 3, 3, 1] });
  });

  it('refuses different bin edges it cannot reconcile, and different kinds', () => {
    const capped = { reservoirSize: 2 };
    expect(() =>
      mergeProfiles(profileColumns({ v: [1, 2, 3] }, capped), profileColumns({ v: [5, 9] }, capped)),
    ).toThrow(/different bin edges/);
    expect(() => mergeProfiles(profileColumns({ v: [1] }), profileColumns({ v: ['a'] }))).toThrow(
      /numeric in one/,
    );
  });

  it('merges categorical top lists, folding what falls out of the top N into other', () => {
    const a = profileColumns({ k: ['a', 'a', 'b'] }, { topCategories: 2 });
    const b = profileColumns({ k: ['c', 'c', 'c', 'b'] }, { topCategories: 2 });
    expect(categorical(mergeProfiles(a, b), 'k')).toMatchObject({
      categories: { c: 3, a: 2 },
      otherCount: 2,
    });
  });
});

describe('serialization', () => {
  it('round-trips through JSON unchanged', () => {
    const p = profileColumns({
      v: seededValues(8_000, 1),
      k: seededValues(8_000, 2).map((x) => (x > 0 ? 'p' : 'n')),
    });
    const back = JSON.parse(JSON.stringify(p)) as DataProfile;
    expect(back).toEqual(p);
    expect(mergeProfiles(back, back)).toEqual(mergeProfiles(p, p));
  });
});

describe('quantile sketch', () => {
  it('stays small and accurate on 100,000 values, and merges like one stream', () => {
    const values = seededValues(100_000, 5);
    const a = emptySketch();
    const b = emptySketch();
    sketchUpdate(a, values.slice(0, 50_000));
    sketchUpdate(b, values.slice(50_000));
    const m = sketchMerge(a, b);
    const items = m.levels.reduce((s, l) => s + l.length, 0);
    expect(items).toBeLessThan(1000);
    expect(m.levels.reduce((s, l, h) => s + l.length * 2 ** h, 0)).toBe(100_000);
    const sorted = [...values].sort((x, y) => x - y);
    for (const q of [0.05, 0.5, 0.95]) {
      expect(Math.abs(sketchRank(m, sorted[Math.floor(q * 100_000)]!) - q)).toBeLessThan(0.02);
    }
    expect(() => sketchMerge(a, emptySketch(100))).toThrow(/k 200 and 100/);
  });
});
