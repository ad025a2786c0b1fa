/**
 * Pure validation of tracking inputs. Each check throws INVALID_ARGUMENT naming the offending field,
 * with MLflow's rules (key charset, "names must not resolve to other paths", length limits).
 */
import { invalidArgument, type DatasetInput, type LogBatch, type Metric } from '@slipway/contracts';
import { artifactLocationToPath, decodingLevels } from './artifact-paths.js';
import { LIMITS } from './tracking-limits.js';

const VALID_KEY = /^[/\w.\- ]*$/;
const RUN_ID = /^[a-zA-Z0-9][\w-]{0,255}$/;
const EXPERIMENT_ID = /^[a-zA-Z0-9][\w-]{0,63}$/;

/** What kind of key is checked, for messages ("Invalid metric name ..."). */
export type KeyKind = 'metric' | 'param' | 'tag';

/** Normalizes a POSIX path the way Python's posixpath.normpath does, for the "resolves to" rule. */
function normalizeLikePosix(name: string): string {
  const absolute = name.startsWith('/');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && out.length > 0 && out[out.length - 1] !== '..') out.pop();
    else if (!(part === '..' && absolute)) out.push(part);
  }
  const joined = out.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Checks a metric/param/tag key: charset, length, and that it cannot be read as another path. */
export function validateKey(kind: KeyKind, key: unknown, field: string): string {
  if (typeof key !== 'string' || key === '') {
    throw invalidArgument(field, `Missing value for ${field}: a ${kind} key must be a non-empty string.`);
  }
  if (!VALID_KEY.test(key)) {
    throw invalidArgument(
      field,
      `Invalid ${kind} name: '${key}'. Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), and slashes (/).`,
    );
  }
  const normalized = normalizeLikePosix(key);
  if (normalized !== key || normalized === '.' || normalized.startsWith('..') || normalized.startsWith('/')) {
    throw invalidArgument(
      field,
      `Invalid ${kind} name: '${key}'. Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to '${normalized}'.`,
    );
  }
  validateLength(field, key, LIMITS.maxEntityKeyLength);
  return key;
}

/** Throws when `value` is longer than `limit` characters. */
export function validateLength(field: string, value: string, limit: number): void {
  if (value.length > limit) {
    throw invalidArgument(
      field,
      `Value of ${field} '${value.slice(0, 250)}' had length ${value.length}, which exceeded length limit of ${limit}.`,
    );
  }
}

/** Checks a run id's shape (MLflow accepts 1..256 word characters starting alphanumeric). */
export function validateRunId(runId: unknown, field = 'run_id'): string {
  if (typeof runId !== 'string' || runId === '')
    throw invalidArgument(field, `Missing value for required field '${field}'.`);
  if (!RUN_ID.test(runId)) throw invalidArgument(field, `Invalid run ID: '${runId}'.`);
  return runId;
}

/** Checks an experiment id's shape. */
export function validateExperimentId(experimentId: unknown, field = 'experiment_id'): string {
  if (typeof experimentId !== 'string' || experimentId === '') {
    throw invalidArgument(field, `Missing value for required field '${field}'.`);
  }
  if (!EXPERIMENT_ID.test(experimentId))
    throw invalidArgument(field, `Invalid experiment ID: '${experimentId}'.`);
  return experimentId;
}

/** Checks an experiment name: non-empty and bounded. */
export function validateExperimentName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || name.trim() === '') {
    throw invalidArgument(
      field,
      `Invalid experiment name: '${String(name ?? '')}'. It must be a non-empty string.`,
    );
  }
  validateLength(field, name, LIMITS.maxExperimentNameLength);
  return name;
}

/**
 * Checks a user-chosen experiment artifact location as MLflow 2.12 does (no `runs:` URIs, no URL
 * fragments or params, no `..` in a query string), and additionally that a location served by this
 * server (`mlflow-artifacts:`) names a safe path inside the artifact store.
 */
export function validateArtifactLocation(location: string, field = 'artifact_location'): string {
  validateLength(field, location, LIMITS.maxArtifactLocationLength);
  if (/^runs:/i.test(location)) {
    throw invalidArgument(field, `Artifact location cannot be a runs:/ URI. Given: '${location}'.`);
  }
  if (location.includes('#') || location.includes(';')) {
    throw invalidArgument(field, `'${field}' URL can't include fragments or params.`);
  }
  const query = location.indexOf('?');
  // Like MLflow, decode until stable so double-encoded dots cannot hide; undecodable counts as bad.
  const levels = query >= 0 ? decodingLevels(location.slice(query)) : [];
  if (levels === undefined || levels.some((level) => level.includes('..'))) {
    throw invalidArgument(field, `'${field}' URL has an invalid query string: '..' is not allowed.`);
  }
  if (/^mlflow-artifacts:/i.test(location)) artifactLocationToPath(location, field);
  return location;
}

/**
 * Checks one metric observation; NaN and +/-Infinity are valid values, as in MLflow. `knownKeys`
 * holds keys already checked in this batch: a 1000-point batch usually repeats a handful of keys.
 */
export function validateMetric(metric: Metric, field: string, knownKeys?: Set<string>): void {
  if (!knownKeys?.has(metric.key)) {
    validateKey('metric', metric.key, `${field}.key`);
    knownKeys?.add(metric.key);
  }
  if (typeof metric.value !== 'number') {
    throw invalidArgument(
      `${field}.value`,
      `Got invalid value for metric '${metric.key}': expected a double.`,
    );
  }
  if (!Number.isSafeInteger(metric.timestamp) || metric.timestamp < 0) {
    throw invalidArgument(
      `${field}.timestamp`,
      `Got invalid timestamp ${metric.timestamp} for metric '${metric.key}': must be a non-negative 64-bit integer (ms).`,
    );
  }
  if (!Number.isSafeInteger(metric.step)) {
    throw invalidArgument(
      `${field}.step`,
      `Got invalid step ${metric.step} for metric '${metric.key}': must be an integer.`,
    );
  }
}

/** Checks batch sizes, then every metric, param and tag of a log-batch request. */
export function validateLogBatch(batch: LogBatch): void {
  const paramCount = Object.keys(batch.params).length;
  const tagCount = Object.keys(batch.tags).length;
  checkBatchLimit('metrics', batch.metrics.length, LIMITS.maxMetricsPerBatch);
  checkBatchLimit('params', paramCount, LIMITS.maxParamsOrTagsPerBatch);
  checkBatchLimit('tags', tagCount, LIMITS.maxParamsOrTagsPerBatch);
  checkBatchLimit(
    'metrics, params, and tags',
    batch.metrics.length + paramCount + tagCount,
    LIMITS.maxEntitiesPerBatch,
  );
  const knownKeys = new Set<string>();
  batch.metrics.forEach((m, i) => validateMetric(m, `metrics[${i}]`, knownKeys));
  for (const [key, value] of Object.entries(batch.params)) {
    validateKey('param', key, 'params.key');
    validateLength(`params.${key}`, value, LIMITS.maxParamValueLength);
  }
  for (const [key, value] of Object.entries(batch.tags)) {
    validateKey('tag', key, 'tags.key');
    validateLength(`tags.${key}`, value, LIMITS.maxTagValueLength);
  }
}

function checkBatchLimit(entity: string, count: number, limit: number): void {
  if (count > limit) {
    throw invalidArgument(
      entity.includes(',') ? 'batch' : entity,
      `A batch logging request can contain at most ${limit} ${entity}. Got ${count} ${entity}. Please split up ${entity} across multiple requests and try again.`,
    );
  }
}

/** Checks dataset inputs against MLflow's size limits. */
export function validateDatasetInputs(inputs: DatasetInput[]): void {
  checkBatchLimit('datasets', inputs.length, LIMITS.maxDatasetsPerBatch);
  inputs.forEach((input, i) => {
    const f = `datasets[${i}]`;
    const d = input.dataset;
    requireNonEmpty(`${f}.dataset.name`, d.name);
    requireNonEmpty(`${f}.dataset.digest`, d.digest);
    requireNonEmpty(`${f}.dataset.source_type`, d.sourceType);
    requireNonEmpty(`${f}.dataset.source`, d.source);
    validateLength(`${f}.dataset.name`, d.name, LIMITS.maxDatasetNameLength);
    validateLength(`${f}.dataset.digest`, d.digest, LIMITS.maxDatasetDigestLength);
    validateLength(`${f}.dataset.source`, d.source, LIMITS.maxDatasetSourceLength);
    if (d.schema !== undefined)
      validateLength(`${f}.dataset.schema`, d.schema, LIMITS.maxDatasetSchemaLength);
    if (d.profile !== undefined)
      validateLength(`${f}.dataset.profile`, d.profile, LIMITS.maxDatasetProfileLength);
    for (const [key, value] of Object.entries(input.tags)) {
      requireNonEmpty(`${f}.tags.key`, key);
      validateLength(`${f}.tags.key`, key, LIMITS.maxInputTagKeyLength);
      validateLength(`${f}.tags.${key}`, value, LIMITS.maxInputTagValueLength);
    }
  });
}

function requireNonEmpty(field: string, value: unknown): void {
  if (typeof value !== 'string' || value === '')
    throw invalidArgument(field, `Missing value for required field '${field}'.`);
}

/** Resolves max_results against a default and an upper bound (the tracking limits unless given). */
export function resolveMaxResults(
  maxResults: number | undefined,
  field = 'max_results',
  bounds: { default: number; max: number } = {
    default: LIMITS.defaultSearchMaxResults,
    max: LIMITS.maxSearchMaxResults,
  },
): number {
  if (maxResults === undefined) return bounds.default;
  if (!Number.isSafeInteger(maxResults) || maxResults < 1 || maxResults > bounds.max) {
    throw invalidArgument(
      field,
      `Invalid value ${maxResults} for parameter '${field}' supplied: it must be an integer between 1 and ${bounds.max}.`,
    );
  }
  return maxResults;
}
