/**
 * Tracking domain types as the native API and the SDK see them (camelCase, numbers as numbers).
 * The MLflow compat layer converts these to MLflow's protobuf-JSON shapes.
 */

/** Whether an experiment or run is live or soft-deleted. */
export type LifecycleStage = 'active' | 'deleted';

/** Run status values, identical to MLflow's. */
export const RUN_STATUSES = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'] as const;

/** A run's status. */
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Which lifecycle stages a search returns. */
export const VIEW_TYPES = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'] as const;

/** Which lifecycle stages a search returns. */
export type ViewType = (typeof VIEW_TYPES)[number];

/** Key/value string map used for tags and params (keys are unique). */
export type StringMap = Record<string, string>;

/** An experiment groups runs. Ids are decimal strings, as in MLflow ("0" is the Default experiment). */
export interface Experiment {
  experimentId: string;
  name: string;
  artifactLocation: string;
  lifecycleStage: LifecycleStage;
  /** Milliseconds since the Unix epoch. */
  creationTime: number;
  /** Milliseconds since the Unix epoch. */
  lastUpdateTime: number;
  tags: StringMap;
}

/** One metric observation. `value` may be NaN or +/-Infinity. */
export interface Metric {
  key: string;
  value: number;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  step: number;
}

/** The coordinate a metric history is bucketed and charted along. */
export const METRIC_AXES = ['step', 'time'] as const;

/** The coordinate a metric history is bucketed and charted along: the step or the timestamp. */
export type MetricAxis = (typeof METRIC_AXES)[number];

/** One observation of a metric inside a bucket (the key is the history's). */
export interface MetricSample {
  step: number;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  value: number;
}

/**
 * The points of a metric history that fall in one slice of the axis, reduced to the four a line
 * chart needs to look the same as with every point: the first, the last, the lowest and the highest
 * (NaN is never the lowest or highest unless every value in the bucket is NaN).
 */
export interface MetricBucket {
  /** Observations in the bucket. */
  count: number;
  first: MetricSample;
  last: MetricSample;
  min: MetricSample;
  max: MetricSample;
}

/** A metric history reduced to at most `buckets` equal slices of the axis. */
export interface MetricBuckets {
  key: string;
  axis: MetricAxis;
  /** Observations in the requested range, before reduction. */
  total: number;
  /** False when every observation is its own bucket (the history was short enough to send whole). */
  downsampled: boolean;
  /** Non-empty buckets in axis order. */
  buckets: MetricBucket[];
}

/** Run metadata (everything but the logged data). */
export interface RunInfo {
  /** 32 lowercase hex characters. */
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  status: RunStatus;
  /** Milliseconds since the Unix epoch. */
  startTime: number;
  /** Milliseconds since the Unix epoch, or null while unset. */
  endTime: number | null;
  artifactUri: string;
  lifecycleStage: LifecycleStage;
}

/** A dataset a run consumed, identified by (name, digest) within an experiment. */
export interface Dataset {
  name: string;
  digest: string;
  sourceType: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** A dataset as an input of a run, with input tags such as `mlflow.data.context`. */
export interface DatasetInput {
  dataset: Dataset;
  tags: StringMap;
}

/** The data logged to a run: latest value per metric key, params and tags. */
export interface RunData {
  metrics: Metric[];
  params: StringMap;
  tags: StringMap;
}

/** A run with its data and inputs. */
export interface Run {
  info: RunInfo;
  data: RunData;
  inputs: { datasetInputs: DatasetInput[] };
}

/** Metrics, params and tags logged together (MLflow's log-batch). */
export interface LogBatch {
  metrics: Metric[];
  params: StringMap;
  tags: StringMap;
}

/** JSON cannot carry NaN or Infinity: on the wire they travel as these strings (protobuf-JSON's rule). */
export type WireNumber = number | 'NaN' | 'Infinity' | '-Infinity';

/** Encodes a number for JSON, turning non-finite values into protobuf-JSON strings. */
export function encodeWireNumber(value: number): WireNumber {
  if (Number.isFinite(value)) return value;
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? 'Infinity' : '-Infinity';
}

/** Decodes a protobuf-JSON number (number or "NaN"/"Infinity"/"-Infinity"/numeric string); undefined when not a number. */
export function decodeWireNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  const parsed = Number(trimmed);
  return Number.isNaN(parsed) ? undefined : parsed;
}
