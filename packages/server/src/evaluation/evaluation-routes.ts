/**
 * The native evaluation API under `/api/v1`: evaluations, baselines, each registered model's
 * evaluation policy, and gated promotion. Handlers only translate between HTTP and the services.
 */
import {
  CreateBaselineRequestSchema,
  CreateBaselineResponseSchema,
  CreateEvaluationRequestSchema,
  EvaluationListResponseSchema,
  EvaluationParamsSchema,
  EvaluationPolicyResponseSchema,
  EvaluationPolicySchema,
  EvaluationResponseSchema,
  ListEvaluationsQuerySchema,
  ModelNameParamsSchema,
  ModelVersionParamsSchema,
  PromoteRequestSchema,
  PromoteResponseSchema,
  type CreateBaselineRequest,
  type CreateBaselineResponse,
  type CreateEvaluationRequest,
  type EvaluationListResponse,
  type EvaluationPolicy,
  type EvaluationPolicyResponse,
  type EvaluationResponse,
  type ListEvaluationsQuery,
  type PromoteRequest,
  type PromoteResponse,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { actorOf } from '../registry/request-actor.js';
import { ERROR_RESPONSES, NO_CONTENT } from '../tracking/tracking-routes-support.js';
import type { BaselineService } from './baseline-service.js';
import type { EvaluationService } from './evaluation-service.js';
import type { PromotionService } from './promotion.js';

/** The services behind the evaluation routes. */
export interface EvaluationRouteServices {
  evaluations: EvaluationService;
  promotions: PromotionService;
  baselines: BaselineService;
}

type NameParams = Static<typeof ModelNameParamsSchema>;
type VersionParams = Static<typeof ModelVersionParamsSchema>;
type IdParams = Static<typeof EvaluationParamsSchema>;

const tags = ['evaluation'];

/** Registers every evaluation route on `app` (mounted under `/api/v1` with the native conventions). */
export function registerEvaluationRoutes(app: FastifyInstance, services: EvaluationRouteServices): void {
  registerEvaluations(app, services.evaluations);
  registerPolicies(app, services.promotions);
  registerBaselines(app, services.baselines);
}

function registerEvaluations(app: FastifyInstance, evaluations: EvaluationService): void {
  app.post<{ Body: CreateEvaluationRequest }>(
    '/evaluations',
    {
      schema: {
        summary: 'Evaluate model versions (baselines included) on a dataset; optionally judge a gate',
        description:
          'Runs synchronously; the stored evaluation is returned, logged to a tracking run. Nothing is ' +
          'stored when any step fails.',
        tags,
        body: CreateEvaluationRequestSchema,
        response: { 200: EvaluationResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EvaluationResponse> => ({
      evaluation: await evaluations.evaluate(request.body, actorOf(request)),
    }),
  );

  app.get<{ Params: IdParams }>(
    '/evaluations/:id',
    {
      schema: {
        summary: 'Get a stored evaluation',
        tags,
        params: EvaluationParamsSchema,
        response: { 200: EvaluationResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EvaluationResponse> => ({
      evaluation: await evaluations.get(request.params.id),
    }),
  );

  app.get<{ Querystring: ListEvaluationsQuery }>(
    '/evaluations',
    {
      schema: {
        summary: 'List stored evaluations, newest first',
        tags,
        querystring: ListEvaluationsQuerySchema,
        response: { 200: EvaluationListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EvaluationListResponse> => ({
      evaluations: await evaluations.list(request.query),
    }),
  );
}

function registerPolicies(app: FastifyInstance, promotions: PromotionService): void {
  app.put<{ Params: NameParams; Body: EvaluationPolicy }>(
    '/models/:name/evaluation-policy',
    {
      schema: {
        summary: "Set a registered model's evaluation policy (held-out data, baseline, gate)",
        tags,
        params: ModelNameParamsSchema,
        body: EvaluationPolicySchema,
        response: { 200: EvaluationPolicyResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EvaluationPolicyResponse> => ({
      policy: await promotions.setPolicy(request.params.name, request.body),
    }),
  );

  app.get<{ Params: NameParams }>(
    '/models/:name/evaluation-policy',
    {
      schema: {
        summary: "Get a registered model's evaluation policy",
        tags,
        params: ModelNameParamsSchema,
        response: { 200: EvaluationPolicyResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<EvaluationPolicyResponse> => ({
      policy: await promotions.getPolicy(request.params.name),
    }),
  );

  app.delete<{ Params: NameParams }>(
    '/models/:name/evaluation-policy',
    {
      schema: {
        summary: "Remove a registered model's evaluation policy",
        tags,
        params: ModelNameParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await promotions.deletePolicy(request.params.name);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: VersionParams; Body: PromoteRequest }>(
    '/models/:name/versions/:version/promote',
    {
      schema: {
        summary: 'Move an alias to this version only if it passes the model’s gate',
        description:
          'Evaluates the version against the policy baseline on the policy dataset. A failed gate is ' +
          'FAILED_PRECONDITION with details.verdict and details.evaluationId, unless force is set ' +
          '(then the move is recorded as overridden).',
        tags,
        params: ModelVersionParamsSchema,
        body: PromoteRequestSchema,
        response: { 200: PromoteResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<PromoteResponse> => {
      const { name, version } = request.params;
      return promotions.promote(name, version, request.body, actorOf(request));
    },
  );
}

function registerBaselines(app: FastifyInstance, baselines: BaselineService): void {
  app.post<{ Body: CreateBaselineRequest }>(
    '/baselines',
    {
      schema: {
        summary: 'Fit (constant, rules) or declare a baseline and register it as a model version',
        tags,
        body: CreateBaselineRequestSchema,
        response: { 200: CreateBaselineResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<CreateBaselineResponse> => baselines.create(request.body, actorOf(request)),
  );
}
