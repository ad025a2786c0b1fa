/**
 * Contract: experiments (CRUD, lifecycle, tags, search).
 */
import { describe, expect, test } from 'vitest';
import {
  createExperiment,
  createRun,
  expectError,
  experimentQuery,
  useFreshStore,
  type TrackingStoreFactory,
} from './harness.js';

/** Registers the experiment sections of the contract. */
export function experimentContract(factory: TrackingStoreFactory): void {
  describe('experiments', () => {
    const fx = useFreshStore(factory);

    test('the Default experiment exists after opening an empty database', async () => {
      const experiment = await fx.store.getExperiment('0');
      expect(experiment).toMatchObject({
        experimentId: '0',
        name: 'Default',
        lifecycleStage: 'active',
        tags: {},
      });
      expect(experiment?.artifactLocation).toMatch(/0$/);
      expect(await fx.store.getExperimentByName('Default')).toEqual(experiment);
    });

    test('the Default experiment is created once and survives a reopen unchanged', async () => {
      await fx.store.setExperimentTag('0', 'k', 'v');
      const before = await fx.store.getExperiment('0');
      const store = await fx.reopen();
      expect(await store.getExperiment('0')).toEqual(before);
    });

    test('createExperiment returns increasing decimal ids and what getExperiment reads back', async () => {
      const a = await createExperiment(fx.store, 'a', { tags: { team: 'x', empty: '' }, now: 1234 });
      const b = await createExperiment(fx.store, 'b', { artifactLocation: 's3://bucket/b' });
      expect(a).toEqual({
        experimentId: a.experimentId,
        name: 'a',
        artifactLocation: `loc/${a.experimentId}`,
        lifecycleStage: 'active',
        creationTime: 1234,
        lastUpdateTime: 1234,
        tags: { team: 'x', empty: '' },
      });
      expect(a.experimentId).toMatch(/^[1-9]\d*$/);
      expect(Number(b.experimentId)).toBeGreaterThan(Number(a.experimentId));
      expect(b.artifactLocation).toBe('s3://bucket/b');
      expect(await fx.store.getExperiment(a.experimentId)).toEqual(a);
      expect(await fx.store.getExperiment(b.experimentId)).toEqual(b);
    });

    test('createExperiment with a taken name is ALREADY_EXISTS, even when the holder is deleted', async () => {
      const a = await createExperiment(fx.store, 'dup');
      await expectError(createExperiment(fx.store, 'dup'), 'ALREADY_EXISTS');
      await fx.store.setExperimentLifecycle(a.experimentId, 'deleted', 2_000);
      await expectError(createExperiment(fx.store, 'dup'), 'ALREADY_EXISTS');
      await expectError(createExperiment(fx.store, 'Default'), 'ALREADY_EXISTS');
    });

    test('getExperiment / getExperimentByName return undefined for unknown ids and names', async () => {
      expect(await fx.store.getExperiment('424242')).toBeUndefined();
      expect(await fx.store.getExperiment('not-a-number')).toBeUndefined();
      expect(await fx.store.getExperimentByName('nope')).toBeUndefined();
    });

    test('getExperimentByName is exact and case-sensitive, and finds deleted experiments', async () => {
      const e = await createExperiment(fx.store, 'MyExp');
      expect(await fx.store.getExperimentByName('myexp')).toBeUndefined();
      expect(await fx.store.getExperimentByName('MyEx')).toBeUndefined();
      await fx.store.setExperimentLifecycle(e.experimentId, 'deleted', 5_000);
      expect(await fx.store.getExperimentByName('MyExp')).toMatchObject({
        experimentId: e.experimentId,
        lifecycleStage: 'deleted',
        lastUpdateTime: 5_000,
      });
    });

    test('renameExperiment renames and bumps lastUpdateTime; errors follow the contract', async () => {
      const a = await createExperiment(fx.store, 'a');
      await createExperiment(fx.store, 'b');
      await fx.store.renameExperiment(a.experimentId, 'a2', 7_000);
      expect(await fx.store.getExperiment(a.experimentId)).toMatchObject({
        name: 'a2',
        lastUpdateTime: 7_000,
      });
      expect(await fx.store.getExperimentByName('a')).toBeUndefined();
      await fx.store.renameExperiment(a.experimentId, 'a2', 8_000);
      await expectError(fx.store.renameExperiment(a.experimentId, 'b', 9_000), 'ALREADY_EXISTS');
      await expectError(fx.store.renameExperiment('999', 'c', 9_000), 'NOT_FOUND', 'experiment_id');
      await fx.store.setExperimentLifecycle(a.experimentId, 'deleted', 9_000);
      await expectError(
        fx.store.renameExperiment(a.experimentId, 'c', 9_500),
        'FAILED_PRECONDITION',
        'experiment_id',
      );
      expect((await fx.store.getExperiment(a.experimentId))?.name).toBe('a2');
    });

    test('deleting an experiment deletes all its runs; restoring restores all of them', async () => {
      const e = await createExperiment(fx.store, 'e');
      const other = await createExperiment(fx.store, 'other');
      const r1 = await createRun(fx.store, e.experimentId);
      const r2 = await createRun(fx.store, e.experimentId);
      const r3 = await createRun(fx.store, other.experimentId);
      await fx.store.setRunLifecycle(r2.info.runId, 'deleted', 1_500);
      await fx.store.setExperimentLifecycle(e.experimentId, 'deleted', 2_000);
      expect(await fx.store.getExperiment(e.experimentId)).toMatchObject({
        lifecycleStage: 'deleted',
        lastUpdateTime: 2_000,
      });
      expect((await fx.store.getRunInfo(r1.info.runId))?.lifecycleStage).toBe('deleted');
      expect((await fx.store.getRunInfo(r3.info.runId))?.lifecycleStage).toBe('active');
      await fx.store.setExperimentLifecycle(e.experimentId, 'active', 3_000);
      expect(await fx.store.getExperiment(e.experimentId)).toMatchObject({
        lifecycleStage: 'active',
        lastUpdateTime: 3_000,
      });
      expect((await fx.store.getRunInfo(r1.info.runId))?.lifecycleStage).toBe('active');
      // As MLflow: restoring the experiment also restores a run that was deleted on its own.
      expect((await fx.store.getRunInfo(r2.info.runId))?.lifecycleStage).toBe('active');
    });

    test('setExperimentLifecycle: NOT_FOUND for unknown ids, FAILED_PRECONDITION for the current stage', async () => {
      const e = await createExperiment(fx.store, 'e');
      await expectError(fx.store.setExperimentLifecycle('777', 'deleted', 1), 'NOT_FOUND', 'experiment_id');
      await expectError(
        fx.store.setExperimentLifecycle(e.experimentId, 'active', 1),
        'FAILED_PRECONDITION',
        'experiment_id',
      );
      await fx.store.setExperimentLifecycle(e.experimentId, 'deleted', 1);
      await expectError(
        fx.store.setExperimentLifecycle(e.experimentId, 'deleted', 2),
        'FAILED_PRECONDITION',
        'experiment_id',
      );
    });

    test('setExperimentTag upserts; deleteExperimentTag removes; errors follow the contract', async () => {
      const e = await createExperiment(fx.store, 'e', { tags: { a: '1' } });
      await fx.store.setExperimentTag(e.experimentId, 'a', '2');
      await fx.store.setExperimentTag(e.experimentId, 'b', 'x');
      expect((await fx.store.getExperiment(e.experimentId))?.tags).toEqual({ a: '2', b: 'x' });
      await fx.store.deleteExperimentTag(e.experimentId, 'a');
      expect((await fx.store.getExperiment(e.experimentId))?.tags).toEqual({ b: 'x' });
      await expectError(fx.store.deleteExperimentTag(e.experimentId, 'a'), 'NOT_FOUND');
      await expectError(fx.store.setExperimentTag('888', 'a', '1'), 'NOT_FOUND', 'experiment_id');
      await expectError(fx.store.deleteExperimentTag('888', 'b'), 'NOT_FOUND', 'experiment_id');
      await fx.store.setExperimentLifecycle(e.experimentId, 'deleted', 5);
      await expectError(
        fx.store.setExperimentTag(e.experimentId, 'c', '1'),
        'FAILED_PRECONDITION',
        'experiment_id',
      );
      await expectError(
        fx.store.deleteExperimentTag(e.experimentId, 'b'),
        'FAILED_PRECONDITION',
        'experiment_id',
      );
      expect((await fx.store.getExperiment(e.experimentId))?.tags).toEqual({ b: 'x' });
    });
  });

  describe('searchExperiments', () => {
    const fx = useFreshStore(factory);

    /** Experiments a (t=100), b (t=300), c (t=200), deleted d (t=400), plus Default. */
    async function seed(): Promise<Record<string, string>> {
      const a = await createExperiment(fx.store, 'alpha', { now: 100, tags: { team: 'Red', env: 'prod' } });
      const b = await createExperiment(fx.store, 'Beta', { now: 300, tags: { team: 'blue' } });
      const c = await createExperiment(fx.store, 'gamma_1', { now: 200 });
      const d = await createExperiment(fx.store, 'delta', { now: 400, tags: { team: 'red' } });
      await fx.store.setExperimentLifecycle(d.experimentId, 'deleted', 400);
      return { a: a.experimentId, b: b.experimentId, c: c.experimentId, d: d.experimentId };
    }

    async function names(overrides: Parameters<typeof experimentQuery>[0]): Promise<string[]> {
      return (await fx.store.searchExperiments(experimentQuery(overrides))).map((e) => e.name);
    }

    test('view types select lifecycle stages; default order is creation_time DESC, then id ASC', async () => {
      await seed();
      const active = await names({
        filter: [{ entity: 'attribute', key: 'name', comparator: '!=', value: 'Default' }],
      });
      expect(active).toEqual(['Beta', 'gamma_1', 'alpha']);
      expect(await names({ viewType: 'DELETED_ONLY' })).toEqual(['delta']);
      const all = await names({
        viewType: 'ALL',
        filter: [{ entity: 'attribute', key: 'name', comparator: '!=', value: 'Default' }],
      });
      expect(all).toEqual(['delta', 'Beta', 'gamma_1', 'alpha']);
    });

    test('equal creation times fall back to experiment_id ASC by default', async () => {
      const ids = [];
      for (const name of ['x1', 'x2', 'x3'])
        ids.push((await createExperiment(fx.store, name, { now: 50 })).experimentId);
      const found = await fx.store.searchExperiments(
        experimentQuery({
          filter: [{ entity: 'attribute', key: 'creation_time', comparator: '=', value: 50 }],
        }),
      );
      expect(found.map((e) => e.experimentId)).toEqual(ids);
    });

    test('name filters: = and != exact, LIKE case-sensitive, ILIKE case-insensitive, `_` is one character', async () => {
      await seed();
      const byName = (comparator: '=' | '!=' | 'LIKE' | 'ILIKE', value: string): Promise<string[]> =>
        names({
          filter: [{ entity: 'attribute', key: 'name', comparator, value }],
          orderBy: [{ key: 'name', ascending: true }],
        });
      expect(await byName('=', 'beta')).toEqual([]);
      expect(await byName('=', 'Beta')).toEqual(['Beta']);
      expect(await byName('!=', 'Beta')).toEqual(['Default', 'alpha', 'gamma_1']);
      expect(await byName('LIKE', 'b%')).toEqual([]);
      expect(await byName('LIKE', 'B%')).toEqual(['Beta']);
      expect(await byName('LIKE', '%a')).toEqual(['Beta', 'alpha']);
      expect(await byName('ILIKE', 'b%')).toEqual(['Beta']);
      expect(await byName('ILIKE', '%A%')).toEqual(['Beta', 'Default', 'alpha', 'gamma_1']);
      expect(await byName('LIKE', '%A%')).toEqual([]);
      expect(await byName('LIKE', 'gamma_1')).toEqual(['gamma_1']);
      expect(await byName('LIKE', 'gamm__1')).toEqual(['gamma_1']);
      expect(await byName('LIKE', 'gamma\\_1')).toEqual(['gamma_1']);
      expect(await byName('LIKE', 'gamma\\%')).toEqual([]);
    });

    test('time filters compare numerically', async () => {
      await seed();
      const byTime = (comparator: '>' | '<=' | '=', value: number): Promise<string[]> =>
        names({ filter: [{ entity: 'attribute', key: 'creation_time', comparator, value }] });
      // Default was created "now", long after these.
      expect(await byTime('>', 150)).toEqual(['Default', 'Beta', 'gamma_1']);
      expect(await byTime('<=', 200)).toEqual(['gamma_1', 'alpha']);
      expect(await byTime('=', 300)).toEqual(['Beta']);
      const updated = await names({
        viewType: 'ALL',
        filter: [{ entity: 'attribute', key: 'last_update_time', comparator: '=', value: 400 }],
      });
      expect(updated).toEqual(['delta']);
    });

    test('tag filters only match experiments that have the tag', async () => {
      await seed();
      const byTag = (comparator: '=' | '!=' | 'LIKE' | 'ILIKE', value: string): Promise<string[]> =>
        names({
          filter: [{ entity: 'tag', key: 'team', comparator, value }],
          orderBy: [{ key: 'name', ascending: true }],
        });
      expect(await byTag('=', 'Red')).toEqual(['alpha']);
      expect(await byTag('!=', 'Red')).toEqual(['Beta']);
      expect(await byTag('LIKE', 'r%')).toEqual([]);
      expect(await byTag('ILIKE', 'r%')).toEqual(['alpha']);
      const both = await names({
        filter: [
          { entity: 'tag', key: 'team', comparator: 'ILIKE', value: '%' },
          { entity: 'tag', key: 'env', comparator: '=', value: 'prod' },
        ],
      });
      expect(both).toEqual(['alpha']);
    });

    test('order_by name / times / id, ascending and descending; ties end with experiment_id DESC', async () => {
      await seed();
      expect(await names({ orderBy: [{ key: 'name', ascending: true }] })).toEqual([
        'Beta',
        'Default',
        'alpha',
        'gamma_1',
      ]);
      expect(await names({ orderBy: [{ key: 'name', ascending: false }] })).toEqual([
        'gamma_1',
        'alpha',
        'Default',
        'Beta',
      ]);
      const ids = await fx.store.searchExperiments(
        experimentQuery({ orderBy: [{ key: 'experiment_id', ascending: true }] }),
      );
      expect(ids.map((e) => Number(e.experimentId))).toEqual([0, 1, 2, 3]);
      const byLastUpdate = await names({
        filter: [{ entity: 'attribute', key: 'name', comparator: '!=', value: 'Default' }],
        orderBy: [{ key: 'last_update_time', ascending: true }],
      });
      expect(byLastUpdate).toEqual(['alpha', 'gamma_1', 'Beta']);
      const twins = [];
      for (const name of ['t1', 't2', 't3'])
        twins.push((await createExperiment(fx.store, name, { now: 5 })).experimentId);
      const tied = await fx.store.searchExperiments(
        experimentQuery({
          filter: [{ entity: 'attribute', key: 'creation_time', comparator: '=', value: 5 }],
          orderBy: [{ key: 'creation_time', ascending: true }],
        }),
      );
      expect(tied.map((e) => e.experimentId)).toEqual([...twins].reverse());
    });

    test('offset and limit page through a stable order; results carry tags', async () => {
      const ids = await seed();
      const all = await fx.store.searchExperiments(experimentQuery({ viewType: 'ALL' }));
      expect(all).toHaveLength(5);
      const pages = [];
      for (let offset = 0; offset < 5; offset += 2) {
        pages.push(
          ...(await fx.store.searchExperiments(experimentQuery({ viewType: 'ALL', offset, limit: 2 }))),
        );
      }
      expect(pages).toEqual(all);
      expect(all.find((e) => e.experimentId === ids['a'])?.tags).toEqual({ team: 'Red', env: 'prod' });
      expect(await fx.store.searchExperiments(experimentQuery({ offset: 10 }))).toEqual([]);
    });
  });
}
