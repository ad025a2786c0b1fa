/**
 * The bounded in-memory queue between the serving path and a `PredictionSink`. The serving path
 * calls `offer`, which never awaits and never throws; a background flusher writes what is pending
 * to the sink in batches, one write at a time.
 *
 * Policy when full: drop with a counter. An offer is taken whole or refused whole: when its
 * records do not all fit in the remaining capacity, none are queued, `dropped` grows by their
 * number and `offer` returns false. Records are never lost silently: every offered record ends up
 * counted exactly once in `written` or `dropped` (or is still `pending`).
 *
 * Flushing: a write starts as soon as `batchSize` records are pending, and otherwise
 * `flushIntervalMs` after the oldest unflushed record arrived (then everything pending at that
 * moment is written, in batches of at most `batchSize`). A failed write keeps its records at the
 * head of the queue and is retried with exponential backoff, so order is preserved; while it
 * retries new records keep queuing up to capacity (and then drop). `pending` counts the batch
 * being written, so capacity bounds memory including it.
 */
import type { PredictionRecord } from '@slipway/contracts';
import type { PredictionSink } from './prediction-sink.js';

/** Default most records held (pending, including the batch being written). */
export const PREDICTION_QUEUE_DEFAULT_CAPACITY = 100_000;
/** Default most records per sink write; this many pending start a write at once. */
export const PREDICTION_QUEUE_DEFAULT_BATCH_SIZE = 5_000;
/** Default longest a record waits before a write is started for it. */
export const PREDICTION_QUEUE_DEFAULT_FLUSH_INTERVAL_MS = 1_000;
/** Default first retry delay after a failed write; it doubles per consecutive failure. */
export const PREDICTION_QUEUE_DEFAULT_RETRY_BASE_MS = 500;
/** Default longest retry delay. */
export const PREDICTION_QUEUE_DEFAULT_RETRY_MAX_MS = 30_000;
/** Default longest `close()` waits for pending records before counting the rest as dropped. */
export const PREDICTION_QUEUE_DEFAULT_CLOSE_TIMEOUT_MS = 10_000;

/** The timer functions the queue uses; injectable so tests control time. */
export interface QueueTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Options of `PredictionQueue`; every one has a default. */
export interface PredictionQueueOptions {
  capacity?: number;
  batchSize?: number;
  flushIntervalMs?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  closeTimeoutMs?: number;
  /** Timers to schedule flushes and retries with; the global ones unless given. */
  timers?: QueueTimers;
  /** Told about every failed sink write (for logging); must not throw, and is ignored if it does. */
  onWriteError?: (error: unknown, failures: number) => void;
}

/** Counters of a queue; `lastError` is the message of the most recent failed write, if any. */
export interface PredictionQueueStats {
  /** Records queued and not yet written, including the batch being written. */
  pending: number;
  /** Records refused (queue full or closed) or given up on at close. */
  dropped: number;
  /** Records the sink has durably stored. */
  written: number;
  /** Sink writes that failed (each retried, except after close gave up). */
  failedWrites: number;
  /** True while the oldest pending batch has failed and not yet been written (a broken or full store). */
  failing: boolean;
  lastError?: string;
}

const GLOBAL_TIMERS: QueueTimers = {
  setTimeout: (callback, ms) => {
    const handle = setTimeout(callback, ms);
    // Background flushing alone must not keep the process alive; close() is the orderly way out.
    handle.unref();
    return handle;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface Waiter {
  /** Resolved once this many records have left the queue (written or dropped). */
  target: number;
  resolve: () => void;
}

/** A bounded queue of predictions that writes them to a sink in the background. */
export class PredictionQueue {
  private readonly capacity: number;
  private readonly batchSize: number;
  private readonly flushIntervalMs: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly closeTimeoutMs: number;
  private readonly timers: QueueTimers;
  private readonly onWriteError: ((error: unknown, failures: number) => void) | undefined;

  /** Pending records are `buffer[head..]`; the head is compacted away now and then. */
  private buffer: PredictionRecord[] = [];
  private head = 0;
  /** Records ever queued, and records ever removed from the head (written or dropped). */
  private enqueued = 0;
  private removed = 0;
  /** Write everything queued before this count, even below `batchSize` (set by the interval, flush and close). */
  private drainUntil = 0;

  private dropped = 0;
  private written = 0;
  private failedWrites = 0;
  private lastError: string | undefined;
  /** Consecutive failures of the head batch, for the backoff. */
  private failures = 0;

  /** Size of the write under way, 0 when none. */
  private inFlight = 0;
  private intervalTimer: unknown;
  private retryTimer: unknown;
  private waiters: Waiter[] = [];
  private closing: Promise<void> | undefined;
  /** Set when close() gave up: nothing more is written or retried. */
  private abandoned = false;

  constructor(
    private readonly sink: PredictionSink,
    options: PredictionQueueOptions = {},
  ) {
    this.capacity = positive('capacity', options.capacity ?? PREDICTION_QUEUE_DEFAULT_CAPACITY);
    this.batchSize = positive('batchSize', options.batchSize ?? PREDICTION_QUEUE_DEFAULT_BATCH_SIZE);
    this.flushIntervalMs = nonNegative(
      'flushIntervalMs',
      options.flushIntervalMs ?? PREDICTION_QUEUE_DEFAULT_FLUSH_INTERVAL_MS,
    );
    this.retryBaseMs = nonNegative(
      'retryBaseMs',
      options.retryBaseMs ?? PREDICTION_QUEUE_DEFAULT_RETRY_BASE_MS,
    );
    this.retryMaxMs = nonNegative('retryMaxMs', options.retryMaxMs ?? PREDICTION_QUEUE_DEFAULT_RETRY_MAX_MS);
    this.closeTimeoutMs = nonNegative(
      'closeTimeoutMs',
      options.closeTimeoutMs ?? PREDICTION_QUEUE_DEFAULT_CLOSE_TIMEOUT_MS,
    );
    this.timers = options.timers ?? GLOBAL_TIMERS;
    this.onWriteError = options.onWriteError;
  }

  /** Queues `records` if they all fit and the queue is open; otherwise counts them dropped. Never throws. */
  offer(records: readonly PredictionRecord[]): boolean {
    const count = records.length;
    if (this.closing !== undefined || this.pendingCount() + count > this.capacity) {
      this.dropped += count;
      return false;
    }
    if (count === 0) return true;
    for (const record of records) this.buffer.push(record);
    this.enqueued += count;
    if (this.pendingCount() >= this.batchSize) this.pump();
    this.armInterval();
    return true;
  }

  /** A snapshot of the counters. */
  stats(): PredictionQueueStats {
    const stats: PredictionQueueStats = {
      pending: this.pendingCount(),
      dropped: this.dropped,
      written: this.written,
      failedWrites: this.failedWrites,
      failing: this.failures > 0,
    };
    if (this.lastError !== undefined) stats.lastError = this.lastError;
    return stats;
  }

  /**
   * Resolves once every record pending now has left the queue: written, or dropped because
   * close() gave up. A failing sink keeps it waiting while retries back off.
   */
  flush(): Promise<void> {
    const target = this.enqueued;
    if (this.removed >= target) return Promise.resolve();
    this.drainUntil = Math.max(this.drainUntil, target);
    const done = new Promise<void>((resolve) => this.waiters.push({ target, resolve }));
    this.pump();
    return done;
  }

  /**
   * Refuses further offers, writes what is pending (waiting at most `closeTimeoutMs`, after which
   * the rest is counted dropped) and closes the sink. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    let deadline: unknown;
    const timedOut = new Promise<void>((resolve) => {
      deadline = this.timers.setTimeout(resolve, this.closeTimeoutMs);
    });
    // By the time any other code runs, close() has set `closing`, so offers are refused.
    const drained = this.flush();
    await Promise.race([drained, timedOut]);
    this.timers.clearTimeout(deadline);
    if (this.pendingCount() > 0) this.abandon();
    this.clearInterval();
    await this.sink.close();
  }

  /** Gives up on everything not being written right now; the write under way is accounted when it settles. */
  private abandon(): void {
    this.abandoned = true;
    if (this.retryTimer !== undefined) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    const rest = this.pendingCount() - this.inFlight;
    this.buffer.length = this.head + this.inFlight;
    this.removed += rest;
    this.dropped += rest;
    this.resolveWaiters();
  }

  private pendingCount(): number {
    return this.buffer.length - this.head;
  }

  /** Starts a write when none is under way, no retry is waiting and there is a reason to write. */
  private pump(): void {
    if (this.inFlight > 0 || this.retryTimer !== undefined || this.abandoned) return;
    const pending = this.pendingCount();
    if (pending === 0) return;
    if (pending < this.batchSize && this.removed >= this.drainUntil) return;
    const size = Math.min(pending, this.batchSize);
    const batch = this.buffer.slice(this.head, this.head + size);
    this.inFlight = size;
    let write: Promise<void>;
    try {
      write = this.sink.write(batch);
    } catch (error) {
      write = Promise.reject(error);
    }
    write.then(
      () => this.succeeded(size),
      (error: unknown) => this.failed(size, error),
    );
  }

  private succeeded(size: number): void {
    this.inFlight = 0;
    this.failures = 0;
    this.written += size;
    this.removeHead(size);
    this.afterWrite();
  }

  private failed(size: number, error: unknown): void {
    this.inFlight = 0;
    this.failedWrites += 1;
    this.failures += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
    try {
      this.onWriteError?.(error, this.failures);
    } catch {
      // A logging hook must not break the flusher.
    }
    if (this.abandoned) {
      // close() gave up while this write was under way: it is the last attempt.
      this.dropped += size;
      this.removeHead(size);
      return;
    }
    const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** (this.failures - 1));
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = undefined;
      // Retry the head now, whatever its size: it was already due.
      this.drainUntil = Math.max(this.drainUntil, this.removed + 1);
      this.pump();
    }, delay);
  }

  private afterWrite(): void {
    this.pump();
    if (this.inFlight === 0) this.armInterval();
  }

  private removeHead(size: number): void {
    this.head += size;
    this.removed += size;
    if (this.head === this.buffer.length) {
      this.buffer = [];
      this.head = 0;
    } else if (this.head > 1024 && this.head * 2 > this.buffer.length) {
      this.buffer = this.buffer.slice(this.head);
      this.head = 0;
    }
    this.resolveWaiters();
  }

  private resolveWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const waiter of this.waiters) {
      if (this.removed >= waiter.target) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** Schedules the interval flush for records that are waiting below `batchSize`. */
  private armInterval(): void {
    if (this.intervalTimer !== undefined || this.abandoned || this.pendingCount() === 0) return;
    this.intervalTimer = this.timers.setTimeout(() => {
      this.intervalTimer = undefined;
      this.drainUntil = Math.max(this.drainUntil, this.enqueued);
      this.pump();
    }, this.flushIntervalMs);
  }

  private clearInterval(): void {
    if (this.intervalTimer === undefined) return;
    this.timers.clearTimeout(this.intervalTimer);
    this.intervalTimer = undefined;
  }
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name} must be a non-negative number`);
  return value;
}

/** What the serving path needs of a prediction log: a queue, or nothing at all when logging is off. */
export type PredictionLog = Pick<PredictionQueue, 'offer' | 'stats' | 'flush' | 'close'>;

/** The log of a process started with `--prediction-log off`: accepts and forgets (benchmarks only). */
export const DISABLED_PREDICTION_LOG: PredictionLog = {
  offer: () => true,
  stats: () => ({ pending: 0, dropped: 0, written: 0, failedWrites: 0, failing: false }),
  flush: async () => undefined,
  close: async () => undefined,
};
