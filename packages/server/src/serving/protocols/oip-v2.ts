/**
 * Open Inference Protocol v2 (KServe "V2 inference protocol", REST/JSON), pure: decoding an infer
 * request into rows for a model contract, encoding output rows as response tensors, and building
 * model metadata.
 *
 * Decoding: tensor `data` is row-major, flat or nested; its element count must equal the product
 * of `shape`. Dim 0 is the batch (rows). For a `columns` contract each input tensor is one column,
 * shaped `[N]` or `[N, 1]`; for a `tensors` contract (or no contract) each input tensor is a graph
 * input and row i gets its i-th slice (a scalar for `[N]`, nested arrays for rank ≥ 2). The
 * datatype must suit the contract type: the exact match (FP32 for float32, ...), any integer
 * datatype for an integer field and any numeric datatype for a float field (values are then
 * checked against the field by `compileRowValidator`); BOOL only for boolean; BYTES (as JSON
 * strings) for string, binary, datetime and object. The binary-data extension is not supported.
 */
import {
  invalidArgument,
  SlipwayError,
  type ContractField,
  type FieldType,
  type ModelContract,
} from '@slipway/contracts';
import type { InputRow, OutputRow } from '../../runtimes/runtime.js';
import { describe, isPlainObject, refuseUnknownKeys, setField, type DecodedRows } from './common.js';

/** The tensor datatypes of the protocol. */
export const OIP_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

/** A tensor datatype. */
export type OipDatatype = (typeof OIP_DATATYPES)[number];

const DATATYPE_OF: Record<FieldType, OipDatatype> = {
  boolean: 'BOOL',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  float16: 'FP16',
  float32: 'FP32',
  float64: 'FP64',
  string: 'BYTES',
  binary: 'BYTES',
  datetime: 'BYTES',
  object: 'BYTES',
};

/** The datatype a contract field type is exchanged as. */
export function oipDatatypeOf(type: FieldType): OipDatatype {
  return DATATYPE_OF[type];
}

const INTEGER_DATATYPES: ReadonlySet<string> = new Set([
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
]);
const FLOAT_DATATYPES: ReadonlySet<string> = new Set(['FP16', 'FP32', 'FP64']);

/** True when tensors of `datatype` may fill a field of `type` (see the module comment). */
export function datatypeAccepts(type: FieldType, datatype: OipDatatype): boolean {
  const exact = DATATYPE_OF[type];
  if (exact === datatype) return true;
  if (INTEGER_DATATYPES.has(exact)) return INTEGER_DATATYPES.has(datatype);
  if (FLOAT_DATATYPES.has(exact)) return FLOAT_DATATYPES.has(datatype) || INTEGER_DATATYPES.has(datatype);
  return false;
}

/** One request input tensor. */
export interface OipRequestInput {
  name: string;
  shape: number[];
  datatype: OipDatatype;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** One response output tensor. */
export interface OipOutputTensor {
  name: string;
  shape: number[];
  datatype: OipDatatype;
  data: unknown[];
  parameters?: Record<string, unknown>;
}

/** A decoded infer request. */
export interface OipDecodedRequest extends DecodedRows {
  id?: string;
  parameters?: Record<string, unknown>;
  /** Names of the outputs the caller asked for (all when absent). */
  requestedOutputs?: string[];
}

/** Body of an infer response. */
export interface OipInferResponse {
  model_name: string;
  model_version?: string;
  id: string;
  parameters?: Record<string, unknown>;
  outputs: OipOutputTensor[];
}

const REQUEST_KEYS = ['id', 'parameters', 'inputs', 'outputs'] as const;
const INPUT_KEYS = ['name', 'shape', 'datatype', 'data', 'parameters'] as const;
const OUTPUT_KEYS = ['name', 'parameters'] as const;

const INT_BOUNDS: Record<string, readonly [number, number]> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

function product(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Why one element is not of `datatype`, or undefined. */
function elementProblem(datatype: OipDatatype, value: unknown): string | undefined {
  if (datatype === 'BOOL')
    return typeof value === 'boolean' ? undefined : `must be a boolean, got ${describe(value)}`;
  if (datatype === 'BYTES')
    return typeof value === 'string' ? undefined : `must be a string, got ${describe(value)}`;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    // 64-bit integers beyond 2^53 may travel as decimal strings.
    if (
      (datatype === 'INT64' || datatype === 'UINT64') &&
      typeof value === 'string' &&
      /^-?\d{1,20}$/.test(value)
    ) {
      return datatype === 'UINT64' && value.startsWith('-')
        ? `must be a ${datatype}, got ${describe(value)}`
        : undefined;
    }
    return `must be a finite ${datatype} number, got ${describe(value)}`;
  }
  const bounds = INT_BOUNDS[datatype];
  if (bounds && (!Number.isInteger(value) || value < bounds[0] || value > bounds[1])) {
    return `must be a ${datatype} integer within [${bounds[0]}, ${bounds[1]}], got ${value}`;
  }
  return undefined;
}

/** Flattens row-major nested `data` into `out`; refuses non-array nesting mistakes lazily (by count). */
function flatten(data: readonly unknown[], out: unknown[]): void {
  for (const item of data) {
    if (Array.isArray(item)) flatten(item, out);
    else out.push(item);
  }
}

function isNested(data: readonly unknown[]): boolean {
  for (const item of data) if (Array.isArray(item)) return true;
  return false;
}

/** Rebuilds the nested per-row value of `dims` from flat data at `offset`. */
function nest(flat: readonly unknown[], offset: number, dims: readonly number[], depth: number): unknown {
  if (depth === dims.length) return flat[offset];
  const length = dims[depth] as number;
  let size = 1;
  for (let d = depth + 1; d < dims.length; d++) size *= dims[d] as number;
  const out = new Array<unknown>(length);
  for (let k = 0; k < length; k++) out[k] = nest(flat, offset + k * size, dims, depth + 1);
  return out;
}

interface ParsedInput {
  name: string;
  shape: number[];
  datatype: OipDatatype;
  flat: unknown[];
}

function parseInput(value: unknown, k: number): ParsedInput {
  const at = `inputs[${k}]`;
  if (!isPlainObject(value))
    throw invalidArgument(at, `${at} must be a tensor object, got ${describe(value)}`);
  refuseUnknownKeys(value, INPUT_KEYS, `${at}.`, 'an input tensor');
  const { name, shape, datatype, data, parameters } = value;
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArgument(`${at}.name`, `${at}.name must be a non-empty string, got ${describe(name)}`);
  }
  if (
    !Array.isArray(shape) ||
    shape.length === 0 ||
    !shape.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= 0)
  ) {
    throw invalidArgument(
      `${at}.shape`,
      `${at}.shape must be a non-empty list of non-negative integers (dim 0 = rows), got ${JSON.stringify(shape)}`,
    );
  }
  if (typeof datatype !== 'string' || !(OIP_DATATYPES as readonly string[]).includes(datatype)) {
    throw invalidArgument(
      `${at}.datatype`,
      `${at}.datatype must be one of ${OIP_DATATYPES.join(', ')}, got ${describe(datatype)}`,
    );
  }
  if (parameters !== undefined) {
    if (!isPlainObject(parameters)) {
      throw invalidArgument(
        `${at}.parameters`,
        `${at}.parameters must be an object, got ${describe(parameters)}`,
      );
    }
    if ('binary_data_size' in parameters) {
      throw invalidArgument(
        `${at}.parameters.binary_data_size`,
        'The binary tensor data extension is not supported; send data as JSON',
      );
    }
  }
  if (!Array.isArray(data)) {
    throw invalidArgument(`${at}.data`, `${at}.data must be a list of values, got ${describe(data)}`);
  }
  const dtype = datatype as OipDatatype;
  let flat: unknown[];
  if (isNested(data)) {
    flat = [];
    flatten(data, flat);
  } else {
    flat = data;
  }
  const dims = shape as number[];
  const expected = product(dims);
  if (flat.length !== expected) {
    throw invalidArgument(
      `${at}.data`,
      `${at}.data holds ${flat.length} values; shape [${dims.join(', ')}] needs ${expected}`,
    );
  }
  for (let j = 0; j < flat.length; j++) {
    const problem = elementProblem(dtype, flat[j]);
    if (problem !== undefined) throw invalidArgument(`${at}.data[${j}]`, `${at}.data[${j}] ${problem}`);
  }
  return { name, shape: dims, datatype: dtype, flat };
}

function checkShapeAgainst(
  input: ParsedInput,
  field: ContractField,
  kind: 'columns' | 'tensors',
  k: number,
): void {
  const at = `inputs[${k}].shape`;
  const shape = `[${input.shape.join(', ')}]`;
  if (kind === 'columns') {
    if (input.shape.length === 1 || (input.shape.length === 2 && input.shape[1] === 1)) return;
    throw invalidArgument(
      at,
      `Input '${input.name}' is a column: its shape must be [N] or [N, 1], got ${shape}`,
    );
  }
  if (!field.shape) return;
  const declared = field.shape;
  const ok =
    declared.length === input.shape.length &&
    declared.every((d, i) => i === 0 || d < 0 || d === input.shape[i]);
  if (!ok) {
    const rowDims = declared.slice(1).map((d) => (d < 0 ? 'any' : String(d)));
    throw invalidArgument(
      at,
      `Input '${input.name}' has shape ${shape}; the model takes [N${rowDims.map((d) => `, ${d}`).join('')}]`,
    );
  }
}

/**
 * Decodes an infer request body for `contract` (without one, each tensor fills the row field of
 * its name). Rows carry the contract's names; `source` is `{ field: 'inputs', layout: 'columns' }`
 * so later refusals read `inputs.<name>[i]`.
 */
export function decodeOipRequest(body: unknown, contract: ModelContract | undefined): OipDecodedRequest {
  if (!isPlainObject(body)) {
    throw invalidArgument('body', `The request body must be a JSON object, got ${describe(body)}`);
  }
  refuseUnknownKeys(body, REQUEST_KEYS, '', 'an inference request');
  const { id, parameters, inputs, outputs } = body;
  if (id !== undefined && typeof id !== 'string') {
    throw invalidArgument('id', `id must be a string, got ${describe(id)}`);
  }
  if (parameters !== undefined && !isPlainObject(parameters)) {
    throw invalidArgument('parameters', `parameters must be an object, got ${describe(parameters)}`);
  }
  if (!Array.isArray(inputs) || inputs.length === 0) {
    throw invalidArgument('inputs', `inputs must be a non-empty list of tensors, got ${describe(inputs)}`);
  }
  const parsed = inputs.map((input, k) => parseInput(input, k));
  const kind = contract?.inputs.kind ?? 'tensors';
  const fields = contract?.inputs.fields;
  const seen = new Set<string>();
  parsed.forEach((input, k) => {
    if (seen.has(input.name)) {
      throw invalidArgument(`inputs[${k}].name`, `Input '${input.name}' is sent twice`);
    }
    seen.add(input.name);
    if (!fields) return;
    const field = fields.find((f) => f.name === input.name);
    if (!field) {
      throw invalidArgument(
        `inputs[${k}].name`,
        `The model has no input '${input.name}'; its inputs are ${fields.map((f) => f.name).join(', ')}`,
      );
    }
    if (!datatypeAccepts(field.type, input.datatype)) {
      throw invalidArgument(
        `inputs[${k}].datatype`,
        `Input '${input.name}' is ${field.type} (datatype ${oipDatatypeOf(field.type)}), got ${input.datatype}`,
      );
    }
    checkShapeAgainst(input, field, kind, k);
  });
  const missing = fields?.find((f) => !f.nullable && !seen.has(f.name));
  if (missing) {
    throw invalidArgument('inputs', `The request has no tensor for required input '${missing.name}'`);
  }
  const rowCount = (parsed[0] as ParsedInput).shape[0] as number;
  parsed.forEach((input, k) => {
    if (input.shape[0] !== rowCount) {
      throw invalidArgument(
        `inputs[${k}].shape`,
        `Input '${input.name}' has ${input.shape[0]} rows in dim 0 but '${(parsed[0] as ParsedInput).name}' has ${rowCount}`,
      );
    }
  });
  const rows = new Array<InputRow>(rowCount);
  for (let i = 0; i < rowCount; i++) rows[i] = {};
  for (const input of parsed) {
    // A column's [N, 1] tensor still gives one scalar per row.
    const rowDims = kind === 'columns' ? [] : input.shape.slice(1);
    const perRow = product(rowDims);
    for (let i = 0; i < rowCount; i++) {
      setField(rows[i] as Record<string, unknown>, input.name, nest(input.flat, i * perRow, rowDims, 0));
    }
  }
  const decoded: OipDecodedRequest = { rows, source: { field: 'inputs', layout: 'columns' } };
  if (id !== undefined) decoded.id = id;
  if (parameters !== undefined) decoded.parameters = parameters;
  if (outputs !== undefined) decoded.requestedOutputs = parseRequestedOutputs(outputs, contract);
  return decoded;
}

function parseRequestedOutputs(outputs: unknown, contract: ModelContract | undefined): string[] {
  if (!Array.isArray(outputs)) {
    throw invalidArgument('outputs', `outputs must be a list of {name} objects, got ${describe(outputs)}`);
  }
  const known = contract?.outputs.fields.map((f) => f.name);
  return outputs.map((output, k) => {
    const at = `outputs[${k}]`;
    if (!isPlainObject(output)) throw invalidArgument(at, `${at} must be an object, got ${describe(output)}`);
    refuseUnknownKeys(output, OUTPUT_KEYS, `${at}.`, 'a requested output');
    const { name } = output;
    if (typeof name !== 'string' || name.length === 0) {
      throw invalidArgument(`${at}.name`, `${at}.name must be a non-empty string, got ${describe(name)}`);
    }
    if (known && !known.includes(name)) {
      throw invalidArgument(
        `${at}.name`,
        `The model has no output '${name}'; its outputs are ${known.join(', ')}`,
      );
    }
    return name;
  });
}

// ---------------------------------------------------------------------------------------------
// Outputs
// ---------------------------------------------------------------------------------------------

function badOutput(name: string, message: string): SlipwayError {
  return new SlipwayError('FAILED_PRECONDITION', `Output '${name}' cannot be sent as a tensor: ${message}`, {
    output: name,
  });
}

/** The dims of a (nested) array value, following first elements. */
function dimsOf(value: unknown): number[] {
  const dims: number[] = [];
  let level = value;
  while (Array.isArray(level)) {
    dims.push(level.length);
    level = level[0];
  }
  return dims;
}

/** Appends `value` (of exactly `dims`) to `out`, row-major; returns false when it is ragged. */
function pushFlat(value: unknown, dims: readonly number[], depth: number, out: unknown[]): boolean {
  if (depth === dims.length) {
    if (Array.isArray(value)) return false;
    out.push(value);
    return true;
  }
  if (!Array.isArray(value) || value.length !== dims[depth]) return false;
  for (const item of value) if (!pushFlat(item, dims, depth + 1, out)) return false;
  return true;
}

/** The datatype values suggest when there is no contract: BOOL, INT64, FP64 or BYTES. */
function inferDatatype(flat: readonly unknown[]): OipDatatype {
  let allBool = flat.length > 0;
  let allInt = flat.length > 0;
  let allNumber = flat.length > 0;
  for (const v of flat) {
    if (typeof v !== 'boolean') allBool = false;
    if (typeof v === 'number' || typeof v === 'bigint') {
      if (typeof v === 'number' && !Number.isInteger(v)) allInt = false;
    } else {
      allInt = false;
      allNumber = false;
    }
  }
  if (allBool) return 'BOOL';
  if (allInt) return 'INT64';
  if (allNumber) return 'FP64';
  return 'BYTES';
}

/** Makes one element JSON-ready for `datatype`: bigints as numbers or decimal strings, BYTES as strings. */
function wireElement(value: unknown, datatype: OipDatatype): unknown {
  if (typeof value === 'bigint') {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value.toString();
  }
  if (datatype === 'BYTES' && typeof value !== 'string') return JSON.stringify(value);
  return value;
}

/**
 * Encodes output rows as tensors `[N, ...per-row dims]` with flat row-major data: one tensor per
 * contract output field (datatype from its type), or, without fields, per output name found in
 * the rows (datatype inferred: BOOL, INT64, FP64, else BYTES with non-strings JSON-encoded).
 * `requested` keeps only those outputs, in that order. A nullable output no row carries is left
 * out; an output only some rows carry, or ragged per-row shapes, is FAILED_PRECONDITION (tensors
 * have no missing values).
 */
export function encodeOipOutputs(
  rows: readonly OutputRow[],
  outputFields?: readonly ContractField[],
  requested?: readonly string[],
): OipOutputTensor[] {
  let names: string[];
  if (outputFields && outputFields.length > 0) {
    names = outputFields.map((f) => f.name);
  } else {
    const found = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) found.add(key);
    names = [...found];
  }
  if (requested) names = requested.filter((name) => names.includes(name));
  const tensors: OipOutputTensor[] = [];
  for (const name of names) {
    const field = outputFields?.find((f) => f.name === name);
    const present = rows.filter((row) => row[name] !== undefined && row[name] !== null).length;
    if (present === 0 && rows.length > 0) {
      if (field && !field.nullable) throw badOutput(name, 'the model returned no value for it');
      continue;
    }
    if (present !== rows.length) {
      const i = rows.findIndex((row) => row[name] === undefined || row[name] === null);
      throw badOutput(name, `row ${i} has no value`);
    }
    const rowDims = rows.length > 0 ? dimsOf((rows[0] as OutputRow)[name]) : [];
    const flat: unknown[] = [];
    rows.forEach((row, i) => {
      if (!pushFlat(row[name], rowDims, 0, flat)) {
        throw badOutput(name, `row ${i} does not have the per-row shape [${rowDims.join(', ')}] of row 0`);
      }
    });
    const datatype = field ? oipDatatypeOf(field.type) : inferDatatype(flat);
    for (let j = 0; j < flat.length; j++) flat[j] = wireElement(flat[j], datatype);
    tensors.push({ name, datatype, shape: [rows.length, ...rowDims], data: flat });
  }
  return tensors;
}

/** The parts an infer response is built from. */
export interface OipResponseParts {
  modelName: string;
  modelVersion?: string;
  /** The request's id, or one the server generated (the protocol requires an id in responses). */
  id: string;
  parameters?: Record<string, unknown>;
  predictions: readonly OutputRow[];
  contract?: ModelContract;
  requestedOutputs?: readonly string[];
}

/** Builds an infer response body. */
export function encodeOipResponse(parts: OipResponseParts): OipInferResponse {
  const response: OipInferResponse = { model_name: parts.modelName, id: parts.id, outputs: [] };
  if (parts.modelVersion !== undefined) response.model_version = parts.modelVersion;
  if (parts.parameters !== undefined) response.parameters = parts.parameters;
  response.outputs = encodeOipOutputs(
    parts.predictions,
    parts.contract?.outputs.fields,
    parts.requestedOutputs,
  );
  return response;
}

// ---------------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------------

/** A tensor as model metadata describes it; `-1` marks a dynamic dim (dim 0 is always the batch). */
export interface OipTensorMetadata {
  name: string;
  datatype: OipDatatype;
  shape: number[];
}

/** Body of `GET v2/models/<name>[/versions/<version>]`. */
export interface OipModelMetadata {
  name: string;
  versions?: string[];
  platform: 'slipway';
  inputs: OipTensorMetadata[];
  outputs: OipTensorMetadata[];
}

/** The metadata of one contract field: columns are `[-1]`; tensors keep their shape with dim 0 = -1. */
export function oipTensorMetadata(field: ContractField, kind: 'columns' | 'tensors'): OipTensorMetadata {
  const shape =
    kind === 'tensors' && field.shape && field.shape.length > 0 ? [-1, ...field.shape.slice(1)] : [-1];
  return { name: field.name, datatype: oipDatatypeOf(field.type), shape };
}

/** Builds model metadata from a contract (no contract: empty inputs and outputs). */
export function buildOipModelMetadata(
  name: string,
  versions: readonly string[] | undefined,
  contract: ModelContract | undefined,
): OipModelMetadata {
  const metadata: OipModelMetadata = { name, platform: 'slipway', inputs: [], outputs: [] };
  if (versions !== undefined) metadata.versions = [...versions];
  if (contract) {
    metadata.inputs = contract.inputs.fields.map((f) => oipTensorMetadata(f, contract.inputs.kind));
    metadata.outputs = contract.outputs.fields.map((f) => oipTensorMetadata(f, contract.outputs.kind));
  }
  return metadata;
}
