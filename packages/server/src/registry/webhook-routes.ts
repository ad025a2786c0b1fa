/** Native `/webhooks` routes: schema-validated input → WebhookService → `{ webhook(s) | delivery(ies) }`. */
import {
  CreateWebhookRequestSchema,
  CreateWebhookResponseSchema,
  ListDeliveriesQuerySchema,
  ListWebhooksQuerySchema,
  UpdateWebhookRequestSchema,
  WebhookDeliveryListResponseSchema,
  WebhookDeliveryParamsSchema,
  WebhookDeliveryResponseSchema,
  WebhookIdParamsSchema,
  WebhookListResponseSchema,
  WebhookResponseSchema,
  type CreateWebhookRequest,
  type CreateWebhookResponse,
  type ListDeliveriesQuery,
  type ListWebhooksQuery,
  type UpdateWebhookRequest,
  type WebhookDeliveryListResponse,
  type WebhookDeliveryResponse,
  type WebhookListResponse,
  type WebhookResponse,
} from '@slipway/contracts';
import type { FastifyInstance } from 'fastify';
import type { Static } from 'typebox';
import { ERROR_RESPONSES, NO_CONTENT } from '../tracking/tracking-routes-support.js';
import type { WebhookService } from './webhook-service.js';

type IdParams = Static<typeof WebhookIdParamsSchema>;
type DeliveryParams = Static<typeof WebhookDeliveryParamsSchema>;

const tags = ['webhooks'];

/**
 * Registers the webhook routes on `app` (mounted under `/api/v1`). Service errors already name
 * fields in the native spelling, so no renaming error handler is needed.
 */
export function registerWebhookRoutes(app: FastifyInstance, webhooks: WebhookService): void {
  app.post<{ Body: CreateWebhookRequest }>(
    '/webhooks',
    {
      schema: {
        summary: 'Create a webhook on registry events (the response carries its secret, this once)',
        tags,
        body: CreateWebhookRequestSchema,
        response: { 201: CreateWebhookResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request, reply): Promise<CreateWebhookResponse> => {
      const created = await webhooks.createWebhook(request.body);
      void reply.code(201);
      return created;
    },
  );

  app.get<{ Querystring: ListWebhooksQuery }>(
    '/webhooks',
    {
      schema: {
        summary: 'List webhooks, oldest first',
        tags,
        querystring: ListWebhooksQuerySchema,
        response: { 200: WebhookListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<WebhookListResponse> => {
      const page = await webhooks.listWebhooks(request.query);
      return { webhooks: page.items, ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}) };
    },
  );

  app.get<{ Params: IdParams }>(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Get a webhook (without its secret)',
        tags,
        params: WebhookIdParamsSchema,
        response: { 200: WebhookResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<WebhookResponse> => ({ webhook: await webhooks.getWebhook(request.params.id) }),
  );

  app.patch<{ Params: IdParams; Body: UpdateWebhookRequest }>(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Change a webhook (modelName: null removes the model filter)',
        tags,
        params: WebhookIdParamsSchema,
        body: UpdateWebhookRequestSchema,
        response: { 200: WebhookResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<WebhookResponse> => ({
      webhook: await webhooks.updateWebhook(request.params.id, request.body),
    }),
  );

  app.delete<{ Params: IdParams }>(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook and its delivery log',
        tags,
        params: WebhookIdParamsSchema,
        response: { 204: NO_CONTENT, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      await webhooks.deleteWebhook(request.params.id);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: IdParams; Querystring: ListDeliveriesQuery }>(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "List a webhook's deliveries with their attempts, newest event first",
        tags,
        params: WebhookIdParamsSchema,
        querystring: ListDeliveriesQuerySchema,
        response: { 200: WebhookDeliveryListResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<WebhookDeliveryListResponse> => {
      const page = await webhooks.listDeliveries(request.params.id, request.query);
      return {
        deliveries: page.items,
        ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
      };
    },
  );

  app.post<{ Params: DeliveryParams }>(
    '/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        summary: 'Queue a finished delivery again with a fresh attempt budget',
        tags,
        params: WebhookDeliveryParamsSchema,
        response: { 200: WebhookDeliveryResponseSchema, ...ERROR_RESPONSES },
      },
    },
    async (request): Promise<WebhookDeliveryResponse> => ({
      delivery: await webhooks.redeliver(request.params.id, request.params.deliveryId),
    }),
  );
}
