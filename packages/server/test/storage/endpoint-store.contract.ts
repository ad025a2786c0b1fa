/**
 * The endpoint store contract: every EndpointStore implementation must pass it. Each test gets a
 * fresh database; stores are opened over bare migrated backends of it.
 */
import type { Endpoint } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { EndpointStore } from '../../src/serving/endpoint-store.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlEndpointStore } from '../../src/storage/sql/sql-endpoint-store.js';
import type { TestBackend, TestDatabase } from './backends.js';
import { expectError } from './contract/harness.js';

/** A minimal endpoint: live model m/1 at revision 1, no optional fields. */
export function endpoint(name: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    name,
    model: { name: 'm', version: '1' },
    createdAt: 1_000,
    updatedAt: 1_000,
    createdBy: 'alice',
    revision: 1,
    ...overrides,
  };
}

/** An endpoint with every optional field set: canary, shadows, validation, maxRows, description. */
export function fullEndpoint(name: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return endpoint(name, {
    description: 'fraud scoring, ünïcode "quoted"',
    model: { name: 'fraud', alias: 'champion' },
    canary: { model: { name: 'fraud', version: '7' }, percent: 12.5 },
    shadows: [
      { name: 'fraud', version: '8' },
      { name: 'fraud-xgb', alias: 'challenger' },
    ],
    validation: { unknownCategories: 'flag' },
    maxRows: 250,
    createdAt: 1_700_000_000_123,
    updatedAt: 1_700_000_000_456,
    ...overrides,
  });
}

/** The next revision of `e`: revision + 1, updated later, with the changes applied. */
function bumped(e: Endpoint, changes: Partial<Endpoint> = {}): Endpoint {
  return { ...e, revision: e.revision + 1, updatedAt: e.updatedAt + 1, ...changes };
}

function names(list: Endpoint[]): string[] {
  return list.map((e) => e.name);
}

interface StoreFixture {
  readonly store: EndpointStore;
  /** Closes every backend and opens a new store on the same database. */
  reopen(): Promise<EndpointStore>;
  /** Opens another store on the same database (another serving process), kept until the test ends. */
  another(): Promise<EndpointStore>;
}

function useFreshStore(backend: TestBackend): StoreFixture {
  let database: TestDatabase | undefined;
  let backends: SqlBackend[] = [];
  let store: EndpointStore | undefined;
  const open = async (): Promise<EndpointStore> => {
    if (database === undefined) throw new Error('No database: use the fixture inside a test.');
    const opened = await database.openBackend();
    backends.push(opened);
    return new SqlEndpointStore(opened);
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
    get store(): EndpointStore {
      if (store === undefined) throw new Error('No store: use the fixture inside a test.');
      return store;
    },
    async reopen(): Promise<EndpointStore> {
      await closeAll();
      store = await open();
      return store;
    },
    another: open,
  };
}

/** Registers the whole endpoint store contract for `backend`. */
export function endpointStoreContract(backend: TestBackend): void {
  describe(`EndpointStore contract (${backend.name})`, () => {
    const fx = useFreshStore(backend);
    createAndGet(fx);
    listing(fx);
    updating(fx);
    deleting(fx);
  });
}

function createAndGet(fx: StoreFixture): void {
  describe('create and get', () => {
    test('round-trips a full endpoint and a minimal one, across a reopen', async () => {
      const full = fullEndpoint('fraud');
      const minimal = endpoint('plain');
      await fx.store.createEndpoint(full);
      await fx.store.createEndpoint(minimal);
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(full);
      expect(await fx.store.getEndpoint('plain')).toStrictEqual(minimal);

      const reopened = await fx.reopen();
      const read = await reopened.getEndpoint('fraud');
      expect(read).toStrictEqual(full);
      expect(read?.canary).toStrictEqual({ model: { name: 'fraud', version: '7' }, percent: 12.5 });
      expect(read?.shadows).toHaveLength(2);
      expect(read?.validation?.unknownCategories).toBe('flag');
      expect(typeof read?.createdAt).toBe('number');
      expect(typeof read?.revision).toBe('number');
      const plain = await reopened.getEndpoint('plain');
      expect(plain).toStrictEqual(minimal);
      for (const key of ['description', 'canary', 'shadows', 'validation', 'maxRows']) {
        expect(plain).not.toHaveProperty(key);
      }
    });

    test('an unknown name is undefined; names are exact', async () => {
      expect(await fx.store.getEndpoint('missing')).toBeUndefined();
      await fx.store.createEndpoint(endpoint('fraud'));
      expect(await fx.store.getEndpoint('Fraud')).toBeUndefined();
      expect(await fx.store.getEndpoint('frau')).toBeUndefined();
    });

    test('a taken name is ALREADY_EXISTS and changes nothing', async () => {
      const first = endpoint('fraud');
      await fx.store.createEndpoint(first);
      await expectError(
        fx.store.createEndpoint(fullEndpoint('fraud', { createdBy: 'bob' })),
        'ALREADY_EXISTS',
        'name',
      );
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(first);
      expect(await fx.store.listEndpoints()).toStrictEqual([first]);
    });

    test('a refused create does not disturb creates beside it', async () => {
      await fx.store.createEndpoint(endpoint('dup'));
      const results = await Promise.allSettled([
        fx.store.createEndpoint(endpoint('x1')),
        fx.store.createEndpoint(endpoint('dup', { createdBy: 'bob' })),
        fx.store.createEndpoint(endpoint('x2')),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(names(await fx.store.listEndpoints())).toEqual(['dup', 'x1', 'x2']);
      expect((await fx.store.getEndpoint('dup'))?.createdBy).toBe('alice');
    });
  });
}

function listing(fx: StoreFixture): void {
  describe('list', () => {
    test('empty, then every endpoint by name in byte order, not creation order or locale', async () => {
      expect(await fx.store.listEndpoints()).toEqual([]);
      const created = ['b', 'a-2', 'B', 'a', 'é', 'a_1', 'Z', 'a10', 'a9'];
      for (const [i, name] of created.entries()) {
        await fx.store.createEndpoint(endpoint(name, { createdAt: 1_000 - i }));
      }
      // Code-point order: uppercase before lowercase, '-' < '1' < '9' < '_' < 'a', 'é' last.
      expect(names(await fx.store.listEndpoints())).toEqual([
        'B',
        'Z',
        'a',
        'a-2',
        'a10',
        'a9',
        'a_1',
        'b',
        'é',
      ]);
    });

    test('lists the stored bodies, updates included', async () => {
      const full = fullEndpoint('fraud');
      await fx.store.createEndpoint(full);
      await fx.store.createEndpoint(endpoint('churn'));
      const next = bumped(full, { canary: { model: { name: 'fraud', version: '9' }, percent: 50 } });
      expect(await fx.store.updateEndpoint(next, 1)).toBe(true);
      expect(await fx.store.listEndpoints()).toStrictEqual([endpoint('churn'), next]);
    });
  });
}

function updating(fx: StoreFixture): void {
  describe('update', () => {
    test('with the stored revision: true, and the new body is what every reader sees', async () => {
      const first = fullEndpoint('fraud');
      await fx.store.createEndpoint(first);
      // Canary removed (rollback), shadows emptied, description dropped.
      const { canary: _canary, description: _description, ...rest } = first;
      const second = bumped(rest, { shadows: [], model: { name: 'fraud', version: '7' } });
      expect(await fx.store.updateEndpoint(second, 1)).toBe(true);
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(second);
      const third = bumped(second, { maxRows: 10 });
      expect(await fx.store.updateEndpoint(third, 2)).toBe(true);

      const other = await fx.another();
      expect(await other.getEndpoint('fraud')).toStrictEqual(third);
      const reopened = await fx.reopen();
      const read = await reopened.getEndpoint('fraud');
      expect(read).toStrictEqual(third);
      expect(read).not.toHaveProperty('canary');
      expect(read).not.toHaveProperty('description');
      expect(read?.revision).toBe(3);
      expect(read?.createdAt).toBe(first.createdAt);
    });

    test('with a stale revision: false, and nothing changes', async () => {
      const first = endpoint('fraud');
      await fx.store.createEndpoint(first);
      const second = bumped(first, { maxRows: 5 });
      expect(await fx.store.updateEndpoint(second, 1)).toBe(true);
      // A writer that still holds revision 1.
      const lost = bumped(first, { canary: { model: { name: 'm', version: '2' }, percent: 10 } });
      expect(await fx.store.updateEndpoint(lost, 1)).toBe(false);
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(second);
      // An expected revision from the future does not match either.
      expect(await fx.store.updateEndpoint(bumped(second, { revision: 6 }), 5)).toBe(false);
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(second);
      expect(await fx.store.listEndpoints()).toStrictEqual([second]);
    });

    test('of an endpoint never created or deleted: NOT_FOUND', async () => {
      await expectError(fx.store.updateEndpoint(bumped(endpoint('ghost')), 1), 'NOT_FOUND', 'name');
      await fx.store.createEndpoint(endpoint('fraud'));
      await fx.store.deleteEndpoint('fraud');
      await expectError(fx.store.updateEndpoint(bumped(endpoint('fraud')), 1), 'NOT_FOUND', 'name');
      expect(await fx.store.getEndpoint('fraud')).toBeUndefined();
      expect(await fx.store.listEndpoints()).toEqual([]);
    });

    test('a revision other than expectedRevision + 1 is INVALID_ARGUMENT and changes nothing', async () => {
      const first = endpoint('fraud');
      await fx.store.createEndpoint(first);
      await expectError(fx.store.updateEndpoint({ ...first, maxRows: 3 }, 1), 'INVALID_ARGUMENT', 'revision');
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(first);
    });

    test('10 concurrent updates from the same revision: exactly one wins', async () => {
      const first = endpoint('fraud');
      await fx.store.createEndpoint(first);
      const other = await fx.another();
      const attempts = Array.from({ length: 10 }, (_, i) =>
        bumped(first, { maxRows: 100 + i, description: `writer ${i}` }),
      );
      // Half through this store, half through another connection (another process).
      const results = await Promise.all(
        attempts.map((next, i) => (i % 2 === 0 ? fx.store : other).updateEndpoint(next, 1)),
      );
      expect(results.filter((r) => r)).toHaveLength(1);
      const winner = attempts[results.indexOf(true)];
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(winner);
      expect(await other.getEndpoint('fraud')).toStrictEqual(winner);

      // The next round starts from revision 2, and again one wins.
      const round2 = Array.from({ length: 10 }, (_, i) => bumped(winner ?? first, { maxRows: 200 + i }));
      const results2 = await Promise.all(round2.map((next) => fx.store.updateEndpoint(next, 2)));
      expect(results2.filter((r) => r)).toHaveLength(1);
      expect((await fx.store.getEndpoint('fraud'))?.revision).toBe(3);
    });

    test('updates one endpoint only', async () => {
      await fx.store.createEndpoint(endpoint('a'));
      await fx.store.createEndpoint(endpoint('b'));
      expect(await fx.store.updateEndpoint(bumped(endpoint('a'), { maxRows: 7 }), 1)).toBe(true);
      expect(await fx.store.getEndpoint('b')).toStrictEqual(endpoint('b'));
    });
  });
}

function deleting(fx: StoreFixture): void {
  describe('delete', () => {
    test('deletes; a second delete is NOT_FOUND; the name can be reused', async () => {
      await fx.store.createEndpoint(fullEndpoint('fraud'));
      await fx.store.createEndpoint(endpoint('churn'));
      await fx.store.deleteEndpoint('fraud');
      expect(await fx.store.getEndpoint('fraud')).toBeUndefined();
      expect(names(await fx.store.listEndpoints())).toEqual(['churn']);
      await expectError(fx.store.deleteEndpoint('fraud'), 'NOT_FOUND', 'name');
      expect(names(await fx.store.listEndpoints())).toEqual(['churn']);

      const again = endpoint('fraud', { createdAt: 5_000, updatedAt: 5_000 });
      await fx.store.createEndpoint(again);
      expect(await fx.store.getEndpoint('fraud')).toStrictEqual(again);
    });

    test('of an endpoint never created: NOT_FOUND', async () => {
      await expectError(fx.store.deleteEndpoint('missing'), 'NOT_FOUND', 'name');
    });
  });
}
