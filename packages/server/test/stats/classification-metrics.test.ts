import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  accuracy,
  averagePrecision,
  balancedAccuracy,
  bestThreshold,
  brierScore,
  calibrationCurve,
  confusionMatrix,
  logLoss,
  metricsAtThreshold,
  precisionRecallCurve,
  precisionRecallF1,
  precisionRecallF1PerClass,
  rocAuc,
  rocAucOvr,
  rocCurve,
} from '../../src/stats/classification-metrics.js';
import type { Label, ThresholdObjective } from '../../src/stats/classification-metrics.js';

// Expected values come from scikit-learn via test/fixtures/sklearn/make_classification_fixtures.py.

type Num = number | null;

interface Prf {
  precision: Num | Num[];
  recall: Num | Num[];
  f1: Num | Num[];
  support: Num | Num[];
}

interface LabelExpected {
  accuracy: number;
  balanced_accuracy: number;
  confusion_labels: Label[];
  confusion_matrix: number[][];
  per_class: Prf;
  per_class_zero_division_1: Prf;
  [average: string]: unknown;
}

interface ThresholdExpected {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  balanced_accuracy: number;
}

interface BinaryExpected extends LabelExpected {
  roc_curve: { fpr: Num[]; tpr: Num[]; thresholds: number[] };
  roc_curve_all: { fpr: Num[]; tpr: Num[]; thresholds: number[] };
  pr_curve: { precision: number[]; recall: number[]; thresholds: number[] };
  roc_auc: Num;
  average_precision: Num;
  log_loss: Num;
  brier: number;
  calibration: Record<string, { prob_true: number[]; prob_pred: number[] }>;
  at_threshold: ThresholdExpected[];
  best_threshold: Record<string, { threshold: number; value: number }>;
}

interface MulticlassExpected extends LabelExpected {
  roc_auc_ovr_macro?: Num;
  roc_auc_ovr_weighted?: Num;
  log_loss: number;
}

interface CaseBase {
  name: string;
  y_true: Label[];
  y_pred: Label[];
  sample_weight: number[] | null;
}

interface BinaryCase extends CaseBase {
  kind: 'binary';
  scores: number[];
  pos_label: Label;
  threshold: number;
  expected: BinaryExpected;
}

interface MulticlassCase extends CaseBase {
  kind: 'multiclass';
  proba: number[];
  labels: Label[];
  expected: MulticlassExpected;
}

interface Fixture {
  meta: { sklearn: string; numpy: string };
  cases: (BinaryCase | MulticlassCase)[];
}

const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/sklearn/classification.json', import.meta.url), 'utf8'),
) as Fixture;
const binaryCases = fixture.cases.filter((c): c is BinaryCase => c.kind === 'binary');
const multiclassCases = fixture.cases.filter((c): c is MulticlassCase => c.kind === 'multiclass');

const REL = 1e-12;
const ABS = 1e-15;

/** Asserts agreement within 1e-12 relative (1e-15 absolute near zero); null expects undefined or NaN. */
function expectClose(actual: number | undefined, expected: Num | undefined, what: string): void {
  if (expected === null || expected === undefined) {
    expect(actual === undefined || Number.isNaN(actual), `${what}: expected undefined, got ${actual}`).toBe(
      true,
    );
    return;
  }
  expect(actual, `${what}: expected ${expected}`).toBeTypeOf('number');
  const error = Math.abs((actual as number) - expected);
  expect(
    error <= Math.max(REL * Math.abs(expected), ABS),
    `${what}: got ${actual}, expected ${expected}`,
  ).toBe(true);
}

/** expectClose for each element, after checking lengths. */
function expectAllClose(actual: ArrayLike<number>, expected: readonly Num[], what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  expected.forEach((e, i) => expectClose(actual[i], e, `${what}[${i}]`));
}

/** Weights as the metrics take them: undefined when the case has none. */
const weightsOf = (c: CaseBase): Float64Array | undefined =>
  c.sample_weight === null ? undefined : Float64Array.from(c.sample_weight);

/** The label metrics every case checks (binary and multiclass alike). */
function checkLabelMetrics(c: BinaryCase | MulticlassCase): void {
  const sampleWeight = weightsOf(c);
  const e = c.expected;
  const opts = { sampleWeight };
  expectClose(accuracy(c.y_true, c.y_pred, opts), e.accuracy, 'accuracy');
  expectClose(balancedAccuracy(c.y_true, c.y_pred, opts), e.balanced_accuracy, 'balanced accuracy');
  const cm = confusionMatrix(c.y_true, c.y_pred, { labels: e.confusion_labels, sampleWeight });
  expect(cm.labels).toEqual(e.confusion_labels);
  if (sampleWeight === undefined) expect(cm.counts).toEqual(e.confusion_matrix);
  else
    cm.counts.forEach((row, i) => expectAllClose(row, e.confusion_matrix[i] as number[], `confusion[${i}]`));
  for (const zeroDivision of [0, 1] as const) {
    const suffix = zeroDivision === 1 ? '_zero_division_1' : '';
    const perClass = precisionRecallF1PerClass(c.y_true, c.y_pred, { sampleWeight, zeroDivision });
    const want = e[`per_class${suffix}`] as Prf;
    for (const key of ['precision', 'recall', 'f1', 'support'] as const) {
      expectAllClose(perClass[key], want[key] as Num[], `per-class ${key}${suffix}`);
    }
    for (const average of ['micro', 'macro', 'weighted'] as const) {
      checkAverage(c, average, zeroDivision, e[`${average}${suffix}`] as Prf);
    }
  }
  if (c.kind === 'binary' && e['binary'] !== undefined) checkAverage(c, 'binary', 0, e['binary'] as Prf);
}

/** One averaged precision / recall / F1 against scikit-learn. */
function checkAverage(
  c: BinaryCase | MulticlassCase,
  average: 'binary' | 'micro' | 'macro' | 'weighted',
  zeroDivision: 0 | 1,
  want: Prf,
): void {
  const posLabel = c.kind === 'binary' ? c.pos_label : undefined;
  const got = precisionRecallF1(c.y_true, c.y_pred, {
    average,
    zeroDivision,
    posLabel,
    sampleWeight: weightsOf(c),
  });
  for (const key of ['precision', 'recall', 'f1'] as const) {
    expectClose(got[key], want[key] as Num, `${average} ${key} (zero_division=${zeroDivision})`);
  }
}

const OBJECTIVES: Record<string, ThresholdObjective> = {
  f1: 'f1',
  balanced_accuracy: 'balancedAccuracy',
  accuracy: 'accuracy',
};

describe('classification metrics match scikit-learn', () => {
  it('uses fixtures generated by scikit-learn 1.2.1', () => {
    expect(fixture.meta.sklearn).toBe('1.2.1');
    expect(binaryCases.length).toBeGreaterThanOrEqual(10);
    expect(multiclassCases.length).toBeGreaterThanOrEqual(5);
  });

  describe.each(binaryCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const sampleWeight = weightsOf(c);
    const opts = { posLabel: c.pos_label, sampleWeight };
    const e = c.expected;

    it('label metrics: accuracy, balanced accuracy, confusion matrix, precision / recall / F1', () => {
      checkLabelMetrics(c);
    });

    it('ROC curve (with and without dropping intermediate points) and ROC AUC', () => {
      for (const [dropIntermediate, want] of [
        [true, e.roc_curve],
        [false, e.roc_curve_all],
      ] as const) {
        const roc = rocCurve(c.y_true, c.scores, { ...opts, dropIntermediate });
        expect(Array.from(roc.thresholds), 'thresholds').toEqual(want.thresholds);
        expectAllClose(roc.fpr, want.fpr, 'fpr');
        expectAllClose(roc.tpr, want.tpr, 'tpr');
      }
      expectClose(rocAuc(c.y_true, c.scores, opts), e.roc_auc, 'roc auc');
    });

    it('precision-recall curve and average precision', () => {
      const pr = precisionRecallCurve(c.y_true, c.scores, opts);
      expect(Array.from(pr.thresholds), 'thresholds').toEqual(e.pr_curve.thresholds);
      expectAllClose(pr.precision, e.pr_curve.precision, 'precision');
      expectAllClose(pr.recall, e.pr_curve.recall, 'recall');
      expectClose(averagePrecision(c.y_true, c.scores, opts), e.average_precision, 'average precision');
    });

    it('log loss, Brier score and calibration curves', () => {
      if (e.log_loss === null) {
        expect(() => logLoss(c.y_true, c.scores, { sampleWeight })).toThrow(SlipwayError);
      } else {
        expectClose(logLoss(c.y_true, c.scores, { sampleWeight }), e.log_loss, 'log loss');
      }
      expectClose(brierScore(c.y_true, c.scores, opts), e.brier, 'brier');
      for (const [key, want] of Object.entries(e.calibration)) {
        const [strategy, bins] = key.split('_') as ['uniform' | 'quantile', string];
        const curve = calibrationCurve(c.y_true, c.scores, {
          strategy,
          nBins: Number(bins),
          posLabel: c.pos_label,
        });
        expectAllClose(curve.probTrue, want.prob_true, `${key} prob_true`);
        expectAllClose(curve.probPred, want.prob_pred, `${key} prob_pred`);
      }
    });

    it('metrics at a threshold and the best threshold per objective', () => {
      for (const want of e.at_threshold) {
        const got = metricsAtThreshold(c.y_true, c.scores, want.threshold, opts);
        for (const key of ['tp', 'fp', 'tn', 'fn', 'precision', 'recall', 'f1', 'accuracy'] as const) {
          expectClose(got[key], want[key], `${key} at ${want.threshold}`);
        }
        expectClose(got.balancedAccuracy, want.balanced_accuracy, `balanced accuracy at ${want.threshold}`);
      }
      for (const [key, want] of Object.entries(e.best_threshold)) {
        const got = bestThreshold(c.y_true, c.scores, OBJECTIVES[key] as ThresholdObjective, opts);
        expect(got.threshold, `best ${key} threshold`).toBe(want.threshold);
        expectClose(got.value, want.value, `best ${key} value`);
      }
    });
  });

  describe.each(multiclassCases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const sampleWeight = weightsOf(c);
    const e = c.expected;

    it('label metrics: accuracy, balanced accuracy, confusion matrix, precision / recall / F1', () => {
      checkLabelMetrics(c);
    });

    it('one-vs-rest ROC AUC, macro and weighted', () => {
      if (e.roc_auc_ovr_macro === undefined) {
        expect(() => rocAucOvr(c.y_true, c.proba, { labels: c.labels })).toThrow(/sums to/);
        return;
      }
      for (const average of ['macro', 'weighted'] as const) {
        const got = rocAucOvr(c.y_true, c.proba, { labels: c.labels, average, sampleWeight });
        expectClose(got, e[`roc_auc_ovr_${average}`], `ovr ${average}`);
      }
    });

    it('log loss with explicit labels', () => {
      expectClose(logLoss(c.y_true, c.proba, { labels: c.labels, sampleWeight }), e.log_loss, 'log loss');
    });
  });
});

/** The SlipwayError `fn` throws; fails the test when it does not throw one. */
function thrown(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SlipwayError) return err;
    throw err;
  }
  throw new Error('expected a SlipwayError');
}

describe('classification metrics: edge cases', () => {
  it('hand-checked values pin the formulas independently of the fixtures', () => {
    // Four rows, scores tied at 0.5: sklearn's doc example gives AUC 0.75 for [0.1, 0.4, 0.35, 0.8].
    expect(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBe(0.75);
    expect(averagePrecision([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])).toBeCloseTo(0.8333333333333333, 15);
    // A tie between a positive and a negative counts half a pair.
    expect(rocAuc([0, 1], [0.5, 0.5])).toBe(0.5);
    expect(accuracy(['a', 'b', 'b'], ['a', 'a', 'b'], { sampleWeight: [1, 2, 1] })).toBe(0.5);
  });

  it('weighted average with no support follows scikit-learn 1.2 (checked by hand against it)', () => {
    const weighted = { average: 'weighted', labels: [5], zeroDivision: 1 } as const;
    // precision_recall_fscore_support([0, 1], [5, 1], labels=[5], average='weighted', zero_division=1)
    expect(precisionRecallF1([0, 1], [5, 1], weighted)).toEqual({ precision: 0, recall: 1, f1: 0 });
    expect(precisionRecallF1([0, 1], [0, 1], weighted)).toEqual({ precision: 1, recall: 1, f1: 1 });
    expect(precisionRecallF1([0, 1], [5, 1], { ...weighted, zeroDivision: 0 })).toEqual({
      precision: 0,
      recall: 0,
      f1: 0,
    });
  });

  it('rejects NaN scores, naming the argument', () => {
    const err = thrown(() => rocAuc([0, 1, 1], [0.2, Number.NaN, 0.4]));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^scores\[1\] is NaN/);
    expect(thrown(() => brierScore([0, 1], [0.2, Number.NaN])).message).toMatch(/probability\[1\]/);
    expect(thrown(() => logLoss([0, 1], [0.2, Number.NaN])).message).toMatch(/probabilities\[1\]/);
    expect(thrown(() => accuracy([0, 1], [0, 1], { sampleWeight: [1, Number.NaN] })).message).toMatch(
      /sampleWeight\[1\]/,
    );
    expect(thrown(() => accuracy([0, Number.NaN], [0, 1])).message).toMatch(/yTrue\[1\]/);
  });

  it('rejects empty input, mismatched lengths and mixed label types', () => {
    expect(thrown(() => accuracy([], [])).message).toMatch(/yTrue must not be empty/);
    expect(thrown(() => rocAuc([], [])).message).toMatch(/yTrue must not be empty/);
    expect(thrown(() => calibrationCurve([], [])).message).toMatch(/yTrue must not be empty/);
    expect(thrown(() => accuracy([0, 1], [0])).message).toMatch(/yPred has 1 entries, expected 2/);
    expect(thrown(() => accuracy([0, 1], [0, 'a'])).message).toMatch(/mixes string and number/);
  });

  it('returns undefined for ROC AUC and average precision where scikit-learn raises or gives NaN', () => {
    expect(rocAuc([1, 1, 1], [0.1, 0.5, 0.9])).toBeUndefined();
    expect(rocAuc([0, 1, 1], [0.1, 0.5, 0.9], { sampleWeight: [0, 1, 1] })).toBeUndefined();
    expect(averagePrecision([0, 0], [0.1, 0.9])).toBeUndefined();
    expect(
      rocAucOvr([0, 1, 1], [0.2, 0.3, 0.5, 0.1, 0.8, 0.1, 0.3, 0.3, 0.4], { labels: [0, 1, 2] }),
    ).toBeUndefined();
  });

  it('refuses non-binary targets, bad labels and bad options', () => {
    expect(thrown(() => rocAuc([0, 1, 2], [0.1, 0.2, 0.3])).message).toMatch(/binary only/);
    expect(thrown(() => rocAuc(['a', 'a'], [0.1, 0.2])).details['field']).toBe('posLabel');
    expect(
      thrown(() => precisionRecallF1([0, 1, 2], [0, 1, 1], { average: 'binary' })).details['field'],
    ).toBe('average');
    expect(
      thrown(() => precisionRecallF1(['a', 'b'], ['a', 'b'], { average: 'binary' })).details['field'],
    ).toBe('posLabel');
    expect(thrown(() => confusionMatrix([0, 1], [0, 1], { labels: [5] })).details['field']).toBe('labels');
    expect(thrown(() => logLoss([1, 1], [0.5, 0.5])).details['field']).toBe('labels');
    expect(thrown(() => calibrationCurve([0, 1], [0.2, 1.5])).message).toMatch(/\[0, 1\]/);
    expect(thrown(() => calibrationCurve([0, 1], [0.2, 0.5], { nBins: 0 })).details['field']).toBe('nBins');
  });

  it('handles a million rows with one sort', () => {
    const n = 1_000_000;
    const yTrue = new Int32Array(n);
    const scores = new Float64Array(n);
    let seed = 7;
    for (let i = 0; i < n; i++) {
      seed = (seed * 48271) % 2147483647; // Park-Miller: the product stays below 2^53
      const label = seed % 3 === 0 ? 1 : 0;
      yTrue[i] = label;
      scores[i] = Math.round((label * 0.3 + (seed / 2147483647) * 0.7) * 1000) / 1000;
    }
    const started = performance.now();
    const auc = rocAuc(yTrue, scores) as number;
    const best = bestThreshold(yTrue, scores, 'f1');
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(auc).toBeGreaterThan(0.7);
    expect(auc).toBeLessThan(1);
    expect(best.value).toBeGreaterThan(0.5);
  });
});
