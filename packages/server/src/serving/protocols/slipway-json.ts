/**
 * Slipway's native predict protocol (`POST /api/v1/endpoints/:name/predict`), pure: decoding the
 * JSON body into rows and building the response body.
 *
 * Request: exactly one of
 * - `{"instances": [{"col": value, ...}, ...]}` (row objects), or
 * - `{"inputs": {"col": [v0, v1, ...], ...}}` (columns of equal length),
 * plus optional `"routing_key"` (string: sticky canary assignment) and `"parameters"` (object).
 * Anything else is refused as INVALID_ARGUMENT naming the field.
 */
import { invalidArgument, type TrafficArm, type ValidationWarning } from '@slipway/contracts';
import type { InputRow, OutputRow } from '../../runtimes/runtime.js';
import { describe, isPlainObject, refuseUnknownKeys, rowsFromColumns, type DecodedRows } from './common.js';

const REQUEST_KEYS = ['instances', 'inputs', 'routing_key', 'parameters'] as const;

/** A decoded Slipway predict request. */
export interface SlipwayPredictRequest extends DecodedRows {
  routingKey?: string;
  parameters?: Record<string, unknown>;
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
  return request;
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
