/**
 * The webhook store contract: every WebhookStore implementation must pass it. Each test gets a
 * fresh database; stores are opened over bare migrated backends of it.
 */
import type { RegistryEvent, RegistryEventType } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { NewWebhook, WebhookStore } from '../../src/registry/webhook-store.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlWebhookStore } from '../../src/storage/sql/sql-webhook-store.js';
import type { TestBackend, TestDatabase } from './backends.js';
import { expectError } from './contract/harness.js';

const LEASE = 60_000;

/** A registry event with defaults: `model_version.created` of model `m` at time 1000 + seq. */
export function registryEvent(seq: number, overrides: Partial<RegistryEvent> = {}): RegistryEvent {
  return {
    seq,
    type: 'model_version.created',
    time: 1_000 + seq,
    actor: 'alice',
    modelName: 'm',
    version: String(seq),
    ...overrides,
  };
}

/** A webhook input with defaults: all events, active, created at 1000. */
export function newWebhook(id: string, overrides: Partial<NewWebhook> = {}): NewWebhook {
  return {
    id,
    url: `http://127.0.0.1:9/${id}`,
    events: [],
    description: '',
    active: true,
    secret: `secret-of-${id}-0123456789`,
    now: 1_000,
    ...overrides,
  };
}

interface StoreFixture {
  readonly store: WebhookStore;
  /** Another store on the same database over its own connection(s), like a second process. */
  second(): Promise<WebhookStore>;
  /** Closes every backend and opens a new store on the same database. */
  reopen(): Promise<WebhookStore>;
}

function useFreshStore(backend: TestBackend): StoreFixture {
  let database: TestDatabase | undefined;
  let backends: SqlBackend[] = [];
  let store: WebhookStore | undefined;
  const open = async (): Promise<WebhookStore> => {
    if (database === undefined) throw new Error('No database: use the fixture inside a test.');
    const opened = await database.openBackend();
    backends.push(opened);
    return new SqlWebhookStore(opened);
  };
  const closeAll = async (): Promise<void> => {
    await Promise.all(backends.map((b) => b.close()));
    backends = [];
  };
  beforeEach(async () => {
    database = await backend.createDatabase();
    store = await open();
  });
  afterEach(async () => {
    await closeAll();
    await database?.dispose();
    database = undefined;
    store = undefined;
  });
  return {
    get store(): WebhookStore {
      if (store === undefined) throw new Error('No store: use the fixture inside a test.');
      return store;
    },
    second: open,
    async reopen(): Promise<WebhookStore> {
      await closeAll();
      store = await open();
      return store;
    },
  };
}

/** Registers the whole webhook store contract for `backend`. */
export function webhookStoreContract(backend: TestBackend): void {
  describe(`WebhookStore contract (${backend.name})`, () => {
    const fx = useFreshStore(backend);
    webhookCrud(fx);
    fanOutContract(fx);
    claimContract(fx);
    attemptContract(fx);
  });
}

function webhookCrud(fx: StoreFixture): void {
  describe('webhooks', () => {
    test('create, get, list, update and delete round-trip', async () => {
      const created = await fx.store.createWebhook(
        newWebhook('a', { events: ['alias.set'], modelName: 'fraud', description: 'd' }),
      );
      expect(created).toEqual({
        id: 'a',
        url: 'http://127.0.0.1:9/a',
        events: ['alias.set'],
        modelName: 'fraud',
        description: 'd',
        active: true,
        creationTime: 1_000,
        lastUpdatedTime: 1_000,
      });
      expect(await fx.store.getWebhook('a')).toEqual(created);
      await fx.store.createWebhook(newWebhook('b', { now: 2_000 }));
      expect((await fx.store.listWebhooks({ offset: 0, limit: 10 })).map((w) => w.id)).toEqual(['a', 'b']);
      expect((await fx.store.listWebhooks({ offset: 1, limit: 10 })).map((w) => w.id)).toEqual(['b']);

      const updated = await fx.store.updateWebhook(
        'a',
        { url: 'https://example.com/h', events: [], modelName: null, active: false },
        3_000,
      );
      expect(updated).toEqual({
        ...created,
        url: 'https://example.com/h',
        events: [],
        modelName: undefined,
        active: false,
        lastUpdatedTime: 3_000,
      });
      expect(updated).not.toHaveProperty('modelName');
      expect(await fx.store.getWebhook('a')).toEqual(updated);

      await fx.store.deleteWebhook('a');
      expect(await fx.store.getWebhook('a')).toBeUndefined();
      expect(await fx.store.getWebhookSecret('a')).toBeUndefined();
    });

    test('missing and duplicate webhooks are errors', async () => {
      await fx.store.createWebhook(newWebhook('a'));
      await expectError(fx.store.createWebhook(newWebhook('a')), 'ALREADY_EXISTS', 'id');
      await expectError(fx.store.updateWebhook('nope', { active: false }, 1), 'NOT_FOUND', 'id');
      await expectError(fx.store.deleteWebhook('nope'), 'NOT_FOUND', 'id');
      expect(await fx.store.getWebhook('nope')).toBeUndefined();
    });

    test('the secret is returned by getWebhookSecret only', async () => {
      const secret = 'a-very-secret-value-42';
      const reads = [
        await fx.store.createWebhook(newWebhook('a', { secret })),
        await fx.store.getWebhook('a'),
        await fx.store.listWebhooks({ offset: 0, limit: 10 }),
        await fx.store.updateWebhook('a', { description: 'x' }, 2_000),
      ];
      for (const read of reads) expect(JSON.stringify(read)).not.toContain(secret);
      expect(await fx.store.getWebhookSecret('a')).toBe(secret);
      await fx.store.updateWebhook('a', { secret: 'the-rotated-secret-43' }, 3_000);
      expect(await fx.store.getWebhookSecret('a')).toBe('the-rotated-secret-43');
    });
  });
}

function fanOutContract(fx: StoreFixture): void {
  describe('fan-out', () => {
    test('is idempotent: the same events twice yield one delivery each', async () => {
      await fx.store.createWebhook(newWebhook('a'));
      await fx.store.createWebhook(newWebhook('b'));
      const events = [registryEvent(1), registryEvent(2)];
      expect(await fx.store.fanOut(events, 2, 5_000)).toBe(4);
      expect(await fx.store.getFanOutCursor()).toBe(2);
      expect(await fx.store.fanOut(events, 2, 6_000)).toBe(0);
      // Overlapping batches: only the event past the cursor is new.
      expect(await fx.store.fanOut([registryEvent(2), registryEvent(3)], 3, 7_000)).toBe(2);
      const deliveries = await fx.store.listDeliveries('a', { offset: 0, limit: 10 });
      expect(deliveries.map((d) => d.eventSeq)).toEqual([3, 2, 1]);
      expect(deliveries[2]).toMatchObject({
        webhookId: 'a',
        eventType: 'model_version.created',
        event: registryEvent(1),
        status: 'pending',
        attempts: 0,
        nextAttemptAt: 5_000,
        creationTime: 5_000,
        attemptLog: [],
      });
    });

    test('concurrent fan-outs of the same events (two connections) yield one delivery each', async () => {
      const other = await fx.second();
      await fx.store.createWebhook(newWebhook('a'));
      const events = Array.from({ length: 20 }, (_, i) => registryEvent(i + 1));
      const counts = await Promise.all([
        fx.store.fanOut(events, 20, 5_000),
        other.fanOut(events, 20, 5_000),
        fx.store.fanOut(events.slice(0, 10), 10, 5_000),
      ]);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(20);
      expect(await fx.store.listDeliveries('a', { offset: 0, limit: 100 })).toHaveLength(20);
      expect(await fx.store.getFanOutCursor()).toBe(20);
    });

    test('matches event types, model names, active webhooks and creation time', async () => {
      await fx.store.createWebhook(newWebhook('all'));
      await fx.store.createWebhook(newWebhook('aliases', { events: ['alias.set', 'alias.deleted'] }));
      await fx.store.createWebhook(newWebhook('fraud', { modelName: 'fraud' }));
      await fx.store.createWebhook(newWebhook('off', { active: false }));
      await fx.store.createWebhook(newWebhook('late', { now: 1_003 }));
      const types: RegistryEventType[] = ['alias.set', 'model_version.created', 'alias.deleted'];
      const events = [
        ...types.map((type, i) => registryEvent(i + 1, { type, modelName: 'churn' })),
        registryEvent(4, { type: 'alias.set', modelName: 'fraud' }),
      ];
      await fx.store.fanOut(events, 4, 9_000);
      const seqs = async (id: string): Promise<number[]> =>
        (await fx.store.listDeliveries(id, { offset: 0, limit: 10 })).map((d) => d.eventSeq);
      expect(await seqs('all')).toEqual([4, 3, 2, 1]);
      expect(await seqs('aliases')).toEqual([4, 3, 1]);
      expect(await seqs('fraud')).toEqual([4]);
      expect(await seqs('off')).toEqual([]);
      // Created at 1003: events 1 and 2 (times 1001, 1002) happened before it existed.
      expect(await seqs('late')).toEqual([4, 3]);
    });

    test('the cursor survives reopening, and advances even when nothing matches', async () => {
      expect(await fx.store.getFanOutCursor()).toBe(0);
      expect(await fx.store.fanOut([registryEvent(1), registryEvent(2)], 2, 5_000)).toBe(0);
      const store = await fx.reopen();
      expect(await store.getFanOutCursor()).toBe(2);
      // A lower cursor never moves it back.
      await store.fanOut([], 1, 6_000);
      expect(await store.getFanOutCursor()).toBe(2);
    });
  });
}

function claimContract(fx: StoreFixture): void {
  describe('claims', () => {
    test('claim only due deliveries of active webhooks, oldest due first, and lease them', async () => {
      await fx.store.createWebhook(newWebhook('a'));
      await fx.store.createWebhook(newWebhook('off'));
      await fx.store.fanOut([registryEvent(1)], 1, 5_000);
      await fx.store.fanOut([registryEvent(2)], 2, 4_000);
      await fx.store.updateWebhook('off', { active: false }, 5_000);
      expect(await fx.store.claimDueDeliveries(3_999, 10, LEASE)).toEqual([]);
      const claims = await fx.store.claimDueDeliveries(5_000, 10, LEASE);
      expect(claims.map((c) => [c.webhookId, c.event.seq, c.attempt])).toEqual([
        ['a', 2, 1],
        ['a', 1, 1],
      ]);
      expect(claims[0]?.url).toBe('http://127.0.0.1:9/a');
      expect(claims[0]?.event).toEqual(registryEvent(2));
      // Leased: not claimable again until the lease runs out, then claimable with a new token.
      expect(await fx.store.claimDueDeliveries(5_000 + LEASE - 1, 10, LEASE)).toEqual([]);
      const again = await fx.store.claimDueDeliveries(5_000 + LEASE, 10, LEASE);
      expect(again.map((c) => c.deliveryId).sort()).toEqual(claims.map((c) => c.deliveryId).sort());
      expect(again[0]?.leaseToken).not.toBe(claims[0]?.leaseToken);
      expect(again[0]?.attempt).toBe(1);
    });

    test('two concurrent claims (two connections) never return the same delivery', async () => {
      const other = await fx.second();
      await fx.store.createWebhook(newWebhook('a'));
      await fx.store.createWebhook(newWebhook('b'));
      await fx.store.fanOut(
        Array.from({ length: 15 }, (_, i) => registryEvent(i + 1)),
        15,
        5_000,
      );
      for (let round = 0; round < 3; round++) {
        const now = 5_000 + round * LEASE;
        const batches = await Promise.all([
          fx.store.claimDueDeliveries(now, 20, LEASE),
          other.claimDueDeliveries(now, 20, LEASE),
          fx.store.claimDueDeliveries(now, 7, LEASE),
        ]);
        const ids = batches.flat().map((c) => c.deliveryId);
        expect(new Set(ids).size).toBe(ids.length);
        expect(ids).toHaveLength(30);
      }
    });
  });
}

function attemptContract(fx: StoreFixture): void {
  describe('attempts', () => {
    async function claimOne(
      now: number,
    ): Promise<Awaited<ReturnType<WebhookStore['claimDueDeliveries']>>[0]> {
      const [claim] = await fx.store.claimDueDeliveries(now, 1, LEASE);
      if (claim === undefined) throw new Error('nothing to claim');
      return claim;
    }

    beforeEach(async () => {
      await fx.store.createWebhook(newWebhook('a'));
      await fx.store.fanOut([registryEvent(1)], 1, 5_000);
    });

    test('a retry is scheduled, then success ends the delivery; the log keeps every attempt', async () => {
      const first = await claimOne(5_000);
      const ok = await fx.store.recordAttempt({
        deliveryId: first.deliveryId,
        leaseToken: first.leaseToken,
        attempt: first.attempt,
        time: 5_000,
        durationMs: 12,
        statusCode: 500,
        outcome: { status: 'pending', nextAttemptAt: 7_000 },
      });
      expect(ok).toBe(true);
      expect(await fx.store.getDelivery(first.deliveryId)).toMatchObject({
        status: 'pending',
        attempts: 1,
        nextAttemptAt: 7_000,
        lastStatusCode: 500,
        lastAttemptTime: 5_000,
      });
      expect(await fx.store.claimDueDeliveries(6_999, 10, LEASE)).toEqual([]);
      const second = await claimOne(7_000);
      expect(second.attempt).toBe(2);
      await fx.store.recordAttempt({
        deliveryId: second.deliveryId,
        leaseToken: second.leaseToken,
        attempt: 2,
        time: 7_000,
        durationMs: 3.6,
        error: 'timed out after 10000 ms',
        outcome: { status: 'pending', nextAttemptAt: 8_000 },
      });
      const third = await claimOne(8_000);
      await fx.store.recordAttempt({
        deliveryId: third.deliveryId,
        leaseToken: third.leaseToken,
        attempt: 3,
        time: 8_000,
        durationMs: 1,
        statusCode: 204,
        outcome: { status: 'succeeded' },
      });
      const delivery = await fx.store.getDelivery(first.deliveryId);
      expect(delivery).toMatchObject({ status: 'succeeded', attempts: 3, lastStatusCode: 204 });
      expect(delivery).not.toHaveProperty('nextAttemptAt');
      expect(delivery).not.toHaveProperty('lastError');
      expect(delivery?.attemptLog).toEqual([
        { attempt: 1, time: 5_000, durationMs: 12, statusCode: 500 },
        { attempt: 2, time: 7_000, durationMs: 4, error: 'timed out after 10000 ms' },
        { attempt: 3, time: 8_000, durationMs: 1, statusCode: 204 },
      ]);
      expect(await fx.store.listDeliveries('a', { offset: 0, limit: 10 })).toEqual([delivery]);
      expect(await fx.store.claimDueDeliveries(1e12, 10, LEASE)).toEqual([]);
    });

    test('an attempt under a lost lease changes nothing', async () => {
      const stale = await claimOne(5_000);
      const current = await claimOne(5_000 + LEASE);
      const record = {
        deliveryId: stale.deliveryId,
        attempt: 1,
        time: 5_000,
        durationMs: 1,
        statusCode: 200,
        outcome: { status: 'succeeded' as const },
      };
      expect(await fx.store.recordAttempt({ ...record, leaseToken: stale.leaseToken })).toBe(false);
      expect(await fx.store.getDelivery(stale.deliveryId)).toMatchObject({
        status: 'pending',
        attemptLog: [],
      });
      expect(await fx.store.recordAttempt({ ...record, leaseToken: current.leaseToken })).toBe(true);
      expect(await fx.store.recordAttempt({ ...record, leaseToken: current.leaseToken })).toBe(false);
    });

    test('a failure may deactivate the webhook; a reset makes the delivery pending with a fresh budget', async () => {
      const claim = await claimOne(5_000);
      await fx.store.recordAttempt({
        deliveryId: claim.deliveryId,
        leaseToken: claim.leaseToken,
        attempt: 1,
        time: 5_500,
        durationMs: 1,
        statusCode: 410,
        outcome: { status: 'failed', deactivateWebhook: true },
      });
      expect(await fx.store.getWebhook('a')).toMatchObject({ active: false, lastUpdatedTime: 5_500 });
      expect(await fx.store.getDelivery(claim.deliveryId)).toMatchObject({ status: 'failed', attempts: 1 });

      const reset = await fx.store.resetDelivery(claim.deliveryId, 9_000);
      expect(reset).toMatchObject({
        status: 'pending',
        attempts: 0,
        nextAttemptAt: 9_000,
        lastStatusCode: 410,
      });
      expect(reset.attemptLog).toHaveLength(1);
      await expectError(fx.store.resetDelivery(claim.deliveryId, 9_000), 'FAILED_PRECONDITION', 'deliveryId');
      await expectError(fx.store.resetDelivery('nope', 9_000), 'NOT_FOUND', 'deliveryId');
      await fx.store.updateWebhook('a', { active: true }, 9_000);
      expect((await claimOne(9_000)).attempt).toBe(1);
    });

    test('listDeliveries filters by status and pages; deleting the webhook deletes its deliveries', async () => {
      await fx.store.fanOut([registryEvent(2), registryEvent(3)], 3, 5_000);
      const claim = await claimOne(5_000);
      await fx.store.recordAttempt({
        deliveryId: claim.deliveryId,
        leaseToken: claim.leaseToken,
        attempt: 1,
        time: 5_000,
        durationMs: 1,
        statusCode: 200,
        outcome: { status: 'succeeded' },
      });
      const list = (status?: 'pending' | 'succeeded' | 'failed', offset = 0, limit = 10) =>
        fx.store
          .listDeliveries('a', { offset, limit, ...(status ? { status } : {}) })
          .then((page) => page.map((d) => d.eventSeq));
      expect(await list()).toEqual([3, 2, 1]);
      expect(await list('succeeded')).toEqual([claim.event.seq]);
      expect(await list('pending')).toHaveLength(2);
      expect(await list('failed')).toEqual([]);
      expect(await list(undefined, 1, 1)).toEqual([2]);
      await fx.store.deleteWebhook('a');
      expect(await fx.store.getDelivery(claim.deliveryId)).toBeUndefined();
      expect(await fx.store.listDeliveries('a', { offset: 0, limit: 10 })).toEqual([]);
    });
  });
}
