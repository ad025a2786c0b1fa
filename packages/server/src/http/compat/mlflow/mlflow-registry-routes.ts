/**
 * MLflow 2.12 model-registry endpoints (`ModelRegistryService` in model_registry.proto) mapped onto
 * RegistryService: read the wire fields, call the use case, write the protobuf-JSON answer. Methods
 * are the proto's own. The few places where MLflow's answer differs from the service's error
 * contract (a missing alias, deleting what is not there, contract-breaking alias moves) are
 * translated here, per endpoint, so the shared error edge stays one plain mapping.
 */
import {
  MODEL_STAGES,
  SlipwayError,
  definedFields,
  invalidArgument,
  type ModelStage,
} from '@slipway/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { RegistryService } from '../../../registry/registry-service.js';
import { COMPATIBILITY_TAG } from '../../../registry/registry-validation.js';
import { actorOf } from '../../../registry/request-actor.js';
import { JSON_CONTENT_TYPE } from './mlflow-errors.js';
import {
  fieldsOf,
  invalidParameter,
  isQueryRequest,
  missingParameter,
  optionalInt64,
  optionalKeyValues,
  optionalString,
  optionalStringList,
  requiredString,
  type Fields,
} from './mlflow-request.js';
import {
  downloadUriResponse,
  modelVersionListResponse,
  modelVersionResponse,
  registeredModelResponse,
  searchModelVersionsResponse,
  searchRegisteredModelsResponse,
} from './mlflow-registry-wire.js';
import { EMPTY_RESPONSE } from './mlflow-wire.js';

/** One endpoint: methods, path below `<prefix>/mlflow` and a handler answering protobuf-JSON text. */
interface Endpoint {
  methods: HTTPMethods[];
  path: string;
  handle: (f: Fields, request: FastifyRequest) => Promise<string>;
}

/** Registers every registry endpoint under `<prefix>/mlflow/...` (prefix `/api/2.0` or `/ajax-api/2.0`). */
export function registerMlflowRegistryRoutes(
  app: FastifyInstance,
  prefix: string,
  registry: RegistryService,
): void {
  for (const endpoint of [...registeredModelEndpoints(registry), ...modelVersionEndpoints(registry)]) {
    const handle = endpoint.handle;
    app.route({
      method: endpoint.methods,
      url: `${prefix}/mlflow/${endpoint.path}`,
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const body = await handle(registryFieldsOf(request), request);
        void reply.header('content-type', JSON_CONTENT_TYPE);
        return body;
      },
    });
  }
}

/**
 * The request's fields. MLflow's client sends DELETE fields as a JSON body; hand-written callers
 * often put them in the query string, so a DELETE without body fields falls back to the query.
 */
function registryFieldsOf(request: FastifyRequest): Fields {
  const fields = fieldsOf(request);
  if (request.method !== 'DELETE' || Object.keys(fields).length > 0) return fields;
  const query: unknown = request.query;
  return typeof query === 'object' && query !== null ? (query as Fields) : fields;
}

function registeredModelEndpoints(registry: RegistryService): Endpoint[] {
  return [
    post('registered-models/create', async (f, request) => {
      const model = await registry.createRegisteredModel(
        {
          name: requiredString(f, 'name'),
          ...definedFields({
            description: optionalString(f, 'description'),
            tags: optionalKeyValues(f, 'tags'),
          }),
        },
        actorOf(request),
      );
      return registeredModelResponse(model);
    }),
    get('registered-models/get', async (f) =>
      registeredModelResponse(await registry.getRegisteredModel(requiredString(f, 'name'))),
    ),
    post('registered-models/rename', async (f, request) => {
      const name = requiredString(f, 'name');
      const newName = requiredString(f, 'new_name');
      return registeredModelResponse(await registry.renameRegisteredModel(name, newName, actorOf(request)));
    }),
    patch('registered-models/update', async (f) => {
      const name = requiredString(f, 'name');
      // MLflow writes the proto default: an update without a description clears it.
      const description = optionalString(f, 'description') ?? '';
      return registeredModelResponse(await registry.updateRegisteredModel(name, description));
    }),
    del('registered-models/delete', async (f, request) => {
      await registry.deleteRegisteredModel(requiredString(f, 'name'), actorOf(request));
      return EMPTY_RESPONSE;
    }),
    get('registered-models/search', async (f, request) => {
      const page = await registry.searchRegisteredModels(searchInput(f, request));
      return searchRegisteredModelsResponse(page.items, page.nextPageToken);
    }),
    post('registered-models/set-tag', async (f) => {
      const name = requiredString(f, 'name');
      await registry.setRegisteredModelTag(name, requiredString(f, 'key'), optionalString(f, 'value') ?? '');
      return EMPTY_RESPONSE;
    }),
    del('registered-models/delete-tag', async (f) => {
      const name = requiredString(f, 'name');
      await ignoreMissing('key', registry.deleteRegisteredModelTag(name, requiredString(f, 'key')));
      return EMPTY_RESPONSE;
    }),
    ...aliasEndpoints(registry),
    {
      methods: ['POST', 'GET'],
      path: 'registered-models/get-latest-versions',
      handle: async (f, request) => {
        const name = requiredString(f, 'name');
        const stages = optionalStringList(f, 'stages', isQueryRequest(request)) ?? [];
        return modelVersionListResponse(await registry.getLatestVersions(name, stages));
      },
    },
  ];
}

function aliasEndpoints(registry: RegistryService): Endpoint[] {
  return [
    post('registered-models/alias', async (f, request) => {
      const input = {
        name: requiredString(f, 'name'),
        alias: requiredString(f, 'alias'),
        version: requiredVersion(f),
      };
      try {
        await registry.setAlias(input, actorOf(request));
      } catch (err) {
        throw contractBreakAsMlflow(err, input);
      }
      return EMPTY_RESPONSE;
    }),
    del('registered-models/alias', async (f, request) => {
      const input = { name: requiredString(f, 'name'), alias: requiredString(f, 'alias') };
      // MLflow deletes an unset alias silently (a missing model is still 404).
      await ignoreMissing('alias', registry.deleteAlias(input, actorOf(request)));
      return EMPTY_RESPONSE;
    }),
    get('registered-models/alias', async (f) => {
      const name = requiredString(f, 'name');
      const alias = requiredString(f, 'alias');
      try {
        return modelVersionResponse(await registry.getVersionByAlias(name, alias));
      } catch (err) {
        throw missingAliasAsMlflow(err);
      }
    }),
  ];
}

function modelVersionEndpoints(registry: RegistryService): Endpoint[] {
  return [
    post('model-versions/create', async (f, request) => {
      const version = await registry.createModelVersion(
        {
          name: requiredString(f, 'name'),
          source: requiredString(f, 'source'),
          ...definedFields({
            runId: nonEmpty(optionalString(f, 'run_id')),
            runLink: optionalString(f, 'run_link'),
            description: optionalString(f, 'description'),
            tags: optionalKeyValues(f, 'tags'),
          }),
        },
        actorOf(request),
      );
      return modelVersionResponse(version);
    }),
    get('model-versions/get', async (f) =>
      modelVersionResponse(await registry.getModelVersion(requiredString(f, 'name'), requiredVersion(f))),
    ),
    patch('model-versions/update', async (f) => {
      const name = requiredString(f, 'name');
      const version = requiredVersion(f);
      const description = optionalString(f, 'description');
      return modelVersionResponse(await registry.updateModelVersion(name, version, description));
    }),
    del('model-versions/delete', async (f, request) => {
      await registry.deleteModelVersion(requiredString(f, 'name'), requiredVersion(f), actorOf(request));
      return EMPTY_RESPONSE;
    }),
    get('model-versions/search', async (f, request) => {
      const page = await registry.searchModelVersions(searchInput(f, request));
      return searchModelVersionsResponse(page.items, page.nextPageToken);
    }),
    post('model-versions/set-tag', async (f) => {
      const name = requiredString(f, 'name');
      const version = requiredVersion(f);
      const key = requiredString(f, 'key');
      await registry.setModelVersionTag(name, version, key, optionalString(f, 'value') ?? '');
      return EMPTY_RESPONSE;
    }),
    del('model-versions/delete-tag', async (f) => {
      const name = requiredString(f, 'name');
      const version = requiredVersion(f);
      await ignoreMissing('key', registry.deleteModelVersionTag(name, version, requiredString(f, 'key')));
      return EMPTY_RESPONSE;
    }),
    get('model-versions/get-download-uri', async (f) =>
      downloadUriResponse(await registry.getDownloadUri(requiredString(f, 'name'), requiredVersion(f))),
    ),
    post('model-versions/transition-stage', transitionStage(registry)),
  ];
}

/** MLflow's deprecated stage transition; the service archives the other versions when asked. */
function transitionStage(registry: RegistryService): Endpoint['handle'] {
  return async (f) => {
    const archiveExisting = optionalBool(f, 'archive_existing_versions') ?? false;
    const stage = canonicalStage(requiredString(f, 'stage'));
    const moved = await registry.transitionStage(requiredString(f, 'name'), requiredVersion(f), stage, {
      archiveExisting,
    });
    return modelVersionResponse(moved);
  };
}

/** MLflow's stage names are case-insensitive on input and canonical on output. */
function canonicalStage(stage: string): ModelStage {
  const found = MODEL_STAGES.find((s) => s.toLowerCase() === stage.toLowerCase());
  if (found === undefined) {
    throw invalidArgument(
      'stage',
      `Invalid Model Version stage: ${stage}. Value must be one of ${MODEL_STAGES.join(', ')}.`,
    );
  }
  return found;
}

function searchInput(
  f: Fields,
  request: FastifyRequest,
): { filter?: string; orderBy?: string[]; maxResults?: number; pageToken?: string } {
  return definedFields({
    filter: optionalString(f, 'filter'),
    orderBy: optionalStringList(f, 'order_by', isQueryRequest(request)),
    maxResults: optionalInt64(f, 'max_results'),
    pageToken: nonEmpty(optionalString(f, 'page_token')),
  });
}

/**
 * A required version. The proto field is a string; a JSON integer is accepted too because
 * hand-written callers send one. Its format ("3", not "v3") is the service's rule.
 */
function requiredVersion(f: Fields): string {
  const value = f['version'];
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value === undefined || value === null || value === '') throw missingParameter('version');
  if (typeof value !== 'string') throw invalidParameter('version', value);
  return value;
}

/** An optional bool: a JSON boolean, or "true"/"false" from a query string. */
function optionalBool(f: Fields, name: string): boolean | undefined {
  const value = f[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalidParameter(name, value);
}

/**
 * Runs a delete and swallows NOT_FOUND for the thing deleted (`field`): MLflow's store deletes a
 * missing tag or alias as a no-op once the model (or version) is found, and clients rely on that.
 */
async function ignoreMissing(field: string, deletion: Promise<unknown>): Promise<void> {
  try {
    await deletion;
  } catch (err) {
    if (err instanceof SlipwayError && err.code === 'NOT_FOUND' && err.details.field === field) return;
    throw err;
  }
}

/**
 * MLflow answers an unknown alias with 400 INVALID_PARAMETER_VALUE, not 404, whether the alias or
 * its model is missing (it looks the alias up without checking the model); clients check for it.
 */
function missingAliasAsMlflow(err: unknown): unknown {
  if (!(err instanceof SlipwayError) || err.code !== 'NOT_FOUND') return err;
  if (err.details.field !== 'alias' && err.details.field !== 'name') return err;
  return invalidArgument('alias', err.message);
}

/** A contract break listed as MLflow's client can act on it: MLflow has no force flag. */
function contractBreakAsMlflow(
  err: unknown,
  input: { name: string; alias: string; version: string },
): unknown {
  if (!(err instanceof SlipwayError) || err.details['reason'] !== 'contract-breaking') return err;
  const breaks = Array.isArray(err.details['breaks']) ? (err.details['breaks'] as unknown[]) : [];
  const listed = breaks.map(describeBreak).filter((s) => s !== '');
  const mode = typeof err.details['mode'] === 'string' ? err.details['mode'] : 'backward';
  const what = listed.length > 0 ? `: ${listed.join('; ')}` : '';
  return invalidArgument(
    'version',
    `Cannot set alias '${input.alias}' of registered model '${input.name}' to version ${input.version}: its contract breaks ${mode} compatibility with the version the alias points at${what}. ` +
      `MLflow's API has no force option; set the registered model tag '${COMPATIBILITY_TAG}' to 'none' to turn this check off for the model, or move the alias with Slipway's native API (force).`,
    { reason: 'contract-breaking', mode, breaks },
  );
}

function describeBreak(change: unknown): string {
  if (typeof change !== 'object' || change === null) return '';
  const c = change as Record<string, unknown>;
  const where = [c['side'], c['field']].filter((s): s is string => typeof s === 'string').join('.');
  const message = typeof c['message'] === 'string' ? c['message'] : '';
  return where && message ? `${where}: ${message}` : where || message;
}

/** '' is protobuf's "unset" for optional strings MLflow's client fills with defaults. */
function nonEmpty(value: string | undefined): string | undefined {
  return value === '' ? undefined : value;
}

function get(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['GET'], path, handle };
}

function post(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['POST'], path, handle };
}

function patch(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['PATCH'], path, handle };
}

function del(path: string, handle: Endpoint['handle']): Endpoint {
  return { methods: ['DELETE'], path, handle };
}
