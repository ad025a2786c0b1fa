/**
 * The serving data plane behind every protocol: for each endpoint, a pool of loaded models (live,
 * canary, shadows) that is swapped atomically when the endpoint or an alias it serves changes, a
 * traffic choice per request, contract validation, the model call, prediction ids, and the hand-off
 * to the prediction log. Protocol adapters only decode rows and encode the result.
 */
import { randomUUID } from 'node:crypto';
import {
  SlipwayError,
  type Endpoint,
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
import { ModelPool, type ServedModel, type ServingSet } from './model-pool.js';
import type { PredictionQueue } from './prediction-queue.js';
import { MicroBatcher } from './micro-batcher.js';
import type { ModelCallObserver } from './serving-metrics.js';
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

/** A loaded endpoint: its definition as loaded, what its references resolved to, and its pool. */
interface EndpointRuntime {
  endpoint: Endpoint;
  /** `name/version` of every model in the set, in a fixed order: equal keys mean nothing to swap. */
  key: string;
  pool: ModelPool;
}

const DEFAULT_REFRESH_MS = 2000;

/** Serves every endpoint of this process. */
export class ServingManager {
  private readonly runtimes = new Map<string, Promise<EndpointRuntime>>();
  private readonly refreshing = new Map<string, Promise<void>>();
  /** Micro-batchers per model and batching settings (one model call at a time, coalescing the rest). */
  private readonly batchers = new WeakMap<ServedModel['model'], Map<string, MicroBatcher>>();
  /** Compiled validators per model and wire layout (compiling per request would cost more than checking). */
  private readonly validators = new WeakMap<ServedModel['model'], Map<string, RowValidator>>();
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly random: () => number;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: ServingManagerDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID());
    const rng = Xoshiro128.fromSeed(deps.seed ?? Date.now());
    this.random = () => rng.nextFloat();
    const every = deps.refreshIntervalMs ?? DEFAULT_REFRESH_MS;
    this.timer = every > 0 ? setInterval(() => void this.refreshAll(), every) : undefined;
    this.timer?.unref();
  }

  /** Predicts with the endpoint's live or canary model; shadows run after the result is returned. */
  async predict(name: string, input: PredictInput): Promise<PredictResult> {
    const runtime = await this.runtime(name);
    const { set, release } = runtime.pool.acquire();
    let released = false;
    const done = (): void => {
      if (!released) release();
      released = true;
    };
    try {
      const canary = set.canary;
      const arm = chooseArm({
        canaryPercent: canary?.percent ?? 0,
        random: this.random,
        ...(input.routingKey === undefined ? {} : { routingKey: input.routingKey }),
      });
      const served = arm === 'canary' && canary !== undefined ? canary.model : set.live;
      const { warnings } = this.validatorOf(served, runtime.endpoint, input.source)(input.rows);
      const started = performance.now();
      const outputs = await this.callerOf(served, runtime.endpoint)(input.rows);
      const latencyMs = performance.now() - started;
      this.deps.observer?.modelCall(name, served.version, arm, input.rows.length, latencyMs / 1000);
      const predictionIds = input.rows.map(() => this.newId());
      const timestamp = this.now();
      this.deps.predictions.offer(
        input.rows.map((row, i) =>
          record(row, outputs[i] ?? {}, {
            predictionId: predictionIds[i] ?? '',
            endpoint: name,
            served,
            arm,
            input,
            timestamp,
            latencyMs,
          }),
        ),
      );
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
        setImmediate(() => void this.runShadows(name, set, input, predictionIds).finally(done));
      } else {
        done();
      }
      return result;
    } catch (error) {
      done();
      throw error;
    }
  }

  /** The endpoint's live model, loading the endpoint when needed (readiness and metadata). */
  async liveModel(name: string): Promise<ServedModel> {
    const runtime = await this.runtime(name);
    const { set, release } = runtime.pool.acquire();
    release();
    return set.live;
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
      this.runtimes.delete(name);
      return;
    }
    let endpoint: Endpoint;
    try {
      endpoint = await this.deps.endpoints.get(name);
    } catch (error) {
      if (error instanceof SlipwayError && error.code === 'NOT_FOUND') {
        this.runtimes.delete(name);
        await runtime.pool.close();
        return;
      }
      throw error;
    }
    const key = await this.resolvedKey(endpoint);
    if (key === runtime.key && endpoint.revision === runtime.endpoint.revision) return;
    const { retired } = await reloadPool(runtime.pool, endpoint, this.loaderDeps);
    runtime.endpoint = endpoint;
    runtime.key = key;
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
    await Promise.all(
      runtimes.map((r) => (r.status === 'fulfilled' ? r.value.pool.close() : Promise.resolve())),
    );
  }

  /** The loaded runtime of `name`, loading it once however many requests arrive together. */
  private runtime(name: string): Promise<EndpointRuntime> {
    if (this.closed) return Promise.reject(new SlipwayError('UNAVAILABLE', 'The server is shutting down'));
    let pending = this.runtimes.get(name);
    if (pending === undefined) {
      pending = this.loadRuntime(name);
      this.runtimes.set(name, pending);
      // A failed load (missing endpoint, broken model) is retried by the next request.
      pending.catch(() => this.runtimes.delete(name));
    }
    return pending;
  }

  private async loadRuntime(name: string): Promise<EndpointRuntime> {
    const endpoint = await this.deps.endpoints.get(name);
    const key = await this.resolvedKey(endpoint);
    const { set } = await loadServingSet(endpoint, this.loaderDeps);
    return { endpoint, key, pool: new ModelPool(set) };
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
    const key = `${endpoint.revision}|${source.field}|${source.layout}`;
    let validator = byLayout.get(key);
    if (validator === undefined) {
      validator = compileRowValidator(served.model.contract, {
        unknownCategories: endpoint.validation?.unknownCategories ?? 'reject',
        maxRows: maxRowsOf(endpoint),
        field: source.field,
        layout: source.layout,
      });
      byLayout.set(key, validator);
    }
    return validator;
  }

  /** How this endpoint calls `served`: directly, or through a micro-batcher when batching is on. */
  private callerOf(served: ServedModel, endpoint: Endpoint): (rows: InputRow[]) => Promise<OutputRow[]> {
    const settings = endpoint.batching;
    if (settings === undefined) return (rows) => served.model.predict(rows);
    let bySettings = this.batchers.get(served.model);
    if (bySettings === undefined) {
      bySettings = new Map();
      this.batchers.set(served.model, bySettings);
    }
    const key = JSON.stringify(settings);
    let batcher = bySettings.get(key);
    if (batcher === undefined) {
      batcher = new MicroBatcher(served.model, settings);
      bySettings.set(key, batcher);
    }
    const chosen = batcher;
    return (rows) => chosen.predict(rows);
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
        const outputs = await shadow.model.predict(input.rows);
        const latencyMs = performance.now() - started;
        this.deps.observer?.modelCall(name, shadow.version, 'shadow', input.rows.length, latencyMs / 1000);
        const timestamp = this.now();
        this.deps.predictions.offer(
          input.rows.map((row, i) => ({
            ...record(row, outputs[i] ?? {}, {
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

/** One prediction log record. */
function record(
  row: InputRow,
  output: OutputRow,
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
  return {
    predictionId: at.predictionId,
    endpoint: at.endpoint,
    modelName: at.served.name,
    modelVersion: at.served.version,
    arm: at.arm,
    protocol: at.input.protocol,
    timestamp: at.timestamp,
    latencyMs: at.latencyMs,
    requestId: at.input.requestId,
    input: { ...row },
    output,
  };
}
