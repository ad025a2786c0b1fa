/**
 * Reads the `signature` block of an MLflow `MLmodel` file into a Slipway contract. MLflow stores
 * `inputs` and `outputs` as JSON strings inside the YAML: a list of column specs
 * (`{"type": "double", "name": "x", "required": true}`) or of tensor specs
 * (`{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}`). Pure.
 */
import { invalidArgument } from '@slipway/contracts';
import type { ContractField, ContractSchema, FieldType, ModelContract, SchemaKind } from '@slipway/contracts';
import { NUMPY_DTYPES } from './tensor-types.js';

/** MLflow column types (`mlflow.types.DataType`) and what they map to. */
const COLUMN_TYPES: Readonly<Record<string, FieldType>> = {
  boolean: 'boolean',
  integer: 'int32',
  long: 'int64',
  float: 'float32',
  double: 'float64',
  string: 'string',
  binary: 'binary',
  datetime: 'datetime',
  // MLflow 2.x composite column types: Slipway types them as opaque JSON values.
  array: 'object',
  object: 'object',
  map: 'object',
  any: 'object',
  sparkml_vector: 'object',
};

/**
 * The contract in an MLmodel `signature` mapping (`{inputs, outputs, params}`), or undefined when
 * there is none (a model logged without a signature). `params` are inference parameters, not part
 * of the data contract, and are ignored. Errors name `field` and say what is wrong.
 */
export function parseMlflowSignature(signature: unknown, field: string): ModelContract | undefined {
  if (signature === undefined || signature === null) return undefined;
  if (typeof signature !== 'object' || Array.isArray(signature)) {
    throw invalidArgument(field, 'MLmodel signature must be a mapping with inputs and outputs');
  }
  const block = signature as Record<string, unknown>;
  const inputs = parseSpecList(block.inputs, 'inputs', field);
  const outputs = parseSpecList(block.outputs, 'outputs', field);
  if (inputs === undefined && outputs === undefined) return undefined;
  // A missing side borrows the other side's kind: an empty schema has no payload format of its own.
  const fallbackKind: SchemaKind = inputs?.kind ?? outputs?.kind ?? 'columns';
  return {
    inputs: inputs ?? { kind: fallbackKind, fields: [] },
    outputs: outputs ?? { kind: fallbackKind, fields: [] },
    source: 'mlflow-signature',
  };
}

/** The FieldType of an MLflow column type name, or undefined when MLflow has no such type. */
export function mlflowColumnType(type: string): FieldType | undefined {
  return Object.hasOwn(COLUMN_TYPES, type) ? COLUMN_TYPES[type] : undefined;
}

/**
 * The FieldType of a numpy dtype name. `datetime64[...]` is a datetime; any other valid numpy
 * dtype Slipway has no type for (complex, float128, timedelta) is carried as an opaque `object`.
 */
export function numpyDtypeType(dtype: string): FieldType {
  if (Object.hasOwn(NUMPY_DTYPES, dtype)) return NUMPY_DTYPES[dtype] ?? 'object';
  return dtype.startsWith('datetime64') ? 'datetime' : 'object';
}

/** One side's JSON spec list as a schema; undefined when the side is absent. */
function parseSpecList(raw: unknown, side: 'inputs' | 'outputs', field: string): ContractSchema | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const where = `MLmodel signature.${side}`;
  if (typeof raw !== 'string') throw invalidArgument(field, `${where} must be a JSON string`);
  let specs: unknown;
  try {
    specs = JSON.parse(raw);
  } catch (error) {
    throw invalidArgument(field, `${where} is not valid JSON: ${(error as Error).message}`);
  }
  if (!Array.isArray(specs)) throw invalidArgument(field, `${where} must be a JSON list of specs`);
  if (specs.length === 0) return undefined;
  const records = specs.map((spec: unknown, i: number) => asSpec(spec, `${where}[${i}]`, field));
  const kind: SchemaKind = records[0]?.type === 'tensor' ? 'tensors' : 'columns';
  if (records.some((r) => (r.type === 'tensor') !== (kind === 'tensors'))) {
    throw invalidArgument(field, `${where} mixes column and tensor specs, which MLflow does not allow`);
  }
  const prefix = side === 'inputs' ? 'input' : 'output';
  const fields = records.map((spec, i) => {
    const path = `${where}[${i}]`;
    const name = specName(spec, `${prefix}_${i}`, path, field);
    return kind === 'tensors' ? tensorField(spec, name, path, field) : columnField(spec, name, path, field);
  });
  const names = new Set<string>();
  for (const f of fields) {
    if (names.has(f.name)) throw invalidArgument(field, `${where} names '${f.name}' twice`);
    names.add(f.name);
  }
  return { kind, fields };
}

/**
 * MLflow identifies unnamed specs by their position (`Schema.input_names()` yields the index);
 * Slipway names are strings, so an unnamed spec is called `input_<i>` / `output_<i>`.
 */
function specName(spec: Record<string, unknown>, positional: string, path: string, field: string): string {
  if (spec.name === undefined || spec.name === null) return positional;
  if (typeof spec.name !== 'string' || spec.name === '') {
    throw invalidArgument(field, `${path}.name must be a non-empty string`);
  }
  return spec.name;
}

function columnField(
  spec: Record<string, unknown>,
  name: string,
  path: string,
  field: string,
): ContractField {
  const type = typeof spec.type === 'string' ? mlflowColumnType(spec.type) : undefined;
  if (type === undefined) {
    throw invalidArgument(field, `${path} has unknown MLflow column type '${String(spec.type)}'`);
  }
  // MLflow writes `required` since 2.x; older files omit it and composite specs may carry null.
  const required = spec.required === undefined || spec.required === null ? true : spec.required;
  if (typeof required !== 'boolean') throw invalidArgument(field, `${path}.required must be a boolean`);
  return { name, type, nullable: !required };
}

function tensorField(
  spec: Record<string, unknown>,
  name: string,
  path: string,
  field: string,
): ContractField {
  const info = spec['tensor-spec'];
  if (typeof info !== 'object' || info === null || Array.isArray(info)) {
    throw invalidArgument(field, `${path} is a tensor spec without a 'tensor-spec' object`);
  }
  const { dtype, shape } = info as Record<string, unknown>;
  if (typeof dtype !== 'string' || dtype === '')
    throw invalidArgument(field, `${path}.tensor-spec.dtype is missing`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= -1)) {
    throw invalidArgument(field, `${path}.tensor-spec.shape must be a list of integers (-1 for dynamic)`);
  }
  // MLflow tensors are always required (TensorSpec.required is constant True).
  return { name, type: numpyDtypeType(dtype), shape: shape as number[], nullable: false };
}

function asSpec(value: unknown, path: string, field: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(field, `${path} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}
