import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { evaluateModels, type EvaluateOptions } from '../../src/evaluation/evaluate.js';
import { fitConstantBaseline, loadConstantBaseline } from '../../src/runtimes/baseline/constant-baseline.js';
import { binaryRows, binaryScorer, multiclassRows, regressionRows, rowModel } from './fixtures.js';

/** The INVALID_ARGUMENT error evaluation rejects with. */
async function refusal(options: EvaluateOptions): Promise<SlipwayError> {
  try {
    await evaluateModels(options);
  } catch (error) {
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return error as SlipwayError;
  }
  throw new Error('expected evaluateModels to reject');
}

const binary = (over: Partial<EvaluateOptions> = {}): EvaluateOptions => ({
  task: 'binary',
  rows: binaryRows(),
  labelColumn: 'y',
  models: [{ id: 'scorer', model: binaryScorer(), role: 'candidate' }],
  ...over,
});

describe('evaluateModels: bad input', () => {
  it('refuses an empty dataset', async () => {
    const error = await refusal(binary({ rows: [] }));
    expect(error.details.field).toBe('rows');
  });

  it('names the first row missing the label column', async () => {
    const rows = binaryRows().map((r, i) => (i === 3 || i === 9 ? { x: r.x } : r));
    const error = await refusal(binary({ rows }));
    expect(error.details.field).toBe('rows[3].y');
    expect(error.message).toContain("label column 'y'");
  });

  it('names a label absent from a model’s probability classes', async () => {
    const rows = multiclassRows();
    const trained = loadConstantBaseline(fitConstantBaseline({ task: 'classification', labels: ['a', 'b'] }));
    const error = await refusal({
      task: 'multiclass',
      rows,
      labelColumn: 'y',
      models: [{ id: 'majority', model: trained, role: 'baseline' }],
    });
    expect(error.details.field).toBe('y');
    expect(error.message).toContain('"c"');
    expect(error.message).toContain("'majority'");
    expect(error.message).toMatch(/rows\[\d+\]/);
  });

  it('names the model and row of a NaN prediction, probability or score', async () => {
    const nanAt5 = rowModel((r) => ({ prediction: r.x === 5 / 4 ? Number.NaN : (r.x as number) }));
    const regression = await refusal({
      task: 'regression',
      rows: regressionRows(),
      labelColumn: 'y',
      models: [{ id: 'broken', model: nanAt5, role: 'candidate' }],
    });
    expect(regression.details.field).toBe('models.broken.prediction');
    expect(regression.message).toContain("'broken'");
    expect(regression.message).toContain('row 5');
    const nanProbability = rowModel((r) => ({
      label: 1,
      probabilities: { '0': 0.5, '1': r.x === 2 ? NaN : 0.5 },
    }));
    const probability = await refusal(
      binary({ models: [{ id: 'p', model: nanProbability, role: 'candidate' }] }),
    );
    expect(probability.details.field).toBe('models.p.probabilities');
    expect(probability.message).toContain('row 2');
    const unnormalised = rowModel((r) => ({ probabilities: { '0': 0.5, '1': r.x === 3 ? 0.7 : 0.5 } }));
    const sum = await refusal(binary({ models: [{ id: 'u', model: unnormalised, role: 'candidate' }] }));
    expect(sum.details.field).toBe('models.u.probabilities');
    expect(sum.message).toContain('row 3');
    const nanScore = rowModel((r) => ({ label: 1, score: r.x === 4 ? NaN : 1 }));
    const score = await refusal(binary({ models: [{ id: 's', model: nanScore, role: 'candidate' }] }));
    expect(score.details.field).toBe('models.s.score');
    expect(score.message).toContain('row 4');
  });

  it('refuses a slice column that does not exist and an empty slice set', async () => {
    expect(
      (await refusal(binary({ slices: [{ column: 'country' }, { column: 'nope' }] }))).details.field,
    ).toBe('slices[1].column');
    expect((await refusal(binary({ slices: [] }))).details.field).toBe('slices');
    expect((await refusal(binary({ slices: [{ column: 'x', buckets: [5, 2] }] }))).details.field).toBe(
      'slices[0].buckets',
    );
  });

  it('refuses a third class in a binary task, an unknown positive label and an unknown headline', async () => {
    const three = rowModel(() => ({ label: 2 }));
    expect(
      (await refusal(binary({ models: [{ id: 't', model: three, role: 'candidate' }] }))).details.field,
    ).toBe('task');
    expect((await refusal(binary({ positiveLabel: 'yes' }))).details.field).toBe('positiveLabel');
    const headline = { resamples: 10, seed: 1, confidence: 0.9, headline: 'rmse' };
    expect((await refusal(binary({ bootstrap: headline }))).details.field).toBe('bootstrap.headline');
    const noResamples = { ...headline, headline: 'accuracy', resamples: 0 };
    expect((await refusal(binary({ bootstrap: noResamples }))).details.field).toBe('bootstrap.resamples');
    const labelsOnly = rowModel((r) => ({ label: (r.x as number) > 4 ? 1 : 0 }));
    const auc = await refusal(
      binary({
        models: [{ id: 'labels-only', model: labelsOnly, role: 'baseline' }],
        bootstrap: { ...headline, headline: 'rocAuc' },
      }),
    );
    expect(auc.details.field).toBe('bootstrap.headline');
    expect(auc.message).toContain("'labels-only'");
  });

  it('refuses a model that returns the wrong number of outputs', async () => {
    const short = { predict: async () => [{ label: 1 }], close: async () => {} };
    const error = await refusal(binary({ models: [{ id: 'short', model: short, role: 'candidate' }] }));
    expect(error.details.field).toBe('models.short');
  });
});
