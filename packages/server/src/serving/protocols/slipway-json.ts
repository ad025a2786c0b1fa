/**
 * Slipway's native predict protocol (`POST /api/v1/endpoints/:name/predict`), pure: decoding the
 * JSON body into rows and building the response body.
 *
 * Request: exactly one of
 * - `{"instances": [{"col": value, ...}, ...]}` (row objects), or
 * - `{"inputs": {"col": [v0, v1, ...], ...}}` (columns of equal length),
 * plus optional `"routing_key"` (string: sticky canary assignment), `"parameters"` (object),
 * `"entity_id"` (string, for every row) or `"entity_ids"` (one string or null per row): the caller's
 * key that delayed labels may join by, and `"tags"` (object of strings) recorded in the log.
 * Anything else is refused as INVALID_ARGUMENT naming the field.
 */
import { invalidArgument, type TrafficArm, type ValidationWarning } from '@slipway/contracts';
import type { InputRow, OutputRow } from '../../runtimes/runtime.js';
import {
  describe,
  isPlainObject,
  refuseUnknownKeys,
  rowsFromColumns,
  setField,
  type DecodedRows,
} from './common.js';

const REQUEST_KEYS = [
  'instances',
  'inputs',
  'routing_key',
  'parameters',
  'entity_id',
  'entity_ids',
  'tags',
] as const;

/** Longest entity id, tag key or tag value accepted (they are stored with every row). */
const MAX_KEY_LENGTH = 256;

/** Most tags on one request. */
const MAX_TAGS = 32;

/** A decoded Slipway predict request. */
export interface SlipwayPredictRequest extends DecodedRows {
  routingKey?: string;
  parameters?: Record<string, unknown>;
  /** One entity id (or undefined) per row. */
  entityIds?: (string | undefined)[];
  tags?: Record<string, string>;
}

/**
 * Decodes a Slipway predict body. `source` says where rows came from (`instances`/rows or
 * `inputs`/columns): pass it to `compileRowValidator` options so refusals name the caller's paths.
 */
export function decodeSlipwayRequest(body: unknown): SlipwayPredictRequest {
  if (!isPlainObject(body)) {
    throw invalidArgument('body', `The request body must be a JSON object, got ${describe(body)}`);
  }
  refuseUnknownKeys(body, REQUEST_KEYS, '', 'a predict request');
  const { instances, inputs, routing_key: routingKey, parameters } = body;
  const { entity_id: entityId, entity_ids: entityIds, tags } = body;
  if (instances !== undefined && inputs !== undefined) {
    throw invalidArgument('inputs', 'Send either instances (rows) or inputs (columns), not both');
  }
  let decoded: DecodedRows;
  if (instances !== undefined) {
    decoded = { rows: rowsFromInstances(instances), source: { field: 'instances', layout: 'rows' } };
  } else if (inputs !== undefined) {
    if (!isPlainObject(inputs)) {
      throw invalidArgument(
        'inputs',
        `inputs must be an object of columns (name → values), got ${describe(inputs)}`,
      );
    }
    decoded = { rows: rowsFromColumns(inputs, 'inputs'), source: { field: 'inputs', layout: 'columns' } };
  } else {
    throw invalidArgument(
      'instances',
      'A predict request needs instances (a list of rows) or inputs (columns)',
    );
  }
  const request: SlipwayPredictRequest = decoded;
  if (routingKey !== undefined) {
    if (typeof routingKey !== 'string') {
      throw invalidArgument('routing_key', `routing_key must be a string, got ${describe(routingKey)}`);
    }
    request.routingKey = routingKey;
  }
  if (parameters !== undefined) {
    if (!isPlainObject(parameters)) {
      throw invalidArgument('parameters', `parameters must be an object, got ${describe(parameters)}`);
    }
    request.parameters = parameters;
  }
  const ids = decodeEntityIds(entityId, entityIds, request.rows.length);
  if (ids !== undefined) request.entityIds = ids;
  if (tags !== undefined) request.tags = decodeTags(tags);
  return request;
}

/** `entity_id` for every row, or `entity_ids` one per row (null: none); not both. */
function decodeEntityIds(
  single: unknown,
  perRow: unknown,
  rowCount: number,
): (string | undefined)[] | undefined {
  if (single !== undefined && perRow !== undefined) {
    throw invalidArgument(
      'entity_ids',
      'Send either entity_id (every row) or entity_ids (per row), not both',
    );
  }
  if (single !== undefined) {
    checkKey(single, 'entity_id');
    return new Array<string>(rowCount).fill(single as string);
  }
  if (perRow === undefined) return undefined;
  if (!Array.isArray(perRow) || perRow.length !== rowCount) {
    throw invalidArgument(
      'entity_ids',
      `entity_ids must be a list with one id (or null) per row, ${rowCount} here, got ${describe(perRow)}`,
    );
  }
  return perRow.map((id: unknown, i) => {
    if (id === null) return undefined;
    checkKey(id, `entity_ids[${i}]`);
    return id as string;
  });
}

function decodeTags(tags: unknown): Record<string, string> {
  if (!isPlainObject(tags))
    throw invalidArgument('tags', `tags must be an object of strings, got ${describe(tags)}`);
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS)
    throw invalidArgument('tags', `At most ${MAX_TAGS} tags, got ${entries.length}`);
  const decoded: Record<string, string> = {};
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw invalidArgument('tags', `Tag keys must be 1-${MAX_KEY_LENGTH} characters`);
    }
    checkKey(value, `tags.${key}`);
    setField(decoded, key, value);
  }
  return decoded;
}

/** A non-empty string of at most MAX_KEY_LENGTH characters. */
function checkKey(value: unknown, field: string): void {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_KEY_LENGTH) {
    throw invalidArgument(
      field,
      `${field} must be a string of 1-${MAX_KEY_LENGTH} characters, got ${describe(value)}`,
    );
  }
}

function rowsFromInstances(instances: unknown): InputRow[] {
  if (!Array.isArray(instances)) {
    throw invalidArgument('instances', `instances must be a list of row objects, got ${describe(instances)}`);
  }
  for (let i = 0; i < instances.length; i++) {
    if (!isPlainObject(instances[i])) {
      throw invalidArgument(
        `instances[${i}]`,
        `instances[${i}] must be an object of input fields, got ${describe(instances[i])}`,
      );
    }
  }
  return instances as InputRow[];
}

/** Body of a Slipway predict response. */
export interface SlipwayPredictResponse {
  endpoint: string;
  model_name: string;
  model_version: string;
  arm: TrafficArm;
  /** One id per row, in order: the key of each row's record in the prediction log. */
  prediction_ids: string[];
  predictions: OutputRow[];
  /** Present only when validation flagged something. */
  warnings?: ValidationWarning[];
}

/** The parts a predict response is built from. */
export interface SlipwayResponseParts {
  endpoint: string;
  modelName: string;
  modelVersion: string;
  arm: TrafficArm;
  predictionIds: string[];
  predictions: OutputRow[];
  warnings?: readonly ValidationWarning[];
}

/** Builds the predict response body; `warnings` is omitted when there are none. */
export function encodeSlipwayResponse(parts: SlipwayResponseParts): SlipwayPredictResponse {
  const response: SlipwayPredictResponse = {
    endpoint: parts.endpoint,
    model_name: parts.modelName,
    model_version: parts.modelVersion,
    arm: parts.arm,
    prediction_ids: parts.predictionIds,
    predictions: parts.predictions,
  };
  if (parts.warnings && parts.warnings.length > 0) response.warnings = [...parts.warnings];
  return response;
}
