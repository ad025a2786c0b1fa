/**
 * Slipway's native tracking API, mounted under `/api/v1`: resource-oriented, camelCase JSON, every
 * request and response described by the schemas in `@slipway/contracts` (tracking-api.ts), from
 * which the OpenAPI document is generated. Handlers only translate between HTTP and the service.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { registerArtifactRoutes } from './tracking-routes-artifacts.js';
import { registerExperimentRoutes } from './tracking-routes-experiments.js';
import { registerRunRoutes } from './tracking-routes-runs.js';
import {
  schemaValidationError,
  withNativeFieldNames,
  type TrackingRouteServices,
} from './tracking-routes-support.js';

export type { TrackingRouteServices } from './tracking-routes-support.js';

/** The native tracking API as a Fastify plugin; register it with `{ prefix: '/api/v1' }`. */
export function registerTrackingRoutes(services: TrackingRouteServices): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.setSchemaErrorFormatter((errors, location) => schemaValidationError(errors, location));
    // Rethrowing hands the error to the app's handler, which owns the status and body mapping.
    app.setErrorHandler((err) => {
      throw withNativeFieldNames(err);
    });
    registerExperimentRoutes(app, services.tracking);
    registerRunRoutes(app, services.tracking);
    await registerArtifactRoutes(app, services.runArtifacts);
  };
}
