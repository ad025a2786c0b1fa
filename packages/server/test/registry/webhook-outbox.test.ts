/**
 * The outbox end to end: registry writes through the real SqlRegistryStore append events in their
 * transaction; the dispatcher fans them out from that log and delivers them to a local HTTP
 * receiver. Includes the crashes the design exists for: between the write and the fan-out, and
 * between the claim and the recorded attempt.
 */
import type { WebhookPayload } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { WebhookDispatcher } from '../../src/registry/webhook-dispatcher.js';
import { WebhookService } from '../../src/registry/webhook-service.js';
import { DEFAULT_RETRY_POLICY } from '../../src/registry/webhook-signing.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlRegistryStore } from '../../src/storage/sql/sql-registry-store.js';
import { SqlWebhookStore } from '../../src/storage/sql/sql-webhook-store.js';
import { testBackends, type TestBackend, type TestDatabase } from '../storage/backends.js';
import { WebhookReceiver } from './webhook-receiver.js';

const START = 1_700_000_000_000;

for (const backend of testBackends()) outboxSuite(backend);

/** One process's view of the database: a backend and the stores over it. */
interface Process {
  backend: SqlBackend;
  registry: SqlRegistryStore;
  webhooks: SqlWebhookStore;
  dispatcher: WebhookDispatcher;
}

function outboxSuite(backend: TestBackend): void {
  describe(`registry events → webhooks (${backend.name})`, () => {
    let database: TestDatabase;
    let receiver: WebhookReceiver;
    let clock: { t: number };
    let processes: Process[];

    beforeEach(async () => {
      database = await backend.createDatabase();
      receiver = await WebhookReceiver.start();
      clock = { t: START };
      processes = [];
    });

    afterEach(async () => {
      for (const p of processes) await p.backend.close();
      await receiver.close();
      await database.dispose();
    });

    async function openProcess(): Promise<Process> {
      const opened = await database.openBackend();
      const registry = new SqlRegistryStore(opened);
      const webhooks = new SqlWebhookStore(opened);
      const dispatcher = new WebhookDispatcher({
        registryEvents: registry,
        webhooks,
        now: () => clock.t,
        random: () => 0.5,
      });
      const process = { backend: opened, registry, webhooks, dispatcher };
      processes.push(process);
      return process;
    }

    /** Simulates the process dying: its connections go, nothing else happens. */
    async function crash(process: Process): Promise<void> {
      processes = processes.filter((p) => p !== process);
      await process.backend.close();
    }

    async function registryWrites(registry: SqlRegistryStore): Promise<void> {
      const by = { actor: 'alice', now: clock.t };
      await registry.createRegisteredModel({ name: 'fraud', description: '', tags: {}, ...by });
      await registry.createModelVersion({
        name: 'fraud',
        source: 'mlflow-artifacts:/1/model',
        runId: '',
        runLink: '',
        description: '',
        tags: {},
        status: 'READY',
        statusMessage: '',
        ...by,
      });
      await registry.moveAlias({ name: 'fraud', alias: 'champion', expectedFrom: undefined, to: '1', ...by });
      await registry.createRegisteredModel({ name: 'churn', description: '', tags: {}, ...by });
    }

    function payloads(path: string): WebhookPayload[] {
      return receiver.requests
        .filter((r) => r.path === path)
        .map((r) => JSON.parse(r.body) as WebhookPayload)
        .sort((a, b) => a.data.seq - b.data.seq);
    }

    test('every registry event reaches the webhooks it matches, as the log recorded it', async () => {
      const p = await openProcess();
      const service = new WebhookService({ store: p.webhooks, now: () => clock.t });
      await service.createWebhook({ url: `${receiver.url}/all` });
      await service.createWebhook({
        url: `${receiver.url}/fraud-aliases`,
        events: ['alias.set'],
        modelName: 'fraud',
      });
      await registryWrites(p.registry);

      const result = await p.dispatcher.tick();
      expect(result).toMatchObject({ fannedOut: 5, attempted: 5, succeeded: 5 });
      const logged = await p.registry.listEvents({ limit: 100 });
      expect(logged.map((e) => e.type)).toEqual([
        'registered_model.created',
        'model_version.created',
        'alias.set',
        'registered_model.created',
      ]);
      expect(payloads('/all').map((body) => body.data)).toEqual(logged);
      expect(payloads('/fraud-aliases').map((body) => body.data)).toEqual([logged[2]]);
      expect(payloads('/fraud-aliases')[0]).toMatchObject({
        type: 'alias.set',
        actor: 'alice',
        time: START,
        data: { modelName: 'fraud', alias: 'champion', toVersion: '1' },
      });
    });

    test('no event is lost when the process dies after the write, or during an attempt', async () => {
      const first = await openProcess();
      const service = new WebhookService({ store: first.webhooks, now: () => clock.t });
      const { webhook } = await service.createWebhook({ url: receiver.url });
      await registryWrites(first.registry);
      // Dies before any fan-out: the events are only in the registry log.
      await crash(first);

      const second = await openProcess();
      // Fans out, claims one delivery and dies before recording its attempt.
      await second.webhooks.fanOut(await second.registry.listEvents({ limit: 100 }), 4, clock.t);
      const [lost] = await second.webhooks.claimDueDeliveries(clock.t, 1, 40_000);
      await crash(second);

      const third = await openProcess();
      expect(await third.dispatcher.tick()).toMatchObject({ fannedOut: 0, succeeded: 3 });
      // The claimed delivery waits out its lease, then goes out like the rest.
      clock.t += DEFAULT_RETRY_POLICY.timeoutMs + 30_000;
      expect(await third.dispatcher.tick()).toMatchObject({ succeeded: 1 });
      expect(payloads('/').map((body) => body.data.seq)).toEqual([1, 2, 3, 4]);
      const { items } = await new WebhookService({ store: third.webhooks }).listDeliveries(webhook.id);
      expect(items.every((d) => d.status === 'succeeded' && d.attempts === 1)).toBe(true);
      expect(items.find((d) => d.id === lost?.deliveryId)?.attemptLog).toHaveLength(1);
    });
  });
}
