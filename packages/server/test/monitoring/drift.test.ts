import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SlipwayError } from '@slipway/contracts';
import {
  columnDrift,
  datasetDrift,
  defaultDriftMethod,
  DRIFT_METHODS,
  SMALL_REFERENCE_MAX,
} from '../../src/monitoring/drift.js';
import {
  mergeProfiles,
  profileColumns,
  profileWithEdges,
  type DataProfile,
} from '../../src/monitoring/profile.js';
import { Xoshiro128 } from '../../src/stats/random.js';

interface ProfileFixture {
  numericSmall: {
    reference: number[];
    current: number[];
    ks: { statistic: number; pValue: number };
    wassersteinNormalized: number;
  };
  numericLarge: { reference: number[]; current: number[]; wassersteinNormalized: number };
  categorical: {
    reference: string[];
    current: string[];
    categories: string[];
    chiSquare: { statistic: number; pValue: number };
    jensenShannon: number;
  };
  binary: { reference: boolean[]; current: boolean[]; zTest: { statistic: number; pValue: number } };
  autocorrelated: {
    numeric: {
      reference: number[];
      current: number[];
      independent: number[];
      ks: AutocorrelatedKs;
      ksIndependentCurrent: AutocorrelatedKs;
    };
    categorical: {
      reference: string[];
      current: string[];
      rhoReference: number;
      rhoCurrent: number;
      effectiveReference: number;
      effectiveCurrent: number;
      chiSquare: { statistic: number; pValue: number };
    };
  };
}

interface AutocorrelatedKs {
  rhoReference: number;
  rhoCurrent: number;
  effectiveReference: number;
  effectiveCurrent: number;
  statistic: number;
  pValue: number;
}

const P = (
  JSON.parse(readFileSync(new URL('../fixtures/scipy/drift.json', import.meta.url), 'utf8')) as {
    profiles: ProfileFixture;
  }
).profiles;

/** Relative closeness; an expected 0 must be met exactly. */
function expectClose(actual: number | undefined, expected: number, label: string, tolerance = 1e-9): void {
  const ok =
    actual !== undefined &&
    (expected === 0 ? actual === 0 : Math.abs(actual - expected) <= tolerance * Math.abs(expected));
  expect(ok, `${label}: got ${actual}, SciPy ${expected}`).toBe(true);
}

/** Reference and current profiles of one column, the current on the reference's terms. */
function pair(
  name: string,
  reference: readonly unknown[],
  current: readonly unknown[],
): [DataProfile, DataProfile] {
  const ref = profileColumns({ [name]: reference });
  return [ref, profileWithEdges({ [name]: current }, ref)];
}

function drift(name: string, reference: readonly unknown[], current: readonly unknown[], options = {}) {
  const [ref, cur] = pair(name, reference, current);
  return columnDrift(name, ref.columns[name]!, cur.columns[name]!, options);
}

describe('column drift from profiles against SciPy on the raw data', () => {
  it('small numeric reference: KS by default, exact while the data fits the reservoir', () => {
    const c = P.numericSmall;
    const r = drift('x', c.reference, c.current);
    expect(r).toMatchObject({ column: 'x', method: 'ks', kind: 'p_value', threshold: 0.05, exact: true });
    expect(r.statistic).toBe(c.ks.statistic);
    expectClose(r.pValue, c.ks.pValue, 'KS p-value');
    expect(r.drifted).toBe(c.ks.pValue < 0.05);
    // Independent draws: rho is not significantly positive, so the exact-n p-value stands.
    expect([r.autocorrelation?.reference.adjusted, r.autocorrelation?.current.adjusted]).toEqual([
      false,
      false,
    ]);
    expect(r.autocorrelation?.reference.effectiveSize).toBe(600);
  });

  it('numeric Wasserstein normalized by the reference std, exact from complete reservoirs', () => {
    const small = drift('x', P.numericSmall.reference, P.numericSmall.current, { method: 'wasserstein' });
    expectClose(small.statistic, P.numericSmall.wassersteinNormalized, 'small', 1e-12);
    expect(small.pValue).toBeUndefined();
    const large = drift('x', P.numericLarge.reference, P.numericLarge.current);
    expect(large).toMatchObject({ method: 'wasserstein', kind: 'distance', threshold: 0.1, exact: true });
    expectClose(large.statistic, P.numericLarge.wassersteinNormalized, 'large', 1e-12);
    expect(large.drifted).toBe(P.numericLarge.wassersteinNormalized >= 0.1);
  });

  it('estimates Wasserstein from overflowing reservoirs (a uniform subsample; flagged inexact)', () => {
    const ref = profileColumns({ x: P.numericLarge.reference }, { reservoirSize: 1000 });
    const cur = profileWithEdges({ x: P.numericLarge.current }, ref);
    const r = columnDrift('x', ref.columns.x!, cur.columns.x!);
    expect(r.exact).toBe(false);
    // 1,000-value subsamples: sampling error of the normalized distance is a few hundredths.
    expect(Math.abs(r.statistic - P.numericLarge.wassersteinNormalized)).toBeLessThan(0.05);
  });

  it('small categorical reference: chi-square by default; Jensen-Shannon on request', () => {
    const c = P.categorical;
    const r = drift('k', c.reference, c.current);
    expect(r).toMatchObject({ method: 'chi_square', kind: 'p_value', exact: true });
    expectClose(r.statistic, c.chiSquare.statistic, 'chi-square');
    expectClose(r.pValue, c.chiSquare.pValue, 'chi-square p-value');
    const js = drift('k', c.reference, c.current, { method: 'jensen_shannon' });
    expectClose(js.statistic, c.jensenShannon, 'Jensen-Shannon');
  });

  it('binary column: the two-proportion z-test', () => {
    const c = P.binary;
    const r = drift('b', c.reference, c.current);
    expect(r.method).toBe('z_test');
    expectClose(Math.abs(r.statistic), Math.abs(c.zTest.statistic), 'z');
    expectClose(r.pValue, c.zTest.pValue, 'z-test p-value');
  });

  it('counts a category never seen in the reference as a finite contingency term, not infinity', () => {
    const seen = drift('k', ['a', 'b', 'a', 'b'], ['a', 'b', 'c']);
    expect(seen).toMatchObject({ method: 'chi_square', drifted: false });
    expect(Number.isFinite(seen.statistic)).toBe(true);
    const many = drift(
      'k',
      ['a', 'b', 'a', 'b', 'a', 'b', 'a', 'b'],
      ['c', 'a', 'c', 'b', 'c', 'c', 'a', 'c'],
    );
    expect(many).toMatchObject({ method: 'chi_square', drifted: true });
  });

  it('PSI and Hellinger on numeric columns use the reference bins, aligned or re-binned alike', () => {
    const c = P.numericSmall;
    const [ref, cur] = pair('x', c.reference, c.current);
    const own = profileColumns({ x: c.current });
    for (const method of ['psi', 'hellinger', 'jensen_shannon'] as const) {
      const aligned = columnDrift('x', ref.columns.x!, cur.columns.x!, { method });
      const rebinned = columnDrift('x', ref.columns.x!, own.columns.x!, { method });
      expect(rebinned).toEqual(aligned);
      expect(aligned.statistic).toBeGreaterThan(0);
    }
  });

  it('gives the same verdict from merged daily profiles as from the whole window', () => {
    const c = P.numericSmall;
    const ref = profileColumns({ x: c.reference });
    const days = [c.current.slice(0, 150), c.current.slice(150, 300), c.current.slice(300)];
    const merged = days.map((d) => profileWithEdges({ x: d }, ref)).reduce((a, b) => mergeProfiles(a, b));
    const whole = profileWithEdges({ x: c.current }, ref);
    for (const method of ['ks', 'wasserstein', 'psi'] as const) {
      const fromDays = columnDrift('x', ref.columns.x!, merged.columns.x!, { method });
      const fromWhole = columnDrift('x', ref.columns.x!, whole.columns.x!, { method });
      expect(fromDays.statistic).toBe(fromWhole.statistic);
    }
  });
});

describe('autocorrelation: effective sample sizes against NumPy/SciPy', () => {
  const A = P.autocorrelated;

  it('KS on two AR(1) series uses n(1 − rho)/(1 + rho) per side and the asymptotic p-value', () => {
    const k = A.numeric.ks;
    const r = drift('x', A.numeric.reference, A.numeric.current);
    expect(r).toMatchObject({ method: 'ks', statistic: k.statistic, exact: true });
    expectClose(r.pValue, k.pValue, 'KS p-value');
    const { reference, current } = r.autocorrelation!;
    expectClose(reference.rho, k.rhoReference, 'reference rho', 1e-12);
    expectClose(current.rho, k.rhoCurrent, 'current rho', 1e-12);
    expectClose(reference.effectiveSize, k.effectiveReference, 'reference n_eff', 1e-12);
    expectClose(current.effectiveSize, k.effectiveCurrent, 'current n_eff', 1e-12);
    expect([reference.adjusted, reference.pairs, reference.size]).toEqual([true, 699, 700]);
    // The same D on independent draws would be overwhelming; on these series it is not.
    const ignored = drift('x', A.numeric.reference, A.numeric.current, { autocorrelation: 'ignore' });
    expect(ignored.statistic).toBe(k.statistic);
    expect(ignored.pValue!).toBeLessThan(r.pValue! / 1000);
    expect(ignored).not.toHaveProperty('autocorrelation');
  });

  it('adjusts only the autocorrelated side', () => {
    const k = A.numeric.ksIndependentCurrent;
    const r = drift('x', A.numeric.reference, A.numeric.independent);
    expect(r.autocorrelation?.current).toMatchObject({ adjusted: false, effectiveSize: 500 });
    expect(k.effectiveCurrent).toBe(500);
    expectClose(r.autocorrelation?.reference.effectiveSize, k.effectiveReference, 'reference n_eff', 1e-12);
    expectClose(r.pValue, k.pValue, 'KS p-value');
  });

  it('chi-square on two Markov chains scales each side’s counts to its effective size', () => {
    const c = A.categorical;
    const r = drift('k', c.reference, c.current);
    expect(r.method).toBe('chi_square');
    expectClose(r.autocorrelation?.reference.rho, c.rhoReference, 'reference rho', 1e-12);
    expectClose(r.autocorrelation?.current.rho, c.rhoCurrent, 'current rho', 1e-12);
    expectClose(r.autocorrelation?.reference.effectiveSize, c.effectiveReference, 'reference n_eff', 1e-12);
    expectClose(r.autocorrelation?.current.effectiveSize, c.effectiveCurrent, 'current n_eff', 1e-12);
    expectClose(r.statistic, c.chiSquare.statistic, 'chi-square');
    expectClose(r.pValue, c.chiSquare.pValue, 'chi-square p-value');
  });

  it('scales the z-test the same way, where z² equals the 2×2 chi-square', () => {
    const ref = A.categorical.reference.map((k) => k === 'a');
    const cur = A.categorical.current.map((k) => k === 'a');
    const z = drift('b', ref, cur);
    const chi = drift('b', ref, cur, { method: 'chi_square' });
    expect(z.method).toBe('z_test');
    expect(z.autocorrelation?.reference.adjusted).toBe(true);
    expectClose(z.statistic * z.statistic, chi.statistic, 'z² vs χ²', 1e-9);
    expectClose(z.pValue, chi.pValue!, 'p-values', 1e-9);
  });

  it('keeps the same rho from merged daily profiles, up to the pairs dropped at the boundaries', () => {
    const ref = profileColumns({ x: A.numeric.reference });
    const days = [0, 100, 250, 400].map((from, i, all) =>
      profileWithEdges({ x: A.numeric.current.slice(from, all[i + 1]) }, ref),
    );
    const merged = days.reduce((a, b) => mergeProfiles(a, b));
    const r = columnDrift('x', ref.columns.x!, merged.columns.x!);
    expect(r.autocorrelation?.current.pairs).toBe(649 - 3);
    expect(Math.abs(r.autocorrelation!.current.rho - A.numeric.ks.rhoCurrent)).toBeLessThan(0.01);
    expect(r.statistic).toBe(A.numeric.ks.statistic);
  });

  it('treats a profile stored without lag sums as independent', () => {
    const [ref, cur] = pair('x', A.numeric.reference, A.numeric.current);
    for (const p of [ref, cur]) delete (p.columns.x as { lag?: unknown }).lag;
    const r = columnDrift('x', ref.columns.x!, cur.columns.x!);
    expect(r.autocorrelation?.reference).toEqual({
      rho: 0,
      pairs: 0,
      size: 700,
      effectiveSize: 700,
      adjusted: false,
    });
    expect(r.pValue).toBe(
      columnDrift('x', ref.columns.x!, cur.columns.x!, { autocorrelation: 'ignore' }).pValue,
    );
  });

  it('refuses an unknown mode, naming the field', () => {
    const [ref, cur] = pair('x', A.numeric.reference, A.numeric.current);
    const field = (f: () => unknown): unknown => {
      try {
        f();
      } catch (e) {
        return (e as SlipwayError).details.field;
      }
      return undefined;
    };
    const bad = 'sometimes' as 'adjust';
    expect(field(() => columnDrift('x', ref.columns.x!, cur.columns.x!, { autocorrelation: bad }))).toBe(
      'perColumn.x.autocorrelation',
    );
    expect(field(() => datasetDrift(ref, cur, { autocorrelation: bad }))).toBe('autocorrelation');
  });
});

describe('method policy', () => {
  const rng = Xoshiro128.fromSeed(3);
  const numbers = (n: number) => Array.from({ length: n }, () => rng.nextFloat());
  const profile = (values: unknown[]) => profileColumns({ c: values }).columns.c!;

  it('switches from p-value tests to distances above 1,000 reference values', () => {
    expect(SMALL_REFERENCE_MAX).toBe(1000);
    const small = profile(numbers(1000));
    const large = profile(numbers(1001));
    expect(defaultDriftMethod(small, small)).toBe('ks');
    expect(defaultDriftMethod(large, small)).toBe('wasserstein');
    const cats = (n: number) => Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3]);
    expect(defaultDriftMethod(profile(cats(1000)), profile(cats(10)))).toBe('chi_square');
    expect(defaultDriftMethod(profile(cats(1001)), profile(cats(10)))).toBe('jensen_shannon');
    const two = profile(Array.from({ length: 50 }, (_, i) => i % 2 === 0));
    expect(defaultDriftMethod(two, two)).toBe('z_test');
    expect(defaultDriftMethod(two, profile(['true', 'false', 'maybe']))).toBe('chi_square');
  });

  it('documents each method’s kind and default threshold', () => {
    expect(
      Object.fromEntries(Object.entries(DRIFT_METHODS).map(([m, s]) => [m, `${s.kind}:${s.threshold}`])),
    ).toEqual({
      ks: 'p_value:0.05',
      chi_square: 'p_value:0.05',
      z_test: 'p_value:0.05',
      psi: 'distance:0.1',
      jensen_shannon: 'distance:0.1',
      wasserstein: 'distance:0.1',
      hellinger: 'distance:0.1',
    });
  });

  it('honours a per-column threshold and rejects methods that do not fit the column', () => {
    const c = P.numericSmall;
    const strict = drift('x', c.reference, c.current, { method: 'wasserstein', threshold: 10 });
    expect(strict).toMatchObject({ threshold: 10, drifted: false });
    const loose = drift('x', c.reference, c.current, { method: 'wasserstein', threshold: 0.0001 });
    expect(loose.drifted).toBe(true);
    let error: SlipwayError | undefined;
    try {
      drift('k', ['a'], ['b'], { method: 'ks' });
    } catch (e) {
      error = e as SlipwayError;
    }
    expect(error?.code).toBe('INVALID_ARGUMENT');
    expect(error?.details.field).toBe('perColumn.k.method');
    expect(() => drift('x', [1, 2], [3], { method: 'ks', threshold: 1.5 })).toThrow(/out of range/);
    expect(() => drift('x', [1, 2], [null])).toThrow(/no values in the current window/);
  });
});

describe('datasetDrift', () => {
  const c = P.numericSmall;
  const ref = profileColumns({
    shifted: c.reference,
    same: c.reference,
    gone: c.reference,
    label: P.categorical.reference.slice(0, 600),
  });
  const cur = profileWithEdges(
    {
      shifted: c.current,
      same: c.reference.slice(0, 400),
      // Every 'a' becomes 'd': a clear shift of the shares.
      label: P.categorical.current.slice(0, 400).map((k) => (k === 'a' ? 'd' : k)),
    },
    ref,
  );

  it('reports the drifted share against driftShare and skips columns it cannot compare', () => {
    const r = datasetDrift(ref, cur);
    expect(r.columns.map((x) => [x.column, x.method, x.drifted])).toEqual([
      ['shifted', 'ks', true],
      ['same', 'ks', false],
      ['label', 'chi_square', true],
    ]);
    expect(r.skipped).toEqual([{ column: 'gone', reason: 'missing_in_current' }]);
    expect([r.driftedCount, r.driftedShare, r.driftShare, r.drifted]).toEqual([2, 2 / 3, 0.5, true]);
    expect(datasetDrift(ref, cur, { driftShare: 0.7 }).drifted).toBe(false);
  });

  it('restricts to chosen columns with per-column overrides', () => {
    const r = datasetDrift(ref, cur, {
      columns: ['same', 'shifted'],
      perColumn: { shifted: { method: 'psi', threshold: 5 } },
    });
    expect(r.columns.map((x) => [x.column, x.method, x.drifted])).toEqual([
      ['same', 'ks', false],
      ['shifted', 'psi', false],
    ]);
    expect(r.drifted).toBe(false);
    expect(() => datasetDrift(ref, cur, { columns: ['nope'] })).toThrow(/not in the reference/);
    expect(() => datasetDrift(ref, cur, { driftShare: 0 })).toThrow(/driftShare/);
  });
});
