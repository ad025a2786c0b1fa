/**
 * The shapes evaluation reads and writes. Reports, gates and verdicts are wire types (contracts) so
 * they are stored and served as they are; what is left here names live models and so never travels.
 */
import type {
  BootstrapSpec,
  ClassValue,
  EvaluationTask,
  SliceSpec,
  ThresholdObjective,
} from '@slipway/contracts';
import type { InputRow, LoadedModel } from '../runtimes/runtime.js';

export type {
  BestThresholdReport,
  BootstrapReport,
  BootstrapSpec,
  CalibrationReport,
  ClassMetrics,
  ClassValue,
  EvaluationReport,
  EvaluationTask,
  GateSpec,
  GateVerdict,
  MetricValues,
  ModelDetails,
  ModelReport,
  PairedReport,
  RankingInfo,
  SliceCheck,
  SliceGroupReport,
  SliceReport,
  SliceSpec,
  ThresholdObjective,
  ThresholdReport,
} from '@slipway/contracts';

/** One model to score; baselines are what candidates are weighed against. */
export interface EvaluatedModel {
  id: string;
  model: LoadedModel;
  role: 'candidate' | 'baseline';
}

/** Everything `evaluateModels` needs. */
export interface EvaluateOptions {
  task: EvaluationTask;
  rows: readonly InputRow[];
  labelColumn: string;
  models: readonly EvaluatedModel[];
  /** Output field with the predicted label / value; default `label` (classification), `prediction` (regression). */
  predictionField?: string;
  /**
   * Binary: output field with a ranking score, read when a model returns no probabilities; default `score`.
   * Ranking: the score rows are ranked by; default `score`, else `prediction` when row 0 has no `score`.
   */
  scoreField?: string;
  /** Ranking (required there, refused for other tasks): the column of query ids rows are grouped by. */
  queryColumn?: string;
  /** Ranking: cutoff of every metric, a positive integer; default each query's whole list. */
  k?: number;
  /** The positive class of a binary task; default the larger of the two classes. */
  positiveLabel?: ClassValue;
  slices?: readonly SliceSpec[];
  /** Slices with fewer rows are still scored but flagged `small` (default 30). */
  minSliceRows?: number;
  bootstrap?: BootstrapSpec;
  /** Binary: `details.threshold` reports the decisions `score >= threshold`, in [0, 1] (default 0.5). */
  threshold?: number;
  /** Binary: the metric `details.bestThreshold` maximises (default `f1`). */
  optimizeThresholdFor?: ThresholdObjective;
  /** Binary: equal-width bins of `details.calibration`, a positive integer (default 10). */
  calibrationBins?: number;
  /** Rows per `predict` call (default 10,000), bounding the memory of one batch of output rows. */
  batchSize?: number;
}

/** Which models of the report the gate compares; needed when the report has several of either role. */
export interface GatePair {
  candidate?: string;
  baseline?: string;
}
