/**
 * Probability-quality metrics: log loss, Brier score and the calibration (reliability) curve. Pure.
 * Each matches the scikit-learn 1.2 function named in its doc comment, down to log loss's clipping.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  CompensatedSum,
  CompensatedSums,
  binaryTarget,
  checkLabelList,
  checkWeights,
  compareLabels,
  encode,
  requireFinite,
  requireLength,
  requireProbabilities,
  requireRows,
  uniqueLabels,
  weightAt,
} from './classification-inputs.js';
import type { Label, LabelArray, NumberArray } from './classification-inputs.js';

/** Options of log loss. */
export interface LogLossOptions {
  /** All classes (sorted for the columns); default: yTrue's labels. Needed when yTrue lacks a class. */
  labels?: readonly Label[];
  sampleWeight?: NumberArray;
  /** Probabilities are clipped to [eps, 1 - eps]; default: float64 machine epsilon (sklearn's eps='auto'). */
  eps?: number;
}

/** Options of the Brier score. */
export interface BrierOptions {
  posLabel?: Label;
  sampleWeight?: NumberArray;
}

/** How calibration_curve places bin edges: evenly on [0, 1], or at quantiles of the probabilities. */
export type CalibrationStrategy = 'uniform' | 'quantile';

/** Options of the calibration curve. */
export interface CalibrationOptions {
  nBins?: number;
  strategy?: CalibrationStrategy;
  posLabel?: Label;
}

/** Per non-empty bin: the fraction of positives and the mean predicted probability. */
export interface CalibrationCurve {
  probTrue: Float64Array;
  probPred: Float64Array;
}

/**
 * Cross-entropy loss (sklearn.metrics.log_loss, 1.2). `probabilities` is either one probability of
 * the larger class per row (binary), or row-major n x k with one column per sorted class. Values are
 * clipped to [eps, 1 - eps] and each row renormalised to sum 1, as scikit-learn does.
 */
export function logLoss(yTrue: LabelArray, probabilities: NumberArray, options: LogLossOptions = {}): number {
  const rows = requireRows('yTrue', yTrue);
  const classes = (
    options.labels === undefined ? uniqueLabels({ yTrue }) : checkLabelList('labels', options.labels)
  )
    .slice()
    .sort(compareLabels);
  if (classes.length < 2) throw invalidArgument('labels', 'log loss needs at least two classes; pass labels');
  const codes = encode(yTrue, classes);
  if (codes.some((c) => c < 0)) throw invalidArgument('yTrue', 'yTrue contains labels not in labels');
  requireFinite('probabilities', probabilities);
  const sampleWeight = checkWeights(options.sampleWeight, rows);
  const eps = options.eps ?? Number.EPSILON;
  const clip = (p: number): number => Math.min(Math.max(p, eps), 1 - eps);
  const oneColumn = probabilities.length === rows;
  const k = oneColumn ? 2 : classes.length;
  if (oneColumn && classes.length !== 2) {
    throw invalidArgument(
      'probabilities',
      `one probability per row needs two classes, got ${classes.length}`,
    );
  }
  if (!oneColumn) requireLength('probabilities', probabilities, rows * k);
  const loss = new CompensatedSum();
  const total = new CompensatedSum();
  for (let r = 0; r < rows; r++) {
    const code = codes[r] as number;
    const w = weightAt(sampleWeight, r);
    const q = oneColumn
      ? binaryRowProbability(clip(probabilities[r] as number), code)
      : rowProbability(probabilities, r, k, code, clip);
    loss.add(-Math.log(q) * w);
    total.add(w);
  }
  return loss.value() / total.value();
}

/** The renormalised probability of the true class for a one-column row: columns are [1 - p, p]. */
function binaryRowProbability(p: number, code: number): number {
  const negative = 1 - p;
  return (code === 1 ? p : negative) / (negative + p);
}

/** The renormalised, clipped probability of the true class in row r of an n x k matrix. */
function rowProbability(
  probabilities: NumberArray,
  r: number,
  k: number,
  code: number,
  clip: (p: number) => number,
): number {
  let sum = 0;
  for (let j = 0; j < k; j++) sum += clip(probabilities[r * k + j] as number);
  return clip(probabilities[r * k + code] as number) / sum;
}

/** Validates binary probability inputs and returns the 0/1 target. */
function binaryProbabilityInputs(
  yTrue: LabelArray,
  probability: NumberArray,
  posLabel: Label | undefined,
): Uint8Array {
  const rows = requireRows('yTrue', yTrue);
  requireLength('probability', probability, rows);
  requireProbabilities('probability', probability);
  return binaryTarget(yTrue, posLabel);
}

/** The mean squared difference between the positive-class probability and the 0/1 outcome (brier_score_loss). */
export function brierScore(yTrue: LabelArray, probability: NumberArray, options: BrierOptions = {}): number {
  const isPos = binaryProbabilityInputs(yTrue, probability, options.posLabel);
  const sampleWeight = checkWeights(options.sampleWeight, isPos.length);
  const sum = new CompensatedSum();
  const total = new CompensatedSum();
  for (let i = 0; i < isPos.length; i++) {
    const w = weightAt(sampleWeight, i);
    const d = (isPos[i] as number) - (probability[i] as number);
    sum.add(d * d * w);
    total.add(w);
  }
  if (total.value() === 0) throw invalidArgument('sampleWeight', 'sampleWeight sums to zero');
  return sum.value() / total.value();
}

/** numpy.linspace(0, 1, n + 1), bit for bit: i * (1 / n), with the last point exactly 1. */
function linspace01(n: number): Float64Array {
  const step = 1 / n;
  const edges = Float64Array.from({ length: n + 1 }, (_, i) => i * step);
  edges[n] = 1;
  return edges;
}

/** numpy.percentile's default 'linear' method on sorted values, with its interpolation arithmetic. */
function percentileOfSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  if (virtual >= n - 1) return sorted[n - 1] as number;
  if (virtual < 0) return sorted[0] as number;
  const previous = Math.floor(virtual);
  const gamma = virtual - previous;
  const a = sorted[previous] as number;
  const b = sorted[previous + 1] as number;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** Bin edges for the strategy, as calibration_curve computes them. */
function binEdges(probability: NumberArray, nBins: number, strategy: CalibrationStrategy): Float64Array {
  const grid = linspace01(nBins);
  if (strategy === 'uniform') return grid;
  const sorted = Float64Array.from(probability).sort();
  return grid.map((g) => percentileOfSorted(sorted, (g * 100) / 100));
}

/** The number of inner edges strictly below p (numpy.searchsorted(edges[1:-1], p), side 'left'). */
function binOf(edges: Float64Array, p: number): number {
  let lo = 1;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) < p) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** The calibration curve of binary probabilities (sklearn.calibration.calibration_curve); empty bins are omitted. */
export function calibrationCurve(
  yTrue: LabelArray,
  probability: NumberArray,
  options: CalibrationOptions = {},
): CalibrationCurve {
  const isPos = binaryProbabilityInputs(yTrue, probability, options.posLabel);
  const nBins = options.nBins ?? 5;
  if (!Number.isInteger(nBins) || nBins < 1)
    throw invalidArgument('nBins', 'nBins must be a positive integer');
  const edges = binEdges(probability, nBins, options.strategy ?? 'uniform');
  const predicted = new CompensatedSums(nBins);
  const positives = new CompensatedSums(nBins);
  const counts = new Float64Array(nBins);
  for (let i = 0; i < isPos.length; i++) {
    const p = probability[i] as number;
    const bin = binOf(edges, p);
    predicted.add(bin, p);
    positives.add(bin, isPos[i] as number);
    counts[bin] = (counts[bin] as number) + 1;
  }
  const pred = predicted.values();
  const pos = positives.values();
  const nonEmpty = [...counts.keys()].filter((b) => counts[b] !== 0);
  return {
    probTrue: Float64Array.from(nonEmpty, (b) => (pos[b] as number) / (counts[b] as number)),
    probPred: Float64Array.from(nonEmpty, (b) => (pred[b] as number) / (counts[b] as number)),
  };
}
