import type { PredictionRecord } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PredictionSink } from '../../src/serving/prediction-sink.js';
import { PredictionQueue } from '../../src/serving/prediction-queue.js';

function record(index: number): PredictionRecord {
  return {
    predictionId: `p-${index}`,
    endpoint: 'bikes',
    modelName: 'bike-model',
    modelVersion: '1',
    arm: 'live',
    protocol: 'slipway',
    timestamp: 1_700_000_000_000 + index,
    latencyMs: 1,
    requestId: `r-${index}`,
    input: { x: index },
    output: { y: index },
  };
}

function records(from: number, count: number): PredictionRecord[] {
  return Array.from({ length: count }, (_, i) => record(from + i));
}

interface PendingWrite {
  batch: readonly PredictionRecord[];
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A sink whose writes succeed at once unless `manual` is set (then each waits in `writes` for the
 * test to settle it) or `failNext` says how many upcoming writes reject.
 */
class FakeSink implements PredictionSink {
  readonly batches: PredictionRecord[][] = [];
  readonly writes: PendingWrite[] = [];
  manual = false;
  failNext = 0;
  active = 0;
  maxActive = 0;
  closed = 0;

  write(batch: readonly PredictionRecord[]): Promise<void> {
    this.active += 1;
    this.maxActive = Math.max(this.maxActive, this.active);
    const settle = (ok: boolean): void => {
      this.active -= 1;
      if (ok) this.batches.push([...batch]);
    };
    if (this.manual) {
      return new Promise<void>((resolve, reject) => {
        this.writes.push({
          batch,
          resolve: () => (settle(true), resolve()),
          reject: (error) => (settle(false), reject(error)),
        });
      });
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      settle(false);
      return Promise.reject(new Error('disk full'));
    }
    settle(true);
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed += 1;
  }

  ids(): string[] {
    return this.batches.flat().map((r) => r.predictionId);
  }
}

let sink: FakeSink;

beforeEach(() => {
  vi.useFakeTimers();
  sink = new FakeSink();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('PredictionQueue', () => {
  it('writes as soon as batchSize records are pending, in batches of batchSize', async () => {
    const queue = new PredictionQueue(sink, { batchSize: 10, flushIntervalMs: 1000 });
    expect(queue.offer(records(0, 9))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(sink.batches).toHaveLength(0);
    expect(queue.offer(records(9, 16))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    // 25 pending: two full batches at once, the 5 left wait for the interval.
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10]);
    expect(queue.stats()).toMatchObject({ pending: 5, written: 20 });
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    expect(sink.ids()).toEqual(records(0, 25).map((r) => r.predictionId));
    expect(queue.stats()).toEqual({ pending: 0, dropped: 0, written: 25, failedWrites: 0, failing: false });
  });

  it('writes records below batchSize after flushIntervalMs', async () => {
    const queue = new PredictionQueue(sink, { batchSize: 100, flushIntervalMs: 1000 });
    queue.offer(records(0, 3));
    await vi.advanceTimersByTimeAsync(600);
    queue.offer(records(3, 2));
    await vi.advanceTimersByTimeAsync(399);
    expect(sink.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sink.batches.map((b) => b.length)).toEqual([5]);
    // Nothing pending: no further writes however long it idles.
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sink.batches).toHaveLength(1);
    queue.offer(records(5, 1));
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.batches.map((b) => b.length)).toEqual([5, 1]);
  });

  it('drops whole offers beyond capacity and counts them', async () => {
    sink.manual = true;
    const queue = new PredictionQueue(sink, { capacity: 10, batchSize: 4 });
    expect(queue.offer(records(0, 6))).toBe(true);
    // A batch of 4 is being written; it still occupies capacity.
    expect(sink.writes).toHaveLength(1);
    expect(queue.offer(records(6, 5))).toBe(false);
    expect(queue.offer(records(6, 4))).toBe(true);
    expect(queue.offer(records(10, 1))).toBe(false);
    expect(queue.offer([])).toBe(true);
    expect(queue.stats()).toEqual({ pending: 10, dropped: 6, written: 0, failedWrites: 0, failing: false });
    sink.writes[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.stats()).toMatchObject({ pending: 6, written: 4 });
    expect(queue.offer(records(10, 4))).toBe(true);
    expect(queue.stats().pending).toBe(10);
  });

  it('retries a failed batch with backoff, keeping order and queuing meanwhile', async () => {
    const onWriteError = vi.fn();
    const queue = new PredictionQueue(sink, {
      batchSize: 5,
      capacity: 12,
      retryBaseMs: 100,
      retryMaxMs: 250,
      onWriteError,
    });
    sink.failNext = 3;
    queue.offer(records(0, 5));
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.stats()).toEqual({
      pending: 5,
      dropped: 0,
      written: 0,
      failedWrites: 1,
      failing: true,
      lastError: 'disk full',
    });
    // While retrying, records still queue up to capacity, then drop.
    expect(queue.offer(records(5, 5))).toBe(true);
    expect(queue.offer(records(10, 5))).toBe(false);
    expect(queue.offer(records(10, 2))).toBe(true);
    await vi.advanceTimersByTimeAsync(99);
    expect(queue.stats().failedWrites).toBe(1);
    await vi.advanceTimersByTimeAsync(1); // retry 1 at 100 ms fails
    expect(queue.stats().failedWrites).toBe(2);
    await vi.advanceTimersByTimeAsync(199);
    expect(queue.stats().failedWrites).toBe(2);
    await vi.advanceTimersByTimeAsync(1); // retry 2 at +200 ms fails
    expect(queue.stats().failedWrites).toBe(3);
    await vi.advanceTimersByTimeAsync(249);
    expect(sink.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1); // retry 3 at +250 ms (capped) succeeds, then the rest drains
    expect(sink.batches.map((b) => b.length)).toEqual([5, 5]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sink.ids()).toEqual(records(0, 12).map((r) => r.predictionId));
    expect(queue.stats()).toEqual({
      pending: 0,
      dropped: 5,
      written: 12,
      failedWrites: 3,
      // Written since: no longer failing, the last error kept for the record.
      failing: false,
      lastError: 'disk full',
    });
    expect(onWriteError).toHaveBeenCalledTimes(3);
    expect(onWriteError).toHaveBeenLastCalledWith(expect.any(Error), 3);
  });

  it('treats a sink that throws synchronously like a failed write', async () => {
    const throwing: PredictionSink = {
      write: () => {
        throw new Error('boom');
      },
      close: async () => undefined,
    };
    const queue = new PredictionQueue(throwing, { batchSize: 1 });
    expect(queue.offer(records(0, 1))).toBe(true);
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.stats()).toMatchObject({ pending: 1, failedWrites: 1, lastError: 'boom' });
  });

  it('never has two writes under way', async () => {
    sink.manual = true;
    const queue = new PredictionQueue(sink, { batchSize: 2, flushIntervalMs: 10 });
    queue.offer(records(0, 2));
    queue.offer(records(2, 2));
    queue.offer(records(4, 1));
    await vi.advanceTimersByTimeAsync(50);
    const flushed = queue.flush();
    await vi.advanceTimersByTimeAsync(50);
    expect(sink.writes).toHaveLength(1);
    for (let i = 0; i < 3; i += 1) {
      sink.writes[i]!.resolve();
      await vi.advanceTimersByTimeAsync(0);
      expect(sink.active).toBeLessThanOrEqual(1);
    }
    await flushed;
    expect(sink.maxActive).toBe(1);
    expect(sink.batches.map((b) => b.length)).toEqual([2, 2, 1]);
  });

  it('flush writes everything pending now, below batchSize too', async () => {
    const queue = new PredictionQueue(sink, { batchSize: 100, flushIntervalMs: 60_000 });
    await queue.flush();
    queue.offer(records(0, 150));
    await queue.flush();
    expect(sink.batches.map((b) => b.length)).toEqual([100, 50]);
    expect(queue.stats()).toMatchObject({ pending: 0, written: 150 });
  });

  it('close flushes, closes the sink, and refuses later offers with a count', async () => {
    const queue = new PredictionQueue(sink, { batchSize: 100, flushIntervalMs: 60_000 });
    queue.offer(records(0, 7));
    const closed = queue.close();
    expect(queue.offer(records(7, 3))).toBe(false);
    await closed;
    expect(queue.close()).toBe(closed);
    expect(sink.ids()).toEqual(records(0, 7).map((r) => r.predictionId));
    expect(sink.closed).toBe(1);
    expect(queue.offer(records(10, 2))).toBe(false);
    expect(queue.stats()).toEqual({ pending: 0, dropped: 5, written: 7, failedWrites: 0, failing: false });
  });

  it('close gives up after closeTimeoutMs and counts the rest as dropped', async () => {
    sink.failNext = Number.POSITIVE_INFINITY;
    const queue = new PredictionQueue(sink, { batchSize: 3, retryBaseMs: 1000, closeTimeoutMs: 5000 });
    queue.offer(records(0, 8));
    const flushed = queue.flush();
    const closed = queue.close();
    await vi.advanceTimersByTimeAsync(4999);
    expect(sink.closed).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    await closed;
    await flushed;
    expect(sink.closed).toBe(1);
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: 8, written: 0 });
    // No retry is left scheduled.
    const failures = queue.stats().failedWrites;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(queue.stats().failedWrites).toBe(failures);
  });

  it('accounts a write still under way when close gives up once it settles', async () => {
    sink.manual = true;
    const queue = new PredictionQueue(sink, { batchSize: 2, closeTimeoutMs: 100 });
    queue.offer(records(0, 5));
    const closed = queue.close();
    await vi.advanceTimersByTimeAsync(100);
    await closed;
    // The 3 not being written are dropped; the batch under way is still pending.
    expect(queue.stats()).toMatchObject({ pending: 2, dropped: 3, written: 0 });
    sink.writes[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: 3, written: 2 });
    expect(sink.writes).toHaveLength(1);
  });

  it('takes injected timers', async () => {
    vi.useRealTimers();
    const scheduled: { callback: () => void; ms: number }[] = [];
    const queue = new PredictionQueue(sink, {
      batchSize: 100,
      flushIntervalMs: 250,
      timers: {
        setTimeout: (callback, ms) => scheduled.push({ callback, ms }),
        clearTimeout: () => undefined,
      },
    });
    queue.offer(records(0, 2));
    expect(scheduled.map((s) => s.ms)).toEqual([250]);
    scheduled[0]!.callback();
    await Promise.resolve();
    expect(sink.batches.map((b) => b.length)).toEqual([2]);
  });

  it('rejects nonsensical options', () => {
    expect(() => new PredictionQueue(sink, { capacity: 0 })).toThrow(RangeError);
    expect(() => new PredictionQueue(sink, { batchSize: 1.5 })).toThrow(RangeError);
    expect(() => new PredictionQueue(sink, { flushIntervalMs: -1 })).toThrow(RangeError);
  });
});
