/**
 * Registry contract: model versions (numbering, durability, contract/package documents, updates,
 * deletes, tags).
 */
import { describe, expect, test } from 'vitest';
import {
  by,
  createModel,
  createVersion,
  createVersions,
  expectError,
  sampleContract,
  samplePackage,
  setAlias,
  useFreshRegistry,
  type RegistryStoreFactory,
} from './registry-harness.contract.js';

/** Registers the model-version sections of the registry contract. */
export function registryVersionContract(factory: RegistryStoreFactory): void {
  describe('model versions', () => {
    const fx = useFreshRegistry(factory);

    test('versions are numbered 1..n; getModelVersion reads back what create returned', async () => {
      await createModel(fx.store, 'fraud', { now: 1_000 });
      const v1 = await createVersion(fx.store, 'fraud', {
        source: 'runs:/abc/model',
        runId: 'abc',
        runLink: 'http://x/runs/abc',
        description: 'first',
        tags: { k: 'v', empty: '' },
        status: 'PENDING_REGISTRATION',
        statusMessage: 'copying',
        actor: 'bob',
        now: 2_000,
      });
      expect(v1).toEqual({
        name: 'fraud',
        version: '1',
        creationTime: 2_000,
        lastUpdatedTime: 2_000,
        currentStage: 'None',
        description: 'first',
        userId: 'bob',
        source: 'runs:/abc/model',
        runId: 'abc',
        runLink: 'http://x/runs/abc',
        status: 'PENDING_REGISTRATION',
        statusMessage: 'copying',
        tags: { k: 'v', empty: '' },
        aliases: [],
      });
      expect('contract' in v1 || 'package' in v1).toBe(false);
      expect(await fx.store.getModelVersion('fraud', '1')).toEqual(v1);
      const versions = [];
      for (let i = 0; i < 4; i++)
        versions.push((await createVersion(fx.store, 'fraud', { now: 3_000 + i })).version);
      expect(versions).toEqual(['2', '3', '4', '5']);
      expect((await fx.store.getRegisteredModel('fraud'))?.lastUpdatedTime).toBe(3_003);
      const events = await fx.store.listEvents({ types: ['model_version.created'], limit: 10 });
      expect(events.map((e) => [e.modelName, e.version])).toEqual(
        ['1', '2', '3', '4', '5'].map((v) => ['fraud', v]),
      );
      expect(events[0]).toMatchObject({ actor: 'bob', time: 2_000 });
    });

    test('createModelVersion on a missing model is NOT_FOUND (name)', async () => {
      const error = await expectError(createVersion(fx.store, 'nope'), 'NOT_FOUND', 'name');
      expect(error.message).toBe('Registered Model with name=nope not found');
    });

    test('versions, tags and aliases survive reopening the database', async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 3);
      await fx.store.setModelVersionTag('fraud', '2', 'k', 'v');
      await setAlias(fx.store, 'fraud', 'champion', '3');
      const before = await fx.store.getRegisteredModel('fraud');
      const v2 = await fx.store.getModelVersion('fraud', '2');
      const store = await fx.reopen();
      expect(await store.getRegisteredModel('fraud')).toEqual(before);
      expect(await store.getModelVersion('fraud', '2')).toEqual(v2);
      expect(await store.getAlias('fraud', 'champion')).toBe('3');
      expect((await createVersion(store, 'fraud')).version).toBe('4');
    });

    test('contract and package documents round-trip exactly, nested metadata and key order included', async () => {
      await createModel(fx.store, 'fraud');
      const contract = sampleContract();
      const pkg = samplePackage();
      const created = await createVersion(fx.store, 'fraud', { contract, package: pkg });
      for (const version of [created, await fx.store.getModelVersion('fraud', '1')]) {
        expect(version?.contract).toStrictEqual(contract);
        expect(version?.package).toStrictEqual(pkg);
        expect(JSON.stringify(version?.package)).toBe(JSON.stringify(pkg));
        expect(JSON.stringify(version?.contract)).toBe(JSON.stringify(contract));
      }
      const [found] = await fx
        .reopen()
        .then((store) => store.searchModelVersions({ filter: [], orderBy: [], offset: 0, limit: 10 }));
      expect(JSON.stringify(found?.package)).toBe(JSON.stringify(pkg));
    });

    test('updateModelVersion changes only the given fields', async () => {
      await createModel(fx.store, 'fraud');
      const v1 = await createVersion(fx.store, 'fraud', { description: 'd', status: 'PENDING_REGISTRATION' });
      const updated = await fx.store.updateModelVersion(
        'fraud',
        '1',
        { status: 'READY', statusMessage: 'done' },
        5_000,
      );
      expect(updated).toEqual({ ...v1, status: 'READY', statusMessage: 'done', lastUpdatedTime: 5_000 });
      const staged = await fx.store.updateModelVersion(
        'fraud',
        '1',
        { stage: 'Production', description: 'x' },
        6_000,
      );
      expect(staged).toEqual({
        ...updated,
        currentStage: 'Production',
        description: 'x',
        lastUpdatedTime: 6_000,
      });
      expect(await fx.store.getModelVersion('fraud', '1')).toEqual(staged);
    });

    test('missing, malformed and out-of-range versions are undefined / NOT_FOUND (version)', async () => {
      await createModel(fx.store, 'fraud');
      await createVersion(fx.store, 'fraud');
      for (const version of ['2', '0', 'abc', '1.0', '-1', '', '99999999999999999999'])
        expect(await fx.store.getModelVersion('fraud', version)).toBeUndefined();
      expect(await fx.store.getModelVersion('nope', '1')).toBeUndefined();
      const error = await expectError(
        fx.store.updateModelVersion('fraud', '7', {}, 1),
        'NOT_FOUND',
        'version',
      );
      expect(error.message).toBe('Model Version (name=fraud, version=7) not found');
      await expectError(
        fx.store.updateModelVersion('fraud', '99999999999999', {}, 1),
        'NOT_FOUND',
        'version',
      );
      await expectError(fx.store.updateModelVersion('nope', '1', {}, 1), 'NOT_FOUND', 'name');
      await expectError(fx.store.deleteModelVersion('fraud', 'x', by()), 'NOT_FOUND', 'version');
      await expectError(fx.store.setModelVersionTag('fraud', '2', 'k', 'v'), 'NOT_FOUND', 'version');
    });

    test('deleteModelVersion removes the version and its aliases, with an alias.deleted event per alias first', async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 2);
      await fx.store.setModelVersionTag('fraud', '2', 'k', 'v');
      for (const [alias, to] of [
        ['champion', '2'],
        ['challenger', '2'],
        ['old', '1'],
      ] as const)
        await setAlias(fx.store, 'fraud', alias, to);
      const [last] = (await fx.store.listEvents({ limit: 1000 })).slice(-1);

      await fx.store.deleteModelVersion('fraud', '2', by(7_000, 'carol'));
      expect(await fx.store.getModelVersion('fraud', '2')).toBeUndefined();
      expect(await fx.store.getAlias('fraud', 'champion')).toBeUndefined();
      expect(await fx.store.getAlias('fraud', 'old')).toBe('1');
      const model = await fx.store.getRegisteredModel('fraud');
      expect(model?.aliases).toEqual([{ alias: 'old', version: '1' }]);
      expect(model?.latestVersions.map((v) => v.version)).toEqual(['1']);
      expect(model?.lastUpdatedTime).toBe(7_000);

      const events = await fx.store.listEvents({ afterSeq: last?.seq ?? 0, limit: 10 });
      expect(events.map((e) => e.type)).toEqual(['alias.deleted', 'alias.deleted', 'model_version.deleted']);
      expect(
        events
          .slice(0, 2)
          .map((e) => e.alias)
          .sort(),
      ).toEqual(['challenger', 'champion']);
      for (const e of events.slice(0, 2)) {
        expect(e).toMatchObject({
          modelName: 'fraud',
          fromVersion: '2',
          reason: 'version deleted',
          actor: 'carol',
        });
        expect(e.toVersion).toBeUndefined();
      }
      expect(events[2]).toMatchObject({ modelName: 'fraud', version: '2', actor: 'carol', time: 7_000 });
      await expectError(fx.store.deleteModelVersion('fraud', '2', by()), 'NOT_FOUND', 'version');
    });

    test("a deleted version's number is not handed out again", async () => {
      await createModel(fx.store, 'fraud');
      await createVersions(fx.store, 'fraud', 3);
      await fx.store.deleteModelVersion('fraud', '3', by());
      expect((await createVersion(fx.store, 'fraud')).version).toBe('4');
      expect(await fx.store.getModelVersion('fraud', '3')).toBeUndefined();
    });

    test('version tags: set, overwrite, delete; a missing tag is NOT_FOUND (key)', async () => {
      await createModel(fx.store, 'fraud');
      await createVersion(fx.store, 'fraud', { tags: { a: '1' } });
      await createVersion(fx.store, 'fraud', { tags: { a: 'other' } });
      await fx.store.setModelVersionTag('fraud', '1', 'b', '2');
      await fx.store.setModelVersionTag('fraud', '1', 'a', 'one');
      expect((await fx.store.getModelVersion('fraud', '1'))?.tags).toEqual({ a: 'one', b: '2' });
      await fx.store.deleteModelVersionTag('fraud', '1', 'a');
      expect((await fx.store.getModelVersion('fraud', '1'))?.tags).toEqual({ b: '2' });
      expect((await fx.store.getModelVersion('fraud', '2'))?.tags).toEqual({ a: 'other' });
      await expectError(fx.store.deleteModelVersionTag('fraud', '1', 'a'), 'NOT_FOUND', 'key');
      await expectError(fx.store.deleteModelVersionTag('fraud', '9', 'a'), 'NOT_FOUND', 'version');
      await expectError(fx.store.deleteModelVersionTag('nope', '1', 'a'), 'NOT_FOUND', 'name');
    });
  });
}
