/**
 * Delivers registry events to webhooks. The registry event log is the outbox: each tick fans new
 * events out into delivery rows (advancing a cursor), then claims due deliveries under a lease and
 * POSTs them, signed. Every step is idempotent or leased, so several processes can run
 * dispatchers on one database and a crash anywhere only delays delivery: at-least-once.
 */
import { performance } from 'node:perf_hooks';
import {
  WEBHOOK_DELIVERY_HEADER,
  WEBHOOK_EVENT_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  invalidArgument,
  type RegistryEvent,
  type WebhookPayload,
} from '@slipway/contracts';
import type { RegistryStore } from './registry-store.js';
import {
  DEFAULT_RETRY_POLICY,
  nextAttemptDelay,
  signWebhookPayload,
  type WebhookRetryPolicy,
} from './webhook-signing.js';
import type { AttemptOutcome, ClaimedDelivery, WebhookStore } from './webhook-store.js';

/** The fetch the dispatcher POSTs with (injected in tests). */
export type WebhookFetch = (url: string, init: RequestInit) => Promise<Response>;

/** What the dispatcher needs. */
export interface WebhookDispatcherDeps {
  registryEvents: Pick<RegistryStore, 'listEvents'>;
  webhooks: WebhookStore;
  /** Defaults to the global fetch. */
  fetch?: WebhookFetch;
  /** ms since epoch; injected so tests control time. */
  now?: () => number;
  /** Values in [0, 1) for retry jitter. */
  random?: () => number;
  policy?: Partial<WebhookRetryPolicy>;
  /** Deliveries claimed (and sent in parallel) per tick. */
  maxConcurrentDeliveries?: number;
  /** Events read per fan-out step. */
  fanOutBatchSize?: number;
  /**
   * How long a gap in the event seqs may stay open before fan-out moves past it. On PostgreSQL a
   * transaction can commit seq 11 before seq 10 commits; fanning out 11 and moving the cursor on
   * would lose 10 forever. Gaps that never fill come from rolled-back transactions.
   */
  gapGraceMs?: number;
  /** How long notify() waits for further writes before ticking. */
  notifyDebounceMs?: number;
  /** Called with the error of a failed timer tick (the loop keeps running). */
  onError?: (error: unknown) => void;
}

/** What one tick did. */
export interface TickResult {
  /** Deliveries created by fan-out. */
  fannedOut: number;
  /** Requests sent. */
  attempted: number;
  succeeded: number;
  /** Failed attempts that will be retried. */
  retrying: number;
  /** Deliveries given up on. */
  failed: number;
  /** True when work may be left over (a full batch): the timer loop ticks again at once. */
  more: boolean;
}

/** Default pause between timer ticks. */
export const DEFAULT_TICK_INTERVAL_MS = 1_000;

/** Time a claim has to finish beyond the request timeout (secret lookup, recording the attempt). */
const LEASE_MARGIN_MS = 30_000;

/** Fan-out steps per tick at most, so a huge backlog cannot starve deliveries. */
const MAX_FAN_OUT_STEPS = 20;

const USER_AGENT = 'Slipway-Webhooks/1';

type PostResult = { statusCode: number } | { error: string };

/**
 * Rejects anything but an absolute http(s) URL without credentials (fetch refuses credentials in
 * URLs) or fragment; returns the URL unchanged.
 */
export function validateWebhookUrl(url: string, field = 'url'): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalidArgument(field, `Invalid webhook URL '${url}': not an absolute URL.`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalidArgument(field, `Invalid webhook URL '${url}': only http and https URLs are supported.`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw invalidArgument(field, `Invalid webhook URL '${url}': credentials in the URL are not supported.`);
  }
  if (parsed.hash !== '') throw invalidArgument(field, `Invalid webhook URL '${url}': remove the fragment.`);
  return url;
}

/** Fans registry events out to webhooks and delivers them, on demand (tick) or on a timer. */
export class WebhookDispatcher {
  private readonly registryEvents: Pick<RegistryStore, 'listEvents'>;
  private readonly webhooks: WebhookStore;
  private readonly fetch: WebhookFetch;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly policy: WebhookRetryPolicy;
  private readonly concurrency: number;
  private readonly fanOutBatchSize: number;
  private readonly gapGraceMs: number;
  private readonly debounceMs: number;
  private readonly onError: (error: unknown) => void;

  /** First time each still-open seq gap (keyed by its first missing seq) was seen. */
  private readonly gapsSeen = new Map<number, number>();
  /** The last tick started, settled or not: ticks run one after another. */
  private tail: Promise<unknown> = Promise.resolve();
  private started = false;
  private intervalMs = DEFAULT_TICK_INTERVAL_MS;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private loopTick: Promise<void> | undefined;
  private rerun = false;

  constructor(deps: WebhookDispatcherDeps) {
    this.registryEvents = deps.registryEvents;
    this.webhooks = deps.webhooks;
    this.fetch = deps.fetch ?? ((url, init) => fetch(url, init));
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.policy = { ...DEFAULT_RETRY_POLICY, ...deps.policy };
    this.concurrency = deps.maxConcurrentDeliveries ?? 8;
    this.fanOutBatchSize = deps.fanOutBatchSize ?? 500;
    this.gapGraceMs = deps.gapGraceMs ?? 30_000;
    this.debounceMs = deps.notifyDebounceMs ?? 50;
    this.onError =
      deps.onError ??
      ((error: unknown) => {
        console.error('webhook dispatcher tick failed', error);
      });
  }

  /** One pass: fan out new events, then attempt the due deliveries. Calls never overlap. */
  tick(): Promise<TickResult> {
    const run = this.tail.then(() => this.pass());
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Starts ticking every `intervalMs` (sooner after notify() or while a backlog lasts). */
  start(intervalMs = DEFAULT_TICK_INTERVAL_MS): void {
    if (this.started) return;
    this.started = true;
    this.intervalMs = intervalMs;
    this.wake(0);
  }

  /** Stops the timer and waits for the tick in flight, if any. */
  async stop(): Promise<void> {
    this.started = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.loopTick;
    await this.tail;
  }

  /** Asks for a tick soon (after a registry write); bursts of calls yield one tick. No-op unless started. */
  notify(): void {
    if (!this.started) return;
    if (this.loopTick !== undefined) this.rerun = true;
    else this.wake(this.debounceMs);
  }

  // ---- timer loop -----------------------------------------------------------------------------

  /** Schedules the next loop tick in `delayMs`, unless one is already due sooner. */
  private wake(delayMs: number): void {
    const due = performance.now() + delayMs;
    if (this.timer !== undefined && this.timerDue <= due) return;
    clearTimeout(this.timer);
    this.timerDue = due;
    // Unref'd: a pending webhook tick must not keep a finished process alive.
    this.timer = setTimeout(() => this.runLoopTick(), delayMs).unref();
  }

  private runLoopTick(): void {
    this.timer = undefined;
    this.loopTick = this.tick().then(
      (result) => this.afterLoopTick(result.more),
      (error: unknown) => {
        this.onError(error);
        this.afterLoopTick(false);
      },
    );
  }

  private afterLoopTick(more: boolean): void {
    this.loopTick = undefined;
    const again = more || this.rerun;
    this.rerun = false;
    if (this.started) this.wake(again ? 0 : this.intervalMs);
  }

  // ---- one pass -------------------------------------------------------------------------------

  private async pass(): Promise<TickResult> {
    const fanOut = await this.fanOutNewEvents();
    const claims = await this.webhooks.claimDueDeliveries(this.now(), this.concurrency, this.leaseMs());
    const secrets = new Map<string, Promise<string | undefined>>();
    const settled = await Promise.allSettled(claims.map((claim) => this.attempt(claim, secrets)));
    const result: TickResult = {
      fannedOut: fanOut.inserted,
      attempted: 0,
      succeeded: 0,
      retrying: 0,
      failed: 0,
      more: fanOut.more || claims.length === this.concurrency,
    };
    for (const outcome of settled) {
      if (outcome.status === 'rejected') throw outcome.reason;
      if (outcome.value === undefined) continue;
      result.attempted++;
      if (outcome.value === 'succeeded') result.succeeded++;
      else if (outcome.value === 'pending') result.retrying++;
      else result.failed++;
    }
    return result;
  }

  /** A claim must outlive the request it covers, or another process could send it again meanwhile. */
  private leaseMs(): number {
    return this.policy.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Fans out the events past the cursor, stopping at a gap that may still fill (see gapGraceMs). */
  private async fanOutNewEvents(): Promise<{ inserted: number; more: boolean }> {
    let inserted = 0;
    for (let step = 0; step < MAX_FAN_OUT_STEPS; step++) {
      const cursor = await this.webhooks.getFanOutCursor();
      const events = await this.registryEvents.listEvents({ afterSeq: cursor, limit: this.fanOutBatchSize });
      const ready = this.readyEvents(events, cursor);
      const last = ready.at(-1);
      if (last === undefined) return { inserted, more: false };
      inserted += await this.webhooks.fanOut(ready, last.seq, this.now());
      if (ready.length < this.fanOutBatchSize) return { inserted, more: false };
    }
    return { inserted, more: true };
  }

  /** The leading events with no open gap before them. */
  private readyEvents(events: readonly RegistryEvent[], cursor: number): RegistryEvent[] {
    for (const seq of this.gapsSeen.keys()) if (seq <= cursor) this.gapsSeen.delete(seq);
    const ready: RegistryEvent[] = [];
    let expected = cursor + 1;
    for (const event of events) {
      if (event.seq !== expected && !this.gapExpired(expected)) break;
      ready.push(event);
      expected = event.seq + 1;
    }
    return ready;
  }

  private gapExpired(missingSeq: number): boolean {
    const now = this.now();
    const since = this.gapsSeen.get(missingSeq);
    if (since === undefined) this.gapsSeen.set(missingSeq, now);
    return since !== undefined && now - since >= this.gapGraceMs;
  }

  // ---- one attempt ----------------------------------------------------------------------------

  /** Sends one claimed delivery and records the attempt; undefined when its webhook was deleted meanwhile. */
  private async attempt(
    claim: ClaimedDelivery,
    secrets: Map<string, Promise<string | undefined>>,
  ): Promise<AttemptOutcome['status'] | undefined> {
    let secret = secrets.get(claim.webhookId);
    if (secret === undefined) {
      secret = this.webhooks.getWebhookSecret(claim.webhookId);
      secrets.set(claim.webhookId, secret);
    }
    const key = await secret;
    if (key === undefined) return undefined;
    const time = this.now();
    const started = performance.now();
    const result = await this.post(claim, key, time);
    const durationMs = performance.now() - started;
    const outcome = this.outcomeOf(claim.attempt, result);
    await this.webhooks.recordAttempt({
      deliveryId: claim.deliveryId,
      leaseToken: claim.leaseToken,
      attempt: claim.attempt,
      time,
      durationMs,
      ...result,
      outcome,
    });
    return outcome.status;
  }

  /** POSTs the signed payload; never throws (failures become `error`). */
  private async post(claim: ClaimedDelivery, secret: string, time: number): Promise<PostResult> {
    try {
      validateWebhookUrl(claim.url);
    } catch (error) {
      return { error: (error as Error).message };
    }
    const body = JSON.stringify(payloadOf(claim.deliveryId, claim.event));
    try {
      const response = await this.fetch(claim.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          [WEBHOOK_EVENT_HEADER]: claim.event.type,
          [WEBHOOK_DELIVERY_HEADER]: claim.deliveryId,
          [WEBHOOK_SIGNATURE_HEADER]: signWebhookPayload(secret, body, time),
        },
        body,
        // A redirect is a misconfigured endpoint, not a delivery: following it would re-POST elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.policy.timeoutMs),
      });
      // The response body is not used; cancelling it frees the connection.
      await response.body?.cancel().catch(() => undefined);
      return { statusCode: response.status };
    } catch (error) {
      return { error: this.describeFailure(error) };
    }
  }

  /** 2xx succeeds; 410 Gone fails for good and deactivates the webhook; anything else is retried. */
  private outcomeOf(attempt: number, result: PostResult): AttemptOutcome {
    if ('statusCode' in result && result.statusCode >= 200 && result.statusCode < 300) {
      return { status: 'succeeded' };
    }
    if ('statusCode' in result && result.statusCode === 410) {
      return { status: 'failed', deactivateWebhook: true };
    }
    const delay = nextAttemptDelay(attempt, this.policy, this.random);
    return delay === undefined
      ? { status: 'failed' }
      : { status: 'pending', nextAttemptAt: this.now() + delay };
  }

  /** "timed out after 10000 ms", or fetch's message with its cause ("fetch failed: connect ECONNREFUSED ..."). */
  private describeFailure(error: unknown): string {
    if (!(error instanceof Error)) return String(error);
    if (error.name === 'TimeoutError' || error.name === 'AbortError') {
      return `timed out after ${this.policy.timeoutMs} ms`;
    }
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
}

/** The body receivers get: the delivery id (stable across retries) plus the event. */
function payloadOf(deliveryId: string, event: RegistryEvent): WebhookPayload {
  return { id: deliveryId, type: event.type, time: event.time, actor: event.actor, data: event };
}
