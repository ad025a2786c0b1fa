/**
 * The prediction log and its feedback: labels that arrive after their predictions and join them
 * by prediction id, or by entity id within a time window; queries and time-bucket aggregates over
 * the joined log. Domain types shared by the store port, the API and the SDK.
 */
import type { PredictionRecord, TrafficArm } from './serving.js';

/** A label value: a class (string, integer, boolean) or a regression target (number). */
export type LabelValue = string | number | boolean;

/**
 * One label as stored. Exactly one key: `predictionId`, or `entityId` with an optional window
 * `[from, to)` (ms since the epoch) that bounds which of the entity's predictions it labels.
 */
export interface LabelRecord {
  /** Unique per stored label (labels are never overwritten: a later one wins at read time). */
  labelId: string;
  endpoint: string;
  predictionId?: string;
  entityId?: string;
  /** Inclusive start of the entity window; absent: unbounded. */
  from?: number;
  /** Exclusive end of the entity window; absent: unbounded. */
  to?: number;
  value: LabelValue;
  /** When the server received it (ms since the epoch); the latest received label wins. */
  receivedAt: number;
  /** Where it came from (`api`, `import:<file>`), for the record. */
  source?: string;
}

/** What a label write found when it was stored. */
export interface LabelWriteResult {
  /** Labels stored (every one given: unmatched labels are kept, not dropped). */
  stored: number;
  /** Of those, labels that matched at least one logged prediction when written. */
  matched: number;
  /** Labels that matched none yet: they stay visible in the unmatched set and may match later. */
  unmatched: number;
}

/** The label a prediction carries in the joined view. */
export interface JoinedLabel {
  value: LabelValue;
  receivedAt: number;
  /** `receivedAt` minus the prediction's timestamp, in ms. */
  delayMs: number;
  labelId: string;
}

/** A logged prediction with the label that won for it, if any. */
export interface LoggedPrediction extends PredictionRecord {
  label?: JoinedLabel;
}

/** Filters over one endpoint's log; every one is optional but `endpoint`. */
export interface PredictionFilter {
  endpoint: string;
  /** Inclusive lower bound on the prediction timestamp (ms). */
  from?: number;
  /** Exclusive upper bound on the prediction timestamp (ms). */
  to?: number;
  modelVersion?: string;
  arm?: TrafficArm;
  entityId?: string;
  /** Only predictions whose tags have this key with this value. */
  tag?: { key: string; value: string };
  /** true: only labelled predictions; false: only unlabelled; absent: both. */
  labelled?: boolean;
}

/** A page request over a prediction query: newest first. */
export interface PredictionPageRequest extends PredictionFilter {
  /** At most this many (1-1000). */
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

/** A page of logged predictions, newest first, with their labels. */
export interface PredictionPage {
  predictions: LoggedPrediction[];
  /** Present when more predictions match. */
  nextCursor?: string;
}

/** A page of labels that match no logged prediction (yet), newest first. */
export interface UnmatchedLabelPage {
  labels: LabelRecord[];
  /** Every unmatched label of the endpoint, not just this page. */
  total: number;
  nextCursor?: string;
}

/** Time-bucket aggregates over a filtered log. */
export interface AggregateRequest extends PredictionFilter {
  from: number;
  to: number;
  /** Bucket width in ms; buckets start at multiples of it since the epoch. */
  bucketMs: number;
  /** Split each bucket by model version and/or arm. */
  groupBy?: ('modelVersion' | 'arm')[];
  /**
   * The output field the realized metrics compare with the label: numeric outputs give `mae`,
   * others (and booleans) give `accuracy` (share of labelled predictions equal to their label).
   */
  predictionField?: string;
}

/** One bucket (and group) of an aggregate. */
export interface AggregateBucket {
  /** Bucket start (ms since the epoch). */
  start: number;
  modelVersion?: string;
  arm?: TrafficArm;
  count: number;
  /** Model latency quantiles (ms). */
  latencyP50: number;
  latencyP95: number;
  latencyP99: number;
  /** Predictions with a label, and the median label delay among them (ms). */
  labelled: number;
  labelDelayP50?: number;
  /** Mean of `predictionField` over the bucket, when it is numeric. */
  predictionMean?: number;
  /** Realized metrics over the labelled predictions, when `predictionField` is given. */
  accuracy?: number;
  mae?: number;
}

/** File formats an export of the log can be written in. */
export const EXPORT_FORMATS = ['parquet', 'csv', 'jsonl'] as const;
/** A file format of an export. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * The columns of an exported log, in order: one row per prediction, oldest first, with the label
 * that won for it (empty when none). `tags`, `input`, `output` and `label` are JSON text.
 */
export const EXPORT_COLUMNS = [
  'prediction_id',
  'endpoint',
  'model_name',
  'model_version',
  'arm',
  'protocol',
  'timestamp',
  'latency_ms',
  'request_id',
  'entity_id',
  'shadow_of',
  'api_version',
  'job_id',
  'tags',
  'input',
  'output',
  'label',
  'label_received_at',
  'label_delay_ms',
] as const;
