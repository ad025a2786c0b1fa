/**
 * The work queue port: delivers work items to workers with leases, heartbeats and retries. The
 * job store (job-store.ts) says what a job is; the queue only says who works on which item now.
 * Backends: the embedded SQL queue (SQLite or PostgreSQL metadata store, in-process workers), and
 * scale-out queues on PostgreSQL (pg-boss) and Redis (BullMQ) for `slipway worker` processes.
 * Every backend passes the contract suite in test/jobs/work-queue.contract.ts.
 *
 * Delivery is at least once: an item is redelivered when its handler throws (until its attempts
 * are used up) and when its lease lapses because the worker stopped heartbeating (it died).
 */
import type { JobKind } from '@slipway/contracts';

/** One unit of work: a partition of a job, or the job's final step once every partition is done. */
export interface WorkItem {
  jobId: string;
  kind: JobKind;
  step: 'partition' | 'finalize';
  /** Partition index (0 for `finalize`). */
  partition: number;
}

/** How an item is retried and leased. */
export interface DeliveryPolicy {
  /** Deliveries an item gets in all (first one included) before it is dead. */
  maxAttempts: number;
  /** Delay before a failed item is delivered again (ms); the first retry's when backing off. */
  retryDelayMs: number;
  /**
   * Set: exponential backoff. The delay after attempt n is about `retryDelayMs · 2^(n−1)`, capped at
   * this (ms) and jittered (see `retryDelayAfter`). Absent: every retry waits `retryDelayMs`.
   */
  maxRetryDelayMs?: number;
  /** How long a delivery holds its item without a heartbeat before it is redelivered (ms). */
  leaseMs: number;
}

/** One delivery of an item to a handler. */
export interface Delivery {
  item: WorkItem;
  /** 1-based number of this delivery of the item. */
  attempt: number;
  maxAttempts: number;
  /** The worker this delivery went to. */
  workerId: string;
}

/**
 * Called with each delivery; resolving acknowledges the item, throwing fails this attempt. A
 * handler is not interrupted when its lease is lost (e.g. its process stalled past `leaseMs`): it
 * may still be running while another consumer has the item, which the job store's fencing makes
 * harmless.
 */
export type WorkHandler = (delivery: Delivery) => Promise<void>;

/**
 * Told about an item whose attempts are used up (or whose last lease lapsed) with the last error.
 * At least once, like deliveries: if the process dies before it returns (or it throws), another
 * consumer calls it again, so it must be idempotent.
 */
export type DeadItemHandler = (item: WorkItem, error: string) => Promise<void>;

/** Options of a consumer. */
export interface ConsumeOptions {
  /** Most deliveries this consumer runs at once. */
  concurrency: number;
  /** Names this consumer in leases (host:pid:n by default in the CLI). */
  workerId: string;
  onDead: DeadItemHandler;
}

/** A running consumer. */
export interface WorkConsumer {
  /** Stops taking items and waits for the deliveries in flight to settle. */
  stop(): Promise<void>;
}

/** A queue of work items. */
export interface WorkQueue {
  /** Adds items; each is delivered to one consumer at a time under `policy`. */
  enqueue(items: readonly WorkItem[], policy: DeliveryPolicy): Promise<void>;
  /**
   * Starts delivering items to `handler`. While a handler runs, the queue keeps its lease alive
   * by heartbeat on its own; a process that dies stops heartbeating and its items are
   * redelivered to other consumers after `leaseMs`.
   */
  consume(handler: WorkHandler, options: ConsumeOptions): Promise<WorkConsumer>;
  /**
   * Stops every consumer of this queue object (waiting for their handlers) and releases the
   * connections the queue opened itself; the embedded SQL queue leaves the metadata store open.
   */
  close(): Promise<void>;
}

/**
 * The delay before the retry after attempt `attempt` (1-based) failed. With backoff the bound
 * doubles per attempt, `min(maxRetryDelayMs, retryDelayMs · 2^(attempt−1))`, and the delay is drawn
 * from its upper half ("equal jitter", as pg-boss does): items that failed together, say during a
 * receiver outage, come back spread out, yet never sooner than half the bound. `random` is in [0, 1).
 */
export function retryDelayAfter(
  policy: Pick<DeliveryPolicy, 'retryDelayMs' | 'maxRetryDelayMs'>,
  attempt: number,
  random: () => number,
): number {
  if (policy.maxRetryDelayMs === undefined) return policy.retryDelayMs;
  // The exponent is capped so 2^n stays finite long after the cap has taken over.
  const bound = Math.min(policy.maxRetryDelayMs, policy.retryDelayMs * 2 ** Math.min(attempt - 1, 52));
  return Math.floor(bound / 2 + (bound / 2) * random());
}
