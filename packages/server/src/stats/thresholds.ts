/**
 * Turning binary scores into decisions: the metrics of `score >= threshold` (scikit-learn's convention
 * in roc_curve), and the threshold that maximises a chosen metric. Pure. Ratios follow scikit-learn's
 * zero_division='warn' behaviour (0), so results equal precision_recall_fscore_support on those labels.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  CompensatedSums,
  binaryTarget,
  checkWeights,
  requireFinite,
  requireLength,
  requireRows,
  weightAt,
} from './classification-inputs.js';
import type { Label, LabelArray, NumberArray } from './classification-inputs.js';
import { f1FromPrecisionRecall } from './confusion.js';
import { classifierCurve } from './ranking-curves.js';
import type { BinaryScoreOptions } from './ranking-curves.js';

/** Counts and metrics of the decisions `score >= threshold`, the positive class being predicted. */
export interface ThresholdMetrics {
  threshold: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  balancedAccuracy: number;
}

/** The metrics bestThreshold can maximise. */
export type ThresholdObjective = 'f1' | 'balancedAccuracy' | 'accuracy';

/** The best threshold, the objective's value there, and every metric at it. */
export interface BestThreshold {
  threshold: number;
  value: number;
  metrics: ThresholdMetrics;
}

/** Metrics from the four (weighted) counts, with scikit-learn's operation order. */
function fromCounts(threshold: number, tp: number, fp: number, tn: number, fn: number): ThresholdMetrics {
  const predicted = tp + fp;
  const actual = tp + fn;
  const negatives = tn + fp;
  const precision = predicted === 0 ? 0 : tp / predicted;
  const recall = actual === 0 ? 0 : tp / actual;
  // balanced_accuracy_score leaves out a class absent from yTrue rather than counting its recall as 0.
  const rates = [negatives === 0 ? undefined : tn / negatives, actual === 0 ? undefined : recall].filter(
    (r): r is number => r !== undefined,
  );
  return {
    threshold,
    tp,
    fp,
    tn,
    fn,
    precision,
    recall,
    f1: f1FromPrecisionRecall(precision, recall),
    accuracy: (tp + tn) / (tp + fp + tn + fn),
    balancedAccuracy: rates.reduce((a, b) => a + b, 0) / rates.length,
  };
}

/** Validates binary score inputs. */
function inputs(
  yTrue: LabelArray,
  scores: NumberArray,
  posLabel: Label | undefined,
  sampleWeight: NumberArray | undefined,
): { isPos: Uint8Array; weights: NumberArray | undefined } {
  const rows = requireRows('yTrue', yTrue);
  requireLength('scores', scores, rows);
  requireFinite('scores', scores);
  return { isPos: binaryTarget(yTrue, posLabel), weights: checkWeights(sampleWeight, rows) };
}

/** The confusion counts and metrics of predicting the positive class when `score >= threshold`. */
export function metricsAtThreshold(
  yTrue: LabelArray,
  scores: NumberArray,
  threshold: number,
  options: BinaryScoreOptions = {},
): ThresholdMetrics {
  if (Number.isNaN(threshold)) throw invalidArgument('threshold', 'threshold must not be NaN');
  const { isPos, weights } = inputs(yTrue, scores, options.posLabel, options.sampleWeight);
  // Cells: 0 tp, 1 fp, 2 tn, 3 fn.
  const cells = new CompensatedSums(4);
  for (let i = 0; i < isPos.length; i++) {
    const predictedPositive = (scores[i] as number) >= threshold;
    const cell = isPos[i] === 1 ? (predictedPositive ? 0 : 3) : predictedPositive ? 1 : 2;
    cells.add(cell, weightAt(weights, i));
  }
  const [tp, fp, tn, fn] = cells.values() as unknown as [number, number, number, number];
  return fromCounts(threshold, tp, fp, tn, fn);
}

/**
 * The threshold among the distinct scores that maximises `objective`, from one sort of the scores.
 * Ties go to the highest threshold (the fewest positive predictions): scanning from the top, a lower
 * threshold replaces the best only when strictly better. Zero-weight rows offer no threshold.
 */
export function bestThreshold(
  yTrue: LabelArray,
  scores: NumberArray,
  objective: ThresholdObjective,
  options: BinaryScoreOptions = {},
): BestThreshold {
  const { isPos, weights } = inputs(yTrue, scores, options.posLabel, options.sampleWeight);
  const { fps, tps, thresholds } = classifierCurve(isPos, scores, weights);
  const m = tps.length;
  if (m === 0) throw invalidArgument('sampleWeight', 'every sample weight is zero');
  const positives = tps[m - 1] as number;
  const negatives = fps[m - 1] as number;
  let best: ThresholdMetrics | undefined;
  for (let i = 0; i < m; i++) {
    const tp = tps[i] as number;
    const fp = fps[i] as number;
    const metrics = fromCounts(thresholds[i] as number, tp, fp, negatives - fp, positives - tp);
    if (best === undefined || metrics[objective] > best[objective]) best = metrics;
  }
  const winner = best as ThresholdMetrics;
  return { threshold: winner.threshold, value: winner[objective], metrics: winner };
}
