/**
 * The native webhook routes on a bare Fastify app wired like http/app.ts (same ajv options, error
 * edge and schema error formatter), over a SQLite store. Mounting them in the real app is the app's job.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { nativeErrorResponse } from '../../src/http/error-mapping.js';
import { registerOpenApi } from '../../src/http/openapi.js';
import { registerWebhookRoutes } from '../../src/registry/webhook-routes.js';
import { WebhookService } from '../../src/registry/webhook-service.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlWebhookStore } from '../../src/storage/sql/sql-webhook-store.js';
import { schemaValidationError } from '../../src/tracking/tracking-routes-support.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';
import { registryEvent } from '../storage/webhook-store.contract.js';

let database: TestDatabase;
let backend: SqlBackend;
let store: SqlWebhookStore;
let app: FastifyInstance;

async function buildTestApp(service: WebhookService): Promise<FastifyInstance> {
  const instance = Fastify({
    ajv: { customOptions: { allErrors: false, coerceTypes: 'array', removeAdditional: false } },
  });
  instance.setErrorHandler((err, _request, reply) => {
    const { status, body } = nativeErrorResponse(err);
    void reply.status(status).send(body);
  });
  await registerOpenApi(instance);
  await instance.register(
    async (api) => {
      api.setSchemaErrorFormatter((errors, location) => schemaValidationError(errors, location));
      registerWebhookRoutes(api, service);
    },
    { prefix: '/api/v1' },
  );
  return instance;
}

beforeEach(async () => {
  database = await sqliteTestBackend.createDatabase();
  backend = await database.openBackend();
  store = new SqlWebhookStore(backend);
  app = await buildTestApp(new WebhookService({ store, now: () => 5_000 }));
});

afterEach(async () => {
  await app.close();
  await backend.close();
  await database.dispose();
});

async function createWebhook(body: Record<string, unknown> = {}): Promise<{ id: string; secret: string }> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/webhooks',
    payload: { url: 'https://example.com/hook', ...body },
  });
  expect(res.statusCode).toBe(201);
  const json = res.json<{ webhook: { id: string }; secret: string }>();
  return { id: json.webhook.id, secret: json.secret };
}

describe('webhook routes', () => {
  test('create answers 201 with the secret; later reads never include it', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      payload: { url: 'https://example.com/hook', events: ['alias.set'], description: 'prod' },
    });
    expect(res.statusCode).toBe(201);
    const { webhook, secret } = res.json<{ webhook: { id: string }; secret: string }>();
    expect(webhook).toEqual({
      id: webhook.id,
      url: 'https://example.com/hook',
      events: ['alias.set'],
      description: 'prod',
      active: true,
      creationTime: 5_000,
      lastUpdatedTime: 5_000,
    });
    for (const url of [`/api/v1/webhooks/${webhook.id}`, '/api/v1/webhooks']) {
      const read = await app.inject({ method: 'GET', url });
      expect(read.statusCode).toBe(200);
      expect(read.body).not.toContain(secret);
      expect(read.body).not.toContain('secret');
    }
    const list = await app.inject({ method: 'GET', url: '/api/v1/webhooks?maxResults=1' });
    expect(list.json()).toEqual({ webhooks: [webhook], nextPageToken: expect.any(String) });
  });

  test('patch, delete and not-found', async () => {
    const { id } = await createWebhook({ modelName: 'fraud' });
    const patched = await app.inject({
      method: 'PATCH',
      url: `/api/v1/webhooks/${id}`,
      payload: { modelName: null, active: false },
    });
    expect(patched.statusCode).toBe(200);
    expect(patched.json<{ webhook: Record<string, unknown> }>().webhook).not.toHaveProperty('modelName');
    expect(patched.json<{ webhook: { active: boolean } }>().webhook.active).toBe(false);
    expect((await app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}` })).statusCode).toBe(204);
    const missing = await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'NOT_FOUND', details: { field: 'id' } } });
  });

  test.each([
    [{ url: 'ftp://example.com/x' }, 'url'],
    [{ url: 'https://example.com/x', events: ['nope'] }, 'events[0]'],
    [{ url: 'https://example.com/x', secret: 'short' }, 'secret'],
    [{ url: 'https://example.com/x', extra: 1 }, 'extra'],
    [{}, 'url'],
  ])('rejects %j naming %s', async (payload, field) => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/webhooks', payload });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ error: { code: 'INVALID_ARGUMENT', details: { field } } });
  });

  test('deliveries list with attempts and a status filter; redeliver a finished one', async () => {
    const { id } = await createWebhook();
    await store.fanOut([registryEvent(1, { time: 5_000 }), registryEvent(2, { time: 5_000 })], 2, 5_000);
    const [claim] = await store.claimDueDeliveries(5_000, 1, 1_000);
    if (claim === undefined) throw new Error('nothing claimed');
    await store.recordAttempt({
      deliveryId: claim.deliveryId,
      leaseToken: claim.leaseToken,
      attempt: 1,
      time: 5_000,
      durationMs: 7,
      statusCode: 500,
      outcome: { status: 'failed' },
    });

    const list = await app.inject({ method: 'GET', url: `/api/v1/webhooks/${id}/deliveries` });
    expect(list.statusCode).toBe(200);
    const { deliveries } = list.json<{ deliveries: { id: string; status: string; eventSeq: number }[] }>();
    expect(deliveries.map((d) => [d.eventSeq, d.status])).toEqual([
      [2, 'pending'],
      [1, 'failed'],
    ]);
    const failed = await app.inject({
      method: 'GET',
      url: `/api/v1/webhooks/${id}/deliveries?status=failed`,
    });
    expect(failed.json()).toEqual({
      deliveries: [
        {
          id: claim.deliveryId,
          webhookId: id,
          eventSeq: 1,
          eventType: 'model_version.created',
          event: registryEvent(1, { time: 5_000 }),
          status: 'failed',
          attempts: 1,
          lastStatusCode: 500,
          lastAttemptTime: 5_000,
          creationTime: 5_000,
          attemptLog: [{ attempt: 1, time: 5_000, durationMs: 7, statusCode: 500 }],
        },
      ],
    });

    const redeliverUrl = (deliveryId: string) => `/api/v1/webhooks/${id}/deliveries/${deliveryId}/redeliver`;
    const again = await app.inject({ method: 'POST', url: redeliverUrl(claim.deliveryId) });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      delivery: { status: 'pending', attempts: 0, nextAttemptAt: 5_000 },
    });
    const pending = await app.inject({ method: 'POST', url: redeliverUrl(claim.deliveryId) });
    expect(pending.statusCode).toBe(409);
    expect(pending.json()).toMatchObject({ error: { code: 'FAILED_PRECONDITION' } });
    const unknown = await app.inject({ method: 'POST', url: redeliverUrl('nope') });
    expect(unknown.statusCode).toBe(404);
  });

  test('every route is in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, unknown>>;
    }>();
    const routes = [
      ['post', '/api/v1/webhooks'],
      ['get', '/api/v1/webhooks'],
      ['get', '/api/v1/webhooks/{id}'],
      ['patch', '/api/v1/webhooks/{id}'],
      ['delete', '/api/v1/webhooks/{id}'],
      ['get', '/api/v1/webhooks/{id}/deliveries'],
      ['post', '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'],
    ];
    for (const [method, path] of routes)
      expect(doc.paths[path ?? '']?.[method ?? ''], `${method} ${path}`).toBeDefined();
  });
});
