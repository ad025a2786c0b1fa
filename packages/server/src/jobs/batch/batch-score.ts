/**
 * The batch scoring engine: plan a job against its input and the model's contract, score one
 * partition chunk by chunk, and finalize the committed chunks into the output. Pure logic over the
 * BatchIo port; the job runner supplies the model, the commit callback and the clock.
 *
 * Resume rule: chunk k of a partition covers rows [rowStart + k·chunkRows, +chunkRows) clipped to
 * rowEnd. A chunk's files are written (under names carrying the attempt token) before it is
 * committed, and the output is exactly the committed chunks in (partition, chunk) order, so an
 * attempt that dies midway is resumed at `committedChunks` and every row appears once.
 */
import { dirname } from 'node:path';
import {
  invalidArgument,
  SlipwayError,
  type BatchFormat,
  type BatchScorePayload,
  type BatchScoreResult,
  type ContractField,
  type JobOf,
  type JobPartition,
  type ModelContract,
  type PredictionRecord,
} from '@slipway/contracts';
import type { ColumnOutputs, InputRow, LoadedModel, OutputRow } from '../../runtimes/runtime.js';
import type { PredictionPartImport } from '../../predictions/prediction-store.js';
import {
  compileRowValidator,
  isNumericFieldType,
  scalarCheck,
  type RowValidator,
} from '../../serving/validate-rows.js';
import type { ChunkCommit, CommittedChunk, FencedOutcome } from '../job-store.js';
import {
  PART_LOG_COLUMNS,
  PREDICTION_ID_COLUMN,
  type BatchColumnData,
  type BatchColumnKind,
  type BatchInputColumn,
  type BatchIo,
  type ColumnsBatch,
  type LoggedInput,
  type PartLog,
  type RejectLine,
} from './batch-io.js';

/** Rows per committed chunk unless the payload says otherwise. */
export const DEFAULT_CHUNK_ROWS = 65_536;
/** Rows per model call unless the payload says otherwise. */
export const DEFAULT_BATCH_SIZE = 1024;
/** Input rows per partition when the payload does not fix the partition count. */
export const ROWS_PER_PARTITION = 1_000_000;
export { PREDICTION_ID_COLUMN };

/** Where a partition's predictions are logged, each chunk before it is committed. */
export interface BatchLogSink {
  /** Durably stores a chunk's records; a rejection means none may be assumed stored. */
  write(records: readonly PredictionRecord[]): Promise<void>;
  /**
   * Durably stores the predictions a part file carries in its log columns, so no record object is
   * built per row. Absent: the engine builds records and calls `write`.
   */
  importPart?(part: PredictionPartImport): Promise<void>;
}

/** What planning found: the row count, the partitions' row ranges and both formats. */
export interface BatchPlan {
  rowsTotal: number;
  ranges: { rowStart: number; rowEnd: number }[];
  inputFormat: BatchFormat;
  outputFormat: BatchFormat;
}

/** Everything one attempt at one partition needs. */
export interface PartitionRun {
  jobId: string;
  payload: BatchScorePayload;
  /** rowStart, rowEnd, and committedChunks: the chunk to resume at. */
  partition: JobPartition;
  model: LoadedModel;
  modelName: string;
  modelVersion: string;
  /** This attempt's token: part file names include it so two attempts never write the same file. */
  token: string;
  /** When logging: each chunk's predictions are stored here before the chunk is committed. */
  predictions?: BatchLogSink;
  commit(chunk: ChunkCommit): Promise<FencedOutcome>;
  now(): number;
  /** Aborted when the lease is lost or the delivery timed out: stop at once, commit nothing more. */
  signal: AbortSignal;
}

const EXTENSION_FORMATS: Record<string, BatchFormat> = {
  '.csv': 'csv',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.parquet': 'parquet',
};

/** The format `given`, else the one `path`'s extension names; INVALID_ARGUMENT naming `field`. */
export function resolveBatchFormat(path: string, given: BatchFormat | undefined, field: string): BatchFormat {
  if (given !== undefined) return given;
  const dot = path.lastIndexOf('.');
  const format = dot >= 0 ? EXTENSION_FORMATS[path.slice(dot).toLowerCase()] : undefined;
  if (format === undefined) {
    throw invalidArgument(
      field,
      `Cannot tell the format of '${path}' from its extension (.csv, .jsonl, .ndjson, .parquet); set ${field}`,
    );
  }
  return format;
}

/** The rejects file of a job: `payload.rejects`, else `<output>.rejects.jsonl`. */
export function rejectsPath(payload: BatchScorePayload): string {
  return payload.rejects ?? `${payload.output}.rejects.jsonl`;
}

/** The directory holding one job's part files (removed by finalize). */
export function partsDirectory(output: string, jobId: string): string {
  return `${output}.parts/${safeName(jobId)}`;
}

/** Keeps ids usable as file-name segments whatever characters they carry. */
function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]/g, '_');
}

/** Validates the payload against the input file and the model's contract before anything is queued. */
export async function planBatchScore(
  payload: BatchScorePayload,
  contract: ModelContract | undefined,
  io: BatchIo,
): Promise<BatchPlan> {
  const inputFormat = resolveBatchFormat(payload.input, payload.inputFormat, 'inputFormat');
  const outputFormat = resolveBatchFormat(payload.output, payload.outputFormat, 'outputFormat');
  const description = await io.describe(payload.input, inputFormat, 'input');
  checkInputColumns(payload, contract, description.columns);
  await checkOutput(payload, io);
  if (description.rows === 0) throw invalidArgument('input', `Input '${payload.input}' has no rows`);
  return {
    rowsTotal: description.rows,
    ranges: splitRows(description.rows, payload.partitions),
    inputFormat,
    outputFormat,
  };
}

function checkInputColumns(
  payload: BatchScorePayload,
  contract: ModelContract | undefined,
  columns: readonly BatchInputColumn[],
): void {
  const names = new Set(columns.map((c) => c.name));
  for (const field of contract?.inputs.fields ?? []) {
    if (!field.nullable && !names.has(field.name)) {
      throw invalidArgument(
        'input',
        `Input '${payload.input}' has no column '${field.name}', a required ${field.type} input of the model`,
        { column: field.name },
      );
    }
  }
  const taken = new Set(outputFieldNames(contract));
  if (payload.logPredictions !== false) taken.add(PREDICTION_ID_COLUMN);
  const seen = new Set<string>();
  (payload.passthrough ?? []).forEach((name, i) => {
    const field = `passthrough[${i}]`;
    if (!names.has(name)) throw invalidArgument(field, `Input '${payload.input}' has no column '${name}'`);
    if (taken.has(name)) throw invalidArgument(field, `Column '${name}' would clash with an output column`);
    if (seen.has(name)) throw invalidArgument(field, `Column '${name}' is passed through twice`);
    seen.add(name);
  });
}

async function checkOutput(payload: BatchScorePayload, io: BatchIo): Promise<void> {
  if (!payload.overwrite && (await io.exists(payload.output))) {
    throw new SlipwayError(
      'ALREADY_EXISTS',
      `Output '${payload.output}' already exists; set overwrite to replace it`,
      { field: 'output' },
    );
  }
  if (!(await io.isDirectory(dirname(payload.output)))) {
    throw invalidArgument('output', `The directory of output '${payload.output}' does not exist`);
  }
  if (payload.rejects !== undefined && !(await io.isDirectory(dirname(payload.rejects)))) {
    throw invalidArgument('rejects', `The directory of rejects '${payload.rejects}' does not exist`);
  }
}

/** Near-equal contiguous ranges; never more partitions than rows, never fewer than one. */
function splitRows(rows: number, requested: number | undefined): { rowStart: number; rowEnd: number }[] {
  const count = Math.max(1, Math.min(requested ?? Math.ceil(rows / ROWS_PER_PARTITION), rows));
  const size = Math.floor(rows / count);
  const extra = rows % count;
  const ranges: { rowStart: number; rowEnd: number }[] = [];
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = start + size + (i < extra ? 1 : 0);
    ranges.push({ rowStart: start, rowEnd: end });
    start = end;
  }
  return ranges;
}

/** The output fields a contract declares, in order. */
function outputFieldNames(contract: ModelContract | undefined): string[] {
  return (contract?.outputs.fields ?? []).map((f) => f.name);
}

/** One output column of the model: where its value comes from in an output row and how it is stored. */
interface OutputColumn {
  name: string;
  kind: BatchColumnKind;
  /** Fixed per-row length of a `double[]` output, when the contract declares one. */
  width?: number;
}

/** How one contract output is stored: scalars and per-row vectors natively, anything else as JSON. */
function outputKind(field: ContractField, tensors: boolean): BatchColumnKind {
  const perRow = tensors && field.shape ? field.shape.length - 1 : 0;
  const integer = /^u?int/.test(field.type);
  const float = field.type.startsWith('float');
  if (perRow <= 0) {
    if (field.type === 'boolean') return 'boolean';
    if (integer) return 'integer';
    if (float) return 'double';
    if (field.type === 'string') return 'string';
    return 'json';
  }
  if (perRow === 1 && float) return 'double[]';
  if (perRow === 1 && integer) return 'integer[]';
  return 'json';
}

function outputColumn(field: ContractField, tensors: boolean): OutputColumn {
  const kind = outputKind(field, tensors);
  const width = field.shape?.[1];
  return kind === 'double[]' && field.shape?.length === 2 && width !== undefined && width > 0
    ? { name: field.name, kind, width }
    : { name: field.name, kind };
}

/** Everything a partition run computes once before its first chunk. */
interface ScoringSetup {
  inputFormat: BatchFormat;
  /** Columns read from the input: the model's, then passthrough ones it does not use. */
  readColumns: string[];
  passthrough: BatchInputColumn[];
  /** Model outputs; undefined until the first output row when the model declares none. */
  outputs: OutputColumn[] | undefined;
  validator: RowValidator;
  /**
   * The columnar fast path's validator, when it applies (a columns contract, a model with
   * `predictColumns`, and the log, if on, stored from part files): true when the row validator
   * would accept every row.
   */
  columnCheck: ColumnCheck | undefined;
  /**
   * Numeric contract fields the input holds as text (a CSV column where one bad value made the
   * reader type the whole column as text): numeric text becomes numbers, the rest is rejected.
   */
  textNumbers: string[];
  logging: boolean;
  /** Logging, with the sink storing each part's log columns (no record objects). */
  logFromParts: boolean;
  /** With `logFromParts`: the logged input's fields, and the kind of those not passed through. */
  loggedInputs: { name: string; kind: BatchColumnKind; passthrough: boolean }[];
  chunkRows: number;
  batchSize: number;
  partsDir: string;
}

async function setUp(run: PartitionRun, io: BatchIo): Promise<ScoringSetup> {
  const { payload, model } = run;
  const inputFormat = resolveBatchFormat(payload.input, payload.inputFormat, 'inputFormat');
  const description = await io.describe(payload.input, inputFormat, 'input', { countRows: false });
  const byName = new Map(description.columns.map((c) => [c.name, c]));
  const contract = model.contract;
  const modelColumns = contract
    ? contract.inputs.fields.map((f) => f.name).filter((name) => byName.has(name))
    : description.columns.map((c) => c.name);
  const passthroughNames = payload.passthrough ?? [];
  const passthrough = passthroughNames.map((name) => {
    const column = byName.get(name);
    if (!column) throw invalidArgument('passthrough', `Input '${payload.input}' has no column '${name}'`);
    return column;
  });
  const readColumns = [...modelColumns, ...passthroughNames.filter((n) => !modelColumns.includes(n))];
  const tensors = contract?.outputs.kind === 'tensors';
  const declared = contract?.outputs.fields ?? [];
  const logging = payload.logPredictions !== false;
  const logFromParts = logging && run.predictions?.importPart !== undefined;
  // A log of record objects needs one per row, so it keeps the row path.
  const columnar = (!logging || logFromParts) && model.predictColumns !== undefined;
  const textNumbers = (contract?.inputs.fields ?? [])
    .filter((f) => isNumericFieldType(f.type) && byName.get(f.name)?.kind === 'string')
    .map((f) => f.name);
  return {
    inputFormat,
    readColumns,
    passthrough,
    outputs: declared.length > 0 ? declared.map((f) => outputColumn(f, tensors)) : undefined,
    validator: compileRowValidator(contract, { maxRows: Number.MAX_SAFE_INTEGER, field: 'row' }),
    columnCheck: columnar ? compileColumnCheck(contract) : undefined,
    textNumbers,
    logging,
    logFromParts,
    loggedInputs: readColumns.map((name) => {
      // Numeric text is logged as the number it became, not as the file's text.
      const converted = textNumbers.includes(name);
      return {
        name,
        kind: converted ? 'json' : (byName.get(name) as BatchInputColumn).kind,
        passthrough: !converted && passthroughNames.includes(name),
      };
    }),
    chunkRows: payload.chunkRows ?? DEFAULT_CHUNK_ROWS,
    batchSize: payload.batchSize ?? DEFAULT_BATCH_SIZE,
    partsDir: partsDirectory(payload.output, run.jobId),
  };
}

/** True when every value of the batch passes the contract (same checks as the row validator). */
type ColumnCheck = (columns: Readonly<Record<string, ArrayLike<unknown>>>, length: number) => boolean;

/** One field's column check: true when the row validator would accept each of its values. */
type FieldColumnCheck = (values: ArrayLike<unknown> | undefined, length: number) => boolean;

/** The column-wise twin of the row validator for columns contracts; undefined for other contracts. */
function compileColumnCheck(contract: ModelContract | undefined): ColumnCheck | undefined {
  if (contract?.inputs.kind !== 'columns') return undefined;
  const fields = contract.inputs.fields;
  const checks = fields.map(fieldColumnCheck);
  return (columns, length) => {
    for (let f = 0; f < fields.length; f++) {
      const check = checks[f] as FieldColumnCheck;
      if (!check(columns[(fields[f] as ContractField).name], length)) return false;
    }
    return true;
  };
}

/** Largest finite magnitudes of the float types, as the row validator's float checks use them. */
const FLOAT_LIMITS: Partial<Record<string, number>> = {
  float32: 3.4028234663852886e38,
  float64: Number.MAX_VALUE,
};

function fieldColumnCheck(field: ContractField): FieldColumnCheck {
  const { nullable } = field;
  const categories = field.categories && field.categories.length > 0 ? new Set(field.categories) : undefined;
  const limit = categories === undefined ? FLOAT_LIMITS[field.type] : undefined;
  if (limit !== undefined) {
    // The hot case inlined: scalarCheck's float rule without a call per value.
    return (values, length) => {
      if (values === undefined) return nullable;
      for (let i = 0; i < length; i++) {
        const value = values[i];
        if (typeof value === 'number') {
          if (!(Math.abs(value) <= limit)) return false;
        } else if (!nullable || (value !== undefined && value !== null)) {
          return false;
        }
      }
      return true;
    };
  }
  const check = scalarCheck(field.type);
  return (values, length) => {
    if (values === undefined) return nullable;
    for (let i = 0; i < length; i++) {
      const value = values[i];
      if (value === undefined || value === null) {
        if (!nullable) return false;
      } else if (check(value) !== undefined) {
        return false;
      } else if (categories !== undefined && !categories.has(value as string | number)) {
        return false;
      }
    }
    return true;
  };
}

/**
 * One part column being gathered: per-row values (row path) and whole column segments (columnar
 * path), joined once per chunk. A fixed-width column (`width` > 0) is kept flat, `width` elements
 * per row, until a row arrives that is not an array of that width: from then on it holds one
 * value per row, so the part writer refuses that row exactly as before.
 */
class PartColumn {
  private parts: ArrayLike<unknown>[] = [];
  private tail: unknown[] = [];
  private perRow: boolean;

  constructor(private readonly width: number) {
    this.perRow = width === 0;
  }

  /** Appends one row's value. */
  push(value: unknown): void {
    if (this.perRow) {
      this.tail.push(value);
    } else if (Array.isArray(value) && value.length === this.width) {
      for (const element of value) this.tail.push(element);
    } else {
      this.splitRows();
      this.tail.push(value);
    }
  }

  /** Appends `length` rows given as a column of `width` values per row (0: one value per row). */
  pushColumn(values: ArrayLike<unknown>, width: number, length: number): void {
    if (width === (this.perRow ? 0 : this.width)) {
      if (this.tail.length > 0) this.parts.push(this.tail);
      this.tail = [];
      this.parts.push(values);
      return;
    }
    for (let i = 0; i < length; i++) {
      this.push(width === 0 ? values[i] : Array.prototype.slice.call(values, i * width, (i + 1) * width));
    }
  }

  /** The chunk's values, flat (`width` per row) unless a row forced one value per row. */
  finish(): { values: ArrayLike<unknown>; flat: boolean } {
    const parts = this.tail.length > 0 ? [...this.parts, this.tail] : this.parts;
    return { values: joined(parts), flat: !this.perRow };
  }

  private splitRows(): void {
    const elements = this.finish().values;
    const rows: unknown[] = [];
    for (let start = 0; start < elements.length; start += this.width) {
      rows.push(Array.prototype.slice.call(elements, start, start + this.width));
    }
    this.parts = [];
    this.tail = rows;
    this.perRow = true;
  }
}

/** Parts joined in order: one Float64Array when all are float arrays, else one plain array. */
function joined(parts: readonly ArrayLike<unknown>[]): ArrayLike<unknown> {
  if (parts.length === 1) return parts[0] as ArrayLike<unknown>;
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const floats = parts.every((p) => p instanceof Float32Array || p instanceof Float64Array);
  if (floats) {
    const values = new Float64Array(total);
    let at = 0;
    for (const part of parts) {
      values.set(part as Float32Array | Float64Array, at);
      at += part.length;
    }
    return values;
  }
  const values = new Array<unknown>(total);
  let at = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) values[at++] = part[i];
  }
  return values;
}

/** One chunk being filled: its scored columns, its rejects and its log's records or columns. */
class ChunkBuffer {
  /** When logging: each scored row's input row number (its prediction id's suffix). */
  readonly rowNumbers: number[] = [];
  readonly passthrough: PartColumn[];
  outputs: PartColumn[] | undefined;
  readonly rejects: RejectLine[] = [];
  readonly records: PredictionRecord[] = [];
  /** With `logFromParts`: the logged inputs that are not passed through, and call times. */
  readonly inputs: PartColumn[];
  readonly timestamps: number[] = [];
  readonly latencies: number[] = [];
  rows = 0;
  scored = 0;

  constructor(setup: ScoringSetup) {
    this.passthrough = setup.passthrough.map(() => new PartColumn(0));
    const ownInputs = setup.logFromParts ? setup.loggedInputs.filter((i) => !i.passthrough).length : 0;
    this.inputs = Array.from({ length: ownInputs }, () => new PartColumn(0));
  }

  /** Notes `length` scored rows from input row `firstRow` (contiguous) for the log. */
  logRows(setup: ScoringSetup, firstRow: number, length: number, timestamp: number, latencyMs: number): void {
    if (!setup.logging) return;
    for (let i = 0; i < length; i++) this.rowNumbers.push(firstRow + i);
    if (setup.logFromParts) this.logTimes(length, timestamp, latencyMs);
  }

  /** The call's start and latency for `length` more logged rows. */
  logTimes(length: number, timestamp: number, latencyMs: number): void {
    for (let i = 0; i < length; i++) {
      this.timestamps.push(timestamp);
      this.latencies.push(latencyMs);
    }
  }
}

/** The part columns of the model's outputs; fixed-width `double[]` ones flat. */
function outputPartColumns(outputs: readonly OutputColumn[]): PartColumn[] {
  return outputs.map((o) => new PartColumn(o.kind === 'double[]' && o.width !== undefined ? o.width : 0));
}

/** Scores the partition's remaining chunks; 'stopped' when a commit said cancelRequested or held:false. */
export async function scoreBatchPartition(run: PartitionRun, io: BatchIo): Promise<'done' | 'stopped'> {
  if (run.signal.aborted) return 'stopped';
  const setup = await setUp(run, io);
  const { rowStart, rowEnd } = run.partition;
  let chunk = run.partition.committedChunks;
  const first = rowStart + chunk * setup.chunkRows;
  if (first >= rowEnd) return 'done';
  await io.makeDirectory(setup.partsDir);
  const read = {
    path: run.payload.input,
    format: setup.inputFormat,
    columns: setup.readColumns,
    start: first,
    end: rowEnd,
    batchRows: setup.batchSize,
  };
  const reader: AsyncIterable<InputRow[] | ColumnsBatch> =
    setup.columnCheck === undefined ? io.readRange(read) : io.readColumns(read);
  const committer = new Committer();
  let buffer = new ChunkBuffer(setup);
  let row = first;
  let chunkEnd = Math.min(first + setup.chunkRows, rowEnd);
  try {
    for await (const batch of reader) {
      let offset = 0;
      while (offset < batch.length) {
        if (run.signal.aborted || committer.stopped) return 'stopped';
        // A read batch may straddle a chunk boundary: score only the part that belongs to this chunk.
        const take = Math.min(batch.length - offset, chunkEnd - row);
        const part = offset === 0 && take === batch.length ? batch : sliceBatch(batch, offset, take);
        if (Array.isArray(part)) await scoreBatch(run, setup, buffer, part, row);
        else await scoreColumns(run, setup, buffer, part, row);
        row += take;
        offset += take;
        if (row === chunkEnd) {
          if ((await committer.settle()) === 'stopped') return 'stopped';
          committer.start(commitChunk(run, setup, buffer, chunk, io));
          chunk++;
          buffer = new ChunkBuffer(setup);
          chunkEnd = Math.min(row + setup.chunkRows, rowEnd);
        }
      }
    }
    if ((await committer.settle()) === 'stopped') return 'stopped';
  } finally {
    // Never leave a commit running behind the caller's back (it would race the runner's next call).
    await committer.settle().catch(() => undefined);
  }
  if (row !== rowEnd) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Input '${run.payload.input}' ended at row ${row}; partition ${run.partition.index} expects rows up to ${rowEnd} (was the file changed after the job was planned?)`,
      { field: 'input' },
    );
  }
  return 'done';
}

/**
 * At most one chunk's write-log-commit in flight while the next chunk is scored: the part file's
 * DuckDB COPY and the log write run on other threads, so the hot loop need not wait for them.
 * Commits stay in chunk order because a chunk is only handed over once the previous one settled.
 */
class Committer {
  private inFlight: Promise<'committed' | 'stopped'> | undefined;
  /** True once a settled commit said to stop (checked between batches). */
  stopped = false;

  start(commit: Promise<'committed' | 'stopped'>): void {
    this.inFlight = commit.then((outcome) => {
      if (outcome === 'stopped') this.stopped = true;
      return outcome;
    });
    // Observed here so a failure is not reported as unhandled before settle() rethrows it.
    this.inFlight.catch(() => undefined);
  }

  /** Waits for the commit in flight; rethrows its failure. */
  async settle(): Promise<'committed' | 'stopped'> {
    const pending = this.inFlight;
    this.inFlight = undefined;
    if (pending === undefined) return this.stopped ? 'stopped' : 'committed';
    return pending;
  }
}

/** Validates, predicts and buffers one batch whose first row is input row `firstRow`. */
async function scoreBatch(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  rows: InputRow[],
  firstRow: number,
): Promise<void> {
  buffer.rows += rows.length;
  const typed = setup.textNumbers.length === 0 ? rows : rows.map((r) => withNumbers(r, setup.textNumbers));
  const { valid, rowNumbers } = splitValid(setup.validator, typed, firstRow, buffer.rejects);
  if (valid.length === 0) return;
  const started = run.now();
  const outputs = await run.model.predict(valid);
  const latencyMs = run.now() - started;
  if (outputs.length !== valid.length) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `Model returned ${outputs.length} rows for ${valid.length} inputs`,
    );
  }
  setup.outputs ??= inferOutputs(outputs[0] as OutputRow);
  buffer.outputs ??= outputPartColumns(setup.outputs);
  appendScored(run, setup, buffer, { valid, rowNumbers, firstRow }, outputs, latencyMs, started);
}

/** Rows [offset, offset + take) of a batch read either way. */
function sliceBatch(
  batch: InputRow[] | ColumnsBatch,
  offset: number,
  take: number,
): InputRow[] | ColumnsBatch {
  if (Array.isArray(batch)) return batch.slice(offset, offset + take);
  const columns: Record<string, unknown[]> = {};
  for (const name of Object.keys(batch.columns)) {
    columns[name] = (batch.columns[name] as unknown[]).slice(offset, offset + take);
  }
  return { length: take, columns };
}

/**
 * The columnar fast path: a batch every value of which passes the contract is predicted and
 * buffered column-wise; any other batch goes through `scoreBatch` as rows, so rejects and their
 * reasons are exactly the row path's.
 */
async function scoreColumns(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  batch: ColumnsBatch,
  firstRow: number,
): Promise<void> {
  const { length } = batch;
  const columns =
    setup.textNumbers.length === 0 ? batch.columns : withNumberColumns(batch, setup.textNumbers);
  const predictColumns = run.model.predictColumns;
  if (predictColumns === undefined || !(setup.columnCheck as ColumnCheck)(columns, length)) {
    return scoreBatch(run, setup, buffer, rowsOf(batch), firstRow);
  }
  buffer.rows += length;
  const started = run.now();
  const outputs = await predictColumns.call(run.model, { length, columns });
  const latencyMs = run.now() - started;
  setup.outputs ??= Object.keys(outputs).map((name) => ({ name, kind: 'json' }));
  buffer.outputs ??= outputPartColumns(setup.outputs);
  setup.passthrough.forEach((column, c) => {
    (buffer.passthrough[c] as PartColumn).pushColumn(columns[column.name] ?? new Array(length), 0, length);
  });
  const outputColumns = setup.outputs;
  for (let c = 0; c < outputColumns.length; c++) {
    const values = outputValues(outputs, (outputColumns[c] as OutputColumn).name, length);
    (buffer.outputs[c] as PartColumn).pushColumn(values.values, values.width, length);
  }
  buffer.logRows(setup, firstRow, length, started, latencyMs);
  ownInputs(setup).forEach((name, k) => {
    (buffer.inputs[k] as PartColumn).pushColumn(columns[name] ?? new Array(length), 0, length);
  });
  buffer.scored += length;
}

/** Output `name` of a columnar prediction, checked to hold `length` rows (absent: all undefined). */
function outputValues(
  outputs: ColumnOutputs,
  name: string,
  length: number,
): { values: ArrayLike<unknown>; width: number } {
  const output = Object.hasOwn(outputs, name) ? outputs[name] : undefined;
  if (output === undefined) return { values: new Array(length), width: 0 };
  const rows = output.width > 0 ? output.values.length / output.width : output.values.length;
  if (rows !== length) {
    throw new SlipwayError('FAILED_PRECONDITION', `Model returned ${rows} rows for ${length} inputs`);
  }
  return output;
}

/** The batch as row objects, keyed in column order as `readRange` builds them. */
function rowsOf(batch: ColumnsBatch): InputRow[] {
  const names = Object.keys(batch.columns);
  const columns = names.map((name) => batch.columns[name] as unknown[]);
  const rows = new Array<InputRow>(batch.length);
  for (let i = 0; i < batch.length; i++) {
    const row: Record<string, unknown> = {};
    for (let c = 0; c < names.length; c++) row[names[c] as string] = (columns[c] as unknown[])[i];
    rows[i] = row;
  }
  return rows;
}

/** `withNumbers` column-wise: copies of the text columns of `fields` with numeric text as numbers. */
function withNumberColumns(batch: ColumnsBatch, fields: readonly string[]): Record<string, unknown[]> {
  const columns = { ...batch.columns };
  for (const name of fields) {
    const values = columns[name];
    if (values === undefined) continue;
    columns[name] = values.map((value) => {
      if (typeof value !== 'string' || value.trim() === '') return value;
      const number = Number(value);
      return Number.isFinite(number) ? number : value;
    });
  }
  return columns;
}

/** A copy of `row` with the numeric text of `fields` as numbers (other text is left for the validator to refuse). */
function withNumbers(row: InputRow, fields: readonly string[]): InputRow {
  const typed: Record<string, unknown> = { ...row };
  for (const name of fields) {
    const value = typed[name];
    if (typeof value !== 'string' || value.trim() === '') continue;
    const number = Number(value);
    if (Number.isFinite(number)) typed[name] = number;
  }
  return typed;
}

/** Rows the contract accepts, with their input row numbers; the others become reject lines. */
function splitValid(
  validator: RowValidator,
  rows: InputRow[],
  firstRow: number,
  rejects: RejectLine[],
): { valid: InputRow[]; rowNumbers: number[] | undefined } {
  try {
    // The common case: the whole batch is valid and costs one pass.
    validator(rows);
    return { valid: rows, rowNumbers: undefined };
  } catch (error) {
    if (!(error instanceof SlipwayError)) throw error;
  }
  const valid: InputRow[] = [];
  const rowNumbers: number[] = [];
  const single: InputRow[] = [];
  for (let i = 0; i < rows.length; i++) {
    const input = rows[i] as InputRow;
    single[0] = input;
    const refusal = refusalOf(validator, single);
    if (refusal === undefined) {
      valid.push(input);
      rowNumbers.push(firstRow + i);
    } else {
      rejects.push({ row: firstRow + i, field: refusal.field, reason: refusal.reason, input });
    }
  }
  return { valid, rowNumbers };
}

const ROW_PATH = 'row[0].';

function refusalOf(
  validator: RowValidator,
  single: InputRow[],
): { field: string; reason: string } | undefined {
  try {
    validator(single);
    return undefined;
  } catch (error) {
    if (!(error instanceof SlipwayError)) throw error;
    // The validator names `row[0].col`; a reject line names the column and its input row instead.
    const path = typeof error.details?.field === 'string' ? error.details.field : '';
    const field = path.startsWith(ROW_PATH) ? path.slice(ROW_PATH.length) : path;
    const reason = error.message.startsWith(ROW_PATH) ? error.message.slice(ROW_PATH.length) : error.message;
    return { field, reason };
  }
}

/** Without declared outputs, the first output row's keys, each stored as JSON. */
function inferOutputs(first: OutputRow): OutputColumn[] {
  return Object.keys(first).map((name) => ({ name, kind: 'json' }));
}

function appendScored(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  scored: { valid: readonly InputRow[]; rowNumbers: readonly number[] | undefined; firstRow: number },
  outputs: readonly OutputRow[],
  latencyMs: number,
  timestamp: number,
): void {
  const { valid, rowNumbers, firstRow } = scored;
  const outputColumns = setup.outputs as OutputColumn[];
  const outputValues = buffer.outputs as PartColumn[];
  const passthrough = setup.passthrough;
  const own = ownInputs(setup);
  for (let i = 0; i < valid.length; i++) {
    const input = valid[i] as InputRow;
    const output = outputs[i] as OutputRow;
    for (let c = 0; c < passthrough.length; c++) {
      (buffer.passthrough[c] as PartColumn).push(input[(passthrough[c] as BatchInputColumn).name]);
    }
    for (let c = 0; c < outputColumns.length; c++) {
      (outputValues[c] as PartColumn).push(output[(outputColumns[c] as OutputColumn).name]);
    }
    if (!setup.logging) continue;
    const rowNumber = rowNumbers ? (rowNumbers[i] as number) : firstRow + i;
    buffer.rowNumbers.push(rowNumber);
    for (let k = 0; k < own.length; k++) (buffer.inputs[k] as PartColumn).push(input[own[k] as string]);
    if (run.predictions && !setup.logFromParts) {
      buffer.records.push(record(run, `${run.jobId}-${rowNumber}`, input, output, latencyMs, timestamp));
    }
  }
  if (setup.logFromParts) buffer.logTimes(valid.length, timestamp, latencyMs);
  buffer.scored += valid.length;
}

/** The logged inputs a part stores in columns of their own (the others are passed through). */
function ownInputs(setup: ScoringSetup): string[] {
  if (!setup.logFromParts) return [];
  return setup.loggedInputs.filter((i) => !i.passthrough).map((i) => i.name);
}

function record(
  run: PartitionRun,
  predictionId: string,
  input: InputRow,
  output: OutputRow,
  latencyMs: number,
  timestamp: number,
): PredictionRecord {
  return {
    predictionId,
    endpoint: run.payload.logEndpoint ?? run.modelName,
    modelName: run.modelName,
    modelVersion: run.modelVersion,
    arm: 'live',
    protocol: 'batch',
    timestamp,
    latencyMs,
    requestId: run.jobId,
    input: input as Record<string, unknown>,
    output,
    jobId: run.jobId,
  };
}

/** Writes the chunk's files, logs its predictions, then commits it; 'stopped' when told to stop. */
async function commitChunk(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  chunk: number,
  io: BatchIo,
): Promise<'committed' | 'stopped'> {
  const stem = `${setup.partsDir}/p${run.partition.index}-c${chunk}-${safeName(run.token)}`;
  const file = `${stem}.parquet`;
  const columns = partColumns(setup, buffer);
  await io.writePart(file, columns, buffer.scored, partLog(run, setup, buffer, columns));
  let rejectsFile: string | undefined;
  if (buffer.rejects.length > 0) {
    rejectsFile = `${stem}.rejects.jsonl`;
    await io.writeRejects(rejectsFile, buffer.rejects);
  }
  if (run.signal.aborted) return 'stopped';
  if (run.predictions && buffer.scored > 0) await logChunk(run, setup, buffer, file);
  if (run.signal.aborted) return 'stopped';
  const outcome = await run.commit({
    chunk,
    rows: buffer.rows,
    rejected: buffer.rejects.length,
    file,
    ...(rejectsFile === undefined ? {} : { rejectsFile }),
  });
  return outcome.held && !outcome.cancelRequested ? 'committed' : 'stopped';
}

/** Stores the chunk's predictions: from its part file's log columns, or as records. */
async function logChunk(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  file: string,
): Promise<void> {
  const sink = run.predictions as BatchLogSink;
  if (!setup.logFromParts || sink.importPart === undefined) {
    if (buffer.records.length > 0) await sink.write(buffer.records);
    return;
  }
  await sink.importPart({
    file,
    rows: buffer.scored,
    columns: { id: PREDICTION_ID_COLUMN, ...PART_LOG_COLUMNS },
    endpoint: run.payload.logEndpoint ?? run.modelName,
    modelName: run.modelName,
    modelVersion: run.modelVersion,
    arm: 'live',
    protocol: 'batch',
    requestId: run.jobId,
    jobId: run.jobId,
  });
}

/** The part's log share: its prediction ids and, when the log is stored from the part, its inputs. */
function partLog(
  run: PartitionRun,
  setup: ScoringSetup,
  buffer: ChunkBuffer,
  columns: readonly BatchColumnData[],
): PartLog | undefined {
  if (!setup.logging) return undefined;
  const log: PartLog = { idPrefix: `${run.jobId}-`, rows: Float64Array.from(buffer.rowNumbers) };
  if (!setup.logFromParts) return log;
  let own = 0;
  const inputs = setup.loggedInputs.map((input): LoggedInput => {
    if (input.passthrough) return { name: input.name };
    const values = (buffer.inputs[own++] as PartColumn).finish().values;
    return { name: input.name, column: { name: input.name, kind: input.kind, values } };
  });
  const passthrough = new Set(setup.passthrough.map((c) => c.name));
  const outputs = columns.map((c) => c.name).filter((name) => !passthrough.has(name));
  return {
    ...log,
    records: {
      inputs,
      outputs,
      timestamps: Float64Array.from(buffer.timestamps),
      latencies: Float64Array.from(buffer.latencies),
    },
  };
}

/** The part file's columns: passthrough, then the model's outputs (the adapter adds the ids). */
function partColumns(setup: ScoringSetup, buffer: ChunkBuffer): BatchColumnData[] {
  const columns: BatchColumnData[] = [];
  setup.passthrough.forEach((column, c) => {
    const { values } = (buffer.passthrough[c] as PartColumn).finish();
    columns.push({ name: column.name, kind: column.kind, values });
  });
  // A chunk whose every row was rejected never learned undeclared outputs; its part is still
  // written (with the columns known so far) so each committed chunk has a file.
  (setup.outputs ?? []).forEach((column, c) => {
    const part = buffer.outputs?.[c]?.finish();
    if (part === undefined) columns.push({ ...column, values: [] });
    else if (part.flat && column.width !== undefined) columns.push({ ...column, ...part });
    else columns.push({ ...column, values: part.values });
  });
  return columns;
}

/** Concatenates the committed chunks into the output (and rejects file) and removes the part files. */
export async function finalizeBatchScore(
  job: JobOf<'batch_score'>,
  chunks: readonly CommittedChunk[],
  modelVersion: string,
  io: BatchIo,
): Promise<BatchScoreResult> {
  const payload = job.payload;
  const outputFormat = resolveBatchFormat(payload.output, payload.outputFormat, 'outputFormat');
  const ordered = [...chunks].sort((a, b) => a.partition - b.partition || a.chunk - b.chunk);
  const rows = await io.concatParts(
    ordered.map((c) => c.file),
    payload.output,
    outputFormat,
  );
  const rejected = ordered.reduce((sum, c) => sum + c.rejected, 0);
  const expected = ordered.reduce((sum, c) => sum + c.rows, 0) - rejected;
  if (rows !== expected) {
    throw new SlipwayError(
      'INTERNAL',
      `Job ${job.id}: the committed chunks hold ${expected} scored rows but their part files ${rows}`,
    );
  }
  const rejectFiles = ordered.flatMap((c) => (c.rejectsFile === undefined ? [] : [c.rejectsFile]));
  const rejects = rejectsPath(payload);
  if (rejectFiles.length > 0) await io.concatLines(rejectFiles, rejects);
  await io.remove(partsDirectory(payload.output, job.id));
  await io.removeEmptyDirectory(`${payload.output}.parts`);
  return {
    output: payload.output,
    rows,
    rejected,
    ...(rejectFiles.length > 0 ? { rejects } : {}),
    modelVersion,
  };
}
