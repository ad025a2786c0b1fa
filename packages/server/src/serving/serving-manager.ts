/**
 * The serving data plane behind every protocol: for each endpoint, a pool of loaded models (live,
 * canary, shadows) that is swapped atomically when the endpoint or an alias it serves changes, a
 * traffic choice per request, contract validation, the model call, prediction ids, and the hand-off
 * to the prediction log. Protocol adapters only decode rows and encode the result.
 */
import { randomUUID } from 'node:crypto';
import {
  SlipwayError,
  notFound,
  type ApiVersion,
  type Batching,
  type Endpoint,
  type ModelContract,
  type PredictionRecord,
  type ServingProtocol,
  type TrafficArm,
  type ValidationWarning,
} from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { loadVersion, resolveVersion } from '../registry/version-loader.js';
import type { InputRow, OutputRow } from '../runtimes/runtime.js';
import { Xoshiro128 } from '../stats/random.js';
import type { EndpointService } from './endpoint-service.js';
import { maxRowsOf } from './endpoint-service.js';
import { loadServingSet, reloadPool, type EndpointLoaderDeps } from './endpoint-loader.js';
import { ModelPool, type PoolLease, type ServedModel, type ServingSet } from './model-pool.js';
import { DISABLED_PREDICTION_LOG, type PredictionQueue } from './prediction-queue.js';
import {
  adaptOutputs,
  adaptRows,
  apiVersionBreaks,
  apiVersionBroken,
  lifecycleHeaders,
} from './api-versions.js';
import { MicroBatcher } from './micro-batcher.js';
import type { ModelCallObserver } from './serving-metrics.js';
import { RateLimiter, rateLimited } from './rate-limiter.js';
import { chooseArm } from './traffic.js';
import type { RowSource } from './protocols/common.js';
import { compileRowValidator, type RowValidator } from './validate-rows.js';

/** What the serving manager needs. */
export interface ServingManagerDeps {
  endpoints: Pick<EndpointService, 'get'>;
  registry: RegistryService;
  predictions: Pick<PredictionQueue, 'offer'>;
  now?: () => number;
  newId?: () => string;
  /** Seed of the canary draw for requests without a routing key (tests fix it). */
  seed?: number;
  /** How often loaded endpoints re-check their definition and aliases (ms); 0 disables the timer. */
  refreshIntervalMs?: number;
  /** Told about every model call (metrics). */
  observer?: ModelCallObserver;
}

/** One predict call as a protocol adapter hands it over. */
export interface PredictInput {
  rows: InputRow[];
  protocol: ServingProtocol;
  requestId: string;
  /** Sticky canary routing: the same key always gets the same arm. */
  routingKey?: string;
  /** Where the rows came from on the wire, so refusals name the caller's own paths. */
  source: RowSource;
  /** The caller's entity id of each row (labels may join by it), recorded in the log. */
  entityIds?: readonly (string | undefined)[];
  /** The caller's tags of the request, recorded with each row. */
  tags?: Record<string, string>;
  /** Set by the manager: the published API version the request came through. */
  apiVersion?: string;
}

/** What a predict call returns to its protocol adapter. */
export interface PredictResult {
  endpoint: string;
  arm: Exclude<TrafficArm, 'shadow'>;
  modelName: string;
  modelVersion: string;
  predictionIds: string[];
  outputs: OutputRow[];
  warnings: ValidationWarning[];
  /** The contract of the model that served, for protocols that encode by it. */
  served: ServedModel;
}

/** A prediction through a published API version, with the headers its lifecycle asks for. */
export interface ApiPredictResult extends PredictResult {
  headers: Record<string, string>;
}

/** A loaded endpoint: its definition as loaded, what its references resolved to, and its pool. */
interface EndpointRuntime {
  endpoint: Endpoint;
  /** `name/version` of every model in the set, in a fixed order: equal keys mean nothing to swap. */
  key: string;
  pool: ModelPool;
  /** The endpoint's request rate limit in this process, when it has one. */
  limiter: RateLimiter | undefined;
}

const DEFAULT_REFRESH_MS = 2000;

/** Batching of an endpoint that says nothing: on, never waiting (see micro-batcher.ts). */
const DEFAULT_BATCHING: Batching = {};

/** Serves every endpoint of this process. */
export class ServingManager {
  private readonly runtimes = new Map<string, Promise<EndpointRuntime>>();
  /** The runtimes of `runtimes` that have finished loading, for a lookup without awaiting. */
  private readonly ready = new Map<string, EndpointRuntime>();
  private readonly refreshing = new Map<string, Promise<void>>();
  /**
   * Compiled validators of published API versions, per version as loaded (a reload brings new
   * objects, so stale validators go with the old endpoint definition) and wire layout.
   */
  private readonly apiValidators = new WeakMap<ApiVersion, Map<string, RowValidator>>();
  /** Micro-batchers per model and batching settings (one model call at a time, coalescing the rest). */
  private readonly batchers = new WeakMap<ServedModel['model'], Map<string, MicroBatcher>>();
  /** `JSON.stringify` of each endpoint definition's batching settings (not redone per request). */
  private readonly batchingKeys = new WeakMap<object, string>();
  /** Compiled validators per model and wire layout (compiling per request would cost more than checking). */
  private readonly validators = new WeakMap<ServedModel['model'], Map<string, RowValidator>>();
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly random: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  /** False when the prediction log is the disabled one: records would be built only to be dropped. */
  private readonly logging: boolean;
  private closed = false;

  constructor(private readonly deps: ServingManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID());
    this.logging = deps.predictions !== DISABLED_PREDICTION_LOG;
    const rng = Xoshiro128.fromSeed(deps.seed ?? Date.now());
    this.random = () => rng.nextFloat();
    const every = deps.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    this.timer = every > 0 ? setInterval(() => void this.refreshAll(), every) : undefined;
    this.timer?.unref();
  }

  /** Predicts with the endpoint's live or canary model; shadows run after the result is returned. */
  async predict(name: string, input: PredictInput): Promise<PredictResult> {
    const runtime = await this.admitted(name);
    return this.serve(name, runtime, runtime.pool.acquire(), input);
  }

  /**
   * Like `predict`, for protocols that decode by the live model's contract: loads the endpoint,
   * acquires its set once, decodes with that set's live model and serves from the same set (one
   * acquire per request instead of `liveModel` + `predict`). A throwing `decode` releases the set.
   */
  async predictDecoded<T extends PredictInput>(
    name: string,
    decode: (live: ServedModel) => T,
  ): Promise<{ input: T; result: PredictResult }> {
    const runtime = await this.admitted(name);
    const lease = runtime.pool.acquire();
    let input: T;
    try {
      input = decode(lease.set.live);
    } catch (error) {
      lease.release();
      throw error;
    }
    return { input, result: await this.serve(name, runtime, lease, input) };
  }

  /** Serves `input` from an acquired set; releases it when done (after the shadows, if any). */
  private async serve(
    name: string,
    runtime: EndpointRuntime,
    lease: PoolLease,
    input: PredictInput,
  ): Promise<PredictResult> {
    const { set, release } = lease;
    // Read by the failure path only: which model the request went to, and when its call started.
    let served: ServedModel | undefined;
    let arm: Exclude<TrafficArm, 'shadow'> = 'live';
    let started: number | undefined;
    try {
      const canary = set.canary;
      // Without a canary chooseArm always answers live (and draws nothing).
      arm =
        canary === undefined
          ? 'live'
          : chooseArm(
              input.routingKey === undefined
                ? { canaryPercent: canary.percent, random: this.random }
                : { canaryPercent: canary.percent, random: this.random, routingKey: input.routingKey },
            );
      served = arm === 'canary' && canary !== undefined ? canary.model : set.live;
      const endpoint = runtime.endpoint;
      const rows = input.rows;
      const { warnings } = this.validatorOf(served, endpoint, input.source)(rows);
      started = performance.now();
      const settings = endpoint.batching ?? DEFAULT_BATCHING;
      // A batcher reports its own (coalesced) model calls; a direct call is reported here.
      const outputs = await (settings.enabled === false
        ? served.model.predict(rows)
        : this.batcherOf(name, served, arm, settings).predict(rows));
      const latencyMs = performance.now() - started;
      if (settings.enabled === false) {
        this.deps.observer?.modelCall(name, served.version, arm, rows.length, latencyMs / 1000);
      }
      const count = rows.length;
      const predictionIds = new Array<string>(count);
      for (let i = 0; i < count; i++) predictionIds[i] = this.newId();
      if (this.logging) {
        const timestamp = this.now();
        const records = new Array<PredictionRecord>(count);
        for (let i = 0; i < count; i++) {
          records[i] = record(rows[i] as InputRow, outputs[i] ?? {}, i, {
            predictionId: predictionIds[i] as string,
            endpoint: name,
            served,
            arm,
            input,
            timestamp,
            latencyMs,
          });
        }
        this.deps.predictions.offer(records);
      }
      const result: PredictResult = {
        endpoint: name,
        arm,
        modelName: served.name,
        modelVersion: served.version,
        predictionIds,
        outputs,
        warnings,
        served,
      };
      if (set.shadows.length > 0) {
        // Off the response path: the set stays acquired until every shadow has answered.
        setImmediate(() => void this.runShadows(name, set, input, predictionIds).finally(release));
      } else {
        release();
      }
      return result;
    } catch (error) {
      release();
      if (served !== undefined) {
        const latencyMs = started === undefined ? 0 : performance.now() - started;
        this.logFailure(name, served, arm, input, error, latencyMs);
      }
      throw error;
    }
  }

  /**
   * Offers the one log record of an admitted request that failed (refused rows, a failed model
   * call): its first row as input, `{}` as output, the error's code and message. Never the whole
   * request: a refused request may be the largest the endpoint accepts, and its first row is
   * enough to see what was sent. Requests refused before admission (unknown endpoint, rate
   * limit, undecodable body) leave no record: they are counted in /metrics and cost nothing here.
   */
  private logFailure(
    name: string,
    served: ServedModel,
    arm: TrafficArm,
    input: PredictInput,
    error: unknown,
    latencyMs: number,
    shadowOf?: string,
  ): void {
    if (!this.logging) return;
    const first: unknown = input.rows[0];
    const row = (isRow(first) ? first : {}) as InputRow;
    const logged = record(row, {}, 0, {
      predictionId: this.newId(),
      endpoint: name,
      served,
      arm,
      input,
      timestamp: this.now(),
      latencyMs,
    });
    logged.error = predictionError(error);
    if (shadowOf !== undefined) logged.shadowOf = shadowOf;
    this.deps.predictions.offer([logged]);
  }

  /** The endpoint's live model, loading the endpoint when needed (readiness and metadata). */
  async liveModel(name: string): Promise<ServedModel> {
    const runtime = this.loaded(name) ?? (await this.runtime(name));
    const { set, release } = runtime.pool.acquire();
    release();
    return set.live;
  }

  /** A published API version of the endpoint, loading the endpoint when needed (metadata). */
  async apiVersion(name: string, apiName: string): Promise<ApiVersion> {
    const runtime = this.loaded(name) ?? (await this.runtime(name));
    return publishedVersion(runtime.endpoint, apiName);
  }

  /** False once shutdown has begun (readiness). */
  acceptingRequests(): boolean {
    return !this.closed;
  }

  /** Whether the endpoint is loaded and can serve now (readiness). */
  isLoaded(name: string): boolean {
    return this.runtimes.has(name);
  }

  /**
   * Re-reads one endpoint now (after a change in this process); unloads it when deleted. Refreshes
   * of one endpoint run one after another, so a slow stale reload can never be swapped in last.
   */
  refresh(name: string): Promise<void> {
    const previous = this.refreshing.get(name) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.reload(name));
    this.refreshing.set(name, next);
    void next
      .finally(() => {
        if (this.refreshing.get(name) === next) this.refreshing.delete(name);
      })
      .catch(() => undefined);
    return next;
  }

  private async reload(name: string): Promise<void> {
    const pending = this.runtimes.get(name);
    if (pending === undefined) return;
    const runtime = await pending.catch(() => undefined);
    if (runtime === undefined) {
      this.forget(name);
      return;
    }
    let endpoint: Endpoint;
    try {
      endpoint = await this.deps.endpoints.get(name);
    } catch (error) {
      if (error instanceof SlipwayError && error.code === 'NOT_FOUND') {
        this.forget(name);
        await runtime.pool.close();
        return;
      }
      throw error;
    }
    const key = await this.resolvedKey(endpoint);
    if (key === runtime.key && endpoint.revision === runtime.endpoint.revision) return;
    // A model that breaks a published API version is never swapped in: the old set keeps serving.
    await this.checkApiVersions(endpoint);
    const { retired } = await reloadPool(runtime.pool, endpoint, this.loaderDeps);
    runtime.endpoint = endpoint;
    runtime.key = key;
    runtime.limiter = limiterFor(endpoint, runtime.limiter);
    // Old models close once their last request finishes; the caller need not wait for that.
    void retired;
  }

  /** Re-checks every loaded endpoint (the timer; also catches alias moves made by other processes). */
  async refreshAll(): Promise<void> {
    if (this.closed) return;
    for (const name of [...this.runtimes.keys()]) {
      await this.refresh(name).catch(() => undefined);
    }
  }

  /** Drains in-flight requests and releases every model. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    const runtimes = await Promise.allSettled([...this.runtimes.values()]);
    this.runtimes.clear();
    this.ready.clear();
    await Promise.all(
      runtimes.map((r) => (r.status === 'fulfilled' ? r.value.pool.close() : Promise.resolve())),
    );
  }

  /** The loaded runtime of `name`, loading it once however many requests arrive together. */
  private runtime(name: string): Promise<EndpointRuntime> {
    if (this.closed) return Promise.reject(new SlipwayError('UNAVAILABLE', 'The server is shutting down'));
    let pending = this.runtimes.get(name);
    if (pending === undefined) {
      const loading = this.loadRuntime(name);
      pending = loading;
      this.runtimes.set(name, loading);
      loading.then(
        (runtime) => {
          if (this.runtimes.get(name) === loading) this.ready.set(name, runtime);
        },
        // A failed load (missing endpoint, broken model) is retried by the next request.
        () => this.runtimes.delete(name),
      );
    }
    return pending;
  }

  /** The loaded runtime of `name` when it has finished loading and the manager is open. */
  private loaded(name: string): EndpointRuntime | undefined {
    return this.closed ? undefined : this.ready.get(name);
  }

  /** Forgets the runtime of `name` (unloaded, or its load failed). */
  private forget(name: string): void {
    this.runtimes.delete(name);
    this.ready.delete(name);
  }

  private async loadRuntime(name: string): Promise<EndpointRuntime> {
    const endpoint = await this.deps.endpoints.get(name);
    const key = await this.resolvedKey(endpoint);
    await this.checkApiVersions(endpoint);
    const { set } = await loadServingSet(endpoint, this.loaderDeps);
    return { endpoint, key, pool: new ModelPool(set), limiter: limiterFor(endpoint, undefined) };
  }

  /** How the endpoint loader finds and loads versions: through the registry, digest-checked. */
  private readonly loaderDeps: EndpointLoaderDeps = {
    resolve: async (ref, field) => {
      const version = await resolveVersion(this.deps.registry, ref, field);
      return { name: version.name, version: version.version };
    },
    load: async (ref, field) => {
      const version = await this.deps.registry.getModelVersion(ref.name, ref.version);
      const model = await loadVersion(this.deps.registry, version, field);
      return { name: version.name, version: version.version, model };
    },
  };

  /**
   * Predicts through a published API version: rows are checked against its contract, adapted to
   * the model's, and the outputs mapped back. NOT_FOUND when the endpoint publishes no such version.
   */
  async predictApi(name: string, apiName: string, input: PredictInput): Promise<ApiPredictResult> {
    const runtime = await this.admitted(name);
    return this.servePublished(name, runtime, publishedVersion(runtime.endpoint, apiName), input);
  }

  /** Serves `input` through the published version `api` (see `predictApi`). */
  private async servePublished(
    name: string,
    runtime: EndpointRuntime,
    api: ApiVersion,
    input: PredictInput,
  ): Promise<ApiPredictResult> {
    let byLayout = this.apiValidators.get(api);
    if (byLayout === undefined) {
      byLayout = new Map();
      this.apiValidators.set(api, byLayout);
    }
    const key = `${input.source.field}|${input.source.layout}`;
    let validator = byLayout.get(key);
    if (validator === undefined) {
      validator = compileRowValidator(api.contract, {
        unknownCategories: runtime.endpoint.validation?.unknownCategories ?? 'reject',
        maxRows: maxRowsOf(runtime.endpoint),
        field: input.source.field,
        layout: input.source.layout,
      });
      byLayout.set(key, validator);
    }
    let warnings: ValidationWarning[];
    let adapted: PredictInput;
    try {
      ({ warnings } = validator(input.rows));
      adapted = { ...input, rows: adaptRows(input.rows, api.adapter), apiVersion: api.name };
    } catch (error) {
      // Refused by the published contract before any arm is chosen: logged against the live model.
      this.logFailure(name, runtime.pool.set.live, 'live', { ...input, apiVersion: api.name }, error, 0);
      throw error;
    }
    const result = await this.serve(name, runtime, runtime.pool.acquire(), adapted);
    return {
      ...result,
      outputs: adaptOutputs(result.outputs, api),
      warnings: [...warnings, ...result.warnings],
      headers: lifecycleHeaders(api, this.now()),
    };
  }

  /**
   * Like `predictApi`, for protocols that decode by a contract (OIP v2, MLflow): `decode` gets the
   * published version's contract, so the caller's tensors and columns are read as that version
   * names them. NOT_FOUND when the endpoint publishes no such version.
   */
  async predictApiDecoded<T extends PredictInput>(
    name: string,
    apiName: string,
    decode: (contract: ModelContract) => T,
  ): Promise<{ input: T; result: ApiPredictResult; contract: ModelContract }> {
    const runtime = await this.admitted(name);
    const api = publishedVersion(runtime.endpoint, apiName);
    const input = decode(api.contract);
    return { input, result: await this.servePublished(name, runtime, api, input), contract: api.contract };
  }

  /**
   * The loaded runtime of `name` once the request is admitted by its rate limit: checked once per
   * request, before decoding or any model work, so refusals under overload stay cheap.
   */
  private async admitted(name: string): Promise<EndpointRuntime> {
    const runtime = this.loaded(name) ?? (await this.runtime(name));
    const waitMs = runtime.limiter?.take() ?? 0;
    if (waitMs > 0) throw rateLimited(name, waitMs, runtime.endpoint.rateLimit);
    return runtime;
  }

  /** Refuses an endpoint whose live or canary model breaks one of its published API versions. */
  private async checkApiVersions(endpoint: Endpoint): Promise<void> {
    const apis = endpoint.apiVersions ?? [];
    if (apis.length === 0) return;
    const refs = [endpoint.model, ...(endpoint.canary ? [endpoint.canary.model] : [])];
    for (const ref of refs) {
      const version = await resolveVersion(this.deps.registry, ref, 'model');
      for (const api of apis) {
        const breaks = apiVersionBreaks(api, version.contract);
        if (breaks.length > 0) throw apiVersionBroken(endpoint.name, api.name, version, breaks);
      }
    }
  }

  /** What every reference of the endpoint resolves to now. */
  private async resolvedKey(endpoint: Endpoint): Promise<string> {
    const refs = [
      endpoint.model,
      ...(endpoint.canary ? [endpoint.canary.model] : []),
      ...(endpoint.shadows ?? []),
    ];
    const resolved = await Promise.all(refs.map((ref) => this.loaderDeps.resolve(ref, 'model')));
    return JSON.stringify([resolved.map((r) => `${r.name}/${r.version}`), endpoint.canary?.percent ?? 0]);
  }

  private validatorOf(served: ServedModel, endpoint: Endpoint, source: RowSource): RowValidator {
    let byLayout = this.validators.get(served.model);
    if (byLayout === undefined) {
      byLayout = new Map();
      this.validators.set(served.model, byLayout);
    }
    // Keyed by the settings the validator compiles in, so it survives endpoint edits that keep them.
    const unknownCategories = endpoint.validation?.unknownCategories ?? 'reject';
    const key = `${unknownCategories}|${maxRowsOf(endpoint)}|${source.field}|${source.layout}`;
    let validator = byLayout.get(key);
    if (validator === undefined) {
      validator = compileRowValidator(served.model.contract, {
        unknownCategories,
        maxRows: maxRowsOf(endpoint),
        field: source.field,
        layout: source.layout,
      });
      byLayout.set(key, validator);
    }
    return validator;
  }

  /**
   * The micro-batcher of `served` under these batching settings (one model call at a time); it
   * reports each model call it makes, with the rows it coalesced, under the arm that created it.
   */
  private batcherOf(name: string, served: ServedModel, arm: TrafficArm, settings: Batching): MicroBatcher {
    let bySettings = this.batchers.get(served.model);
    if (bySettings === undefined) {
      bySettings = new Map();
      this.batchers.set(served.model, bySettings);
    }
    let key = this.batchingKeys.get(settings);
    if (key === undefined) {
      key = JSON.stringify(settings);
      this.batchingKeys.set(settings, key);
    }
    let batcher = bySettings.get(key);
    if (batcher === undefined) {
      const observer = this.deps.observer;
      batcher = new MicroBatcher(
        served.model,
        settings,
        observer === undefined
          ? undefined
          : (rows, seconds) => observer.modelCall(name, served.version, arm, rows, seconds),
      );
      bySettings.set(key, batcher);
    }
    return batcher;
  }

  /** Calls every shadow with the live rows and logs its outputs beside the live ones. */
  private async runShadows(
    name: string,
    set: ServingSet,
    input: PredictInput,
    liveIds: string[],
  ): Promise<void> {
    await Promise.allSettled(
      set.shadows.map(async (shadow) => {
        const started = performance.now();
        let outputs: OutputRow[];
        try {
          outputs = await shadow.model.predict(input.rows);
        } catch (error) {
          // A shadow's failure is its own: one error record under its arm, beside the live rows.
          this.logFailure(name, shadow, 'shadow', input, error, performance.now() - started, liveIds[0]);
          throw error;
        }
        const latencyMs = performance.now() - started;
        this.deps.observer?.modelCall(name, shadow.version, 'shadow', input.rows.length, latencyMs / 1000);
        if (!this.logging) return;
        const timestamp = this.now();
        this.deps.predictions.offer(
          input.rows.map((row, i) => ({
            ...record(row, outputs[i] ?? {}, i, {
              predictionId: this.newId(),
              endpoint: name,
              served: shadow,
              arm: 'shadow',
              input,
              timestamp,
              latencyMs,
            }),
            shadowOf: liveIds[i] ?? '',
          })),
        );
      }),
    );
  }
}

/**
 * The rate limiter of an endpoint definition: the current one while its settings are unchanged
 * (an unrelated edit must not hand out a fresh burst), a new one when they changed, none without.
 */
function limiterFor(endpoint: Endpoint, current: RateLimiter | undefined): RateLimiter | undefined {
  const settings = endpoint.rateLimit;
  if (settings === undefined) return undefined;
  if (current !== undefined && JSON.stringify(current.settings) === JSON.stringify(settings)) return current;
  return new RateLimiter(settings);
}

/** The API version `apiName` the endpoint publishes; NOT_FOUND naming it when there is none. */
export function publishedVersion(endpoint: Endpoint, apiName: string): ApiVersion {
  const api = endpoint.apiVersions?.find((a) => a.name === apiName);
  if (api === undefined) {
    throw notFound(`Endpoint '${endpoint.name}' publishes no API version '${apiName}'`, {
      field: 'apiVersion',
    });
  }
  return api;
}

/** Longest error message a log record keeps. */
const MAX_ERROR_MESSAGE = 1000;

/**
 * The `error` of a failed request's record: a SlipwayError's code and message as the caller got
 * them; anything else is INTERNAL with its own message, which the caller was not shown (the log is
 * read by the endpoint's operators, who already see its inputs).
 */
function predictionError(error: unknown): { code: string; message: string } {
  const code = error instanceof SlipwayError ? error.code : 'INTERNAL';
  const message = error instanceof Error ? error.message : String(error);
  return {
    code,
    message: message.length > MAX_ERROR_MESSAGE ? message.slice(0, MAX_ERROR_MESSAGE) : message,
  };
}

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** One prediction log record, for row `index` of the request. */
function record(
  row: InputRow,
  output: OutputRow,
  index: number,
  at: {
    predictionId: string;
    endpoint: string;
    served: ServedModel;
    arm: TrafficArm;
    input: PredictInput;
    timestamp: number;
    latencyMs: number;
  },
): PredictionRecord {
  const logged: PredictionRecord = {
    predictionId: at.predictionId,
    endpoint: at.endpoint,
    modelName: at.served.name,
    modelVersion: at.served.version,
    arm: at.arm,
    protocol: at.input.protocol,
    timestamp: at.timestamp,
    latencyMs: at.latencyMs,
    requestId: at.input.requestId,
    // The decoded row is never changed after the call (adapters build new rows), so it is shared.
    input: row,
    output,
  };
  const request = at.input;
  const entityId = request.entityIds?.[index];
  if (entityId !== undefined) logged.entityId = entityId;
  if (request.tags !== undefined) logged.tags = request.tags;
  if (request.apiVersion !== undefined) logged.apiVersion = request.apiVersion;
  return logged;
}
