/**
 * Endpoint use cases: create, read, update (traffic changes, rollback) and delete endpoints. Every
 * model reference is resolved when written, so an endpoint never names a version that does not
 * exist; updates are compare-and-set on the revision and retried, so concurrent edits are not lost.
 */
import {
  DEFAULT_MAX_ROWS,
  SlipwayError,
  invalidArgument,
  notFound,
  type CreateEndpointRequest,
  type Endpoint,
  type ModelVersion,
  type ModelVersionRef,
  type UpdateEndpointRequest,
} from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { assertValidContract } from '../registry/contract-compat.js';
import { apiVersionBreaks, apiVersionBroken } from './api-versions.js';
import type { EndpointStore } from './endpoint-store.js';
import { assertValidRateLimit } from './rate-limiter.js';

/** Endpoint names are URL path segments in three protocols: keep them plain. */
const ENDPOINT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Attempts of a compare-and-set update before reporting contention. */
const MAX_UPDATE_ATTEMPTS = 10;

/** What the endpoint service needs. */
export interface EndpointServiceDeps {
  store: EndpointStore;
  registry: Pick<RegistryService, 'getModelVersion' | 'getVersionByAlias'>;
  now?: () => number;
  /** Called after every committed change and awaited (the in-process serving manager reloads). */
  onChange?: (name: string) => Promise<void> | void;
}

/** Endpoint use cases. */
export class EndpointService {
  private readonly now: () => number;
  private readonly onChange: (name: string) => Promise<void> | void;

  constructor(private readonly deps: EndpointServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.onChange = deps.onChange ?? (() => undefined);
  }

  /** Creates an endpoint; ALREADY_EXISTS when the name is taken. */
  async create(request: CreateEndpointRequest, actor: string): Promise<Endpoint> {
    const name = validateEndpointName(request.name);
    const now = this.now();
    const { name: _ignored, ...spec } = request;
    const endpoint: Endpoint = {
      name,
      ...spec,
      createdAt: now,
      updatedAt: now,
      createdBy: actor,
      revision: 1,
    };
    await this.checkSpec(endpoint);
    await this.deps.store.createEndpoint(endpoint);
    await this.onChange(name);
    return endpoint;
  }

  /** The endpoint; NOT_FOUND when absent. */
  async get(name: string): Promise<Endpoint> {
    const found = await this.deps.store.getEndpoint(name);
    if (found === undefined) throw endpointNotFound(name);
    return found;
  }

  /** Every endpoint, by name. */
  async list(): Promise<Endpoint[]> {
    return this.deps.store.listEndpoints();
  }

  /** Applies `patch` (`canary`, `batching` or `rateLimit: null` removes it); retried on concurrent updates. */
  async update(name: string, patch: UpdateEndpointRequest): Promise<Endpoint> {
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.get(name);
      const next = applyPatch(current, patch, this.now());
      await this.checkSpec(next);
      if (await this.deps.store.updateEndpoint(next, current.revision)) {
        await this.onChange(name);
        return next;
      }
    }
    throw new SlipwayError('UNAVAILABLE', `Endpoint '${name}' is being changed concurrently; retry`, {
      field: 'name',
    });
  }

  /** Deletes the endpoint; NOT_FOUND when absent. */
  async delete(name: string): Promise<void> {
    await this.deps.store.deleteEndpoint(name);
    await this.onChange(name);
  }

  /** Every model reference must resolve now, and the traffic must make sense. */
  private async checkSpec(endpoint: Endpoint): Promise<void> {
    const live = await this.resolve(endpoint.model, 'model');
    const canary =
      endpoint.canary === undefined ? undefined : await this.resolve(endpoint.canary.model, 'canary.model');
    checkApiVersions(endpoint, [live, ...(canary === undefined ? [] : [canary])]);
    for (const [i, shadow] of (endpoint.shadows ?? []).entries()) await this.resolve(shadow, `shadows[${i}]`);
    if (endpoint.maxRows !== undefined && endpoint.maxRows < 1) {
      throw invalidArgument('maxRows', 'maxRows must be a positive integer');
    }
    if (endpoint.rateLimit !== undefined) assertValidRateLimit(endpoint.rateLimit);
  }

  private async resolve(ref: ModelVersionRef, field: string): Promise<ModelVersion> {
    if ((ref.version === undefined) === (ref.alias === undefined)) {
      throw invalidArgument(field, `${field} needs exactly one of version and alias`);
    }
    if (ref.alias === undefined) return this.deps.registry.getModelVersion(ref.name, ref.version ?? '');
    return this.deps.registry.getVersionByAlias(ref.name, ref.alias);
  }
}

/** Published API versions must be valid, distinct, and served by every model the endpoint routes to. */
function checkApiVersions(endpoint: Endpoint, models: readonly ModelVersion[]): void {
  const seen = new Set<string>();
  for (const [i, api] of (endpoint.apiVersions ?? []).entries()) {
    const field = `apiVersions[${i}]`;
    if (seen.has(api.name))
      throw invalidArgument(`${field}.name`, `API version '${api.name}' is listed twice`);
    seen.add(api.name);
    assertValidContract(api.contract, `${field}.contract`);
    for (const model of models) {
      const breaks = apiVersionBreaks(api, model.contract);
      if (breaks.length > 0) throw apiVersionBroken(endpoint.name, api.name, model, breaks);
    }
  }
}

/** The rows a predict call on `endpoint` may carry. */
export function maxRowsOf(endpoint: Endpoint): number {
  return endpoint.maxRows ?? DEFAULT_MAX_ROWS;
}

/** Checks an endpoint name. */
export function validateEndpointName(name: string, field = 'name'): string {
  if (!ENDPOINT_NAME.test(name)) {
    throw invalidArgument(
      field,
      `Invalid endpoint name '${name}': use 1-64 letters, digits, '_', '-' or '.', starting with a letter or digit`,
    );
  }
  return name;
}

function endpointNotFound(name: string): SlipwayError {
  return notFound(`No endpoint named '${name}'`, { field: 'name' });
}

/** The endpoint after a patch: present fields replace; `canary`, `batching` and `rateLimit` null remove. */
function applyPatch(current: Endpoint, patch: UpdateEndpointRequest, now: number): Endpoint {
  const { canary, batching, rateLimit, ...rest } = patch;
  const next: Endpoint = { ...current, ...rest, updatedAt: now, revision: current.revision + 1 };
  if (canary === null) delete next.canary;
  else if (canary !== undefined) next.canary = canary;
  if (batching === null) delete next.batching;
  else if (batching !== undefined) next.batching = batching;
  if (rateLimit === null) delete next.rateLimit;
  else if (rateLimit !== undefined) next.rateLimit = rateLimit;
  return next;
}
