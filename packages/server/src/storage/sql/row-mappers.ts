/**
 * Row ↔ domain conversions. The adapter boundary for int64s: PostgreSQL returns bigint and count
 * as strings, SQLite as numbers; domain types always carry numbers.
 */
import type { Experiment, LifecycleStage, Metric, RunInfo, RunStatus, StringMap } from '@slipway/contracts';
import type { MetricRow } from './sql-backend.js';

/** An int64 as returned by either driver. */
export type DbInt64 = number | string | bigint;

/** Converts a driver int64 to a number (exact up to 2^53, which covers ms timestamps and steps). */
export function toInt64(value: DbInt64): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Like toInt64, keeping NULL as null. */
export function toNullableInt64(value: DbInt64 | null): number | null {
  return value === null ? null : toInt64(value);
}

/** An `experiments` row as selected. */
export interface ExperimentRow {
  experiment_id: DbInt64;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: DbInt64;
  last_update_time: DbInt64;
}

/** Builds the domain experiment from its row and tags. */
export function experimentFromRow(row: ExperimentRow, tags: StringMap): Experiment {
  return {
    experimentId: String(row.experiment_id),
    name: row.name,
    artifactLocation: row.artifact_location,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
    creationTime: toInt64(row.creation_time),
    lastUpdateTime: toInt64(row.last_update_time),
    tags,
  };
}

/** A `runs` row as selected (deleted_time is internal and not part of RunInfo). */
export interface RunRow {
  run_id: string;
  experiment_id: DbInt64;
  name: string;
  user_id: string;
  status: string;
  start_time: DbInt64;
  end_time: DbInt64 | null;
  artifact_uri: string;
  lifecycle_stage: string;
}

/** Builds the domain run info from its row. */
export function runInfoFromRow(row: RunRow): RunInfo {
  return {
    runId: row.run_id,
    experimentId: String(row.experiment_id),
    runName: row.name,
    userId: row.user_id,
    status: row.status as RunStatus,
    startTime: toInt64(row.start_time),
    endTime: toNullableInt64(row.end_time),
    artifactUri: row.artifact_uri,
    lifecycleStage: row.lifecycle_stage as LifecycleStage,
  };
}

/** A `metrics` / `latest_metrics` row as selected. */
export interface MetricDbRow {
  key: string;
  value: number;
  is_nan: number;
  timestamp: DbInt64;
  step: DbInt64;
}

/** Builds a domain metric from its row (restoring NaN). */
export function metricFromRow(row: MetricDbRow): Metric {
  return {
    key: row.key,
    value: row.is_nan ? Number.NaN : row.value,
    timestamp: toInt64(row.timestamp),
    step: toInt64(row.step),
  };
}

/** The storage form of a domain metric (NaN as value 0 plus a flag, as MLflow stores it). */
export function metricToRow(metric: Metric): MetricRow {
  const isNan = Number.isNaN(metric.value);
  return {
    key: metric.key,
    value: isNan ? 0 : metric.value,
    isNan: isNan ? 1 : 0,
    timestamp: metric.timestamp,
    step: metric.step,
  };
}

/**
 * Metric history from parallel JSON arrays. A null value is NaN; PostgreSQL writes ±Infinity as
 * the strings "Infinity" / "-Infinity" (SQLite as ±9e999, which JSON.parse already reads as ±Infinity).
 */
export function metricsFromColumns(
  key: string,
  steps: readonly number[],
  timestamps: readonly number[],
  values: readonly (number | string | null)[],
): Metric[] {
  const metrics = new Array<Metric>(steps.length);
  for (let i = 0; i < steps.length; i++) {
    const value = values[i] ?? null;
    metrics[i] = {
      key,
      value: value === null ? Number.NaN : Number(value),
      timestamp: timestamps[i] as number,
      step: steps[i] as number,
    };
  }
  return metrics;
}
