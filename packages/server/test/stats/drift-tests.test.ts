import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  chiSquareSf,
  erfc,
  kolmogorovSf,
  kolmogorovSmirnovSf,
  logGamma,
  normalCdf,
  normalSf,
  regularizedGammaQ,
  smirnovSf,
} from '../../src/stats/distributions.js';
import {
  chiSquareContingency,
  hellingerDistance,
  jensenShannonDistance,
  ks2Sample,
  ks2SampleEffective,
  ksAsymptoticPValue,
  normalizedWasserstein,
  populationStabilityIndex,
  PSI_EMPTY_BIN_SHARE,
  twoProportionZTest,
  wassersteinDistance,
} from '../../src/stats/drift-tests.js';

interface Named {
  name: string;
}
interface Fixture {
  versions: { scipy: string; numpy: string };
  ks: (Named & { a: number[]; b: number[]; statistic: number; pValue: number })[];
  kstwo: { n: number; x: number; sf: number }[];
  smirnov: { n: number; x: number; sf: number }[];
  kolmogorov: { x: number; sf: number }[];
  chi2: { x: number; df: number; sf: number }[];
  gammaincc: { a: number; x: number; q: number }[];
  normal: { z: number; sf: number; cdf: number }[];
  contingency: (Named & { reference: number[]; current: number[]; statistic: number; pValue: number })[];
  ksAsymptotic: { statistic: number; n: number; m: number; pValue: number }[];
  ksEffective: (Named & {
    a: number[];
    b: number[];
    effectiveA: number;
    effectiveB: number;
    statistic: number;
    pValue: number;
  })[];
  zTest: (Named & { k1: number; n1: number; k2: number; n2: number; statistic: number; pValue: number })[];
  histograms: (Named & {
    reference: number[];
    current: number[];
    psi: number;
    jensenShannon: number;
    hellinger: number;
  })[];
  wasserstein: (Named & {
    a: number[];
    b: number[];
    aWeights?: number[];
    bWeights?: number[];
    distance: number;
    normalized: number | null;
  })[];
}

const F = JSON.parse(
  readFileSync(new URL('../fixtures/scipy/drift.json', import.meta.url), 'utf8'),
) as Fixture;

/**
 * Relative tolerance 1e-11: the same math as SciPy, so only rounding differs (the largest seen is 1.1e-12,
 * kstwo.sf's Pomeranz branch). An expected 0, 1 or infinity must be matched exactly.
 */
function expectClose(actual: number, expected: number, label: string, tolerance = 1e-11): void {
  const ok =
    expected === 0 || expected === 1 || !Number.isFinite(expected)
      ? actual === expected
      : Math.abs(actual - expected) <= tolerance * Math.abs(expected);
  expect(ok, `${label}: got ${actual}, SciPy ${expected}`).toBe(true);
}

/** Population standard deviation, as numpy.std. */
function std(values: number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
}

describe('special functions against SciPy', () => {
  it('records the SciPy version the fixture came from', () => {
    expect(F.versions).toEqual({ scipy: '1.17.1', numpy: '2.4.6' });
  });

  it('kstwo.sf over every branch of Simard & L’Ecuyer’s selection', () => {
    for (const c of F.kstwo) expectClose(kolmogorovSmirnovSf(c.n, c.x), c.sf, `kstwo.sf(${c.x}, ${c.n})`);
  });

  it('smirnov (one-sided, exact sum)', () => {
    for (const c of F.smirnov) expectClose(smirnovSf(c.n, c.x), c.sf, `smirnov(${c.n}, ${c.x})`);
  });

  it('kolmogorov (the limiting distribution)', () => {
    for (const c of F.kolmogorov) expectClose(kolmogorovSf(c.x), c.sf, `kolmogorov(${c.x})`);
  });

  it('chi2.sf and gammaincc', () => {
    for (const c of F.chi2) expectClose(chiSquareSf(c.x, c.df), c.sf, `chi2.sf(${c.x}, ${c.df})`);
    for (const c of F.gammaincc) expectClose(regularizedGammaQ(c.a, c.x), c.q, `gammaincc(${c.a}, ${c.x})`);
  });

  it('norm.sf and norm.cdf, including the far tail', () => {
    for (const c of F.normal) {
      expectClose(normalSf(c.z), c.sf, `norm.sf(${c.z})`);
      expectClose(normalCdf(c.z), c.cdf, `norm.cdf(${c.z})`);
    }
  });

  it('has exact values at the edges', () => {
    expect(erfc(0)).toBe(1);
    expect(kolmogorovSmirnovSf(10, 0)).toBe(1);
    expect(kolmogorovSmirnovSf(10, 1)).toBe(0);
    expect(chiSquareSf(0, 3)).toBe(1);
    expect(Math.abs(logGamma(5) - Math.log(24))).toBeLessThan(1e-14);
    expect(() => chiSquareSf(1, 0)).toThrow(SlipwayError);
    expect(() => kolmogorovSmirnovSf(2.5, 0.1)).toThrow(/positive integer/);
  });
});

describe('ks2Sample against scipy.stats.ks_2samp(method="asymp")', () => {
  it.each(F.ks)('$name', (c) => {
    const r = ks2Sample(c.a, c.b);
    expect(r.statistic).toBe(c.statistic);
    expectClose(r.pValue, c.pValue, `${c.name} p-value`);
  });

  it('rejects empty and non-finite samples', () => {
    expect(() => ks2Sample([], [1])).toThrow(/reference must not be empty/);
    expect(() => ks2Sample([1, NaN], [1])).toThrow(/finite/);
  });
});

describe('ksAsymptoticPValue and ks2SampleEffective against kstwobign.sf with Stephens’ correction', () => {
  it('matches SciPy over fractional effective sizes', () => {
    for (const c of F.ksAsymptotic) {
      expectClose(ksAsymptoticPValue(c.statistic, c.n, c.m), c.pValue, `D=${c.statistic} n=${c.n} m=${c.m}`);
    }
  });

  it.each(F.ksEffective)('$name', (c) => {
    const r = ks2SampleEffective(c.a, c.b, c.effectiveA, c.effectiveB);
    expect(r.statistic).toBe(c.statistic);
    expectClose(r.pValue, c.pValue, `${c.name} p-value`);
  });

  it('is less sure of the same D with fewer effective draws', () => {
    expect(ksAsymptoticPValue(0.3, 688, 720)).toBeLessThan(1e-20);
    expect(ksAsymptoticPValue(0.3, 11.4, 20.9)).toBeGreaterThan(0.3);
  });

  it('rejects sizes that are not positive and statistics outside [0, 1]', () => {
    expect(() => ksAsymptoticPValue(0.1, 0, 5)).toThrow(/nReference must be > 0/);
    expect(() => ksAsymptoticPValue(0.1, 5, NaN)).toThrow(/nCurrent/);
    expect(() => ksAsymptoticPValue(1.5, 5, 5)).toThrow(/statistic/);
  });
});

describe('chiSquareContingency against scipy.stats.chi2_contingency(correction=False)', () => {
  it.each(F.contingency)('$name', (c) => {
    const r = chiSquareContingency(c.reference, c.current);
    expectClose(r.statistic, c.statistic, `${c.name} statistic`);
    expectClose(r.pValue, c.pValue, `${c.name} p-value`);
  });

  it('stays finite for a category seen on one side only, and symmetric in its two rows', () => {
    const r = chiSquareContingency([40, 60, 0], [30, 50, 5]);
    expect(Number.isFinite(r.statistic)).toBe(true);
    expect(chiSquareContingency([30, 50, 5], [40, 60, 0])).toEqual(r);
  });

  it('drops categories empty on both sides and treats one category as no evidence', () => {
    expect(chiSquareContingency([10, 0, 30], [5, 0, 15])).toEqual(chiSquareContingency([10, 30], [5, 15]));
    expect(chiSquareContingency([10], [4])).toEqual({ statistic: 0, pValue: 1 });
  });

  it('rejects misaligned or negative counts', () => {
    expect(() => chiSquareContingency([1, 2], [1])).toThrow(/differ in length/);
    expect(() => chiSquareContingency([1, -2], [1, 1])).toThrow(/>= 0/);
    expect(() => chiSquareContingency([0, 0], [1, 1])).toThrow(/reference counts sum to zero/);
  });
});

describe('twoProportionZTest (Evidently z_stat, two-sided via norm.sf)', () => {
  it.each(F.zTest)('$name', (c) => {
    const r = twoProportionZTest(c.k1, c.n1, c.k2, c.n2);
    expectClose(r.statistic, c.statistic, `${c.name} z`);
    expectClose(r.pValue, c.pValue, `${c.name} p-value`);
  });

  it('gives no evidence when both samples are constant and the same', () => {
    expect(twoProportionZTest(0, 10, 0, 20)).toEqual({ statistic: 0, pValue: 1 });
    expect(() => twoProportionZTest(11, 10, 0, 20)).toThrow(/successes/);
    expect(() => twoProportionZTest(1, 0, 0, 20)).toThrow(/reference total must be a positive number/);
  });

  it('takes fractional effective sizes, and then equals the 2×2 contingency chi-square (z² = χ²)', () => {
    const z = twoProportionZTest(30 * 0.4, 100 * 0.4, 55 * 0.3, 120 * 0.3);
    const chi = chiSquareContingency([12, 28], [16.5, 19.5]);
    expectClose(z.statistic * z.statistic, chi.statistic, 'z² vs χ²', 1e-12);
    expectClose(z.pValue, chi.pValue, 'p-values', 1e-9);
  });
});

describe('histogram distances', () => {
  it.each(F.histograms)('$name: PSI, jensenshannon, Hellinger', (c) => {
    expectClose(populationStabilityIndex(c.reference, c.current), c.psi, `${c.name} PSI`);
    expectClose(jensenShannonDistance(c.reference, c.current), c.jensenShannon, `${c.name} JS`);
    expectClose(hellingerDistance(c.reference, c.current), c.hellinger, `${c.name} Hellinger`);
  });

  it('floors empty PSI bins at 1e-4 and bounds JS and Hellinger on disjoint supports', () => {
    expect(PSI_EMPTY_BIN_SHARE).toBe(0.0001);
    const psi = populationStabilityIndex([1, 0], [0, 1]);
    expect(psi).toBeCloseTo(2 * (1 - 0.0001) * Math.log(1 / 0.0001), 12);
    expect(jensenShannonDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
    expect(hellingerDistance([1, 0], [0, 1])).toBeCloseTo(1, 15);
    expect(hellingerDistance([3, 1], [6, 2])).toBe(0);
  });
});

describe('wassersteinDistance against scipy.stats.wasserstein_distance', () => {
  it.each(F.wasserstein)('$name', (c) => {
    const u = { values: c.a, weights: c.aWeights };
    const v = { values: c.b, weights: c.bWeights };
    expectClose(wassersteinDistance(u, v), c.distance, `${c.name} distance`);
    if (c.normalized !== null)
      expectClose(normalizedWasserstein(u, v, std(c.a)), c.normalized, `${c.name} normalized`, 1e-12);
  });

  it('floors the reference std at 0.001, as Evidently', () => {
    expect(normalizedWasserstein({ values: [2, 2] }, { values: [3] }, 0)).toBeCloseTo(1000, 9);
    expect(() => wassersteinDistance({ values: [1], weights: [0] }, { values: [2] })).toThrow(/sum to zero/);
  });
});
