/**
 * The shapes evaluation reads and writes: what to evaluate, the report it produces, and the promotion
 * gate judged on that report. Plain JSON-friendly data so the report can be stored and served as is.
 */
import type { GateResult } from '@slipway/contracts';
import type { InputRow, LoadedModel } from '../runtimes/runtime.js';
import type { ConfidenceInterval, PairedDifference } from '../stats/bootstrap.js';

/** What kind of target the label column holds. */
export type EvaluationTask = 'binary' | 'multiclass' | 'regression';

/** A class label as it appears in the label column or a model's output. */
export type ClassValue = string | number | boolean;

/** One model to score; baselines are what candidates are weighed against. */
export interface EvaluatedModel {
  id: string;
  model: LoadedModel;
  role: 'candidate' | 'baseline';
}

/** One slicing of the rows: by each distinct value of `column`, or by numeric bucket edges. */
export interface SliceSpec {
  column: string;
  /** Ascending finite edges e1 < … < em; buckets are (−∞, e1), [e1, e2), …, [em, +∞). */
  buckets?: number[];
}

/** Bootstrap settings: the headline metric gets a CI per model and a paired CI per candidate−baseline pair. */
export interface BootstrapSpec {
  resamples: number;
  seed: number;
  confidence: number;
  headline: string;
}

/** Everything `evaluateModels` needs. */
export interface EvaluateOptions {
  task: EvaluationTask;
  rows: readonly InputRow[];
  labelColumn: string;
  models: readonly EvaluatedModel[];
  /** Output field with the predicted label / value; default `label` (classification), `prediction` (regression). */
  predictionField?: string;
  /** Output field with a binary ranking score, read when a model returns no probabilities; default `score`. */
  scoreField?: string;
  /** The positive class of a binary task; default the larger of the two classes. */
  positiveLabel?: ClassValue;
  slices?: readonly SliceSpec[];
  /** Slices with fewer rows are still scored but flagged `small` (default 30). */
  minSliceRows?: number;
  bootstrap?: BootstrapSpec;
  /** Rows per `predict` call (default 10,000), bounding the memory of one batch of output rows. */
  batchSize?: number;
}

/**
 * Metric name → value. A missing name means the model's outputs cannot give it (no probabilities);
 * `null` means it is undefined on these rows (e.g. ROC AUC of a single-class slice).
 */
export type MetricValues = Record<string, number | null>;

/** One model's scores on the whole dataset. */
export interface ModelReport {
  id: string;
  role: 'candidate' | 'baseline';
  /** Whether the model returned class probabilities (classification only). */
  hasProbabilities: boolean;
  /** Whether ROC AUC / average precision came from a ranking score (probabilities or `score`). */
  hasScores: boolean;
  metrics: MetricValues;
}

/** One slice: its key, row count and every model's metrics on its rows. */
export interface SliceReport {
  /** Human-readable key: the value (`"FR"`, `"(missing)"`) or the bucket (`"[10, 20)"`). */
  label: string;
  /** The distinct value, for value slices (null for missing). */
  value?: ClassValue | null;
  /** Bucket bounds, for bucketed slices (null = unbounded; `null, null` = missing values). */
  range?: { lower: number | null; upper: number | null };
  rows: number;
  /** True when rows < minSliceRows: numbers are shown but too noisy to act on. */
  small: boolean;
  /** Model id → metrics on this slice. */
  models: Record<string, MetricValues>;
}

/** All slices of one column. */
export interface SliceGroupReport {
  column: string;
  buckets?: number[];
  slices: SliceReport[];
}

/** A paired-bootstrap difference for one candidate against one baseline. */
export interface PairedReport extends PairedDifference {
  candidate: string;
  baseline: string;
}

/** Bootstrap intervals of the headline metric. */
export interface BootstrapReport {
  headline: string;
  resamples: number;
  seed: number;
  confidence: number;
  /** Model id → CI of its headline metric. */
  models: Record<string, ConfidenceInterval>;
  /** candidate − baseline, for every candidate × baseline pair, with identical resamples for both. */
  differences: PairedReport[];
}

/** The evaluation of several models on one labelled dataset. */
export interface EvaluationReport {
  task: EvaluationTask;
  rows: number;
  labelColumn: string;
  /** Classification: every class seen in labels or outputs, sorted (numbers numerically, then strings). */
  classes?: ClassValue[];
  positiveLabel?: ClassValue;
  minSliceRows: number;
  models: ModelReport[];
  slices: SliceGroupReport[];
  bootstrap?: BootstrapReport;
}

/** A promotion gate: the candidate must clear `threshold`, beat the baseline by `margin`, and not regress on slices. */
export interface GateSpec {
  metric: string;
  direction: 'higher' | 'lower';
  threshold?: number;
  /** Default: absolute 0 (the candidate must be at least as good as the baseline). */
  margin?: { kind: 'absolute' | 'relative'; value: number };
  slices?: { column: string; minRows: number; maxDegradation: number };
}

/** Which models of the report the gate compares; needed when the report has several of either role. */
export interface GatePair {
  candidate?: string;
  baseline?: string;
}

/** One slice as the gate checked it. */
export interface SliceCheck {
  column: string;
  slice: string;
  rows: number;
  candidate: number | null;
  baseline: number | null;
  /** How much worse the candidate is than the baseline (positive = worse), or null when not computable. */
  degradation: number | null;
  /** False for slices below minRows or where the metric is undefined: they cannot fail the gate. */
  checked: boolean;
  passed: boolean;
}

/** The gate's decision with every number behind it; a registry `GateResult`. */
export interface GateVerdict extends GateResult {
  passed: boolean;
  metric: string;
  direction: 'higher' | 'lower';
  candidate: { id: string; value: number | null };
  baseline: { id: string; value: number | null };
  /** candidate − baseline. */
  difference: number | null;
  /** The value the candidate had to reach (threshold and margin combined). */
  required: number | null;
  threshold: number | null;
  margin: { kind: 'absolute' | 'relative'; value: number };
  sliceChecks: SliceCheck[];
  /** Paired-bootstrap CI of candidate − baseline, when the report bootstrapped this metric. */
  differenceCi: PairedDifference | null;
  reasons: string[];
}
