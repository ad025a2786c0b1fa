/**
 * Score-ranking metrics: ROC curve and AUC (binary and one-vs-rest), precision-recall curve and
 * average precision. Pure. Each needs one sort of the scores; ties are grouped exactly as scikit-learn
 * 1.2's `_binary_clf_curve` does (one curve point per distinct score), so tied scores give its results.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  CompensatedSum,
  binaryTarget,
  checkLabelList,
  checkWeights,
  compareLabels,
  encode,
  requireFinite,
  requireLength,
  requireRows,
  uniqueLabels,
  weightAt,
} from './classification-inputs.js';
import type { Label, LabelArray, NumberArray } from './classification-inputs.js';

/** Options of the binary score metrics. */
export interface BinaryScoreOptions {
  /** The positive class; default: the larger of yTrue's two labels (1 for {0, 1} and {-1, 1}). */
  posLabel?: Label;
  sampleWeight?: NumberArray;
}

/** Cumulative (weighted) false and true positives at each distinct score, highest score first. */
export interface ClassifierCurve {
  fps: Float64Array;
  tps: Float64Array;
  thresholds: Float64Array;
}

/** A ROC curve as sklearn.metrics.roc_curve returns it (thresholds[0] is max score + 1, as in 1.2). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
}

/** A precision-recall curve as sklearn.metrics.precision_recall_curve returns it (recall decreasing). */
export interface PrecisionRecallCurve {
  precision: Float64Array;
  recall: Float64Array;
  thresholds: Float64Array;
}

/** Options of the one-vs-rest ROC AUC. */
export interface OvrAucOptions {
  /** The classes, sorted, one per probability column; default: the sorted labels of yTrue. */
  labels?: readonly Label[];
  average?: 'macro' | 'weighted';
  sampleWeight?: NumberArray;
}

/**
 * The classifier curve of a 0/1 target (scikit-learn's `_binary_clf_curve`). Zero-weight rows are
 * dropped first, as scikit-learn does; rows are ordered by score descending, then index descending
 * (the reverse of a stable ascending sort), so sums run in scikit-learn's order.
 */
export function classifierCurve(
  isPos: Uint8Array,
  scores: NumberArray,
  sampleWeight: NumberArray | undefined,
): ClassifierCurve {
  const order = descendingOrder(nonZeroWeightRows(isPos.length, sampleWeight), scores);
  const m = order.length;
  const fps = new Float64Array(m);
  const tps = new Float64Array(m);
  const thresholds = new Float64Array(m);
  const tp = new CompensatedSum();
  const fp = new CompensatedSum();
  let points = 0;
  for (let i = 0; i < m; i++) {
    const row = order[i] as number;
    const w = weightAt(sampleWeight, row);
    if (isPos[row] === 1) tp.add(w);
    else fp.add(w);
    const score = scores[row] as number;
    if (i === m - 1 || (scores[order[i + 1] as number] as number) !== score) {
      fps[points] = fp.value();
      tps[points] = tp.value();
      thresholds[points] = score;
      points++;
    }
  }
  return { fps: fps.slice(0, points), tps: tps.slice(0, points), thresholds: thresholds.slice(0, points) };
}

/** Word order of a double's bits seen as two uint32s (every Node platform is little-endian, but check). */
const [LOW_WORD, HIGH_WORD] = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? [0, 1] : [1, 0];

/**
 * `rows` by score descending, ties by index descending: the reverse of numpy's stable argsort, so
 * sums run in scikit-learn's order. An LSD radix sort on each double's order-preserving bit pattern
 * (16 bits a pass; passes where every key agrees are skipped) beats a comparator sort several times.
 */
function descendingOrder(rows: Uint32Array, scores: NumberArray): Uint32Array {
  const m = rows.length;
  const word = new Float64Array(1);
  const words = new Uint32Array(word.buffer);
  let low = new Uint32Array(m);
  let high = new Uint32Array(m);
  let index = rows.slice();
  for (let j = 0; j < m; j++) {
    word[0] = (scores[rows[j] as number] as number) || 0; // -0 ties with 0, as in numpy
    const h = words[HIGH_WORD as number] as number;
    const l = words[LOW_WORD as number] as number;
    const negative = h >= 0x80000000;
    high[j] = negative ? ~h >>> 0 : (h | 0x80000000) >>> 0;
    low[j] = negative ? ~l >>> 0 : l;
  }
  let low2 = new Uint32Array(m);
  let high2 = new Uint32Array(m);
  let index2 = new Uint32Array(m);
  const starts = new Uint32Array(0x10000);
  for (let pass = 0; pass < 4 && m > 0; pass++) {
    const keys = pass < 2 ? low : high;
    const shift = (pass % 2) * 16;
    starts.fill(0);
    for (let j = 0; j < m; j++) {
      const d = ((keys[j] as number) >>> shift) & 0xffff;
      starts[d] = (starts[d] as number) + 1;
    }
    if (starts[((keys[0] as number) >>> shift) & 0xffff] === m) continue;
    for (let d = 0, sum = 0; d < 0x10000; d++) {
      const count = starts[d] as number;
      starts[d] = sum;
      sum += count;
    }
    for (let j = 0; j < m; j++) {
      const d = ((keys[j] as number) >>> shift) & 0xffff;
      const at = starts[d] as number;
      starts[d] = at + 1;
      low2[at] = low[j] as number;
      high2[at] = high[j] as number;
      index2[at] = index[j] as number;
    }
    [low, low2, high, high2, index, index2] = [low2, low, high2, high, index2, index];
  }
  return index.reverse();
}

/** Indices of the rows that count (all rows without weights). */
function nonZeroWeightRows(rows: number, sampleWeight: NumberArray | undefined): Uint32Array {
  let kept = 0;
  for (let i = 0; i < rows; i++) if (weightAt(sampleWeight, i) !== 0) kept++;
  const order = new Uint32Array(kept);
  for (let i = 0, j = 0; i < rows; i++) if (weightAt(sampleWeight, i) !== 0) order[j++] = i;
  return order;
}

/** Validates binary inputs and returns the 0/1 target and the weights. */
function binaryInputs(
  yTrue: LabelArray,
  scores: NumberArray,
  options: BinaryScoreOptions,
): { isPos: Uint8Array; sampleWeight: NumberArray | undefined } {
  const rows = requireRows('yTrue', yTrue);
  requireLength('scores', scores, rows);
  requireFinite('scores', scores);
  const sampleWeight = checkWeights(options.sampleWeight, rows);
  return { isPos: binaryTarget(yTrue, options.posLabel), sampleWeight };
}

/** The curve, refusing inputs where every weight is zero. */
function nonEmptyCurve(
  isPos: Uint8Array,
  scores: NumberArray,
  sampleWeight: NumberArray | undefined,
): ClassifierCurve {
  const curve = classifierCurve(isPos, scores, sampleWeight);
  if (curve.tps.length === 0) throw invalidArgument('sampleWeight', 'every sample weight is zero');
  return curve;
}

/** Keeps the first, last and every non-collinear point, as roc_curve(drop_intermediate=True). */
function dropCollinear(curve: ClassifierCurve): ClassifierCurve {
  const { fps, tps } = curve;
  const m = fps.length;
  if (m <= 2) return curve;
  const keep: number[] = [0];
  for (let i = 1; i < m - 1; i++) {
    const df = (fps[i + 1] as number) - (fps[i] as number) - ((fps[i] as number) - (fps[i - 1] as number));
    const dt = (tps[i + 1] as number) - (tps[i] as number) - ((tps[i] as number) - (tps[i - 1] as number));
    if (df !== 0 || dt !== 0) keep.push(i);
  }
  keep.push(m - 1);
  const pick = (a: Float64Array): Float64Array => Float64Array.from(keep, (i) => a[i] as number);
  return { fps: pick(fps), tps: pick(tps), thresholds: pick(curve.thresholds) };
}

/** The ROC curve from a classifier curve: prepends (0, 0); rates are NaN when a class has no weight. */
function toRoc(curve: ClassifierCurve): RocCurve {
  const m = curve.fps.length;
  const fpr = new Float64Array(m + 1);
  const tpr = new Float64Array(m + 1);
  const thresholds = new Float64Array(m + 1);
  const negatives = curve.fps[m - 1] as number;
  const positives = curve.tps[m - 1] as number;
  thresholds[0] = (curve.thresholds[0] as number) + 1;
  for (let i = 0; i < m; i++) {
    fpr[i + 1] = negatives <= 0 ? NaN : (curve.fps[i] as number) / negatives;
    tpr[i + 1] = positives <= 0 ? NaN : (curve.tps[i] as number) / positives;
    thresholds[i + 1] = curve.thresholds[i] as number;
  }
  if (negatives <= 0) fpr[0] = NaN;
  if (positives <= 0) tpr[0] = NaN;
  return { fpr, tpr, thresholds };
}

/** The ROC curve of binary scores (sklearn.metrics.roc_curve). */
export function rocCurve(
  yTrue: LabelArray,
  scores: NumberArray,
  options: BinaryScoreOptions & { dropIntermediate?: boolean } = {},
): RocCurve {
  const { isPos, sampleWeight } = binaryInputs(yTrue, scores, options);
  const curve = nonEmptyCurve(isPos, scores, sampleWeight);
  return toRoc(options.dropIntermediate === false ? curve : dropCollinear(curve));
}

/** The trapezoidal area under y(x) (numpy.trapz), with a compensated sum. */
function trapezoid(x: Float64Array, y: Float64Array): number {
  const area = new CompensatedSum();
  for (let i = 1; i < x.length; i++) {
    area.add((((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number))) / 2);
  }
  return area.value();
}

/** The AUC of a 0/1 target, or undefined when it has a single class (where scikit-learn raises). */
function binaryAuc(
  isPos: Uint8Array,
  scores: NumberArray,
  sampleWeight: NumberArray | undefined,
): number | undefined {
  const positives = isPos.reduce((a, b) => a + b, 0);
  if (positives === 0 || positives === isPos.length) return undefined;
  const { fpr, tpr } = toRoc(dropCollinear(nonEmptyCurve(isPos, scores, sampleWeight)));
  const auc = trapezoid(fpr, tpr);
  return Number.isNaN(auc) ? undefined : auc;
}

/**
 * The area under the ROC curve of binary scores (sklearn.metrics.roc_auc_score); undefined when yTrue
 * has one class, or one class has only zero weights (scikit-learn raises or returns NaN there).
 */
export function rocAuc(
  yTrue: LabelArray,
  scores: NumberArray,
  options: BinaryScoreOptions = {},
): number | undefined {
  const { isPos, sampleWeight } = binaryInputs(yTrue, scores, options);
  return binaryAuc(isPos, scores, sampleWeight);
}

/** The classes of a probability matrix: explicit (unique, sorted) or yTrue's sorted labels. */
function matrixClasses(yTrue: LabelArray, labels: readonly Label[] | undefined): Label[] {
  if (labels === undefined) return uniqueLabels({ yTrue });
  const classes = checkLabelList('labels', labels);
  if (classes.some((c, j) => j > 0 && compareLabels(classes[j - 1] as Label, c) > 0)) {
    throw invalidArgument('labels', 'labels must be sorted, one per probability column');
  }
  return classes;
}

/** Rejects probability rows that do not sum to 1 within numpy.allclose's tolerance, as scikit-learn does. */
function requireRowsSumToOne(probabilities: NumberArray, rows: number, k: number): void {
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < k; j++) sum += probabilities[r * k + j] as number;
    if (Math.abs(1 - sum) > 1e-8 + 1e-5 * Math.abs(sum)) {
      throw invalidArgument('probabilities', `probabilities row ${r} sums to ${sum}, not 1`);
    }
  }
}

/**
 * The one-vs-rest multiclass ROC AUC (roc_auc_score with multi_class='ovr', average 'macro' or
 * 'weighted'). `probabilities` is row-major, n rows by one column per class. Undefined when some
 * class never occurs in yTrue (scikit-learn raises).
 */
export function rocAucOvr(
  yTrue: LabelArray,
  probabilities: NumberArray,
  options: OvrAucOptions = {},
): number | undefined {
  const rows = requireRows('yTrue', yTrue);
  const classes = matrixClasses(yTrue, options.labels);
  const k = classes.length;
  if (k < 2) throw invalidArgument('yTrue', 'one-vs-rest ROC AUC needs at least two classes');
  requireLength('probabilities', probabilities, rows * k);
  requireFinite('probabilities', probabilities);
  requireRowsSumToOne(probabilities, rows, k);
  const sampleWeight = checkWeights(options.sampleWeight, rows);
  const codes = encode(yTrue, classes);
  if (codes.some((c) => c < 0)) throw invalidArgument('yTrue', 'yTrue contains labels not in labels');
  const aucs: number[] = [];
  const classWeights: number[] = [];
  const column = new Float64Array(rows);
  const isPos = new Uint8Array(rows);
  for (let j = 0; j < k; j++) {
    const weight = new CompensatedSum();
    for (let r = 0; r < rows; r++) {
      column[r] = probabilities[r * k + j] as number;
      isPos[r] = codes[r] === j ? 1 : 0;
      if (codes[r] === j) weight.add(weightAt(sampleWeight, r));
    }
    const auc = binaryAuc(isPos, column, sampleWeight);
    if (auc === undefined) return undefined;
    aucs.push(auc);
    classWeights.push(weight.value());
  }
  return averageAucs(aucs, classWeights, options.average ?? 'macro');
}

/** Macro or positive-weight-weighted mean of per-class AUCs (0 when no class has weight, as scikit-learn). */
function averageAucs(aucs: number[], classWeights: number[], average: 'macro' | 'weighted'): number {
  if (average === 'macro') return aucs.reduce((a, b) => a + b, 0) / aucs.length;
  const total = classWeights.reduce((a, b) => a + b, 0);
  if (Math.abs(total) <= 1e-8) return 0;
  return aucs.reduce((a, x, j) => a + x * (classWeights[j] as number), 0) / total;
}

/** The precision-recall curve of binary scores (sklearn.metrics.precision_recall_curve, 1.2). */
export function precisionRecallCurve(
  yTrue: LabelArray,
  scores: NumberArray,
  options: BinaryScoreOptions = {},
): PrecisionRecallCurve {
  const { isPos, sampleWeight } = binaryInputs(yTrue, scores, options);
  const { fps, tps, thresholds } = nonEmptyCurve(isPos, scores, sampleWeight);
  const m = tps.length;
  const positives = tps[m - 1] as number;
  const precision = new Float64Array(m + 1);
  const recall = new Float64Array(m + 1);
  for (let i = 0; i < m; i++) {
    const tp = tps[i] as number;
    const predicted = tp + (fps[i] as number);
    precision[m - 1 - i] = predicted === 0 ? 0 : tp / predicted;
    recall[m - 1 - i] = positives === 0 ? 1 : tp / positives;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: thresholds.slice().reverse() };
}

/**
 * Average precision (sklearn.metrics.average_precision_score): the step-wise sum of precision times
 * recall gained, not a trapezoidal PR AUC. Undefined when yTrue has no positive weight.
 */
export function averagePrecision(
  yTrue: LabelArray,
  scores: NumberArray,
  options: BinaryScoreOptions = {},
): number | undefined {
  const { isPos, sampleWeight } = binaryInputs(yTrue, scores, options);
  const { fps, tps } = nonEmptyCurve(isPos, scores, sampleWeight);
  const positives = tps[tps.length - 1] as number;
  if (positives <= 0) return undefined;
  const sum = new CompensatedSum();
  let previousRecall = 0;
  for (let i = 0; i < tps.length; i++) {
    const tp = tps[i] as number;
    const recall = tp / positives;
    const predicted = tp + (fps[i] as number);
    sum.add((recall - previousRecall) * (predicted === 0 ? 0 : tp / predicted));
    previousRecall = recall;
  }
  return sum.value();
}
