import { describe, expect, it } from 'vitest';
import {
  fitConstantBaseline,
  loadConstantBaseline,
  quantile,
} from '../../../src/runtimes/baseline/constant-baseline.js';
import { refusal } from '../../helpers/refusal.js';

const VALUES = [10, 1, 4, 2, 3]; // sorted: 1 2 3 4 10

describe('fitConstantBaseline: regression (NumPy definitions)', () => {
  it('mean: np.mean([10, 1, 4, 2, 3]) = 4', () => {
    expect(fitConstantBaseline({ task: 'regression', strategy: 'mean', labels: VALUES })).toEqual({
      kind: 'constant',
      task: 'regression',
      strategy: 'mean',
      prediction: 4,
    });
  });

  it('mean stays exact where naive summation drifts', () => {
    const labels = [1e16, 1, -1e16, 1];
    expect(fitConstantBaseline({ task: 'regression', strategy: 'mean', labels }).prediction).toBe(0.5);
  });

  it('median: middle value for odd n, mean of the two middle values for even n', () => {
    expect(fitConstantBaseline({ task: 'regression', strategy: 'median', labels: VALUES })).toMatchObject({
      prediction: 3,
    });
    // np.median([4, 1, 3, 2]) = (2 + 3) / 2
    expect(
      fitConstantBaseline({ task: 'regression', strategy: 'median', labels: [4, 1, 3, 2] }),
    ).toMatchObject({
      prediction: 2.5,
    });
    expect(
      fitConstantBaseline({ task: 'regression', strategy: 'median', labels: Float64Array.of(7) }).prediction,
    ).toBe(7);
  });

  // np.quantile(x, q) with method='linear': h = (n - 1) q, x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
  const quantiles: [number[], number, number][] = [
    [VALUES, 0, 1],
    [VALUES, 1, 10],
    [VALUES, 0.25, 2], // h = 1
    [VALUES, 0.5, 3], // h = 2
    [VALUES, 0.9, 7.6], // h = 3.6: 4 + 0.6 * (10 - 4)
    [VALUES, 0.8, 5.2], // h = 3.2: 4 + 0.2 * (10 - 4)
    [[4, 1, 3, 2], 0.1, 1.3], // h = 0.3
    [[4, 1, 3, 2], 0.5, 2.5], // h = 1.5
    [[4, 1, 3, 2], 0.75, 3.25], // h = 2.25
    [[5, 5, 5], 0.3, 5],
  ];

  it.each(quantiles)('quantile of %j at q=%d is %d', (labels, q, expected) => {
    const spec = fitConstantBaseline({ task: 'regression', strategy: 'quantile', labels, q });
    expect(spec).toMatchObject({ strategy: 'quantile', q });
    expect(spec.prediction).toBeCloseTo(expected, 12);
  });

  it('computes the quantile with NumPy’s lerp, exact at both ends', () => {
    expect(quantile(Float64Array.of(0, 1), 0.5)).toBe(0.5);
    expect(quantile(Float64Array.of(-1e308, 1e308), 1)).toBe(1e308);
  });

  it('refuses empty, non-finite and out-of-range inputs, naming the field', () => {
    expect(
      refusal(() => fitConstantBaseline({ task: 'regression', strategy: 'mean', labels: [] })).details.field,
    ).toBe('labels');
    const nan = refusal(() =>
      fitConstantBaseline({ task: 'regression', strategy: 'mean', labels: [1, 2, NaN] }),
    );
    expect(nan.details.field).toBe('labels[2]');
    expect(
      refusal(() => fitConstantBaseline({ task: 'regression', strategy: 'quantile', labels: [1] })).details
        .field,
    ).toBe('q');
    const q = refusal(() =>
      fitConstantBaseline({ task: 'regression', strategy: 'quantile', labels: [1], q: 1.5 }),
    );
    expect(q.message).toMatch(/between 0 and 1/);
  });

  it('fits a million labels quickly with one sort', () => {
    const labels = new Float64Array(1_000_000);
    for (let i = 0; i < labels.length; i++) labels[i] = (i * 7919) % 1_000_000;
    const started = performance.now();
    const median = fitConstantBaseline({ task: 'regression', strategy: 'median', labels });
    const mean = fitConstantBaseline({ task: 'regression', strategy: 'mean', labels });
    expect(performance.now() - started).toBeLessThan(2000);
    // The values are a permutation of 0..999999: median (499999 + 500000) / 2, mean 499999.5.
    expect(median.prediction).toBe(499_999.5);
    expect(mean.prediction).toBe(499_999.5);
    expect(labels[1]).toBe(7919); // the caller's array is not sorted in place
  });
});

describe('fitConstantBaseline: classification', () => {
  it('predicts the majority class with the class priors', () => {
    expect(fitConstantBaseline({ task: 'classification', labels: ['b', 'c', 'b', 'a', 'b'] })).toEqual({
      kind: 'constant',
      task: 'classification',
      strategy: 'majority',
      label: 'b',
      probabilities: { a: 0.2, b: 0.6, c: 0.2 },
    });
  });

  it('breaks ties by the smallest label: numeric order for numbers, code-unit order for strings', () => {
    expect(fitConstantBaseline({ task: 'classification', labels: [10, 2, 10, 2, 3] })).toMatchObject({
      label: 2,
      probabilities: { 2: 0.4, 3: 0.2, 10: 0.4 },
    });
    expect(fitConstantBaseline({ task: 'classification', labels: ['b', 'B', 'b', 'B'] })).toMatchObject({
      label: 'B',
    });
  });

  it('refuses mixed label types and non-finite labels', () => {
    expect(
      refusal(() => fitConstantBaseline({ task: 'classification', labels: [1, '1'] })).details.field,
    ).toBe('labels[1]');
    expect(
      refusal(() => fitConstantBaseline({ task: 'classification', labels: [1, Infinity] })).details.field,
    ).toBe('labels[1]');
  });

  it('counts a million labels quickly', () => {
    const labels = Array.from({ length: 1_000_000 }, (_, i) => (i % 10 < 6 ? 'no' : 'yes'));
    const started = performance.now();
    const spec = fitConstantBaseline({ task: 'classification', labels });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(spec).toMatchObject({ label: 'no', probabilities: { no: 0.6, yes: 0.4 } });
  });
});

describe('loadConstantBaseline', () => {
  it('returns the same classification output for every row, as fresh objects', async () => {
    const model = loadConstantBaseline(fitConstantBaseline({ task: 'classification', labels: [0, 1, 1] }));
    const out = await model.predict([{ x: 1 }, {}]);
    expect(out).toEqual([
      { label: 1, probabilities: { 0: 1 / 3, 1: 2 / 3 } },
      { label: 1, probabilities: { 0: 1 / 3, 1: 2 / 3 } },
    ]);
    expect(out[0]?.probabilities).not.toBe(out[1]?.probabilities);
    await model.close();
  });

  it('returns the regression prediction for every row', async () => {
    const model = loadConstantBaseline({
      kind: 'constant',
      task: 'regression',
      strategy: 'mean',
      prediction: 4,
    });
    expect(await model.predict([{}, {}, {}])).toEqual([
      { prediction: 4 },
      { prediction: 4 },
      { prediction: 4 },
    ]);
    expect(await model.predict([])).toEqual([]);
  });
});
