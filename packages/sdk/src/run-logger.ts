/**
 * Client-side batching for one run. Logging calls only buffer; batches go out when a server limit
 * is reached (1000 metrics, 100 params, 100 tags, 1000 entries) or after a short interval, one
 * request at a time and in order. A failed background send is kept and thrown by the next call.
 */
import { SlipwayError, type Metric, type Run, type RunStatus, type StringMap } from '@slipway/contracts';
import type { MetricPoint, RunsApi } from './runs.js';

/** Per-request limits of the log endpoint (MLflow's). */
export const LOG_BATCH_LIMITS = { metrics: 1000, params: 100, tags: 100, total: 1000 } as const;

/** Batching behaviour of a `RunLogger`. */
export interface RunLoggerOptions {
  /** Longest time (ms) a logged value waits in the buffer before it is sent; default 1000. */
  flushIntervalMs?: number;
}

const DEFAULT_FLUSH_INTERVAL_MS = 1000;

interface PendingBatch {
  metrics: Metric[];
  params: StringMap;
  tags: StringMap;
}

/** Logs to one run with client-side batching; get one from `client.startRun()`. */
export class RunLogger {
  /** The run being logged to. */
  readonly runId: string;
  private readonly flushIntervalMs: number;
  private buffer: PendingBatch = emptyBuffer();
  private sending: Promise<void> = Promise.resolve();
  private readonly failures: unknown[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  private ended = false;

  constructor(
    /** The run as created. */
    readonly run: Run,
    private readonly runs: RunsApi,
    options: RunLoggerOptions = {},
  ) {
    this.runId = run.info.runId;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS;
  }

  /** Buffers one metric observation (step 0 and the current time unless given). */
  logMetric(key: string, value: number, point: MetricPoint = {}): void {
    this.beforeWrite();
    this.buffer.metrics.push({ key, value, step: point.step ?? 0, timestamp: point.timestamp ?? Date.now() });
    this.afterWrite();
  }

  /** Buffers several metrics observed at the same step and time. */
  logMetrics(values: Record<string, number>, point: MetricPoint = {}): void {
    const timestamp = point.timestamp ?? Date.now();
    for (const [key, value] of Object.entries(values)) this.logMetric(key, value, { ...point, timestamp });
  }

  /** Buffers a param (params are immutable: a different value for a logged key fails on the server). */
  logParam(key: string, value: string | number | boolean): void {
    this.beforeWrite();
    const text = String(value);
    const pending = this.buffer.params[key];
    if (pending === text) return;
    // Two values for one key in one batch would hide the conflict; send the first one on its own.
    if (pending !== undefined) this.dispatch();
    this.buffer.params[key] = text;
    this.afterWrite();
  }

  /** Buffers several params. */
  logParams(values: Record<string, string | number | boolean>): void {
    for (const [key, value] of Object.entries(values)) this.logParam(key, value);
  }

  /** Buffers a tag; a later value for the same key replaces the earlier one. */
  setTag(key: string, value: string): void {
    this.beforeWrite();
    this.buffer.tags[key] = value;
    this.afterWrite();
  }

  /** Buffers several tags. */
  setTags(values: StringMap): void {
    for (const [key, value] of Object.entries(values)) this.setTag(key, value);
  }

  /** Sends everything buffered and waits for all sends; throws the first unreported send failure. */
  async flush(): Promise<void> {
    this.dispatch();
    await this.sending;
    this.throwFailure();
  }

  /**
   * Flushes, then marks the run ended with `status`. If a send failed the run is left untouched and
   * the error thrown, so the caller can decide (e.g. `end('FAILED')`).
   */
  async end(status: RunStatus = 'FINISHED'): Promise<Run> {
    this.beforeWrite();
    await this.flush();
    const run = await this.runs.update(this.runId, { status, endTime: Date.now() });
    this.ended = true;
    return run;
  }

  /** Buffered entries not yet handed to a request (for diagnostics and tests). */
  get pendingCount(): number {
    return countOf(this.buffer);
  }

  private beforeWrite(): void {
    if (this.ended) {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Run ${this.runId} has ended; start a new run to log more.`,
        {
          field: 'runId',
        },
      );
    }
    this.throwFailure();
  }

  private afterWrite(): void {
    const b = this.buffer;
    const full =
      b.metrics.length >= LOG_BATCH_LIMITS.metrics ||
      Object.keys(b.params).length >= LOG_BATCH_LIMITS.params ||
      Object.keys(b.tags).length >= LOG_BATCH_LIMITS.tags ||
      countOf(b) >= LOG_BATCH_LIMITS.total;
    if (full) this.dispatch();
    else this.timer ??= setTimeout(() => this.dispatch(), this.flushIntervalMs);
  }

  /** Hands the buffer to the send queue; sends are chained so batches arrive in logging order. */
  private dispatch(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    if (countOf(this.buffer) === 0) return;
    const batch = this.buffer;
    this.buffer = emptyBuffer();
    this.sending = this.sending.then(() =>
      this.runs.logBatch(this.runId, batch).catch((err: unknown) => {
        this.failures.push(err);
      }),
    );
  }

  /** Each failure is reported exactly once, oldest first. */
  private throwFailure(): void {
    if (this.failures.length > 0) throw this.failures.shift();
  }
}

function emptyBuffer(): PendingBatch {
  return { metrics: [], params: {}, tags: {} };
}

function countOf(b: PendingBatch): number {
  return b.metrics.length + Object.keys(b.params).length + Object.keys(b.tags).length;
}
