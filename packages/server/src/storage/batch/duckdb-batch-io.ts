/**
 * The batch I/O adapter: DuckDB's CSV, JSON and Parquet readers and writers behind the BatchIo port.
 * One in-memory DuckDB serves every call; each read stream and each write takes its own connection,
 * since a new query on a connection would invalidate a result still being streamed on it.
 *
 * Part files are always Parquet (typed, columnar, cheap to concatenate). Input paths reach SQL as
 * bound parameters; COPY takes none, so output and part paths are written as escaped SQL literals
 * (single quotes doubled) and column names as escaped identifiers.
 */
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBStructValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  LIST,
  listValue,
  VARCHAR,
} from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBType, DuckDBValue, DuckDBVector } from '@duckdb/node-api';
import bindings from '@duckdb/node-bindings';
import { invalidArgument, SlipwayError, type BatchFormat } from '@slipway/contracts';
import type {
  BatchColumnData,
  BatchColumnKind,
  BatchInputColumn,
  BatchInputDescription,
  BatchIo,
  ColumnsBatch,
  PartLog,
  PartRecords,
  RangeRead,
  RejectLine,
} from '../../jobs/batch/batch-io.js';
import { PART_LOG_COLUMNS, PART_LOG_PREFIX, PREDICTION_ID_COLUMN } from '../../jobs/batch/batch-io.js';
import type { InputRow } from '../../runtimes/runtime.js';
import { canEncodeParquetPart, encodeParquetPart } from './parquet-part.js';

/** The table function call per format; the path is always the bound parameter `$1`. */
const READ_FUNCTION: Record<BatchFormat, string> = {
  // The delimiter is fixed so a ragged file fails loudly instead of being sniffed as one column.
  csv: "read_csv($1, delim = ',', quote = '\"', escape = '\"', header = true)",
  jsonl: "read_json($1, format = 'newline_delimited')",
  parquet: 'read_parquet($1)',
};

/** The CSV read of `firstCsvError`: same dialect, malformed lines kept in `reject_errors`. */
const CSV_WITH_REJECTS =
  "read_csv($1, delim = ',', quote = '\"', escape = '\"', header = true, store_rejects = true)";

const COPY_OPTIONS: Record<BatchFormat, string> = {
  csv: 'FORMAT csv, HEADER true',
  jsonl: 'FORMAT json',
  parquet: 'FORMAT parquet',
};

/** Rows of one DuckDB data chunk (its standard vector size). */
const VECTOR_SIZE = 2048;

const STORAGE_TYPES: Record<BatchColumnKind, DuckDBType> = {
  boolean: BOOLEAN,
  integer: BIGINT,
  double: DOUBLE,
  string: VARCHAR,
  // JSON's physical type is VARCHAR; the column is declared JSON (see COLUMN_DDL).
  json: VARCHAR,
  'double[]': LIST(DOUBLE),
  'integer[]': LIST(BIGINT),
};

/** SQL type of each kind in the part table's DDL; JSON text stays JSON in Parquet and JSON output. */
const COLUMN_DDL: Record<BatchColumnKind, string> = {
  boolean: 'BOOLEAN',
  integer: 'BIGINT',
  double: 'DOUBLE',
  string: 'VARCHAR',
  json: 'JSON',
  'double[]': 'DOUBLE[]',
  'integer[]': 'BIGINT[]',
};

const PLAIN_KINDS: Partial<Record<DuckDBTypeId, BatchColumnKind>> = {
  [DuckDBTypeId.BOOLEAN]: 'boolean',
  [DuckDBTypeId.TINYINT]: 'integer',
  [DuckDBTypeId.SMALLINT]: 'integer',
  [DuckDBTypeId.INTEGER]: 'integer',
  [DuckDBTypeId.UTINYINT]: 'integer',
  [DuckDBTypeId.USMALLINT]: 'integer',
  [DuckDBTypeId.UINTEGER]: 'integer',
  [DuckDBTypeId.FLOAT]: 'double',
  [DuckDBTypeId.DOUBLE]: 'double',
  [DuckDBTypeId.VARCHAR]: 'string',
};

const BIG_INTEGER_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
]);

const TIMESTAMP_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

const MS_PER_DAY = 86_400_000;

/** Turns one non-null DuckDB value into the plain value rows carry. */
type Convert = (value: DuckDBValue) => unknown;

/** Options of `DuckDbBatchIo`. */
export interface DuckDbBatchIoOptions {
  /** DuckDB worker threads; DuckDB's default (the core count) when absent. */
  threads?: number;
  /** DuckDB's memory limit (beyond it, it spills to the temp directory). Default `128MB`. */
  memoryLimit?: string;
}

/** DuckDB's default is 80 % of RAM; streaming reads and COPY need little, and workers share hosts. */
const DEFAULT_MEMORY_LIMIT = '128MB';

/** BatchIo over an embedded in-memory DuckDB and the local file system. */
export class DuckDbBatchIo implements BatchIo {
  private instance: Promise<DuckDBInstance> | undefined;
  /**
   * Where DuckDB spills beyond its memory limit: one directory per instance, since DuckDB names
   * its spill files the same in every process and two workers on one host would overwrite each
   * other's.
   */
  private readonly spillDirectory = join(tmpdir(), `slipway-batch-duckdb-${process.pid}-${randomUUID()}`);

  constructor(private readonly options: DuckDbBatchIoOptions = {}) {}

  /** Rows and columns of an input; refusals name `field` and the file. */
  async describe(
    path: string,
    format: BatchFormat,
    field: string,
    options: { countRows?: boolean } = {},
  ): Promise<BatchInputDescription> {
    const file = resolve(path);
    await checkInput(file, path, field);
    return this.withConnection(async (connection) => {
      const probe = await readOrRefuse(
        path,
        format,
        field,
        () => connection.run(`SELECT * FROM ${READ_FUNCTION[format]} LIMIT 0`, [file]),
        format === 'csv' ? () => firstCsvError(connection, file) : undefined,
      );
      const names = probe.columnNames();
      const types = probe.columnTypes();
      const columns = names.map((name, i) => inputColumn(name, types[i] as DuckDBType, path, field));
      if (options.countRows === false) return { rows: -1, columns };
      const counted = await readOrRefuse(path, format, field, () =>
        connection.runAndReadAll(`SELECT count(*) FROM ${READ_FUNCTION[format]}`, [file]),
      );
      return { rows: Number(counted.getRows()[0]?.[0] ?? 0), columns };
    });
  }

  /** Streams `[start, end)` in batches; Parquet by row number, CSV and JSON lines by OFFSET/LIMIT. */
  async *readRange(read: RangeRead): AsyncGenerator<InputRow[]> {
    const { connection, result } = await this.openRange(read);
    try {
      const converters = result.columnTypes().map(converterOf);
      const names = result.columnNames();
      let batch: InputRow[] = [];
      for (;;) {
        const chunk = await readOrRefuse(read.path, read.format, 'input', () => result.fetchChunk());
        if (chunk === null || chunk.rowCount === 0) break;
        const vectors = names.map((_, c) => chunk.getColumnVector(c));
        const count = chunk.rowCount;
        for (let r = 0; r < count; r++) {
          batch.push(rowAt(names, vectors, converters, r));
          if (batch.length === read.batchRows) {
            yield batch;
            batch = [];
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      connection.closeSync();
    }
  }

  /** `readRange` column-wise: each vector's values go straight into per-column arrays. */
  async *readColumns(read: RangeRead): AsyncGenerator<ColumnsBatch> {
    const { connection, result } = await this.openRange(read);
    try {
      const converters = result.columnTypes().map(converterOf);
      const names = result.columnNames();
      let batch = emptyColumns(names);
      for (;;) {
        const chunk = await readOrRefuse(read.path, read.format, 'input', () => result.fetchChunk());
        if (chunk === null || chunk.rowCount === 0) break;
        const vectors = names.map((_, c) => chunk.getColumnVector(c));
        const count = chunk.rowCount;
        for (let r = 0; r < count;) {
          const take = Math.min(count - r, read.batchRows - batch.length);
          for (let c = 0; c < names.length; c++) {
            const values = batch.columns[names[c] as string] as unknown[];
            fillValues(values, vectors[c] as DuckDBVector, converters[c], r, r + take);
          }
          batch.length += take;
          r += take;
          if (batch.length === read.batchRows) {
            yield batch;
            batch = emptyColumns(names);
          }
        }
      }
      if (batch.length > 0) yield batch;
    } finally {
      connection.closeSync();
    }
  }

  /** The streamed result of a range read, on a connection of its own (the caller closes it). */
  private async openRange(
    read: RangeRead,
  ): Promise<{ connection: DuckDBConnection; result: Awaited<ReturnType<DuckDBConnection['stream']>> }> {
    const file = resolve(read.path);
    const select = read.columns.map(identifier).join(', ');
    const sql =
      read.format === 'parquet'
        ? `SELECT ${select} FROM read_parquet($1, file_row_number = true) WHERE file_row_number >= $2 AND file_row_number < $3`
        : `SELECT ${select} FROM ${READ_FUNCTION[read.format]} LIMIT $3 OFFSET $2`;
    const params =
      read.format === 'parquet'
        ? [file, BigInt(read.start), BigInt(read.end)]
        : [file, BigInt(read.start), BigInt(read.end - read.start)];
    const connection = await this.connect();
    try {
      const result = await readOrRefuse(read.path, read.format, 'input', () =>
        connection.stream(sql, params),
      );
      return { connection, result };
    } catch (error) {
      connection.closeSync();
      throw error;
    }
  }

  /**
   * Appends the columns to a scratch table and copies it to Parquet under a temporary name. The
   * prediction ids and the log's JSON objects are built by that COPY, in DuckDB, not value by value.
   */
  async writePart(
    path: string,
    given: readonly BatchColumnData[],
    rowCount: number,
    log?: PartLog,
  ): Promise<void> {
    const stored = given.map((column) => storedColumns(column, rowCount));
    if (log?.records === undefined) {
      const columns = [...(log ? [predictionIds(log)] : []), ...stored.flat()];
      if (canEncodeParquetPart(columns, rowCount)) return writeEncodedPart(path, columns, rowCount);
    }
    const scratch = [...(log ? logScratchColumns(log) : []), ...stored.flat()];
    const raw = scratch.map(rawNumbers);
    const table = `part_${randomUUID().replaceAll('-', '')}`;
    const types = scratch.map((c, i) => (raw[i] === undefined ? STORAGE_TYPES[c.kind] : DOUBLE));
    const temporary = `${path}.tmp-${randomUUID()}`;
    const select = [
      ...(log
        ? [
            `${literal(log.idPrefix)} || CAST(${identifier(ROW_COLUMN)} AS BIGINT) AS ${identifier(PREDICTION_ID_COLUMN)}`,
          ]
        : []),
      ...stored.flat().map((c) => identifier(c.name)),
      ...(log?.records ? logSelect(log.records, given, stored) : []),
    ];
    await this.withConnection(async (connection) => {
      const definition = scratch.map(
        (c, i) => `${identifier(c.name)} ${raw[i] === undefined ? COLUMN_DDL[c.kind] : 'DOUBLE'}`,
      );
      await connection.run(`CREATE TABLE ${table} (${definition.join(', ')})`);
      try {
        await appendColumns(connection, table, scratch, types, rowCount, raw);
        // Whole numbers sent as doubles become BIGINT again before anything reads them.
        const casts = scratch
          .filter((c, i) => raw[i] !== undefined && c.kind === 'integer')
          .map((c) => `CAST(${identifier(c.name)} AS BIGINT) AS ${identifier(c.name)}`);
        const source = casts.length === 0 ? table : `(SELECT * REPLACE (${casts.join(', ')}) FROM ${table})`;
        // Parts are read once, locally, by finalize: compressing them would only cost CPU.
        await connection.run(
          `COPY (SELECT ${select.join(', ')} FROM ${source}) TO ${literal(temporary)} (FORMAT parquet, COMPRESSION uncompressed)`,
        );
      } finally {
        await connection.run(`DROP TABLE IF EXISTS ${table}`);
      }
    });
    await rename(temporary, path);
  }

  /** Writes reject lines as JSON lines under a temporary name, then renames. */
  async writeRejects(path: string, lines: readonly RejectLine[]): Promise<void> {
    const text = lines.map((line) => JSON.stringify(line, jsonSafe)).join('\n') + '\n';
    const temporary = `${path}.tmp-${randomUUID()}`;
    await writeFile(temporary, text);
    await rename(temporary, path);
  }

  /** Concatenates Parquet parts in order into `<output>.partial`, then renames it to `output`. */
  async concatParts(parts: readonly string[], output: string, format: BatchFormat): Promise<number> {
    if (parts.length === 0) {
      throw new SlipwayError('FAILED_PRECONDITION', `No part files to concatenate into '${output}'`);
    }
    const partial = `${output}.partial`;
    const source = `read_parquet([${parts.map((p) => literal(resolve(p))).join(', ')}], union_by_name = true)`;
    const rows = await this.withConnection(async (connection) => {
      const select = await outputSelect(connection, source, format);
      const copied = await connection.runAndReadAll(
        `COPY (SELECT ${select} FROM ${source}) TO ${literal(resolve(partial))} (${COPY_OPTIONS[format]})`,
      );
      return Number(copied.getRows()[0]?.[0] ?? 0);
    });
    await rename(partial, output);
    return rows;
  }

  /** Appends files byte for byte into `<output>.partial`, then renames it to `output`. */
  async concatLines(files: readonly string[], output: string): Promise<void> {
    const partial = `${output}.partial`;
    const handle = await open(partial, 'w');
    try {
      for (const file of files) {
        for await (const piece of createReadStream(file)) await handle.write(piece as Buffer);
      }
    } finally {
      await handle.close();
    }
    await rename(partial, output);
  }

  /** True when something exists at `path`. */
  async exists(path: string): Promise<boolean> {
    return (await statOrUndefined(path)) !== undefined;
  }

  /** True when `path` is a directory. */
  async isDirectory(path: string): Promise<boolean> {
    return (await statOrUndefined(path))?.isDirectory() ?? false;
  }

  /** mkdir -p. */
  async makeDirectory(path: string): Promise<void> {
    await mkdir(path, { recursive: true });
  }

  /** rm -rf. */
  async remove(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
  }

  /** rmdir, ignoring a missing or non-empty directory. */
  async removeEmptyDirectory(path: string): Promise<void> {
    await rmdir(path).catch((error: unknown) => {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
    });
  }

  /** Closes the embedded database. */
  async close(): Promise<void> {
    const instance = this.instance;
    this.instance = undefined;
    if (instance) (await instance).closeSync();
    await rm(this.spillDirectory, { recursive: true, force: true });
  }

  private async connect(): Promise<DuckDBConnection> {
    this.instance ??= DuckDBInstance.create(':memory:', {
      // Nothing here needs an extension beyond the built-in readers; never fetch one at run time.
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'false',
      // Each input is streamed once: caching its bytes would only grow the process by its size.
      enable_external_file_cache: 'false',
      memory_limit: this.options.memoryLimit ?? DEFAULT_MEMORY_LIMIT,
      temp_directory: this.spillDirectory,
      ...(this.options.threads === undefined ? {} : { threads: String(this.options.threads) }),
    });
    return (await this.instance).connect();
  }

  private async withConnection<T>(work: (connection: DuckDBConnection) => Promise<T>): Promise<T> {
    const connection = await this.connect();
    try {
      return await work(connection);
    } finally {
      connection.closeSync();
    }
  }
}

/** A missing file is NOT_FOUND; a directory or an empty file cannot be an input. */
async function checkInput(file: string, path: string, field: string): Promise<void> {
  const info = await stat(file).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SlipwayError('NOT_FOUND', `Input '${path}' does not exist`, { field });
    throw invalidArgument(field, `Input '${path}' cannot be read: ${messageOf(error)}`);
  });
  if (!info.isFile()) throw invalidArgument(field, `Input '${path}' is not a regular file`);
  if (info.size === 0) throw invalidArgument(field, `Input '${path}' is empty`);
}

async function statOrUndefined(path: string): Promise<Awaited<ReturnType<typeof stat>> | undefined> {
  return stat(path).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  });
}

/**
 * Runs a read; DuckDB's errors become INVALID_ARGUMENT naming the field and the file, with the
 * reason `explain` finds when it finds one (else DuckDB's own).
 */
async function readOrRefuse<T>(
  path: string,
  format: BatchFormat,
  field: string,
  read: () => Promise<T>,
  explain?: () => Promise<string | undefined>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    const reason = (await explain?.().catch(() => undefined)) ?? reasonOf(error);
    throw invalidArgument(field, `Input '${basename(path)}' is not readable as ${format}: ${reason}`, {
      file: path,
    });
  }
}

/**
 * When a ragged line falls inside the sniffer's sample, DuckDB only says it could not detect the
 * dialect. Read again keeping rejects, and name the first rejected line the way DuckDB names one
 * found past the sample.
 */
async function firstCsvError(connection: DuckDBConnection, file: string): Promise<string | undefined> {
  await connection.run(`SELECT count(*) FROM ${CSV_WITH_REJECTS}`, [file]);
  const found = await connection.runAndReadAll(
    'SELECT line, error_message FROM reject_errors ORDER BY line LIMIT 1',
  );
  const [line, message] = found.getRows()[0] ?? [];
  return line === undefined ? undefined : `CSV Error on Line: ${String(line)}; ${String(message)}`;
}

/**
 * DuckDB's first line is the reason; for CSV errors the next lines say where (`CSV Error on Line:
 * 4`, the expected and found column counts), so those are kept; the echoed SQL and hints are not.
 */
function reasonOf(error: unknown): string {
  const lines = messageOf(error)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const first = lines[0] ?? '';
  if (!/CSV Error/i.test(first)) return first;
  const detail = lines.slice(1).find((l) => /^Expected Number of Columns/i.test(l));
  return detail === undefined ? first : `${first}; ${detail}`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function inputColumn(name: string, type: DuckDBType, path: string, field: string): BatchInputColumn {
  // An own `__proto__` key would replace the prototype of every row object.
  if (name === '__proto__') throw invalidArgument(field, `Input '${path}' has a column named '__proto__'`);
  return { name, kind: kindOf(type.typeId), type: type.toString() };
}

function kindOf(typeId: DuckDBTypeId): BatchColumnKind {
  const plain = PLAIN_KINDS[typeId];
  if (plain) return plain;
  if (BIG_INTEGER_TYPES.has(typeId)) return 'integer';
  if (typeId === DuckDBTypeId.DECIMAL) return 'double';
  if (typeId === DuckDBTypeId.DATE || TIMESTAMP_TYPES.has(typeId) || typeId === DuckDBTypeId.SQLNULL) {
    return 'string';
  }
  if (typeId === DuckDBTypeId.LIST || typeId === DuckDBTypeId.ARRAY || typeId === DuckDBTypeId.STRUCT) {
    return 'json';
  }
  return 'string';
}

/** The converter of one column, chosen once; undefined when DuckDB's value is already plain. */
function converterOf(type: DuckDBType): Convert | undefined {
  const id = type.typeId;
  if (PLAIN_KINDS[id] !== undefined || id === DuckDBTypeId.SQLNULL) return undefined;
  if (BIG_INTEGER_TYPES.has(id)) return bigIntegerToPlain;
  return toPlain;
}

function bigIntegerToPlain(value: DuckDBValue): unknown {
  const n = Number(value);
  // Beyond 2^53 a number would silently change the value; the contract validator takes decimal strings.
  return Number.isSafeInteger(n) ? n : String(value);
}

/** Any DuckDB value as a plain JavaScript value (lists → arrays, structs → objects, dates → ISO). */
function toPlain(value: DuckDBValue): unknown {
  if (value === null || typeof value !== 'object') {
    return typeof value === 'bigint' ? bigIntegerToPlain(value) : value;
  }
  if (value instanceof DuckDBDecimalValue) return value.toDouble();
  if (value instanceof DuckDBListValue) return value.items.map(toPlain);
  if (value instanceof DuckDBStructValue) {
    return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toPlain(v)]));
  }
  if (value instanceof DuckDBDateValue) return new Date(value.days * MS_PER_DAY).toISOString().slice(0, 10);
  const millis = epochMillis(value);
  if (!Number.isNaN(millis)) return new Date(millis).toISOString();
  if ('items' in value && Array.isArray((value as { items: unknown }).items)) {
    return ((value as { items: DuckDBValue[] }).items ?? []).map(toPlain);
  }
  return String(value);
}

function epochMillis(value: DuckDBValue): number {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return Number(value.micros / 1000n);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return Number(value.millis);
  if (value instanceof DuckDBTimestampSecondsValue) return Number(value.seconds) * 1000;
  if (value instanceof DuckDBTimestampNanosecondsValue) return Number(value.nanos / 1_000_000n);
  return Number.NaN;
}

function rowAt(
  names: readonly string[],
  vectors: readonly DuckDBVector[],
  converters: readonly (Convert | undefined)[],
  r: number,
): InputRow {
  const row: Record<string, unknown> = {};
  for (let c = 0; c < names.length; c++) {
    const value = (vectors[c] as DuckDBVector).getItem(r);
    const convert = converters[c];
    row[names[c] as string] = value === null || convert === undefined ? value : convert(value);
  }
  return row;
}

function emptyColumns(names: readonly string[]): ColumnsBatch {
  const columns: Record<string, unknown[]> = {};
  for (const name of names) columns[name] = [];
  return { length: 0, columns };
}

/** Appends rows [from, to) of a vector, converted as `rowAt` converts them. */
function fillValues(
  values: unknown[],
  vector: DuckDBVector,
  convert: Convert | undefined,
  from: number,
  to: number,
): void {
  if (convert === undefined) {
    for (let r = from; r < to; r++) values.push(vector.getItem(r));
    return;
  }
  for (let r = from; r < to; r++) {
    const value = vector.getItem(r);
    values.push(value === null ? value : convert(value));
  }
}

/**
 * A numeric column's values as doubles, when they can go to DuckDB as raw vector memory: every
 * value a number (for `integer`, a safe integer, exact as a double). Undefined otherwise (nulls,
 * text, big integers), and the column goes value by value through its encoder.
 */
function rawNumbers(column: BatchColumnData): Float64Array | undefined {
  const { kind, values } = column;
  if (kind !== 'double' && kind !== 'integer') return undefined;
  if (kind === 'double' && values instanceof Float64Array) return values;
  const check = kind === 'double' ? isNumber : Number.isSafeInteger;
  for (let i = 0; i < values.length; i++) if (!check(values[i])) return undefined;
  return Float64Array.from(values as ArrayLike<number>);
}

/**
 * Fills the scratch table one vector-sized data chunk at a time, column by column; `raw` columns
 * are copied into the vector's memory in one call (node-api's setters take one value at a time).
 */
async function appendColumns(
  connection: DuckDBConnection,
  table: string,
  columns: readonly BatchColumnData[],
  types: readonly DuckDBType[],
  rowCount: number,
  raw: readonly (Float64Array | undefined)[],
): Promise<void> {
  if (rowCount === 0) return;
  const appender = await connection.createAppender(table);
  try {
    const encoders = columns.map((c) => encoderOf(c.kind, c.name));
    // The appender copies a chunk when it is appended, and every item of every vector (value and
    // validity) is set again before the next append, so full chunks of scalar columns reuse one
    // chunk and one value array per column. List vectors keep child state, so they never do.
    const reusable = columns.every((c) => !c.kind.endsWith('[]'));
    const scratch = columns.map(() => new Array<DuckDBValue>(VECTOR_SIZE));
    let full: DuckDBDataChunk | undefined;
    for (let start = 0; start < rowCount; start += VECTOR_SIZE) {
      const size = Math.min(VECTOR_SIZE, rowCount - start);
      const reuse = reusable && size === VECTOR_SIZE;
      const chunk = reuse
        ? (full ??= DuckDBDataChunk.create(types, size))
        : DuckDBDataChunk.create(types, size);
      for (let c = 0; c < columns.length; c++) {
        const column = columns[c] as BatchColumnData;
        const values = column.values;
        const doubles = raw[c];
        if (doubles !== undefined) {
          // Every value is valid and no setter ever marked one invalid, so validity needs no write.
          const vector = bindings.data_chunk_get_vector(chunk.chunk, c);
          const at = doubles.byteOffset + start * Float64Array.BYTES_PER_ELEMENT;
          bindings.copy_data_to_vector(
            vector,
            0,
            doubles.buffer as ArrayBuffer,
            at,
            size * Float64Array.BYTES_PER_ELEMENT,
          );
          continue;
        }
        const encoded = reuse ? (scratch[c] as DuckDBValue[]) : new Array<DuckDBValue>(size);
        if (column.kind === 'double' && values instanceof Float64Array) {
          // Typed doubles need no check; node-api has no bulk setter, so copy without a call per value.
          for (let i = 0; i < size; i++) encoded[i] = values[start + i] as number;
        } else if (column.kind === 'integer') {
          // The common integer (a whole number) inline; anything else through the checked encoder.
          const encode = encoders[c] as (value: unknown) => DuckDBValue;
          for (let i = 0; i < size; i++) {
            const value = values[start + i];
            encoded[i] = Number.isInteger(value) ? BigInt(value as number) : encode(value);
          }
        } else {
          const encode = encoders[c] as (value: unknown) => DuckDBValue;
          for (let i = 0; i < size; i++) encoded[i] = encode(values[start + i]);
        }
        chunk.setColumnValues(c, encoded);
      }
      appender.appendDataChunk(chunk);
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}

/** The value encoder of a storage kind; a value the kind cannot hold is FAILED_PRECONDITION. */
function encoderOf(kind: BatchColumnKind, column: string): (value: unknown) => DuckDBValue {
  const refuse = (value: unknown): never => {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Column '${column}' holds ${describeValue(value)}, which a ${kind} column cannot store`,
      { column },
    );
  };
  switch (kind) {
    case 'boolean':
      return (v) => (v == null ? null : typeof v === 'boolean' ? v : refuse(v));
    case 'integer':
      return (v) => (v == null ? null : (toBigInt(v) ?? refuse(v)));
    case 'double':
      return (v) =>
        v == null ? null : typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : refuse(v);
    case 'string':
      return (v) => (v == null ? null : typeof v === 'string' ? v : String(v));
    case 'json':
      return (v) => (v === undefined ? null : JSON.stringify(v, jsonSafe));
    case 'double[]':
      return (v) => (v == null ? null : Array.isArray(v) && v.every(isNumber) ? listValue(v) : refuse(v));
    case 'integer[]':
      return (v) =>
        v == null ? null : Array.isArray(v) ? listValue(v.map((x) => toBigInt(x) ?? refuse(x))) : refuse(v);
  }
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number';
}

function toBigInt(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) return BigInt(value);
  return undefined;
}

function describeValue(value: unknown): string {
  return Array.isArray(value) ? 'an array' : `${typeof value} ${String(value).slice(0, 40)}`;
}

/** JSON.stringify replacer for values JSON has no form for (64-bit integers). */
function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

/**
 * Part columns named `__slipway_list__<i>__<name>` hold element i of a fixed-width list column
 * (see `storedColumns`): scalar DOUBLE columns are much cheaper to fill than a list per row. The
 * name is reserved for that use.
 */
const LIST_ELEMENT = /^__slipway_list__(\d+)__(.*)$/s;

function listElementName(name: string, index: number): string {
  return `__slipway_list__${index}__${name}`;
}

/** Scratch columns of a logged part: the row numbers, then the log's own inputs, times and latencies. */
function logScratchColumns(log: PartLog): BatchColumnData[] {
  const columns: BatchColumnData[] = [{ name: ROW_COLUMN, kind: 'double', values: log.rows }];
  const records = log.records;
  if (records === undefined) return columns;
  records.inputs.forEach((input, i) => {
    if (input.column !== undefined) columns.push({ ...input.column, name: logInputName(i) });
  });
  columns.push({ name: LOG_TS_COLUMN, kind: 'double', values: records.timestamps });
  columns.push({ name: PART_LOG_COLUMNS.latency, kind: 'double', values: records.latencies });
  return columns;
}

/** The COPY's expressions of the `PART_LOG_COLUMNS`: JSON objects built in SQL from the columns. */
function logSelect(
  records: PartRecords,
  given: readonly BatchColumnData[],
  stored: readonly BatchColumnData[][],
): string[] {
  const inputs = records.inputs.map((input, i) => {
    const column = input.column === undefined ? identifier(input.name) : identifier(logInputName(i));
    return `${literal(input.name)}, ${column}`;
  });
  const outputs = records.outputs.map((name) => {
    const at = given.findIndex((c) => c.name === name);
    const parts = stored[at];
    if (parts === undefined) throw new Error(`Logged output '${name}' is not a part column`);
    const value =
      parts.length === 1 && parts[0]?.name === name
        ? identifier(name)
        : `list_value(${parts.map((p) => identifier(p.name)).join(', ')})`;
    return `${literal(name)}, ${value}`;
  });
  const object = (pairs: string[]): string =>
    pairs.length === 0 ? `'{}'::JSON` : `json_object(${pairs.join(', ')})`;
  return [
    `${object(inputs)} AS ${identifier(PART_LOG_COLUMNS.input)}`,
    `${object(outputs)} AS ${identifier(PART_LOG_COLUMNS.output)}`,
    // As the record path stores a timestamp: whole milliseconds.
    `epoch_ms(CAST(trunc(${identifier(LOG_TS_COLUMN)}) AS BIGINT)) AS ${identifier(PART_LOG_COLUMNS.timestamp)}`,
    identifier(PART_LOG_COLUMNS.latency),
  ];
}

/** The prediction id column of a logged part: `<idPrefix><input row>` per row. */
function predictionIds(log: PartLog): BatchColumnData {
  const values = new Array<string>(log.rows.length);
  for (let i = 0; i < values.length; i++) values[i] = `${log.idPrefix}${log.rows[i] as number}`;
  return { name: PREDICTION_ID_COLUMN, kind: 'string', values };
}

/** Writes a part encoded in JavaScript (parquet-part.ts) under a temporary name, then renames it. */
async function writeEncodedPart(
  path: string,
  columns: readonly BatchColumnData[],
  rowCount: number,
): Promise<void> {
  const buffers = encodeParquetPart(columns, rowCount);
  const temporary = `${path}.tmp-${randomUUID()}`;
  const handle = await open(temporary, 'w');
  try {
    await handle.writev(buffers);
  } finally {
    await handle.close();
  }
  await rename(temporary, path);
}

/** Scratch-only columns of a logged part (never in the part file under these names). */
const ROW_COLUMN = '__slipway_scratch_row';
const LOG_TS_COLUMN = '__slipway_scratch_ts';

function logInputName(index: number): string {
  return `__slipway_scratch_input_${index}`;
}

/** A fixed-width `double[]` column becomes one DOUBLE column per element; others stay as given. */
function storedColumns(column: BatchColumnData, rowCount: number): BatchColumnData[] {
  const width = column.width;
  if (column.kind !== 'double[]' || width === undefined) return [column];
  if (column.flat === true) return flatElements(column, width, rowCount);
  const elements = Array.from({ length: width }, () => new Array<number>(rowCount));
  for (let r = 0; r < rowCount; r++) {
    const value = column.values[r];
    if (!Array.isArray(value) || value.length !== width) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Output '${column.name}' row ${r} is ${describeValue(value)}; the contract declares ${width} numbers per row`,
        { column: column.name },
      );
    }
    for (let i = 0; i < width; i++) (elements[i] as number[])[r] = value[i] as number;
  }
  return elements.map((values, i) => ({ name: listElementName(column.name, i), kind: 'double', values }));
}

/** The element columns of a flat fixed-width column (`width` values per row, row-major). */
function flatElements(column: BatchColumnData, width: number, rowCount: number): BatchColumnData[] {
  const values = column.values;
  if (values.length !== rowCount * width) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Output '${column.name}' holds ${values.length} values for ${rowCount} rows; the contract declares ${width} numbers per row`,
      { column: column.name },
    );
  }
  // Typed input means numbers only; anything else keeps its values so the encoder refuses them.
  const typed = values instanceof Float32Array || values instanceof Float64Array;
  return Array.from({ length: width }, (_, i) => {
    const element = typed ? new Float64Array(rowCount) : new Array<unknown>(rowCount);
    for (let r = 0; r < rowCount; r++) element[r] = values[r * width + i] as number;
    return { name: listElementName(column.name, i), kind: 'double', values: element };
  });
}

/**
 * The SELECT list of the final COPY: fixed-width list columns reassembled (at their first
 * element's position), the prediction log's columns left out, and for CSV, which has no list
 * type, every list as its JSON text.
 */
async function outputSelect(
  connection: DuckDBConnection,
  source: string,
  format: BatchFormat,
): Promise<string> {
  const probe = await connection.run(`SELECT * FROM ${source} LIMIT 0`);
  const types = probe.columnTypes();
  const names = probe.columnNames();
  const lists = new Map<string, string[]>();
  const items: { name: string; expression: string; list: boolean }[] = [];
  names.forEach((name, i) => {
    if (name.startsWith(PART_LOG_PREFIX)) return;
    const element = LIST_ELEMENT.exec(name);
    if (element) {
      const base = element[2] as string;
      const parts = lists.get(base) ?? [];
      if (parts.length === 0) {
        lists.set(base, parts);
        items.push({ name: base, expression: '', list: true });
      }
      parts[Number(element[1])] = identifier(name);
      return;
    }
    const id = (types[i] as DuckDBType).typeId;
    const list = id === DuckDBTypeId.LIST || id === DuckDBTypeId.STRUCT || id === DuckDBTypeId.ARRAY;
    items.push({ name, expression: identifier(name), list });
  });
  return items
    .map((item) => {
      const parts = lists.get(item.name);
      const expression =
        item.expression === '' && parts ? `list_value(${parts.join(', ')})` : item.expression;
      const written = format === 'csv' && item.list ? `CAST(to_json(${expression}) AS VARCHAR)` : expression;
      return `${written} AS ${identifier(item.name)}`;
    })
    .join(', ');
}

/** A SQL string literal (single quotes doubled); only for statements that take no parameters. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier (double quotes doubled). */
function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
