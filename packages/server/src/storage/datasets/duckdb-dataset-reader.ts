/**
 * The dataset reader adapter: DuckDB's CSV, JSON and Parquet readers over one local file. Each read
 * opens its own in-memory DuckDB whose file access is confined to that one path, streams the
 * result chunk by chunk and converts each column with a converter chosen once from its type.
 */
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import {
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBInstance,
  DuckDBTypeId,
} from '@duckdb/node-api';
import type {
  DuckDBConnection,
  DuckDBDataChunk,
  DuckDBResult,
  DuckDBType,
  DuckDBValue,
  DuckDBVector,
} from '@duckdb/node-api';
import { invalidArgument } from '@slipway/contracts';
import type { DatasetFormat, FieldType, SlipwayError } from '@slipway/contracts';
import type { Dataset, DatasetColumn, DatasetReader } from '../../evaluation/dataset-reader.js';
import type { InputRow } from '../../runtimes/runtime.js';

/** Most rows one dataset may have; beyond this a dataset belongs in a batch job, not in memory. */
export const DATASET_MAX_ROWS = 5_000_000;

/** Options of `DuckDbDatasetReader`. */
export interface DuckDbDatasetReaderOptions {
  /** Row cap; `DATASET_MAX_ROWS` unless given (tests lower it). */
  maxRows?: number;
}

/** A value as rows carry it. */
type Cell = number | string | boolean | null;

/** Turns one non-null DuckDB value into a cell, or returns a reason it cannot be one. */
type Convert = (value: DuckDBValue) => Cell | { problem: string };

/** How one result column is typed and converted; `convert` is absent when DuckDB's value is already a cell. */
interface ColumnPlan {
  name: string;
  type: FieldType;
  convert?: Convert;
}

const MS_PER_DAY = 86_400_000;

/** The table function call per format; the path is always the bound parameter `$1`. */
const READ_SQL: Record<DatasetFormat, string> = {
  // The delimiter is fixed so that a ragged file fails loudly instead of being sniffed as one column.
  csv: "SELECT * FROM read_csv($1, delim = ',')",
  jsonl: "SELECT * FROM read_json($1, format = 'newline_delimited')",
  parquet: 'SELECT * FROM read_parquet($1)',
};

const PLAIN_TYPES: Partial<Record<DuckDBTypeId, FieldType>> = {
  [DuckDBTypeId.BOOLEAN]: 'boolean',
  [DuckDBTypeId.TINYINT]: 'int8',
  [DuckDBTypeId.SMALLINT]: 'int16',
  [DuckDBTypeId.INTEGER]: 'int32',
  [DuckDBTypeId.UTINYINT]: 'uint8',
  [DuckDBTypeId.USMALLINT]: 'uint16',
  [DuckDBTypeId.UINTEGER]: 'uint32',
  [DuckDBTypeId.FLOAT]: 'float32',
  [DuckDBTypeId.DOUBLE]: 'float64',
  [DuckDBTypeId.VARCHAR]: 'string',
};

const BIGINT_TYPES: Partial<Record<DuckDBTypeId, FieldType>> = {
  [DuckDBTypeId.BIGINT]: 'int64',
  [DuckDBTypeId.HUGEINT]: 'int64',
  [DuckDBTypeId.UBIGINT]: 'uint64',
  [DuckDBTypeId.UHUGEINT]: 'uint64',
};

const TIMESTAMP_TYPES: ReadonlySet<DuckDBTypeId> = new Set([
  DuckDBTypeId.TIMESTAMP,
  DuckDBTypeId.TIMESTAMP_S,
  DuckDBTypeId.TIMESTAMP_MS,
  DuckDBTypeId.TIMESTAMP_NS,
  DuckDBTypeId.TIMESTAMP_TZ,
]);

/** Reads local CSV, JSONL and Parquet files with an embedded DuckDB. */
export class DuckDbDatasetReader implements DatasetReader {
  private readonly maxRows: number;

  constructor(options: DuckDbDatasetReaderOptions = {}) {
    this.maxRows = options.maxRows ?? DATASET_MAX_ROWS;
  }

  /** Reads `file` as `format`; every refusal is INVALID_ARGUMENT naming `field` and the file. */
  async read(file: string, format: DatasetFormat, field: string): Promise<Dataset> {
    // Absolute, so DuckDB never sees a relative name it could read as a URL or `~` path.
    const path = resolve(file);
    const name = basename(path);
    if (!Object.hasOwn(READ_SQL, format)) {
      throw invalidArgument(field, `Dataset '${name}' has unknown format '${String(format)}'`);
    }
    await checkFile(path, name, field);
    const { instance, connection } = await openConfined(path);
    try {
      const result = await runRead(connection, path, format, name, field);
      return await collect(result, { name, field, maxRows: this.maxRows });
    } finally {
      connection.closeSync();
      instance.closeSync();
    }
  }
}

/** Refuses a missing, non-regular or empty file before DuckDB sees it, with a plain reason. */
async function checkFile(path: string, name: string, field: string): Promise<void> {
  const info = await stat(path).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'does not exist' : `cannot be read: ${messageOf(error)}`;
    throw invalidArgument(field, `Dataset '${name}' ${reason}`);
  });
  if (!info.isFile()) throw invalidArgument(field, `Dataset '${name}' is not a regular file`);
  if (info.size === 0) throw invalidArgument(field, `Dataset '${name}' is empty`);
}

/** Escapes a string as a SQL literal; `SET` takes no bound parameters. */
function sqlLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * An in-memory DuckDB that can read `path` and nothing else: no other file, no network, no
 * extension downloads, and a locked configuration so the read itself cannot widen it.
 */
async function openConfined(
  path: string,
): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  try {
    // allowed_paths must be set before external access is switched off, which then honours it.
    await connection.run(`SET allowed_paths = [${sqlLiteral(path)}]`);
    await connection.run('SET enable_external_access = false');
    await connection.run('SET lock_configuration = true');
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  return { instance, connection };
}

/** Starts the streaming read; DuckDB's parse errors become refusals naming the file. */
async function runRead(
  connection: DuckDBConnection,
  path: string,
  format: DatasetFormat,
  name: string,
  field: string,
): Promise<DuckDBResult> {
  try {
    return await connection.stream(READ_SQL[format], [path]);
  } catch (error) {
    throw unreadable(name, format, field, error);
  }
}

function unreadable(name: string, format: string, field: string, error: unknown): SlipwayError {
  return invalidArgument(field, `Dataset '${name}' is not readable as ${format}: ${firstLine(error)}`);
}

/** DuckDB's first message line is the reason; the rest is the echoed SQL and a caret. */
function firstLine(error: unknown): string {
  return messageOf(error).split('\n')[0] ?? '';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** What `collect` needs to name the dataset in errors and cap it. */
interface ReadContext {
  name: string;
  field: string;
  maxRows: number;
}

/** Streams every chunk into row objects, tracking which columns hold a null. */
async function collect(result: DuckDBResult, context: ReadContext): Promise<Dataset> {
  const plans = planColumns(result.columnNames(), result.columnTypes(), context);
  const nullable = plans.map(() => false);
  const rows: InputRow[] = [];
  for (;;) {
    const chunk = await fetchChunk(result, context);
    if (chunk === null || chunk.rowCount === 0) break;
    if (rows.length + chunk.rowCount > context.maxRows) {
      throw invalidArgument(
        context.field,
        `Dataset '${context.name}' has more than ${context.maxRows} rows; sample or split it first`,
      );
    }
    appendChunk(chunk, plans, nullable, rows, context);
  }
  if (rows.length === 0) throw invalidArgument(context.field, `Dataset '${context.name}' has no rows`);
  const columns: DatasetColumn[] = plans.map((p, i) => ({
    name: p.name,
    type: p.type,
    nullable: nullable[i] ?? false,
  }));
  return { columns, rows };
}

/** Malformed content often surfaces only when DuckDB reaches it, mid-stream. */
async function fetchChunk(result: DuckDBResult, context: ReadContext): Promise<DuckDBDataChunk | null> {
  try {
    return await result.fetchChunk();
  } catch (error) {
    throw invalidArgument(context.field, `Dataset '${context.name}' is malformed: ${firstLine(error)}`);
  }
}

/** One plan per column, refusing types that have no scalar cell form. */
function planColumns(
  names: readonly string[],
  types: readonly DuckDBType[],
  context: ReadContext,
): ColumnPlan[] {
  return names.map((name, i) => {
    // An own `__proto__` key would instead replace the prototype of every row object.
    if (name === '__proto__') throw columnRefusal(context, name, 'has a reserved name');
    const type = types[i] as DuckDBType;
    const plan = planColumn(name, type.typeId);
    if (!plan) throw columnRefusal(context, name, `has type ${type.toString()}, which is not a scalar`);
    return plan;
  });
}

function columnRefusal(context: ReadContext, column: string, why: string): SlipwayError {
  return invalidArgument(
    context.field,
    `Dataset '${context.name}' column '${column}' ${why}; only numbers, strings, booleans and dates are read`,
    { column },
  );
}

function planColumn(name: string, typeId: DuckDBTypeId): ColumnPlan | undefined {
  const plain = PLAIN_TYPES[typeId];
  if (plain) return { name, type: plain };
  const big = BIGINT_TYPES[typeId];
  if (big) return { name, type: big, convert: bigintToNumber };
  if (typeId === DuckDBTypeId.DECIMAL) return { name, type: 'float64', convert: decimalToNumber };
  if (typeId === DuckDBTypeId.DATE) return { name, type: 'datetime', convert: dateToIso };
  if (TIMESTAMP_TYPES.has(typeId)) return { name, type: 'datetime', convert: timestampToIso };
  // A column that is null in every row (JSON) carries no type; its cells are all null anyway.
  if (typeId === DuckDBTypeId.SQLNULL) return { name, type: 'string' };
  return undefined;
}

function bigintToNumber(value: DuckDBValue): Cell | { problem: string } {
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  return {
    problem: `holds ${String(value)}, outside ±Number.MAX_SAFE_INTEGER (${Number.MAX_SAFE_INTEGER})`,
  };
}

function decimalToNumber(value: DuckDBValue): Cell | { problem: string } {
  return value instanceof DuckDBDecimalValue ? value.toDouble() : { problem: 'is not a decimal' };
}

function dateToIso(value: DuckDBValue): Cell | { problem: string } {
  if (!(value instanceof DuckDBDateValue)) return { problem: 'is not a date' };
  return isoString(value.days * MS_PER_DAY)?.slice(0, 10) ?? outOfRange(value);
}

function timestampToIso(value: DuckDBValue): Cell | { problem: string } {
  return isoString(epochMillis(value)) ?? outOfRange(value);
}

/** Milliseconds since the epoch (UTC) of any timestamp flavour; NaN for anything else. */
function epochMillis(value: DuckDBValue): number {
  if (value instanceof DuckDBTimestampValue || value instanceof DuckDBTimestampTZValue) {
    return Number(value.micros / 1000n);
  }
  if (value instanceof DuckDBTimestampMillisecondsValue) return Number(value.millis);
  if (value instanceof DuckDBTimestampSecondsValue) return Number(value.seconds) * 1000;
  if (value instanceof DuckDBTimestampNanosecondsValue) return Number(value.nanos / 1_000_000n);
  return Number.NaN;
}

/** `Date`'s ISO 8601 form, or undefined for infinities and instants JavaScript cannot represent. */
function isoString(millis: number): string | undefined {
  const date = new Date(millis);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function outOfRange(value: DuckDBValue): { problem: string } {
  return { problem: `holds ${String(value)}, which has no ISO 8601 form` };
}

/** Appends a chunk's rows; values are read row-major so every row object gets its keys in one order. */
function appendChunk(
  chunk: DuckDBDataChunk,
  plans: readonly ColumnPlan[],
  nullable: boolean[],
  rows: InputRow[],
  context: ReadContext,
): void {
  const vectors = plans.map((_, c) => chunk.getColumnVector(c));
  const count = chunk.rowCount;
  const first = rows.length;
  for (let r = 0; r < count; r++) {
    const row: Record<string, Cell> = {};
    for (let c = 0; c < plans.length; c++) {
      const plan = plans[c] as ColumnPlan;
      const value = (vectors[c] as DuckDBVector).getItem(r);
      if (value === null) {
        nullable[c] = true;
        row[plan.name] = null;
      } else if (plan.convert) {
        row[plan.name] = converted(plan, value, first + r, context);
      } else {
        row[plan.name] = value as Cell;
      }
    }
    rows.push(row);
  }
}

function converted(plan: ColumnPlan, value: DuckDBValue, rowIndex: number, context: ReadContext): Cell {
  const cell = (plan.convert as Convert)(value);
  if (cell === null || typeof cell !== 'object') return cell;
  throw invalidArgument(
    context.field,
    `Dataset '${context.name}' column '${plan.name}' row ${rowIndex} ${cell.problem}`,
    { column: plan.name, row: rowIndex },
  );
}
