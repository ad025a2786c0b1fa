/**
 * `client.endpoints`: online serving. The control plane (`/api/v1/endpoints`: what model version or
 * alias an endpoint serves, its canary, shadows, limits and batching) and the data plane
 * (`POST /v1/endpoints/{name}/predict`, outside `/api/v1`). `predict` works against the platform
 * server and against a `slipway serve --endpoint NAME` process alike: point a client at either.
 */
import type {
  CreateEndpointRequest,
  Endpoint,
  EndpointListResponse,
  EndpointResponse,
  TrafficArm,
  UpdateEndpointRequest,
  ValidationWarning,
} from '@slipway/contracts';
import type { DataPlane } from './data-plane.js';
import { pathOf, type Transport } from './transport.js';

/** One input row: field name → value. */
export type PredictRow = Record<string, unknown>;

/** Rows to predict: row objects (`instances` on the wire) or `{ inputs: { col: [...] } }` columns. */
export type PredictInput = readonly PredictRow[] | { inputs: Record<string, readonly unknown[]> };

/** Options of `endpoints.predict`. */
export interface PredictOptions {
  /** Sticky canary routing: the same key always gets the same arm. */
  routingKey?: string;
  /** Sent as `x-request-id` (echoed back and stored with every prediction); generated when absent. */
  requestId?: string;
  /** Your key for what is predicted (a customer, a transaction), for every row: labels may join by it. */
  entityId?: string;
  /** One entity id (or null) per row, instead of `entityId`. */
  entityIds?: readonly (string | null)[];
  /** Tags recorded with every row in the prediction log (string values). */
  tags?: Record<string, string>;
}

/**
 * Body of a predict response, snake_case exactly as the server sends it (the data plane's wire
 * format is protocol-shaped, not the camelCase of `/api/v1`).
 */
export interface PredictResponse {
  endpoint: string;
  model_name: string;
  model_version: string;
  arm: Exclude<TrafficArm, 'shadow'>;
  /** One id per row, in order: the key of each row's record in the prediction log. */
  prediction_ids: string[];
  /** One output row per input row, in order. */
  predictions: Record<string, unknown>[];
  /** Present only when validation flagged something (e.g. an unknown category under `flag`). */
  warnings?: ValidationWarning[];
}

/** Endpoint operations of a client. */
export class EndpointsApi {
  constructor(
    private readonly http: Transport,
    private readonly dataPlane: DataPlane,
  ) {}

  /**
   * Creates an endpoint; AlreadyExistsError if the name is taken, NotFoundError for an unknown model,
   * InvalidArgumentError (`details.field`) for bad settings.
   */
  async create(request: CreateEndpointRequest): Promise<Endpoint> {
    return (await this.http.json<EndpointResponse>('POST', '/endpoints', { json: request })).endpoint;
  }

  /** Returns an endpoint; NotFoundError if absent. */
  async get(name: string): Promise<Endpoint> {
    return (await this.http.json<EndpointResponse>('GET', pathOf('endpoints', name))).endpoint;
  }

  /** Every endpoint, by name. */
  async list(): Promise<Endpoint[]> {
    return (await this.http.json<EndpointListResponse>('GET', '/endpoints')).endpoints;
  }

  /**
   * Changes an endpoint: present fields replace the stored ones, `canary: null` rolls the canary
   * back and `batching: null` turns batching off. Serving processes swap atomically.
   */
  async update(name: string, patch: UpdateEndpointRequest): Promise<Endpoint> {
    return (await this.http.json<EndpointResponse>('PATCH', pathOf('endpoints', name), { json: patch }))
      .endpoint;
  }

  /** Deletes an endpoint; NotFoundError if absent. */
  async delete(name: string): Promise<void> {
    await this.http.empty('DELETE', pathOf('endpoints', name));
  }

  /**
   * Predicts with the endpoint (its live model, or its canary for a share of requests). Refusals
   * (rows the contract does not accept, too many rows) are InvalidArgumentError or
   * PayloadTooLargeError naming the offending field, e.g. `instances[3].amount`.
   */
  async predict(name: string, input: PredictInput, options: PredictOptions = {}): Promise<PredictResponse> {
    const body: Record<string, unknown> = isColumns(input) ? { inputs: input.inputs } : { instances: input };
    if (options.routingKey !== undefined) body['routing_key'] = options.routingKey;
    if (options.entityId !== undefined) body['entity_id'] = options.entityId;
    if (options.entityIds !== undefined) body['entity_ids'] = options.entityIds;
    if (options.tags !== undefined) body['tags'] = options.tags;
    return this.dataPlane.postJson<PredictResponse>(
      `/v1/endpoints/${encodeURIComponent(name)}/predict`,
      body,
      options.requestId === undefined ? {} : { 'x-request-id': options.requestId },
    );
  }
}

function isColumns(input: PredictInput): input is { inputs: Record<string, readonly unknown[]> } {
  return !Array.isArray(input);
}
