/**
 * Metrics on predicted labels: confusion matrix, accuracy, balanced accuracy, precision / recall / F1.
 * Pure. Each function matches the scikit-learn 1.2 function named in its doc comment; docs/metrics.md
 * lists the edge cases and the few deliberate differences.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  CompensatedSum,
  CompensatedSums,
  checkLabelKinds,
  checkLabelList,
  checkWeights,
  encode,
  fewLabels,
  presentLabels,
  requireLength,
  requireRows,
  weightAt,
} from './classification-inputs.js';
import type { Label, LabelArray, NumberArray } from './classification-inputs.js';

/** The value a ratio takes when its denominator is zero (scikit-learn's zero_division; 'warn' acts as 0). */
export type ZeroDivision = 0 | 1;

/** How per-class precision / recall / F1 are combined, as scikit-learn's `average`. */
export type Average = 'binary' | 'micro' | 'macro' | 'weighted';

/** Options shared by every label metric. */
export interface LabelMetricOptions {
  sampleWeight?: NumberArray;
}

/** A confusion matrix: `counts[i][j]` is the (weighted) number of rows with true label i predicted as j. */
export interface ConfusionMatrix {
  labels: Label[];
  counts: number[][];
}

/** Precision, recall and F1 of one class or one average. */
export interface PrecisionRecallF1 {
  precision: number;
  recall: number;
  f1: number;
}

/** Per-class precision / recall / F1 and support (the weighted count of true rows), in `labels` order. */
export interface ClassReport {
  labels: Label[];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

/** Options of the precision / recall / F1 functions. */
export interface PrecisionRecallOptions extends LabelMetricOptions {
  /** The classes to report, in this order; default: the sorted union of yTrue and yPred. */
  labels?: readonly Label[];
  zeroDivision?: ZeroDivision;
}

/** Options of the averaged precision / recall / F1. */
export interface AveragedPrecisionRecallOptions extends PrecisionRecallOptions {
  average: Average;
  /** The positive class for average 'binary' (default 1, as scikit-learn). */
  posLabel?: Label;
}

/**
 * Validates a (yTrue, yPred, weights) triple (the checks and errors of `uniqueLabels`, without building
 * the label set: callers that need the labels present ask `present`) and returns the weights.
 */
function prepare(
  yTrue: LabelArray,
  yPred: LabelArray,
  sampleWeight: NumberArray | undefined,
): NumberArray | undefined {
  const rows = requireRows('yTrue', yTrue);
  requireLength('yPred', yPred, rows);
  checkLabelKinds({ yTrue, yPred });
  return checkWeights(sampleWeight, rows);
}

/** The sorted labels present in yTrue or yPred (validated by `prepare`). */
function present(yTrue: LabelArray, yPred: LabelArray): Label[] {
  return presentLabels([yTrue, yPred]);
}

/** Per-class weighted sums of true positives, predictions and true rows over `labels`. */
function classSums(
  yTrue: LabelArray,
  yPred: LabelArray,
  labels: readonly Label[],
  sampleWeight: NumberArray | undefined,
): { tp: Float64Array; predicted: Float64Array; actual: Float64Array } {
  const t = encode(yTrue, labels);
  const p = encode(yPred, labels);
  const tp = new CompensatedSums(labels.length);
  const predicted = new CompensatedSums(labels.length);
  const actual = new CompensatedSums(labels.length);
  for (let i = 0; i < t.length; i++) {
    const w = weightAt(sampleWeight, i);
    const ti = t[i] as number;
    const pi = p[i] as number;
    if (ti >= 0) actual.add(ti, w);
    if (pi >= 0) predicted.add(pi, w);
    if (ti >= 0 && ti === pi) tp.add(ti, w);
  }
  return { tp: tp.values(), predicted: predicted.values(), actual: actual.values() };
}

/** A ratio with scikit-learn's zero-division rule. */
function divide(numerator: number, denominator: number, zeroDivision: ZeroDivision): number {
  return denominator === 0 ? zeroDivision : numerator / denominator;
}

/** F1 from precision and recall, with scikit-learn's operation order so results agree to the bit. */
export function f1FromPrecisionRecall(precision: number, recall: number): number {
  const denom = precision + recall;
  return (2 * precision * recall) / (denom === 0 ? 1 : denom);
}

/** The confusion matrix (sklearn.metrics.confusion_matrix); rows whose labels are not in `labels` are ignored. */
export function confusionMatrix(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: LabelMetricOptions & { labels?: readonly Label[] } = {},
): ConfusionMatrix {
  const sampleWeight = prepare(yTrue, yPred, options.sampleWeight);
  const labels =
    options.labels === undefined ? present(yTrue, yPred) : checkLabelList('labels', options.labels);
  const t = encode(yTrue, labels);
  if (t.every((c) => c < 0)) throw invalidArgument('labels', 'at least one of labels must occur in yTrue');
  const p = encode(yPred, labels);
  const k = labels.length;
  const cells = new CompensatedSums(k * k);
  for (let i = 0; i < t.length; i++) {
    const ti = t[i] as number;
    const pi = p[i] as number;
    if (ti >= 0 && pi >= 0) cells.add(ti * k + pi, weightAt(sampleWeight, i));
  }
  const flat = cells.values();
  const counts = labels.map((_, r) => Array.from(flat.subarray(r * k, (r + 1) * k)));
  return { labels, counts };
}

/** The (weighted) fraction of rows predicted correctly (sklearn.metrics.accuracy_score). */
export function accuracy(yTrue: LabelArray, yPred: LabelArray, options: LabelMetricOptions = {}): number {
  const sampleWeight = prepare(yTrue, yPred, options.sampleWeight);
  const correct = new CompensatedSum();
  const total = new CompensatedSum();
  for (let i = 0; i < yTrue.length; i++) {
    const w = weightAt(sampleWeight, i);
    if (yTrue[i] === yPred[i]) correct.add(w);
    total.add(w);
  }
  return correct.value() / total.value();
}

/**
 * The mean per-class recall (sklearn.metrics.balanced_accuracy_score, adjusted=False); classes that
 * only occur in yPred have no recall and are left out, as scikit-learn does after warning.
 */
export function balancedAccuracy(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: LabelMetricOptions = {},
): number {
  const sampleWeight = prepare(yTrue, yPred, options.sampleWeight);
  const { tp, actual } = classSums(yTrue, yPred, present(yTrue, yPred), sampleWeight);
  let sum = 0;
  let classes = 0;
  actual.forEach((a, j) => {
    if (a === 0) return;
    sum += (tp[j] as number) / a;
    classes++;
  });
  if (classes === 0) throw invalidArgument('sampleWeight', 'no class of yTrue has a non-zero weight');
  return sum / classes;
}

/** Precision, recall, F1 and support per class (precision_recall_fscore_support with average=None). */
export function precisionRecallF1PerClass(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: PrecisionRecallOptions = {},
): ClassReport {
  const sampleWeight = prepare(yTrue, yPred, options.sampleWeight);
  return perClass(yTrue, yPred, options.labels, sampleWeight, options.zeroDivision ?? 0).report;
}

/**
 * The per-class report over `labels` (checked; default: the labels present) plus the total predicted
 * weight, which the weighted average needs. The inputs must have passed `prepare`.
 */
function perClass(
  yTrue: LabelArray,
  yPred: LabelArray,
  labelOption: readonly Label[] | undefined,
  sampleWeight: NumberArray | undefined,
  zd: ZeroDivision,
): { report: ClassReport; predictedTotal: number } {
  const labels = labelOption === undefined ? present(yTrue, yPred) : checkLabelList('labels', labelOption);
  const { tp, predicted, actual } = classSums(yTrue, yPred, labels, sampleWeight);
  const precision = labels.map((_, j) => divide(tp[j] as number, predicted[j] as number, zd));
  const recall = labels.map((_, j) => divide(tp[j] as number, actual[j] as number, zd));
  const f1 = precision.map((p, j) => f1FromPrecisionRecall(p, recall[j] as number));
  const report = { labels, precision, recall, f1, support: Array.from(actual) };
  return { report, predictedTotal: predicted.reduce((a, b) => a + b, 0) };
}

/**
 * The labels an average is taken over; 'binary' needs at most two classes and a valid posLabel. Only
 * 'binary' looks at the labels present, and then only at whether there are more than two (the full
 * set is built just for the error message).
 */
function averageLabels(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: AveragedPrecisionRecallOptions,
): readonly Label[] | undefined {
  if (options.average !== 'binary') return options.labels;
  const posLabel = options.posLabel ?? 1;
  const classes = fewLabels([yTrue, yPred], 2) ?? present(yTrue, yPred);
  if (classes.length > 2) {
    throw invalidArgument('average', `average 'binary' needs at most two classes, got ${classes.length}`);
  }
  if (!classes.includes(posLabel) && classes.length === 2) {
    throw invalidArgument('posLabel', `posLabel ${String(posLabel)} is not one of ${classes.join(', ')}`);
  }
  return [posLabel];
}

/** Precision / recall / F1 averaged over classes (precision_recall_fscore_support with `average`). */
export function precisionRecallF1(
  yTrue: LabelArray,
  yPred: LabelArray,
  options: AveragedPrecisionRecallOptions,
): PrecisionRecallF1 {
  const sampleWeight = prepare(yTrue, yPred, options.sampleWeight);
  const labels = averageLabels(yTrue, yPred, options);
  const zd = options.zeroDivision ?? 0;
  if (options.average === 'micro')
    return microAverage(classSums(yTrue, yPred, labels ?? present(yTrue, yPred), sampleWeight), zd);
  const { report, predictedTotal } = perClass(yTrue, yPred, labels, sampleWeight, zd);
  return options.average === 'weighted' ? weightedAverage(report, predictedTotal, zd) : macroAverage(report);
}

/** Pools the counts of every class before dividing ('micro'). */
function microAverage(sums: ReturnType<typeof classSums>, zd: ZeroDivision): PrecisionRecallF1 {
  const total = (a: Float64Array): number => a.reduce((x, y) => x + y, 0);
  const precision = divide(total(sums.tp), total(sums.predicted), zd);
  const recall = divide(total(sums.tp), total(sums.actual), zd);
  return { precision, recall, f1: f1FromPrecisionRecall(precision, recall) };
}

/** The plain mean of each per-class metric ('macro'; 'binary' is the mean of one class). */
function macroAverage(report: ClassReport): PrecisionRecallF1 {
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { precision: mean(report.precision), recall: mean(report.recall), f1: mean(report.f1) };
}

/** The support-weighted mean ('weighted'), with scikit-learn 1.2's answer when no class has support. */
function weightedAverage(report: ClassReport, predictedTotal: number, zd: ZeroDivision): PrecisionRecallF1 {
  const total = report.support.reduce((a, b) => a + b, 0);
  if (total === 0) {
    return predictedTotal === 0 ? { precision: zd, recall: zd, f1: zd } : { precision: 0, recall: zd, f1: 0 };
  }
  const mean = (xs: number[]): number =>
    xs.reduce((a, x, j) => a + x * (report.support[j] as number), 0) / total;
  return { precision: mean(report.precision), recall: mean(report.recall), f1: mean(report.f1) };
}
