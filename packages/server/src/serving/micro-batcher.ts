/**
 * Adaptive micro-batching for the serving hot path: concurrent predict requests for one model are
 * coalesced into fewer, larger model calls.
 *
 * - Idle (no call running, nothing queued): a request calls the model at once, synchronously
 *   within `predict`, so low load pays no added latency. With `maxWaitMs > 0` a lone request
 *   instead waits up to `maxWaitMs` for company; the wait ends early once the queued rows reach
 *   `maxBatchSize`.
 * - Busy: requests queue. When the running call finishes, the queue is coalesced, in arrival
 *   order, into as few calls as possible of at most `maxBatchSize` rows each (a request bigger
 *   than `maxBatchSize` runs alone, unsplit). One model call runs at a time per batcher: the model
 *   is a single session, and concurrency comes from batching.
 * - Outputs are split back to each request by its row count.
 * - Isolation: when a coalesced call rejects, or returns the wrong number of rows, each of its
 *   requests is re-run alone, so one bad request cannot fail the others; each gets its own result
 *   or its own error.
 *
 * Rows are never copied one by one beyond building the concatenated input and slicing the outputs;
 * a request that runs alone is passed through without either.
 */
import type { Batching } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../runtimes/runtime.js';

/** Most rows one model call takes unless the endpoint says otherwise. */
export const MICRO_BATCH_DEFAULT_MAX_BATCH_SIZE = 256;
/** How long a lone request waits for company unless the endpoint says otherwise (never). */
export const MICRO_BATCH_DEFAULT_MAX_WAIT_MS = 0;

/** A model returned a different number of output rows than it was given input rows. */
export class OutputLengthError extends Error {
  constructor(
    readonly expected: number,
    readonly actual: number | undefined,
  ) {
    super(
      actual === undefined
        ? `model returned no output row array for ${expected} input rows`
        : `model returned ${actual} output rows for ${expected} input rows`,
    );
    this.name = 'OutputLengthError';
  }
}

/** Counters of a batcher, for metrics. */
export interface MicroBatcherStats {
  /** Model calls made, including isolation re-runs. */
  calls: number;
  /** Rows passed to the model over all calls (re-runs count again). */
  rows: number;
  /** Predict requests received (empty ones included; they never reach the model). */
  requests: number;
  /** Requests that shared a model call with at least one other request. */
  coalescedRequests: number;
  /** Rows of the largest model call so far. */
  maxObservedBatch: number;
  /** Rows of the most recent model call (0 before the first). */
  lastBatchSize: number;
  /** Requests waiting for a model call (not counting the call under way). */
  queueDepth: number;
  /** Rows of the waiting requests. */
  queuedRows: number;
  /** Coalesced calls that failed or returned the wrong row count, so their requests were re-run alone. */
  isolations: number;
  /** Whether a model call is under way. */
  busy: boolean;
}

interface Pending {
  readonly rows: readonly InputRow[];
  readonly resolve: (outputs: OutputRow[]) => void;
  readonly reject: (error: unknown) => void;
}

/** Coalesces concurrent predict requests for one model into batched model calls. */
export class MicroBatcher {
  private readonly maxBatchSize: number;
  private readonly maxWaitMs: number;

  /** Waiting requests are `queue[head..]`; reset to empty whenever it drains. */
  private queue: Pending[] = [];
  private head = 0;
  private queuedRows = 0;
  /** True from the moment a drain starts until the queue is empty and the last call settled. */
  private running = false;
  private waitTimer: ReturnType<typeof setTimeout> | undefined;

  private calls = 0;
  private rowsPredicted = 0;
  private requests = 0;
  private coalescedRequests = 0;
  private maxObservedBatch = 0;
  private lastBatch = 0;
  private isolations = 0;

  constructor(
    private readonly model: LoadedModel,
    settings: Batching = {},
    private readonly onCall?: (rows: number, seconds: number) => void,
  ) {
    const maxBatchSize = settings.maxBatchSize ?? MICRO_BATCH_DEFAULT_MAX_BATCH_SIZE;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1) {
      throw new RangeError(`maxBatchSize must be a positive integer, got ${maxBatchSize}`);
    }
    const maxWaitMs = settings.maxWaitMs ?? MICRO_BATCH_DEFAULT_MAX_WAIT_MS;
    if (!Number.isFinite(maxWaitMs) || maxWaitMs < 0) {
      throw new RangeError(`maxWaitMs must be a non-negative number, got ${maxWaitMs}`);
    }
    this.maxBatchSize = maxBatchSize;
    this.maxWaitMs = maxWaitMs;
  }

  /** Rows of the most recent model call (0 before the first). */
  get lastBatchSize(): number {
    return this.lastBatch;
  }

  /** Predicts one output row per input row, in order, sharing a model call with concurrent requests. */
  predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    this.requests++;
    if (rows.length === 0) return Promise.resolve([]);
    const result = new Promise<OutputRow[]>((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
    });
    this.queuedRows += rows.length;
    if (this.running) return result;
    if (this.maxWaitMs === 0 || this.queuedRows >= this.maxBatchSize) {
      this.start();
    } else if (this.waitTimer === undefined) {
      this.waitTimer = setTimeout(() => {
        this.waitTimer = undefined;
        if (!this.running && this.head < this.queue.length) this.start();
      }, this.maxWaitMs);
    }
    return result;
  }

  /** A snapshot of the counters. */
  stats(): MicroBatcherStats {
    return {
      calls: this.calls,
      rows: this.rowsPredicted,
      requests: this.requests,
      coalescedRequests: this.coalescedRequests,
      maxObservedBatch: this.maxObservedBatch,
      lastBatchSize: this.lastBatch,
      queueDepth: this.queue.length - this.head,
      queuedRows: this.queuedRows,
      isolations: this.isolations,
      busy: this.running,
    };
  }

  /** Starts draining the queue; the first model call is made synchronously. */
  private start(): void {
    if (this.waitTimer !== undefined) {
      clearTimeout(this.waitTimer);
      this.waitTimer = undefined;
    }
    this.running = true;
    void this.drain();
  }

  private async drain(): Promise<void> {
    try {
      while (this.head < this.queue.length) {
        const { batch, rowCount } = this.takeBatch();
        await this.runBatch(batch, rowCount);
      }
    } finally {
      // Only reached with an empty queue (runBatch settles every request and never throws).
      this.queue = [];
      this.head = 0;
      this.queuedRows = 0;
      this.running = false;
    }
  }

  /** Takes the longest run of waiting requests, in arrival order, that fits in one call (at least one). */
  private takeBatch(): { batch: Pending[]; rowCount: number } {
    const first = this.queue[this.head] as Pending;
    let end = this.head + 1;
    let rowCount = first.rows.length;
    while (end < this.queue.length) {
      const next = (this.queue[end] as Pending).rows.length;
      if (rowCount + next > this.maxBatchSize) break;
      rowCount += next;
      end++;
    }
    const batch = this.queue.slice(this.head, end);
    this.head = end;
    this.queuedRows -= rowCount;
    return { batch, rowCount };
  }

  private async runBatch(batch: readonly Pending[], rowCount: number): Promise<void> {
    if (batch.length === 1) {
      await this.runAlone(batch[0] as Pending);
      return;
    }
    this.coalescedRequests += batch.length;
    const input = new Array<InputRow>(rowCount);
    let at = 0;
    for (const request of batch) {
      for (const row of request.rows) input[at++] = row;
    }
    let outputs: OutputRow[];
    try {
      outputs = await this.call(input);
    } catch {
      await this.isolate(batch);
      return;
    }
    if (!Array.isArray(outputs) || outputs.length !== rowCount) {
      await this.isolate(batch);
      return;
    }
    at = 0;
    for (const request of batch) {
      const end = at + request.rows.length;
      request.resolve(outputs.slice(at, end));
      at = end;
    }
  }

  /** Re-runs each request of a failed coalesced call alone, one after another. */
  private async isolate(batch: readonly Pending[]): Promise<void> {
    this.isolations++;
    for (const request of batch) await this.runAlone(request);
  }

  private async runAlone(request: Pending): Promise<void> {
    let outputs: OutputRow[];
    try {
      outputs = await this.call(request.rows);
    } catch (error) {
      request.reject(error);
      return;
    }
    if (!Array.isArray(outputs) || outputs.length !== request.rows.length) {
      request.reject(
        new OutputLengthError(request.rows.length, Array.isArray(outputs) ? outputs.length : undefined),
      );
      return;
    }
    request.resolve(outputs);
  }

  /** One model call; the model is invoked synchronously, and a synchronous throw becomes a rejection. */
  private async call(rows: readonly InputRow[]): Promise<OutputRow[]> {
    this.calls++;
    this.rowsPredicted += rows.length;
    this.lastBatch = rows.length;
    if (rows.length > this.maxObservedBatch) this.maxObservedBatch = rows.length;
    const started = performance.now();
    try {
      return await this.model.predict(rows);
    } finally {
      this.onCall?.(rows.length, (performance.now() - started) / 1000);
    }
  }
}
