/**
 * The dataset reader port: a local CSV, JSONL or Parquet file in, rows and their column types out.
 * Evaluation and baseline fitting read data only through it; the adapter is storage/datasets.
 */
import type { DatasetFormat, FieldType } from '@slipway/contracts';
import type { InputRow } from '../runtimes/runtime.js';

/** One column of a dataset as the reader typed it. */
export interface DatasetColumn {
  name: string;
  type: FieldType;
  /** True when any value is null or missing. */
  nullable: boolean;
}

/** A dataset read into memory. */
export interface Dataset {
  columns: DatasetColumn[];
  rows: InputRow[];
}

/** Reads datasets from local files. */
export interface DatasetReader {
  /**
   * Reads `file` as `format`. Refusals (unreadable, malformed, too many rows) are INVALID_ARGUMENT
   * naming `field`; values are numbers, strings, booleans or null (dates become ISO 8601 strings).
   */
  read(file: string, format: DatasetFormat, field: string): Promise<Dataset>;
}
