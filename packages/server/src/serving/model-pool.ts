/**
 * Hot-swappable, reference-counted model handles for one endpoint, so that changing the served
 * version drops no request. Each `swap` starts a new generation; a request pins the generation it
 * acquired until it releases. A model is closed once no generation that contains it is current or
 * still has a request in flight, so a model shared by the old and the new set is never closed, and
 * no model is ever closed under a request that can still call it.
 */
import { SlipwayError } from '@slipway/contracts';
import type { LoadedModel } from '../runtimes/runtime.js';

/** A loaded model with the identity it serves under. */
export interface ServedModel {
  name: string;
  version: string;
  model: LoadedModel;
}

/** One endpoint's current set: live, optional canary, shadows. */
export interface ServingSet {
  live: ServedModel;
  canary?: { model: ServedModel; percent: number };
  shadows: ServedModel[];
}

/** What one request holds: the set it serves from and the function that lets it go (idempotent). */
export interface PoolLease {
  set: ServingSet;
  release: () => void;
}

/** Options of a pool. */
export interface ModelPoolOptions {
  /** Called when a model's close() rejects; the pool carries on (default: console.error). */
  onCloseError?: (error: unknown, model: ServedModel) => void;
}

/** Every distinct model of `set` (by LoadedModel identity): live, canary, shadows, in that order. */
export function servedModels(set: ServingSet): ServedModel[] {
  const byModel = new Map<LoadedModel, ServedModel>();
  for (const served of [set.live, ...(set.canary === undefined ? [] : [set.canary.model]), ...set.shadows]) {
    if (!byModel.has(served.model)) byModel.set(served.model, served);
  }
  return [...byModel.values()];
}

/** One set as it was current at some point, with the requests that acquired it. */
interface Generation {
  readonly set: ServingSet;
  readonly models: readonly ServedModel[];
  inFlight: number;
  retired: boolean;
  /** Resolves once the generation is retired, drained and the closes it triggered are done. */
  readonly done: Promise<void>;
  readonly resolveDone: () => void;
}

/** Holds one endpoint's serving set and swaps it without dropping or breaking a request. */
export class ModelPool {
  private current: Generation;
  /** Per model: how many generations that are current or still in flight contain it. */
  private readonly pins = new Map<LoadedModel, number>();
  /** Models whose close() has been called; they may never be served again. */
  private readonly closedModels = new WeakSet<LoadedModel>();
  /** Retired generations whose `done` has not resolved yet. */
  private readonly pending = new Set<Generation>();
  private readonly onCloseError: (error: unknown, model: ServedModel) => void;
  private closing: Promise<void> | undefined;
  private inFlightCount = 0;

  constructor(initial: ServingSet, options: ModelPoolOptions = {}) {
    this.onCloseError =
      options.onCloseError ??
      ((error: unknown, served: ServedModel) => {
        console.error(`closing model ${served.name}/${served.version} failed`, error);
      });
    this.checkSet(initial);
    this.current = this.pin(initial);
  }

  /** The current set, without acquiring it (for status pages; a request must use acquire()). */
  get set(): ServingSet {
    return this.current.set;
  }

  /** Requests that acquired a set and have not released it yet, across all generations. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** True once close() has been called. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /**
   * The current set plus a release function; a request calls this at its start and `release` at
   * its end, even on error. Releasing twice is harmless. UNAVAILABLE once the pool is closing.
   */
  acquire(): PoolLease {
    if (this.closing !== undefined) throw unavailable();
    const generation = this.current;
    generation.inFlight++;
    this.inFlightCount++;
    let released = false;
    return {
      set: generation.set,
      release: () => {
        if (released) return;
        released = true;
        generation.inFlight--;
        this.inFlightCount--;
        if (generation.retired && generation.inFlight === 0) this.drain(generation);
      },
    };
  }

  /** Runs `fn` on an acquired set and releases it however `fn` ends. */
  async use<T>(fn: (set: ServingSet) => Promise<T> | T): Promise<T> {
    const lease = this.acquire();
    try {
      return await fn(lease.set);
    } finally {
      lease.release();
    }
  }

  /**
   * Makes `next` current at once (the next acquire sees it), then closes each model of the old set
   * that `next` does not contain once every request that acquired a set containing it has released.
   * The promise resolves when the old set (and any older one still draining) is drained and those
   * closes are done; it never rejects (close failures go to `onCloseError`). Throws synchronously,
   * leaving `next`'s models with the caller, when the pool is closing (UNAVAILABLE) or `next` holds
   * a model that was already closed or has an invalid canary percent.
   */
  swap(next: ServingSet): Promise<void> {
    if (this.closing !== undefined) throw unavailable();
    this.checkSet(next);
    const old = this.current;
    // Pin the new set before retiring the old, so a model in both never drops to zero pins.
    this.current = this.pin(next);
    this.retire(old);
    return this.settled();
  }

  /**
   * Stops accepting acquires (they throw UNAVAILABLE), waits for every in-flight request to release,
   * and closes every model. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.retire(this.current);
      this.closing = this.settled();
    }
    return this.closing;
  }

  /** Refuses a set the pool could not serve safely. */
  private checkSet(set: ServingSet): void {
    for (const served of servedModels(set)) {
      if (this.closedModels.has(served.model)) {
        throw new SlipwayError(
          'FAILED_PRECONDITION',
          `model ${served.name}/${served.version} was already closed and cannot be served again`,
          { model: served.name, version: served.version },
        );
      }
    }
    const percent = set.canary?.percent;
    if (percent !== undefined && !(Number.isFinite(percent) && percent >= 0 && percent <= 100)) {
      throw new SlipwayError('INVALID_ARGUMENT', `canary percent must be in [0, 100], got ${percent}`, {
        field: 'canary.percent',
      });
    }
  }

  /** A new generation for `set`, pinning each of its models. */
  private pin(set: ServingSet): Generation {
    const models = servedModels(set);
    for (const served of models) this.pins.set(served.model, (this.pins.get(served.model) ?? 0) + 1);
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    return { set, models, inFlight: 0, retired: false, done, resolveDone };
  }

  /** Marks `generation` as no longer current; it drains once its last request releases. */
  private retire(generation: Generation): void {
    generation.retired = true;
    this.pending.add(generation);
    if (generation.inFlight === 0) this.drain(generation);
  }

  /** Unpins a drained generation's models and closes those no other live generation holds. */
  private drain(generation: Generation): void {
    const closes: Promise<void>[] = [];
    for (const served of generation.models) {
      const pins = (this.pins.get(served.model) ?? 0) - 1;
      if (pins > 0) {
        this.pins.set(served.model, pins);
      } else {
        this.pins.delete(served.model);
        closes.push(this.closeModel(served));
      }
    }
    void Promise.all(closes).then(() => {
      this.pending.delete(generation);
      generation.resolveDone();
    });
  }

  /** Closes one model exactly once; a failure is reported, not thrown. */
  private async closeModel(served: ServedModel): Promise<void> {
    this.closedModels.add(served.model);
    try {
      await served.model.close();
    } catch (error) {
      try {
        this.onCloseError(error, served);
      } catch {
        // A throwing error hook must not wedge the pool.
      }
    }
  }

  /** Resolves when every generation retired so far is drained and its closes are done. */
  private async settled(): Promise<void> {
    await Promise.all([...this.pending].map((generation) => generation.done));
  }
}

function unavailable(): SlipwayError {
  return new SlipwayError('UNAVAILABLE', 'the model pool is closed');
}
