/**
 * The batch I/O port: everything batch scoring needs from files, so the engine (batch-score.ts)
 * stays pure logic. The DuckDB adapter lives in storage/batch/duckdb-batch-io.ts.
 *
 * Rules every adapter keeps:
 * - reads are streamed: `readRange` holds at most one batch of rows (plus the reader's own
 *   buffers), never the whole file;
 * - every file a writer produces appears complete or not at all (written under a temporary name,
 *   then renamed), so a crash never leaves a half-written part or output that looks finished;
 * - values come out of inputs as plain JavaScript: numbers (64-bit integers beyond 2^53 as decimal
 *   strings), strings (dates and timestamps as ISO 8601), booleans, arrays, objects and null.
 */
import type { BatchFormat } from '@slipway/contracts';
import type { InputRow } from '../../runtimes/runtime.js';

/**
 * How a column's values are stored in part and output files. `json` holds any value as JSON text;
 * `double[]` / `integer[]` are list columns (JSON arrays in CSV output).
 */
export const BATCH_COLUMN_KINDS = [
  'boolean',
  'integer',
  'double',
  'string',
  'json',
  'double[]',
  'integer[]',
] as const;
/** One storage kind of a column. */
export type BatchColumnKind = (typeof BATCH_COLUMN_KINDS)[number];

/** One column of an input file. */
export interface BatchInputColumn {
  name: string;
  /** The storage kind its values are written back with (passthrough). */
  kind: BatchColumnKind;
  /** The reader's own type name (e.g. `DOUBLE`, `VARCHAR`), for messages. */
  type: string;
}

/** What `describe` found in an input file. */
export interface BatchInputDescription {
  /** Data rows (a CSV header is not a row). */
  rows: number;
  columns: BatchInputColumn[];
}

/** One column of a part file: its values, one per row, in row order. */
export interface BatchColumnData {
  name: string;
  kind: BatchColumnKind;
  /**
   * For `double[]`: every row's list has exactly this many elements (the contract's per-row
   * shape), which lets an adapter store the column as that many scalar columns.
   */
  width?: number;
  /**
   * With `width`: `values` holds `width` numbers per row, row-major (rowCount × width values)
   * instead of one array per row, so no per-row arrays are built.
   */
  flat?: boolean;
  values: ArrayLike<unknown>;
}

/** One batch read column-wise: `columns[name][i]` is the value of row i, as `readRange` gives it. */
export interface ColumnsBatch {
  length: number;
  columns: Record<string, unknown[]>;
}

/**
 * Columns a part file carries only for the prediction log (see `PartLog`); finalize leaves every
 * column whose name starts with `PART_LOG_PREFIX` out of the output.
 */
export const PART_LOG_PREFIX = '__slipway_log_';
/** The names of those columns: the logged input and output objects (JSON), timestamp and latency. */
export const PART_LOG_COLUMNS = {
  input: `${PART_LOG_PREFIX}input`,
  output: `${PART_LOG_PREFIX}output`,
  timestamp: `${PART_LOG_PREFIX}ts`,
  latency: `${PART_LOG_PREFIX}latency_ms`,
} as const;
/** The output column holding each row's prediction id when predictions are logged. */
export const PREDICTION_ID_COLUMN = 'prediction_id';

/** One field of a logged input object: the part column of that name, or values of its own. */
export interface LoggedInput {
  name: string;
  /** Absent: the value is the part column `name` (a passthrough column). */
  column?: BatchColumnData;
}

/**
 * The prediction log's share of a part, so the log can be stored from the file instead of one
 * record object per row: the adapter adds the `PART_LOG_COLUMNS`, built column-wise.
 */
export interface PartRecords {
  /** The fields of each row's logged input object, in order. */
  inputs: readonly LoggedInput[];
  /** The part columns (model outputs) that make up each row's logged output object, in order. */
  outputs: readonly string[];
  /** Per row: when its model call started (ms since the epoch) and how long it took (ms). */
  timestamps: ArrayLike<number>;
  latencies: ArrayLike<number>;
}

/** A part of a logged job: its first column is `PREDICTION_ID_COLUMN`, `<idPrefix><row>` per row. */
export interface PartLog {
  idPrefix: string;
  /** Each part row's input row number. */
  rows: ArrayLike<number>;
  /** When the log is stored from the part file: the columns it reads. */
  records?: PartRecords;
}

/** One rejected input row, as a line of the rejects file. */
export interface RejectLine {
  /** 0-based data row of the input. */
  row: number;
  /** The column that refused the row. */
  field: string;
  reason: string;
  input: InputRow;
}

/** A streamed read of `[start, end)` of an input. */
export interface RangeRead {
  /** The input file. */
  path: string;
  format: BatchFormat;
  /** Columns to read, in this order (each must exist in the file). */
  columns: readonly string[];
  start: number;
  end: number;
  /** Rows per yielded batch (the last may be shorter). */
  batchRows: number;
}

/** File access of batch scoring. Errors are SlipwayErrors naming `field` where one is taken. */
export interface BatchIo {
  /**
   * Rows and columns of `path` read as `format`. A missing file is NOT_FOUND, an unreadable one
   * (not Parquet, ragged CSV, malformed JSON) INVALID_ARGUMENT; both name `field` and the file.
   * With `countRows: false` only the columns are read and `rows` is -1.
   */
  describe(
    path: string,
    format: BatchFormat,
    field: string,
    options?: { countRows?: boolean },
  ): Promise<BatchInputDescription>;
  /** Streams the rows of a range in batches of `batchRows` rows (plain objects keyed by column). */
  readRange(read: RangeRead): AsyncIterable<InputRow[]>;
  /** `readRange` column-wise: the same batches and values, one array per column, no row objects. */
  readColumns(read: RangeRead): AsyncIterable<ColumnsBatch>;
  /**
   * Writes one chunk's scored rows to part file `path` (always Parquet); with `log`, the
   * prediction id column first and, with `log.records`, the `PART_LOG_COLUMNS` last.
   */
  writePart(
    path: string,
    columns: readonly BatchColumnData[],
    rowCount: number,
    log?: PartLog,
  ): Promise<void>;
  /** Writes one chunk's rejected rows to `path` as JSON lines. */
  writeRejects(path: string, lines: readonly RejectLine[]): Promise<void>;
  /**
   * Concatenates part files, in the given order, into `output` as `format`; returns the rows
   * written. Writes `<output>.partial` and renames it, replacing an existing `output`.
   */
  concatParts(parts: readonly string[], output: string, format: BatchFormat): Promise<number>;
  /** Concatenates JSON-lines files, in order, into `output` (through `<output>.partial`). */
  concatLines(files: readonly string[], output: string): Promise<void>;
  /** True when something exists at `path`. */
  exists(path: string): Promise<boolean>;
  /** True when `path` is an existing directory. */
  isDirectory(path: string): Promise<boolean>;
  /** Creates directory `path` and its parents when missing. */
  makeDirectory(path: string): Promise<void>;
  /** Removes a file, or a directory with its contents; nothing when absent. */
  remove(path: string): Promise<void>;
  /** Removes directory `path` when it exists and is empty; nothing otherwise. */
  removeEmptyDirectory(path: string): Promise<void>;
}
