/**
 * The jobs API under `/api/v1/jobs`: submit batch scoring, a monitor run or an evaluation; list,
 * show (with progress), cancel, retry. Webhook deliveries are queued by the platform (alerts), not
 * submitted here; they are listed, shown and retried like every job.
 */
import {
  BatchScorePayloadSchema,
  CreateEvaluationRequestSchema,
  MonitorRunPayloadSchema,
  JOB_KINDS,
  JOB_STATES,
  invalidArgument,
  type BatchScorePayload,
  type CreateEvaluationRequest,
  type JobDetails,
  type JobKind,
  type JobPage,
  type JobState,
  type MonitorRunPayload,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import { actorOf } from '../registry/request-actor.js';
import { ERROR_RESPONSES } from '../tracking/tracking-routes-support.js';
import type { JobService } from './job-service.js';

interface IdParams {
  id: string;
}

const tags = ['jobs'];

/** The body of every single-job response. */
export interface JobResponse {
  job: JobDetails;
}

/** Registers the job routes (mounted under `/api/v1` with the native conventions). */
export function registerJobRoutes(app: FastifyInstance, jobs: JobService): void {
  app.post<{ Body: BatchScorePayload }>(
    '/jobs/batch-score',
    {
      schema: {
        summary: 'Submit a batch scoring job: the input file scored by a model version into the output file',
        description:
          'The model reference is resolved now and the input checked against its contract; the job is then ' +
          'queued and runs on the job runner. Paths are absolute and read by the workers.',
        tags,
        body: BatchScorePayloadSchema,
        response: { ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<JobResponse> => {
      const job = await jobs.submitBatchScore(request.body);
      void reply.code(201);
      return { job };
    },
  );

  app.post<{ Body: MonitorRunPayload }>(
    '/jobs/monitor-run',
    {
      schema: {
        summary: 'Queue one run of a monitor on the job runner',
        description:
          'The run is taken by the platform or by a worker reading the shared prediction log; its result names ' +
          'the stored run. `POST /api/v1/monitors/{monitor}/run` runs it in the request instead.',
        tags,
        body: MonitorRunPayloadSchema,
        response: { ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<JobResponse> => {
      const job = await jobs.submitMonitorRun(request.body.monitorId);
      void reply.code(201);
      return { job };
    },
  );

  app.post<{ Body: CreateEvaluationRequest }>(
    '/jobs/evaluation',
    {
      schema: {
        summary: 'Queue an evaluation on the job runner (the body of POST /api/v1/evaluations)',
        description:
          'The request is checked and its aliases pinned to versions now; the evaluation then runs on the ' +
          'platform or a worker, survives restarts, and its result names the stored evaluation and the gate verdict.',
        tags,
        body: CreateEvaluationRequestSchema,
        response: { ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<JobResponse> => {
      const job = await jobs.submitEvaluation(request.body, actorOf(request));
      void reply.code(201);
      return { job };
    },
  );

  app.get<{ Querystring: Record<string, unknown> }>(
    '/jobs',
    { schema: { summary: 'List jobs, newest first (filters kind, state; max_results, page_token)', tags } },
    async (request): Promise<JobPage> => jobs.list(listQuery(request.query)),
  );

  app.get<{ Params: IdParams }>(
    '/jobs/:id',
    { schema: { summary: 'Get a job with its partitions, progress, rate and ETA', tags } },
    async (request): Promise<JobResponse> => ({ job: await jobs.get(request.params.id) }),
  );

  app.post<{ Params: IdParams }>(
    '/jobs/:id/cancel',
    { schema: { summary: 'Cancel a job: running partitions stop at their next chunk', tags } },
    async (request): Promise<JobResponse> => ({ job: await jobs.cancel(request.params.id) }),
  );

  app.post<{ Params: IdParams }>(
    '/jobs/:id/retry',
    {
      schema: {
        summary: 'Queue a failed or cancelled job again; it resumes after its committed chunks',
        tags,
      },
    },
    async (request): Promise<JobResponse> => ({ job: await jobs.retry(request.params.id) }),
  );
}

/** The listing's query string: `kind`, `state`, `max_results`, `page_token`. */
function listQuery(query: Record<string, unknown>): {
  kind?: JobKind;
  state?: JobState;
  limit?: number;
  pageToken?: string;
} {
  const kind = oneOf(query['kind'], JOB_KINDS, 'kind');
  const state = oneOf(query['state'], JOB_STATES, 'state');
  const max = query['max_results'];
  const token = query['page_token'];
  return {
    ...(kind === undefined ? {} : { kind }),
    ...(state === undefined ? {} : { state }),
    ...(max === undefined ? {} : { limit: Number(max) }),
    ...(typeof token === 'string' && token !== '' ? { pageToken: token } : {}),
  };
}

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], field: string): T | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw invalidArgument(field, `${field} must be one of ${allowed.join(', ')}`);
}
