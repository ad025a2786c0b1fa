/**
 * Registry contract: registered models (create, get, rename, update, delete, tags, latest versions).
 */
import { describe, expect, test } from 'vitest';
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

/** Registers the registered-model sections of the registry contract. */
export function registryModelContract(factory: RegistryStoreFactory): void {
  describe('registered models', () => {
    const fx = useFreshRegistry(factory);

    test('createRegisteredModel returns the model and getRegisteredModel reads it back', async () => {
      const model = await createModel(fx.store, 'fraud', {
        description: 'card fraud',
        tags: { team: 'risk', empty: '' },
        now: 1234,
      });
      expect(model).toEqual({
        name: 'fraud',
        creationTime: 1234,
        lastUpdatedTime: 1234,
        description: 'card fraud',
        tags: { team: 'risk', empty: '' },
        aliases: [],
        latestVersions: [],
      });
      expect(await fx.store.getRegisteredModel('fraud')).toEqual(model);
      expect(await fx.store.getRegisteredModel('nope')).toBeUndefined();
    });

    test('a taken name is ALREADY_EXISTS (field name); names are case-sensitive', async () => {
      await createModel(fx.store, 'fraud');
      const error = await expectError(createModel(fx.store, 'fraud'), 'ALREADY_EXISTS', 'name');
      expect(error.message).toContain('fraud');
      await createModel(fx.store, 'Fraud');
      expect(await fx.store.getRegisteredModel('FRAUD')).toBeUndefined();
      expect((await fx.store.getRegisteredModel('Fraud'))?.name).toBe('Fraud');
    });

    test('updateRegisteredModel replaces the description; a missing model is NOT_FOUND (name)', async () => {
      await createModel(fx.store, 'fraud', { description: 'old', now: 1_000 });
      const updated = await fx.store.updateRegisteredModel('fraud', 'new', 2_000);
      expect(updated).toMatchObject({
        name: 'fraud',
        description: 'new',
        creationTime: 1_000,
        lastUpdatedTime: 2_000,
      });
      expect(await fx.store.getRegisteredModel('fraud')).toEqual(updated);
      const error = await expectError(fx.store.updateRegisteredModel('nope', 'x', 1), 'NOT_FOUND', 'name');
      expect(error.message).toBe('Registered Model with name=nope not found');
    });

    test('rename: versions, tags and aliases follow; the old name is gone', async () => {
      await createModel(fx.store, 'fraud', { tags: { team: 'risk' } });
      await createVersion(fx.store, 'fraud', { tags: { v: '1' } });
      await createVersion(fx.store, 'fraud', { tags: { v: '2' } });
      await setAlias(fx.store, 'fraud', 'champion', '2');

      const renamed = await fx.store.renameRegisteredModel('fraud', 'fraud-v2', by(5_000, 'bob'));
      expect(renamed).toMatchObject({
        name: 'fraud-v2',
        lastUpdatedTime: 5_000,
        tags: { team: 'risk' },
        aliases: [{ alias: 'champion', version: '2' }],
      });
      expect(renamed.latestVersions.map((v) => [v.name, v.version])).toEqual([['fraud-v2', '2']]);
      expect(await fx.store.getRegisteredModel('fraud-v2')).toEqual(renamed);

      const v2 = await fx.store.getModelVersion('fraud-v2', '2');
      expect(v2).toMatchObject({ name: 'fraud-v2', version: '2', tags: { v: '2' }, aliases: ['champion'] });
      expect(await fx.store.getModelVersion('fraud-v2', '1')).toMatchObject({ tags: { v: '1' } });
      expect(await fx.store.getAlias('fraud-v2', 'champion')).toBe('2');
      expect((await createVersion(fx.store, 'fraud-v2')).version).toBe('3');

      expect(await fx.store.getRegisteredModel('fraud')).toBeUndefined();
      expect(await fx.store.getModelVersion('fraud', '1')).toBeUndefined();
      await expectError(fx.store.getAlias('fraud', 'champion'), 'NOT_FOUND', 'name');
      await expectError(fx.store.setRegisteredModelTag('fraud', 'k', 'v'), 'NOT_FOUND', 'name');
      await expectError(createVersion(fx.store, 'fraud'), 'NOT_FOUND', 'name');

      const events = await fx.store.listEvents({ types: ['registered_model.renamed'], limit: 10 });
      expect(events).toEqual([
        {
          seq: expect.any(Number) as number,
          type: 'registered_model.renamed',
          time: 5_000,
          actor: 'bob',
          modelName: 'fraud-v2',
          details: { previousName: 'fraud' },
        },
      ]);
    });

    test('rename to a taken name is ALREADY_EXISTS and changes nothing; a missing model is NOT_FOUND', async () => {
      await createModel(fx.store, 'a');
      await createModel(fx.store, 'b');
      await expectError(fx.store.renameRegisteredModel('a', 'b', by()), 'ALREADY_EXISTS', 'name');
      expect(await fx.store.getRegisteredModel('a')).toBeDefined();
      await expectError(fx.store.renameRegisteredModel('nope', 'c', by()), 'NOT_FOUND', 'name');
      expect(await fx.store.listEvents({ types: ['registered_model.renamed'], limit: 10 })).toEqual([]);
    });

    test('renaming a model to its own name changes nothing', async () => {
      const model = await createModel(fx.store, 'a', { now: 1_000 });
      expect(await fx.store.renameRegisteredModel('a', 'a', by(2_000))).toEqual(model);
      expect(await fx.store.listEvents({ types: ['registered_model.renamed'], limit: 10 })).toEqual([]);
    });

    test('deleteRegisteredModel removes versions, tags and aliases; the name can be used again', async () => {
      await createModel(fx.store, 'fraud', { tags: { team: 'risk' } });
      await createVersion(fx.store, 'fraud', { tags: { v: '1' } });
      await createVersion(fx.store, 'fraud');
      await setAlias(fx.store, 'fraud', 'champion', '1');
      await setAlias(fx.store, 'fraud', 'b', '2');
      await createModel(fx.store, 'other');
      await createVersion(fx.store, 'other');

      await fx.store.deleteRegisteredModel('fraud', by(9_000, 'carol'));
      expect(await fx.store.getRegisteredModel('fraud')).toBeUndefined();
      expect(await fx.store.getModelVersion('fraud', '1')).toBeUndefined();
      await expectError(fx.store.getAlias('fraud', 'champion'), 'NOT_FOUND', 'name');
      await expectError(fx.store.deleteRegisteredModel('fraud', by()), 'NOT_FOUND', 'name');
      expect((await fx.store.getModelVersion('other', '1'))?.name).toBe('other');

      const recreated = await createModel(fx.store, 'fraud');
      expect(recreated).toMatchObject({ tags: {}, aliases: [], latestVersions: [] });
      expect((await createVersion(fx.store, 'fraud')).version).toBe('1');
      expect(await fx.store.getModelVersion('fraud', '1')).toMatchObject({ tags: {}, aliases: [] });
    });

    test('model tags: set, overwrite, delete; a missing tag or model is NOT_FOUND', async () => {
      await createModel(fx.store, 'fraud', { tags: { a: '1' } });
      await fx.store.setRegisteredModelTag('fraud', 'b', '2');
      await fx.store.setRegisteredModelTag('fraud', 'a', 'one');
      expect((await fx.store.getRegisteredModel('fraud'))?.tags).toEqual({ a: 'one', b: '2' });
      await fx.store.deleteRegisteredModelTag('fraud', 'a');
      expect((await fx.store.getRegisteredModel('fraud'))?.tags).toEqual({ b: '2' });
      await expectError(fx.store.deleteRegisteredModelTag('fraud', 'a'), 'NOT_FOUND', 'key');
      await expectError(fx.store.setRegisteredModelTag('nope', 'a', '1'), 'NOT_FOUND', 'name');
      await expectError(fx.store.deleteRegisteredModelTag('nope', 'a'), 'NOT_FOUND', 'name');
    });

    test('latestVersions holds the highest version of each stage, with its tags and aliases', async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 5);
      const stages = { '1': 'Archived', '2': 'Staging', '3': 'Production', '4': 'Staging' } as const;
      for (const [version, stage] of Object.entries(stages))
        await fx.store.updateModelVersion('fraud', version, { stage }, 2_000);
      await fx.store.setModelVersionTag('fraud', '4', 'k', 'v');
      await setAlias(fx.store, 'fraud', 'canary', '4');

      const model = await fx.store.getRegisteredModel('fraud');
      const latest = [...(model?.latestVersions ?? [])].sort((a, b) => Number(a.version) - Number(b.version));
      expect(latest.map((v) => [v.version, v.currentStage])).toEqual([
        ['1', 'Archived'],
        ['3', 'Production'],
        ['4', 'Staging'],
        ['5', 'None'],
      ]);
      expect(latest[2]).toEqual(await fx.store.getModelVersion('fraud', '4'));
      expect(latest[2]).toMatchObject({ tags: { k: 'v' }, aliases: ['canary'] });
    });
  });
}
