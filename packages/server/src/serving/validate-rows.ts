/**
 * Request-row validation against a model contract, run on the serving hot path before a model sees
 * a batch. `compileRowValidator` does the per-contract work once (type checkers, category sets,
 * shapes) and returns a function that walks rows without allocating for valid ones.
 *
 * Rules:
 * - more rows than `maxRows` → INVALID_ARGUMENT naming the collection (`instances`), with the limit;
 * - a row that is not an object → INVALID_ARGUMENT naming `instances[i]`;
 * - columns contracts: a missing/null value of a non-nullable field, a value of the wrong kind
 *   (numbers for float*, integers within the type's bounds for int and uint types, strings for
 *   string, booleans for boolean; non-finite numbers are refused for every numeric type) →
 *   INVALID_ARGUMENT naming `instances[i].col`. An unknown category is refused or, with
 *   `unknownCategories: 'flag'`, served with a warning. A value outside the field's range is always
 *   served with a warning, never refused. Columns the contract does not list are ignored silently:
 *   runtimes never read them, and a warning per row would drown real ones.
 * - tensors contracts: each field must be a (nested) array of the declared per-row shape (the
 *   contract shape without its batch dim; `-1` = any length, but rectangular within the row) whose
 *   elements are of the field's type; out-of-range elements warn once per row and field.
 * - no contract: only `maxRows`.
 *
 * Warnings carry `row`, `field` = the column (or tensor) name, and a message with the full path.
 */
import {
  DEFAULT_MAX_ROWS,
  invalidArgument,
  type ContractField,
  type FieldType,
  type ModelContract,
  type UNKNOWN_CATEGORY_POLICIES,
  type ValidationWarning,
} from '@slipway/contracts';
import type { InputRow } from '../runtimes/runtime.js';
import { describe, valuePath, type RowSource } from './protocols/common.js';

/** What to do with a category value the contract does not list. */
export type UnknownCategoryPolicy = (typeof UNKNOWN_CATEGORY_POLICIES)[number];

/** Validation settings (an endpoint's, plus where the rows came from for error paths). */
export interface RowValidationOptions {
  /** Default `reject`. */
  unknownCategories?: UnknownCategoryPolicy;
  /** Default `DEFAULT_MAX_ROWS` (1000). */
  maxRows?: number;
  /** The request field holding the rows, used in error paths. Default `instances`. */
  field?: string;
  /** How the rows were laid out on the wire (see `RowSource`). Default `rows`. */
  layout?: RowSource['layout'];
}

/** What a valid batch produced: warnings (unknown categories when flagged, out-of-range values). */
export interface RowValidationResult {
  warnings: ValidationWarning[];
}

/** A compiled validator: throws INVALID_ARGUMENT on the first refusal, else returns warnings. */
export type RowValidator = (rows: readonly InputRow[]) => RowValidationResult;

/** Checks one scalar; returns why it is refused (`must be ..., got ...`) or undefined. */
type ScalarCheck = (value: unknown) => string | undefined;

const INT_BOUNDS: Partial<Record<FieldType, readonly [number, number]>> = {
  int8: [-128, 127],
  int16: [-32768, 32767],
  int32: [-2147483648, 2147483647],
  uint8: [0, 255],
  uint16: [0, 65535],
  uint32: [0, 4294967295],
};

const BIGINT_BOUNDS: Partial<Record<FieldType, readonly [bigint, bigint]>> = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
};

/** Largest finite magnitudes of the narrow float types; beyond them a value would become Infinity. */
const FLOAT_MAX: Partial<Record<FieldType, number>> = { float16: 65504, float32: 3.4028234663852886e38 };

const NUMERIC_TYPES: ReadonlySet<FieldType> = new Set<FieldType>([
  'int8',
  'int16',
  'int32',
  'int64',
  'uint8',
  'uint16',
  'uint32',
  'uint64',
  'float16',
  'float32',
  'float64',
]);

/** True when values of `type` are numbers (so `range` applies). */
export function isNumericFieldType(type: FieldType): boolean {
  return NUMERIC_TYPES.has(type);
}

function numberProblem(value: unknown, kind: string): string | undefined {
  if (typeof value !== 'number') return `must be ${kind}, got ${describe(value)}`;
  if (!Number.isFinite(value)) return `must be ${kind}, got ${describe(value)}`;
  return undefined;
}

/** The scalar checker of one field type. */
export function scalarCheck(type: FieldType): ScalarCheck {
  const bounds = INT_BOUNDS[type];
  if (bounds) {
    const [min, max] = bounds;
    const kind = `an ${type} (integer within [${min}, ${max}])`;
    return (value) => {
      const problem = numberProblem(value, kind);
      if (problem !== undefined) return problem;
      const n = value as number;
      if (!Number.isInteger(n) || n < min || n > max) return `must be ${kind}, got ${n}`;
      return undefined;
    };
  }
  const big = BIGINT_BOUNDS[type];
  if (big) {
    const [min, max] = big;
    const kind = `an ${type} (integer within [${min}, ${max}])`;
    // Beyond 2^53 JSON numbers lose precision, so 64-bit values may also come as bigints or
    // decimal strings (the form outputs use for them), as the ONNX runtime accepts.
    return (value) => {
      if (typeof value === 'number') {
        if (!Number.isFinite(value) || !Number.isInteger(value))
          return `must be ${kind}, got ${describe(value)}`;
        if (!Number.isSafeInteger(value)) {
          return `must be a safe integer (send larger ${type} values as a decimal string), got ${value}`;
        }
        if (value < Number(min) || value > Number(max)) return `must be ${kind}, got ${value}`;
        return undefined;
      }
      let n: bigint;
      if (typeof value === 'bigint') n = value;
      else if (typeof value === 'string' && /^-?\d{1,20}$/.test(value)) n = BigInt(value);
      else return `must be ${kind}, got ${describe(value)}`;
      return n < min || n > max ? `must be ${kind}, got ${n}` : undefined;
    };
  }
  switch (type) {
    case 'float16':
    case 'float32':
    case 'float64': {
      const max = FLOAT_MAX[type] ?? Number.MAX_VALUE;
      const kind = `a finite ${type} number`;
      return (value) => {
        const problem = numberProblem(value, kind);
        if (problem !== undefined) return problem;
        return Math.abs(value as number) > max
          ? `must be ${kind} (|x| ≤ ${max}), got ${value as number}`
          : undefined;
      };
    }
    case 'boolean':
      return (value) =>
        typeof value === 'boolean' ? undefined : `must be a boolean, got ${describe(value)}`;
    case 'string':
      return (value) => (typeof value === 'string' ? undefined : `must be a string, got ${describe(value)}`);
    case 'binary':
      // Binary values travel as (base64) strings in JSON, or as bytes when decoded in-process.
      return (value) =>
        typeof value === 'string' || value instanceof Uint8Array
          ? undefined
          : `must be binary (a base64 string), got ${describe(value)}`;
    case 'datetime':
      return (value) => {
        if (typeof value === 'string') {
          return Number.isNaN(Date.parse(value)) ? `must be a date-time, got ${describe(value)}` : undefined;
        }
        if (typeof value === 'number' && Number.isFinite(value)) return undefined;
        return `must be a date-time (ISO 8601 string or epoch milliseconds), got ${describe(value)}`;
      };
    default:
      // `object`: any JSON value.
      return () => undefined;
  }
}

function toComparable(value: unknown): number {
  return typeof value === 'number' ? value : Number(value as string | bigint);
}

function outOfRange(value: unknown, min: number, max: number): boolean {
  if (typeof value !== 'number' && typeof value !== 'bigint' && typeof value !== 'string') return false;
  const n = toComparable(value);
  return n < min || n > max;
}

function rangeText(min: number, max: number): string {
  return `[${min === -Infinity ? '-∞' : min}, ${max === Infinity ? '∞' : max}]`;
}

/** One compiled field check; reports into `warnings` and throws refusals. */
type FieldCheck = (row: InputRow, i: number, warnings: ValidationWarning[]) => void;

interface Context {
  flag: boolean;
  source: RowSource;
}

function pathOf(ctx: Context, i: number, name: string): string {
  return valuePath(ctx.source, i, name);
}

function compileColumn(field: ContractField, ctx: Context): FieldCheck {
  const { name, nullable } = field;
  const check = scalarCheck(field.type);
  const categories = field.categories && field.categories.length > 0 ? new Set(field.categories) : undefined;
  const numeric = isNumericFieldType(field.type);
  const min = field.range?.min ?? -Infinity;
  const max = field.range?.max ?? Infinity;
  const ranged = numeric && field.range !== undefined && (min > -Infinity || max < Infinity);
  return (row, i, warnings) => {
    const value = row[name];
    if (value === undefined || value === null) {
      if (nullable) return;
      const path = pathOf(ctx, i, name);
      throw invalidArgument(path, `${path} is missing; '${name}' is a required ${field.type} input`);
    }
    const problem = check(value);
    if (problem !== undefined) {
      const path = pathOf(ctx, i, name);
      throw invalidArgument(path, `${path} ${problem}`);
    }
    if (categories !== undefined && !categories.has(value as string | number)) {
      const path = pathOf(ctx, i, name);
      const message = `${path} is ${describe(value)}, not one of the ${categories.size} known categories of '${name}'`;
      if (!ctx.flag) throw invalidArgument(path, message);
      warnings.push({ row: i, field: name, message });
    }
    if (ranged && outOfRange(value, min, max)) {
      const path = pathOf(ctx, i, name);
      warnings.push({
        row: i,
        field: name,
        message: `${path} is ${String(value)}, outside the range ${rangeText(min, max)} of '${name}'`,
      });
    }
  };
}

/** A refusal found inside a nested value: the index suffix (`[1][0]`) and the reason. */
interface NestedProblem {
  at: string;
  problem: string;
}

function compileTensor(field: ContractField, ctx: Context): FieldCheck {
  const { name, nullable } = field;
  const check = scalarCheck(field.type);
  const rowShape = field.shape ? field.shape.slice(1) : undefined;
  const min = field.range?.min ?? -Infinity;
  const max = field.range?.max ?? Infinity;
  const ranged = isNumericFieldType(field.type) && (min > -Infinity || max < Infinity);
  // Reused per row: the row's resolved dims (`-1` taken from its first elements). Validation is
  // synchronous, so one scratch array per compiled field is safe.
  const dims = rowShape ? new Array<number>(rowShape.length).fill(0) : [];
  let sawOutOfRange = false;

  function leaf(value: unknown): string | undefined {
    const problem = check(value);
    if (problem === undefined && ranged && !sawOutOfRange && outOfRange(value, min, max))
      sawOutOfRange = true;
    return problem;
  }

  // Known shape: every level an array of the resolved length.
  function walk(value: unknown, depth: number): NestedProblem | undefined {
    if (depth === dims.length) {
      const problem = leaf(value);
      return problem === undefined ? undefined : { at: '', problem };
    }
    const length = dims[depth] as number;
    if (!Array.isArray(value) || value.length !== length) {
      const got = Array.isArray(value) ? `${value.length} values` : describe(value);
      return { at: '', problem: `must be an array of ${length} values, got ${got}` };
    }
    for (let k = 0; k < length; k++) {
      const inner = walk(value[k], depth + 1);
      if (inner !== undefined) return { at: `[${k}]${inner.at}`, problem: inner.problem };
    }
    return undefined;
  }

  // Unknown shape: any nesting, leaves of the field's type.
  function walkAny(value: unknown): NestedProblem | undefined {
    if (!Array.isArray(value)) {
      const problem = leaf(value);
      return problem === undefined ? undefined : { at: '', problem };
    }
    for (let k = 0; k < value.length; k++) {
      const inner = walkAny(value[k]);
      if (inner !== undefined) return { at: `[${k}]${inner.at}`, problem: inner.problem };
    }
    return undefined;
  }

  return (row, i, warnings) => {
    const value = row[name];
    if (value === undefined || value === null) {
      if (nullable) return;
      const path = pathOf(ctx, i, name);
      throw invalidArgument(path, `${path} is missing; '${name}' is a required ${field.type} tensor input`);
    }
    sawOutOfRange = false;
    let found: NestedProblem | undefined;
    if (rowShape === undefined) {
      found = walkAny(value);
    } else {
      let level: unknown = value;
      for (let d = 0; d < rowShape.length; d++) {
        const declared = rowShape[d] as number;
        dims[d] = declared >= 0 ? declared : Array.isArray(level) ? level.length : 0;
        level = Array.isArray(level) ? level[0] : undefined;
      }
      found = walk(value, 0);
    }
    if (found !== undefined) {
      const path = pathOf(ctx, i, name);
      const shape = rowShape ? ` (per-row shape [${rowShape.join(', ')}])` : '';
      throw invalidArgument(path, `${path}${found.at} ${found.problem}${shape}`);
    }
    if (sawOutOfRange) {
      const path = pathOf(ctx, i, name);
      warnings.push({
        row: i,
        field: name,
        message: `${path} has elements outside the range ${rangeText(min, max)} of '${name}'`,
      });
    }
  };
}

/**
 * Compiles the validator of `contract` (once per model version and endpoint settings); without a
 * contract only `maxRows` is checked.
 */
export function compileRowValidator(
  contract: ModelContract | undefined,
  options: RowValidationOptions = {},
): RowValidator {
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const ctx: Context = {
    flag: options.unknownCategories === 'flag',
    source: { field: options.field ?? 'instances', layout: options.layout ?? 'rows' },
  };
  const collection = ctx.source.field;
  const fields = contract?.inputs.fields ?? [];
  const compile = contract?.inputs.kind === 'tensors' ? compileTensor : compileColumn;
  const checks = fields.map((f) => compile(f, ctx));
  const count = checks.length;
  return (rows) => {
    if (rows.length > maxRows) {
      throw invalidArgument(
        collection,
        `${collection} holds ${rows.length} rows; this endpoint takes at most ${maxRows} per request`,
        { maxRows },
      );
    }
    const warnings: ValidationWarning[] = [];
    if (count === 0) return { warnings };
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i];
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        const path = `${collection}[${i}]`;
        throw invalidArgument(path, `${path} must be an object of input fields, got ${describe(row)}`);
      }
      for (let c = 0; c < count; c++) (checks[c] as FieldCheck)(row, i, warnings);
    }
    return { warnings };
  };
}

/** One-off validation (compiles and runs); the serving path should keep a compiled validator. */
export function validateRows(
  rows: readonly InputRow[],
  contract: ModelContract | undefined,
  options: RowValidationOptions = {},
): RowValidationResult {
  return compileRowValidator(contract, options)(rows);
}
