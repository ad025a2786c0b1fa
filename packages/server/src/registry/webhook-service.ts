/**
 * Webhook use cases: managing subscriptions to registry events (validated input, generated ids and
 * secrets), reading the delivery log, and redelivering. Delivery itself is the dispatcher's job.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  REGISTRY_EVENT_TYPES,
  SlipwayError,
  invalidArgument,
  notFound,
  type RegistryEventType,
  type Webhook,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
} from '@slipway/contracts';
import { decodePageToken } from '../tracking/page-token.js';
import { pageOf, type Page } from '../tracking/tracking-service.js';
import { validateModelName } from './registry-validation.js';
import { validateWebhookUrl } from './webhook-dispatcher.js';
import type { WebhookPatch, WebhookStore } from './webhook-store.js';

const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 5000;
const SECRET = /^[\x21-\x7e]{16,256}$/;
const PAGE = { default: 100, max: 1000 };

/** What the service needs from the outside world. */
export interface WebhookServiceDeps {
  store: WebhookStore;
  /** ms since epoch; injected so tests control time. */
  now?: () => number;
  newId?: () => string;
  newSecret?: () => string;
  /** Called after a redelivery is queued (wakes the dispatcher). */
  onRedeliver?: () => void;
}

/** Input for creating a webhook. */
export interface CreateWebhookInput {
  url: string;
  /** Empty or absent: all event types. */
  events?: RegistryEventType[];
  modelName?: string;
  description?: string;
  active?: boolean;
  /** Generated when absent. */
  secret?: string;
}

/** Fields to change; `modelName: null` removes the model filter. */
export type UpdateWebhookInput = WebhookPatch;

/** A page request. */
export interface ListInput {
  maxResults?: number;
  pageToken?: string;
}

/** A page request over deliveries. */
export interface ListDeliveriesInput extends ListInput {
  status?: WebhookDeliveryStatus;
}

/** A created webhook and its secret: the only time the secret leaves the server. */
export interface CreatedWebhook {
  webhook: Webhook;
  secret: string;
}

/** Webhook use cases. */
export class WebhookService {
  private readonly store: WebhookStore;
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly newSecret: () => string;
  private readonly onRedeliver: () => void;

  constructor(deps: WebhookServiceDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID().replaceAll('-', ''));
    this.newSecret = deps.newSecret ?? (() => `whsec_${randomBytes(32).toString('base64url')}`);
    this.onRedeliver = deps.onRedeliver ?? (() => undefined);
  }

  /** Creates a webhook; returns its secret (generated unless given) this once. */
  async createWebhook(input: CreateWebhookInput): Promise<CreatedWebhook> {
    const secret = input.secret === undefined ? this.newSecret() : validateSecret(input.secret);
    const webhook = await this.store.createWebhook({
      id: this.newId(),
      url: validateUrl(input.url),
      events: validateEvents(input.events ?? []),
      ...(input.modelName === undefined
        ? {}
        : { modelName: validateModelName(input.modelName, 'modelName') }),
      description: validateDescription(input.description ?? ''),
      active: input.active ?? true,
      secret,
      now: this.now(),
    });
    return { webhook, secret };
  }

  /** Returns a webhook; NOT_FOUND if absent. */
  async getWebhook(id: string): Promise<Webhook> {
    const webhook = await this.store.getWebhook(id);
    if (webhook === undefined) throw webhookNotFound(id);
    return webhook;
  }

  /** One page of webhooks, oldest first. */
  async listWebhooks(input: ListInput = {}): Promise<Page<Webhook>> {
    const { offset, limit } = pageRequest(input);
    return pageOf(await this.store.listWebhooks({ offset, limit }), offset, limit);
  }

  /** Changes the given fields (an empty patch changes nothing); NOT_FOUND if absent. */
  async updateWebhook(id: string, input: UpdateWebhookInput): Promise<Webhook> {
    const patch = validatePatch(input);
    if (Object.keys(patch).length === 0) return this.getWebhook(id);
    return this.store.updateWebhook(id, patch, this.now());
  }

  /** Deletes a webhook with its delivery log; NOT_FOUND if absent. */
  async deleteWebhook(id: string): Promise<void> {
    await this.store.deleteWebhook(id);
  }

  /** One page of a webhook's deliveries with their attempts, newest event first. */
  async listDeliveries(webhookId: string, input: ListDeliveriesInput = {}): Promise<Page<WebhookDelivery>> {
    const { offset, limit } = pageRequest(input);
    await this.getWebhook(webhookId);
    const deliveries = await this.store.listDeliveries(webhookId, {
      offset,
      limit,
      ...(input.status === undefined ? {} : { status: input.status }),
    });
    return pageOf(deliveries, offset, limit);
  }

  /** Returns a delivery of the webhook; NOT_FOUND if either is absent. */
  async getDelivery(webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
    await this.getWebhook(webhookId);
    const delivery = await this.store.getDelivery(deliveryId);
    if (delivery?.webhookId !== webhookId) throw deliveryNotFound(webhookId, deliveryId);
    return delivery;
  }

  /**
   * Queues a finished (failed or succeeded) delivery again with a fresh attempt budget.
   * FAILED_PRECONDITION while it is pending or while the webhook is inactive (it would only wait).
   */
  async redeliver(webhookId: string, deliveryId: string): Promise<WebhookDelivery> {
    const webhook = await this.getWebhook(webhookId);
    const delivery = await this.store.getDelivery(deliveryId);
    if (delivery?.webhookId !== webhookId) throw deliveryNotFound(webhookId, deliveryId);
    if (!webhook.active) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Webhook ${webhookId} is inactive; activate it before redelivering.`,
        { field: 'active' },
      );
    }
    const reset = await this.store.resetDelivery(deliveryId, this.now());
    this.onRedeliver();
    return reset;
  }
}

function pageRequest(input: ListInput): { offset: number; limit: number } {
  const limit = input.maxResults ?? PAGE.default;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > PAGE.max) {
    throw invalidArgument('maxResults', `maxResults must be an integer between 1 and ${PAGE.max}.`);
  }
  return { offset: decodePageToken(input.pageToken, 'pageToken'), limit };
}

function validatePatch(input: UpdateWebhookInput): WebhookPatch {
  return {
    ...(input.url === undefined ? {} : { url: validateUrl(input.url) }),
    ...(input.events === undefined ? {} : { events: validateEvents(input.events) }),
    ...(input.modelName === undefined
      ? {}
      : { modelName: input.modelName === null ? null : validateModelName(input.modelName, 'modelName') }),
    ...(input.description === undefined ? {} : { description: validateDescription(input.description) }),
    ...(input.active === undefined ? {} : { active: input.active }),
    ...(input.secret === undefined ? {} : { secret: validateSecret(input.secret) }),
  };
}

function validateUrl(url: string): string {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) {
    throw invalidArgument('url', `A webhook URL must be a string of at most ${MAX_URL_LENGTH} characters.`);
  }
  return validateWebhookUrl(url);
}

/** Deduplicated and sorted, so equal filters compare equal. */
function validateEvents(events: readonly string[]): RegistryEventType[] {
  const known: readonly string[] = REGISTRY_EVENT_TYPES;
  events.forEach((type, i) => {
    if (!known.includes(type)) {
      throw invalidArgument(
        `events[${i}]`,
        `Unknown event type '${type}': expected one of ${REGISTRY_EVENT_TYPES.join(', ')}.`,
      );
    }
  });
  return [...new Set(events as RegistryEventType[])].sort();
}

function validateDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION_LENGTH) {
    throw invalidArgument(
      'description',
      `A description may be at most ${MAX_DESCRIPTION_LENGTH} characters.`,
    );
  }
  return description;
}

function validateSecret(secret: string): string {
  if (!SECRET.test(secret)) {
    throw invalidArgument(
      'secret',
      'A webhook secret must be 16 to 256 printable ASCII characters, no spaces.',
    );
  }
  return secret;
}

function webhookNotFound(id: string): SlipwayError {
  return notFound(`No webhook with id=${id} exists.`, { field: 'id' });
}

function deliveryNotFound(webhookId: string, deliveryId: string): SlipwayError {
  return notFound(`Webhook ${webhookId} has no delivery with id=${deliveryId}.`, { field: 'deliveryId' });
}
