/**
 * Field readers for MLflow requests. Fields arrive as protobuf-JSON (the query string for GET, the
 * JSON body otherwise): int64 as numbers or decimal strings, doubles as numbers or
 * "NaN"/"Infinity"/"-Infinity". Readers return typed values or throw INVALID_ARGUMENT naming the
 * field with MLflow's own phrasing (mlflow/server/handlers.py `_validate_param_against_schema`).
 * Presence and shape are the wire's business; every domain rule stays in the service.
 */
import {
  decodeWireNumber,
  invalidArgument,
  type Dataset,
  type DatasetInput,
  type Metric,
  type SlipwayError,
  type StringMap,
} from '@slipway/contracts';
import type { FastifyRequest } from 'fastify';

/** A request's fields by protobuf (snake_case) name. */
export type Fields = Readonly<Record<string, unknown>>;

const NO_FIELDS: Fields = Object.freeze({});
const DECIMAL_INTEGER = /^-?\d+$/;
const API_DOCS_HINT = ' See the API docs for more information about request parameters.';

/** The request's fields: the query string for GET/HEAD, the JSON body otherwise (no body = no fields). */
export function fieldsOf(request: FastifyRequest): Fields {
  const source: unknown =
    request.method === 'GET' || request.method === 'HEAD' ? request.query : request.body;
  if (source === undefined || source === null) return NO_FIELDS;
  if (!isObject(source)) throw invalidArgument('body', 'The request body must be a JSON object.');
  return source;
}

/** True when the fields came from a query string (repeated fields may then hold a single string). */
export function isQueryRequest(request: FastifyRequest): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

/** MLflow's error for a missing required field. */
export function missingParameter(name: string): SlipwayError {
  return invalidArgument(name, `Missing value for required parameter '${name}'.${API_DOCS_HINT}`);
}

/** MLflow's error for a field of the wrong type or format. */
export function invalidParameter(name: string, value: unknown): SlipwayError {
  return invalidArgument(
    name,
    `Invalid value ${display(value)} for parameter '${name}' supplied. Hint: Value was of type '${pythonType(value)}'.${API_DOCS_HINT}`,
  );
}

/** A required string; '' counts as missing, as in MLflow (protobuf cannot tell them apart). */
export function requiredString(f: Fields, name: string, label: string = name): string {
  const value = f[name];
  if (value === undefined || value === null || value === '') throw missingParameter(label);
  if (typeof value !== 'string') throw invalidParameter(label, value);
  return value;
}

/** An optional string; undefined when absent or null. */
export function optionalString(f: Fields, name: string, label: string = name): string | undefined {
  const value = f[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidParameter(label, value);
  return value;
}

/** The run id: `run_id`, or the legacy `run_uuid` that older clients (and the 2.x client, too) send. */
export function requiredRunId(f: Fields): string {
  const runId = f['run_id'];
  if (runId === undefined || runId === null || runId === '') {
    if (isPresent(f['run_uuid'])) return requiredString(f, 'run_uuid');
    throw missingParameter('run_id');
  }
  if (typeof runId !== 'string') throw invalidParameter('run_id', runId);
  return runId;
}

/** An optional int64 (JSON integer or decimal string); values beyond 2^53 are refused, not rounded. */
export function optionalInt64(f: Fields, name: string): number | undefined {
  const value = f[name];
  if (value === undefined || value === null) return undefined;
  const n = int64Of(value);
  if (n === undefined) throw invalidParameter(name, value);
  return n;
}

/** A required int64. */
export function requiredInt64(f: Fields, name: string): number {
  const value = f[name];
  if (!isPresent(value)) throw missingParameter(name);
  const n = int64Of(value);
  if (n === undefined) throw invalidParameter(name, value);
  return n;
}

/** A required double: a JSON number, a numeric string, or "NaN"/"Infinity"/"-Infinity". */
export function requiredDouble(f: Fields, name: string): number {
  const value = f[name];
  if (!isPresent(value)) throw missingParameter(name);
  const n = decodeWireNumber(value);
  if (n === undefined) throw invalidParameter(name, value);
  return n;
}

/**
 * An optional repeated string. From a query string a single occurrence arrives as a plain string and
 * `name[]` is accepted as well (MLflow's querystring parser does the same); a JSON body needs an array.
 */
export function optionalStringList(f: Fields, name: string, fromQuery: boolean): string[] | undefined {
  let value = f[name];
  if (fromQuery && (value === undefined || value === null)) value = f[`${name}[]`];
  if (value === undefined || value === null) return undefined;
  if (fromQuery && typeof value === 'string') return [value];
  if (!Array.isArray(value)) throw invalidParameter(name, value);
  for (const item of value) if (typeof item !== 'string') throw invalidParameter(name, value);
  return value as string[];
}

/** An optional protobuf enum, given by name or by its number (1-based position in `names`). */
export function optionalEnum<T extends string>(f: Fields, name: string, names: readonly T[]): T | undefined {
  const value = f[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') {
    const index = (names as readonly string[]).indexOf(value);
    if (index >= 0) return names[index];
  }
  const n = int64Of(value);
  const byNumber = n === undefined ? undefined : names[n - 1];
  if (byNumber === undefined) throw invalidParameter(name, value);
  return byNumber;
}

/** Options of `optionalKeyValues`. */
export interface KeyValueOptions {
  /** Field name used in error messages (e.g. `datasets[0].tags`). */
  label?: string;
  /** Refuse a key given twice (MLflow's rule for log-batch params; a map cannot carry both values). */
  unique?: boolean;
}

/** A repeated `{key, value}` field (tags, params) as a map; an absent value is '' as in protobuf. */
export function optionalKeyValues(
  f: Fields,
  name: string,
  options: KeyValueOptions = {},
): StringMap | undefined {
  const value = f[name];
  if (value === undefined || value === null) return undefined;
  const label = options.label ?? name;
  if (!Array.isArray(value)) throw invalidParameter(label, value);
  // A prototype-less map: a key such as "__proto__" stays an ordinary entry.
  const map = Object.create(null) as StringMap;
  let duplicates: string[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const entry: unknown = value[i];
    if (!isObject(entry)) throw invalidParameter(`${label}[${i}]`, entry);
    const key = requiredString(entry, 'key', `${label}[${i}].key`);
    const item = optionalString(entry, 'value', `${label}[${i}].value`) ?? '';
    if (options.unique === true && key in map) (duplicates ??= []).push(key);
    map[key] = item;
  }
  if (duplicates) throw duplicateKeys(label, duplicates);
  return map;
}

/** The `metrics` of a log-batch request; `step` defaults to 0 as in the proto. */
export function metricList(f: Fields): Metric[] {
  const value = f['metrics'];
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalidParameter('metrics', value);
  const metrics = new Array<Metric>(value.length);
  for (let i = 0; i < value.length; i++) metrics[i] = metricAt(value[i], i);
  return metrics;
}

/** The required `datasets` of a log-inputs request. */
export function datasetInputList(f: Fields): DatasetInput[] {
  const value = f['datasets'];
  if (value === undefined || value === null) throw missingParameter('datasets');
  if (!Array.isArray(value)) throw invalidParameter('datasets', value);
  const inputs = new Array<DatasetInput>(value.length);
  for (let i = 0; i < value.length; i++) inputs[i] = datasetInputAt(value[i], `datasets[${i}]`);
  return inputs;
}

/** One metric of a batch, read field by field so that a 1000-metric batch allocates no labels. */
function metricAt(entry: unknown, i: number): Metric {
  if (!isObject(entry)) throw invalidParameter(`metrics[${i}]`, entry);
  const key = entry['key'];
  if (typeof key !== 'string' || key === '') throw badMetricField(i, 'key', key);
  const value = decodeWireNumber(entry['value']);
  if (value === undefined) throw badMetricField(i, 'value', entry['value']);
  const timestamp = int64Of(entry['timestamp']);
  if (timestamp === undefined) throw badMetricField(i, 'timestamp', entry['timestamp']);
  const rawStep = entry['step'];
  const step = rawStep === undefined || rawStep === null ? 0 : int64Of(rawStep);
  if (step === undefined) throw badMetricField(i, 'step', rawStep);
  return { key, value, timestamp, step };
}

function badMetricField(i: number, field: string, value: unknown): SlipwayError {
  const label = `metrics[${i}].${field}`;
  return isPresent(value) ? invalidParameter(label, value) : missingParameter(label);
}

/** One dataset input; required dataset strings default to '' so the service's validation names them. */
function datasetInputAt(entry: unknown, label: string): DatasetInput {
  if (!isObject(entry)) throw invalidParameter(label, entry);
  const raw = entry['dataset'];
  if (raw === undefined || raw === null) throw missingParameter(`${label}.dataset`);
  if (!isObject(raw)) throw invalidParameter(`${label}.dataset`, raw);
  const d = `${label}.dataset`;
  const dataset: Dataset = {
    name: optionalString(raw, 'name', `${d}.name`) ?? '',
    digest: optionalString(raw, 'digest', `${d}.digest`) ?? '',
    sourceType: optionalString(raw, 'source_type', `${d}.source_type`) ?? '',
    source: optionalString(raw, 'source', `${d}.source`) ?? '',
  };
  const schema = optionalString(raw, 'schema', `${d}.schema`);
  const profile = optionalString(raw, 'profile', `${d}.profile`);
  if (schema) dataset.schema = schema;
  if (profile) dataset.profile = profile;
  const tags =
    optionalKeyValues(entry, 'tags', { label: `${label}.tags` }) ?? (Object.create(null) as StringMap);
  return { dataset, tags };
}

function duplicateKeys(label: string, keys: string[]): SlipwayError {
  const listed = keys.map((k) => `'${k}'`).join(', ');
  return invalidArgument(
    label,
    `Duplicate parameter keys have been submitted: [${listed}]. Please ensure the request contains only one param value per param key.`,
  );
}

/** An integer from a JSON number or a decimal string; undefined for anything else or beyond 2^53. */
function int64Of(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL_INTEGER.test(value)) n = Number(value);
  else return undefined;
  return Number.isSafeInteger(n) ? n : undefined;
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The value as MLflow's message would show it (Python's str()), bounded. */
function display(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}

/** The Python type name MLflow's hint would print for a JSON value. */
function pythonType(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    default:
      return 'dict';
  }
}
