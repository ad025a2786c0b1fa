/**
 * Kysely table types of the tracking schema (see migrations.ts for the DDL and docs/storage.md for
 * the design). Column names are snake_case as in the database.
 */
import type { ColumnType, Generated } from 'kysely';
import type { EndpointTables } from './endpoint-schema.js';
import type { EvaluationTables } from './evaluation-schema.js';
import type { JobTables } from './job-schema.js';
import type { MonitoringTables } from './monitoring-schema.js';
import type { RegistryTables } from './registry-schema.js';
import type { WebhookTables } from './webhook-schema.js';

/** An int64 column: PostgreSQL returns bigint as a string, SQLite as a number; written as a number. */
export type Int64Column = ColumnType<number | string, number, number>;

/** A nullable int64 column. */
export type NullableInt64Column = ColumnType<number | string | null, number | null, number | null>;

/** `experiments`: one row per experiment; ids come from the database (identity / autoincrement). */
export interface ExperimentsTable {
  experiment_id: Generated<number | string>;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: Int64Column;
  last_update_time: Int64Column;
}

/** `experiment_tags`: (experiment_id, key) primary key. */
export interface ExperimentTagsTable {
  experiment_id: Int64Column;
  key: string;
  value: string;
}

/** `runs`: one row per run; `run_id` is the primary key. */
export interface RunsTable {
  run_id: string;
  experiment_id: Int64Column;
  name: string;
  user_id: string;
  status: string;
  start_time: Int64Column;
  end_time: NullableInt64Column;
  deleted_time: NullableInt64Column;
  artifact_uri: string;
  lifecycle_stage: string;
}

/** `params` and `tags`: (run_id, key) primary key. */
export interface RunKeyValueTable {
  run_id: string;
  key: string;
  value: string;
}

/** `metrics` (full history) and `latest_metrics` (one row per run and key). NaN is `value = 0, is_nan = 1`. */
export interface MetricsTable {
  run_id: string;
  key: string;
  step: Int64Column;
  timestamp: Int64Column;
  value: number;
  is_nan: number;
}

/** `datasets`: unique per (experiment_id, name, digest). */
export interface DatasetsTable {
  dataset_id: string;
  experiment_id: Int64Column;
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema: string | null;
  profile: string | null;
}

/** `inputs`: a dataset consumed by a run, unique per (run_id, dataset_id). */
export interface InputsTable {
  input_id: string;
  run_id: string;
  dataset_id: string;
}

/** `input_tags`: (input_id, name) primary key. */
export interface InputTagsTable {
  input_id: string;
  name: string;
  value: string;
}

/** Every table of the metadata database (tracking plus the later stages' tables), as Kysely sees it. */
export interface TrackingDatabase
  extends RegistryTables, WebhookTables, EvaluationTables, EndpointTables, JobTables, MonitoringTables {
  experiments: ExperimentsTable;
  experiment_tags: ExperimentTagsTable;
  runs: RunsTable;
  params: RunKeyValueTable;
  tags: RunKeyValueTable;
  metrics: MetricsTable;
  latest_metrics: MetricsTable;
  datasets: DatasetsTable;
  inputs: InputsTable;
  input_tags: InputTagsTable;
}
