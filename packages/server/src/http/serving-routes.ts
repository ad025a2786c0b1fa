/**
 * The serving data plane's Fastify routes: operations (`/healthz`, `/readyz`, `/metrics`) and the
 * Open Inference Protocol v2 health and metadata routes (`/v2/health/{live,ready}`,
 * `/v2/models/{name}[/ready]`, where the model name is the endpoint name). The predict routes are
 * in data-plane.ts, in front of Fastify; `dataPlaneServer` puts them there.
 */
import http from 'node:http';
import { httpStatusForCode } from '@slipway/contracts';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';
import { createDataPlane, type DataPlaneOptions } from './data-plane.js';
import { toSlipwayError } from './error-mapping.js';
import { buildOipModelMetadata } from '../serving/protocols/oip-v2.js';
import type { ServingManager } from '../serving/serving-manager.js';
import type { PredictionQueueStats } from '../serving/prediction-queue.js';
import type { ServingMetrics } from '../serving/serving-metrics.js';

/** Options of the data plane. */
export interface ServingRouteOptions {
  /** The endpoint `POST /invocations` and the OIP health checks refer to (a `slipway serve --endpoint` process). */
  defaultEndpoint?: string;
  /** Request metrics, rendered at `GET /metrics`. */
  metrics?: ServingMetrics;
  /** The prediction log's counters: a failing log store makes `/readyz` fail (data is being held back). */
  predictionLog?: () => PredictionQueueStats;
}

interface NameParams {
  name: string;
}

/**
 * Registers the data plane's read routes: `/healthz`, `/readyz`, `/metrics` and the OIP health and
 * metadata routes. The predict routes of every protocol are served by the data plane in front of
 * Fastify (data-plane.ts).
 */
export function registerServingRoutes(
  app: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions = {},
): void {
  registerOperations(app, manager, options);
  void app.register(async (oip) => registerOipRoutes(oip, manager, options));
}

/** Open Inference Protocol v2 routes; errors are `{ "error": message }` as the protocol says. */
function registerOipRoutes(
  oip: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions,
): void {
  oip.setErrorHandler((err, _request, reply) => {
    const e = toSlipwayError(err);
    void reply.status(httpStatusForCode(e.code)).send({ error: e.message });
  });
  oip.get('/v2/health/live', async () => ({ live: true }));
  oip.get('/v2/health/ready', async (_request, reply) => {
    const name = options.defaultEndpoint;
    const ready = name === undefined || manager.isLoaded(name);
    void reply.status(ready ? 200 : 503);
    return { ready };
  });
  oip.get<{ Params: NameParams }>('/v2/models/:name', async (request) => {
    const live = await manager.liveModel(request.params.name);
    return buildOipModelMetadata(request.params.name, [live.version], live.model.contract);
  });
  oip.get<{ Params: NameParams }>('/v2/models/:name/ready', async (request) => {
    await manager.liveModel(request.params.name);
    return { name: request.params.name, ready: true };
  });
  // A published API version is an OIP model version: its metadata is the published contract.
  oip.get<{ Params: NameParams & { api: string } }>('/v2/models/:name/versions/:api', async (request) => {
    const { name, api } = request.params;
    const published = await manager.apiVersion(name, api);
    return buildOipModelMetadata(name, [published.name], published.contract);
  });
  oip.get<{ Params: NameParams & { api: string } }>(
    '/v2/models/:name/versions/:api/ready',
    async (request) => {
      const { name, api } = request.params;
      await manager.apiVersion(name, api);
      return { name, ready: true };
    },
  );
}

/** `/healthz` (the process answers), `/readyz` (it can serve now) and `/metrics` (Prometheus). */
function registerOperations(
  app: FastifyInstance,
  manager: ServingManager,
  options: ServingRouteOptions,
): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const name = options.defaultEndpoint;
    const log = options.predictionLog?.();
    const logFailing = log?.failing === true;
    const ready =
      manager.acceptingRequests() && (name === undefined || manager.isLoaded(name)) && !logFailing;
    void reply.status(ready ? 200 : 503);
    // A broken or full log store is said, not hidden: predictions queue (then drop, counted) meanwhile.
    return logFailing
      ? { ready, predictionLog: { failing: true, lastError: log?.lastError ?? '' } }
      : { ready };
  });
  const metrics = options.metrics;
  if (metrics !== undefined) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      void reply.header('content-type', contentType);
      return body;
    });
  }
}

/**
 * A Fastify server factory whose `node:http` server offers each request to the data plane first and
 * hands the rest to Fastify. The server gets Fastify's own timeouts, as Fastify would set them.
 */
export function dataPlaneServer(manager: ServingManager, options: DataPlaneOptions): FastifyServerFactory {
  const dataPlane = createDataPlane(manager, options);
  return (fastifyHandler, fastifyOptions) => {
    const server = http.createServer(fastifyOptions.http ?? {}, (request, response) => {
      if (!dataPlane(request, response)) fastifyHandler(request, response);
    });
    const { keepAliveTimeout, requestTimeout, connectionTimeout } = fastifyOptions;
    if (typeof keepAliveTimeout === 'number') server.keepAliveTimeout = keepAliveTimeout;
    if (typeof requestTimeout === 'number') server.requestTimeout = requestTimeout;
    if (typeof connectionTimeout === 'number') server.setTimeout(connectionTimeout);
    return server;
  };
}
