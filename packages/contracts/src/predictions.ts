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
  /**
   * true: leave shadow records out, keeping what callers were answered (live and canary). A
   * shadow mirrors a request already counted, so monitoring reads the log this way.
   */
  excludeShadows?: boolean;
  entityId?: string;
  /** Only predictions whose tags have this key with this value. */
  tag?: { key: string; value: string };
  /** true: only labelled predictions; false: only unlabelled; absent: both. */
  labelled?: boolean;
  /** `ok`: only served predictions; `error`: only failed requests' records; absent: both. */
  status?: PredictionStatus;
}

/** Values of the `status` filter: served predictions or failed requests. */
export const PREDICTION_STATUSES = ['ok', 'error'] as const;
/** Whether a record is a served prediction (`ok`) or a failed request (`error`). */
export type PredictionStatus = (typeof PREDICTION_STATUSES)[number];

/** Most distinct values a bucket's `distribution` lists; the rest are summed in `distributionOther`. */
export const DISTRIBUTION_TOP = 20;

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
   * The output field the prediction distribution is taken of and the realized metrics compare
   * with the label: numeric outputs give quantiles, `mae` and `accuracy` (share of labelled
   * predictions equal to their label: integer class labels), others (strings, booleans) give the
   * most frequent values and `accuracy`.
   */
  predictionField?: string;
}

/** One value of a non-numeric prediction field and how many predictions of the bucket gave it. */
export interface DistributionEntry {
  /** The string, or `true` / `false` for a boolean. */
  value: string;
  count: number;
}

/**
 * One bucket (and group) of an aggregate: a bucket appears when it holds a served prediction or
 * a failed request. Everything but `errors` and `errorRate` is over the served predictions only.
 */
export interface AggregateBucket {
  /** Bucket start (ms since the epoch). */
  start: number;
  modelVersion?: string;
  arm?: TrafficArm;
  /** Served predictions (rows). */
  count: number;
  /** Failed requests (one record each, however many rows the request had). */
  errors: number;
  /**
   * `errors / (errors + count)`: failed requests over failed requests plus served predictions.
   * With one row per request it is the request error rate; a served batch counts once per row, so
   * with batch requests it is lower than the share of requests that failed.
   */
  errorRate: number;
  /** Model latency quantiles of the served predictions (ms); absent when `count` is 0. */
  latencyP50?: number;
  latencyP95?: number;
  latencyP99?: number;
  /** Predictions with a label, and the median label delay among them (ms). */
  labelled: number;
  labelDelayP50?: number;
  /** Mean and 5th, 50th and 95th percentiles of `predictionField`, when it is numeric. */
  predictionMean?: number;
  predictionP05?: number;
  predictionP50?: number;
  predictionP95?: number;
  /**
   * When `predictionField` is not numeric: its `DISTRIBUTION_TOP` most frequent string and boolean
   * values, by count (ties: by value, in byte order), and `distributionOther`, the predictions
   * with another value (less frequent, or a JSON null, object or array).
   */
  distribution?: DistributionEntry[];
  distributionOther?: number;
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
 * that won for it (empty when none). `tags`, `input`, `output`, `error` and `label` are JSON text;
 * `error` is empty but on a failed request's record.
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
  'error',
  'label',
  'label_received_at',
  'label_delay_ms',
] as const;
