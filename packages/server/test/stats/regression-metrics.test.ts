import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  DEFAULT_RESIDUAL_QUANTILES,
  explainedVarianceScore,
  meanAbsoluteError,
  meanAbsolutePercentageError,
  meanSquaredError,
  medianAbsoluteError,
  pairwiseSum,
  quantileSorted,
  r2Score,
  regressionMetrics,
  residualQuantiles,
  rootMeanSquaredError,
} from '../../src/stats/regression-metrics.js';

interface RegressionFixture {
  name: string;
  yTrue: number[];
  yPred: number[];
  sampleWeight: number[] | null;
  expected: {
    mae: number;
    mse: number;
    rmse: number;
    r2: number;
    mape: number;
    medae: number;
    explainedVariance: number;
    residualQuantiles: number[];
  };
}

const FIXTURES = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/regression_ranking.json', import.meta.url), 'utf8'),
) as { residualQuantileLevels: number[]; regression: RegressionFixture[] };

/** Relative 1e-12; an expected 0 must be matched exactly (sklearn's 0s and 1s here are exact, not rounded). */
function expectClose(actual: number, expected: number, label: string): void {
  const ok = expected === 0 ? actual === 0 : Math.abs(actual - expected) <= 1e-12 * Math.abs(expected);
  expect(ok, `${label}: got ${actual}, sklearn ${expected}`).toBe(true);
}

describe('regression metrics against scikit-learn 1.2.1', () => {
  it('uses the quantile levels the fixture was generated with', () => {
    expect(FIXTURES.residualQuantileLevels).toEqual(DEFAULT_RESIDUAL_QUANTILES);
  });

  describe.each(FIXTURES.regression)('$name', (c) => {
    const w = c.sampleWeight ?? undefined;
    const report = regressionMetrics(c.yTrue, c.yPred, { sampleWeight: w });

    it.each([
      ['mae', report.mae, c.expected.mae],
      ['mse', report.mse, c.expected.mse],
      ['rmse', report.rmse, c.expected.rmse],
      ['r2', report.r2, c.expected.r2],
      ['mape', report.mape, c.expected.mape],
      ['medianAbsoluteError', report.medianAbsoluteError, c.expected.medae],
      ['explainedVariance', report.explainedVariance, c.expected.explainedVariance],
    ])('%s', (name, actual, expected) => expectClose(actual, expected, `${c.name} ${name}`));

    it('residual quantiles (numpy.quantile, linear)', () => {
      expect(report.residualQuantiles.map((q) => q.level)).toEqual(DEFAULT_RESIDUAL_QUANTILES);
      report.residualQuantiles.forEach((q, i) =>
        expectClose(q.value, c.expected.residualQuantiles[i] as number, `${c.name} q${q.level}`),
      );
    });

    it('single-metric functions agree with the report', () => {
      expect(meanAbsoluteError(c.yTrue, c.yPred, w)).toBe(report.mae);
      expect(meanSquaredError(c.yTrue, c.yPred, w)).toBe(report.mse);
      expect(rootMeanSquaredError(c.yTrue, c.yPred, w)).toBe(report.rmse);
      expect(r2Score(c.yTrue, c.yPred, w)).toBe(report.r2);
      expect(meanAbsolutePercentageError(c.yTrue, c.yPred, w)).toBe(report.mape);
      expect(medianAbsoluteError(c.yTrue, c.yPred, w)).toBe(report.medianAbsoluteError);
      expect(explainedVarianceScore(c.yTrue, c.yPred, w)).toBe(report.explainedVariance);
    });
  });
});

describe('regression edge cases', () => {
  it('R² is NaN below two rows, like sklearn', () => {
    expect(r2Score([1], [2])).toBeNaN();
    expect(regressionMetrics([1], [2]).mae).toBe(1);
  });

  it('treats a constant target exactly, even when its mean would carry rounding noise', () => {
    const yTrue = [0.1, 0.1, 0.1];
    expect(r2Score(yTrue, [0.1, 0.1, 0.1])).toBe(1);
    expect(r2Score(yTrue, [0.2, 0.1, 0.1])).toBe(0);
    expect(explainedVarianceScore(yTrue, [0.2, 0.1, 0.1])).toBe(0);
    expect(explainedVarianceScore(yTrue, [0.1, 0.1, 0.1])).toBe(1);
  });

  it('ignores zero-weight rows when deciding that the target is constant', () => {
    expect(r2Score([1, 1, 5], [1, 2, 0], [1, 1, 0])).toBe(0);
  });

  it('MAPE floors |y_true| at machine epsilon: a zero target gives a huge finite error', () => {
    expect(meanAbsolutePercentageError([0], [1])).toBe(1 / 2.220446049250313e-16);
  });

  it('weighted median skips leading zero-weight rows (sklearn GH20528)', () => {
    expect(medianAbsoluteError([0, 0, 0], [1, 2, 3], [0, 1, 1])).toBe(2);
    expect(medianAbsoluteError([0, 0, 0, 0], [1, 2, 3, 4], [1, 1, 1, 1])).toBe(2);
    expect(medianAbsoluteError([0, 0, 0, 0], [1, 2, 3, 4])).toBe(2.5);
  });

  it.each([
    ['no rows', () => meanAbsoluteError([], [])],
    ['ragged', () => meanAbsoluteError([1, 2], [1])],
    ['NaN', () => meanSquaredError([1, Number.NaN], [1, 2])],
    ['negative weight', () => r2Score([1, 2], [1, 2], [1, -1])],
    ['zero total weight', () => meanAbsoluteError([1, 2], [1, 2], [0, 0])],
    ['ragged weights', () => meanAbsoluteError([1, 2], [1, 2], [1])],
    ['quantile level out of range', () => residualQuantiles([1, 2], [1, 2], [1.5])],
  ])('rejects %s with INVALID_ARGUMENT', (_name, call) => {
    expect(call).toThrow(SlipwayError);
  });
});

describe('numerical helpers', () => {
  it('pairwiseSum equals the plain sum on exact inputs of every block shape', () => {
    for (const n of [0, 1, 7, 8, 9, 128, 129, 1000]) {
      const values = Array.from({ length: n }, (_, i) => i);
      expect(pairwiseSum(values) === (n * (n - 1)) / 2).toBe(true);
    }
  });

  it('pairwiseSum follows NumPy order, not left-to-right order', () => {
    // Left to right, 1e16 swallows each 1; NumPy's eight accumulators add the 1s together first.
    const values = [1e16, 1, 1, 1, 1, 1, 1, 1, -1e16, 1, 1, 1, 1, 1, 1, 1];
    expect(values.reduce((a, b) => a + b, 0)).not.toBe(14);
    expect(pairwiseSum(values)).toBe(14);
  });

  it('quantileSorted interpolates like numpy.quantile', () => {
    const sorted = [1, 2, 4, 8];
    expect(quantileSorted(sorted, 0)).toBe(1);
    expect(quantileSorted(sorted, 1)).toBe(8);
    expect(quantileSorted(sorted, 0.5)).toBe(3);
    expect(quantileSorted(sorted, 0.25)).toBe(1.75);
    expect(quantileSorted([5], 0.3)).toBe(5);
    expect(() => quantileSorted([], 0.5)).toThrow(SlipwayError);
  });
});
