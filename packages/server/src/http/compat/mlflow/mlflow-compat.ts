/**
 * The MLflow 2.12 REST compatibility layer: MLflow's wire protocol (`/api/2.0/mlflow/...`,
 * `/api/2.0/mlflow-artifacts/...`, and the same under `/ajax-api/2.0` for MLflow's UI) mapped onto
 * Slipway's services (tracking, registry, artifact store). Encapsulated: its error handler and body
 * parsers apply to its routes only.
 */
import { invalidArgument } from '@slipway/contracts';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { AppServices } from '../../app.js';
import { acceptRawBodies, mlflowArtifactRoutes } from './mlflow-artifact-routes.js';
import { endpointNotFound, mlflowErrorHandler } from './mlflow-errors.js';
import { registerMlflowRegistryRoutes } from './mlflow-registry-routes.js';
import { registerMlflowTrackingRoutes } from './mlflow-tracking-routes.js';

/** Path prefixes MLflow serves its API under: the REST API and the UI's ajax alias. */
export const MLFLOW_API_PREFIXES = ['/api/2.0', '/ajax-api/2.0'] as const;

/**
 * Builds the compat plugin; register it without a prefix (its routes carry MLflow's full paths).
 * `registry` is optional so the wire layer can be tested over stub tracking services alone; without
 * it the registry paths answer ENDPOINT_NOT_FOUND.
 */
export function registerMlflowCompat(
  services: Pick<AppServices, 'tracking' | 'artifacts'> & Partial<Pick<AppServices, 'registry'>>,
): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.setErrorHandler(mlflowErrorHandler);
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJsonBody);
    for (const prefix of MLFLOW_API_PREFIXES) {
      registerMlflowTrackingRoutes(app, prefix, services.tracking);
      if (services.registry) registerMlflowRegistryRoutes(app, prefix, services.registry);
    }
    await app.register(mlflowArtifactRoutes(services.artifacts, MLFLOW_API_PREFIXES));
    await app.register(unknownEndpoints);
  };
}

/** 404 ENDPOINT_NOT_FOUND below the MLflow prefixes, in a raw-body scope so no body is parsed first. */
async function unknownEndpoints(app: FastifyInstance): Promise<void> {
  acceptRawBodies(app);
  for (const prefix of MLFLOW_API_PREFIXES) {
    app.all(`${prefix}/mlflow/*`, endpointNotFound);
    app.all(`${prefix}/mlflow-artifacts/*`, endpointNotFound);
  }
}

/**
 * JSON bodies as MLflow reads them: an empty body is `{}`, and a body that decodes to a string is
 * decoded again (older clients double-encode). Fields are only ever read by name, never merged, so
 * plain JSON.parse is safe here.
 */
function parseJsonBody(
  _request: FastifyRequest,
  body: string | Buffer,
  done: (err: Error | null, body?: unknown) => void,
): void {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    done(null, typeof parsed === 'string' ? JSON.parse(parsed) : parsed);
  } catch {
    // Checked only on failure so the hot path never copies a large body.
    if (text.trim() === '') done(null, {});
    else done(invalidArgument('body', 'Malformed JSON request body.'));
  }
}
