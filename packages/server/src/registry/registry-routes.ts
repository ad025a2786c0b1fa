/**
 * Slipway's native model-registry API, mounted under `/api/v1` next to the tracking routes:
 * registered models, versions, aliases (contract-checked, audited), `models:/` resolution, history
 * and contract diffs. Schemas come from `@slipway/contracts` (registry-api.ts); handlers only
 * translate between HTTP and RegistryService, naming the caller from `x-slipway-user`.
 *
 * Model names are single path segments: the service refuses `/` and `@` in names (they would make
 * `models:/` URIs ambiguous), and clients percent-encode every other reserved character.
 */
import type { FastifyInstance } from 'fastify';
import type { RegistryService } from './registry-service.js';
import { registerAliasRoutes } from './registry-routes-aliases.js';
import { registerModelRoutes } from './registry-routes-models.js';
import { registerVersionRoutes } from './registry-routes-versions.js';

/**
 * Registers every registry route on `app`. Call it inside a plugin registered with
 * `{ prefix: '/api/v1' }` that installs the native schema-error formatter and field renaming.
 */
export function registerRegistryRoutes(app: FastifyInstance, registry: RegistryService): void {
  registerModelRoutes(app, registry);
  registerVersionRoutes(app, registry);
  registerAliasRoutes(app, registry);
}
