/** Native `/models` routes: registered models and their tags → RegistryService → `{ registeredModel(s) }`. */
import {
  CreateRegisteredModelRequestSchema,
  ModelNameParamsSchema,
  ModelTagParamsSchema,
  RegisteredModelListResponseSchema,
  RegisteredModelResponseSchema,
  SearchRegisteredModelsQuerySchema,
  SetTagRequestSchema,
  UpdateRegisteredModelRequestSchema,
  type CreateRegisteredModelRequest,
  type RegisteredModelListResponse,
  type RegisteredModelResponse,
  type SearchRegisteredModelsQuery,
  type SetTagRequest,
  type UpdateRegisteredModelRequest,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ERROR_RESPONSES, NO_CONTENT, splitOrderBy } from '../tracking/tracking-routes-support.js';
import type { RegistryService } from './registry-service.js';
import { actorOf } from './request-actor.js';

type NameParams = Static<typeof ModelNameParamsSchema>;
type TagParams = Static<typeof ModelTagParamsSchema>;

const tags = ['models'];

/** Registers the registered-model routes on `app` (mounted under `/api/v1`). */
export function registerModelRoutes(app: FastifyInstance, registry: RegistryService): void {
  app.post<{ Body: CreateRegisteredModelRequest }>(
    '/models',
    {
      schema: {
        summary: 'Create a registered model',
        description: "409 ALREADY_EXISTS when the name is taken; '/' and '@' are not allowed in names.",
        tags,
        body: CreateRegisteredModelRequestSchema,
        response: { 201: RegisteredModelResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<RegisteredModelResponse> => {
      const registeredModel = await registry.createRegisteredModel(request.body, actorOf(request));
      void reply.code(201);
      return { registeredModel };
    },
  );

  app.get<{ Querystring: SearchRegisteredModelsQuery }>(
    '/models',
    {
      schema: {
        summary: 'Search registered models',
        description: 'Filter on name and tags.<key> (e.g. "name LIKE \'fraud%\'"); default order name ASC.',
        tags,
        querystring: SearchRegisteredModelsQuerySchema,
        response: { 200: RegisteredModelListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RegisteredModelListResponse> => {
      const { orderBy, ...rest } = request.query;
      const page = await registry.searchRegisteredModels({ ...rest, orderBy: splitOrderBy(orderBy) });
      return {
        registeredModels: page.items,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  );

  app.get<{ Params: NameParams }>(
    '/models/:name',
    {
      schema: {
        summary: 'Get a registered model with its aliases and latest versions',
        tags,
        params: ModelNameParamsSchema,
        response: { 200: RegisteredModelResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RegisteredModelResponse> => ({
      registeredModel: await registry.getRegisteredModel(request.params.name),
    }),
  );

  app.patch<{ Params: NameParams; Body: UpdateRegisteredModelRequest }>(
    '/models/:name',
    {
      schema: {
        summary: 'Rename a registered model and/or replace its description',
        description: 'A new `name` renames the model; its versions, tags, aliases and history follow.',
        tags,
        params: ModelNameParamsSchema,
        body: UpdateRegisteredModelRequestSchema,
        response: { 200: RegisteredModelResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RegisteredModelResponse> => {
      const { name: newName, description } = request.body;
      let name = request.params.name;
      if (newName !== undefined && newName !== name) {
        name = (await registry.renameRegisteredModel(name, newName, actorOf(request))).name;
      }
      if (description !== undefined) {
        return { registeredModel: await registry.updateRegisteredModel(name, description) };
      }
      return { registeredModel: await registry.getRegisteredModel(name) };
    },
  );

  app.delete<{ Params: NameParams }>(
    '/models/:name',
    {
      schema: {
        summary: 'Delete a registered model with its versions and aliases',
        tags,
        params: ModelNameParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await registry.deleteRegisteredModel(request.params.name, actorOf(request));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: TagParams; Body: SetTagRequest }>(
    '/models/:name/tags/:key',
    {
      schema: {
        summary: 'Set a registered model tag',
        description:
          'The tag slipway.contract_compatibility (backward, forward, full or none) chooses how alias moves ' +
          'are checked.',
        tags,
        params: ModelTagParamsSchema,
        body: SetTagRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await registry.setRegisteredModelTag(request.params.name, request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: TagParams }>(
    '/models/:name/tags/:key',
    {
      schema: {
        summary: 'Delete a registered model tag',
        tags,
        params: ModelTagParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await registry.deleteRegisteredModelTag(request.params.name, request.params.key);
      return reply.code(204).send();
    },
  );
}
