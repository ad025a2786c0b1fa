import { readFileSync } from 'node:fs';
import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { EvaluationReportSchema, SlipwayError, ScoringSettingsSchema } from '@slipway/contracts';
import { evaluateModels, type EvaluateOptions } from '../../src/evaluation/evaluate.js';
import { loadRulesBaseline } from '../../src/runtimes/baseline/rules-baseline.js';
import type { InputRow } from '../../src/runtimes/runtime.js';
import { bootstrapCi } from '../../src/stats/bootstrap.js';
import { brierScore, logLoss, rocAuc, rocAucOvr } from '../../src/stats/classification-metrics.js';
import {
  binaryRows,
  binaryScorer,
  multiclassRows,
  regressionRows,
  rowModel,
  xProbability,
} from './fixtures.js';

// Expected values come from scikit-learn via test/fixtures/sklearn/make_evaluation_details_fixtures.py,
// on the very rows evaluated here (stored in the JSON).

interface Prf {
  precision: number;
  recall: number;
  f1: number;
}

interface PerClass {
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

interface Calibration {
  n_bins: number;
  prob_true: number[];
  prob_pred: number[];
  counts: number[];
}

interface AtThreshold extends Prf {
  threshold: number;
  accuracy: number;
  balanced_accuracy: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

interface Best {
  metric: 'f1' | 'balanced_accuracy' | 'accuracy';
  threshold: number;
  value: number;
}

interface Averages {
  confusion_matrix: number[][];
  per_class: PerClass;
  micro: Prf;
  macro: Prf;
  weighted: Prf;
}

interface Fixture {
  binary: {
    y: number[];
    p1: number[];
    label: number[];
    expected: Averages & {
      positive: Record<'0' | '1', { calibration: Calibration[]; thresholds: AtThreshold[]; best: Best[] }>;
    };
  };
  multiclass: {
    y: string[];
    proba: number[][];
    label: string[];
    expected: Averages & {
      labels: string[];
      accuracy: number;
      balanced_accuracy: number;
      roc_auc_ovr: number;
      log_loss: number;
    };
  };
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/evaluation_details.json', import.meta.url), 'utf8'),
) as Fixture;

/** Equal to within a relative 1e-12 (absolute near zero), element-wise for arrays. */
function close(actual: unknown, expected: number | number[], what: string): void {
  if (Array.isArray(expected)) {
    expect(Array.isArray(actual), what).toBe(true);
    expect((actual as number[]).length, `${what} length`).toBe(expected.length);
    expected.forEach((e, i) => close((actual as number[])[i], e, `${what}[${i}]`));
    return;
  }
  expect(typeof actual, what).toBe('number');
  const tolerance = 1e-12 * Math.max(1, Math.abs(expected));
  expect(
    Math.abs((actual as number) - expected),
    `${what}: ${String(actual)} vs ${expected}`,
  ).toBeLessThanOrEqual(tolerance);
}

const camel = { f1: 'f1', balanced_accuracy: 'balancedAccuracy', accuracy: 'accuracy' } as const;

const binaryFixtureRows = (): InputRow[] => fixture.binary.y.map((y, i) => ({ i, y }));
const binaryFixtureModel = () =>
  rowModel((r) => {
    const i = r.i as number;
    const p = fixture.binary.p1[i] as number;
    return { label: fixture.binary.label[i], probabilities: { '0': 1 - p, '1': p } };
  });

async function binaryReport(over: Partial<EvaluateOptions> = {}) {
  const report = await evaluateModels({
    task: 'binary',
    rows: binaryFixtureRows(),
    labelColumn: 'y',
    models: [{ id: 'm', model: binaryFixtureModel(), role: 'candidate' }],
    ...over,
  });
  expect(Value.Check(EvaluationReportSchema, report)).toBe(true);
  const details = report.models[0]?.details;
  if (details === undefined) throw new Error('expected details');
  return { report, details };
}

function expectPerClass(
  perClass: { class: unknown; precision: number; recall: number; f1: number; support: number }[],
  classes: unknown[],
  expected: PerClass,
): void {
  expect(perClass.map((c) => c.class)).toEqual(classes);
  expect(perClass.map((c) => c.support)).toEqual(expected.support);
  close(
    perClass.map((c) => c.precision),
    expected.precision,
    'precision',
  );
  close(
    perClass.map((c) => c.recall),
    expected.recall,
    'recall',
  );
  close(
    perClass.map((c) => c.f1),
    expected.f1,
    'f1',
  );
}

describe('evaluateModels details: binary, against scikit-learn', () => {
  const e = fixture.binary.expected;

  it('reports the confusion matrix, per-class metrics and positive-class metrics', async () => {
    const { report, details } = await binaryReport();
    expect(report.classes).toEqual([0, 1]);
    expect(details.confusionMatrix).toEqual(e.confusion_matrix);
    expectPerClass(details.perClass, [0, 1], e.per_class);
    const metrics = report.models[0]?.metrics ?? {};
    close(metrics.precision, e.per_class.precision[1] as number, 'precision');
    close(metrics.recall, e.per_class.recall[1] as number, 'recall');
    close(metrics.f1, e.per_class.f1[1] as number, 'f1');
    // Slices carry metrics only.
    const sliced = await evaluateModels({
      task: 'binary',
      rows: binaryFixtureRows().map((r) => ({ ...r, half: (r.i as number) < 200 ? 'a' : 'b' })),
      labelColumn: 'y',
      models: [{ id: 'm', model: binaryFixtureModel(), role: 'candidate' }],
      slices: [{ column: 'half' }],
    });
    expect(Object.keys(sliced.slices[0]?.slices[0]?.models.m ?? {})).not.toContain('details');
  });

  it('gives the calibration curve with counts, dropping empty bins, for 10 (default), 4 and 1 bins', async () => {
    const [ten, four, one] = e.positive['1'].calibration as [Calibration, Calibration, Calibration];
    const { details } = await binaryReport();
    expect(details.calibration?.bins).toBe(10);
    for (const [bins, expected] of [
      [undefined, ten],
      [4, four],
      [1, one],
    ] as const) {
      const { details: d } = await binaryReport(bins === undefined ? {} : { calibrationBins: bins });
      const c = d.calibration;
      expect(c?.bins).toBe(expected.n_bins);
      expect(c?.counts).toEqual(expected.counts);
      close(c?.meanPredicted, expected.prob_pred, `meanPredicted (${expected.n_bins} bins)`);
      close(c?.fractionPositive, expected.prob_true, `fractionPositive (${expected.n_bins} bins)`);
    }
    expect(ten.counts.length).toBeLessThanOrEqual(10);
    expect(ten.counts.reduce((a, b) => a + b, 0)).toBe(fixture.binary.y.length);
  });

  it('gives the metrics at the threshold (default 0.5) and the best threshold (default f1)', async () => {
    for (const expected of e.positive['1'].thresholds) {
      const over = expected.threshold === 0.5 ? {} : { threshold: expected.threshold };
      const { details } = await binaryReport(over);
      expectThreshold(details.threshold, expected);
    }
    for (const best of e.positive['1'].best) {
      const over = best.metric === 'f1' ? {} : { optimizeThresholdFor: camel[best.metric] };
      const { details } = await binaryReport(over);
      expect(details.bestThreshold?.metric).toBe(camel[best.metric]);
      expect(details.bestThreshold?.value).toBe(best.threshold);
      close(details.bestThreshold?.score, best.value, `best ${best.metric}`);
    }
  });

  it('uses the positive label for calibration and thresholds', async () => {
    const expected = e.positive['0'];
    const { report, details } = await binaryReport({
      positiveLabel: 0,
      threshold: 0.3,
      optimizeThresholdFor: 'balancedAccuracy',
      calibrationBins: 4,
    });
    expect(report.positiveLabel).toBe(0);
    const four = expected.calibration[1] as Calibration;
    expect(details.calibration?.counts).toEqual(four.counts);
    close(details.calibration?.meanPredicted, four.prob_pred, 'meanPredicted');
    close(details.calibration?.fractionPositive, four.prob_true, 'fractionPositive');
    expectThreshold(details.threshold, expected.thresholds[1] as AtThreshold);
    const best = expected.best[1] as Best;
    expect(details.bestThreshold).toEqual({
      metric: 'balancedAccuracy',
      value: best.threshold,
      score: details.bestThreshold?.score,
    });
    close(details.bestThreshold?.score, best.value, 'best balanced accuracy');
    // The confusion matrix stays in class order whatever the positive class.
    expect(details.confusionMatrix).toEqual(e.confusion_matrix);
  });
});

function expectThreshold(actual: unknown, expected: AtThreshold): void {
  const t = actual as { value: number; metrics: Record<string, number> };
  expect(t.value).toBe(expected.threshold);
  const { tp, fp, tn, fn } = t.metrics;
  expect({ tp, fp, tn, fn }).toEqual({ tp: expected.tp, fp: expected.fp, tn: expected.tn, fn: expected.fn });
  close(t.metrics.precision, expected.precision, `precision@${expected.threshold}`);
  close(t.metrics.recall, expected.recall, `recall@${expected.threshold}`);
  close(t.metrics.f1, expected.f1, `f1@${expected.threshold}`);
  close(t.metrics.accuracy, expected.accuracy, `accuracy@${expected.threshold}`);
  close(t.metrics.balancedAccuracy, expected.balanced_accuracy, `balancedAccuracy@${expected.threshold}`);
}

describe('evaluateModels details: multiclass, against scikit-learn', () => {
  const m = fixture.multiclass;
  const e = m.expected;

  it('reports every average, the confusion matrix and per-class metrics, and no binary details', async () => {
    const report = await evaluateModels({
      task: 'multiclass',
      rows: m.y.map((y, i) => ({ i, y })),
      labelColumn: 'y',
      models: [
        {
          id: 'm',
          model: rowModel((r) => ({
            label: m.label[r.i as number],
            probabilities: m.proba[r.i as number],
          })),
          role: 'candidate',
        },
      ],
    });
    expect(Value.Check(EvaluationReportSchema, report)).toBe(true);
    expect(report.classes).toEqual(e.labels);
    const metrics = report.models[0]?.metrics ?? {};
    close(metrics.accuracy, e.accuracy, 'accuracy');
    close(metrics.balancedAccuracy, e.balanced_accuracy, 'balancedAccuracy');
    close(metrics.rocAucOvr, e.roc_auc_ovr, 'rocAucOvr');
    close(metrics.logLoss, e.log_loss, 'logLoss');
    for (const average of ['macro', 'micro', 'weighted'] as const) {
      close(metrics[`${average}Precision`], e[average].precision, `${average}Precision`);
      close(metrics[`${average}Recall`], e[average].recall, `${average}Recall`);
      close(metrics[`${average}F1`], e[average].f1, `${average}F1`);
    }
    const details = report.models[0]?.details;
    expect(details?.confusionMatrix).toEqual(e.confusion_matrix);
    // The model never predicts some 'c' rows: a column sum differs from the row sum.
    expect(e.confusion_matrix.map((row) => row[2]).reduce((a, b) => (a ?? 0) + (b ?? 0), 0)).not.toBe(
      e.per_class.support[2],
    );
    expectPerClass(details?.perClass ?? [], e.labels, e.per_class);
    expect(details).not.toHaveProperty('calibration');
    expect(details).not.toHaveProperty('threshold');
    expect(details).not.toHaveProperty('bestThreshold');
  });
});

describe('evaluateModels details: which outputs give what', () => {
  it('gives thresholds but no calibration for a score, and neither for labels only', async () => {
    const rows = binaryRows();
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [
        {
          id: 'scored',
          model: rowModel((r) => ({ label: (r.x as number) > 4 ? 1 : 0, score: (r.x as number) / 10 })),
          role: 'candidate',
        },
        {
          id: 'rules',
          model: loadRulesBaseline({ kind: 'rules', output: 'label', rules: [], default: 0 }),
          role: 'baseline',
        },
      ],
    });
    expect(Value.Check(EvaluationReportSchema, report)).toBe(true);
    const [scored, rules] = report.models;
    expect(scored?.details).not.toHaveProperty('calibration');
    expect(scored?.details?.threshold?.value).toBe(0.5);
    expect(scored?.details?.bestThreshold?.metric).toBe('f1');
    expect(Object.keys(rules?.details ?? {})).toEqual(['confusionMatrix', 'perClass']);
    // Always predicting 0: every row in column 0; class 1 has precision 0 (zero division) and recall 0.
    const positives = rows.filter((r) => r.y === 1).length;
    expect(rules?.details?.confusionMatrix).toEqual([
      [rows.length - positives, 0],
      [positives, 0],
    ]);
    expect(rules?.details?.perClass[1]).toEqual({
      class: 1,
      precision: 0,
      recall: 0,
      f1: 0,
      support: positives,
    });
  });

  it('leaves details out of regression reports', async () => {
    const report = await evaluateModels({
      task: 'regression',
      rows: regressionRows(),
      labelColumn: 'y',
      models: [{ id: 'm', model: rowModel((r) => ({ prediction: r.x as number })), role: 'candidate' }],
    });
    expect(report.models[0]).not.toHaveProperty('details');
  });

  it('accepts the settings in the scoring-settings schema and refuses bad values there', () => {
    const base = { task: 'binary', labelColumn: 'y' };
    expect(
      Value.Check(ScoringSettingsSchema, {
        ...base,
        threshold: 0.4,
        optimizeThresholdFor: 'accuracy',
        calibrationBins: 20,
      }),
    ).toBe(true);
    for (const bad of [
      { threshold: 1.5 },
      { optimizeThresholdFor: 'auc' },
      { calibrationBins: 0 },
      { calibrationBins: 2.5 },
    ]) {
      expect(Value.Check(ScoringSettingsSchema, { ...base, ...bad })).toBe(false);
    }
  });
});

describe('evaluateModels details: bad settings', () => {
  const cases: [Partial<EvaluateOptions>, string][] = [
    [{ threshold: 1.5 }, 'threshold'],
    [{ threshold: -0.1 }, 'threshold'],
    [{ threshold: Number.NaN }, 'threshold'],
    [{ optimizeThresholdFor: 'rocAuc' as never }, 'optimizeThresholdFor'],
    [{ calibrationBins: 0 }, 'calibrationBins'],
    [{ calibrationBins: 2.5 }, 'calibrationBins'],
  ];

  it.each(cases)('refuses %o before any model runs', async (over, field) => {
    const model = binaryScorer();
    const error = await evaluateModels({
      task: 'binary',
      rows: binaryRows(),
      labelColumn: 'y',
      models: [{ id: 'scorer', model, role: 'candidate' }],
      ...over,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect((error as SlipwayError).details.field).toBe(field);
    expect(model.calls).toEqual([]);
  });

  it('refuses them for other tasks too', async () => {
    const model = rowModel(() => ({ label: 'a' }));
    const error = await evaluateModels({
      task: 'multiclass',
      rows: multiclassRows(),
      labelColumn: 'y',
      models: [{ id: 'm', model, role: 'candidate' }],
      calibrationBins: -1,
    }).catch((e: unknown) => e);
    expect((error as SlipwayError).details.field).toBe('calibrationBins');
    expect(model.calls).toEqual([]);
  });
});

describe('evaluateModels: bootstrap headlines that read scores or probabilities', () => {
  const settings = { resamples: 50, seed: 3, confidence: 0.9 };
  const rows = binaryRows();
  const y = rows.map((r) => r.y as number);
  const p = rows.map((r) => xProbability(r.x as number));
  const at = <T>(values: T[], idx: Int32Array): T[] => Array.from(idx, (i) => values[i] as T);

  it.each([
    ['rocAuc', (idx: Int32Array) => rocAuc(at(y, idx), at(p, idx)) ?? Number.NaN],
    ['brier', (idx: Int32Array) => brierScore(at(y, idx), at(p, idx))],
    [
      'logLoss',
      (idx: Int32Array) =>
        logLoss(
          at(y, idx),
          at(p, idx).flatMap((q, i) => [1 - (at(p, idx)[i] as number), q]),
          { labels: [0, 1] },
        ),
    ],
  ] as const)('%s equals a direct bootstrap of the stats function', async (headline, direct) => {
    const report = await evaluateModels({
      task: 'binary',
      rows,
      labelColumn: 'y',
      models: [{ id: 'scorer', model: binaryScorer(), role: 'candidate' }],
      bootstrap: { ...settings, headline },
    });
    expect(report.bootstrap?.models.scorer).toEqual(bootstrapCi(rows.length, direct, settings));
  });

  it('rocAucOvr (multiclass probabilities) equals a direct bootstrap', async () => {
    const mrows = multiclassRows();
    const my = mrows.map((r) => r.y as string);
    const matrix = (idx: Int32Array): number[] =>
      Array.from(idx).flatMap((i) => {
        const x = mrows[i]?.x as number;
        const peak = x < 3 ? 0 : x < 6 ? 1 : 2;
        return [0, 1, 2].map((j) => (j === peak ? 0.6 : 0.2));
      });
    const report = await evaluateModels({
      task: 'multiclass',
      rows: mrows,
      labelColumn: 'y',
      models: [
        {
          id: 'm',
          model: rowModel((r) => {
            const x = r.x as number;
            const peak = x < 3 ? 0 : x < 6 ? 1 : 2;
            return { probabilities: [0, 1, 2].map((j) => (j === peak ? 0.6 : 0.2)) };
          }),
          role: 'candidate',
        },
      ],
      bootstrap: { ...settings, headline: 'rocAucOvr' },
    });
    const direct = (idx: Int32Array): number =>
      rocAucOvr(at(my, idx), matrix(idx), { labels: ['a', 'b', 'c'] }) ?? Number.NaN;
    expect(report.bootstrap?.models.m).toEqual(bootstrapCi(mrows.length, direct, settings));
  });
});
