/**
 * The webhook store port: webhooks, their deliveries with attempt logs, and the fan-out cursor over
 * the registry event log (the outbox). Typed with domain types only; every backend passes the
 * contract suite in test/storage/webhook-store.contract.ts.
 */
import type {
  RegistryEvent,
  RegistryEventType,
  Webhook,
  WebhookDelivery,
  WebhookDeliveryStatus,
} from '@slipway/contracts';
import type { PageRequest } from '../tracking/tracking-store.js';

/** Input for creating a webhook; the service has validated it and chosen the id and secret. */
export interface NewWebhook {
  id: string;
  url: string;
  events: RegistryEventType[];
  modelName?: string;
  description: string;
  active: boolean;
  secret: string;
  now: number;
}

/** Fields of a webhook that can change; `modelName: null` removes the model filter. */
export interface WebhookPatch {
  url?: string;
  events?: RegistryEventType[];
  modelName?: string | null;
  description?: string;
  active?: boolean;
  secret?: string;
}

/** A page of one webhook's deliveries, newest event first. */
export interface DeliveryPageRequest extends PageRequest {
  status?: WebhookDeliveryStatus;
}

/** A delivery claimed for one attempt: the holder of `leaseToken` alone may record its outcome. */
export interface ClaimedDelivery {
  deliveryId: string;
  webhookId: string;
  /** The webhook's URL at claim time (an edited URL applies to the next attempt). */
  url: string;
  event: RegistryEvent;
  /** This attempt's number in the current round, 1-based. */
  attempt: number;
  leaseToken: string;
}

/** What became of a delivery after an attempt. */
export type AttemptOutcome =
  | { status: 'succeeded' }
  | { status: 'pending'; nextAttemptAt: number }
  | { status: 'failed'; deactivateWebhook?: boolean };

/** One finished attempt, reported by the holder of the delivery's lease. */
export interface AttemptRecord {
  deliveryId: string;
  leaseToken: string;
  attempt: number;
  /** When the request was sent (ms since the epoch). */
  time: number;
  durationMs: number;
  statusCode?: number;
  error?: string;
  outcome: AttemptOutcome;
}

/**
 * Persistence for webhooks and their deliveries.
 *
 * Error contract (all errors are `SlipwayError`): NOT_FOUND (details.field = 'id' | 'deliveryId')
 * for a missing webhook or delivery; FAILED_PRECONDITION from resetDelivery on a pending delivery.
 * A promise that resolves means the write is committed and durable.
 */
export interface WebhookStore {
  /** Creates a webhook (ALREADY_EXISTS when the id is taken). */
  createWebhook(input: NewWebhook): Promise<Webhook>;
  /** Returns the webhook (without its secret), or undefined. */
  getWebhook(id: string): Promise<Webhook | undefined>;
  /** The signing secret, or undefined when the webhook does not exist: the only read that returns it. */
  getWebhookSecret(id: string): Promise<string | undefined>;
  /** One page of webhooks, oldest first. */
  listWebhooks(page: PageRequest): Promise<Webhook[]>;
  /** Applies `patch`, stamping `now` as the update time. */
  updateWebhook(id: string, patch: WebhookPatch, now: number): Promise<Webhook>;
  /** Deletes a webhook with its deliveries and their attempt logs. */
  deleteWebhook(id: string): Promise<void>;

  /** Seq of the last registry event fanned out (0 before the first). */
  getFanOutCursor(): Promise<number>;
  /**
   * In one transaction: inserts a pending delivery (due at `now`) for every event past the cursor
   * and every active webhook it matches (type filter, model filter, created no later than the
   * event), then raises the cursor to `cursorSeq`. Events at or below the cursor and deliveries
   * that already exist are skipped, so repeating a call (or racing another process) is harmless.
   * Returns how many deliveries were inserted.
   */
  fanOut(events: readonly RegistryEvent[], cursorSeq: number, now: number): Promise<number>;
  /**
   * Leases up to `limit` pending deliveries of active webhooks due at `now`, oldest due (then
   * oldest event) first: each becomes due again only at `now + leaseMs`, so no concurrent claim (in
   * any process) returns it while the attempt runs, and a crashed attempt is retried once the lease
   * expires.
   */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]>;
  /**
   * Appends the attempt to the log and applies its outcome (a 'failed' outcome may deactivate the
   * webhook), if the lease is still held; returns false (and changes nothing) otherwise.
   */
  recordAttempt(record: AttemptRecord): Promise<boolean>;
  /** Returns a delivery with its attempt log, or undefined. */
  getDelivery(id: string): Promise<WebhookDelivery | undefined>;
  /** One page of a webhook's deliveries with their attempt logs, newest event first. */
  listDeliveries(webhookId: string, page: DeliveryPageRequest): Promise<WebhookDelivery[]>;
  /** Makes a finished delivery pending again, due at `now`, with a fresh attempt budget (its log stays). */
  resetDelivery(id: string, now: number): Promise<WebhookDelivery>;
}

/**
 * The matching rule every backend's fan-out applies: the type filter (empty = all), the model
 * filter, and no events from before the webhook existed (a backlog fanned out late must not reach
 * a webhook created after the fact).
 */
export function webhookMatchesEvent(webhook: Webhook, event: RegistryEvent): boolean {
  if (!webhook.active || event.time < webhook.creationTime) return false;
  if (webhook.events.length > 0 && !webhook.events.includes(event.type)) return false;
  return webhook.modelName === undefined || webhook.modelName === event.modelName;
}
