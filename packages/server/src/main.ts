#!/usr/bin/env node
/**
 * Composition root: config → stores (chosen by URI scheme) → services → app → listen.
 * Also the `slipway` executable: running this file runs the CLI.
 */
import { realpathSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { SlipwayError, definedFields, type Endpoint, type Evaluation } from '@slipway/contracts';
import type { SlipwayConfig } from './config.js';
import { BaselineService } from './evaluation/baseline-service.js';
import type { EvaluationRouteServices } from './evaluation/evaluation-routes.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { PromotionService } from './evaluation/promotion.js';
import { buildApp, servingServerFactory, type ServingServices } from './http/app.js';
import { InFlightRequests, trackInFlight } from './http/in-flight.js';
import { nativeErrorResponse } from './http/error-mapping.js';
import { registerServingRoutes } from './http/serving-routes.js';
import { DuckDbDatasetReader } from './storage/datasets/duckdb-dataset-reader.js';
import type { ArtifactStore } from './tracking/artifact-store.js';
import { RegistryService } from './registry/registry-service.js';
import { WebhookDispatcher } from './registry/webhook-dispatcher.js';
import { WebhookService } from './registry/webhook-service.js';
import { openArtifactStore, openMetadataStores, type MetadataStores } from './storage/open-stores.js';
import { EndpointService } from './serving/endpoint-service.js';
import { DISABLED_PREDICTION_LOG, PredictionQueue, type PredictionLog } from './serving/prediction-queue.js';
import { startRetention } from './predictions/retention.js';
import { ServingManager } from './serving/serving-manager.js';
import { ServingMetrics } from './serving/serving-metrics.js';
import { DuckDbPredictionStore } from './storage/predictions/duckdb-prediction-store.js';
import { PredictionService } from './predictions/prediction-service.js';
import type { PredictionStore } from './predictions/prediction-store.js';
import { RunArtifacts } from './tracking/run-artifacts.js';
import { TrackingService } from './tracking/tracking-service.js';
import { runCli } from './cli/program.js';
import { openJobStage, type JobStageEvaluation, type JobStageMonitoring } from './job-stage.js';
import { catalogWithLease } from './jobs/job-catalog.js';
import type { EvaluatedData } from './evaluation/evaluation-service.js';
import { alertDispatcher, type SubmitDelivery } from './monitoring/alert-channels.js';
import type { WindowSource } from './monitoring/monitor-run.js';
import { MonitorService } from './monitoring/monitor-service.js';
import { RegistrationProfiler } from './monitoring/registration-profile.js';
import { monitorScheduleTick } from './monitoring/monitor-scheduler.js';
import { modelId } from './registry/version-loader.js';

/** A composed platform: the app plus a way to release every resource it holds. */
export interface Platform {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Builds the platform from a config without listening (tests use this in-process). */
export async function createPlatform(config: SlipwayConfig): Promise<Platform> {
  const stores = await openMetadataStores(config.backendStoreUri);
  const artifacts = await openArtifactStore(config.artifactsUri, { s3: config.s3 });
  const tracking = new TrackingService({
    store: stores.tracking,
    defaultArtifactLocation: (id) => `mlflow-artifacts:/${id}`,
  });
  const runArtifacts = new RunArtifacts(tracking, artifacts);
  const dispatcher = new WebhookDispatcher({
    registryEvents: stores.registry,
    webhooks: stores.webhooks,
    onError: (err) => console.error('webhook dispatch failed:', err instanceof Error ? err.message : err),
  });
  const notify = (): void => dispatcher.notify();
  // Serving reacts to registry writes in this process at once; other processes' moves by polling.
  let onRegistryEvent = (): void => undefined;
  // Monitoring and evaluation know each other (evaluations leave reference profiles, the performance
  // check reads the reference version's evaluation), and registration leaves one too.
  const late: {
    monitors?: MonitorService;
    profiler?: RegistrationProfiler;
    submitDelivery?: SubmitDelivery;
  } = {};
  const registry = new RegistryService({
    store: stores.registry,
    tracking,
    artifacts,
    onEvent: () => {
      notify();
      onRegistryEvent();
    },
    onVersionCreated: (version) => late.profiler?.capture(version),
  });
  const webhooks = new WebhookService({ store: stores.webhooks, onRedeliver: notify });
  const evaluation = evaluationServices({
    stores,
    registry,
    tracking,
    artifacts,
    runArtifacts,
    onEvaluated: async ({ candidates, rows, columns }) =>
      late.monitors?.captureFromEvaluation(candidates, rows, columns),
  });
  const { services: serving, store: predictionStore } = await servingServices(config, stores, registry);
  onRegistryEvent = () => void serving.manager.refreshAll();
  const monitors = monitorService({
    stores,
    registry,
    log: serving.log,
    evaluations: evaluation.evaluations,
    submitDelivery: (payload) => lateSubmit(late.submitDelivery, payload),
  });
  late.monitors = monitors;
  late.profiler = new RegistrationProfiler({
    tracking,
    datasets: evaluation.evaluations.datasetDeps,
    references: monitors,
    log: (line) => console.error(line),
  });
  const jobs = await openJobStage({
    stores,
    registry,
    queueUri: config.queueUri,
    batchMemory: config.batchMemory,
    workers: config.workers,
    workerId: `${hostname()}:${process.pid}:server`,
    monitoring: monitoringForJobs(monitors, true),
    evaluation: evaluationForJobs(evaluation.evaluations),
    ...catalogOf(config),
    ...(predictionStore === undefined ? {} : { predictions: predictionStore }),
  });
  late.submitDelivery = (payload) => jobs.service.submitWebhookDelivery(payload);
  // Scheduled runs go through the job runner's `monitors` queue, like any other job.
  jobs.schedule({
    monitor_run: monitorScheduleTick({
      store: stores.monitoring,
      run: (monitor) => jobs.service.submitMonitorRun(monitor.id),
      onError: (err) => console.error('monitor scheduling failed:', err instanceof Error ? err.message : err),
    }),
  });
  const inFlight = new InFlightRequests();
  const app = await buildApp(
    {
      tracking,
      artifacts,
      runArtifacts,
      registry,
      webhooks,
      evaluation,
      serving,
      jobs: jobs.service,
      monitors,
    },
    { logLevel: config.logLevel, inFlight, uiDir: config.uiDir ?? BUNDLED_UI_DIR },
  );
  dispatcher.start();
  return {
    app,
    async close() {
      // Let responses in flight finish sending, stop taking requests, then flush what they logged.
      await inFlight.drain(DRAIN_TIMEOUT_MS);
      await app.close();
      // The scheduler stops first, then jobs in flight stop at their next chunk and log what they scored before the log closes.
      await jobs.close();
      await serving.manager.close();
      await serving.predictions.close();
      await dispatcher.stop();
      await late.profiler?.drain();
      await stores.close();
    },
  };
}

/** Queues a delivery through a job service built after the monitoring that needs it. */
function lateSubmit(
  submit: SubmitDelivery | undefined,
  payload: Parameters<SubmitDelivery>[0],
): ReturnType<SubmitDelivery> {
  if (submit === undefined) throw new SlipwayError('UNAVAILABLE', 'The job runner is not started yet.');
  return submit(payload);
}

/** The evaluation service as the job runner sees it. */
function evaluationForJobs(evaluations: EvaluationService): JobStageEvaluation {
  return {
    pin: (request) => evaluations.pin(request),
    evaluate: (request, actor, id) => evaluations.evaluate(request, actor, id),
    find: (id) => evaluations.find(id),
  };
}

/** The job catalog with the operator's lease, when one is configured. */
function catalogOf(config: SlipwayConfig): { catalog?: ReturnType<typeof catalogWithLease> } {
  return config.jobLeaseMs === undefined ? {} : { catalog: catalogWithLease(config.jobLeaseMs) };
}

/** A job worker process (`slipway worker`). */
export interface WorkerProcess {
  workerId: string;
  close(): Promise<void>;
}

/**
 * Starts a job worker: the platform's stores, the registry (read-only, aliases resolved afresh),
 * the prediction log batch jobs write to, and a runner taking `config.workers` deliveries at once
 * from the configured queue.
 */
export async function startWorker(
  config: SlipwayConfig,
  options: { workerId: string },
): Promise<WorkerProcess> {
  const shared = await openSharedStores(config);
  try {
    let predictions: PredictionStore | undefined;
    if (config.predictionLog) {
      await mkdir(config.dataDir, { recursive: true });
      predictions = shared.keep(
        await openPredictionStore(
          config.predictionLogUri,
          join(config.dataDir, `predictions-worker-${process.pid}.duckdb`),
          config.predictionLogMemory,
        ),
      );
    }
    const late: { submitDelivery?: SubmitDelivery } = {};
    const submitDelivery: SubmitDelivery = (payload) => lateSubmit(late.submitDelivery, payload);
    const { monitors, runsHere } = workerMonitors(config, shared, predictions, submitDelivery);
    const evaluations = evaluationServices({
      stores: shared.stores,
      registry: shared.registry,
      tracking: shared.tracking,
      artifacts: shared.artifacts,
      runArtifacts: new RunArtifacts(shared.tracking, shared.artifacts),
      onEvaluated: ({ candidates, rows, columns }: EvaluatedData) =>
        monitors.captureFromEvaluation(candidates, rows, columns),
    }).evaluations;
    const jobs = shared.keep(
      await openJobStage({
        stores: shared.stores,
        registry: shared.registry,
        queueUri: config.queueUri,
        batchMemory: config.batchMemory,
        workers: config.workers,
        workerId: options.workerId,
        evaluation: evaluationForJobs(evaluations),
        monitoring: monitoringForJobs(monitors, runsHere),
        ...catalogOf(config),
        ...(predictions === undefined ? {} : { predictions }),
      }),
    );
    late.submitDelivery = (payload) => jobs.service.submitWebhookDelivery(payload);
    return { workerId: options.workerId, close: () => shared.close() };
  } catch (err) {
    await shared.close().catch(() => undefined);
    throw err;
  }
}

/**
 * Monitoring in a worker: evaluations it runs keep their reference profiles as the platform's do,
 * but it takes monitor runs (`runsHere`) only when its prediction log is the shared PostgreSQL one:
 * over a DuckDB file of its own it would compute monitors on data the platform never sees.
 */
function workerMonitors(
  config: SlipwayConfig,
  shared: SharedStores,
  predictions: PredictionStore | undefined,
  submitDelivery: SubmitDelivery,
): { monitors: MonitorService; runsHere: boolean } {
  const sharedLog = /^postgres(ql)?:/.test(config.predictionLogUri ?? '');
  const { stores, registry } = shared;
  const endpoints = new EndpointService({ store: stores.endpoints, registry });
  const monitors = monitorService({
    stores,
    registry,
    log: new PredictionService({ store: predictions, endpoints, models: registry }),
    evaluations: { list: (query) => stores.evaluations.listEvaluations(query) },
    submitDelivery,
  });
  return { monitors, runsHere: sharedLog && predictions !== undefined };
}

/** The platform's stores as a process other than the platform sees them, closed in reverse order. */
interface SharedStores {
  stores: MetadataStores;
  /** Resolves aliases afresh on every call: other processes move them. */
  registry: RegistryService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  /** Adds a resource to close (before the ones opened earlier). */
  keep<T extends { close(): Promise<void> }>(resource: T): T;
  close(): Promise<void>;
}

/** Opens the metadata and artifact stores and a registry for a serving or worker process. */
async function openSharedStores(config: SlipwayConfig): Promise<SharedStores> {
  const stores = await openMetadataStores(config.backendStoreUri);
  const opened: { close(): Promise<void> }[] = [stores];
  const close = async (): Promise<void> => {
    for (const resource of opened.splice(0).reverse()) await resource.close();
  };
  try {
    const artifacts = await openArtifactStore(config.artifactsUri, { s3: config.s3 });
    const tracking = new TrackingService({
      store: stores.tracking,
      defaultArtifactLocation: (id) => `mlflow-artifacts:/${id}`,
    });
    const registry = new RegistryService({ store: stores.registry, tracking, artifacts, aliasCacheTtlMs: 0 });
    return {
      stores,
      registry,
      tracking,
      artifacts,
      keep: (resource) => {
        opened.push(resource);
        return resource;
      },
      close,
    };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

/** Where the serving stage logs and how its data-plane routes behave; the platform's defaults when absent. */
interface ServingStageOptions {
  /** The prediction log's DuckDB file (default `<data-dir>/predictions.duckdb`). */
  predictionsFile?: string;
  /** The endpoint `POST /invocations` and `/v2/health/ready` refer to (a `slipway serve` process). */
  defaultEndpoint?: string;
}

/** The serving stage: endpoints, the data-plane manager and the prediction log queue. */
async function servingServices(
  config: SlipwayConfig,
  stores: MetadataStores,
  registry: RegistryService,
  options: ServingStageOptions = {},
): Promise<{ services: ServingServices; store: PredictionStore | undefined }> {
  const store = config.predictionLog
    ? await openPredictionStore(
        config.predictionLogUri,
        options.predictionsFile ?? join(config.dataDir, 'predictions.duckdb'),
        config.predictionLogMemory,
      )
    : undefined;
  const predictions =
    store === undefined
      ? DISABLED_PREDICTION_LOG
      : withRetention(
          new PredictionQueue(store, {
            onWriteError: (err) =>
              console.error('prediction log write failed:', err instanceof Error ? err.message : err),
          }),
          store,
          config.predictionRetentionMs,
        );
  // The service and the manager know each other: changes reload the endpoint before the API answers.
  const late: { manager?: ServingManager } = {};
  const endpoints = new EndpointService({
    store: stores.endpoints,
    registry,
    onChange: (name) =>
      late.manager?.refresh(name).catch((err: unknown) => {
        console.error(`reloading endpoint ${name} failed:`, err instanceof Error ? err.message : err);
      }),
  });
  const metrics = new ServingMetrics(() => predictions.stats());
  const manager = new ServingManager({ endpoints, registry, predictions, observer: metrics });
  late.manager = manager;
  const services: ServingServices = {
    endpoints,
    manager,
    predictions,
    log: new PredictionService({ store, endpoints, models: registry }),
    routes: {
      metrics,
      predictionLog: () => predictions.stats(),
      ...definedFields({ defaultEndpoint: options.defaultEndpoint }),
    },
  };
  return { services, store };
}

/**
 * The queue with the log's retention (when configured) started beside it and stopped before it
 * closes, so no sweep reaches a closed store.
 */
function withRetention(
  queue: PredictionQueue,
  store: PredictionStore,
  retentionMs: number | undefined,
): PredictionLog {
  if (retentionMs === undefined) return queue;
  const retention = startRetention({
    store,
    retentionMs,
    onSweep: (outcome) => {
      if ('error' in outcome) {
        const error = outcome.error;
        console.error('prediction log retention failed:', error instanceof Error ? error.message : error);
      }
    },
  });
  return {
    offer: (records) => queue.offer(records),
    stats: () => queue.stats(),
    flush: () => queue.flush(),
    close: async () => {
      retention.stop();
      await queue.close();
    },
  };
}

/**
 * The prediction log a URI names: `postgresql://...` (its `schema` query parameter, default
 * `public`, is Slipway's, not the driver's), `duckdb:<file>`, or without a URI the process's own
 * DuckDB file. The PostgreSQL driver loads only when used.
 */
async function openPredictionStore(
  uri: string | undefined,
  defaultFile: string,
  memoryLimit: string | undefined,
): Promise<PredictionStore> {
  const options = memoryLimit === undefined ? {} : { memoryLimit };
  if (uri === undefined) return DuckDbPredictionStore.openInWorker(defaultFile, options);
  if (uri.startsWith('duckdb:'))
    return DuckDbPredictionStore.openInWorker(uri.slice('duckdb:'.length) || defaultFile, options);
  const url = new URL(uri);
  const schema = url.searchParams.get('schema') ?? 'public';
  url.searchParams.delete('schema');
  const { PostgresPredictionStore } = await import('./storage/predictions/postgres-prediction-store.js');
  return PostgresPredictionStore.open({ connectionString: url.toString(), schema });
}

/** The monitoring stage as the job runner sees it. */
function monitoringForJobs(monitors: MonitorService, runsHere: boolean): JobStageMonitoring {
  return {
    monitorId: async (idOrName) => (await monitors.get(idOrName)).id,
    run: (monitorId) => monitors.run(monitorId),
    getRun: (runId) => monitors.getRun(runId),
    runsHere,
  };
}

/** Monitoring over the prediction log, with alerts sent to each rule's channels. */
function monitorService(parts: {
  stores: MetadataStores;
  registry: RegistryService;
  log: WindowSource & Pick<PredictionService, 'checkLogName'>;
  /** The stored evaluations of a model version, newest first. */
  evaluations: { list(query: { model: string; version: string; limit: number }): Promise<Evaluation[]> };
  /** Queues a webhook notification as a `webhook_delivery` job. */
  submitDelivery: SubmitDelivery;
}): MonitorService {
  const { stores, registry, log, evaluations } = parts;
  return new MonitorService({
    store: stores.monitoring,
    log,
    notify: alertDispatcher({ submit: parts.submitDelivery }),
    onNotifyError: (err) =>
      console.error(
        'alert notification could not be queued (sent again at the next run):',
        err instanceof Error ? err.message : err,
      ),
    checkLogName: (name) => log.checkLogName(name),
    checkVersion: async (model, version) => {
      await registry.getModelVersion(model, version);
    },
    referenceMetric: async (monitor) => {
      const metric = monitor.checks.performance?.metric;
      if (metric === undefined) return {};
      const { model, version } = monitor.reference;
      const [latest] = await evaluations.list({ model, version, limit: 1 });
      const metricOf = (id: string | undefined): number | undefined => {
        const value = latest?.report.models.find((m) => m.id === id)?.metrics[metric];
        return typeof value === 'number' ? value : undefined;
      };
      const value = metricOf(modelId(model, version));
      const baselineId = latest?.models.find((m) => m.role === 'baseline')?.id;
      const baselineValue = metricOf(baselineId);
      return {
        ...(value === undefined ? {} : { value }),
        ...(baselineId === undefined || baselineValue === undefined
          ? {}
          : { baseline: { value: baselineValue, model: baselineId } }),
      };
    },
  });
}

/** The evaluation stage's services, on the shared stores. */
function evaluationServices(parts: {
  stores: MetadataStores;
  registry: RegistryService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  runArtifacts: RunArtifacts;
  onEvaluated?: (evaluated: EvaluatedData) => Promise<void>;
}): EvaluationRouteServices {
  const { stores, ...shared } = parts;
  const evaluations = new EvaluationService({
    ...shared,
    store: stores.evaluations,
    datasets: new DuckDbDatasetReader(),
    onHookError: (err) =>
      console.error('keeping the reference profile failed:', err instanceof Error ? err.message : err),
  });
  const baselines = new BaselineService({
    registry: shared.registry,
    tracking: shared.tracking,
    runArtifacts: shared.runArtifacts,
    datasets: evaluations.datasetDeps,
  });
  return { evaluations, promotions: new PromotionService(evaluations), baselines };
}

/** Options of a single-endpoint serving process. */
export interface ServingPlatformOptions {
  /** The endpoint this process serves (loaded at start; `POST /invocations` refers to it). */
  endpoint: string;
  /**
   * The prediction log's DuckDB file. DuckDB allows one writer process per file, so a serving
   * process must not share the platform's `<data-dir>/predictions.duckdb`; the CLI defaults to
   * `<data-dir>/predictions-serve-<endpoint>.duckdb` (replicas of one endpoint need distinct files).
   */
  predictionsFile: string;
}

/** A serving process: the data plane of one endpoint, reading endpoints and the registry from the shared stores. */
export interface ServingPlatform extends Platform {
  /** The endpoint's definition as loaded at start. */
  endpoint: Endpoint;
  /** The live model version it served at start. */
  live: { name: string; version: string };
}

/**
 * Builds a stateless serving process for one endpoint (the `slipway serve` process): the metadata
 * and artifact stores, the registry (read-only here: no webhooks), endpoints, the serving manager
 * and the prediction log, and an app with only the data-plane routes and `/health`. The endpoint is
 * loaded before this resolves, so a missing endpoint or a model that does not load fails at start;
 * afterwards the manager polls (every 2 s) for endpoint changes and alias moves made elsewhere.
 */
export async function createServingPlatform(
  config: SlipwayConfig,
  options: ServingPlatformOptions,
): Promise<ServingPlatform> {
  const shared = await openSharedStores(config);
  try {
    await mkdir(dirname(options.predictionsFile), { recursive: true });
    const { stores, registry } = shared;
    const { services: serving } = await servingServices(config, stores, registry, {
      predictionsFile: options.predictionsFile,
      defaultEndpoint: options.endpoint,
    });
    shared.keep(serving.predictions);
    shared.keep(serving.manager);
    const endpoint = await serving.endpoints.get(options.endpoint).catch((err: unknown) => {
      if (err instanceof SlipwayError && err.code === 'NOT_FOUND') {
        throw new SlipwayError(
          'NOT_FOUND',
          `Endpoint '${options.endpoint}' does not exist in ${config.backendStoreUri}; create it first ` +
            '(slipway endpoints create).',
        );
      }
      throw err;
    });
    const live = await serving.manager.liveModel(options.endpoint);
    const inFlight = new InFlightRequests();
    const app = await servingApp(serving, config, inFlight);
    return {
      app,
      endpoint,
      live: { name: live.name, version: live.version },
      async close() {
        // Let responses in flight finish sending (later ones close their connection), stop
        // listening, then release the models and flush what the requests logged.
        await inFlight.drain(DRAIN_TIMEOUT_MS);
        await app.close();
        await shared.close();
      },
    };
  } catch (err) {
    await shared.close().catch(() => undefined);
    throw err;
  }
}

/** The app of a serving process: `/health` and the data plane, errors in the native shape. */
async function servingApp(
  serving: ServingServices,
  config: SlipwayConfig,
  inFlight: InFlightRequests,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger: config.logLevel ? { level: config.logLevel } : false,
    bodyLimit: SERVING_BODY_LIMIT,
    serverFactory: servingServerFactory(serving, SERVING_BODY_LIMIT, inFlight),
  });
  trackInFlight(app, inFlight);
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = nativeErrorResponse(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `No route for ${request.method} ${request.url}` },
    });
  });
  app.get('/health', async () => ({ status: 'ok' }));
  registerServingRoutes(app, serving.manager, serving.routes);
  await app.ready();
  return app;
}

/** The web UI's build in this repository (`packages/ui/dist`), from `src/` and `dist/` alike. */
const BUNDLED_UI_DIR = fileURLToPath(new URL('../../ui/dist', import.meta.url));

/** Longest a closing process waits for responses to finish sending. */
const DRAIN_TIMEOUT_MS = 30_000;

/** Largest predict body a serving process accepts (the platform app's JSON limit). */
const SERVING_BODY_LIMIT = 16 * 1024 * 1024;

/** A serving process listening on a socket. */
export interface RunningServingPlatform extends ServingPlatform {
  url: string;
}

/** Builds a serving process and listens on the configured host and port. */
export async function startServingPlatform(
  config: SlipwayConfig,
  options: ServingPlatformOptions,
): Promise<RunningServingPlatform> {
  const platform = await createServingPlatform(config, options);
  try {
    await platform.app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await platform.close().catch(() => undefined);
    throw err;
  }
  return { ...platform, url: urlOf(platform.app, config) };
}

/** A platform listening on a socket. */
export interface RunningPlatform extends Platform {
  url: string;
}

/** Builds the platform and listens on the configured host and port. */
export async function startPlatform(config: SlipwayConfig): Promise<RunningPlatform> {
  const platform = await createPlatform(config);
  await platform.app.listen({ host: config.host, port: config.port });
  return { ...platform, url: urlOf(platform.app, config) };
}

/** The URL a listening app is reached at. */
function urlOf(app: FastifyInstance, config: SlipwayConfig): string {
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return `http://${host}:${port}`;
}

function isEntryPoint(): boolean {
  const argv1 = process.argv[1];
  if (!argv1) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** Runs the `slipway` CLI on `argv` as the process's command, setting its exit code. */
export function runAsCommand(argv: string[]): void {
  runCli(argv, { startPlatform, startWorker }).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}

if (isEntryPoint()) runAsCommand(process.argv);
