/**
 * Registry contract: aliases (set, reassign, delete, compare-and-set refusal) and the event log
 * (what each write appends, survival of model deletion, listEvents filters).
 */
import type { RegistryEvent } from '@slipway/contracts';
import { beforeEach, describe, expect, test } from 'vitest';
import type { AliasMove } from '../../../src/registry/registry-store.js';
import {
  by,
  createModel,
  createVersion,
  createVersions,
  expectError,
  setAlias,
  useFreshRegistry,
  type RegistryStoreFactory,
} from './registry-harness.contract.js';

function move(
  alias: string,
  expectedFrom: string | undefined,
  to: string | undefined,
  extra: Partial<AliasMove> = {},
): AliasMove {
  return { ...by(), name: 'fraud', alias, expectedFrom, to, ...extra };
}

/** Registers the alias and event sections of the registry contract. */
export function registryAliasContract(factory: RegistryStoreFactory): void {
  describe('aliases', () => {
    const fx = useFreshRegistry(factory);
    beforeEach(async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 3);
    });

    test('set, reassign and delete an alias; every view follows and each move returns its event', async () => {
      const gate = { passed: true, metric: 'auc', value: 0.93, baseline: { version: '1', value: 0.9 } };
      const set = await fx.store.moveAlias(
        move('champion', undefined, '1', {
          actor: 'bob',
          now: 2_000,
          reason: 'first release',
          gate,
          forced: false,
          details: { ticket: 'OPS-1', breaks: [] },
        }),
      );
      expect(set).toEqual({
        seq: expect.any(Number) as number,
        type: 'alias.set',
        time: 2_000,
        actor: 'bob',
        modelName: 'fraud',
        alias: 'champion',
        toVersion: '1',
        reason: 'first release',
        gate,
        forced: false,
        details: { ticket: 'OPS-1', breaks: [] },
      });
      expect(await fx.store.getAlias('fraud', 'champion')).toBe('1');
      expect((await fx.store.getRegisteredModel('fraud'))?.aliases).toEqual([
        { alias: 'champion', version: '1' },
      ]);
      expect((await fx.store.getModelVersion('fraud', '1'))?.aliases).toEqual(['champion']);

      const moved = await fx.store.moveAlias(move('champion', '1', '3', { forced: true }));
      expect(moved).toMatchObject({ type: 'alias.set', fromVersion: '1', toVersion: '3', forced: true });
      expect(moved.seq).toBeGreaterThan(set.seq);
      expect(await fx.store.getAlias('fraud', 'champion')).toBe('3');
      expect((await fx.store.getModelVersion('fraud', '1'))?.aliases).toEqual([]);
      expect((await fx.store.getModelVersion('fraud', '3'))?.aliases).toEqual(['champion']);

      const deleted = await fx.store.moveAlias(move('champion', '3', undefined, { reason: 'rollback' }));
      expect(deleted).toEqual({
        seq: expect.any(Number) as number,
        type: 'alias.deleted',
        time: 1_000,
        actor: 'alice',
        modelName: 'fraud',
        alias: 'champion',
        fromVersion: '3',
        reason: 'rollback',
      });
      expect(await fx.store.getAlias('fraud', 'champion')).toBeUndefined();
      expect((await fx.store.getRegisteredModel('fraud'))?.aliases).toEqual([]);
      expect(await fx.store.listEvents({ types: ['alias.set', 'alias.deleted'], limit: 10 })).toEqual([
        set,
        moved,
        deleted,
      ]);
    });

    test('aliases are listed sorted by alias', async () => {
      for (const [alias, to] of [
        ['zeta', '1'],
        ['alpha', '2'],
        ['Mid', '1'],
        ['beta', '1'],
      ] as const)
        await fx.store.moveAlias(move(alias, undefined, to));
      expect((await fx.store.getRegisteredModel('fraud'))?.aliases).toEqual([
        { alias: 'Mid', version: '1' },
        { alias: 'alpha', version: '2' },
        { alias: 'beta', version: '1' },
        { alias: 'zeta', version: '1' },
      ]);
      expect((await fx.store.getModelVersion('fraud', '1'))?.aliases).toEqual(['Mid', 'beta', 'zeta']);
    });

    test('a stale expectedFrom is FAILED_PRECONDITION (alias-moved, with the current version) and changes nothing', async () => {
      await fx.store.moveAlias(move('champion', undefined, '2'));
      const before = await fx.store.listEvents({ limit: 1000 });
      for (const stale of [undefined, '1', '3', 'junk']) {
        const error = await expectError(
          fx.store.moveAlias(move('champion', stale, '3')),
          'FAILED_PRECONDITION',
          'alias',
        );
        expect(error.details).toMatchObject({ reason: 'alias-moved', current: '2' });
        expect(error.message).toContain('champion');
      }
      await expectError(fx.store.moveAlias(move('champion', '1', undefined)), 'FAILED_PRECONDITION', 'alias');
      const unset = await expectError(
        fx.store.moveAlias(move('other', '1', '3')),
        'FAILED_PRECONDITION',
        'alias',
      );
      expect(unset.details).toMatchObject({ reason: 'alias-moved' });
      expect(unset.details['current']).toBeUndefined();
      expect(await fx.store.getAlias('fraud', 'champion')).toBe('2');
      expect(await fx.store.getAlias('fraud', 'other')).toBeUndefined();
      expect(await fx.store.listEvents({ limit: 1000 })).toEqual(before);
    });

    test('NOT_FOUND: missing target version (version), missing model (name), deleting an unset alias (alias)', async () => {
      const version = await expectError(
        fx.store.moveAlias(move('champion', undefined, '9')),
        'NOT_FOUND',
        'version',
      );
      expect(version.message).toBe('Model Version (name=fraud, version=9) not found');
      await expectError(fx.store.moveAlias(move('champion', undefined, 'x')), 'NOT_FOUND', 'version');
      await expectError(
        fx.store.moveAlias({ ...move('champion', undefined, '1'), name: 'nope' }),
        'NOT_FOUND',
        'name',
      );
      const alias = await expectError(
        fx.store.moveAlias(move('champion', undefined, undefined)),
        'NOT_FOUND',
        'alias',
      );
      expect(alias.message).toContain('champion');
      await expectError(fx.store.getAlias('nope', 'champion'), 'NOT_FOUND', 'name');
      expect(await fx.store.getAlias('fraud', 'champion')).toBeUndefined();
    });

    test('an alias can point at a version already holding other aliases, and a no-op move is recorded', async () => {
      await fx.store.moveAlias(move('a', undefined, '2'));
      await fx.store.moveAlias(move('b', undefined, '2'));
      const same = await fx.store.moveAlias(move('a', '2', '2'));
      expect(same).toMatchObject({ fromVersion: '2', toVersion: '2' });
      expect((await fx.store.getModelVersion('fraud', '2'))?.aliases).toEqual(['a', 'b']);
    });
  });

  describe('event log', () => {
    const fx = useFreshRegistry(factory);

    test('each write appends its event in order; seq increases strictly', async () => {
      await createModel(fx.store, 'fraud', { now: 1 });
      await createVersion(fx.store, 'fraud', { now: 2 });
      await createVersion(fx.store, 'fraud', { now: 3 });
      await setAlias(fx.store, 'fraud', 'champion', '2', 4);
      await fx.store.setRegisteredModelTag('fraud', 'k', 'v');
      await fx.store.updateRegisteredModel('fraud', 'd', 5);
      await fx.store.renameRegisteredModel('fraud', 'fraud2', by(6));
      await fx.store.deleteModelVersion('fraud2', '2', by(7));
      await fx.store.deleteRegisteredModel('fraud2', by(8));
      const events = await fx.store.listEvents({ limit: 100 });
      expect(events.map((e) => [e.type, e.modelName, e.time])).toEqual([
        ['registered_model.created', 'fraud', 1],
        ['model_version.created', 'fraud', 2],
        ['model_version.created', 'fraud', 3],
        ['alias.set', 'fraud', 4],
        ['registered_model.renamed', 'fraud2', 6],
        ['alias.deleted', 'fraud2', 7],
        ['model_version.deleted', 'fraud2', 7],
        ['registered_model.deleted', 'fraud2', 8],
      ]);
      for (let i = 1; i < events.length; i++)
        expect((events[i] as RegistryEvent).seq).toBeGreaterThan((events[i - 1] as RegistryEvent).seq);
    });

    test('deleting a model deletes its aliases with events, and its history survives (also a reopen)', async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 2);
      await setAlias(fx.store, 'fraud', 'champion', '1');
      await setAlias(fx.store, 'fraud', 'challenger', '2');
      await fx.store.deleteRegisteredModel('fraud', by(5_000, 'carol'));
      const store = await fx.reopen();
      const events = await store.listEvents({ modelName: 'fraud', limit: 100 });
      expect(events.map((e) => e.type)).toEqual([
        'registered_model.created',
        'model_version.created',
        'model_version.created',
        'alias.set',
        'alias.set',
        'alias.deleted',
        'alias.deleted',
        'registered_model.deleted',
      ]);
      const removed = events.filter((e) => e.type === 'alias.deleted');
      expect(removed.map((e) => [e.alias, e.fromVersion]).sort()).toEqual([
        ['challenger', '2'],
        ['champion', '1'],
      ]);
      for (const e of removed) expect(e).toMatchObject({ actor: 'carol', time: 5_000 });
      expect(events.at(-1)).toMatchObject({ actor: 'carol', time: 5_000 });
      await createModel(store, 'fraud');
      expect(await store.listEvents({ modelName: 'fraud', limit: 100 })).toHaveLength(events.length + 1);
    });

    describe('listEvents filters', () => {
      beforeEach(async () => {
        await createModel(fx.store, 'a', { now: 10 });
        await createModel(fx.store, 'b', { now: 20 });
        await createVersions(fx.store, 'a', 2);
        await createVersion(fx.store, 'b');
        let now = 30;
        for (const [name, alias, to] of [
          ['a', 'champion', '1'],
          ['b', 'champion', '1'],
          ['a', 'challenger', '2'],
        ] as const) {
          await setAlias(fx.store, name, alias, to, now);
          now += 10;
        }
        await fx.store.moveAlias({ ...by(60), name: 'a', alias: 'champion', expectedFrom: '1', to: '2' });
      });

      test('by model, alias and type', async () => {
        const ids = (events: RegistryEvent[]) =>
          events.map((e) => `${e.modelName}:${e.type}:${e.alias ?? ''}`);
        expect(ids(await fx.store.listEvents({ modelName: 'b', limit: 100 }))).toEqual([
          'b:registered_model.created:',
          'b:model_version.created:',
          'b:alias.set:champion',
        ]);
        expect(ids(await fx.store.listEvents({ alias: 'champion', limit: 100 }))).toEqual([
          'a:alias.set:champion',
          'b:alias.set:champion',
          'a:alias.set:champion',
        ]);
        expect(ids(await fx.store.listEvents({ modelName: 'a', alias: 'champion', limit: 100 }))).toEqual([
          'a:alias.set:champion',
          'a:alias.set:champion',
        ]);
        expect(
          ids(
            await fx.store.listEvents({ types: ['registered_model.created', 'alias.deleted'], limit: 100 }),
          ),
        ).toEqual(['a:registered_model.created:', 'b:registered_model.created:']);
        expect(await fx.store.listEvents({ types: [], limit: 100 })).toEqual([]);
      });

      test('afterSeq is a cursor, until bounds time (inclusive), limit caps the page', async () => {
        const all = await fx.store.listEvents({ limit: 100 });
        expect(all).toHaveLength(9);
        const pages: RegistryEvent[] = [];
        let cursor: number | undefined;
        for (;;) {
          const page = await fx.store.listEvents({
            ...(cursor === undefined ? {} : { afterSeq: cursor }),
            limit: 4,
          });
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(4);
          pages.push(...page);
          cursor = page.at(-1)?.seq;
        }
        expect(pages).toEqual(all);
        const alias = await fx.store.listEvents({ types: ['alias.set'], until: 40, limit: 100 });
        expect(alias.map((e) => e.time)).toEqual([30, 40]);
        const after = await fx.store.listEvents({
          types: ['alias.set'],
          afterSeq: alias[0]?.seq ?? 0,
          limit: 2,
        });
        expect(after.map((e) => e.time)).toEqual([40, 50]);
      });
    });
  });
}
