/** The endpoint control plane under `/api/v1/endpoints`: create, read, update (traffic, rollback), delete. */
import {
  CreateEndpointRequestSchema,
  EndpointListResponseSchema,
  EndpointParamsSchema,
  EndpointResponseSchema,
  UpdateEndpointRequestSchema,
  type CreateEndpointRequest,
  type EndpointListResponse,
  type EndpointResponse,
  type UpdateEndpointRequest,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf } from '../registry/request-actor.js';
import { ERROR_RESPONSES, NO_CONTENT } from '../tracking/tracking-routes-support.js';
import type { EndpointService } from './endpoint-service.js';

type Params = Static<typeof EndpointParamsSchema>;

const tags = ['endpoints'];

/** Registers the endpoint routes (mounted under `/api/v1` with the native conventions). */
export function registerEndpointRoutes(app: FastifyInstance, endpoints: EndpointService): void {
  app.post<{ Body: CreateEndpointRequest }>(
    '/endpoints',
    {
      schema: {
        summary: 'Create an endpoint serving a model version or alias (optionally with canary and shadows)',
        tags,
        body: CreateEndpointRequestSchema,
        response: { 201: EndpointResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<EndpointResponse> => {
      const endpoint = await endpoints.create(request.body, actorOf(request));
      void reply.code(201);
      return { endpoint };
    },
  );

  app.get(
    '/endpoints',
    {
      schema: {
        summary: 'List endpoints by name',
        tags,
        response: { 200: EndpointListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (): Promise<EndpointListResponse> => ({ endpoints: await endpoints.list() }),
  );

  app.get<{ Params: Params }>(
    '/endpoints/:name',
    {
      schema: {
        summary: 'Get an endpoint',
        tags,
        params: EndpointParamsSchema,
        response: { 200: EndpointResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EndpointResponse> => ({ endpoint: await endpoints.get(request.params.name) }),
  );

  app.patch<{ Params: Params; Body: UpdateEndpointRequest }>(
    '/endpoints/:name',
    {
      schema: {
        summary: 'Change what an endpoint serves; `canary: null` rolls the canary back',
        description:
          'Serving processes swap atomically: requests in flight finish on the old models, new ones start ' +
          'on the new; old models are released afterwards.',
        tags,
        params: EndpointParamsSchema,
        body: UpdateEndpointRequestSchema,
        response: { 200: EndpointResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EndpointResponse> => ({
      endpoint: await endpoints.update(request.params.name, request.body),
    }),
  );

  app.delete<{ Params: Params }>(
    '/endpoints/:name',
    {
      schema: {
        summary: 'Delete an endpoint',
        tags,
        params: EndpointParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await endpoints.delete(request.params.name);
      return reply.code(204).send();
    },
  );
}
