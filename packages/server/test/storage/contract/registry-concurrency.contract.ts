/**
 * Registry contract: concurrent writers. Version numbers never collide, compare-and-set alias
 * moves never lose an update, and a taken name has exactly one winner.
 */
import { SlipwayError, type RegistryEvent } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import type { RegistryStore } from '../../../src/registry/registry-store.js';
import {
  by,
  createModel,
  createVersion,
  createVersions,
  setAlias,
  useFreshRegistry,
  type RegistryStoreFactory,
} from './registry-harness.contract.js';

const WRITERS = 20;

/** Moves `alias` to `to` the way a careful caller does: read, compare-and-set, retry when it moved. */
async function moveWithRetry(store: RegistryStore, alias: string, to: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const current = await store.getAlias('fraud', alias);
    try {
      await store.moveAlias({ ...by(attempt), name: 'fraud', alias, expectedFrom: current, to });
      return attempt;
    } catch (err) {
      if (!(err instanceof SlipwayError && err.details['reason'] === 'alias-moved')) throw err;
      if (attempt > 10 * WRITERS) throw new Error(`gave up moving ${alias} to ${to}`);
    }
  }
}

/** Registers the concurrency sections of the registry contract. */
export function registryConcurrencyContract(factory: RegistryStoreFactory): void {
  describe('registry concurrency', () => {
    const fx = useFreshRegistry(factory);

    test(`${WRITERS} concurrent createModelVersion calls on one model get versions 1..${WRITERS} exactly once`, async () => {
      await createModel(fx.store, 'fraud');
      const created = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) => createVersion(fx.store, 'fraud', { description: `w${i}` })),
      );
      const expected = Array.from({ length: WRITERS }, (_, i) => String(i + 1));
      expect(created.map((v) => v.version).sort((a, b) => Number(a) - Number(b))).toEqual(expected);
      const store = await fx.reopen();
      for (const v of created)
        expect((await store.getModelVersion('fraud', v.version))?.description).toBe(v.description);
      const events = await store.listEvents({ types: ['model_version.created'], limit: 100 });
      expect(events.map((e) => e.version).sort((a, b) => Number(a) - Number(b))).toEqual(expected);
    });

    test(`${WRITERS} concurrent compare-and-set movers, retrying, leave an unbroken chain of alias.set events`, async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', WRITERS);
      const attempts = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) => moveWithRetry(fx.store, 'champion', String(i + 1))),
      );
      expect(attempts.every((n) => n >= 1)).toBe(true);
      const events = await fx.store.listEvents({ alias: 'champion', types: ['alias.set'], limit: 1000 });
      expect(events).toHaveLength(WRITERS);
      expect(events[0]?.fromVersion).toBeUndefined();
      for (let i = 1; i < events.length; i++)
        expect((events[i] as RegistryEvent).fromVersion).toBe((events[i - 1] as RegistryEvent).toVersion);
      expect(events.map((e) => Number(e.toVersion)).sort((a, b) => a - b)).toEqual(
        Array.from({ length: WRITERS }, (_, i) => i + 1),
      );
      expect(await fx.store.getAlias('fraud', 'champion')).toBe(events.at(-1)?.toVersion);
    });

    test('concurrent creates of one model name: exactly one wins, the rest are ALREADY_EXISTS', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => createModel(fx.store, 'same')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: 'ALREADY_EXISTS',
          details: { field: 'name' },
        });
      expect(await fx.store.listEvents({ types: ['registered_model.created'], limit: 100 })).toHaveLength(1);
    });

    test('concurrent version creates, alias moves and version deletes across models keep every invariant', async () => {
      for (const name of ['fraud', 'churn']) {
        await createModel(fx.store, name);
        await createVersions(fx.store, name, 4);
      }
      await setAlias(fx.store, 'fraud', 'champion', '4');
      const work: Promise<unknown>[] = [
        fx.store.deleteModelVersion('fraud', '4', by()),
        ...Array.from({ length: 6 }, () => createVersion(fx.store, 'fraud')),
        ...Array.from({ length: 6 }, () => createVersion(fx.store, 'churn')),
        moveWithRetry(fx.store, 'champion', '2'),
      ];
      await Promise.all(work);
      const fraud = await fx.store.searchModelVersions({
        filter: [{ entity: 'attribute', key: 'name', comparator: '=', value: 'fraud' }],
        orderBy: [{ key: 'version', ascending: true }],
        offset: 0,
        limit: 100,
      });
      expect(fraud.map((v) => v.version)).toEqual(['1', '2', '3', '5', '6', '7', '8', '9', '10']);
      expect(await fx.store.getAlias('fraud', 'champion')).toBe('2');
      const churn = await fx.store.getRegisteredModel('churn');
      expect(churn?.latestVersions.map((v) => v.version)).toEqual(['10']);
    });
  });
}
