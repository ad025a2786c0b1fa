/**
 * Webhooks on model-registry events: domain types, the payload receivers get, and the wire schemas
 * of the native webhook API (`/api/v1/webhooks`). See docs/webhooks.md for the delivery protocol.
 */
import Type, { type Static } from 'typebox';
import { RegistryEventSchema } from './registry-api.js';
import { REGISTRY_EVENT_TYPES, type RegistryEvent, type RegistryEventType } from './registry.js';

// ---------------------------------------------------------------------------------------------
// Domain types
// ---------------------------------------------------------------------------------------------

/** States of a delivery: waiting for (another) attempt, delivered, or given up on. */
export const WEBHOOK_DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

/** A delivery's state. */
export type WebhookDeliveryStatus = (typeof WEBHOOK_DELIVERY_STATUSES)[number];

/** Header carrying `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const WEBHOOK_SIGNATURE_HEADER = 'slipway-signature';
/** Header carrying the event type (also in the body). */
export const WEBHOOK_EVENT_HEADER = 'slipway-event';
/** Header carrying the delivery id, which is also the body's `id` (the receiver's idempotency key). */
export const WEBHOOK_DELIVERY_HEADER = 'slipway-delivery';

/** A subscription to registry events. The secret is never part of it (see `CreateWebhookResponse`). */
export interface Webhook {
  id: string;
  /** http(s) URL the events are POSTed to. */
  url: string;
  /** Event types to deliver; empty means all. Sorted. */
  events: RegistryEventType[];
  /** Only events of this registered model, when set. */
  modelName?: string;
  description: string;
  /** Inactive webhooks get no new deliveries and their pending ones wait. */
  active: boolean;
  /** Milliseconds since the Unix epoch. */
  creationTime: number;
  /** Milliseconds since the Unix epoch. */
  lastUpdatedTime: number;
}

/** One HTTP attempt of a delivery. */
export interface WebhookAttempt {
  /** 1-based within the delivery's current round (a redelivery starts a new round at 1). */
  attempt: number;
  /** When the request was sent (ms since the epoch). */
  time: number;
  durationMs: number;
  /** The response status, absent when no response arrived. */
  statusCode?: number;
  /** Why the attempt failed without a (2xx) response: timeout, connection refused, ... */
  error?: string;
}

/** One event to be delivered to one webhook, with its attempt log. */
export interface WebhookDelivery {
  id: string;
  webhookId: string;
  eventSeq: number;
  eventType: RegistryEventType;
  /** The event as it was when fanned out. */
  event: RegistryEvent;
  status: WebhookDeliveryStatus;
  /** Attempts made in the current round. */
  attempts: number;
  /** While pending: when the next attempt is due (ms since the epoch). */
  nextAttemptAt?: number;
  lastStatusCode?: number;
  lastError?: string;
  /** Milliseconds since the Unix epoch. */
  lastAttemptTime?: number;
  /** Milliseconds since the Unix epoch. */
  creationTime: number;
  /** Every attempt, oldest first. */
  attemptLog: WebhookAttempt[];
}

/** The JSON body POSTed to a webhook. */
export interface WebhookPayload {
  /** The delivery id: the same on every retry and redelivery, so receivers can deduplicate on it. */
  id: string;
  type: RegistryEventType;
  /** When the event happened (ms since the epoch). */
  time: number;
  actor: string;
  data: RegistryEvent;
}

// ---------------------------------------------------------------------------------------------
// Wire schemas
// ---------------------------------------------------------------------------------------------

const Millis = (description = 'Milliseconds since the Unix epoch.') =>
  Type.Integer({ minimum: 0, description });

/** Schema of a registry event type. */
export const RegistryEventTypeSchema = Type.Enum(REGISTRY_EVENT_TYPES);

/** Schema of a delivery status. */
export const WebhookDeliveryStatusSchema = Type.Enum(WEBHOOK_DELIVERY_STATUSES);

const UrlString = Type.String({
  minLength: 1,
  maxLength: 2048,
  description: 'An absolute http:// or https:// URL without credentials.',
});
const EventList = Type.Array(RegistryEventTypeSchema, {
  maxItems: REGISTRY_EVENT_TYPES.length,
  description: 'Event types to deliver; empty or absent means all.',
});
const ModelNameFilter = Type.String({ minLength: 1, description: 'Only events of this registered model.' });
const Secret = Type.String({
  minLength: 16,
  maxLength: 256,
  description: 'HMAC key; generated (and returned once) when absent.',
});
const Description = Type.String({ maxLength: 5000 });

/** Schema of a webhook (never with its secret). */
export const WebhookSchema = Type.Object(
  {
    id: Type.String(),
    url: Type.String(),
    events: Type.Array(RegistryEventTypeSchema),
    modelName: Type.Optional(Type.String()),
    description: Type.String(),
    active: Type.Boolean(),
    creationTime: Millis(),
    lastUpdatedTime: Millis(),
  },
  { additionalProperties: false },
);

/** Schema of the body POSTed to a webhook. */
export const WebhookPayloadSchema = Type.Object(
  {
    id: Type.String(),
    type: RegistryEventTypeSchema,
    time: Millis(),
    actor: Type.String(),
    data: RegistryEventSchema,
  },
  { additionalProperties: false },
);

/** Schema of one attempt. */
export const WebhookAttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ minimum: 1 }),
    time: Millis(),
    durationMs: Type.Integer({ minimum: 0 }),
    statusCode: Type.Optional(Type.Integer()),
    error: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

/** Schema of a delivery with its attempt log. */
export const WebhookDeliverySchema = Type.Object(
  {
    id: Type.String(),
    webhookId: Type.String(),
    eventSeq: Type.Integer(),
    eventType: RegistryEventTypeSchema,
    event: RegistryEventSchema,
    status: WebhookDeliveryStatusSchema,
    attempts: Type.Integer({ minimum: 0 }),
    nextAttemptAt: Type.Optional(Millis()),
    lastStatusCode: Type.Optional(Type.Integer()),
    lastError: Type.Optional(Type.String()),
    lastAttemptTime: Type.Optional(Millis()),
    creationTime: Millis(),
    attemptLog: Type.Array(WebhookAttemptSchema),
  },
  { additionalProperties: false },
);

/** Path parameters naming a webhook. */
export const WebhookIdParamsSchema = Type.Object({ id: Type.String({ minLength: 1 }) });
/** Path parameters naming a delivery of a webhook. */
export const WebhookDeliveryParamsSchema = Type.Object({
  id: Type.String({ minLength: 1 }),
  deliveryId: Type.String({ minLength: 1 }),
});

/** Body of `POST /webhooks`. */
export const CreateWebhookRequestSchema = Type.Object(
  {
    url: UrlString,
    events: Type.Optional(EventList),
    modelName: Type.Optional(ModelNameFilter),
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean({ description: 'Defaults to true.' })),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
/** Body of `POST /webhooks`. */
export type CreateWebhookRequest = Static<typeof CreateWebhookRequestSchema>;

/** Body of `PATCH /webhooks/:id`; `modelName: null` removes the model filter. */
export const UpdateWebhookRequestSchema = Type.Object(
  {
    url: Type.Optional(UrlString),
    events: Type.Optional(EventList),
    modelName: Type.Optional(Type.Union([ModelNameFilter, Type.Null()])),
    description: Type.Optional(Description),
    active: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
/** Body of `PATCH /webhooks/:id`. */
export type UpdateWebhookRequest = Static<typeof UpdateWebhookRequestSchema>;

const paging = {
  maxResults: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  pageToken: Type.Optional(Type.String({ description: 'The nextPageToken of the previous page.' })),
};

/** Query of `GET /webhooks`. */
export const ListWebhooksQuerySchema = Type.Object(paging, { additionalProperties: false });
/** Query of `GET /webhooks`. */
export type ListWebhooksQuery = Static<typeof ListWebhooksQuerySchema>;

/** Query of `GET /webhooks/:id/deliveries`. */
export const ListDeliveriesQuerySchema = Type.Object(
  { ...paging, status: Type.Optional(WebhookDeliveryStatusSchema) },
  { additionalProperties: false },
);
/** Query of `GET /webhooks/:id/deliveries`. */
export type ListDeliveriesQuery = Static<typeof ListDeliveriesQuerySchema>;

const nextPageToken = Type.Optional(Type.String({ description: 'Present when more results may follow.' }));

/** Response of `POST /webhooks`: the only response that carries the secret. */
export const CreateWebhookResponseSchema = Type.Object(
  { webhook: WebhookSchema, secret: Type.String() },
  { additionalProperties: false },
);
/** Response of `POST /webhooks`. */
export type CreateWebhookResponse = Static<typeof CreateWebhookResponseSchema>;

/** Response carrying one webhook. */
export const WebhookResponseSchema = Type.Object({ webhook: WebhookSchema }, { additionalProperties: false });
/** Response carrying one webhook. */
export type WebhookResponse = Static<typeof WebhookResponseSchema>;

/** Response of `GET /webhooks`. */
export const WebhookListResponseSchema = Type.Object(
  { webhooks: Type.Array(WebhookSchema), nextPageToken },
  { additionalProperties: false },
);
/** Response of `GET /webhooks`. */
export type WebhookListResponse = Static<typeof WebhookListResponseSchema>;

/** Response carrying one delivery. */
export const WebhookDeliveryResponseSchema = Type.Object(
  { delivery: WebhookDeliverySchema },
  { additionalProperties: false },
);
/** Response carrying one delivery. */
export type WebhookDeliveryResponse = Static<typeof WebhookDeliveryResponseSchema>;

/** Response of `GET /webhooks/:id/deliveries`, newest event first. */
export const WebhookDeliveryListResponseSchema = Type.Object(
  { deliveries: Type.Array(WebhookDeliverySchema), nextPageToken },
  { additionalProperties: false },
);
/** Response of `GET /webhooks/:id/deliveries`. */
export type WebhookDeliveryListResponse = Static<typeof WebhookDeliveryListResponseSchema>;

// ---------------------------------------------------------------------------------------------
// Schemas and domain types must agree
// ---------------------------------------------------------------------------------------------

/** True when A and B are mutually assignable. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Compiles only when every entry is true. */
type AssertAll<T extends true[]> = T;

// Fails to compile when the schemas stop describing the domain types; nothing exists at run time.
type _WebhookSchemasMatchDomainTypes = AssertAll<
  [
    Same<Static<typeof WebhookSchema>, Webhook>,
    Same<Static<typeof WebhookAttemptSchema>, WebhookAttempt>,
    Same<Static<typeof WebhookDeliverySchema>, WebhookDelivery>,
    Same<Static<typeof WebhookPayloadSchema>, WebhookPayload>,
  ]
>;
