/** Webhook use cases: input validation, ids and secrets, paging, and redelivery rules (over SQLite). */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { WebhookService } from '../../src/registry/webhook-service.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlWebhookStore } from '../../src/storage/sql/sql-webhook-store.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';
import { expectError } from '../storage/contract/harness.js';
import { registryEvent } from '../storage/webhook-store.contract.js';

let database: TestDatabase;
let backend: SqlBackend;
let store: SqlWebhookStore;
let clock: { t: number };
let service: WebhookService;

beforeEach(async () => {
  database = await sqliteTestBackend.createDatabase();
  backend = await database.openBackend();
  store = new SqlWebhookStore(backend);
  clock = { t: 10_000 };
  service = new WebhookService({ store, now: () => clock.t });
});

afterEach(async () => {
  await backend.close();
  await database.dispose();
});

describe('createWebhook', () => {
  test('generates an id and a secret, returned once; reads never carry the secret', async () => {
    const { webhook, secret } = await service.createWebhook({
      url: 'https://hooks.example.com/slipway',
      events: ['alias.set', 'alias.deleted', 'alias.set'],
      modelName: 'fraud',
    });
    expect(secret).toMatch(/^whsec_[\w-]{43}$/);
    expect(webhook).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      url: 'https://hooks.example.com/slipway',
      events: ['alias.deleted', 'alias.set'],
      modelName: 'fraud',
      description: '',
      active: true,
      creationTime: 10_000,
      lastUpdatedTime: 10_000,
    });
    expect(JSON.stringify(await service.getWebhook(webhook.id))).not.toContain(secret);
    expect(await store.getWebhookSecret(webhook.id)).toBe(secret);
    const other = await service.createWebhook({ url: 'http://127.0.0.1:8080/' });
    expect(other.webhook.id).not.toBe(webhook.id);
    expect(other.secret).not.toBe(secret);
  });

  test('keeps a given secret, and rejects a weak one', async () => {
    const { secret } = await service.createWebhook({ url: 'http://h/', secret: 'my-own-secret-value' });
    expect(secret).toBe('my-own-secret-value');
    await expectError(
      service.createWebhook({ url: 'http://h/', secret: 'short' }),
      'INVALID_ARGUMENT',
      'secret',
    );
    await expectError(
      service.createWebhook({ url: 'http://h/', secret: 'has spaces in it, sixteen+' }),
      'INVALID_ARGUMENT',
      'secret',
    );
  });

  test.each([
    'ftp://example.com/hook',
    'javascript:alert(1)',
    'file:///etc/passwd',
    'not a url',
    '/relative/path',
    'http://user:pw@example.com/hook',
    'https://example.com/hook#frag',
    `https://example.com/${'x'.repeat(2048)}`,
  ])('rejects the URL %s', async (url) => {
    await expectError(service.createWebhook({ url }), 'INVALID_ARGUMENT', 'url');
  });

  test('rejects unknown event types and invalid model names, naming the field', async () => {
    await expectError(
      service.createWebhook({ url: 'http://h/', events: ['alias.set', 'nope' as 'alias.set'] }),
      'INVALID_ARGUMENT',
      'events[1]',
    );
    await expectError(
      service.createWebhook({ url: 'http://h/', modelName: '' }),
      'INVALID_ARGUMENT',
      'modelName',
    );
    await expectError(
      service.createWebhook({ url: 'http://h/', description: 'x'.repeat(5001) }),
      'INVALID_ARGUMENT',
      'description',
    );
  });
});

describe('managing webhooks', () => {
  test('update changes only given fields; an empty patch changes nothing; modelName null clears', async () => {
    const { webhook } = await service.createWebhook({ url: 'http://h/', modelName: 'fraud' });
    clock.t = 20_000;
    expect(await service.updateWebhook(webhook.id, {})).toEqual(webhook);
    const updated = await service.updateWebhook(webhook.id, {
      modelName: null,
      description: 'd',
      active: false,
    });
    expect(updated).toEqual({
      ...webhook,
      modelName: undefined,
      description: 'd',
      active: false,
      lastUpdatedTime: 20_000,
    });
    await expectError(service.updateWebhook(webhook.id, { url: 'ftp://x' }), 'INVALID_ARGUMENT', 'url');
    await expectError(service.updateWebhook('nope', { active: true }), 'NOT_FOUND', 'id');
    await expectError(service.updateWebhook('nope', {}), 'NOT_FOUND', 'id');
  });

  test('list pages with tokens; delete removes', async () => {
    const ids = [];
    for (let i = 0; i < 3; i++) {
      clock.t += 1;
      ids.push((await service.createWebhook({ url: `http://h/${i}` })).webhook.id);
    }
    const first = await service.listWebhooks({ maxResults: 2 });
    expect(first.items.map((w) => w.id)).toEqual(ids.slice(0, 2));
    const second = await service.listWebhooks({ maxResults: 2, pageToken: first.nextPageToken ?? '' });
    expect(second).toEqual({ items: [expect.objectContaining({ id: ids[2] })] });
    await expectError(service.listWebhooks({ pageToken: 'garbage!' }), 'INVALID_ARGUMENT', 'pageToken');
    await expectError(service.listWebhooks({ maxResults: 0 }), 'INVALID_ARGUMENT', 'maxResults');
    await service.deleteWebhook(ids[0] ?? '');
    await expectError(service.getWebhook(ids[0] ?? ''), 'NOT_FOUND', 'id');
    await expectError(service.deleteWebhook(ids[0] ?? ''), 'NOT_FOUND', 'id');
  });
});

describe('deliveries', () => {
  test('listing needs an existing webhook; redeliver checks ownership, state and activity', async () => {
    const a = (await service.createWebhook({ url: 'http://h/a' })).webhook;
    const b = (await service.createWebhook({ url: 'http://h/b' })).webhook;
    await store.fanOut([registryEvent(1, { time: 10_000 })], 1, 10_000);
    await expectError(service.listDeliveries('nope'), 'NOT_FOUND', 'id');
    const [delivery] = (await service.listDeliveries(a.id)).items;
    if (delivery === undefined) throw new Error('no delivery');
    expect(await service.getDelivery(a.id, delivery.id)).toEqual(delivery);
    await expectError(service.getDelivery(b.id, delivery.id), 'NOT_FOUND', 'deliveryId');

    await expectError(service.redeliver(b.id, delivery.id), 'NOT_FOUND', 'deliveryId');
    await expectError(service.redeliver(a.id, 'nope'), 'NOT_FOUND', 'deliveryId');
    await expectError(service.redeliver(a.id, delivery.id), 'FAILED_PRECONDITION', 'deliveryId');

    const [claim] = await store.claimDueDeliveries(10_000, 10, 1_000);
    if (claim === undefined) throw new Error('nothing claimed');
    await store.recordAttempt({
      deliveryId: claim.deliveryId,
      leaseToken: claim.leaseToken,
      attempt: 1,
      time: 10_000,
      durationMs: 1,
      statusCode: 410,
      outcome: { status: 'failed', deactivateWebhook: true },
    });
    const owner = claim.webhookId;
    await expectError(service.redeliver(owner, claim.deliveryId), 'FAILED_PRECONDITION', 'active');
    await service.updateWebhook(owner, { active: true });
    expect(await service.redeliver(owner, claim.deliveryId)).toMatchObject({
      status: 'pending',
      attempts: 0,
    });
    expect((await service.listDeliveries(owner, { status: 'failed' })).items).toEqual([]);
  });
});
