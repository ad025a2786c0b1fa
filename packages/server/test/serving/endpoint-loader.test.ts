import { describe, expect, it } from 'vitest';
import { SlipwayError, type ModelVersionRef } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../../src/runtimes/runtime.js';
import {
  loadServingSet,
  reloadPool,
  type EndpointLoaderDeps,
  type EndpointModels,
  type ResolvedVersion,
} from '../../src/serving/endpoint-loader.js';
import { ModelPool, type ServedModel } from '../../src/serving/model-pool.js';

class FakeModel implements LoadedModel {
  closeCount = 0;
  constructor(
    readonly id: string,
    private readonly closeError?: Error,
  ) {}
  async predict(rows: readonly InputRow[]): Promise<OutputRow[]> {
    return rows.map(() => ({ model: this.id }));
  }
  async close(): Promise<void> {
    this.closeCount++;
    if (this.closeError !== undefined) throw this.closeError;
  }
}

function served(name: string, version: string, closeError?: Error): ServedModel {
  return { name, version, model: new FakeModel(`${name}/${version}`, closeError) };
}

const fake = (s: ServedModel): FakeModel => s.model as FakeModel;

const deferred = (): { promise: Promise<void>; resolve: () => void } => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
};

/** A registry fake: aliases map to versions; loads are recorded; some versions fail. */
class FakeRegistry implements EndpointLoaderDeps {
  aliases = new Map<string, string>([
    ['churn@champion', '3'],
    ['churn@challenger', '4'],
  ]);
  resolved: string[] = [];
  loadCalls: { ref: ResolvedVersion; field: string }[] = [];
  loadedModels: ServedModel[] = [];
  failLoad = new Map<string, Error>();
  failResolve = new Map<string, Error>();
  gate: Map<string, Promise<void>> = new Map();
  closeError: Error | undefined;
  wrongVersion = false;

  async resolve(ref: ModelVersionRef, field: string): Promise<ResolvedVersion> {
    this.resolved.push(field);
    const label = `${ref.name}@${ref.alias ?? ref.version ?? ''}`;
    const failure = this.failResolve.get(label);
    if (failure !== undefined) throw failure;
    if (ref.alias !== undefined) {
      const version = this.aliases.get(label);
      if (version === undefined) throw new SlipwayError('NOT_FOUND', `no alias ${label}`, { field });
      return { name: ref.name, version };
    }
    return { name: ref.name, version: ref.version ?? '' };
  }

  async load(ref: ResolvedVersion, field: string): Promise<ServedModel> {
    this.loadCalls.push({ ref, field });
    const id = `${ref.name}/${ref.version}`;
    await this.gate.get(id);
    const failure = this.failLoad.get(id);
    if (failure !== undefined) throw failure;
    const model = served(ref.name, this.wrongVersion ? `${ref.version}x` : ref.version, this.closeError);
    this.loadedModels.push(model);
    return model;
  }

  get loadedIds(): string[] {
    return this.loadCalls.map((c) => `${c.ref.name}/${c.ref.version}`).sort();
  }
}

const endpoint: EndpointModels = {
  model: { name: 'churn', alias: 'champion' },
  canary: { model: { name: 'churn', version: '5' }, percent: 10 },
  shadows: [
    { name: 'churn', alias: 'challenger' },
    { name: 'fraud', version: '1' },
  ],
};

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('loadServingSet', () => {
  it('resolves every reference and loads each version into the serving set', async () => {
    const registry = new FakeRegistry();
    const { set, loaded, reused } = await loadServingSet(endpoint, registry);
    expect(set.live).toMatchObject({ name: 'churn', version: '3' });
    expect(set.canary).toMatchObject({ model: { name: 'churn', version: '5' }, percent: 10 });
    expect(set.shadows.map((s) => `${s.name}/${s.version}`)).toEqual(['churn/4', 'fraud/1']);
    expect(registry.loadCalls).toEqual(
      expect.arrayContaining([
        { ref: { name: 'churn', version: '3' }, field: 'model' },
        { ref: { name: 'churn', version: '5' }, field: 'canary.model' },
        { ref: { name: 'churn', version: '4' }, field: 'shadows[0]' },
        { ref: { name: 'fraud', version: '1' }, field: 'shadows[1]' },
      ]),
    );
    expect(loaded).toHaveLength(4);
    expect(reused).toEqual([]);
  });

  it('handles an endpoint without canary or shadows', async () => {
    const registry = new FakeRegistry();
    const { set } = await loadServingSet({ model: { name: 'churn', version: '2' } }, registry);
    expect(set.live).toMatchObject({ name: 'churn', version: '2' });
    expect(set.canary).toBeUndefined();
    expect(set.shadows).toEqual([]);
  });

  it('reuses a version the current set already serves, matching after resolving aliases', async () => {
    const registry = new FakeRegistry();
    const current = {
      live: served('churn', '3'),
      canary: { model: served('churn', '5'), percent: 50 },
      shadows: [],
    };
    const { set, loaded, reused } = await loadServingSet(endpoint, registry, { cache: current });
    expect(set.live).toBe(current.live);
    expect(set.canary?.model).toBe(current.canary.model);
    expect(set.canary?.percent).toBe(10);
    expect(registry.loadedIds).toEqual(['churn/4', 'fraud/1']);
    expect(loaded.map((s) => s.version)).toEqual(['4', '1']);
    expect(reused).toEqual([current.live, current.canary.model]);
  });

  it('accepts a plain list of models as the cache', async () => {
    const registry = new FakeRegistry();
    const cached = served('fraud', '1');
    const { set } = await loadServingSet(endpoint, registry, { cache: [cached] });
    expect(set.shadows[1]).toBe(cached);
    expect(registry.loadedIds).toEqual(['churn/3', 'churn/4', 'churn/5']);
  });

  it('does not reuse a different version of the same model', async () => {
    const registry = new FakeRegistry();
    const current = { live: served('churn', '2'), shadows: [] };
    const { set } = await loadServingSet({ model: { name: 'churn', alias: 'champion' } }, registry, {
      cache: current,
    });
    expect(set.live).not.toBe(current.live);
    expect(set.live.version).toBe('3');
  });

  it('loads a version named twice only once and serves the same object', async () => {
    const registry = new FakeRegistry();
    const { set, loaded } = await loadServingSet(
      {
        model: { name: 'churn', alias: 'champion' },
        shadows: [
          { name: 'churn', version: '3' },
          { name: 'churn', alias: 'champion' },
        ],
      },
      registry,
    );
    expect(registry.loadedIds).toEqual(['churn/3']);
    expect(loaded).toHaveLength(1);
    expect(set.shadows[0]).toBe(set.live);
    expect(set.shadows[1]).toBe(set.live);
  });

  it('closes everything it loaded when one load fails, and rethrows that failure', async () => {
    const registry = new FakeRegistry();
    const failure = new SlipwayError('NOT_FOUND', 'churn/4 has no package');
    registry.failLoad.set('churn/4', failure);
    const cachedLive = served('churn', '3');
    const error = await rejection(loadServingSet(endpoint, registry, { cache: [cachedLive] }));
    expect(error).toBe(failure);
    expect(registry.loadedModels.map((s) => `${s.name}/${s.version}`).sort()).toEqual(['churn/5', 'fraud/1']);
    for (const model of registry.loadedModels) expect(fake(model).closeCount).toBe(1);
    expect(fake(cachedLive).closeCount).toBe(0);
  });

  it('waits for slower loads to finish before closing them on failure', async () => {
    const registry = new FakeRegistry();
    const slow = deferred();
    registry.gate.set('fraud/1', slow.promise);
    registry.failLoad.set('churn/3', new Error('corrupt package'));
    const pending = loadServingSet(endpoint, registry);
    setTimeout(slow.resolve, 5);
    await expect(pending).rejects.toThrow('corrupt package');
    expect(registry.loadedModels.map((s) => s.version).sort()).toEqual(['1', '4', '5']);
    for (const model of registry.loadedModels) expect(fake(model).closeCount).toBe(1);
  });

  it('rethrows the first failure in field order, not in time order', async () => {
    const registry = new FakeRegistry();
    const slow = deferred();
    registry.gate.set('churn/3', slow.promise);
    registry.failLoad.set('churn/3', new Error('live failed'));
    registry.failLoad.set('fraud/1', new Error('shadow failed'));
    const pending = loadServingSet(endpoint, registry);
    setTimeout(slow.resolve, 5);
    await expect(pending).rejects.toThrow('live failed');
  });

  it('keeps the original error when closing a loaded model also fails', async () => {
    const registry = new FakeRegistry();
    registry.closeError = new Error('close failed');
    registry.failLoad.set('fraud/1', new Error('load failed'));
    await expect(loadServingSet(endpoint, registry)).rejects.toThrow('load failed');
    for (const model of registry.loadedModels) expect(fake(model).closeCount).toBe(1);
  });

  it('loads nothing when a reference does not resolve', async () => {
    const registry = new FakeRegistry();
    registry.aliases.delete('churn@challenger');
    const error = await rejection(loadServingSet(endpoint, registry));
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).code).toBe('NOT_FOUND');
    expect((error as SlipwayError).details.field).toBe('shadows[0]');
    expect(registry.loadCalls).toEqual([]);
  });

  it('refuses (and closes) a load that returns a different version than asked', async () => {
    const registry = new FakeRegistry();
    registry.wrongVersion = true;
    const error = await rejection(loadServingSet({ model: { name: 'churn', version: '2' } }, registry));
    expect((error as SlipwayError).code).toBe('INTERNAL');
    expect(fake(registry.loadedModels[0]!).closeCount).toBe(1);
  });
});

describe('reloadPool', () => {
  it('swaps in the new set, reusing what is served and closing what is no longer', async () => {
    const registry = new FakeRegistry();
    const live = served('churn', '3');
    const oldShadow = served('churn', '1');
    const pool = new ModelPool({ live, shadows: [oldShadow] });
    const { set, loaded, retired } = await reloadPool(pool, endpoint, registry);
    expect(pool.set).toBe(set);
    expect(set.live).toBe(live);
    expect(loaded).toHaveLength(3);
    await retired;
    expect(fake(oldShadow).closeCount).toBe(1);
    expect(fake(live).closeCount).toBe(0);
    expect(pool.inFlight).toBe(0);
  });

  it('keeps a reused model open while loading even if another swap drops it meanwhile', async () => {
    const registry = new FakeRegistry();
    const live = served('churn', '3');
    const pool = new ModelPool({ live, shadows: [] });
    const slow = deferred();
    registry.gate.set('churn/5', slow.promise);
    const reloading = reloadPool(
      pool,
      {
        model: { name: 'churn', version: '3' },
        canary: { model: { name: 'churn', version: '5' }, percent: 20 },
      },
      registry,
    );
    await new Promise((r) => setTimeout(r, 1));
    const other = served('churn', '9');
    const racing = pool.swap({ live: other, shadows: [] });
    await new Promise((r) => setTimeout(r, 1));
    expect(fake(live).closeCount).toBe(0);
    slow.resolve();
    const { set, retired } = await reloading;
    await Promise.all([racing, retired]);
    expect(set.live).toBe(live);
    expect(pool.set.live).toBe(live);
    expect(fake(live).closeCount).toBe(0);
    expect(fake(other).closeCount).toBe(1);
  });

  it('closes what it loaded when the swap is refused, leaving the pool as it was', async () => {
    const registry = new FakeRegistry();
    const live = served('churn', '3');
    const pool = new ModelPool({ live, shadows: [] });
    const before = pool.set;
    const error = await rejection(
      reloadPool(
        pool,
        {
          model: { name: 'churn', version: '3' },
          canary: { model: { name: 'churn', version: '5' }, percent: 150 },
        },
        registry,
      ),
    );
    expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
    expect(pool.set).toBe(before);
    expect(registry.loadedModels).toHaveLength(1);
    expect(fake(registry.loadedModels[0]!).closeCount).toBe(1);
    expect(fake(live).closeCount).toBe(0);
    expect(pool.inFlight).toBe(0);
  });

  it('fails with UNAVAILABLE and loads nothing once the pool is closed', async () => {
    const registry = new FakeRegistry();
    const pool = new ModelPool({ live: served('churn', '3'), shadows: [] });
    await pool.close();
    const error = await rejection(reloadPool(pool, endpoint, registry));
    expect((error as SlipwayError).code).toBe('UNAVAILABLE');
    expect(registry.loadCalls).toEqual([]);
  });

  it('closes what it loaded when the pool closes during loading', async () => {
    const registry = new FakeRegistry();
    const live = served('churn', '3');
    const pool = new ModelPool({ live, shadows: [] });
    const slow = deferred();
    registry.gate.set('churn/5', slow.promise);
    const reloading = reloadPool(
      pool,
      {
        model: { name: 'churn', version: '3' },
        canary: { model: { name: 'churn', version: '5' }, percent: 20 },
      },
      registry,
    );
    await new Promise((r) => setTimeout(r, 1));
    const closed = pool.close();
    slow.resolve();
    const error = await rejection(reloading);
    expect((error as SlipwayError).code).toBe('UNAVAILABLE');
    await closed;
    expect(fake(live).closeCount).toBe(1);
    expect(fake(registry.loadedModels[0]!).closeCount).toBe(1);
  });
});
