/**
 * The embedded work queue: items are rows of `work_items` in the metadata store (SQLite or
 * PostgreSQL), so in-process workers need nothing else to run. Consumers poll for due items, are
 * woken at once by `enqueue` on the same queue object, and renew each lease every `leaseMs / 3`
 * while its handler runs. Two processes on one database share the queue safely: a claim is a
 * conditional UPDATE under a fresh lease token (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite has a
 * single writer), and a lease nobody renews lapses and is claimed again by whoever polls next.
 */
import { SlipwayError } from '@slipway/contracts';
import {
  retryDelayAfter,
  type ConsumeOptions,
  type DeliveryPolicy,
  type WorkConsumer,
  type WorkHandler,
  type WorkItem,
  type WorkQueue,
} from '../../jobs/work-queue.js';
import type { SqlBackend } from '../sql/sql-backend.js';
import { checkConsumeOptions, checkDeliveryPolicy, errorMessage } from './delivery-checks.js';
import { SqlWorkItems, type ClaimedItem } from './sql-work-items.js';

/** Source of time and timers; tests substitute one they move by hand. */
export interface QueueClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** The wall clock and Node's timers. */
export const systemClock: QueueClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Default queue name in `work_items`. */
export const DEFAULT_QUEUE = 'jobs';

/** Default time between polls of an idle consumer (ms). */
export const DEFAULT_POLL_INTERVAL_MS = 200;

/** Options of the embedded queue. */
export interface SqlWorkQueueOptions {
  /** Queue name; queues with different names share the table, never items (default `jobs`). */
  queue?: string;
  pollIntervalMs?: number;
  clock?: QueueClock;
  /** Values in [0, 1) for the jitter of backed-off retries (default Math.random). */
  random?: () => number;
  /**
   * Told when a claim, renewal or settlement fails in the database or `onDead` throws. Nothing is
   * lost either way: the lease lapses and the item is claimed again. Logs to stderr by default.
   */
  onError?: (error: unknown) => void;
}

/** The work queue on the metadata store's SQL backend. `close()` leaves the backend open: the store owns it. */
export class SqlWorkQueue implements WorkQueue {
  private readonly items: SqlWorkItems;
  private readonly settings: QueueSettings;
  private readonly consumers = new Set<SqlConsumer>();
  private closed = false;

  constructor(backend: SqlBackend, options: SqlWorkQueueOptions = {}) {
    this.items = new SqlWorkItems(backend, options.queue ?? DEFAULT_QUEUE);
    this.settings = {
      clock: options.clock ?? systemClock,
      pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
      random: options.random ?? Math.random,
      onError: options.onError ?? ((error: unknown) => console.error('work queue operation failed', error)),
    };
  }

  /** See the port; wakes this object's consumers once the items are committed. */
  async enqueue(items: readonly WorkItem[], policy: DeliveryPolicy): Promise<void> {
    this.checkOpen();
    checkDeliveryPolicy(policy);
    if (items.length === 0) return;
    await this.items.insert(items, policy, this.settings.clock.now());
    for (const consumer of this.consumers) consumer.wake();
  }

  /** See the port. */
  async consume(handler: WorkHandler, options: ConsumeOptions): Promise<WorkConsumer> {
    this.checkOpen();
    checkConsumeOptions(options);
    const consumer = new SqlConsumer(this.items, handler, options, this.settings);
    this.consumers.add(consumer);
    consumer.wake();
    return {
      stop: async () => {
        await consumer.stop();
        this.consumers.delete(consumer);
      },
    };
  }

  /** Stops every consumer; the backend stays open. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    this.consumers.clear();
  }

  private checkOpen(): void {
    if (this.closed) throw new SlipwayError('FAILED_PRECONDITION', 'The work queue is closed.');
  }
}

interface QueueSettings {
  clock: QueueClock;
  pollIntervalMs: number;
  random: () => number;
  onError: (error: unknown) => void;
}

/** One consumer: a poll loop that keeps up to `concurrency` deliveries running. */
class SqlConsumer {
  private readonly inFlight = new Set<Promise<void>>();
  private pollTimer: unknown;
  private polling: Promise<void> | undefined;
  /** A wake arrived while a poll was running: poll again right after it. */
  private pollAgain = false;
  private stopped = false;

  constructor(
    private readonly items: SqlWorkItems,
    private readonly handler: WorkHandler,
    private readonly options: ConsumeOptions,
    private readonly settings: QueueSettings,
  ) {}

  /** Polls now (or right after the poll under way). */
  wake(): void {
    if (this.stopped) return;
    if (this.polling !== undefined) {
      this.pollAgain = true;
      return;
    }
    this.settings.clock.clearTimeout(this.pollTimer);
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
      if (this.stopped) return;
      if (this.pollAgain) {
        this.pollAgain = false;
        this.wake();
      } else {
        this.pollTimer = this.settings.clock.setTimeout(() => this.wake(), this.settings.pollIntervalMs);
      }
    });
  }

  /** Stops polling, then waits for the deliveries in flight (including any the last poll took). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.settings.clock.clearTimeout(this.pollTimer);
    await this.polling;
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private async poll(): Promise<void> {
    const free = this.options.concurrency - this.inFlight.size;
    if (free <= 0) return;
    let claimed: ClaimedItem[];
    try {
      claimed = await this.items.claim(this.settings.clock.now(), free, this.options.workerId);
    } catch (err) {
      this.settings.onError(err);
      return;
    }
    for (const item of claimed) {
      const settled = this.settle(item).finally(() => {
        this.inFlight.delete(settled);
        this.wake();
      });
      this.inFlight.add(settled);
    }
  }

  /** Runs one claimed item to its end while renewing its lease; never rejects. */
  private async settle(claimed: ClaimedItem): Promise<void> {
    const stopRenewing = this.keepLease(claimed);
    try {
      if (claimed.dying) {
        await this.reportDead(claimed, claimed.lastError ?? 'Out of attempts.');
        return;
      }
      const outcome = await this.run(claimed);
      if (outcome.ok) await this.items.acknowledge(claimed);
      else await this.fail(claimed, outcome.error);
    } catch (err) {
      this.settings.onError(err);
    } finally {
      stopRenewing();
    }
  }

  private async run(claimed: ClaimedItem): Promise<{ ok: true } | { ok: false; error: string }> {
    try {
      await this.handler({
        item: claimed.item,
        attempt: claimed.attempt,
        maxAttempts: claimed.maxAttempts,
        workerId: this.options.workerId,
      });
      return { ok: true };
    } catch (err) {
      return { ok: false, error: errorMessage(err) };
    }
  }

  private async fail(claimed: ClaimedItem, error: string): Promise<void> {
    const now = this.settings.clock.now();
    if (claimed.attempt < claimed.maxAttempts) {
      const delay = retryDelayAfter(claimed.retry, claimed.attempt, this.settings.random);
      await this.items.retryLater(claimed, now, delay, error);
      return;
    }
    if (await this.items.markDying(claimed, error)) await this.reportDead(claimed, error);
  }

  /** Tells `onDead` first and buries after: a crash in between makes the next claimer tell it again. */
  private async reportDead(claimed: ClaimedItem, error: string): Promise<void> {
    await this.options.onDead(claimed.item, error);
    await this.items.bury(claimed);
  }

  /** Renews the lease every `leaseMs / 3` until the returned function is called or it is lost. */
  private keepLease(claimed: ClaimedItem): () => void {
    const { clock, onError } = this.settings;
    const interval = Math.max(1, Math.floor(claimed.leaseMs / 3));
    let released = false;
    let timer: unknown;
    const renew = async (): Promise<void> => {
      let held = true;
      try {
        held = await this.items.renew(claimed, clock.now());
      } catch (err) {
        onError(err);
      }
      // A lost lease means another consumer has the item now; the job store's fencing keeps this
      // handler from committing over it, so it is left to finish.
      if (held && !released) timer = clock.setTimeout(() => void renew(), interval);
    };
    timer = clock.setTimeout(() => void renew(), interval);
    return () => {
      released = true;
      clock.clearTimeout(timer);
    };
  }
}
