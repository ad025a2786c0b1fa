import { describe, expect, it } from 'vitest';
import { evaluateModels } from '../../src/evaluation/evaluate.js';
import { fitConstantBaseline, loadConstantBaseline } from '../../src/runtimes/baseline/constant-baseline.js';
import { loadRulesBaseline } from '../../src/runtimes/baseline/rules-baseline.js';
import type { InputRow } from '../../src/runtimes/runtime.js';
import { bootstrapCi, pairedBootstrap } from '../../src/stats/bootstrap.js';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  brierScore,
  logLoss,
  precisionRecallF1,
  rocAuc,
  rocAucOvr,
} from '../../src/stats/classification-metrics.js';
import { regressionMetrics } from '../../src/stats/regression-metrics.js';
import {
  binaryRows,
  binaryScorer,
  multiclassProbabilities,
  multiclassRows,
  regressionRows,
  rowModel,
  xProbability,
} from './fixtures.js';

const column = (rows: readonly InputRow[], name: string): number[] => rows.map((r) => r[name] as number);

/** Direct stats calls for the binary metric set on plain arrays. */
function binaryExpected(
  y: number[],
  labels: number[],
  p?: number[],
  p0: number[] | undefined = p?.map((q) => 1 - q),
): Record<string, number | undefined> {
  const prf = precisionRecallF1(y, labels, { average: 'binary', posLabel: 1 });
  const base = {
    accuracy: accuracy(y, labels),
    balancedAccuracy: balancedAccuracy(y, labels),
    precision: prf.precision,
    recall: prf.recall,
    f1: prf.f1,
  };
  if (p === undefined) return base;
  return {
    ...base,
    rocAuc: rocAuc(y, p),
    averagePrecision: averagePrecision(y, p),
    logLoss: logLoss(
      y,
      p.flatMap((q, i) => [p0?.[i] as number, q]),
    ),
    brier: brierScore(y, p),
  };
}

const rules = loadRulesBaseline({
  kind: 'rules',
  output: 'label',
  rules: [{ when: 'x > 6', then: 1 }],
  default: 0,
});

describe('evaluateModels: binary', () => {
  it('matches direct stats calls for a scorer, a constant and a rules baseline', async () => {
    const rows = binaryRows();
    const y = column(rows, 'y');
    const constant = loadConstantBaseline(fitConstantBaseline({ task: 'classification', labels: y }));
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [
        { id: 'scorer', model: binaryScorer(), role: 'candidate' },
        { id: 'constant', model: constant, role: 'baseline' },
        { id: 'rules', model: rules, role: 'baseline' },
      ],
    });
    expect(report.rows).toBe(60);
    expect(report.classes).toEqual([0, 1]);
    expect(report.positiveLabel).toBe(1);
    const p = rows.map((r) => xProbability(r.x as number));
    const [scorer, base, rule] = report.models;
    expect(scorer?.metrics).toEqual(
      binaryExpected(
        y,
        p.map((q) => (q >= 0.5 ? 1 : 0)),
        p,
      ),
    );
    const prior = y.filter((v) => v === 1).length / y.length;
    const zeros = y.filter((v) => v === 0).length / y.length;
    expect(base?.metrics).toEqual(
      binaryExpected(
        y,
        y.map(() => (prior > 0.5 ? 1 : 0)),
        y.map(() => prior),
        y.map(() => zeros),
      ),
    );
    expect(rule?.metrics).toEqual(
      binaryExpected(
        y,
        column(rows, 'x').map((x) => (x > 6 ? 1 : 0)),
      ),
    );
    expect(rule?.hasProbabilities).toBe(false);
    expect(rule?.metrics).not.toHaveProperty('rocAuc');
  });

  it('reads a score field for ranking metrics and honours an explicit positive label', async () => {
    const rows = binaryRows().map((r) => ({ ...r, y: r.y === 1 ? 'fraud' : 'ok' }));
    const scored = rowModel((r) => ({ verdict: (r.x as number) > 4 ? 'fraud' : 'ok', risk: r.x as number }));
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [{ id: 'm', model: scored, role: 'candidate' }],
      predictionField: 'verdict',
      scoreField: 'risk',
      positiveLabel: 'fraud',
    });
    const y = rows.map((r) => r.y);
    const x = column(rows, 'x');
    expect(report.positiveLabel).toBe('fraud');
    expect(report.models[0]?.metrics.rocAuc).toBe(rocAuc(y, x, { posLabel: 'fraud' }));
    expect(report.models[0]?.metrics.recall).toBe(
      precisionRecallF1(
        y,
        x.map((v) => (v > 4 ? 'fraud' : 'ok')),
        { average: 'binary', posLabel: 'fraud' },
      ).recall,
    );
    expect(report.models[0]?.metrics).not.toHaveProperty('logLoss');
  });

  it('predicts in batches and takes the argmax when a model returns only probabilities', async () => {
    const rows = binaryRows();
    const model = rowModel((r) => {
      const p = xProbability(r.x as number);
      return { probabilities: [1 - p, p] };
    });
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [{ id: 'm', model, role: 'candidate' }],
      batchSize: 25,
    });
    expect(model.calls).toEqual([25, 25, 10]);
    const p = rows.map((r) => xProbability(r.x as number));
    expect(report.models[0]?.metrics.accuracy).toBe(
      accuracy(
        column(rows, 'y'),
        p.map((q) => (q > 0.5 ? 1 : 0)),
      ),
    );
  });
});

describe('evaluateModels: multiclass and regression', () => {
  it('matches direct stats calls for multiclass with array probabilities', async () => {
    const rows = multiclassRows();
    const y = rows.map((r) => r.y as string);
    const model = rowModel((r) => ({
      label: ['a', 'b', 'c'][multiclassProbabilities(r.x as number).indexOf(0.6)],
      probabilities: multiclassProbabilities(r.x as number),
    }));
    const constant = loadConstantBaseline(fitConstantBaseline({ task: 'classification', labels: y }));
    const report = await evaluateModels({
      task: 'multiclass',
      rows,
      labelColumn: 'y',
      models: [
        { id: 'm', model, role: 'candidate' },
        { id: 'majority', model: constant, role: 'baseline' },
      ],
    });
    const labels = rows.map(
      (r) => ['a', 'b', 'c'][multiclassProbabilities(r.x as number).indexOf(0.6)] as string,
    );
    const matrix = rows.flatMap((r) => multiclassProbabilities(r.x as number));
    expect(report.classes).toEqual(['a', 'b', 'c']);
    const macro = precisionRecallF1(y, labels, { average: 'macro' });
    const micro = precisionRecallF1(y, labels, { average: 'micro' });
    const weighted = precisionRecallF1(y, labels, { average: 'weighted' });
    expect(report.models[0]?.metrics).toEqual({
      accuracy: accuracy(y, labels),
      balancedAccuracy: balancedAccuracy(y, labels),
      macroF1: macro.f1,
      weightedF1: weighted.f1,
      macroPrecision: macro.precision,
      macroRecall: macro.recall,
      microPrecision: micro.precision,
      microRecall: micro.recall,
      microF1: micro.f1,
      weightedPrecision: weighted.precision,
      weightedRecall: weighted.recall,
      rocAucOvr: rocAucOvr(y, matrix),
      logLoss: logLoss(y, matrix),
    });
    expect(report.models[1]?.metrics.rocAucOvr).toBe(0.5);
  });

  it('matches regressionMetrics for a model and a constant mean baseline', async () => {
    const rows = regressionRows();
    const y = column(rows, 'y');
    const spec = fitConstantBaseline({ task: 'regression', strategy: 'mean', labels: y });
    const report = await evaluateModels({
      task: 'regression',
      rows,
      labelColumn: 'y',
      models: [
        {
          id: 'linear',
          model: rowModel((r) => ({ prediction: 2 * (r.x as number) + 1 })),
          role: 'candidate',
        },
        { id: 'mean', model: loadConstantBaseline(spec), role: 'baseline' },
      ],
    });
    const direct = regressionMetrics(
      y,
      column(rows, 'x').map((x) => 2 * x + 1),
    );
    const m = report.models[0]?.metrics;
    expect(m?.mae).toBe(direct.mae);
    expect(m?.rmse).toBe(direct.rmse);
    expect(m?.r2).toBe(direct.r2);
    expect(m?.mape).toBe(direct.mape);
    expect(m?.explainedVariance).toBe(direct.explainedVariance);
    expect(m?.residualP05).toBe(direct.residualQuantiles[0]?.value);
    expect(m?.residualP95).toBe(direct.residualQuantiles[4]?.value);
    expect(report.models[1]?.metrics.r2).toBe(
      regressionMetrics(
        y,
        y.map(() => spec.prediction),
      ).r2,
    );
  });
});

describe('evaluateModels: slices', () => {
  it('slices by value and by buckets with counts, metrics on each slice, small slices flagged', async () => {
    const rows = binaryRows();
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [{ id: 'scorer', model: binaryScorer(), role: 'candidate' }],
      slices: [{ column: 'country' }, { column: 'x', buckets: [3, 7] }],
      minSliceRows: 20,
    });
    const [byCountry, byX] = report.slices;
    expect(byCountry?.slices.map((s) => [s.label, s.rows, s.small])).toEqual([
      ['DE', 20, false],
      ['FR', 20, false],
      ['US', 20, false],
    ]);
    expect(byX?.slices.map((s) => [s.label, s.rows, s.small, s.range])).toEqual([
      ['(-inf, 3)', 18, true, { lower: null, upper: 3 }],
      ['[3, 7)', 24, false, { lower: 3, upper: 7 }],
      ['[7, +inf)', 18, true, { lower: 7, upper: null }],
    ]);
    const fr = rows.filter((r) => r.country === 'FR');
    const p = fr.map((r) => xProbability(r.x as number));
    expect(byCountry?.slices[1]?.models.scorer).toEqual(
      binaryExpected(
        column(fr, 'y'),
        p.map((q) => (q >= 0.5 ? 1 : 0)),
        p,
      ),
    );
  });

  it('puts rows without the column in a (missing) slice', async () => {
    const rows = regressionRows();
    const report = await evaluateModels({
      task: 'regression',
      rows,
      labelColumn: 'y',
      models: [{ id: 'm', model: rowModel((r) => ({ prediction: r.x as number })), role: 'candidate' }],
      slices: [{ column: 'segment' }],
    });
    const slices = report.slices[0]?.slices ?? [];
    expect(slices.map((s) => [s.label, s.value, s.rows])).toEqual([
      ['even', 'even', 13],
      ['odd', 'odd', 20],
      ['(missing)', null, 7],
    ]);
    expect(slices.reduce((a, s) => a + s.rows, 0)).toBe(40);
  });
});

describe('evaluateModels: bootstrap', () => {
  const run = (seed: number) =>
    evaluateModels({
      task: 'binary',
      rows: binaryRows(),
      labelColumn: 'y',
      models: [
        { id: 'scorer', model: binaryScorer(), role: 'candidate' },
        { id: 'rules', model: rules, role: 'baseline' },
      ],
      bootstrap: { resamples: 200, seed, confidence: 0.9, headline: 'accuracy' },
    });

  it('is deterministic under a seed and pairs candidate with baseline on the same resamples', async () => {
    const [a, b, c] = await Promise.all([run(7), run(7), run(8)]);
    expect(a.bootstrap).toEqual(b.bootstrap);
    expect(a.bootstrap?.models.scorer).not.toEqual(c.bootstrap?.models.scorer);
    const rows = binaryRows();
    const y = column(rows, 'y');
    const scorerLabels = rows.map((r) => (xProbability(r.x as number) >= 0.5 ? 1 : 0));
    const ruleLabels = rows.map((r) => ((r.x as number) > 6 ? 1 : 0));
    const acc = (labels: number[]) => (idx: Int32Array) =>
      accuracy(
        Array.from(idx, (i) => y[i] as number),
        Array.from(idx, (i) => labels[i] as number),
      );
    const settings = { resamples: 200, seed: 7, confidence: 0.9 };
    expect(a.bootstrap?.models.scorer).toEqual(bootstrapCi(60, acc(scorerLabels), settings));
    const diff = a.bootstrap?.differences[0];
    expect(diff).toEqual({
      candidate: 'scorer',
      baseline: 'rules',
      ...pairedBootstrap(60, acc(scorerLabels), acc(ruleLabels), settings),
    });
    expect(diff?.estimate).toBeCloseTo(
      (a.models[0]?.metrics.accuracy as number) - (a.models[1]?.metrics.accuracy as number),
      12,
    );
  });
});
