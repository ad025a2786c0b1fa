/**
 * The SQL baseline: a user-written `SELECT` over the batch's rows, run by an embedded DuckDB.
 * Each loaded model owns a locked-down in-memory DuckDB instance (no file or network access,
 * configuration frozen, one thread, a memory cap); the query is checked by DuckDB's own parser
 * at load time and interrupted when it outlives its time limit.
 */
import { DuckDBInstance, StatementType } from '@duckdb/node-api';
import type { DuckDBAppender, DuckDBConnection, DuckDBPreparedStatement } from '@duckdb/node-api';
import { SlipwayError, invalidArgument } from '@slipway/contracts';
import type { FieldType, ModelContract } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../runtime.js';

/** How long one batch's query may run before it is interrupted. */
export const SQL_BASELINE_DEFAULT_TIMEOUT_MS = 5000;

/** The output field a single-column query's result is returned as, unless `output` says otherwise. */
export const SQL_BASELINE_DEFAULT_OUTPUT = 'prediction';

/** What `loadSqlBaseline` needs: the query, its time limit, and the single output's name. */
export interface SqlBaselineSpec {
  query: string;
  timeoutMs?: number;
  output?: string;
}

/** DuckDB column types input values are loaded as. */
export type SqlColumnType =
  | 'BOOLEAN'
  | 'TINYINT'
  | 'SMALLINT'
  | 'INTEGER'
  | 'BIGINT'
  | 'UTINYINT'
  | 'USMALLINT'
  | 'UINTEGER'
  | 'UBIGINT'
  | 'FLOAT'
  | 'DOUBLE'
  | 'VARCHAR'
  | 'BLOB'
  | 'TIMESTAMP';

/** One column of the `input` table; `json` columns hold arbitrary values as JSON text. */
interface InputColumn {
  name: string;
  type: SqlColumnType;
  json: boolean;
}

const TYPE_BY_FIELD: Record<FieldType, SqlColumnType> = {
  boolean: 'BOOLEAN',
  int8: 'TINYINT',
  int16: 'SMALLINT',
  int32: 'INTEGER',
  int64: 'BIGINT',
  uint8: 'UTINYINT',
  uint16: 'USMALLINT',
  uint32: 'UINTEGER',
  uint64: 'UBIGINT',
  float16: 'FLOAT',
  float32: 'FLOAT',
  float64: 'DOUBLE',
  string: 'VARCHAR',
  binary: 'BLOB',
  datetime: 'TIMESTAMP',
  object: 'VARCHAR',
};

const INTEGER_TYPES: ReadonlySet<SqlColumnType> = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
]);

/** Table functions that only generate values; every other one could reach files, the catalog or `query()`. */
const ALLOWED_TABLE_FUNCTIONS: ReadonlySet<string> = new Set(['range', 'generate_series', 'unnest']);

/** Table-reference kinds a plain SELECT over `input` needs; SHOW_REF (DESCRIBE/SHOW/SUMMARIZE) is not one. */
const ALLOWED_TABLE_REFS: ReadonlySet<string> = new Set([
  'BASE_TABLE',
  'JOIN',
  'SUBQUERY',
  'TABLE_FUNCTION',
  'EMPTY',
  'EXPRESSION_LIST',
]);

const SANDBOX_OPTIONS: Record<string, string> = {
  enable_external_access: 'false',
  autoinstall_known_extensions: 'false',
  autoload_known_extensions: 'false',
  max_memory: '256MB',
  // Without this the memory cap is soft: DuckDB would spill past it into its temp directory.
  max_temp_directory_size: '0B',
  threads: '1',
  // Last, so nothing (including the query) can loosen the options above afterwards.
  lock_configuration: 'true',
};

/** The DuckDB type a contract field's values are loaded as (`object` becomes JSON text). */
export function duckDbTypeForField(type: FieldType): SqlColumnType {
  return TYPE_BY_FIELD[type];
}

/** Quotes an identifier; only column names from the contract or row keys ever reach SQL text. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** A dedicated in-memory DuckDB with external access off and its configuration locked. */
async function openSandbox(): Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> {
  const instance = await DuckDBInstance.create(':memory:', SANDBOX_OPTIONS);
  return { instance, connection: await instance.connect() };
}

/** DuckDB's message for a thrown value, which is what a person can act on. */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Refuses anything but exactly one statement, using DuckDB's parser rather than pattern matching. */
async function checkSingleStatement(
  connection: DuckDBConnection,
  query: string,
  field: string,
): Promise<void> {
  let count: number;
  try {
    count = (await connection.extractStatements(query)).count;
  } catch (error) {
    throw invalidArgument(field, `SQL baseline query does not parse: ${messageOf(error)}`);
  }
  if (count !== 1) {
    throw invalidArgument(field, `SQL baseline query must be exactly one statement, got ${count}`);
  }
}

/** DuckDB's parse tree of a SELECT as JSON; DuckDB itself refuses to serialize any other statement kind. */
async function selectParseTree(connection: DuckDBConnection, query: string, field: string): Promise<unknown> {
  // The query is a bound parameter here, never spliced into the SQL text.
  const reader = await connection.runAndReadAll('SELECT json_serialize_sql($1::VARCHAR) AS tree', [query]);
  const tree: unknown = JSON.parse(String(reader.getRowObjectsJS()[0]?.tree));
  if (!isRecord(tree) || tree.error !== false) {
    const reason = isRecord(tree) ? String(tree.error_message) : 'unreadable parse tree';
    throw invalidArgument(field, `SQL baseline query must be a read-only SELECT (${reason})`);
  }
  return tree;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Table refs carry `sample` and `query_location` but, unlike expressions, no `class`; query nodes end in `_NODE`. */
function isTableRef(node: Record<string, unknown>): node is Record<string, unknown> & { type: string } {
  return (
    typeof node.type === 'string' &&
    'sample' in node &&
    'query_location' in node &&
    !('class' in node) &&
    !node.type.endsWith('_NODE')
  );
}

/** Collects every node of the parse tree, depth first. */
function allNodes(tree: unknown, into: Record<string, unknown>[] = []): Record<string, unknown>[] {
  if (Array.isArray(tree)) {
    for (const item of tree) allNodes(item, into);
  } else if (isRecord(tree)) {
    into.push(tree);
    for (const value of Object.values(tree)) allNodes(value, into);
  }
  return into;
}

/** CTE names anywhere in the tree: tables the query may read besides `input`. */
function cteNames(nodes: readonly Record<string, unknown>[]): Set<string> {
  const names = new Set<string>(['input']);
  for (const node of nodes) {
    const map = isRecord(node.cte_map) ? node.cte_map.map : undefined;
    if (!Array.isArray(map)) continue;
    for (const entry of map) if (isRecord(entry)) names.add(String(entry.key).toLowerCase());
  }
  return names;
}

/** Refuses table refs that could read anything but the batch: files, catalog views, other databases. */
function checkTableRefs(tree: unknown, field: string): void {
  const nodes = allNodes(tree);
  const tables = cteNames(nodes);
  for (const node of nodes.filter(isTableRef)) {
    if (!ALLOWED_TABLE_REFS.has(node.type)) {
      throw invalidArgument(
        field,
        `SQL baseline query may not use ${node.type}; select from the input table`,
      );
    }
    if (node.type === 'BASE_TABLE') checkBaseTable(node, tables, field);
    if (node.type === 'TABLE_FUNCTION') checkTableFunction(node, field);
  }
}

function checkBaseTable(node: Record<string, unknown>, tables: ReadonlySet<string>, field: string): void {
  const name = String(node.table_name);
  const qualified = Boolean(node.schema_name) || Boolean(node.catalog_name);
  if (qualified || !tables.has(name.toLowerCase())) {
    throw invalidArgument(
      field,
      `SQL baseline query may read only the input table and its own CTEs, not '${name}'`,
    );
  }
}

function checkTableFunction(node: Record<string, unknown>, field: string): void {
  const fn = isRecord(node.function) ? String(node.function.function_name) : '';
  if (!ALLOWED_TABLE_FUNCTIONS.has(fn.toLowerCase())) {
    throw invalidArgument(field, `SQL baseline query may not call table function '${fn}'`);
  }
}

/** Parser-level checks on an open connection: one statement, a SELECT, reading only `input`. */
async function checkQuery(connection: DuckDBConnection, query: string, field: string): Promise<void> {
  if (typeof query !== 'string' || query.trim() === '') {
    throw invalidArgument(field, 'SQL baseline query must be a non-empty string');
  }
  await checkSingleStatement(connection, query, field);
  checkTableRefs(await selectParseTree(connection, query, field), field);
}

/**
 * Checks that `query` is exactly one read-only SELECT over `input`, with DuckDB's parser;
 * throws INVALID_ARGUMENT naming `field` otherwise.
 */
export async function validateSqlBaselineQuery(query: string, field: string): Promise<void> {
  const { instance, connection } = await openSandbox();
  try {
    await checkQuery(connection, query, field);
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** The `input` columns a contract declares. */
function contractColumns(contract: ModelContract): InputColumn[] {
  return contract.inputs.fields.map((f) => ({
    name: f.name,
    type: TYPE_BY_FIELD[f.type],
    json: f.type === 'object',
  }));
}

/** The column type a JS value suggests; numbers are all DOUBLE, which holds every JS number exactly. */
function inferredColumn(name: string, value: unknown): InputColumn {
  if (typeof value === 'number') return { name, type: 'DOUBLE', json: false };
  if (typeof value === 'bigint') return { name, type: 'BIGINT', json: false };
  if (typeof value === 'boolean') return { name, type: 'BOOLEAN', json: false };
  if (typeof value === 'string') return { name, type: 'VARCHAR', json: false };
  if (value instanceof Date) return { name, type: 'TIMESTAMP', json: false };
  if (value instanceof Uint8Array) return { name, type: 'BLOB', json: false };
  return { name, type: 'VARCHAR', json: value != null };
}

/** Columns inferred from the batch: every key seen, typed by its first non-null value (VARCHAR if none). */
function inferColumns(rows: readonly InputRow[]): InputColumn[] {
  const firstValue = new Map<string, unknown>();
  for (const row of rows) {
    for (const [key, value] of Object.entries(row)) {
      if (firstValue.get(key) == null) firstValue.set(key, value);
    }
  }
  return [...firstValue].map(([name, value]) => inferredColumn(name, value));
}

/** Refuses batch entries that are not objects, before any key is read. */
function checkRowsAreObjects(rows: readonly InputRow[]): void {
  rows.forEach((row, index) => {
    if (!isRecord(row)) throw invalidArgument(`rows[${index}]`, `rows[${index}] must be an object`);
  });
}

/** Refuses column names DuckDB would treat as the same identifier (it folds case), including `row_id`. */
function checkColumnNames(columns: readonly InputColumn[], fieldPrefix: string): void {
  const seen = new Set<string>(['row_id']);
  for (const column of columns) {
    const folded = column.name.toLowerCase();
    if (seen.has(folded)) {
      const why =
        folded === 'row_id'
          ? 'is reserved for the row index'
          : 'collides with another column (case-insensitively)';
      throw invalidArgument(`${fieldPrefix}${column.name}`, `Input column '${column.name}' ${why}`);
    }
    seen.add(folded);
  }
}

function createTableSql(columns: readonly InputColumn[]): string {
  const defs = ['row_id BIGINT', ...columns.map((c) => `${quoteIdentifier(c.name)} ${c.type}`)];
  return `CREATE OR REPLACE TABLE input (${defs.join(', ')})`;
}

/** Appends one value, or explains (as a message) why it does not fit the column. */
function appendValue(appender: DuckDBAppender, column: InputColumn, value: unknown): string | void {
  if (value == null) return appender.appendNull();
  if (column.json) return appender.appendVarchar(typeof value === 'string' ? value : JSON.stringify(value));
  const { type } = column;
  if (type === 'BOOLEAN' && typeof value === 'boolean') return appender.appendBoolean(value);
  if ((type === 'DOUBLE' || type === 'FLOAT') && typeof value === 'number')
    return appender.appendDouble(value);
  if (INTEGER_TYPES.has(type) && (typeof value === 'bigint' || Number.isSafeInteger(value))) {
    return appender.appendBigInt(BigInt(value as number | bigint));
  }
  if (type === 'VARCHAR' && typeof value === 'string') return appender.appendVarchar(value);
  if (type === 'BLOB' && value instanceof Uint8Array) return appender.appendBlob(value);
  if (type === 'TIMESTAMP' && value instanceof Date) return appender.appendVarchar(value.toISOString());
  // DuckDB's appender casts the text and fails on a malformed timestamp.
  if (type === 'TIMESTAMP' && typeof value === 'string') return appender.appendVarchar(value);
  return `expected a ${type} value, got ${typeof value}`;
}

/** Appends one row; DuckDB casts to the column type and throws on overflow, reported against the field. */
function appendRow(
  appender: DuckDBAppender,
  columns: readonly InputColumn[],
  row: InputRow,
  index: number,
): void {
  appender.appendBigInt(BigInt(index));
  for (const column of columns) {
    const field = `rows[${index}].${column.name}`;
    let problem: string | void;
    try {
      problem = appendValue(appender, column, row[column.name]);
    } catch (error) {
      problem = messageOf(error);
    }
    if (typeof problem === 'string')
      throw invalidArgument(field, `Cannot load ${field} as ${column.type}: ${problem}`);
  }
  appender.endRow();
}

/** Loads the batch through DuckDB's appender: values travel as typed values, never as SQL text. */
async function loadInput(
  connection: DuckDBConnection,
  columns: readonly InputColumn[],
  rows: readonly InputRow[],
): Promise<void> {
  await connection.run(createTableSql(columns));
  const appender = await connection.createAppender('input');
  try {
    rows.forEach((row, index) => appendRow(appender, columns, row, index));
  } catch (error) {
    appender.clear();
    throw error;
  } finally {
    appender.closeSync();
  }
}

/** The model's query (not the caller's rows) is at fault: FAILED_PRECONDITION on `query`. */
function queryFailure(message: string): SlipwayError {
  return new SlipwayError('FAILED_PRECONDITION', message, { field: 'query' });
}

/** Converts DuckDB's JS values to JSON-friendly ones: bigints become numbers when exact, else strings. */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (Array.isArray(value)) return value.map(plainValue);
  if (isRecord(value) && !(value instanceof Date) && !(value instanceof Uint8Array)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainValue(v)]));
  }
  return value;
}

/** The output fields of a result: every column but `row_id`; a lone column is named `output`. */
function outputNames(columnNames: readonly string[], output: string): Map<string, string> {
  if (new Set(columnNames).size !== columnNames.length) {
    throw queryFailure(`SQL baseline query returns duplicate column names: ${columnNames.join(', ')}`);
  }
  if (!columnNames.includes('row_id')) {
    throw queryFailure('SQL baseline query must return a row_id column (select row_id from input)');
  }
  const values = columnNames.filter((n) => n !== 'row_id');
  if (values.length === 0)
    throw queryFailure('SQL baseline query returns no prediction column besides row_id');
  if (values.length === 1) return new Map([[values[0] as string, output]]);
  return new Map(values.map((n) => [n, n]));
}

/** The result row's index into the batch, checked to be a not-yet-seen integer in range. */
function rowIndex(value: unknown, count: number, seen: Set<number>): number {
  const index = Number(value);
  if (value == null || !Number.isInteger(index) || index < 0 || index >= count) {
    throw queryFailure(`SQL baseline query returned row_id ${String(value)}, expected 0..${count - 1}`);
  }
  if (seen.has(index)) throw queryFailure(`SQL baseline query returned row_id ${index} more than once`);
  seen.add(index);
  return index;
}

/** Puts result rows back in input order, demanding exactly one per input row. */
function orderByRowId(
  records: readonly Record<string, unknown>[],
  names: ReadonlyMap<string, string>,
  count: number,
): OutputRow[] {
  const out: OutputRow[] = new Array<OutputRow>(count);
  const seen = new Set<number>();
  for (const record of records) {
    const row: OutputRow = {};
    for (const [column, name] of names) row[name] = plainValue(record[column]);
    out[rowIndex(record.row_id, count, seen)] = row;
  }
  if (seen.size !== count) {
    const missing = [...Array(count).keys()].filter((i) => !seen.has(i)).slice(0, 5);
    throw queryFailure(
      `SQL baseline query returned no row for row_id ${missing.join(', ')} (needs one per input row)`,
    );
  }
  return out;
}

/** Prepares the query against the current `input` table and re-checks, after binding, that it is a SELECT. */
async function prepareSelect(connection: DuckDBConnection, query: string): Promise<DuckDBPreparedStatement> {
  let prepared: DuckDBPreparedStatement;
  try {
    prepared = await connection.prepare(query);
  } catch (error) {
    throw queryFailure(`SQL baseline query failed to bind: ${messageOf(error)}`);
  }
  if (prepared.statementType !== StatementType.SELECT) {
    prepared.destroySync();
    throw queryFailure('SQL baseline query must be a SELECT');
  }
  return prepared;
}

/** Runs the prepared query, interrupting the connection when it outlives `timeoutMs`. */
async function runWithTimeout(
  connection: DuckDBConnection,
  prepared: DuckDBPreparedStatement,
  timeoutMs: number,
): Promise<{ columns: string[]; records: Record<string, unknown>[] }> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    connection.interrupt();
  }, timeoutMs);
  try {
    const reader = await prepared.runAndReadAll();
    return { columns: reader.columnNames(), records: reader.getRowObjectsJS() };
  } catch (error) {
    if (timedOut) {
      throw new SlipwayError(
        'UNAVAILABLE',
        `SQL baseline query exceeded its ${timeoutMs} ms timeout and was interrupted`,
        {
          field: 'timeoutMs',
          timeoutMs,
        },
      );
    }
    throw queryFailure(`SQL baseline query failed: ${messageOf(error)}`);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of `openSqlRunner`. */
export interface SqlRunnerOptions {
  timeoutMs?: number;
  output?: string;
  contract?: ModelContract;
}

/** Resolved settings of one loaded model. */
interface ModelSettings {
  timeoutMs: number;
  output: string;
  contract?: ModelContract;
}

/** A loaded SQL baseline: one sandboxed DuckDB connection, batches run one at a time. */
class SqlBaselineModel implements LoadedModel {
  readonly contract?: ModelContract;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
    private readonly query: string,
    private readonly options: ModelSettings,
  ) {
    this.contract = options.contract;
  }

  predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    // Batches share the one `input` table and the connection that `interrupt` targets, so they queue.
    const run = this.tail.then(() => this.runBatch(rows));
    this.tail = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    this.connection.closeSync();
    this.instance.closeSync();
  }

  private async runBatch(rows: readonly InputRow[]): Promise<OutputRow[]> {
    if (this.closed) throw new SlipwayError('FAILED_PRECONDITION', 'SQL baseline model is closed');
    if (rows.length === 0) return [];
    checkRowsAreObjects(rows);
    const columns = this.options.contract ? contractColumns(this.options.contract) : inferColumns(rows);
    checkColumnNames(columns, 'rows[].');
    try {
      await loadInput(this.connection, columns, rows);
      const prepared = await prepareSelect(this.connection, this.query);
      try {
        const result = await runWithTimeout(this.connection, prepared, this.options.timeoutMs);
        return orderByRowId(result.records, outputNames(result.columns, this.options.output), rows.length);
      } finally {
        prepared.destroySync();
      }
    } finally {
      // Frees the batch's memory now rather than at the next batch.
      await this.connection.run('DROP TABLE IF EXISTS input');
    }
  }
}

function checkTimeout(timeoutMs: number | undefined): number {
  if (timeoutMs === undefined) return SQL_BASELINE_DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw invalidArgument('timeoutMs', `SQL baseline timeoutMs must be a positive number, got ${timeoutMs}`);
  }
  return timeoutMs;
}

/** With a contract the `input` table is known at load time, so binding errors surface before serving. */
async function checkBindsAgainstContract(
  connection: DuckDBConnection,
  query: string,
  contract: ModelContract,
) {
  const columns = contractColumns(contract);
  checkColumnNames(columns, 'contract.inputs.');
  await connection.run(createTableSql(columns));
  try {
    const prepared = await prepareSelect(connection, query);
    const names = [...Array(prepared.columnCount).keys()].map((i) => prepared.columnName(i));
    prepared.destroySync();
    outputNames(names, SQL_BASELINE_DEFAULT_OUTPUT);
  } catch (error) {
    throw error instanceof SlipwayError ? invalidArgument('query', error.message) : error;
  } finally {
    await connection.run('DROP TABLE IF EXISTS input');
  }
}

/**
 * Opens a sandboxed runner for `query` WITHOUT the parser-level checks; production code calls
 * `loadSqlBaseline`. Exported so tests can show the engine lockdown holds on its own.
 */
export async function openSqlRunner(query: string, options: SqlRunnerOptions = {}): Promise<LoadedModel> {
  const timeoutMs = checkTimeout(options.timeoutMs);
  const { instance, connection } = await openSandbox();
  const settings = {
    timeoutMs,
    output: options.output ?? SQL_BASELINE_DEFAULT_OUTPUT,
    contract: options.contract,
  };
  return new SqlBaselineModel(instance, connection, query, settings);
}

/** Loads a SQL baseline: checks the query (and, with a contract, that it binds) and opens its sandbox. */
export async function loadSqlBaseline(spec: SqlBaselineSpec, contract?: ModelContract): Promise<LoadedModel> {
  const timeoutMs = checkTimeout(spec.timeoutMs);
  if (spec.output !== undefined && (typeof spec.output !== 'string' || spec.output === '')) {
    throw invalidArgument('output', 'SQL baseline output must be a non-empty string');
  }
  const { instance, connection } = await openSandbox();
  try {
    await checkQuery(connection, spec.query, 'query');
    if (contract) await checkBindsAgainstContract(connection, spec.query, contract);
  } catch (error) {
    connection.closeSync();
    instance.closeSync();
    throw error;
  }
  const settings: ModelSettings = { timeoutMs, output: spec.output ?? SQL_BASELINE_DEFAULT_OUTPUT, contract };
  return new SqlBaselineModel(instance, connection, spec.query, settings);
}
