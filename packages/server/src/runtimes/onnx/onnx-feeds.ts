/**
 * Row ↔ tensor conversion for ONNX models, pure: which row fields fill which graph input (planned
 * once at load from the contract and the graph), packing a batch of rows into one typed tensor per
 * input, and splitting output tensors back into one plain JS value per row. The rules are written
 * out in docs/model-format.md ("Loading and predicting").
 */
import { invalidArgument, SlipwayError, type ModelContract } from '@slipway/contracts';
import type { Tensor } from 'onnxruntime-node';
import type { ColumnBatch, ColumnOutput, InputRow } from '../runtime.js';

/** A graph input or output as the session reports it: ORT element type, `-1` for dynamic dims. */
export interface GraphTensor {
  name: string;
  type: string;
  shape: number[];
}

/** Element types rows can be written into (float16 has no JS number array to fill). */
export const FEED_TYPES = [
  'float32',
  'float64',
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'bool',
  'string',
] as const;

/** An element type rows can be written into. */
export type FeedType = (typeof FEED_TYPES)[number];

/** A feed's element type with the typed data onnxruntime takes for it. */
export type FeedData = { [T in FeedType]: { type: T; data: Tensor.DataTypeMap[T] } }[FeedType];

/** One graph input's batch: the data and its dims (`[rows, ...per-row dims]`). */
export type FeedTensor = FeedData & { dims: number[] };

/** One row field that fills part of a graph input's per-row slice. */
export interface FeedSource {
  /** The row key. */
  field: string;
  /** The value's per-row shape: `[]` for a scalar, `-1` where the batch's first row decides. */
  shape: number[];
  /** A missing value becomes NaN (float inputs only); otherwise missing is refused. */
  optional: boolean;
}

/** How one graph input is filled from rows: its sources, concatenated, make each row's slice. */
export interface FeedPlan {
  input: GraphTensor;
  type: FeedType;
  sources: FeedSource[];
  /** Per-row dims of the input; a `-1` is taken from the (single) source's first row. */
  rowShape: number[];
}

const NUMERIC_FIELD_TYPE = /^(u?int(8|16|32|64)|float(16|32|64))$/;

/**
 * Plans the feeds of `inputs` (the graph's) from `contract`'s inputs: tensor contracts and no
 * contract feed each graph input from the row field of its name; column contracts are packed into
 * the graph's only input when it is `[N, k]` with k = the number of (all numeric) columns, and
 * otherwise feed each column to the `[N]` or `[N, 1]` input of its name. Mismatches are refused as
 * INVALID_ARGUMENT naming `field` (the model being loaded).
 */
export function planFeeds(
  inputs: readonly GraphTensor[],
  contract: ModelContract | undefined,
  field: string,
): FeedPlan[] {
  for (const input of inputs) checkBatchable(input, field);
  if (contract?.inputs.kind !== 'columns') {
    const names = contract ? contract.inputs.fields.map((f) => f.name) : inputs.map((i) => i.name);
    checkSameNames(inputs, names, field);
    return inputs.map((input) => ({
      input,
      type: feedType(input, field),
      sources: [{ field: input.name, shape: input.shape.slice(1), optional: false }],
      rowShape: input.shape.slice(1),
    }));
  }
  const columns = contract.inputs.fields;
  const only = inputs.length === 1 ? inputs[0] : undefined;
  if (only && packsColumns(only, columns)) {
    const sources = columns.map((c) => ({ field: c.name, shape: [], optional: c.nullable }));
    return [{ input: only, type: feedType(only, field), sources, rowShape: [columns.length] }];
  }
  checkSameNames(
    inputs,
    columns.map((c) => c.name),
    field,
  );
  return columns.map((column) => {
    const input = inputs.find((i) => i.name === column.name) as GraphTensor;
    return {
      input,
      type: feedType(input, field),
      sources: [{ field: column.name, shape: [], optional: column.nullable }],
      rowShape: columnRowShape(input, field),
    };
  });
}

function packsColumns(input: GraphTensor, columns: readonly { type: string }[]): boolean {
  return (
    input.shape.length === 2 &&
    input.shape[1] === columns.length &&
    columns.every((c) => NUMERIC_FIELD_TYPE.test(c.type))
  );
}

// Dim 0 carries the rows; a rank-0 input cannot take a batch.
function checkBatchable(input: GraphTensor, field: string): void {
  if (input.shape.length === 0) {
    throw invalidArgument(field, `ONNX input '${input.name}' is rank 0: it has no batch dimension for rows`);
  }
}

function checkSameNames(inputs: readonly GraphTensor[], names: readonly string[], field: string): void {
  const missing = inputs.find((input) => !names.includes(input.name));
  if (missing) {
    throw invalidArgument(field, `ONNX input '${missing.name}' is not an input of the contract`);
  }
  const extra = names.find((name) => !inputs.some((input) => input.name === name));
  if (extra !== undefined) {
    throw invalidArgument(field, `Contract input '${extra}' is not an input of the ONNX graph`);
  }
}

// One column per graph input: the input holds one value per row, as [N] or [N, 1].
function columnRowShape(input: GraphTensor, field: string): number[] {
  if (input.shape.length === 1) return [];
  if (input.shape.length === 2 && (input.shape[1] === 1 || input.shape[1] === -1)) return [1];
  throw invalidArgument(
    field,
    `ONNX input '${input.name}' has shape [${input.shape.join(', ')}]; a column feeds [N] or [N, 1]`,
  );
}

function feedType(input: GraphTensor, field: string): FeedType {
  const type = FEED_TYPES.find((t) => t === input.type);
  if (type === undefined) {
    throw invalidArgument(
      field,
      `ONNX input '${input.name}' has element type ${input.type}, which rows cannot fill`,
    );
  }
  return type;
}

/**
 * Packs `rows` into one tensor per plan, checking every value first, so a bad row stops the batch
 * before anything runs. Refusals are INVALID_ARGUMENT with `field` = `rows[i].<field>`.
 */
export function buildFeeds(plans: readonly FeedPlan[], rows: readonly InputRow[]): Map<string, FeedTensor> {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw invalidArgument(`rows[${i}]`, `rows[${i}] must be an object of input fields`);
    }
  }
  const feeds = new Map<string, FeedTensor>();
  for (const plan of plans) feeds.set(plan.input.name, buildFeed(plan, rows));
  return feeds;
}

const SCALAR: readonly number[] = [];

function buildFeed(plan: FeedPlan, rows: readonly InputRow[]): FeedTensor {
  checkBatchSize(plan.input, rows.length);
  const sources = plan.sources;
  const first = rows[0];
  const shapes = sources.map((s) =>
    s.shape.length === 0 ? SCALAR : resolveShape(s.shape, first?.[s.field]),
  );
  const rowShape = plan.rowShape.includes(-1) ? (shapes[0] ?? []) : plan.rowShape;
  // An unresolved -1 counts as 0 here: writing the first row refuses it before anything is used.
  const perRow = product(rowShape.map((d) => Math.max(d, 0)));
  const writer = createWriter(plan.type, rows.length * perRow);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as InputRow;
    let offset = i * perRow;
    for (let s = 0; s < sources.length; s++) {
      const source = sources[s] as FeedSource;
      const shape = shapes[s] as readonly number[];
      const value = row[source.field];
      // The fast path writes without building error paths; on any problem the checked path below
      // runs on the same value and throws the exact refusal.
      const next = value === undefined || value === null ? -1 : writeFast(writer, value, shape, 0, offset);
      if (next >= 0) {
        offset = next;
      } else {
        const at = { field: `rows[${i}].${source.field}`, input: plan.input.name, type: plan.type };
        offset = writeSource(writer, value, source, shape, offset, at);
      }
    }
  }
  return { ...writer.feed, dims: [rows.length, ...rowShape] };
}

/** True when every plan is fed from scalar sources only, so a batch of columns can fill it directly. */
export function feedsFromColumns(plans: readonly FeedPlan[]): boolean {
  return plans.every(
    (plan) => !plan.rowShape.includes(-1) && plan.sources.every((s) => s.shape.length === 0),
  );
}

/**
 * Packs a batch of columns (plans of scalar sources only, see `feedsFromColumns`) into one tensor
 * per plan; undefined when any value is one the writers refuse, so the caller can rerun the rows
 * through `buildFeeds` for the exact refusal. A batch size the input refuses throws as `buildFeeds`.
 */
export function buildColumnFeeds(
  plans: readonly FeedPlan[],
  batch: ColumnBatch,
): Map<string, FeedTensor> | undefined {
  const feeds = new Map<string, FeedTensor>();
  for (const plan of plans) {
    checkBatchSize(plan.input, batch.length);
    const feed = buildColumnFeed(plan, batch);
    if (feed === undefined) return undefined;
    feeds.set(plan.input.name, feed);
  }
  return feeds;
}

const NO_VALUES: ArrayLike<unknown> = { length: 0 };

function buildColumnFeed(plan: FeedPlan, batch: ColumnBatch): FeedTensor | undefined {
  const rows = batch.length;
  const stride = plan.sources.length;
  const writer = createWriter(plan.type, rows * stride);
  for (let s = 0; s < stride; s++) {
    const source = plan.sources[s] as FeedSource;
    const values = batch.columns[source.field] ?? NO_VALUES;
    const filled =
      writer.feed.data instanceof Float32Array || writer.feed.data instanceof Float64Array
        ? fillFloats(writer.feed.data, values, rows, stride, s, source.optional)
        : fillChecked(writer, values, rows, stride, s);
    if (!filled) return undefined;
  }
  return { ...writer.feed, dims: [rows, ...plan.rowShape] };
}

// The hot case (float inputs) without a call per value; missing optional values become NaN.
function fillFloats(
  data: Float32Array | Float64Array,
  values: ArrayLike<unknown>,
  rows: number,
  stride: number,
  at: number,
  optional: boolean,
): boolean {
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (typeof value === 'number') data[i * stride + at] = value;
    else if (optional && (value === undefined || value === null)) data[i * stride + at] = Number.NaN;
    else return false;
  }
  return true;
}

function fillChecked(
  writer: ElementWriter,
  values: ArrayLike<unknown>,
  rows: number,
  stride: number,
  at: number,
): boolean {
  for (let i = 0; i < rows; i++) {
    const value = values[i];
    if (value === undefined || value === null || writer.put(i * stride + at, value) !== undefined)
      return false;
  }
  return true;
}

/** Writes a present value of the given per-row shape; the next offset, or -1 when anything is wrong. */
function writeFast(
  writer: ElementWriter,
  value: unknown,
  shape: readonly number[],
  depth: number,
  offset: number,
): number {
  if (depth === shape.length) return writer.put(offset, value) === undefined ? offset + 1 : -1;
  const length = shape[depth] ?? -1;
  if (!Array.isArray(value) || value.length !== length) return -1;
  let next = offset;
  for (let k = 0; k < length; k++) {
    next = writeFast(writer, value[k], shape, depth + 1, next);
    if (next < 0) return -1;
  }
  return next;
}

function checkBatchSize(input: GraphTensor, rows: number): void {
  const fixed = input.shape[0] ?? -1;
  if (fixed >= 0 && fixed !== rows) {
    throw invalidArgument(
      'rows',
      `ONNX input '${input.name}' takes batches of exactly ${fixed} rows, got ${rows}`,
    );
  }
}

// Dynamic per-row dims are read off the batch's first row; every other row must then match it.
function resolveShape(shape: readonly number[], first: unknown): number[] {
  let value = first;
  return shape.map((dim) => {
    // -1 stays when the first row has no array here; writing that row then refuses it.
    const length = Array.isArray(value) ? value.length : -1;
    value = Array.isArray(value) ? (value as unknown[])[0] : undefined;
    return dim >= 0 ? dim : length;
  });
}

function product(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

interface Where {
  field: string;
  input: string;
  type: FeedType;
}

function writeSource(
  writer: ElementWriter,
  value: unknown,
  source: FeedSource,
  shape: readonly number[],
  offset: number,
  at: Where,
): number {
  if (value === undefined || value === null) {
    if (source.optional && writer.float && shape.length === 0) {
      writer.put(offset, Number.NaN);
      return offset + 1;
    }
    const why = source.optional ? ` and ${at.type} input '${at.input}' has no missing value` : '';
    throw invalidArgument(at.field, `${at.field} is missing${why}`);
  }
  return writeNested(writer, value, shape, 0, offset, at, at.field);
}

function writeNested(
  writer: ElementWriter,
  value: unknown,
  shape: readonly number[],
  depth: number,
  offset: number,
  at: Where,
  path: string,
): number {
  if (depth === shape.length) {
    const problem = writer.put(offset, value);
    if (problem !== undefined)
      throw invalidArgument(at.field, `${path} ${problem} (input '${at.input}' is ${at.type})`);
    return offset + 1;
  }
  const length = shape[depth] ?? -1;
  if (!Array.isArray(value) || value.length !== length) {
    const got = Array.isArray(value) ? `${value.length} values` : describe(value);
    const wanted = length >= 0 ? `an array of ${length} values` : 'an array';
    throw invalidArgument(at.field, `${path} must be ${wanted}, got ${got}`);
  }
  let next = offset;
  (value as unknown[]).forEach((item, k) => {
    next = writeNested(writer, item, shape, depth + 1, next, at, `${path}[${k}]`);
  });
  return next;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (typeof value === 'string') return `string ${JSON.stringify(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value;
}

/** Writes checked elements into one feed's data; `put` returns why a value was refused. */
interface ElementWriter {
  readonly feed: FeedData;
  /** Only float inputs take NaN (and so stand in for missing optional columns). */
  readonly float: boolean;
  put(index: number, value: unknown): string | undefined;
}

const INT_RANGES = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
} as const;

function createWriter(type: FeedType, size: number): ElementWriter {
  switch (type) {
    case 'float32':
      return floatWriter({ type, data: new Float32Array(size) });
    case 'float64':
      return floatWriter({ type, data: new Float64Array(size) });
    case 'int8':
      return intWriter({ type, data: new Int8Array(size) }, INT_RANGES[type]);
    case 'int16':
      return intWriter({ type, data: new Int16Array(size) }, INT_RANGES[type]);
    case 'int32':
      return intWriter({ type, data: new Int32Array(size) }, INT_RANGES[type]);
    case 'uint8':
      return intWriter({ type, data: new Uint8Array(size) }, INT_RANGES[type]);
    case 'uint16':
      return intWriter({ type, data: new Uint16Array(size) }, INT_RANGES[type]);
    case 'uint32':
      return intWriter({ type, data: new Uint32Array(size) }, INT_RANGES[type]);
    case 'int64':
      return bigIntWriter({ type, data: new BigInt64Array(size) }, -(2n ** 63n), 2n ** 63n - 1n);
    case 'uint64':
      return bigIntWriter({ type, data: new BigUint64Array(size) }, 0n, 2n ** 64n - 1n);
    case 'bool':
      return boolWriter({ type, data: new Uint8Array(size) });
    case 'string':
      return stringWriter({ type, data: new Array<string>(size).fill('') });
  }
}

function floatWriter(feed: FeedData & { data: Float32Array | Float64Array }): ElementWriter {
  return {
    feed,
    float: true,
    put(index, value) {
      if (typeof value !== 'number') return `must be a number, got ${describe(value)}`;
      feed.data[index] = value;
      return undefined;
    },
  };
}

function intWriter(
  feed: FeedData & { data: Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array },
  [min, max]: readonly [number, number],
): ElementWriter {
  return {
    feed,
    float: false,
    put(index, value) {
      const problem = integerProblem(value);
      if (problem !== undefined) return problem;
      const n = value as number;
      if (n < min || n > max) return `must be within [${min}, ${max}], got ${n}`;
      feed.data[index] = n;
      return undefined;
    },
  };
}

function integerProblem(value: unknown): string | undefined {
  if (typeof value !== 'number') return `must be an integer, got ${describe(value)}`;
  if (Number.isNaN(value)) return 'must be an integer: NaN is allowed only for float inputs';
  if (!Number.isInteger(value)) return `must be an integer, got ${value}`;
  return undefined;
}

// 64-bit integers beyond 2^53 cannot be JS numbers, so they may also arrive as bigints or decimal
// strings (the form outputs use for them).
function bigIntWriter(
  feed: FeedData & { data: BigInt64Array | BigUint64Array },
  min: bigint,
  max: bigint,
): ElementWriter {
  return {
    feed,
    float: false,
    put(index, value) {
      const n = toBigInt(value);
      if (typeof n === 'string') return n;
      if (n < min || n > max) return `must be within [${min}, ${max}], got ${n}`;
      feed.data[index] = n;
      return undefined;
    },
  };
}

function toBigInt(value: unknown): bigint | string {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string') {
    return /^-?\d+$/.test(value) ? BigInt(value) : `must be an integer, got ${describe(value)}`;
  }
  const problem = integerProblem(value);
  if (problem !== undefined) return problem;
  const n = value as number;
  if (!Number.isSafeInteger(n)) return `must be a safe integer (send larger values as a string), got ${n}`;
  return BigInt(n);
}

function boolWriter(feed: FeedData & { data: Uint8Array }): ElementWriter {
  return {
    feed,
    float: false,
    put(index, value) {
      if (typeof value !== 'boolean') return `must be a boolean, got ${describe(value)}`;
      feed.data[index] = value ? 1 : 0;
      return undefined;
    },
  };
}

function stringWriter(feed: FeedData & { data: string[] }): ElementWriter {
  return {
    feed,
    float: false,
    put(index, value) {
      if (typeof value !== 'string') return `must be a string, got ${describe(value)}`;
      feed.data[index] = value;
      return undefined;
    },
  };
}

/** An output tensor as onnxruntime returns it. */
export interface OutputTensor {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: Tensor.DataType;
}

/**
 * Splits output `name` into one plain value per row (dim 0 = rows): a scalar for `[N]`, an array
 * for `[N, k]`, nested arrays beyond. int64/uint64 become numbers when safe, else decimal strings;
 * bool becomes boolean. An output whose dim 0 is not the row count is FAILED_PRECONDITION: the
 * model does not answer per row.
 */
export function splitOutput(name: string, tensor: OutputTensor, rowCount: number): unknown[] {
  if (tensor.dims[0] !== rowCount) {
    throw new SlipwayError(
      'FAILED_PRECONDITION',
      `ONNX output '${name}' has shape [${tensor.dims.join(', ')}]; expected ${rowCount} rows in dim 0`,
      { output: name },
    );
  }
  const inner = tensor.dims.slice(1);
  const perRow = product(inner);
  const convert = tensor.type === 'bool' ? (v: unknown) => v !== 0 : plainValue;
  const data = tensor.data;
  const values: unknown[] = [];
  if (inner.length === 0) {
    // [N]: one scalar per row.
    for (let i = 0; i < rowCount; i++) values.push(convert(data[i]));
  } else if (inner.length === 1) {
    // [N, k]: one flat array per row.
    for (let i = 0; i < rowCount; i++) {
      const row: unknown[] = [];
      const end = (i + 1) * perRow;
      for (let j = i * perRow; j < end; j++) row.push(convert(data[j]));
      values.push(row);
    }
  } else {
    for (let i = 0; i < rowCount; i++) values.push(nested(data, i * perRow, inner, convert));
  }
  return values;
}

/**
 * Output `name` column-wise, with `splitOutput`'s checks and conversions: `[N]` as one value per
 * row (width 0), `[N, k]` as k values per row, row-major (width k; float data stays its typed
 * array), deeper outputs as `splitOutput`'s nested arrays per row (width 0).
 */
export function columnOutput(name: string, tensor: OutputTensor, rowCount: number): ColumnOutput {
  const inner = tensor.dims.slice(1);
  const width = inner.length === 1 ? (inner[0] as number) : 0;
  if (inner.length > 1 || (inner.length === 1 && width === 0) || tensor.dims[0] !== rowCount) {
    return { values: splitOutput(name, tensor, rowCount), width: 0 };
  }
  const data = tensor.data;
  if (data instanceof Float32Array || data instanceof Float64Array) return { values: data, width };
  const convert = tensor.type === 'bool' ? (v: unknown) => v !== 0 : plainValue;
  const size = rowCount * Math.max(width, 1);
  const values = new Array<unknown>(size);
  for (let j = 0; j < size; j++) values[j] = convert(data[j]);
  return { values, width };
}

function nested(
  data: Tensor.DataType,
  offset: number,
  dims: readonly number[],
  convert: (value: unknown) => unknown,
): unknown {
  const [first, ...rest] = dims;
  if (first === undefined) return convert(data[offset]);
  const size = product(rest);
  return Array.from({ length: first }, (_, k) => nested(data, offset + k * size, rest, convert));
}

function plainValue(value: unknown): unknown {
  if (typeof value !== 'bigint') return value;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : value.toString();
}
