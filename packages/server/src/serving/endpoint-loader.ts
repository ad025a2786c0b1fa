/**
 * Turns an endpoint (live model, canary, shadows, each by version or alias) into a serving set.
 * Every reference is resolved to a concrete name+version first; a version the current set already
 * serves is reused instead of loaded again, and a version named twice is loaded once. A failure
 * anywhere closes whatever this call loaded before it rethrows, so nothing leaks.
 */
import { SlipwayError, type Endpoint, type ModelVersionRef } from '@slipway/contracts';
import { servedModels, type ModelPool, type ServedModel, type ServingSet } from './model-pool.js';

/** A reference resolved to one concrete version. */
export interface ResolvedVersion {
  name: string;
  version: string;
}

/** How models are found and loaded; injected so serving stays independent of the registry. */
export interface EndpointLoaderDeps {
  /** The concrete version `ref` names (by version or alias); `field` locates it for errors. */
  resolve(ref: ModelVersionRef, field: string): Promise<ResolvedVersion>;
  /** Loads one resolved version; the result must carry the same name and version. */
  load(ref: ResolvedVersion, field: string): Promise<ServedModel>;
}

/** Options of `loadServingSet`. */
export interface LoadServingSetOptions {
  /**
   * Models that may be reused: the current set, or its models. The caller must keep them open
   * (hold an acquired lease) until the result is swapped in; `reloadPool` does exactly that.
   */
  cache?: ServingSet | readonly ServedModel[];
}

/** The endpoint fields that decide what is served. */
export type EndpointModels = Pick<Endpoint, 'model' | 'canary' | 'shadows'>;

/** A loaded set and which of its models this call loaded (the caller owns those until swapped in). */
export interface LoadedServingSet {
  set: ServingSet;
  /** Models this call loaded, once each. */
  loaded: ServedModel[];
  /** Models taken from the cache. */
  reused: ServedModel[];
}

/** The key a version is matched by. */
function versionKey(name: string, version: string): string {
  return `${name}\u0000${version}`;
}

/** Closes models, ignoring close failures (used on error paths, where the first error wins). */
async function closeQuietly(models: readonly ServedModel[]): Promise<void> {
  await Promise.allSettled(models.map((served) => served.model.close()));
}

/** The first rejection reason of `results`, in order, if any. */
function firstFailure(results: readonly PromiseSettledResult<unknown>[]): { reason: unknown } | undefined {
  for (const result of results) if (result.status === 'rejected') return { reason: result.reason };
  return undefined;
}

/**
 * Resolves and loads everything `endpoint` serves. References resolve (and models load) in
 * parallel; on any failure the models already loaded are closed and the first failure (in the
 * order model, canary.model, shadows[i]) is rethrown.
 */
export async function loadServingSet(
  endpoint: EndpointModels,
  deps: EndpointLoaderDeps,
  options: LoadServingSetOptions = {},
): Promise<LoadedServingSet> {
  const refs: { field: string; ref: ModelVersionRef }[] = [{ field: 'model', ref: endpoint.model }];
  if (endpoint.canary !== undefined) refs.push({ field: 'canary.model', ref: endpoint.canary.model });
  for (const [i, ref] of (endpoint.shadows ?? []).entries()) refs.push({ field: `shadows[${i}]`, ref });

  const resolutions = await Promise.allSettled(refs.map(({ ref, field }) => deps.resolve(ref, field)));
  const resolveFailure = firstFailure(resolutions);
  if (resolveFailure !== undefined) throw resolveFailure.reason;
  const resolved = resolutions.map((r) => (r as PromiseFulfilledResult<ResolvedVersion>).value);

  const cached = new Map<string, ServedModel>();
  const cacheModels =
    options.cache === undefined ? [] : 'live' in options.cache ? servedModels(options.cache) : options.cache;
  for (const served of cacheModels) {
    const key = versionKey(served.name, served.version);
    if (!cached.has(key)) cached.set(key, served);
  }

  // One entry per distinct version, in first-mention order: reused from the cache or loaded.
  const byKey = new Map<string, ServedModel>();
  const toLoad: { key: string; field: string; version: ResolvedVersion }[] = [];
  const reused: ServedModel[] = [];
  const seen = new Set<string>();
  for (const [i, version] of resolved.entries()) {
    const key = versionKey(version.name, version.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const hit = cached.get(key);
    if (hit !== undefined) {
      reused.push(hit);
      byKey.set(key, hit);
    } else {
      toLoad.push({ key, field: refs[i]!.field, version: { name: version.name, version: version.version } });
    }
  }

  const loads = await Promise.allSettled(
    toLoad.map(async ({ field, version }) =>
      deps.load({ name: version.name, version: version.version }, field),
    ),
  );
  const loaded = loads.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  let failure = firstFailure(loads);
  if (failure === undefined) {
    for (const [i, served] of loaded.entries()) {
      const want = toLoad[i]!;
      if (served.name !== want.version.name || served.version !== want.version.version) {
        failure = {
          reason: new SlipwayError(
            'INTERNAL',
            `loading ${want.version.name}/${want.version.version} returned ${served.name}/${served.version}`,
            { field: want.field },
          ),
        };
        break;
      }
      byKey.set(want.key, served);
    }
  }
  if (failure !== undefined) {
    await closeQuietly(loaded);
    throw failure.reason;
  }

  const models = resolved.map((v) => byKey.get(versionKey(v.name, v.version))!);
  const shadowsFrom = endpoint.canary === undefined ? 1 : 2;
  const set: ServingSet = {
    live: models[0]!,
    ...(endpoint.canary === undefined
      ? {}
      : { canary: { model: models[1]!, percent: endpoint.canary.percent } }),
    shadows: models.slice(shadowsFrom),
  };
  return { set, loaded, reused };
}

/** What `reloadPool` did. */
export interface ReloadResult extends LoadedServingSet {
  /** Resolves when the models of the replaced set that are no longer served are closed. */
  retired: Promise<void>;
}

/**
 * Loads `endpoint` reusing what `pool` serves now and swaps it in. The current set stays acquired
 * while loading, so a reused model cannot be closed by a concurrent swap before it is pinned again.
 * When loading or the swap fails (e.g. the pool closed meanwhile), the models loaded are closed and
 * the pool keeps serving what it served.
 */
export async function reloadPool(
  pool: ModelPool,
  endpoint: EndpointModels,
  deps: EndpointLoaderDeps,
): Promise<ReloadResult> {
  const lease = pool.acquire();
  try {
    const result = await loadServingSet(endpoint, deps, { cache: lease.set });
    let retired: Promise<void>;
    try {
      retired = pool.swap(result.set);
    } catch (error) {
      await closeQuietly(result.loaded);
      throw error;
    }
    return { ...result, retired };
  } finally {
    lease.release();
  }
}
