import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../../src/runtimes/runtime.js';
import { Xoshiro128 } from '../../src/stats/random.js';
import { ModelPool, servedModels, type ServedModel, type ServingSet } from '../../src/serving/model-pool.js';

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** A fake model that records its users and closes, and fails loudly when misused. */
class FakeModel implements LoadedModel {
  /** Requests holding a set that contains this model (maintained by the test harness). */
  holders = 0;
  activeCalls = 0;
  closeCount = 0;
  closedWithHolders: number[] = [];
  closedWithActiveCalls: number[] = [];
  predictAfterClose = 0;

  constructor(
    readonly id: string,
    private readonly delay: () => number = () => 0,
    private readonly closeError?: Error,
  ) {}

  get closed(): boolean {
    return this.closeCount > 0;
  }

  async predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    if (this.closed) {
      this.predictAfterClose++;
      throw new Error(`${this.id} used after close`);
    }
    this.activeCalls++;
    try {
      const ms = this.delay();
      await (ms > 0 ? sleep(ms) : Promise.resolve());
      if (this.closed) {
        this.predictAfterClose++;
        throw new Error(`${this.id} closed during predict`);
      }
      return rows.map(() => ({ model: this.id }));
    } finally {
      this.activeCalls--;
    }
  }

  async close(): Promise<void> {
    this.closeCount++;
    this.closedWithHolders.push(this.holders);
    this.closedWithActiveCalls.push(this.activeCalls);
    await Promise.resolve();
    if (this.closeError !== undefined) throw this.closeError;
  }
}

function served(model: FakeModel, version = model.id): ServedModel {
  return { name: 'churn', version, model };
}

function fakeOf(s: ServedModel): FakeModel {
  return s.model as FakeModel;
}

function setOf(
  live: FakeModel,
  extra: { canary?: FakeModel; percent?: number; shadows?: FakeModel[] } = {},
): ServingSet {
  return {
    live: served(live),
    ...(extra.canary === undefined
      ? {}
      : { canary: { model: served(extra.canary), percent: extra.percent ?? 10 } }),
    shadows: (extra.shadows ?? []).map((m) => served(m)),
  };
}

function expectSlipwayError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(SlipwayError);
  expect((caught as SlipwayError).code).toBe(code);
}

/** True when `promise` has settled after the microtask queue and pending timers of this turn ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  await sleep(1);
  return settled;
}

describe('servedModels', () => {
  it('lists live, canary and shadows once each by model identity', () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const set = setOf(a, { canary: b, shadows: [a, b, new FakeModel('c')] });
    expect(servedModels(set).map((s) => fakeOf(s).id)).toEqual(['a', 'b', 'c']);
  });
});

describe('ModelPool', () => {
  it('acquire returns the current set and counts in-flight requests', () => {
    const a = new FakeModel('a');
    const pool = new ModelPool(setOf(a));
    expect(pool.inFlight).toBe(0);
    const one = pool.acquire();
    const two = pool.acquire();
    expect(one.set.live.model).toBe(a);
    expect(pool.set).toBe(one.set);
    expect(pool.inFlight).toBe(2);
    one.release();
    two.release();
    expect(pool.inFlight).toBe(0);
  });

  it('makes the new set visible to acquire immediately and closes the old model after its last user', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const pool = new ModelPool(setOf(a));
    const first = pool.acquire();
    const second = pool.acquire();
    const swapped = pool.swap(setOf(b));
    expect(pool.acquire().set.live.model).toBe(b);
    expect(first.set.live.model).toBe(a);

    first.release();
    expect(await isSettled(swapped)).toBe(false);
    expect(a.closeCount).toBe(0);
    second.release();
    await swapped;
    expect(a.closeCount).toBe(1);
    expect(b.closeCount).toBe(0);
  });

  it('closes at once when nothing is in flight', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const pool = new ModelPool(setOf(a));
    await pool.swap(setOf(b));
    expect(a.closeCount).toBe(1);
  });

  it('never closes a model shared by the old and new sets', async () => {
    const live = new FakeModel('live');
    const canary = new FakeModel('canary');
    const shadow = new FakeModel('shadow');
    const pool = new ModelPool(setOf(live, { canary, shadows: [shadow] }));
    // Promote the canary: old live becomes a shadow, the old shadow goes away.
    await pool.swap(setOf(canary, { shadows: [live] }));
    expect([live.closeCount, canary.closeCount, shadow.closeCount]).toEqual([0, 0, 1]);
    // Swapping to the very same set closes nothing.
    await pool.swap(pool.set);
    expect([live.closeCount, canary.closeCount, shadow.closeCount]).toEqual([0, 0, 1]);
    await pool.close();
    expect([live.closeCount, canary.closeCount, shadow.closeCount]).toEqual([1, 1, 1]);
  });

  it('keeps a model alive while an older generation that holds it is still in flight', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const c = new FakeModel('c');
    const pool = new ModelPool(setOf(a));
    const holdsA = pool.acquire();
    const toB = pool.swap(setOf(b));
    const holdsB = pool.acquire();
    // Back to a set containing a while the first generation is still in flight: a stays open.
    const toAC = pool.swap(setOf(c, { shadows: [a] }));
    holdsA.release();
    await toB;
    expect(a.closeCount).toBe(0);
    expect(b.closeCount).toBe(0);
    // The swap promise waits for every older generation still draining.
    expect(await isSettled(toAC)).toBe(false);
    holdsB.release();
    await toAC;
    expect([a.closeCount, b.closeCount, c.closeCount]).toEqual([0, 1, 0]);
    await pool.close();
    expect([a.closeCount, b.closeCount, c.closeCount]).toEqual([1, 1, 1]);
  });

  it('treats a double release as harmless', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const pool = new ModelPool(setOf(a));
    const first = pool.acquire();
    const second = pool.acquire();
    first.release();
    first.release();
    first.release();
    expect(pool.inFlight).toBe(1);
    const swapped = pool.swap(setOf(b));
    expect(await isSettled(swapped)).toBe(false);
    expect(a.closeCount).toBe(0);
    second.release();
    second.release();
    await swapped;
    expect(pool.inFlight).toBe(0);
    expect(a.closeCount).toBe(1);
  });

  it('use() releases on success and on error', async () => {
    const a = new FakeModel('a');
    const pool = new ModelPool(setOf(a));
    await expect(pool.use((set) => set.live.model.predict([{}]))).resolves.toEqual([{ model: 'a' }]);
    await expect(
      pool.use(() => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(pool.inFlight).toBe(0);
  });

  it('refuses to serve a model that was already closed', async () => {
    const a = new FakeModel('a');
    const b = new FakeModel('b');
    const pool = new ModelPool(setOf(a));
    await pool.swap(setOf(b));
    expectSlipwayError(() => pool.swap(setOf(a)), 'FAILED_PRECONDITION');
    expectSlipwayError(() => pool.swap(setOf(b, { shadows: [a] })), 'FAILED_PRECONDITION');
    expect(pool.set.live.model).toBe(b);
  });

  it('refuses a canary percent outside [0, 100]', () => {
    const a = new FakeModel('a');
    expectSlipwayError(
      () => new ModelPool(setOf(a, { canary: new FakeModel('c'), percent: 101 })),
      'INVALID_ARGUMENT',
    );
    const pool = new ModelPool(setOf(a));
    expectSlipwayError(
      () => pool.swap(setOf(a, { canary: new FakeModel('c'), percent: -1 })),
      'INVALID_ARGUMENT',
    );
    expect(pool.set.canary).toBeUndefined();
  });

  it('reports close failures without rejecting the swap', async () => {
    const failure = new Error('close failed');
    const a = new FakeModel('a', () => 0, failure);
    const errors: [unknown, string][] = [];
    const pool = new ModelPool(setOf(a), { onCloseError: (error, s) => errors.push([error, s.version]) });
    await expect(pool.swap(setOf(new FakeModel('b')))).resolves.toBeUndefined();
    expect(errors).toEqual([[failure, 'a']]);
  });

  describe('close()', () => {
    it('refuses new acquires, waits for in-flight requests, then closes every model once', async () => {
      const live = new FakeModel('live');
      const canary = new FakeModel('canary');
      const shadow = new FakeModel('shadow');
      const pool = new ModelPool(setOf(live, { canary, shadows: [shadow, live] }));
      const lease = pool.acquire();
      const closed = pool.close();
      expect(pool.isClosed).toBe(true);
      expectSlipwayError(() => pool.acquire(), 'UNAVAILABLE');
      expectSlipwayError(() => pool.swap(setOf(new FakeModel('x'))), 'UNAVAILABLE');
      expect(pool.close()).toBe(closed);

      // The in-flight request still works on its set.
      await expect(lease.set.live.model.predict([{}])).resolves.toEqual([{ model: 'live' }]);
      expect(await isSettled(closed)).toBe(false);
      expect([live.closeCount, canary.closeCount, shadow.closeCount]).toEqual([0, 0, 0]);
      lease.release();
      await closed;
      expect([live.closeCount, canary.closeCount, shadow.closeCount]).toEqual([1, 1, 1]);
      expect(pool.inFlight).toBe(0);
    });

    it('also waits for older generations still draining', async () => {
      const a = new FakeModel('a');
      const b = new FakeModel('b');
      const pool = new ModelPool(setOf(a));
      const holdsA = pool.acquire();
      void pool.swap(setOf(b));
      const closed = pool.close();
      await sleep(1);
      expect(b.closeCount).toBe(1);
      expect(a.closeCount).toBe(0);
      expect(await isSettled(closed)).toBe(false);
      holdsA.release();
      await closed;
      expect(a.closeCount).toBe(1);
    });

    it('resolves at once when nothing is in flight', async () => {
      const a = new FakeModel('a');
      const pool = new ModelPool(setOf(a));
      await pool.close();
      expect(a.closeCount).toBe(1);
    });
  });

  it('drops no request across 1,000 concurrent loops and 20 swaps, closing each old model once after its last user', async () => {
    const rng = Xoshiro128.fromSeed(99);
    const delay = (): number => rng.nextInt(4);
    let versions = 0;
    const all: FakeModel[] = [];
    const fresh = (): FakeModel => {
      const model = new FakeModel(`v${++versions}`, delay);
      all.push(model);
      return model;
    };

    let prev = { live: fresh(), canary: fresh(), shadow: fresh() };
    const pool = new ModelPool(setOf(prev.live, { canary: prev.canary, shadows: [prev.shadow] }));
    let failures = 0;
    let served = 0;
    let swapsDone = false;

    const loop = async (id: number): Promise<void> => {
      let iterations = 0;
      // Capped, and yielding a macrotask per pass, so a broken pool fails the test instead of hanging it.
      while ((!swapsDone || iterations < 3) && iterations < 500) {
        iterations++;
        const { set, release } = pool.acquire();
        const models = servedModels(set).map(fakeOf);
        for (const m of models) m.holders++;
        try {
          const target = id % 3 === 0 && set.canary !== undefined ? set.canary.model : set.live;
          await target.model.predict([{ id }]);
          await Promise.all(set.shadows.map((s) => s.model.predict([{ id }])));
          // Some requests fail inside the model call; they must release all the same.
          if (rng.nextInt(50) === 0) throw new Error('request failed');
          served++;
        } catch (error) {
          if (!(error instanceof Error && error.message === 'request failed')) failures++;
        } finally {
          for (const m of models) m.holders--;
          release();
          if (rng.nextInt(10) === 0) release(); // double release, harmless
        }
        if (failures > 0) await sleep(0);
      }
    };

    const swaps: Promise<void>[] = [];
    const swapper = async (): Promise<void> => {
      for (let i = 0; i < 20; i++) {
        await sleep(2);
        // Mix of carry-overs and new versions: promote canary, keep or drop shadows, add fresh ones.
        const choice = i % 4;
        const next =
          choice === 0
            ? { live: prev.canary, canary: fresh(), shadow: prev.live }
            : choice === 1
              ? { live: prev.live, canary: fresh(), shadow: prev.shadow }
              : choice === 2
                ? { live: fresh(), canary: prev.live, shadow: fresh() }
                : { live: prev.live, canary: prev.canary, shadow: prev.live };
        swaps.push(pool.swap(setOf(next.live, { canary: next.canary, shadows: [next.shadow] })));
        prev = next;
      }
      swapsDone = true;
    };

    await Promise.all([swapper(), ...Array.from({ length: 1000 }, (_, i) => loop(i))]);
    await Promise.all(swaps);

    expect(failures).toBe(0);
    expect(served).toBeGreaterThan(1000);
    expect(pool.inFlight).toBe(0);
    const finalModels = new Set(servedModels(pool.set).map(fakeOf));
    for (const model of all) {
      expect(model.predictAfterClose, model.id).toBe(0);
      expect(model.closeCount, model.id).toBe(finalModels.has(model) ? 0 : 1);
      expect(
        model.closedWithHolders.every((h) => h === 0),
        model.id,
      ).toBe(true);
      expect(
        model.closedWithActiveCalls.every((c) => c === 0),
        model.id,
      ).toBe(true);
    }
    await pool.close();
    for (const model of all) expect(model.closeCount, model.id).toBe(1);
  });
});
