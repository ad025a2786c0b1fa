/**
 * Online serving: endpoints (the durable resource that says what serves a name, with canary and
 * shadow traffic) and the prediction records every served request hands to the prediction log.
 * Schemas are the single definition; types are derived from them.
 */
import Type, { type Static } from 'typebox';
import { ModelVersionRefSchema } from './evaluation-api.js';
import { ModelContractSchema } from './registry-api.js';

/** What to do with a category value the contract does not list. */
export const UNKNOWN_CATEGORY_POLICIES = ['reject', 'flag'] as const;

/** Rows one predict call may carry unless the endpoint says otherwise. */
export const DEFAULT_MAX_ROWS = 1000;

/** Schema of an endpoint's canary: a second version taking a share of the traffic. */
export const CanarySchema = Type.Object(
  {
    model: ModelVersionRefSchema,
    percent: Type.Number({
      minimum: 0,
      maximum: 100,
      description: 'Share of requests routed to the canary.',
    }),
  },
  { additionalProperties: false },
);
/** An endpoint's canary. */
export type Canary = Static<typeof CanarySchema>;

/** Schema of an endpoint's request-validation settings. */
export const EndpointValidationSchema = Type.Object(
  {
    unknownCategories: Type.Enum(UNKNOWN_CATEGORY_POLICIES, {
      description: 'reject: 400 naming row and field (default); flag: serve and return a warning.',
    }),
  },
  { additionalProperties: false },
);

/** Schema of an endpoint's micro-batching: concurrent requests coalesced into one model call. */
export const BatchingSchema = Type.Object(
  {
    enabled: Type.Optional(
      Type.Boolean({
        description:
          'false turns micro-batching off (default true: with maxWaitMs 0 it only coalesces requests that ' +
          'arrive while a model call is running, so a lone request never waits).',
      }),
    ),
    maxBatchSize: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000,
        description: 'Most rows one model call takes (default 256).',
      }),
    ),
    maxWaitMs: Type.Optional(
      Type.Number({
        minimum: 0,
        maximum: 1000,
        description:
          'How long a lone request may wait for company (default 0: never; requests only coalesce while ' +
          'a model call is already running).',
      }),
    ),
  },
  { additionalProperties: false },
);
/** An endpoint's micro-batching settings. */
export type Batching = Static<typeof BatchingSchema>;

/** Most requests per second a rate limit may allow; higher is no limit worth enforcing per request. */
export const MAX_REQUESTS_PER_SECOND = 1_000_000;

/** Schema of an endpoint's request rate limit: a token bucket each serving process enforces on its own. */
export const RateLimitSchema = Type.Object(
  {
    requestsPerSecond: Type.Number({
      exclusiveMinimum: 0,
      maximum: MAX_REQUESTS_PER_SECOND,
      description:
        'Sustained requests per second per serving process; fractions allowed (0.5: one every 2s).',
    }),
    burst: Type.Optional(
      Type.Integer({
        minimum: 1,
        description:
          'Requests admitted at once after a quiet spell (default: max(1, ceil(requestsPerSecond))).',
      }),
    ),
  },
  { additionalProperties: false },
);
/** An endpoint's request rate limit. */
export type RateLimit = Static<typeof RateLimitSchema>;

/** The burst a rate limit allows: the stated one, else one second's worth (at least one request). */
export function burstOf(rateLimit: RateLimit): number {
  return rateLimit.burst ?? Math.max(1, Math.ceil(rateLimit.requestsPerSecond));
}

/** Schema of how a published API version is served by a model whose contract moved on. */
export const ApiAdapterSchema = Type.Object(
  {
    renameInputs: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Published input name → model input name.' }),
    ),
    defaults: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), {
        description: 'Model input → value used when callers of this API version do not send it.',
      }),
    ),
    renameOutputs: Type.Optional(
      Type.Record(Type.String(), Type.String(), {
        description: 'Model output name → published output name.',
      }),
    ),
  },
  { additionalProperties: false },
);
/** How a published API version is served by a newer model. */
export type ApiAdapter = Static<typeof ApiAdapterSchema>;

/** Schema of one published API version of an endpoint. */
export const ApiVersionSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$', description: 'e.g. v1.' }),
    contract: ModelContractSchema,
    adapter: Type.Optional(ApiAdapterSchema),
    deprecatedAt: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'ms since the epoch; answers carry a Deprecation header from then.',
      }),
    ),
    sunsetAt: Type.Optional(
      Type.Integer({ minimum: 0, description: 'ms since the epoch; announced in a Sunset header.' }),
    ),
  },
  { additionalProperties: false },
);
/** One published API version of an endpoint. */
export type ApiVersion = Static<typeof ApiVersionSchema>;

/** Fields of an endpoint a caller sets. */
const endpointSpecFields = {
  description: Type.Optional(Type.String()),
  model: ModelVersionRefSchema,
  canary: Type.Optional(CanarySchema),
  shadows: Type.Optional(
    Type.Array(ModelVersionRefSchema, {
      description: 'Called off the response path with the same rows; outputs are logged, never returned.',
    }),
  ),
  validation: Type.Optional(EndpointValidationSchema),
  maxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'Default 1000.' })),
  batching: Type.Optional(BatchingSchema),
  rateLimit: Type.Optional(RateLimitSchema),
  apiVersions: Type.Optional(
    Type.Array(ApiVersionSchema, {
      description:
        'Published API versions, served at /v1/endpoints/{name}/apis/{version}/predict. A model whose ' +
        'contract breaks one of them (after its adapter) is refused.',
    }),
  ),
};

/** Schema of a request to create an endpoint. */
export const CreateEndpointRequestSchema = Type.Object(
  { name: Type.String({ minLength: 1 }), ...endpointSpecFields },
  { additionalProperties: false },
);
/** Request of `POST /api/v1/endpoints`. */
export type CreateEndpointRequest = Static<typeof CreateEndpointRequestSchema>;

/** Schema of an update: every field replaces the stored one; `canary: null` removes the canary (rollback). */
export const UpdateEndpointRequestSchema = Type.Object(
  {
    description: Type.Optional(Type.String()),
    model: Type.Optional(ModelVersionRefSchema),
    canary: Type.Optional(Type.Union([CanarySchema, Type.Null()])),
    shadows: Type.Optional(Type.Array(ModelVersionRefSchema)),
    validation: Type.Optional(EndpointValidationSchema),
    maxRows: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    batching: Type.Optional(
      Type.Union([BatchingSchema, Type.Null()], { description: 'null turns batching off.' }),
    ),
    rateLimit: Type.Optional(
      Type.Union([RateLimitSchema, Type.Null()], { description: 'null removes the rate limit.' }),
    ),
    apiVersions: Type.Optional(
      Type.Array(ApiVersionSchema, { description: 'Replaces every published version.' }),
    ),
  },
  { additionalProperties: false },
);
/** Request of `PATCH /api/v1/endpoints/:name`. */
export type UpdateEndpointRequest = Static<typeof UpdateEndpointRequestSchema>;

/** Schema of a stored endpoint. */
export const EndpointSchema = Type.Object(
  {
    name: Type.String(),
    ...endpointSpecFields,
    createdAt: Type.Integer({ minimum: 0 }),
    updatedAt: Type.Integer({ minimum: 0 }),
    createdBy: Type.String(),
    /** Bumped by every update; serving processes reload when it changes. */
    revision: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
/** A stored endpoint. */
export type Endpoint = Static<typeof EndpointSchema>;

/** Response carrying one endpoint. */
export const EndpointResponseSchema = Type.Object(
  { endpoint: EndpointSchema },
  { additionalProperties: false },
);
/** Response carrying one endpoint. */
export type EndpointResponse = Static<typeof EndpointResponseSchema>;

/** Response of `GET /api/v1/endpoints`, by name. */
export const EndpointListResponseSchema = Type.Object(
  { endpoints: Type.Array(EndpointSchema) },
  { additionalProperties: false },
);
/** Response of `GET /api/v1/endpoints`. */
export type EndpointListResponse = Static<typeof EndpointListResponseSchema>;

/** Path parameters naming an endpoint. */
export const EndpointParamsSchema = Type.Object({ name: Type.String({ minLength: 1 }) });

// ---------------------------------------------------------------------------------------------
// Predictions
// ---------------------------------------------------------------------------------------------

/** Which traffic arm served (or shadowed) a prediction. */
export const TRAFFIC_ARMS = ['live', 'canary', 'shadow'] as const;

/** A traffic arm. */
export type TrafficArm = (typeof TRAFFIC_ARMS)[number];

/** The protocols a prediction may arrive by. */
export const SERVING_PROTOCOLS = ['slipway', 'oip-v2', 'mlflow', 'batch'] as const;

/** A serving protocol. */
export type ServingProtocol = (typeof SERVING_PROTOCOLS)[number];

/** One input-validation warning: served anyway, but worth a look (unknown category, out of range). */
export const ValidationWarningSchema = Type.Object(
  { row: Type.Integer({ minimum: 0 }), field: Type.String(), message: Type.String() },
  { additionalProperties: false },
);
/** One input-validation warning. */
export type ValidationWarning = Static<typeof ValidationWarningSchema>;

/** One logged prediction: one row in, one row out, and where it came from. */
export interface PredictionRecord {
  predictionId: string;
  endpoint: string;
  modelName: string;
  modelVersion: string;
  arm: TrafficArm;
  protocol: ServingProtocol;
  /** Milliseconds since the Unix epoch. */
  timestamp: number;
  /** Model latency of the whole batch this row was part of, in ms. */
  latencyMs: number;
  requestId: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  /** For shadow records: the id of the live prediction it shadows. */
  shadowOf?: string;
  /** The caller's key for what was predicted (a user, a transaction): labels may join by it. */
  entityId?: string;
  /** Caller-supplied tags of the request (string values), for filtering the log. */
  tags?: Record<string, string>;
  /** The published API version the request came through, when not the model's own contract. */
  apiVersion?: string;
  /** The batch-scoring job that produced the record, when not online traffic. */
  jobId?: string;
  /**
   * Set on the one record a failed request leaves (contract refusal, model failure): its error
   * code and message. Such a record holds the request's first row as `input` and `{}` as `output`.
   */
  error?: PredictionError;
}

/** Why a logged request failed: the error code of the taxonomy (`INVALID_ARGUMENT`, `INTERNAL`) and its message. */
export interface PredictionError {
  code: string;
  message: string;
}
