/**
 * A classifier's whole-dataset details beyond the scalar metrics: the confusion matrix and per-class
 * precision / recall / F1 / support for every classification task, and for binary models with
 * probabilities or a score the calibration curve, the metrics at a threshold and the best threshold.
 * Each comes from one call into stats/, as the scalar metrics do.
 */
import { invalidArgument } from '@slipway/contracts';
import {
  bestThreshold,
  calibrationCurve,
  confusionMatrix,
  metricsAtThreshold,
  precisionRecallF1PerClass,
} from '../stats/classification-metrics.js';
import type {
  CalibrationReport,
  ClassValue,
  EvaluationTask,
  ModelDetails,
  ThresholdObjective,
  ThresholdReport,
} from './evaluation-types.js';
import { codes, type ClassView } from './metrics.js';

/** The threshold of `details.threshold` unless the settings pick another. */
export const DEFAULT_THRESHOLD = 0.5;
/** The metric `details.bestThreshold` maximises unless the settings pick another. */
export const DEFAULT_THRESHOLD_OBJECTIVE: ThresholdObjective = 'f1';
/** Equal-width bins of `details.calibration` unless the settings pick another. */
export const DEFAULT_CALIBRATION_BINS = 10;

/** The detail settings, defaults filled in. */
export interface DetailSettings {
  threshold: number;
  objective: ThresholdObjective;
  calibrationBins: number;
}

/** The details of one classifier on the whole dataset; `classes` is the report's (sorted) class list. */
export function modelDetails(
  task: EvaluationTask,
  view: ClassView,
  classes: readonly ClassValue[],
  settings: DetailSettings,
): ModelDetails {
  const labels = codes(view.k);
  const { truth } = view;
  const predicted = view.predictions.labels;
  const perClass = precisionRecallF1PerClass(truth, predicted, { labels });
  const details: ModelDetails = {
    confusionMatrix: confusionMatrix(truth, predicted, { labels }).counts,
    perClass: classes.map((cls, j) => ({
      class: cls,
      precision: perClass.precision[j] as number,
      recall: perClass.recall[j] as number,
      f1: perClass.f1[j] as number,
      support: perClass.support[j] as number,
    })),
  };
  const scores = view.predictions.scores;
  if (task !== 'binary' || scores === undefined) return details;
  const posLabel = view.positive;
  if (view.predictions.scoresAreProbabilities) {
    details.calibration = calibration(truth, scores, posLabel, settings.calibrationBins);
  }
  const at = metricsAtThreshold(truth, scores, settings.threshold, { posLabel });
  const threshold: ThresholdReport = {
    value: settings.threshold,
    metrics: {
      precision: at.precision,
      recall: at.recall,
      f1: at.f1,
      accuracy: at.accuracy,
      balancedAccuracy: at.balancedAccuracy,
      tp: at.tp,
      fp: at.fp,
      tn: at.tn,
      fn: at.fn,
    },
  };
  details.threshold = threshold;
  const best = bestThreshold(truth, scores, settings.objective, { posLabel });
  details.bestThreshold = { metric: settings.objective, value: best.threshold, score: best.value };
  return details;
}

/**
 * The uniform calibration curve plus each non-empty bin's row count. calibrationCurve gives the two
 * curves; the counts come from the same binning (edges numpy.linspace(0, 1, bins + 1), a value on an
 * inner edge in the lower bin), as scikit-learn's calibration_curve counts them internally.
 */
function calibration(
  truth: Int32Array,
  probability: Float64Array,
  posLabel: number,
  bins: number,
): CalibrationReport {
  const curve = calibrationCurve(truth, probability, { nBins: bins, strategy: 'uniform', posLabel });
  const perBin = new Float64Array(bins);
  for (let i = 0; i < probability.length; i++) {
    const b = binOf(probability[i] as number, bins);
    perBin[b] = (perBin[b] as number) + 1;
  }
  const counts = Array.from(perBin).filter((c) => c > 0);
  if (counts.length !== curve.probTrue.length) {
    // Unreachable while the binning above is calibrationCurve's; fail loudly rather than misalign.
    throw invalidArgument('calibrationBins', 'calibration bin counts do not match the calibration curve');
  }
  return {
    bins,
    meanPredicted: Array.from(curve.probPred),
    fractionPositive: Array.from(curve.probTrue),
    counts,
  };
}

/**
 * The uniform bin of p: the number of inner edges j · (1 / bins), j = 1 … bins − 1, strictly below p
 * (numpy.searchsorted(linspace(0, 1, bins + 1)[1:-1], p), side 'left'). numpy.linspace computes
 * edge j as j * step with step = 1 / bins, so the same product is compared here.
 */
function binOf(p: number, bins: number): number {
  const step = 1 / bins;
  let lo = 0;
  let hi = bins - 1;
  // Smallest b in [0, bins − 1] with edge(b + 1) >= p, i.e. the count of inner edges below p.
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((mid + 1) * step < p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
