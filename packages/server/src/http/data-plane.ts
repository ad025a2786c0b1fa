/**
 * The serving data plane's predict routes on bare `node:http`, in front of Fastify: the hot path
 * reads the body, decodes it, predicts and answers without Fastify's routing, hooks, content-type
 * parsers and serializers, which cost about a third of a small model's request (bench/README.md).
 * Everything that is not one of these POST routes falls through to Fastify.
 *
 * Routes, three protocols on the same endpoints:
 * - Slipway JSON: `POST /v1/endpoints/{name}/predict`;
 * - MLflow scoring: `POST /v1/endpoints/{name}/invocations` (and `POST /invocations` in a process
 *   serving one endpoint), JSON or CSV;
 * - Open Inference Protocol v2: `POST /v2/models/{name}/infer` (the model name is the endpoint).
 * Published API versions of an endpoint: `POST /v1/endpoints/{name}/apis/{api}/predict` and
 * `.../apis/{api}/invocations`, and `POST /v2/models/{name}/versions/{api}/infer` (OIP's model
 * version is the API version).
 * Each protocol answers errors in its own shape; codes and statuses are the one taxonomy's.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  SlipwayError,
  httpStatusForCode,
  invalidArgument,
  type ErrorCode,
  type ModelContract,
} from '@slipway/contracts';
import { nativeErrorResponse, toSlipwayError } from './error-mapping.js';
import type { InFlightRequests } from './in-flight.js';
import { decodeMlflowCsv } from '../serving/protocols/csv.js';
import {
  decodeMlflowRequest,
  encodeMlflowResponse,
  mlflowBodyKind,
} from '../serving/protocols/mlflow-invocations.js';
import { decodeOipRequest, encodeOipResponse, type OipDecodedRequest } from '../serving/protocols/oip-v2.js';
import { decodeSlipwayRequest, encodeSlipwayResponse } from '../serving/protocols/slipway-json.js';
import type { PredictInput, PredictResult, ServingManager } from '../serving/serving-manager.js';
import type { ServingMetrics } from '../serving/serving-metrics.js';

/** Options of the data plane. */
export interface DataPlaneOptions {
  /** The endpoint `POST /invocations` serves (a `slipway serve --endpoint` process). */
  defaultEndpoint?: string;
  /** Request metrics (`GET /metrics` is a Fastify route). */
  metrics?: ServingMetrics;
  /** Responses in flight, so shutdown lets them finish; closing also answers `Connection: close`. */
  inFlight?: InFlightRequests;
  /** Largest accepted body in bytes; larger ones get 413 PAYLOAD_TOO_LARGE. */
  bodyLimit: number;
}

/** Handles a request when it is a data-plane route; returns false to let Fastify have it. */
export type DataPlane = (request: IncomingMessage, response: ServerResponse) => boolean;

type Protocol = 'slipway' | 'mlflow' | 'oip-v2';

/** A matched route: which protocol, which endpoint, and the rest of what the path named. */
interface Route {
  protocol: Protocol;
  endpoint: string;
  /** The published API version of `/apis/{api}/predict`. */
  api?: string;
}

/** A read request body, as text, with what the caller said it is. */
interface Body {
  text: string;
  contentType: string | undefined;
  /** `x-slipway-entity-id`: the caller's entity id for every row (labels may join by it). */
  entityId?: string;
}

/** What a protocol handler answers on success. */
interface Answer {
  body: unknown;
  headers?: Record<string, string>;
}

type Handler = (route: Route, body: Body, requestId: string) => Promise<Answer>;

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** The header that carries an entity id for every row of a request, in any protocol. */
const ENTITY_HEADER = 'x-slipway-entity-id';

/** Builds the data plane of `manager`. */
export function createDataPlane(manager: ServingManager, options: DataPlaneOptions): DataPlane {
  const handlers: Record<Protocol, Handler> = {
    slipway: (route, body, requestId) => slipwayPredict(manager, route, body, requestId),
    mlflow: (route, body, requestId) => mlflowInvocations(manager, route, body, requestId),
    'oip-v2': (route, body, requestId) => oipInfer(manager, route, body, requestId),
  };
  return (request, response) => {
    if (request.method !== 'POST') return false;
    let route: Route | undefined;
    try {
      route = matchRoute(request.url ?? '', options.defaultEndpoint);
    } catch (error) {
      // A path that is ours but cannot be decoded (bad percent-encoding).
      respondError(response, 'slipway', error, requestIdOf(request), options);
      return true;
    }
    if (route === undefined) return false;
    void serve(route, request, response, handlers[route.protocol], options);
    return true;
  };
}

async function serve(
  route: Route,
  request: IncomingMessage,
  response: ServerResponse,
  handler: Handler,
  options: DataPlaneOptions,
): Promise<void> {
  options.inFlight?.track(response);
  const ended = options.metrics?.requestStarted(route.endpoint, route.protocol);
  if (ended !== undefined) response.once('finish', () => ended(response.statusCode));
  const requestId = requestIdOf(request);
  try {
    const body = await readBody(request, options.bodyLimit);
    const answer = await handler(route, body, requestId);
    respond(response, 200, answer.body, requestId, options, answer.headers);
  } catch (error) {
    respondError(response, route.protocol, error, requestId, options);
  }
}

/** The route a request path names, or undefined when it is not a data-plane route. */
export function matchRoute(url: string, defaultEndpoint?: string): Route | undefined {
  const queryAt = url.indexOf('?');
  const path = queryAt < 0 ? url : url.slice(0, queryAt);
  if (path === '/invocations') {
    return defaultEndpoint === undefined ? undefined : { protocol: 'mlflow', endpoint: defaultEndpoint };
  }
  const parts = path.split('/');
  // ['', 'v1', 'endpoints', name, ...] or ['', 'v2', 'models', name, 'infer']
  if (parts[0] !== '' || parts.length < 5 || parts[3] === '') return undefined;
  if (parts[1] === 'v1' && parts[2] === 'endpoints') {
    const endpoint = segment(parts[3]);
    if (parts.length === 5 && parts[4] === 'predict') return { protocol: 'slipway', endpoint };
    if (parts.length === 5 && parts[4] === 'invocations') return { protocol: 'mlflow', endpoint };
    if (parts.length === 7 && parts[4] === 'apis' && parts[5] !== '') {
      if (parts[6] === 'predict') return { protocol: 'slipway', endpoint, api: segment(parts[5]) };
      if (parts[6] === 'invocations') return { protocol: 'mlflow', endpoint, api: segment(parts[5]) };
    }
    return undefined;
  }
  if (parts[1] === 'v2' && parts[2] === 'models') {
    if (parts.length === 5 && parts[4] === 'infer')
      return { protocol: 'oip-v2', endpoint: segment(parts[3]) };
    // OIP's model version is the endpoint's published API version.
    if (parts.length === 7 && parts[4] === 'versions' && parts[5] !== '' && parts[6] === 'infer') {
      return { protocol: 'oip-v2', endpoint: segment(parts[3]), api: segment(parts[5]) };
    }
  }
  return undefined;
}

/** One percent-decoded path segment. */
function segment(raw: string | undefined): string {
  const text = raw ?? '';
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidArgument('path', `The request path has a malformed percent-encoding: ${text}`);
  }
}

/** The caller's request id, or a fresh one; echoed in `x-request-id`. */
function requestIdOf(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && given.length > 0 && given.length <= 200 ? given : randomUUID();
}

/** Reads the whole body as UTF-8, refusing one larger than `limit` (by its length or as it streams). */
function readBody(request: IncomingMessage, limit: number): Promise<Body> {
  const contentType = request.headers['content-type'];
  const entityId = entityIdHeader(request);
  const declared = Number(request.headers['content-length'] ?? Number.NaN);
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        request.off('data', onData);
        // Stop buffering; the rest of the body is read and discarded so the answer can be sent.
        request.resume();
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    request.on('data', onData);
    request.once('end', () => {
      if (size > limit) return;
      const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
      resolve({ text: bytes.toString('utf8'), contentType, ...(entityId === undefined ? {} : { entityId }) });
    });
    request.once('error', reject);
  });
}

/** The `x-slipway-entity-id` header, when given: 1-256 characters. */
function entityIdHeader(request: IncomingMessage): string | undefined {
  const value = request.headers[ENTITY_HEADER];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 256) {
    throw invalidArgument(ENTITY_HEADER, `${ENTITY_HEADER} must be one id of 1-256 characters`);
  }
  return value;
}

/** The entity ids of `rows` rows from the header, for protocols whose bodies have no place for them. */
function headerEntityIds(body: Body, rows: number): { entityIds?: string[] } {
  return body.entityId === undefined ? {} : { entityIds: new Array<string>(rows).fill(body.entityId) };
}

function tooLarge(limit: number): SlipwayError {
  return new SlipwayError('PAYLOAD_TOO_LARGE', `Request body is larger than ${limit} bytes.`, {
    field: 'body',
    limitBytes: limit,
  });
}

/** The media type of a Content-Type header, lower-cased, without parameters. */
function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parses a JSON body; refuses other content types and malformed JSON naming the body. */
function parseJsonBody(body: Body): unknown {
  const mediaType = mediaTypeOf(body.contentType);
  if (mediaType !== 'application/json') {
    const got = mediaType === '' ? 'none' : `'${mediaType}'`;
    throw invalidArgument('Content-Type', `Content-Type must be application/json (got ${got})`);
  }
  return parseJson(body.text);
}

/**
 * JSON.parse, refusing prototype-poisoning keys (`__proto__`, `constructor.prototype`) the way
 * Fastify's secure parser did; the reviver only runs on the rare bodies that contain them.
 */
export function parseJson(text: string): unknown {
  try {
    if (!text.includes('__proto__') && !text.includes('prototype')) return JSON.parse(text);
    return JSON.parse(text, poisonGuard);
  } catch (error) {
    if (error instanceof SlipwayError) throw error;
    throw invalidArgument('body', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

function poisonGuard(this: unknown, key: string, value: unknown): unknown {
  const poisoned =
    key === '__proto__' ||
    (key === 'constructor' &&
      value !== null &&
      typeof value === 'object' &&
      Object.prototype.hasOwnProperty.call(value, 'prototype'));
  if (poisoned) throw invalidArgument('body', `The request body uses the forbidden key '${key}'`);
  return value;
}

async function slipwayPredict(
  manager: ServingManager,
  route: Route,
  body: Body,
  requestId: string,
): Promise<Answer> {
  const decoded = decodeSlipwayRequest(parseJsonBody(body));
  const input: PredictInput = { rows: decoded.rows, source: decoded.source, protocol: 'slipway', requestId };
  if (decoded.routingKey !== undefined) input.routingKey = decoded.routingKey;
  // The body's entity ids win over the header's.
  const entityIds = decoded.entityIds ?? headerEntityIds(body, decoded.rows.length).entityIds;
  if (entityIds !== undefined) input.entityIds = entityIds;
  if (decoded.tags !== undefined) input.tags = decoded.tags;
  if (route.api !== undefined) {
    const result = await manager.predictApi(route.endpoint, route.api, input);
    return {
      body: encodeSlipwayResponse({ ...result, predictions: result.outputs }),
      headers: apiHeaders(result.headers, route.api),
    };
  }
  const result = await manager.predict(route.endpoint, input);
  return {
    body: encodeSlipwayResponse({
      endpoint: result.endpoint,
      modelName: result.modelName,
      modelVersion: result.modelVersion,
      arm: result.arm,
      predictionIds: result.predictionIds,
      predictions: result.outputs,
      warnings: result.warnings,
    }),
  };
}

async function mlflowInvocations(
  manager: ServingManager,
  route: Route,
  body: Body,
  requestId: string,
): Promise<Answer> {
  const kind = mlflowBodyKind(body.contentType);
  const json = kind === 'json' ? parseJson(body.text) : undefined;
  const decode = (contract: ModelContract | undefined): PredictInput => {
    const decoded =
      kind === 'csv' ? decodeMlflowCsv(body.text, contract) : decodeMlflowRequest(json, contract);
    return {
      rows: decoded.rows,
      source: decoded.source,
      protocol: 'mlflow',
      requestId,
      ...headerEntityIds(body, decoded.rows.length),
    };
  };
  if (route.api !== undefined) {
    const { result, contract } = await manager.predictApiDecoded(route.endpoint, route.api, decode);
    return {
      body: encodeMlflowResponse(result.outputs, contract),
      headers: { ...apiHeaders(result.headers, route.api), ...predictionIdsHeader(result.predictionIds) },
    };
  }
  // One acquire: decoded by the live model of the set that then serves it.
  const { result } = await manager.predictDecoded(route.endpoint, (live) => decode(live.model.contract));
  return {
    body: encodeMlflowResponse(result.outputs, result.served.model.contract),
    headers: predictionIdsHeader(result.predictionIds),
  };
}

/** MLflow's body has no room for ids: they travel in a header. */
function predictionIdsHeader(ids: readonly string[]): Record<string, string> {
  return { 'x-slipway-prediction-ids': ids.join(',') };
}

/** The lifecycle headers of a published API version, and which version answered. */
function apiHeaders(lifecycle: Record<string, string>, api: string): Record<string, string> {
  return { ...lifecycle, 'x-slipway-api-version': api };
}

async function oipInfer(
  manager: ServingManager,
  route: Route,
  body: Body,
  requestId: string,
): Promise<Answer> {
  const json = parseJsonBody(body);
  const decode = (contract: ModelContract | undefined): OipPredictInput => {
    const decoded = decodeOipRequest(json, contract);
    return {
      rows: decoded.rows,
      source: decoded.source,
      protocol: 'oip-v2',
      requestId,
      decoded,
      ...headerEntityIds(body, decoded.rows.length),
    };
  };
  if (route.api !== undefined) {
    const { input, result, contract } = await manager.predictApiDecoded(route.endpoint, route.api, decode);
    return {
      body: oipBody(route, input, result, contract, route.api),
      headers: apiHeaders(result.headers, route.api),
    };
  }
  // One acquire: decoded by the live model of the set that then serves it.
  const { input, result } = await manager.predictDecoded(route.endpoint, (live) =>
    decode(live.model.contract),
  );
  return { body: oipBody(route, input, result, result.served.model.contract, result.modelVersion) };
}

/** A predict input that keeps the decoded OIP request (its id, parameters and requested outputs). */
type OipPredictInput = PredictInput & { decoded: OipDecodedRequest };

function oipBody(
  route: Route,
  input: OipPredictInput,
  result: PredictResult,
  contract: ModelContract | undefined,
  modelVersion: string,
): unknown {
  const decoded = input.decoded;
  return encodeOipResponse({
    modelName: route.endpoint,
    modelVersion,
    id: decoded.id ?? input.requestId,
    parameters: { ...(decoded.parameters ?? {}), prediction_ids: result.predictionIds, arm: result.arm },
    predictions: result.outputs,
    ...(contract === undefined ? {} : { contract }),
    ...(decoded.requestedOutputs === undefined ? {} : { requestedOutputs: decoded.requestedOutputs }),
  });
}

function respond(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  options: DataPlaneOptions,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, {
    ...headers,
    'content-type': JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-request-id': requestId,
    ...(options.inFlight?.isClosing || status === 413 ? { connection: 'close' } : {}),
  });
  response.end(text);
}

/** Answers a thrown value in the protocol's error shape; unexpected errors are logged, never shown. */
function respondError(
  response: ServerResponse,
  protocol: Protocol,
  error: unknown,
  requestId: string,
  options: DataPlaneOptions,
): void {
  if (!(error instanceof SlipwayError)) console.error('predict request failed:', error);
  const e = toSlipwayError(error);
  const status = httpStatusForCode(e.code);
  respond(response, status, errorBody(protocol, error, e), requestId, options, retryAfter(e));
}

function errorBody(protocol: Protocol, raw: unknown, e: SlipwayError): unknown {
  if (protocol === 'mlflow') return { error_code: mlflowCode(e.code), message: e.message };
  if (protocol === 'oip-v2') return { error: e.message };
  return nativeErrorResponse(raw).body;
}

/** `Retry-After` (seconds) for errors that carry one, such as a rate-limit refusal. */
function retryAfter(e: SlipwayError): Record<string, string> {
  const seconds = e.details['retryAfterSeconds'];
  return typeof seconds === 'number' ? { 'retry-after': String(Math.max(1, Math.ceil(seconds))) } : {};
}

/** MLflow's scoring server speaks MLflow error codes. */
export function mlflowCode(code: ErrorCode): string {
  switch (code) {
    case 'INVALID_ARGUMENT':
    case 'PAYLOAD_TOO_LARGE':
      return 'BAD_REQUEST';
    case 'NOT_FOUND':
      return 'RESOURCE_DOES_NOT_EXIST';
    case 'UNAVAILABLE':
      return 'TEMPORARILY_UNAVAILABLE';
    case 'RESOURCE_EXHAUSTED':
      return 'REQUEST_LIMIT_EXCEEDED';
    case 'INTERNAL':
      return 'INTERNAL_ERROR';
    default:
      return 'INVALID_STATE';
  }
}
