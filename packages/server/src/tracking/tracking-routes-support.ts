/**
 * Plumbing shared by the native tracking routes: clear INVALID_ARGUMENT errors from schema
 * failures, camelCase field names in service errors, and order-by list parsing.
 */
import { ErrorBodySchema, SlipwayError, type ErrorDetails } from '@slipway/contracts';
import type { FastifySchemaValidationError } from 'fastify';
import type { TrackingService } from './tracking-service.js';
import type { RunArtifacts } from './run-artifacts.js';

/** What the native tracking routes need (a structural subset of the app's services). */
export interface TrackingRouteServices {
  tracking: TrackingService;
  runArtifacts: RunArtifacts;
}

/** Error responses every route documents; the app's error handler produces them. */
export const ERROR_RESPONSES = {
  '4xx': {
    ...ErrorBodySchema,
    description:
      'INVALID_ARGUMENT (400, details.field names the input), NOT_FOUND (404), ' +
      'ALREADY_EXISTS or FAILED_PRECONDITION (409), PAYLOAD_TOO_LARGE (413).',
  },
  '5xx': { ...ErrorBodySchema, description: 'INTERNAL (500) or UNAVAILABLE (503).' },
} as const;

/** Response schema of a 204. */
export const NO_CONTENT = { type: 'null', description: 'No content.' } as const;

/** The request part Fastify validated: 'body', 'querystring', 'params' or 'headers'. */
type Location = string;

/**
 * Turns ajv's errors into one INVALID_ARGUMENT naming the field in the API's own spelling. ajv's
 * defaults ("must NOT have additional properties", "must match a schema in anyOf") name neither
 * the field nor what would be accepted.
 */
export function schemaValidationError(
  errors: FastifySchemaValidationError[],
  location: Location,
): SlipwayError {
  const anyOf = errors.find((e) => e.keyword === 'anyOf');
  const first = anyOf ?? errors[0];
  if (!first)
    return new SlipwayError('INVALID_ARGUMENT', `Invalid request ${location}.`, { field: location });
  const base = fieldFromPointer(first.instancePath);
  const child = childProperty(first);
  const field = (base && child ? `${base}.${child}` : base || child) || location;
  return new SlipwayError('INVALID_ARGUMENT', describe(first, field, errors, location), { field });
}

function describe(
  error: FastifySchemaValidationError,
  field: string,
  all: FastifySchemaValidationError[],
  location: Location,
): string {
  const what =
    location === 'querystring' ? 'query parameter' : location === 'params' ? 'path parameter' : 'field';
  const p = error.params;
  switch (error.keyword) {
    case 'required':
      return `Missing required ${what} '${field}'.`;
    case 'additionalProperties':
      return `Unknown ${what} '${field}'.`;
    case 'type':
      return field === location
        ? `The request ${location} must be a JSON ${String(p['type'])}.`
        : `Invalid value for '${field}': expected ${article(String(p['type']))}.`;
    case 'enum':
      return `Invalid value for '${field}': expected one of ${formatValues(p['allowedValues'])}.`;
    case 'minLength':
      if (p['limit'] === 1) return `Invalid value for '${field}': must not be empty.`;
      break;
    case 'anyOf':
      return `Invalid value for '${field}': expected ${alternatives(all, error.instancePath)}.`;
  }
  return `Invalid value for '${field}': ${error.message ?? 'invalid'}.`;
}

/** The property a `required`/`additionalProperties` error is about (ajv reports the parent's path). */
function childProperty(error: FastifySchemaValidationError): string {
  const name = error.params['missingProperty'] ?? error.params['additionalProperty'];
  return typeof name === 'string' ? name : '';
}

/** `metrics[2].value` from the JSON pointer `/metrics/2/value`. */
function fieldFromPointer(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** "a number or one of "NaN", "Infinity"" from the branch errors of an anyOf at `pointer`. */
function alternatives(errors: FastifySchemaValidationError[], pointer: string): string {
  const options = errors
    .filter((e) => e.instancePath === pointer && e.keyword !== 'anyOf')
    .map((e) => {
      if (e.keyword === 'type') return article(String(e.params['type']));
      if (e.keyword === 'enum') return `one of ${formatValues(e.params['allowedValues'])}`;
      return e.message ?? e.keyword;
    });
  return [...new Set(options)].join(' or ') || 'a different value';
}

function formatValues(values: unknown): string {
  return Array.isArray(values) ? values.map((v) => JSON.stringify(v)).join(', ') : String(values);
}

function article(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

/**
 * The service names fields as MLflow does (`experiment_id`, `max_results`); the native API is
 * camelCase, so errors leaving it are renamed. User-chosen keys (`tags.my_key`) stay untouched.
 */
const NATIVE_FIELD_NAMES: Readonly<Record<string, string>> = {
  experiment_id: 'experimentId',
  experiment_ids: 'experimentIds',
  experiment_name: 'name',
  new_name: 'name',
  run_id: 'runId',
  run_name: 'runName',
  end_time: 'endTime',
  start_time: 'startTime',
  metric_key: 'key',
  max_results: 'maxResults',
  page_token: 'pageToken',
  order_by: 'orderBy',
  view_type: 'viewType',
  source_type: 'sourceType',
};

/** Rewrites a SlipwayError's field (and its mentions in the message) into the native spelling. */
export function withNativeFieldNames(err: unknown): unknown {
  if (!(err instanceof SlipwayError) || typeof err.details.field !== 'string') return err;
  // Schema failures (Fastify attaches `validation`) already use the names the client sent.
  if ('validation' in err) return err;
  const field = err.details.field;
  const renamed = nativeFieldName(field);
  if (renamed === field) return err;
  const mention = new RegExp(`(?<![\\w.])${escapeRegExp(field)}(?![\\w])`, 'g');
  const details: ErrorDetails = { ...err.details, field: renamed };
  return new SlipwayError(err.code, err.message.replace(mention, renamed), details);
}

/** `experiment_ids[2]` → `experimentIds[2]`; segments after `params`/`tags` are user keys. */
export function nativeFieldName(field: string): string {
  const segments = field.split('.');
  return segments
    .map((segment, i) => {
      if (i > 0 && /^(params|tags)$/.test(segments[i - 1] ?? '')) return segment;
      const match = /^([a-z_]+)(.*)$/.exec(segment);
      const name = match?.[1];
      return name && NATIVE_FIELD_NAMES[name] ? `${NATIVE_FIELD_NAMES[name]}${match[2] ?? ''}` : segment;
    })
    .join('.');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Splits repeated and comma-separated order-by entries (`["name", "creation_time DESC, x"]`) into
 * single entries. Commas inside backquotes or quotes belong to a key (`metrics.\`a,b\``).
 */
export function splitOrderBy(entries: string[] | undefined): string[] | undefined {
  if (entries === undefined) return undefined;
  return entries.flatMap(splitOutsideQuotes).filter((e) => e !== '');
}

function splitOutsideQuotes(entry: string): string[] {
  const parts: string[] = [];
  let quote: string | undefined;
  let current = '';
  for (const ch of entry) {
    if (quote !== undefined) {
      if (ch === quote) quote = undefined;
    } else if (ch === '`' || ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === ',') {
      parts.push(current.trim());
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current.trim());
  return parts;
}
