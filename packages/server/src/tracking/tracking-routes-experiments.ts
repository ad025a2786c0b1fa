/** Native `/experiments` routes: schema-validated input → TrackingService → `{ experiment(s) }`. */
import {
  CreateExperimentRequestSchema,
  ExperimentIdParamsSchema,
  ExperimentListResponseSchema,
  ExperimentNameParamsSchema,
  ExperimentResponseSchema,
  ExperimentTagParamsSchema,
  SearchExperimentsQuerySchema,
  SetTagRequestSchema,
  UpdateExperimentRequestSchema,
  type CreateExperimentRequest,
  type ExperimentListResponse,
  type ExperimentResponse,
  type SearchExperimentsQuery,
  type SetTagRequest,
  type UpdateExperimentRequest,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { TrackingService } from './tracking-service.js';
import { ERROR_RESPONSES, NO_CONTENT, splitOrderBy } from './tracking-routes-support.js';

type IdParams = Static<typeof ExperimentIdParamsSchema>;
type TagParams = Static<typeof ExperimentTagParamsSchema>;

const tags = ['experiments'];

/** Registers the experiment routes on `app` (mounted under `/api/v1`). */
export function registerExperimentRoutes(app: FastifyInstance, tracking: TrackingService): void {
  app.post<{ Body: CreateExperimentRequest }>(
    '/experiments',
    {
      schema: {
        summary: 'Create an experiment',
        tags,
        body: CreateExperimentRequestSchema,
        response: { 201: ExperimentResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<ExperimentResponse> => {
      const experiment = await tracking.createExperiment(request.body);
      void reply.code(201);
      return { experiment };
    },
  );

  app.get<{ Querystring: SearchExperimentsQuery }>(
    '/experiments',
    {
      schema: {
        summary: 'Search experiments',
        tags,
        querystring: SearchExperimentsQuerySchema,
        response: { 200: ExperimentListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ExperimentListResponse> => {
      const { orderBy, ...rest } = request.query;
      const page = await tracking.searchExperiments({ ...rest, orderBy: splitOrderBy(orderBy) });
      return {
        experiments: page.items,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  );

  app.get<{ Params: Static<typeof ExperimentNameParamsSchema> }>(
    '/experiments/by-name/:name',
    {
      schema: {
        summary: 'Get an experiment by its exact name (URL-encode slashes as %2F)',
        tags,
        params: ExperimentNameParamsSchema,
        response: { 200: ExperimentResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ExperimentResponse> => ({
      experiment: await tracking.getExperimentByName(request.params.name),
    }),
  );

  app.get<{ Params: IdParams }>(
    '/experiments/:experimentId',
    {
      schema: {
        summary: 'Get an experiment',
        tags,
        params: ExperimentIdParamsSchema,
        response: { 200: ExperimentResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ExperimentResponse> => ({
      experiment: await tracking.getExperiment(request.params.experimentId),
    }),
  );

  app.patch<{ Params: IdParams; Body: UpdateExperimentRequest }>(
    '/experiments/:experimentId',
    {
      schema: {
        summary: 'Rename an experiment',
        tags,
        params: ExperimentIdParamsSchema,
        body: UpdateExperimentRequestSchema,
        response: { 200: ExperimentResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ExperimentResponse> => {
      await tracking.renameExperiment(request.params.experimentId, request.body.name);
      return { experiment: await tracking.getExperiment(request.params.experimentId) };
    },
  );

  app.delete<{ Params: IdParams }>(
    '/experiments/:experimentId',
    {
      schema: {
        summary: 'Soft-delete an experiment and its runs',
        tags,
        params: ExperimentIdParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.deleteExperiment(request.params.experimentId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: IdParams }>(
    '/experiments/:experimentId/restore',
    {
      schema: {
        summary: 'Restore a soft-deleted experiment and its runs',
        tags,
        params: ExperimentIdParamsSchema,
        response: { 200: ExperimentResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<ExperimentResponse> => {
      await tracking.restoreExperiment(request.params.experimentId);
      return { experiment: await tracking.getExperiment(request.params.experimentId) };
    },
  );

  app.put<{ Params: TagParams; Body: SetTagRequest }>(
    '/experiments/:experimentId/tags/:key',
    {
      schema: {
        summary: 'Set an experiment tag',
        tags,
        params: ExperimentTagParamsSchema,
        body: SetTagRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.setExperimentTag(request.params.experimentId, request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: TagParams }>(
    '/experiments/:experimentId/tags/:key',
    {
      schema: {
        summary: 'Delete an experiment tag',
        tags,
        params: ExperimentTagParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.deleteExperimentTag(request.params.experimentId, request.params.key);
      return reply.code(204).send();
    },
  );
}
