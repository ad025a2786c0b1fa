/** Native model-version routes: register, read, search, describe, tag, delete and locate versions. */
import {
  CreateModelVersionRequestSchema,
  DownloadUriResponseSchema,
  ModelNameParamsSchema,
  ModelVersionListResponseSchema,
  ModelVersionParamsSchema,
  ModelVersionResponseSchema,
  ModelVersionTagParamsSchema,
  RegisterModelRequestSchema,
  SearchModelVersionsQuerySchema,
  SetTagRequestSchema,
  UpdateModelVersionRequestSchema,
  type CreateModelVersionRequest,
  type DownloadUriResponse,
  type ModelVersionListResponse,
  type ModelVersionResponse,
  type RegisterModelRequest,
  type SearchModelVersionsQuery,
  type SetTagRequest,
  type UpdateModelVersionRequest,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ERROR_RESPONSES, NO_CONTENT, splitOrderBy } from '../tracking/tracking-routes-support.js';
import type { RegistryService } from './registry-service.js';
import { actorOf } from './request-actor.js';

type NameParams = Static<typeof ModelNameParamsSchema>;
type VersionParams = Static<typeof ModelVersionParamsSchema>;
type TagParams = Static<typeof ModelVersionTagParamsSchema>;

const tags = ['models'];

const SOURCE_RULE =
  'A package (slipway.yaml or MLmodel) found at a runs:/ or mlflow-artifacts:/ source is copied to an ' +
  'immutable location and digested; a bad package is refused. Other URIs are recorded as given.';

/** Registers the model-version routes on `app` (mounted under `/api/v1`). */
export function registerVersionRoutes(app: FastifyInstance, registry: RegistryService): void {
  registerVersionWrites(app, registry);
  registerVersionReads(app, registry);
}

function registerVersionWrites(app: FastifyInstance, registry: RegistryService): void {
  app.post<{ Params: NameParams; Body: CreateModelVersionRequest }>(
    '/models/:name/versions',
    {
      schema: {
        summary: 'Register the next version of an existing model',
        description: SOURCE_RULE,
        tags,
        params: ModelNameParamsSchema,
        body: CreateModelVersionRequestSchema,
        response: { 201: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<ModelVersionResponse> => {
      const input = { ...request.body, name: request.params.name };
      const modelVersion = await registry.createModelVersion(input, actorOf(request));
      void reply.code(201);
      return { modelVersion };
    },
  );

  app.post<{ Body: RegisterModelRequest }>(
    '/models/register',
    {
      schema: {
        summary: 'Register a version, creating the model when it does not exist yet',
        description: `What mlflow.register_model does. ${SOURCE_RULE}`,
        tags,
        body: RegisterModelRequestSchema,
        response: { 201: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<ModelVersionResponse> => {
      const modelVersion = await registry.registerModel(request.body, actorOf(request));
      void reply.code(201);
      return { modelVersion };
    },
  );

  app.patch<{ Params: VersionParams; Body: UpdateModelVersionRequest }>(
    '/models/:name/versions/:version',
    {
      schema: {
        summary: "Replace a version's description",
        tags,
        params: ModelVersionParamsSchema,
        body: UpdateModelVersionRequestSchema,
        response: { 200: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ModelVersionResponse> => {
      const { name, version } = request.params;
      return { modelVersion: await registry.updateModelVersion(name, version, request.body.description) };
    },
  );

  app.delete<{ Params: VersionParams }>(
    '/models/:name/versions/:version',
    {
      schema: {
        summary: 'Delete a version and the aliases pointing at it (each removal is audited)',
        tags,
        params: ModelVersionParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await registry.deleteModelVersion(request.params.name, request.params.version, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: TagParams; Body: SetTagRequest }>(
    '/models/:name/versions/:version/tags/:key',
    {
      schema: {
        summary: 'Set a model version tag',
        tags,
        params: ModelVersionTagParamsSchema,
        body: SetTagRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { name, version, key } = request.params;
      await registry.setModelVersionTag(name, version, key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: TagParams }>(
    '/models/:name/versions/:version/tags/:key',
    {
      schema: {
        summary: 'Delete a model version tag',
        tags,
        params: ModelVersionTagParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { name, version, key } = request.params;
      await registry.deleteModelVersionTag(name, version, key);
      return reply.code(204).send();
    },
  );
}

function registerVersionReads(app: FastifyInstance, registry: RegistryService): void {
  app.get<{ Params: VersionParams }>(
    '/models/:name/versions/:version',
    {
      schema: {
        summary: 'Get a model version with its contract and package',
        tags,
        params: ModelVersionParamsSchema,
        response: { 200: ModelVersionResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ModelVersionResponse> => ({
      modelVersion: await registry.getModelVersion(request.params.name, request.params.version),
    }),
  );

  app.get<{ Querystring: SearchModelVersionsQuery }>(
    '/model-versions',
    {
      schema: {
        summary: 'Search model versions across models',
        description:
          'Filter on name, run_id, source_path, version_number and tags.<key> ' +
          '(e.g. "name = \'fraud\' AND version_number > 2"); default order name ASC, version DESC.',
        tags,
        querystring: SearchModelVersionsQuerySchema,
        response: { 200: ModelVersionListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ModelVersionListResponse> => {
      const { orderBy, ...rest } = request.query;
      const page = await registry.searchModelVersions({ ...rest, orderBy: splitOrderBy(orderBy) });
      return {
        modelVersions: page.items,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  );

  app.get<{ Params: VersionParams }>(
    '/models/:name/versions/:version/download-uri',
    {
      schema: {
        summary: "Where a version's files can be downloaded",
        description:
          "The immutable package copy when there is one, else the version's source (runs:/ resolved).",
        tags,
        params: ModelVersionParamsSchema,
        response: { 200: DownloadUriResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<DownloadUriResponse> => ({
      artifactUri: await registry.getDownloadUri(request.params.name, request.params.version),
    }),
  );
}
