#!/usr/bin/env node
/**
 * Composition root: config → stores (chosen by URI scheme) → services → app → listen.
 * Also the `slipway` executable: running this file runs the CLI.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import type { SlipwayConfig } from './config.js';
import { BaselineService } from './evaluation/baseline-service.js';
import type { EvaluationRouteServices } from './evaluation/evaluation-routes.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { PromotionService } from './evaluation/promotion.js';
import { buildApp } from './http/app.js';
import { DuckDbDatasetReader } from './storage/datasets/duckdb-dataset-reader.js';
import type { ArtifactStore } from './tracking/artifact-store.js';
import { RegistryService } from './registry/registry-service.js';
import { WebhookDispatcher } from './registry/webhook-dispatcher.js';
import { WebhookService } from './registry/webhook-service.js';
import { openArtifactStore, openMetadataStores, type MetadataStores } from './storage/open-stores.js';
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
  const registry = new RegistryService({ store: stores.registry, tracking, artifacts, onEvent: notify });
  const webhooks = new WebhookService({ store: stores.webhooks, onRedeliver: notify });
  const evaluation = evaluationServices({ stores, registry, tracking, artifacts, runArtifacts });
  const app = await buildApp(
    { tracking, artifacts, runArtifacts, registry, webhooks, evaluation },
    { logLevel: config.logLevel },
  );
  dispatcher.start();
  return {
    app,
    async close() {
      await app.close();
      await dispatcher.stop();
      await stores.close();
    },
  };
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
