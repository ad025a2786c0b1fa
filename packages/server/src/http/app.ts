/**
 * Builds the Fastify application without listening, so tests drive it in-process with `inject` or
 * over a real socket. Route modules are thin: parse, call a service, shape the response.
 */
import Fastify, { type FastifyInstance, type FastifyServerFactory } from 'fastify';
import { registerEvaluationRoutes, type EvaluationRouteServices } from '../evaluation/evaluation-routes.js';
import { registerRegistryRoutes } from '../registry/registry-routes.js';
import type { RegistryService } from '../registry/registry-service.js';
import { registerWebhookRoutes } from '../registry/webhook-routes.js';
import type { WebhookService } from '../registry/webhook-service.js';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import type { RunArtifacts } from '../tracking/run-artifacts.js';
import type { TrackingService } from '../tracking/tracking-service.js';
import { registerTrackingRoutes } from '../tracking/tracking-routes.js';
import { schemaValidationError, withNativeFieldNames } from '../tracking/tracking-routes-support.js';
import { registerMlflowCompat } from './compat/mlflow/mlflow-compat.js';
import { nativeErrorResponse } from './error-mapping.js';
import { trackInFlight, type InFlightRequests } from './in-flight.js';
import { registerOpenApi } from './openapi.js';
import { registerUi, type UiFallback } from './ui-routes.js';
import { dataPlaneServer, registerServingRoutes, type ServingRouteOptions } from './serving-routes.js';
import { registerEndpointRoutes } from '../serving/endpoint-routes.js';
import type { EndpointService } from '../serving/endpoint-service.js';
import type { PredictionLog } from '../serving/prediction-queue.js';
import { registerLabelRoutes, registerPredictionQueryRoutes } from '../predictions/prediction-routes.js';
import type { PredictionService } from '../predictions/prediction-service.js';
import type { ServingManager } from '../serving/serving-manager.js';
import { registerJobRoutes } from '../jobs/job-routes.js';
import { registerMonitoringRoutes } from '../monitoring/monitoring-routes.js';
import type { MonitorService } from '../monitoring/monitor-service.js';
import type { JobService } from '../jobs/job-service.js';

/** Services and stores the HTTP layer exposes. */
export interface AppServices {
  tracking: TrackingService;
  /** The raw artifact store: MLflow's proxied-artifact API is path-based, not run-based. */
  artifacts: ArtifactStore;
  runArtifacts: RunArtifacts;
  registry: RegistryService;
  webhooks: WebhookService;
  /** Evaluations, policies, promotion and baselines; absent in tests that only need tracking. */
  evaluation?: EvaluationRouteServices;
  /** Endpoints and the serving data plane; absent in tests that only need tracking. */
  serving?: ServingServices;
  /** Batch scoring and other jobs; absent in tests that only need tracking. */
  jobs?: JobService;
  /** Monitors, their runs and alerts; absent in tests that only need tracking. */
  monitors?: MonitorService;
}

/** The serving stage as the HTTP layer sees it. */
export interface ServingServices {
  endpoints: EndpointService;
  manager: ServingManager;
  predictions: PredictionLog;
  /** Labels in and the joined log out (the prediction log's use cases). */
  log: PredictionService;
  /** Options of the data-plane routes (the default endpoint of a single-endpoint process). */
  routes?: ServingRouteOptions;
}

/** HTTP options. */
export interface AppOptions {
  /** Pino log level, or false to disable request logging (the default: logging costs throughput). */
  logLevel?: string | false;
  /** Tracks responses in flight so shutdown can let them finish sending. */
  inFlight?: InFlightRequests;
  /** Folder of the built web UI, served at `/`; absent: no UI routes at all (API-only apps and tests). */
  uiDir?: string;
}

/** Largest accepted JSON body: MLflow caps log-batch at 1 MB; searches and inputs fit well inside 16 MB. */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;

/** Creates the app with every route registered. */
export async function buildApp(services: AppServices, options: AppOptions = {}): Promise<FastifyInstance> {
  const serving = services.serving;
  const app = Fastify({
    logger: options.logLevel ? { level: options.logLevel } : false,
    bodyLimit: JSON_BODY_LIMIT,
    ...(serving === undefined
      ? {}
      : { serverFactory: servingServerFactory(serving, JSON_BODY_LIMIT, options.inFlight) }),
    // Error responses name the field; ajv should report every problem only once, in order.
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  });
  if (options.inFlight !== undefined) trackInFlight(app, options.inFlight);
  app.setErrorHandler((err, request, reply) => {
    const { status, body } = nativeErrorResponse(err);
    if (status >= 500) request.log.error({ err }, 'request failed');
    void reply.status(status).send(body);
  });
  let uiFallback: UiFallback | undefined;
  app.setNotFoundHandler((request, reply) => {
    if (uiFallback?.(request, reply) !== undefined) return;
    void reply.status(404).send({
      error: { code: 'NOT_FOUND', message: `No route for ${request.method} ${request.url}` },
    });
  });
  app.get('/health', async () => ({ status: 'ok' }));
  await registerOpenApi(app);
  await app.register(registerTrackingRoutes(services), { prefix: '/api/v1' });
  // The registry and its webhooks share the native API's conventions (error wording, camelCase field names).
  await app.register(
    async (api) => {
      api.setSchemaErrorFormatter((errors, location) => schemaValidationError(errors, location));
      api.setErrorHandler((err) => {
        throw withNativeFieldNames(err);
      });
      registerRegistryRoutes(api, services.registry);
      registerWebhookRoutes(api, services.webhooks);
      if (services.evaluation !== undefined) registerEvaluationRoutes(api, services.evaluation);
      if (serving !== undefined) {
        registerEndpointRoutes(api, serving.endpoints);
        registerPredictionQueryRoutes(api, serving.log);
      }
      if (services.jobs !== undefined) registerJobRoutes(api, services.jobs);
      if (services.monitors !== undefined) registerMonitoringRoutes(api, services.monitors);
    },
    { prefix: '/api/v1' },
  );
  await app.register(registerMlflowCompat(services));
  if (serving !== undefined) {
    registerServingRoutes(app, serving.manager, serving.routes);
    registerLabelRoutes(app, serving.log);
  }
  if (options.uiDir !== undefined) uiFallback = await registerUi(app, options.uiDir);
  return app;
}

/** The server factory that puts the serving data plane's predict routes in front of Fastify. */
export function servingServerFactory(
  serving: ServingServices,
  bodyLimit: number,
  inFlight: InFlightRequests | undefined,
): FastifyServerFactory {
  const routes = serving.routes ?? {};
  return dataPlaneServer(serving.manager, {
    bodyLimit,
    ...(routes.defaultEndpoint === undefined ? {} : { defaultEndpoint: routes.defaultEndpoint }),
    ...(routes.metrics === undefined ? {} : { metrics: routes.metrics }),
    ...(inFlight === undefined ? {} : { inFlight }),
  });
}
