import { afterEach, describe, expect, it, vi } from 'vitest';
import type { InputRow, LoadedModel, OutputRow } from '../../src/runtimes/runtime.js';
import { MicroBatcher, OutputLengthError } from '../../src/serving/micro-batcher.js';

/** Lets pending promise callbacks (and the batcher's next call) run. */
async function settle(): Promise<void> {
  await new Promise(setImmediate);
  await new Promise(setImmediate);
}

function echo(rows: readonly InputRow[]): OutputRow[] {
  return rows.map((row) => ({ y: row['x'] }));
}

function rowsOf(...xs: number[]): InputRow[] {
  return xs.map((x) => ({ x }));
}

interface Call {
  rows: readonly InputRow[];
  /** Completes the call; by default with one `{ y: x }` per row. */
  finish: (outputs?: OutputRow[]) => void;
  fail: (error: Error) => void;
}

/** A model whose every call stays open until the test finishes it. */
class ControlledModel implements LoadedModel {
  readonly calls: Call[] = [];

  get sizes(): number[] {
    return this.calls.map((call) => call.rows.length);
  }

  predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    return new Promise((resolve, reject) => {
      this.calls.push({ rows, finish: (outputs) => resolve(outputs ?? echo(rows)), fail: reject });
    });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Finishes the call at `index` and lets the batcher move on. */
  async finish(index: number, outputs?: OutputRow[]): Promise<void> {
    const call = this.calls[index];
    if (call === undefined) throw new Error(`no call ${index} (made ${this.calls.length})`);
    call.finish(outputs);
    await settle();
  }
}

/** A model that answers at once through `respond`, recording every call's row count. */
function instantModel(respond: (rows: readonly InputRow[]) => OutputRow[]): LoadedModel & {
  sizes: number[];
} {
  const sizes: number[] = [];
  return {
    sizes,
    predict(rows) {
      sizes.push(rows.length);
      return Promise.resolve().then(() => respond(rows));
    },
    close: () => Promise.resolve(),
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('MicroBatcher at low load', () => {
  it('calls the model at once, synchronously, when idle', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const result = batcher.predict(rowsOf(1, 2));
    expect(model.sizes).toEqual([2]);
    await model.finish(0);
    await expect(result).resolves.toEqual([{ y: 1 }, { y: 2 }]);
    expect(batcher.stats()).toMatchObject({
      calls: 1,
      rows: 2,
      requests: 1,
      coalescedRequests: 0,
      busy: false,
    });
  });

  it('passes a lone request through without copying its rows or outputs', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const rows = rowsOf(1);
    const outputs = [{ y: 'same' }];
    const result = batcher.predict(rows);
    expect(model.calls[0]?.rows).toBe(rows);
    await model.finish(0, outputs);
    expect(await result).toBe(outputs);
  });

  it('answers an empty request without a model call', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    await expect(batcher.predict([])).resolves.toEqual([]);
    expect(model.calls).toHaveLength(0);
  });

  it('runs sequential requests one call each', async () => {
    const model = instantModel(echo);
    const batcher = new MicroBatcher(model, {});
    for (let i = 0; i < 3; i++) await expect(batcher.predict(rowsOf(i))).resolves.toEqual([{ y: i }]);
    expect(model.sizes).toEqual([1, 1, 1]);
  });
});

describe('MicroBatcher under load', () => {
  it('coalesces requests arriving during a call into one next call', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const first = batcher.predict(rowsOf(0));
    const rest = Array.from({ length: 10 }, (_, i) => batcher.predict(rowsOf(100 + i)));
    expect(model.sizes).toEqual([1]);
    expect(batcher.stats()).toMatchObject({ queueDepth: 10, queuedRows: 10, busy: true });

    await model.finish(0);
    expect(model.sizes).toEqual([1, 10]);
    expect(batcher.stats().queueDepth).toBe(0);
    await model.finish(1);

    await expect(first).resolves.toEqual([{ y: 0 }]);
    for (const [i, result] of rest.entries()) await expect(result).resolves.toEqual([{ y: 100 + i }]);
    expect(batcher.stats()).toEqual({
      calls: 2,
      rows: 11,
      requests: 11,
      coalescedRequests: 10,
      maxObservedBatch: 10,
      lastBatchSize: 10,
      queueDepth: 0,
      queuedRows: 0,
      isolations: 0,
      busy: false,
    });
    expect(batcher.lastBatchSize).toBe(10);
  });

  it('keeps one call at a time and splits outputs back in order by row count', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const a = batcher.predict(rowsOf(1));
    const b = batcher.predict(rowsOf(2, 3, 4));
    const c = batcher.predict(rowsOf(5));
    const d = batcher.predict(rowsOf(6, 7));
    await settle();
    expect(model.sizes).toEqual([1]);

    await model.finish(0);
    expect(model.calls[1]?.rows).toEqual(rowsOf(2, 3, 4, 5, 6, 7));
    const e = batcher.predict(rowsOf(8));
    await settle();
    expect(model.sizes).toEqual([1, 6]);

    await model.finish(
      1,
      ['b1', 'b2', 'b3', 'c1', 'd1', 'd2'].map((tag) => ({ tag })),
    );
    await expect(b).resolves.toEqual([{ tag: 'b1' }, { tag: 'b2' }, { tag: 'b3' }]);
    await expect(c).resolves.toEqual([{ tag: 'c1' }]);
    await expect(d).resolves.toEqual([{ tag: 'd1' }, { tag: 'd2' }]);
    expect(model.sizes).toEqual([1, 6, 1]);
    await model.finish(2);
    await expect(a).resolves.toEqual([{ y: 1 }]);
    await expect(e).resolves.toEqual([{ y: 8 }]);
  });

  it('splits the queue into calls of at most maxBatchSize rows, in arrival order', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxBatchSize: 4 });
    const results = [batcher.predict(rowsOf(0))];
    // Queued: 2, 2, 1, 3, 1, 1 rows → calls of 4 (2+2), 4 (1+3), 2 (1+1).
    const queued = [rowsOf(1, 2), rowsOf(3, 4), rowsOf(5), rowsOf(6, 7, 8), rowsOf(9), rowsOf(10)];
    for (const rows of queued) results.push(batcher.predict(rows));

    for (let i = 0; i < 4; i++) await model.finish(i);
    expect(model.sizes).toEqual([1, 4, 4, 2]);
    expect(model.calls.map((call) => call.rows.map((row) => row['x']))).toEqual([
      [0],
      [1, 2, 3, 4],
      [5, 6, 7, 8],
      [9, 10],
    ]);
    const outputs = await Promise.all(results);
    expect(outputs.flat().map((row) => row['y'])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batcher.stats()).toMatchObject({ calls: 4, maxObservedBatch: 4, coalescedRequests: 6 });
  });

  it('runs a request bigger than maxBatchSize alone and unsplit', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxBatchSize: 3 });
    const first = batcher.predict(rowsOf(0));
    const small = batcher.predict(rowsOf(1));
    const big = batcher.predict(rowsOf(2, 3, 4, 5, 6));
    const after = batcher.predict(rowsOf(7));

    for (let i = 0; i < 4; i++) await model.finish(i);
    expect(model.sizes).toEqual([1, 1, 5, 1]);
    await expect(first).resolves.toEqual([{ y: 0 }]);
    await expect(small).resolves.toEqual([{ y: 1 }]);
    await expect(big).resolves.toEqual(rowsOf(2, 3, 4, 5, 6).map((row) => ({ y: row['x'] })));
    await expect(after).resolves.toEqual([{ y: 7 }]);
    expect(batcher.stats().maxObservedBatch).toBe(5);
  });

  it('runs an oversize request at once when idle', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxBatchSize: 2 });
    const result = batcher.predict(rowsOf(1, 2, 3));
    expect(model.sizes).toEqual([3]);
    await model.finish(0);
    await expect(result).resolves.toHaveLength(3);
  });
});

describe('MicroBatcher error isolation', () => {
  it('re-runs a failed coalesced call request by request, so only the poisoned request fails', async () => {
    const model = instantModel((rows) => {
      if (rows.some((row) => row['poison'] === true)) throw new Error('poisoned row');
      return echo(rows);
    });
    const batcher = new MicroBatcher(model, {});
    const first = batcher.predict(rowsOf(0));
    const good1 = batcher.predict(rowsOf(1, 2));
    const bad = batcher.predict([{ x: 3 }, { x: 4, poison: true }]);
    const good2 = batcher.predict(rowsOf(5));

    await expect(first).resolves.toEqual([{ y: 0 }]);
    await expect(good1).resolves.toEqual([{ y: 1 }, { y: 2 }]);
    await expect(bad).rejects.toThrow('poisoned row');
    await expect(good2).resolves.toEqual([{ y: 5 }]);
    // The first call alone, the coalesced call of 5 rows, then each of its 3 requests alone.
    expect(model.sizes).toEqual([1, 5, 2, 2, 1]);
    expect(batcher.stats()).toMatchObject({ calls: 5, isolations: 1, busy: false, queueDepth: 0 });
  });

  it('gives each request of a failed batch its own error', async () => {
    let failures = 0;
    const model = instantModel((rows) => {
      if (rows.length > 1) throw new Error('batch failed');
      if (rows[0]?.['poison'] === true) throw new Error(`bad ${String(rows[0]['x'])} #${++failures}`);
      return echo(rows);
    });
    const batcher = new MicroBatcher(model, {});
    const first = batcher.predict(rowsOf(0));
    const bad1 = batcher.predict([{ x: 1, poison: true }]);
    const good = batcher.predict(rowsOf(2));
    const bad2 = batcher.predict([{ x: 3, poison: true }]);

    await expect(first).resolves.toEqual([{ y: 0 }]);
    await expect(bad1).rejects.toThrow('bad 1 #1');
    await expect(good).resolves.toEqual([{ y: 2 }]);
    await expect(bad2).rejects.toThrow('bad 3 #2');
  });

  it('isolates a coalesced call that returns the wrong number of rows', async () => {
    // Drops the output of every `short` row, so any call containing one comes back too short.
    const model = instantModel((rows) => echo(rows.filter((row) => row['short'] !== true)));
    const batcher = new MicroBatcher(model, {});
    const first = batcher.predict(rowsOf(0));
    const good1 = batcher.predict(rowsOf(1));
    const short = batcher.predict([{ x: 2 }, { x: 3, short: true }]);
    const good2 = batcher.predict(rowsOf(4, 5));

    await expect(first).resolves.toEqual([{ y: 0 }]);
    await expect(good1).resolves.toEqual([{ y: 1 }]);
    const error = await short.catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutputLengthError);
    expect(error).toMatchObject({ expected: 2, actual: 1 });
    await expect(good2).resolves.toEqual([{ y: 4 }, { y: 5 }]);
    expect(model.sizes).toEqual([1, 5, 1, 2, 2]);
  });

  it('rejects a lone request whose call returns the wrong number of rows, without a re-run', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const outcome = expect(batcher.predict(rowsOf(1, 2))).rejects.toBeInstanceOf(OutputLengthError);
    await model.finish(0, [{ y: 1 }]);
    await outcome;
    expect(model.sizes).toEqual([2]);
  });

  it('turns a synchronous throw into that request’s rejection and keeps serving', async () => {
    let calls = 0;
    const model: LoadedModel = {
      predict(rows) {
        if (calls++ === 0) throw new Error('sync boom');
        return Promise.resolve(echo(rows));
      },
      close: () => Promise.resolve(),
    };
    const batcher = new MicroBatcher(model, {});
    await expect(batcher.predict(rowsOf(1))).rejects.toThrow('sync boom');
    await expect(batcher.predict(rowsOf(2))).resolves.toEqual([{ y: 2 }]);
    expect(batcher.stats().busy).toBe(false);
  });

  it('keeps draining the queue after a failed call', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const first = expect(batcher.predict(rowsOf(0))).rejects.toThrow('down');
    const second = batcher.predict(rowsOf(1));
    model.calls[0]?.fail(new Error('down'));
    await settle();
    await first;
    expect(model.sizes).toEqual([1, 1]);
    await model.finish(1);
    await expect(second).resolves.toEqual([{ y: 1 }]);
  });
});

describe('MicroBatcher with maxWaitMs', () => {
  it('lets a lone request wait up to maxWaitMs for company, then runs everything together', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxWaitMs: 5 });
    const a = batcher.predict(rowsOf(1));
    await vi.advanceTimersByTimeAsync(3);
    expect(model.calls).toHaveLength(0);
    const b = batcher.predict(rowsOf(2, 3));
    await vi.advanceTimersByTimeAsync(1);
    expect(model.calls).toHaveLength(0);
    expect(batcher.stats()).toMatchObject({ queueDepth: 2, queuedRows: 3, busy: false });

    // The wait is measured from the first request, not the latest.
    await vi.advanceTimersByTimeAsync(1);
    expect(model.sizes).toEqual([3]);
    await model.finish(0);
    await expect(a).resolves.toEqual([{ y: 1 }]);
    await expect(b).resolves.toEqual([{ y: 2 }, { y: 3 }]);
  });

  it('runs a lone request after maxWaitMs when nobody joins', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxWaitMs: 10 });
    const result = batcher.predict(rowsOf(1));
    await vi.advanceTimersByTimeAsync(9);
    expect(model.calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(model.sizes).toEqual([1]);
    await model.finish(0);
    await expect(result).resolves.toEqual([{ y: 1 }]);
  });

  it('stops waiting as soon as maxBatchSize rows are queued', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxWaitMs: 100, maxBatchSize: 3 });
    const a = batcher.predict(rowsOf(1));
    const b = batcher.predict(rowsOf(2));
    expect(model.calls).toHaveLength(0);
    const c = batcher.predict(rowsOf(3));
    expect(model.sizes).toEqual([3]);
    await model.finish(0);
    expect(await Promise.all([a, b, c])).toEqual([[{ y: 1 }], [{ y: 2 }], [{ y: 3 }]]);
    // The cancelled wait fires no extra call.
    await vi.advanceTimersByTimeAsync(200);
    expect(model.sizes).toEqual([3]);
  });

  it('does not wait for requests queued behind a running call', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, { maxWaitMs: 50 });
    const a = batcher.predict(rowsOf(1));
    await vi.advanceTimersByTimeAsync(50);
    expect(model.sizes).toEqual([1]);
    const b = batcher.predict(rowsOf(2));
    await model.finish(0);
    expect(model.sizes).toEqual([1, 1]);
    await model.finish(1);
    await expect(a).resolves.toEqual([{ y: 1 }]);
    await expect(b).resolves.toEqual([{ y: 2 }]);
  });
});

describe('MicroBatcher settings', () => {
  it('rejects invalid settings', () => {
    const model = new ControlledModel();
    expect(() => new MicroBatcher(model, { maxBatchSize: 0 })).toThrow(RangeError);
    expect(() => new MicroBatcher(model, { maxBatchSize: 1.5 })).toThrow(RangeError);
    expect(() => new MicroBatcher(model, { maxWaitMs: -1 })).toThrow(RangeError);
  });

  it('defaults to 256 rows per call', async () => {
    const model = new ControlledModel();
    const batcher = new MicroBatcher(model, {});
    const first = batcher.predict(rowsOf(0));
    const queued = Array.from({ length: 300 }, (_, i) => batcher.predict(rowsOf(i)));
    for (let i = 0; i < 3; i++) await model.finish(i);
    expect(model.sizes).toEqual([1, 256, 44]);
    await first;
    expect(await Promise.all(queued)).toHaveLength(300);
  });
});

describe('MicroBatcher call reports', () => {
  it('reports each model call once with the rows it coalesced, failed calls included', async () => {
    const model = new ControlledModel();
    const reported: number[] = [];
    const batcher = new MicroBatcher(model, {}, (rows, seconds) => {
      expect(seconds).toBeGreaterThanOrEqual(0);
      reported.push(rows);
    });
    const first = batcher.predict(rowsOf(1));
    const second = batcher.predict(rowsOf(2, 3));
    const third = batcher.predict(rowsOf(4));
    await model.finish(0);
    expect(reported).toEqual([1]);
    await model.finish(1);
    expect(reported).toEqual([1, 3]);
    await Promise.all([first, second, third]);
    const failing = batcher.predict(rowsOf(5));
    model.calls[2]?.fail(new Error('broken model'));
    await expect(failing).rejects.toThrow('broken model');
    expect(reported).toEqual([1, 3, 1]);
  });
});
