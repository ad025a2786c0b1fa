/**
 * Pins the label paths that skip building the label set (explicit `labels`, accuracy, binary targets)
 * and the typed lookup used for small integer codes: results must equal a naive reference that looks
 * every label up with `indexOf`, for plain and typed arrays, and the errors must stay those of the set.
 */
import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  accuracy,
  confusionMatrix,
  precisionRecallF1,
  precisionRecallF1PerClass,
  rocAuc,
} from '../../src/stats/classification-metrics.js';
import { encode, uniqueLabels } from '../../src/stats/classification-inputs.js';
import type { Label } from '../../src/stats/classification-metrics.js';

function thrown(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SlipwayError) return err;
    throw err;
  }
  throw new Error('expected a SlipwayError');
}

/** Deterministic pseudo-random integers in [lo, hi). */
function ints(n: number, lo: number, hi: number, seed: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 48271) % 2147483647;
    out.push(lo + (s % (hi - lo)));
  }
  return out;
}

/** The confusion matrix by definition: rows whose true or predicted label is not in `labels` are ignored. */
function naiveConfusion(yTrue: Label[], yPred: Label[], labels: Label[], w: number[]): number[][] {
  const counts = labels.map(() => labels.map(() => 0));
  yTrue.forEach((t, i) => {
    const r = labels.indexOf(t);
    const c = labels.indexOf(yPred[i] as Label);
    if (r >= 0 && c >= 0) {
      const row = counts[r] as number[];
      row[c] = (row[c] as number) + (w[i] as number);
    }
  });
  return counts;
}

const n = 2000;
const yTrue = ints(n, 0, 4, 11); // codes 0..3
const yPred = ints(n, 0, 5, 23); // code 4 never occurs in yTrue
const weights = ints(n, 1, 4, 37); // small integers: every sum is exact
const labelLists: Label[][] = [
  [0, 1, 2, 3, 4],
  [3, 1], // unsorted subset: other rows are ignored
  [2, 0, 7], // 7 occurs nowhere
  [1, 4000, 4096, 2], // beyond the small-code table: the Map path
  [-1, 0, 1.5, 3], // negative and fractional labels
];

describe('labels-given paths equal the definition', () => {
  for (const labels of labelLists) {
    it(`confusion matrix and per-class counts with labels ${JSON.stringify(labels)}`, () => {
      const want = naiveConfusion(yTrue, yPred, labels, weights);
      // Support counts every row of the class, whatever its prediction; true positives need both.
      const support = labels.map((l) =>
        yTrue.reduce((a, v, i) => a + (v === l ? (weights[i] as number) : 0), 0),
      );
      const tp = labels.map((l) =>
        yTrue.reduce((a, v, i) => a + (v === l && yPred[i] === l ? (weights[i] as number) : 0), 0),
      );
      for (const [t, p] of [
        [yTrue, yPred],
        [Int32Array.from(yTrue), Int32Array.from(yPred)],
        [Float64Array.from(yTrue), Uint8Array.from(yPred)],
      ] as const) {
        const cm = confusionMatrix(t, p, { labels, sampleWeight: weights });
        expect(cm.labels).toEqual(labels);
        expect(cm.counts).toEqual(want);
        const report = precisionRecallF1PerClass(t, p, { labels, sampleWeight: weights });
        expect(report.support).toEqual(support);
        expect(report.recall).toEqual(support.map((s, j) => (s === 0 ? 0 : (tp[j] as number) / s)));
      }
    });
  }

  it('matches scikit-learn on its documented example with reordered labels', () => {
    // confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], labels=[2, 0]) == [[2, 1], [0, 2]]
    expect(confusionMatrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2], { labels: [2, 0] }).counts).toEqual([
      [2, 1],
      [0, 2],
    ]);
    const t = Int32Array.from([2, 0, 2, 2, 0, 1]);
    expect(confusionMatrix(t, Int32Array.from([0, 0, 2, 2, 0, 2]), { labels: [2, 0] }).counts).toEqual([
      [2, 1],
      [0, 2],
    ]);
    // precision_recall_fscore_support(..., labels=[2, 0], average='macro'): precision (2/3 + 2/3) / 2
    const macro = precisionRecallF1(t, [0, 0, 2, 2, 0, 2], { average: 'macro', labels: [2, 0] });
    expect(macro.precision).toBeCloseTo(2 / 3, 15);
    expect(macro.recall).toBeCloseTo((2 / 3 + 1) / 2, 15);
  });

  it('string labels never match number codes, and -0 matches 0', () => {
    expect(encode(['1', 1, 0, -0, 2.5], [0, 1])).toEqual(Int32Array.from([-1, 1, 0, 0, -1]));
    expect(encode(['b', 'a', 'c'], ['a', 'b'])).toEqual(Int32Array.from([1, 0, -1]));
    expect(uniqueLabels({ a: [3, 1, -0], b: Int32Array.from([1, 4096, 2]) })).toEqual([0, 1, 2, 3, 4096]);
    expect(uniqueLabels({ a: ['b', 'a', 'b'] })).toEqual(['a', 'b']);
    expect(uniqueLabels({ a: [2, -1, 0.5, 0] })).toEqual([-1, 0, 0.5, 2]);
  });

  it('accuracy and binary averages agree across array kinds', () => {
    const t = yTrue.map((v) => v % 2);
    const p = yPred.map((v) => v % 2);
    const correct = t.reduce((a, v, i) => a + (v === p[i] ? 1 : 0), 0);
    expect(accuracy(t, p)).toBe(correct / n);
    expect(accuracy(Int32Array.from(t), Int8Array.from(p))).toBe(correct / n);
    const binary = precisionRecallF1(t, p, { average: 'binary' });
    expect(precisionRecallF1(Int32Array.from(t), Int32Array.from(p), { average: 'binary' })).toEqual(binary);
    expect(precisionRecallF1(t, p, { average: 'macro', labels: [1] })).toEqual(binary);
  });
});

describe('skipping the label set keeps every error', () => {
  it('still rejects NaN and mixed kinds when labels are given, and for accuracy', () => {
    expect(thrown(() => confusionMatrix([0, 1], [0, Number.NaN], { labels: [0, 1] })).message).toMatch(
      /^yPred\[1\] is NaN/,
    );
    expect(thrown(() => precisionRecallF1PerClass([0, 'a'], [0, 1], { labels: [0, 1] })).message).toMatch(
      /yTrue mixes string and number/,
    );
    expect(thrown(() => accuracy(['a', 'b'], Int32Array.from([0, 1]))).message).toMatch(
      /yPred mixes string and number/,
    );
    expect(thrown(() => accuracy(Float64Array.from([0, Number.NaN]), [0, 1])).message).toMatch(
      /^yTrue\[1\] is NaN/,
    );
    expect(thrown(() => confusionMatrix([0, 1], [0, 1], { labels: [0, 0] })).message).toMatch(/duplicates/);
  });

  it('counts every class when a target is not binary', () => {
    expect(thrown(() => rocAuc(Int32Array.from([0, 1, 2, 3]), [0.1, 0.2, 0.3, 0.4])).message).toMatch(
      /yTrue has 4 classes/,
    );
    expect(
      thrown(() => precisionRecallF1([0, 1, 2], Int32Array.from([0, 1, 3]), { average: 'binary' })).message,
    ).toMatch(/got 4$/);
    expect(
      thrown(() => precisionRecallF1(['a', 'b'], ['b', 'a'], { average: 'binary', posLabel: 'c' })).message,
    ).toMatch(/posLabel c is not one of a, b/);
    // {-1, 1}: the positive class is the larger, 1.
    expect(rocAuc(Int32Array.from([1, -1, 1, -1]), [0.9, 0.1, 0.8, 0.2])).toBe(1);
    expect(rocAuc([-0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])).toBe(1);
  });
});
