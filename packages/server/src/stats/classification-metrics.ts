/**
 * Classification metrics, checked against scikit-learn 1.2.1 (test/fixtures/sklearn). Pure.
 * One entry point over the modules that hold them; definitions and edge cases are in docs/metrics.md.
 */
export type { Label, LabelArray, NumberArray } from './classification-inputs.js';
export {
  accuracy,
  balancedAccuracy,
  confusionMatrix,
  precisionRecallF1,
  precisionRecallF1PerClass,
} from './confusion.js';
export type {
  AveragedPrecisionRecallOptions,
  Average,
  ClassReport,
  ConfusionMatrix,
  LabelMetricOptions,
  PrecisionRecallF1,
  PrecisionRecallOptions,
  ZeroDivision,
} from './confusion.js';
export { averagePrecision, precisionRecallCurve, rocAuc, rocAucOvr, rocCurve } from './ranking-curves.js';
export type { BinaryScoreOptions, OvrAucOptions, PrecisionRecallCurve, RocCurve } from './ranking-curves.js';
export { brierScore, calibrationCurve, logLoss } from './calibration.js';
export type {
  BrierOptions,
  CalibrationCurve,
  CalibrationOptions,
  CalibrationStrategy,
  LogLossOptions,
} from './calibration.js';
export { bestThreshold, metricsAtThreshold } from './thresholds.js';
export type { BestThreshold, ThresholdMetrics, ThresholdObjective } from './thresholds.js';
