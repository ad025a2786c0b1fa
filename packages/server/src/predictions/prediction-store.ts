/**
 * The prediction log port: where served and batch predictions are stored with the labels that
 * arrive for them later, and read back joined, paged and aggregated. Embedded DuckDB by default,
 * PostgreSQL (time-partitioned) to scale out; one contract suite runs against both.
 *
 * Join rule (the same in every backend, computed when reading, so a label may arrive before its
 * prediction is flushed): a prediction's label is, among the labels of its endpoint that match
 * it, the one received last (ties: the greater `labelId`). A label matches a prediction when
 * - it names the prediction's id, or, for a shadow record, the id of the live prediction it
 *   shadows (so a shadow's realized performance comes from the live label); or
 * - it names the prediction's `entityId` and the prediction's timestamp lies in the label's
 *   window `[from, to)` (an absent bound is unbounded).
 * Labels are never overwritten or dropped: a second label for the same prediction is stored and
 * wins by arrival; a label that matches nothing is kept and listed as unmatched until it does.
 */
import type {
  ExportFormat,
  PredictionFilter,
  AggregateBucket,
  AggregateRequest,
  LabelRecord,
  LabelWriteResult,
  ServingProtocol,
  TrafficArm,
  PredictionPage,
  PredictionPageRequest,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import type { PredictionSink } from '../serving/prediction-sink.js';

/** A page request over one endpoint's unmatched labels. */
export interface UnmatchedLabelRequest {
  endpoint: string;
  limit: number;
  cursor?: string;
}

/** An export of the filtered, joined log to a file on this machine. */
export interface ExportRequest extends PredictionFilter {
  format: ExportFormat;
  /** A path the store may create (an existing file is replaced). */
  path: string;
}

/**
 * A batch job chunk's predictions as a Parquet file on this machine holds them (the job's part
 * file): per row its id, logged input and output (JSON), timestamp and latency, under `columns`;
 * the other fields are the same for every row.
 */
export interface PredictionPartImport {
  file: string;
  /** Rows the file holds; a store that finds another count stores nothing and fails. */
  rows: number;
  columns: { id: string; input: string; output: string; timestamp: string; latency: string };
  endpoint: string;
  modelName: string;
  modelVersion: string;
  arm: TrafficArm;
  protocol: ServingProtocol;
  requestId: string;
  jobId: string;
}

/** The prediction log and its labels. */
export interface PredictionStore extends PredictionSink {
  /** Durably stores `labels` (all or none); reports how many match a logged prediction now. */
  writeLabels(labels: readonly LabelRecord[]): Promise<LabelWriteResult>;
  /** Predictions matching the filter, newest first (timestamp, then prediction id), with labels. */
  queryPredictions(request: PredictionPageRequest): Promise<PredictionPage>;
  /** Labels of the endpoint that match no logged prediction now, newest first. */
  unmatchedLabels(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage>;
  /** Time-bucket aggregates over the filtered, joined log; empty buckets are left out. */
  aggregate(request: AggregateRequest): Promise<AggregateBucket[]>;
  /** Writes the filtered, joined log to `request.path` (columns: `EXPORT_COLUMNS`); returns the row count. */
  exportWindow(request: ExportRequest): Promise<{ rows: number }>;
  /** Deletes predictions older than `before` (ms) and labels received before it; returns predictions deleted. */
  deleteBefore(before: number): Promise<number>;
  /**
   * Durably stores the predictions of a part file (all or none), read in place by the store;
   * stores that cannot read such files leave it out and are written records instead.
   */
  importPart?(part: PredictionPartImport): Promise<void>;
}
