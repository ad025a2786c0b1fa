#!/usr/bin/env node
/**
 * Composition root: config → stores (chosen by URI scheme) → services → app → listen.
 * Also the `slipway` executable: running this file runs the CLI.
 */
import { realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { SlipwayConfig } from './config.js';
import { BaselineService } from './evaluation/baseline-service.js';
import type { EvaluationRouteServices } from './evaluation/evaluation-routes.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { PromotionService } from './evaluation/promotion.js';
import { buildApp, type ServingServices } from './http/app.js';
import { DuckDbDatasetReader } from './storage/datasets/duckdb-dataset-reader.js';
import type { ArtifactStore } from './tracking/artifact-store.js';
import { RegistryService } from './registry/registry-service.js';
import { WebhookDispatcher } from './registry/webhook-dispatcher.js';
import { WebhookService } from './registry/webhook-service.js';
import { openArtifactStore, openMetadataStores, type MetadataStores } from './storage/open-stores.js';
import { EndpointService } from './serving/endpoint-service.js';
import { PredictionQueue } from './serving/prediction-queue.js';
import { ServingManager } from './serving/serving-manager.js';
import { ServingMetrics } from './serving/serving-metrics.js';
import { DuckDbPredictionSink } from './storage/predictions/duckdb-prediction-sink.js';
import { RunArtifacts } from './tracking/run-artifacts.js';
import { TrackingService } from './tracking/tracking-service.js';
import { runCli } from './cli/program.js';

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
  const registry = new RegistryService({
    store: stores.registry,
    tracking,
    artifacts,
    onEvent: () => {
      notify();
      onRegistryEvent();
    },
  });
  const webhooks = new WebhookService({ store: stores.webhooks, onRedeliver: notify });
  const evaluation = evaluationServices({ stores, registry, tracking, artifacts, runArtifacts });
  const serving = await servingServices(config, stores, registry);
  onRegistryEvent = () => void serving.manager.refreshAll();
  const app = await buildApp(
    { tracking, artifacts, runArtifacts, registry, webhooks, evaluation, serving },
    { logLevel: config.logLevel },
  );
  dispatcher.start();
  return {
    app,
    async close() {
      // Stop taking requests, let in-flight ones finish, then flush what they logged.
      await app.close();
      await serving.manager.close();
      await serving.predictions.close();
      await dispatcher.stop();
      await stores.close();
    },
  };
}

/** The serving stage: endpoints, the data-plane manager and the prediction log queue. */
async function servingServices(
  config: SlipwayConfig,
  stores: MetadataStores,
  registry: RegistryService,
): Promise<ServingServices> {
  const sink = await DuckDbPredictionSink.open(join(config.dataDir, 'predictions.duckdb'));
  const predictions = new PredictionQueue(sink, {
    onWriteError: (err) =>
      console.error('prediction log write failed:', err instanceof Error ? err.message : err),
  });
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
  return { endpoints, manager, predictions, routes: { metrics } };
}

/** The evaluation stage's services, on the shared stores. */
function evaluationServices(parts: {
  stores: MetadataStores;
  registry: RegistryService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  runArtifacts: RunArtifacts;
}): EvaluationRouteServices {
  const { stores, ...shared } = parts;
  const evaluations = new EvaluationService({
    ...shared,
    store: stores.evaluations,
    datasets: new DuckDbDatasetReader(),
  });
  const baselines = new BaselineService({
    registry: shared.registry,
    tracking: shared.tracking,
    runArtifacts: shared.runArtifacts,
    datasets: evaluations.datasetDeps,
  });
  return { evaluations, promotions: new PromotionService(evaluations), baselines };
}

/** A platform listening on a socket. */
export interface RunningPlatform extends Platform {
  url: string;
}

/** Builds the platform and listens on the configured host and port. */
export async function startPlatform(config: SlipwayConfig): Promise<RunningPlatform> {
  const platform = await createPlatform(config);
  await platform.app.listen({ host: config.host, port: config.port });
  const address = platform.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { ...platform, url: `http://${host}:${port}` };
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

if (isEntryPoint()) {
  runCli(process.argv, { startPlatform }).then(
    (code) => {
      if (code !== undefined) process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 1;
    },
  );
}
