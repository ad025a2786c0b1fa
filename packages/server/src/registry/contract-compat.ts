/**
 * The contract-compatibility check: which differences between two versions' contracts break the
 * callers of a model, in the schema-registry sense of backward / forward / full compatibility.
 * Pure. The rules, one table per mode, are in docs/contracts.md; this file is their executable form.
 */
import { FIELD_TYPES, invalidArgument } from '@slipway/contracts';
import type {
  CompatibilityMode,
  CompatibilityReport,
  ContractChange,
  ContractChangeKind,
  ContractField,
  ContractSchema,
  ModelContract,
  ValueRange,
} from '@slipway/contracts';

type Side = ContractChange['side'];
type Category = string | number;

/** One difference, described from the old contract (`before`) to the new one (`after`). */
interface Diff {
  side: Side;
  kind: ContractChangeKind;
  field: string;
  renamedTo?: string;
  before?: ContractField;
  after?: ContractField;
  /** Describes the change with both values; the verdict is appended per mode. */
  message: string;
}

/**
 * Types each type widens to without losing a value (every old value is exactly representable):
 * e.g. int32 → float64 is exact (53-bit mantissa), int32 → float32 and int64 → float64 are not.
 */
const WIDENINGS: Readonly<Partial<Record<ContractField['type'], readonly ContractField['type'][]>>> = {
  int8: ['int16', 'int32', 'int64', 'float16', 'float32', 'float64'],
  int16: ['int32', 'int64', 'float32', 'float64'],
  int32: ['int64', 'float64'],
  uint8: ['uint16', 'uint32', 'uint64', 'int16', 'int32', 'int64', 'float16', 'float32', 'float64'],
  uint16: ['uint32', 'uint64', 'int32', 'int64', 'float32', 'float64'],
  uint32: ['uint64', 'int64', 'float64'],
  float16: ['float32', 'float64'],
  float32: ['float64'],
};

/** The same difference seen from the other version: what FORWARD checks with BACKWARD's rules. */
const MIRRORED_KIND: Readonly<Record<ContractChangeKind, ContractChangeKind>> = {
  'field-added': 'field-removed',
  'field-removed': 'field-added',
  'field-renamed': 'field-renamed',
  'type-widened': 'type-narrowed',
  'type-narrowed': 'type-widened',
  'type-changed': 'type-changed',
  'shape-changed': 'shape-changed',
  'became-required': 'became-optional',
  'became-optional': 'became-required',
  'categories-added': 'categories-removed',
  'categories-removed': 'categories-added',
  'range-widened': 'range-narrowed',
  'range-narrowed': 'range-widened',
  'meaning-changed': 'meaning-changed',
  'kind-changed': 'kind-changed',
};

/**
 * Compares two contracts field by field (inputs and outputs, matched by name) and says which
 * differences break `mode`. Every difference is reported, breaking or not, inputs first.
 */
export function compareContracts(
  previous: ModelContract,
  next: ModelContract,
  mode: CompatibilityMode,
): CompatibilityReport {
  const diffs = [
    ...diffSchemas('inputs', previous.inputs, next.inputs),
    ...diffSchemas('outputs', previous.outputs, next.outputs),
  ];
  const changes = diffs.map((diff) => judge(diff, mode));
  return { mode, compatible: changes.every((c) => !c.breaking), changes };
}

/** True when a value of type `from` is always exactly representable as `to`. */
export function widensTo(from: ContractField['type'], to: ContractField['type']): boolean {
  return WIDENINGS[from]?.includes(to) ?? false;
}

/** Applies the mode's rules to one difference and words the verdict. */
function judge(diff: Diff, mode: CompatibilityMode): ContractChange {
  const backward = mode !== 'forward' && breaksBackward(diff);
  const forward = mode !== 'backward' && breaksBackward(mirror(diff));
  const breaking = backward || forward;
  const verdict = backward && forward ? 'backward and forward' : backward ? 'backward' : 'forward';
  const change: ContractChange = {
    side: diff.side,
    field: diff.field,
    kind: diff.kind,
    breaking,
    message: breaking ? `${diff.message}; breaks ${verdict} compatibility` : diff.message,
  };
  if (diff.renamedTo !== undefined) change.renamedTo = diff.renamedTo;
  return change;
}

/** The difference as the other version sees it: before and after swapped, the kind inverted. */
function mirror(diff: Diff): Diff {
  return { ...diff, kind: MIRRORED_KIND[diff.kind], before: diff.after, after: diff.before };
}

/**
 * BACKWARD rules: can the new version serve every caller of the old one? Inputs are what callers
 * send (the new version must accept more), outputs are what they read (it must produce less).
 */
function breaksBackward(diff: Diff): boolean {
  const input = diff.side === 'inputs';
  const { before, after } = diff;
  switch (diff.kind) {
    case 'field-added':
      // A new required input is one old callers never send; a new output is one they never read.
      return input && after?.nullable !== true;
    case 'field-removed':
      // Callers were made to compute a required input; dropping it silently changes what it meant,
      // and a positional (tensor) payload no longer lines up. An optional one is simply ignored.
      return input ? before?.nullable !== true : true;
    case 'field-renamed':
      return input ? !(before?.nullable === true && after?.nullable === true) : true;
    case 'type-widened':
      return !input;
    case 'type-narrowed':
    case 'type-changed':
      return true;
    case 'shape-changed':
      return input ? !relaxes(before?.shape, after?.shape) : !relaxes(after?.shape, before?.shape);
    case 'became-required':
      return input;
    case 'became-optional':
      return !input;
    case 'categories-added':
      return !input;
    case 'categories-removed':
      return input;
    case 'range-widened':
    case 'range-narrowed':
      return input
        ? !rangeContains(after?.range, before?.range)
        : !rangeContains(before?.range, after?.range);
    case 'meaning-changed':
    case 'kind-changed':
      return true;
  }
}

/** Differences between two schemas of one side. */
function diffSchemas(side: Side, before: ContractSchema, after: ContractSchema): Diff[] {
  // An empty schema has no payload format, so only a change between two real formats counts.
  if (before.kind !== after.kind && before.fields.length > 0 && after.fields.length > 0) {
    const message = `${capitalize(side)} changed from ${before.kind} to ${after.kind}`;
    return [{ side, kind: 'kind-changed', field: '*', message }];
  }
  const oldByName = new Map(before.fields.map((f) => [f.name, f]));
  const newByName = new Map(after.fields.map((f) => [f.name, f]));
  const removed = before.fields.filter((f) => !newByName.has(f.name));
  const added = after.fields.filter((f) => !oldByName.has(f.name));
  const rename = detectRename(removed, added);
  const diffs: Diff[] = [];
  for (const old of before.fields) {
    const current = newByName.get(old.name);
    if (current !== undefined) diffs.push(...diffField(side, old, current));
    else if (rename?.from === old)
      diffs.push(renamed(side, old, rename.to), ...diffField(side, old, rename.to));
    else diffs.push(presence(side, 'field-removed', old));
  }
  for (const field of added) if (rename?.to !== field) diffs.push(presence(side, 'field-added', field));
  return diffs;
}

/** A rename is assumed only when exactly one field left and one arrived, identical in type and shape. */
function detectRename(
  removed: ContractField[],
  added: ContractField[],
): { from: ContractField; to: ContractField } | undefined {
  const [from] = removed;
  const [to] = added;
  if (removed.length !== 1 || added.length !== 1 || from === undefined || to === undefined) return undefined;
  return from.type === to.type && sameShape(from.shape, to.shape) ? { from, to } : undefined;
}

/** Attribute differences of one field present in both versions (under the same or a new name). */
function diffField(side: Side, before: ContractField, after: ContractField): Diff[] {
  const label = `${singular(side)} '${before.name}'`;
  const base = { side, field: before.name, before, after };
  const diffs: Diff[] = [];
  const push = (kind: ContractChangeKind, message: string): void => {
    diffs.push({ ...base, kind, message: `${label} ${message}` });
  };
  if (before.type !== after.type) {
    const relation = typeRelation(before.type, after.type);
    const detail =
      relation === 'type-changed' ? '' : ` (${relation === 'type-widened' ? 'widened' : 'narrowed'})`;
    push(relation, `type changed from ${before.type} to ${after.type}${detail}`);
  }
  if (!sameShape(before.shape, after.shape)) {
    push('shape-changed', `shape changed from ${formatShape(before.shape)} to ${formatShape(after.shape)}`);
  }
  if (before.nullable !== after.nullable) {
    if (after.nullable) push('became-optional', `became optional (was required)`);
    else push('became-required', `became required (was optional)`);
  }
  diffs.push(...diffCategories(base, label));
  if (!sameRange(before.range, after.range)) {
    const widened = rangeContains(after.range, before.range);
    const change = `from ${formatRange(before.range)} to ${formatRange(after.range)}`;
    push(widened ? 'range-widened' : 'range-narrowed', `range ${widened ? 'widened' : 'narrowed'} ${change}`);
  }
  // Only a replaced meaning counts: declaring one where none was, or dropping it, changes no value.
  if (before.meaning !== undefined && after.meaning !== undefined && before.meaning !== after.meaning) {
    push('meaning-changed', `meaning changed from '${before.meaning}' to '${after.meaning}'`);
  }
  return diffs;
}

/** Category differences; absent categories mean "any value", so adding or dropping them counts too. */
function diffCategories(base: Pick<Diff, 'side' | 'field' | 'before' | 'after'>, label: string): Diff[] {
  const before = base.before?.categories;
  const after = base.after?.categories;
  if (before === undefined && after === undefined) return [];
  if (before === undefined || after === undefined) {
    const message =
      after === undefined
        ? `${label} categories are no longer restricted (was ${formatList(before)})`
        : `${label} is now restricted to categories ${formatList(after)} (was unrestricted)`;
    return [{ ...base, kind: after === undefined ? 'categories-added' : 'categories-removed', message }];
  }
  const beforeKeys = new Set(before.map(categoryKey));
  const afterKeys = new Set(after.map(categoryKey));
  const gained = after.filter((c) => !beforeKeys.has(categoryKey(c)));
  const lost = before.filter((c) => !afterKeys.has(categoryKey(c)));
  const values = `(was ${formatList(before)}, now ${formatList(after)})`;
  const diffs: Diff[] = [];
  if (gained.length > 0) {
    const message = `${label} categories added: ${formatList(gained)} ${values}`;
    diffs.push({ ...base, kind: 'categories-added', message });
  }
  if (lost.length > 0) {
    const message = `${label} categories removed: ${formatList(lost)} ${values}`;
    diffs.push({ ...base, kind: 'categories-removed', message });
  }
  return diffs;
}

function presence(side: Side, kind: 'field-added' | 'field-removed', field: ContractField): Diff {
  const label = `${singular(side)} '${field.name}'`;
  if (kind === 'field-added') {
    return {
      side,
      kind,
      field: field.name,
      after: field,
      message: `${label} was added (${describe(field)})`,
    };
  }
  return {
    side,
    kind,
    field: field.name,
    before: field,
    message: `${label} was removed (was ${describe(field)})`,
  };
}

function renamed(side: Side, before: ContractField, after: ContractField): Diff {
  const message = `${singular(side)} '${before.name}' was renamed to '${after.name}' (${describe(after)})`;
  return { side, kind: 'field-renamed', field: before.name, renamedTo: after.name, before, after, message };
}

/** How a type change relates old values to new ones. */
function typeRelation(
  from: ContractField['type'],
  to: ContractField['type'],
): 'type-widened' | 'type-narrowed' | 'type-changed' {
  if (widensTo(from, to)) return 'type-widened';
  if (widensTo(to, from)) return 'type-narrowed';
  return 'type-changed';
}

/**
 * True when every array of shape `narrow` also fits shape `wide`: same rank, and each dimension
 * equal or made dynamic (-1) in `wide`. Two absent shapes (scalars) relax each other.
 */
function relaxes(narrow: number[] | undefined, wide: number[] | undefined): boolean {
  if (narrow === undefined || wide === undefined) return narrow === wide;
  if (narrow.length !== wide.length) return false;
  return narrow.every((dim, i) => wide[i] === dim || wide[i] === -1);
}

function sameShape(a: number[] | undefined, b: number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((dim, i) => b[i] === dim);
}

/** True when range `outer` includes every value of `inner`; an absent bound is unbounded. */
function rangeContains(outer: ValueRange | undefined, inner: ValueRange | undefined): boolean {
  const lowOk = outer?.min === undefined || (inner?.min !== undefined && outer.min <= inner.min);
  const highOk = outer?.max === undefined || (inner?.max !== undefined && outer.max >= inner.max);
  return lowOk && highOk;
}

function sameRange(a: ValueRange | undefined, b: ValueRange | undefined): boolean {
  return a?.min === b?.min && a?.max === b?.max;
}

/** Distinguishes the string "1" from the number 1: a JSON caller sends one or the other. */
function categoryKey(value: Category): string {
  return `${typeof value}:${String(value)}`;
}

function describe(field: ContractField): string {
  const shape = field.shape === undefined ? '' : ` ${formatShape(field.shape)}`;
  return `${field.type}${shape}, ${field.nullable ? 'optional' : 'required'}`;
}

function formatShape(shape: number[] | undefined): string {
  return shape === undefined ? 'scalar' : `[${shape.join(', ')}]`;
}

function formatRange(range: ValueRange | undefined): string {
  const low = range?.min === undefined ? '(-inf' : `[${range.min}`;
  const high = range?.max === undefined ? 'inf)' : `${range.max}]`;
  return `${low}, ${high}`;
}

function formatList(values: Category[] | undefined): string {
  return `[${(values ?? []).map((v) => (typeof v === 'string' ? `'${v}'` : String(v))).join(', ')}]`;
}

function singular(side: Side): string {
  return side === 'inputs' ? 'Input' : 'Output';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Contract validation

const SCHEMA_KINDS: readonly string[] = ['columns', 'tensors'];
const SOURCES: readonly string[] = ['mlflow-signature', 'onnx', 'declared'];
const FIELD_KEYS: ReadonlySet<string> = new Set([
  'name',
  'type',
  'shape',
  'nullable',
  'categories',
  'range',
  'meaning',
  'description',
]);

/**
 * Throws INVALID_ARGUMENT unless `contract` is a well-formed contract; the error's `field` is the
 * dotted path of the offending part under `field` (e.g. `contract.inputs.fields[2].range`).
 */
export function assertValidContract(contract: unknown, field: string): asserts contract is ModelContract {
  const root = asRecord(contract, field);
  const unknown = Object.keys(root).find((key) => !['inputs', 'outputs', 'source'].includes(key));
  if (unknown !== undefined)
    throw invalidArgument(`${field}.${unknown}`, `Unknown contract key '${unknown}'`);
  if (typeof root.source !== 'string' || !SOURCES.includes(root.source)) {
    throw invalidArgument(`${field}.source`, `Contract source must be one of ${SOURCES.join(', ')}`);
  }
  assertValidSchema(root.inputs, `${field}.inputs`);
  assertValidSchema(root.outputs, `${field}.outputs`);
}

function assertValidSchema(value: unknown, path: string): void {
  const schema = asRecord(value, path);
  const unknown = Object.keys(schema).find((key) => key !== 'kind' && key !== 'fields');
  if (unknown !== undefined) throw invalidArgument(`${path}.${unknown}`, `Unknown schema key '${unknown}'`);
  if (typeof schema.kind !== 'string' || !SCHEMA_KINDS.includes(schema.kind)) {
    throw invalidArgument(`${path}.kind`, `${path}.kind must be 'columns' or 'tensors'`);
  }
  if (!Array.isArray(schema.fields)) throw invalidArgument(`${path}.fields`, `${path}.fields must be a list`);
  const seen = new Set<string>();
  schema.fields.forEach((item: unknown, i: number) => {
    const name = assertValidField(item, `${path}.fields[${i}]`);
    if (seen.has(name)) {
      throw invalidArgument(`${path}.fields[${i}].name`, `Duplicate field name '${name}' in ${path}`);
    }
    seen.add(name);
  });
}

/** Checks one field and returns its name. */
function assertValidField(value: unknown, path: string): string {
  const f = asRecord(value, path);
  const unknown = Object.keys(f).find((key) => !FIELD_KEYS.has(key));
  if (unknown !== undefined)
    throw invalidArgument(`${path}.${unknown}`, `Unknown contract field key '${unknown}'`);
  if (typeof f.name !== 'string' || f.name.trim() === '') {
    throw invalidArgument(`${path}.name`, `${path}.name must be a non-empty string`);
  }
  if (typeof f.type !== 'string' || !(FIELD_TYPES as readonly string[]).includes(f.type)) {
    throw invalidArgument(`${path}.type`, `Unknown field type '${String(f.type)}' for '${f.name}'`);
  }
  if (typeof f.nullable !== 'boolean')
    throw invalidArgument(`${path}.nullable`, `${path}.nullable must be a boolean`);
  if (f.shape !== undefined) assertValidShape(f.shape, `${path}.shape`);
  if (f.categories !== undefined) assertValidCategories(f.categories, `${path}.categories`);
  if (f.range !== undefined) assertValidRange(f.range, `${path}.range`);
  for (const key of ['meaning', 'description'] as const) {
    if (f[key] !== undefined && typeof f[key] !== 'string') {
      throw invalidArgument(`${path}.${key}`, `${path}.${key} must be a string`);
    }
  }
  return f.name;
}

function assertValidShape(value: unknown, path: string): void {
  if (!Array.isArray(value)) throw invalidArgument(path, `${path} must be a list of dimensions`);
  value.forEach((dim: unknown, i: number) => {
    if (typeof dim !== 'number' || !Number.isSafeInteger(dim) || dim < -1) {
      throw invalidArgument(
        `${path}[${i}]`,
        `Invalid dimension ${String(dim)} in ${path}: use -1 for dynamic`,
      );
    }
  });
}

function assertValidCategories(value: unknown, path: string): void {
  if (!Array.isArray(value) || value.length === 0) {
    throw invalidArgument(path, `${path} must be a non-empty list of strings or numbers`);
  }
  const seen = new Set<string>();
  value.forEach((item: unknown, i: number) => {
    if (typeof item !== 'string' && !(typeof item === 'number' && Number.isFinite(item))) {
      throw invalidArgument(`${path}[${i}]`, `${path}[${i}] must be a string or a finite number`);
    }
    const key = categoryKey(item);
    if (seen.has(key))
      throw invalidArgument(`${path}[${i}]`, `Duplicate category ${String(item)} in ${path}`);
    seen.add(key);
  });
}

function assertValidRange(value: unknown, path: string): void {
  const range = asRecord(value, path);
  for (const key of Object.keys(range)) {
    const bound = range[key];
    if (key !== 'min' && key !== 'max') throw invalidArgument(`${path}.${key}`, `Unknown range key '${key}'`);
    if (bound !== undefined && (typeof bound !== 'number' || !Number.isFinite(bound))) {
      throw invalidArgument(`${path}.${key}`, `${path}.${key} must be a finite number`);
    }
  }
  if (typeof range.min === 'number' && typeof range.max === 'number' && range.min > range.max) {
    throw invalidArgument(path, `${path}: min ${range.min} is greater than max ${range.max}`);
  }
}

function asRecord(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidArgument(path, `${path} must be an object`);
  }
  return value as Record<string, unknown>;
}
