/** Native `/runs` routes: schema-validated input → TrackingService → `{ run(s) }` / `{ metrics }`. */
import {
  CreateRunRequestSchema,
  LogBatchRequestSchema,
  LogInputsRequestSchema,
  MetricBucketsQuerySchema,
  MetricBucketsResponseSchema,
  MetricHistoryQuerySchema,
  MetricHistoryResponseSchema,
  MetricParamsSchema,
  RunIdParamsSchema,
  RunListResponseSchema,
  RunResponseSchema,
  RunTagParamsSchema,
  SearchRunsRequestSchema,
  SetTagRequestSchema,
  UpdateRunRequestSchema,
  decodeWireNumber,
  toWireMetric,
  toWireMetricBuckets,
  toWireRun,
  type CreateRunRequest,
  type LogBatch,
  type LogBatchRequest,
  type LogInputsRequest,
  type MetricBucketsQuery,
  type MetricBucketsResponse,
  type MetricHistoryQuery,
  type MetricHistoryResponse,
  type RunListResponse,
  type RunResponse,
  type SearchRunsRequest,
  type SetTagRequest,
  type UpdateRunRequest,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import type { TrackingService } from './tracking-service.js';
import { ERROR_RESPONSES, NO_CONTENT, splitOrderBy } from './tracking-routes-support.js';

type RunParams = Static<typeof RunIdParamsSchema>;
type TagParams = Static<typeof RunTagParamsSchema>;

const tags = ['runs'];

/** Registers the run routes on `app` (mounted under `/api/v1`). */
export function registerRunRoutes(app: FastifyInstance, tracking: TrackingService): void {
  registerRunLifecycleRoutes(app, tracking);
  registerRunDataRoutes(app, tracking);
}

function registerRunLifecycleRoutes(app: FastifyInstance, tracking: TrackingService): void {
  app.post<{ Body: CreateRunRequest }>(
    '/runs',
    {
      schema: {
        summary: 'Create a run',
        tags,
        body: CreateRunRequestSchema,
        response: { 201: RunResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<RunResponse> => {
      const run = await tracking.createRun(request.body);
      void reply.code(201);
      return { run: toWireRun(run) };
    },
  );

  app.post<{ Body: SearchRunsRequest }>(
    '/runs/search',
    {
      schema: {
        summary: 'Search runs of one or more experiments',
        tags,
        body: SearchRunsRequestSchema,
        response: { 200: RunListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RunListResponse> => {
      const { orderBy, ...rest } = request.body;
      const page = await tracking.searchRuns({ ...rest, orderBy: splitOrderBy(orderBy) });
      const runs = page.items.map(toWireRun);
      return { runs, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: RunParams }>(
    '/runs/:runId',
    {
      schema: {
        summary: 'Get a run with its data and inputs',
        tags,
        params: RunIdParamsSchema,
        response: { 200: RunResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RunResponse> => ({
      run: toWireRun(await tracking.getRun(request.params.runId)),
    }),
  );

  app.patch<{ Params: RunParams; Body: UpdateRunRequest }>(
    '/runs/:runId',
    {
      schema: {
        summary: 'Update status, end time or name of a run',
        tags,
        params: RunIdParamsSchema,
        body: UpdateRunRequestSchema,
        response: { 200: RunResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RunResponse> => {
      await tracking.updateRun(request.params.runId, request.body);
      return { run: toWireRun(await tracking.getRun(request.params.runId)) };
    },
  );

  app.delete<{ Params: RunParams }>(
    '/runs/:runId',
    {
      schema: {
        summary: 'Soft-delete a run',
        tags,
        params: RunIdParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.deleteRun(request.params.runId);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: RunParams }>(
    '/runs/:runId/restore',
    {
      schema: {
        summary: 'Restore a soft-deleted run',
        tags,
        params: RunIdParamsSchema,
        response: { 200: RunResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<RunResponse> => {
      await tracking.restoreRun(request.params.runId);
      return { run: toWireRun(await tracking.getRun(request.params.runId)) };
    },
  );
}

function registerRunDataRoutes(app: FastifyInstance, tracking: TrackingService): void {
  app.post<{ Params: RunParams; Body: LogBatchRequest }>(
    '/runs/:runId/log',
    {
      schema: {
        summary: 'Log metrics, params and tags in one atomic batch',
        description: 'At most 1000 metrics, 100 params, 100 tags and 1000 entries in total per request.',
        tags,
        params: RunIdParamsSchema,
        body: LogBatchRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.logBatch(request.params.runId, toLogBatch(request.body, Date.now()));
      return reply.code(204).send();
    },
  );

  app.put<{ Params: TagParams; Body: SetTagRequest }>(
    '/runs/:runId/tags/:key',
    {
      schema: {
        summary: 'Set a run tag',
        tags,
        params: RunTagParamsSchema,
        body: SetTagRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.setTag(request.params.runId, request.params.key, request.body.value);
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: TagParams }>(
    '/runs/:runId/tags/:key',
    {
      schema: {
        summary: 'Delete a run tag',
        tags,
        params: RunTagParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await tracking.deleteTag(request.params.runId, request.params.key);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: RunParams; Body: LogInputsRequest }>(
    '/runs/:runId/inputs',
    {
      schema: {
        summary: 'Record datasets a run consumed',
        tags,
        params: RunIdParamsSchema,
        body: LogInputsRequestSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const inputs = request.body.datasets.map((d) => ({ dataset: d.dataset, tags: d.tags ?? {} }));
      await tracking.logInputs(request.params.runId, inputs);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: Static<typeof MetricParamsSchema>; Querystring: MetricHistoryQuery }>(
    '/runs/:runId/metrics/:key/history',
    {
      schema: {
        summary: "A metric's full history ordered by step, then timestamp (URL-encode slashes in the key)",
        description: 'Without maxResults the whole history is returned as one page.',
        tags,
        params: MetricParamsSchema,
        querystring: MetricHistoryQuerySchema,
        response: { 200: MetricHistoryResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<MetricHistoryResponse> => {
      const { runId, key } = request.params;
      const page = await tracking.getMetricHistory(runId, key, request.query);
      const metrics = page.items.map(toWireMetric);
      return { metrics, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: Static<typeof MetricParamsSchema>; Querystring: MetricBucketsQuery }>(
    '/runs/:runId/metrics/:key/buckets',
    {
      schema: {
        summary: "A metric's history reduced for charting: first, last, min and max per slice of the axis",
        description:
          'Splits [from, to] (default: the whole history) of the step or time axis into `buckets` equal ' +
          'slices and keeps four observations of each non-empty one, so spikes survive. Histories with ' +
          'no more points than `buckets` come back whole, one point per bucket (`downsampled: false`).',
        tags,
        params: MetricParamsSchema,
        querystring: MetricBucketsQuerySchema,
        response: { 200: MetricBucketsResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<MetricBucketsResponse> => {
      const { runId, key } = request.params;
      return toWireMetricBuckets(await tracking.getMetricBuckets(runId, key, request.query));
    },
  );
}

/** Fills the optional metric fields (`timestamp` = receipt time, `step` = 0) and decodes values. */
function toLogBatch(body: LogBatchRequest, now: number): LogBatch {
  return {
    // The schema only admits numbers and the three non-finite spellings, so decoding cannot fail.
    metrics: (body.metrics ?? []).map((m) => ({
      key: m.key,
      value: decodeWireNumber(m.value) ?? Number.NaN,
      timestamp: m.timestamp ?? now,
      step: m.step ?? 0,
    })),
    params: body.params ?? {},
    tags: body.tags ?? {},
  };
}
