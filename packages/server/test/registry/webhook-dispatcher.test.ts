/**
 * The dispatcher end to end against a real local HTTP receiver and the SQL webhook store of every
 * test backend. The registry event log is a fake (the port's listEvents); time is a fake clock that
 * tests advance, so no test waits for a real backoff.
 */
import type { RegistryEvent, WebhookDelivery, WebhookPayload } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { RegistryEventQuery, RegistryStore } from '../../src/registry/registry-store.js';
import { WebhookDispatcher, type WebhookDispatcherDeps } from '../../src/registry/webhook-dispatcher.js';
import { WebhookService } from '../../src/registry/webhook-service.js';
import { verifyWebhookSignature, type WebhookRetryPolicy } from '../../src/registry/webhook-signing.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlWebhookStore } from '../../src/storage/sql/sql-webhook-store.js';
import { testBackends, type TestBackend, type TestDatabase } from '../storage/backends.js';
import { closedPortUrl, WebhookReceiver } from './webhook-receiver.js';

/** An in-memory registry event log: what the dispatcher reads through the RegistryStore port. */
class FakeEventLog implements Pick<RegistryStore, 'listEvents'> {
  readonly events: RegistryEvent[] = [];

  constructor(private readonly clock: { t: number }) {}

  /** Appends an event at the clock's time, with the next seq unless given. */
  append(overrides: Partial<RegistryEvent> = {}): RegistryEvent {
    const event: RegistryEvent = {
      seq: (this.events.at(-1)?.seq ?? 0) + 1,
      type: 'alias.set',
      time: this.clock.t,
      actor: 'alice',
      modelName: 'fraud',
      alias: 'champion',
      toVersion: '2',
      ...overrides,
    };
    this.events.push(event);
    this.events.sort((a, b) => a.seq - b.seq);
    return event;
  }

  listEvents(query: RegistryEventQuery): Promise<RegistryEvent[]> {
    const after = query.afterSeq ?? 0;
    return Promise.resolve(this.events.filter((e) => e.seq > after).slice(0, query.limit));
  }
}

const START = 1_700_000_000_000;
const POLICY: Partial<WebhookRetryPolicy> = { maxAttempts: 4, baseDelayMs: 1_000, timeoutMs: 2_000 };

for (const backend of testBackends()) dispatcherSuite(backend);

function dispatcherSuite(backend: TestBackend): void {
  describe(`WebhookDispatcher over HTTP (${backend.name})`, () => {
    let database: TestDatabase;
    let sqlBackend: SqlBackend;
    let store: SqlWebhookStore;
    let receiver: WebhookReceiver;
    let clock: { t: number };
    let log: FakeEventLog;
    let service: WebhookService;
    let dispatchers: WebhookDispatcher[];

    beforeEach(async () => {
      database = await backend.createDatabase();
      sqlBackend = await database.openBackend();
      store = new SqlWebhookStore(sqlBackend);
      receiver = await WebhookReceiver.start();
      clock = { t: START };
      log = new FakeEventLog(clock);
      service = new WebhookService({ store, now: () => clock.t });
      dispatchers = [];
    });

    afterEach(async () => {
      for (const d of dispatchers) await d.stop();
      await receiver.close();
      await sqlBackend.close();
      await database.dispose();
    });

    function dispatcher(overrides: Partial<WebhookDispatcherDeps> = {}): WebhookDispatcher {
      const created = new WebhookDispatcher({
        registryEvents: log,
        webhooks: store,
        now: () => clock.t,
        random: () => 0.5,
        policy: POLICY,
        ...overrides,
      });
      dispatchers.push(created);
      return created;
    }

    async function onlyDelivery(webhookId: string): Promise<WebhookDelivery> {
      const { items } = await service.listDeliveries(webhookId);
      expect(items).toHaveLength(1);
      return items[0] as WebhookDelivery;
    }

    test('delivers a signed POST with the event as JSON', async () => {
      const { webhook, secret } = await service.createWebhook({ url: `${receiver.url}/hook?x=1` });
      const event = log.append();
      const d = dispatcher();

      expect(await d.tick()).toEqual({
        fannedOut: 1,
        attempted: 1,
        succeeded: 1,
        retrying: 0,
        failed: 0,
        more: false,
      });
      const delivery = await onlyDelivery(webhook.id);
      const [request] = receiver.requests;
      expect(request).toMatchObject({ method: 'POST', path: '/hook?x=1' });
      expect(request?.headers).toMatchObject({
        'content-type': 'application/json',
        'slipway-event': 'alias.set',
        'slipway-delivery': delivery.id,
      });
      const signature = String(request?.headers['slipway-signature']);
      expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
      expect(verifyWebhookSignature(secret, signature, request?.body ?? '', clock.t)).toBe(true);
      expect(verifyWebhookSignature('wrong-secret-0123456789', signature, request?.body ?? '', clock.t)).toBe(
        false,
      );
      const payload: WebhookPayload = {
        id: delivery.id,
        type: 'alias.set',
        time: START,
        actor: 'alice',
        data: event,
      };
      expect(JSON.parse(request?.body ?? '')).toEqual(payload);

      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, lastStatusCode: 204 });
      expect(delivery.attemptLog).toEqual([
        { attempt: 1, time: START, durationMs: expect.any(Number), statusCode: 204 },
      ]);
      expect(await d.tick()).toMatchObject({ fannedOut: 0, attempted: 0 });
      expect(receiver.requests).toHaveLength(1);
    });

    test('retries failures after the backoff on the injected clock, then succeeds', async () => {
      const { webhook, secret } = await service.createWebhook({ url: receiver.url });
      log.append();
      receiver.failNext(2, 500);
      const d = dispatcher();

      expect(await d.tick()).toMatchObject({ attempted: 1, retrying: 1 });
      // random 0.5 × base 1 s.
      expect(await onlyDelivery(webhook.id)).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: START + 500,
        lastStatusCode: 500,
      });
      clock.t += 499;
      expect(await d.tick()).toMatchObject({ attempted: 0 });
      clock.t += 1;
      expect(await d.tick()).toMatchObject({ attempted: 1, retrying: 1 });
      expect(await onlyDelivery(webhook.id)).toMatchObject({ nextAttemptAt: START + 500 + 1_000 });
      clock.t += 1_000;
      expect(await d.tick()).toMatchObject({ attempted: 1, succeeded: 1 });

      const delivery = await onlyDelivery(webhook.id);
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3 });
      expect(delivery.attemptLog.map((a) => [a.attempt, a.time, a.statusCode])).toEqual([
        [1, START, 500],
        [2, START + 500, 500],
        [3, START + 1_500, 204],
      ]);
      // Every retry is the same delivery, signed afresh.
      expect(new Set(receiver.requests.map((r) => r.headers['slipway-delivery']))).toEqual(
        new Set([delivery.id]),
      );
      expect(new Set(receiver.requests.map((r) => JSON.parse(r.body).id))).toEqual(new Set([delivery.id]));
      const times = [START, START + 500, START + 1_500];
      receiver.requests.forEach((r, i) =>
        expect(
          verifyWebhookSignature(secret, String(r.headers['slipway-signature']), r.body, times[i] ?? 0),
        ).toBe(true),
      );
    });

    test('gives up after maxAttempts with every attempt in the log', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      log.append();
      receiver.respondWith(503);
      const d = dispatcher();
      const results = [];
      for (let i = 0; i < 6; i++) {
        results.push(await d.tick());
        clock.t += 60_000;
      }
      expect(results.map((r) => [r.attempted, r.retrying, r.failed])).toEqual([
        [1, 1, 0],
        [1, 1, 0],
        [1, 1, 0],
        [1, 0, 1],
        [0, 0, 0],
        [0, 0, 0],
      ]);
      const delivery = await onlyDelivery(webhook.id);
      expect(delivery).toMatchObject({ status: 'failed', attempts: 4, lastStatusCode: 503 });
      expect(delivery).not.toHaveProperty('nextAttemptAt');
      expect(delivery.attemptLog.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 503],
        [2, 503],
        [3, 503],
        [4, 503],
      ]);
      expect(receiver.requests).toHaveLength(4);
      // Failing one delivery does not touch the webhook.
      expect((await service.getWebhook(webhook.id)).active).toBe(true);
    });

    test('a receiver that hangs past the timeout is a failed attempt, retried', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      log.append();
      receiver.hangNext(1);
      const d = dispatcher({ policy: { ...POLICY, timeoutMs: 150 } });

      expect(await d.tick()).toMatchObject({ attempted: 1, retrying: 1 });
      const [attempt] = (await onlyDelivery(webhook.id)).attemptLog;
      expect(attempt).toEqual({
        attempt: 1,
        time: START,
        durationMs: expect.any(Number),
        error: 'timed out after 150 ms',
      });
      clock.t += 500;
      expect(await d.tick()).toMatchObject({ succeeded: 1 });
      expect(receiver.requests).toHaveLength(2);
    });

    test('a refused connection is a failed attempt with the cause in the log', async () => {
      const { webhook } = await service.createWebhook({ url: await closedPortUrl() });
      log.append();
      expect(await dispatcher().tick()).toMatchObject({ attempted: 1, retrying: 1 });
      const delivery = await onlyDelivery(webhook.id);
      expect(delivery.lastError).toMatch(/ECONNREFUSED/);
      expect(delivery).not.toHaveProperty('lastStatusCode');
    });

    test('410 Gone fails the delivery for good and deactivates the webhook', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      const other = await service.createWebhook({ url: `${receiver.url}/other` });
      log.append();
      log.append({ seq: 2 });
      receiver.failNext(1, 410);
      const d = dispatcher({ maxConcurrentDeliveries: 1 });

      expect(await d.tick()).toMatchObject({ fannedOut: 4, attempted: 1, failed: 1 });
      const gone = receiver.requests[0]?.path === '/' ? webhook.id : other.webhook.id;
      expect((await service.getWebhook(gone)).active).toBe(false);
      clock.t += 3_600_000;
      log.append();
      for (let i = 0; i < 4; i++) await d.tick();
      // The live webhook got all three events; the gone one nothing after the 410.
      expect(receiver.requests).toHaveLength(4);
      const { items } = await service.listDeliveries(gone);
      expect(items.map((i) => i.status)).toEqual(['pending', 'failed']);
      expect(items[1]?.attemptLog.map((a) => a.statusCode)).toEqual([410]);
    });

    test('redeliver sends a finished delivery again with a fresh attempt budget', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      log.append();
      receiver.failNext(1, 500);
      const d = dispatcher({ policy: { ...POLICY, maxAttempts: 1 } });
      const redelivered: string[] = [];
      const withNotify = new WebhookService({
        store,
        now: () => clock.t,
        onRedeliver: () => redelivered.push('notified'),
      });

      expect(await d.tick()).toMatchObject({ failed: 1 });
      const failed = await onlyDelivery(webhook.id);
      clock.t += 10_000;
      const reset = await withNotify.redeliver(webhook.id, failed.id);
      expect(reset).toMatchObject({ status: 'pending', attempts: 0, nextAttemptAt: clock.t });
      expect(redelivered).toEqual(['notified']);
      expect(await d.tick()).toMatchObject({ fannedOut: 0, succeeded: 1 });

      const delivery = await onlyDelivery(webhook.id);
      expect(delivery.attemptLog.map((a) => [a.attempt, a.statusCode])).toEqual([
        [1, 500],
        [1, 204],
      ]);
      expect(receiver.requests.map((r) => r.headers['slipway-delivery'])).toEqual([failed.id, failed.id]);
    });

    test('fan-out waits for a gap in the seqs to fill, and moves past it after the grace period', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      log.append({ seq: 1 });
      log.append({ seq: 3 });
      log.append({ seq: 4 });
      const d = dispatcher({ gapGraceMs: 10_000 });
      const seqs = (): number[] =>
        receiver.requests.map((r) => (JSON.parse(r.body) as WebhookPayload).data.seq);

      await d.tick();
      expect(seqs()).toEqual([1]);
      clock.t += 5_000;
      await d.tick();
      expect(seqs()).toEqual([1]);
      // Seq 2 commits late (a concurrent transaction): it is delivered, not skipped.
      log.append({ seq: 2, time: START });
      await d.tick();
      expect(seqs().sort()).toEqual([1, 2, 3, 4]);

      log.append({ seq: 6 });
      await d.tick();
      expect(seqs()).toHaveLength(4);
      clock.t += 10_000;
      // Seq 5 never appears (rolled back): after the grace period fan-out moves on.
      await d.tick();
      expect(seqs()).toHaveLength(5);
      expect(await store.getFanOutCursor()).toBe(6);
      expect((await service.listDeliveries(webhook.id)).items).toHaveLength(5);
    });

    test('concurrent ticks, and two dispatchers on one database, deliver each attempt once', async () => {
      await service.createWebhook({ url: receiver.url });
      await service.createWebhook({ url: `${receiver.url}/b`, events: ['model_version.created'] });
      for (let i = 0; i < 5; i++) log.append({ type: i % 2 === 0 ? 'alias.set' : 'model_version.created' });
      const secondBackend = await database.openBackend();
      try {
        const a = dispatcher();
        const b = dispatcher({ webhooks: new SqlWebhookStore(secondBackend) });
        const results = await Promise.all([a.tick(), a.tick(), b.tick(), b.tick()]);
        expect(results.reduce((sum, r) => sum + r.fannedOut, 0)).toBe(7);
        expect(results.reduce((sum, r) => sum + r.attempted, 0)).toBe(7);
        expect(receiver.requests).toHaveLength(7);
        expect(new Set(receiver.requests.map((r) => r.headers['slipway-delivery'])).size).toBe(7);
      } finally {
        await secondBackend.close();
      }
    });

    test('start() delivers soon after notify(); stop() waits for the tick in flight', async () => {
      const { webhook } = await service.createWebhook({ url: receiver.url });
      receiver.hangNext(1);
      const errors: unknown[] = [];
      const d = dispatcher({
        policy: { ...POLICY, timeoutMs: 200 },
        notifyDebounceMs: 1,
        onError: (error) => errors.push(error),
      });
      d.start(3_600_000);
      // The first tick runs at once and finds nothing; the event arrives afterwards.
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.append();
      d.notify();
      d.notify();
      await receiver.waitForRequests(1);
      await d.stop();
      // The hanging attempt timed out and was recorded before stop() resolved.
      expect((await onlyDelivery(webhook.id)).attemptLog).toEqual([
        { attempt: 1, time: START, durationMs: expect.any(Number), error: 'timed out after 200 ms' },
      ]);
      d.notify();
      expect(receiver.requests).toHaveLength(1);
      expect(errors).toEqual([]);
    });
  });
}
