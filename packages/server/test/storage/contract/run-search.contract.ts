/**
 * Contract: searchRuns filters, ordering, view types and paging (MLflow SqlAlchemyStore semantics).
 */
import type { RunStatus } from '@slipway/contracts';
import { beforeEach, describe, expect, test } from 'vitest';
import type { RunFilterClause, RunOrderKey } from '../../../src/tracking/search-types.js';
import type { RunSearchQuery, TrackingStore } from '../../../src/tracking/tracking-store.js';
import { dataset } from './runs.contract.js';
import {
  createExperiment,
  createRun,
  metric,
  runQuery,
  searchNames,
  useFreshStore,
  type TrackingStoreFactory,
} from './harness.js';

interface SeedRun {
  name: string;
  startTime: number;
  userId: string;
  status: RunStatus;
  endTime?: number;
  metrics?: Record<string, number>;
  params?: Record<string, string>;
  tags?: Record<string, string>;
  datasets?: [name: string, digest: string, context: string][];
  deleted?: boolean;
}

/** Runs of experiment E, listed in creation order (so run ids ascend in this order). */
const E_RUNS: SeedRun[] = [
  {
    name: 'alpha',
    startTime: 1000,
    userId: 'alice',
    status: 'FINISHED',
    endTime: 5000,
    metrics: { acc: 0.9, loss: 0.1 },
    params: { lr: '0.01', opt: 'Adam' },
    tags: { team: 'Red', model: 'cnn' },
    datasets: [['train', 'd1', 'training']],
  },
  {
    name: 'beta',
    startTime: 3000,
    userId: 'bob',
    status: 'RUNNING',
    metrics: { acc: 0.4 },
    params: { lr: '0.1', opt: 'adam' },
    tags: { team: 'blue' },
    datasets: [['eval', 'd2', 'eval']],
  },
  {
    name: 'gamma',
    startTime: 2000,
    userId: 'alice',
    status: 'FAILED',
    endTime: 4000,
    metrics: { acc: Number.NaN, loss: 0.5 },
    params: { lr: '0.01' },
  },
  {
    name: 'delta',
    startTime: 2000,
    userId: 'carol',
    status: 'RUNNING',
    tags: { team: 'red' },
    deleted: true,
  },
  {
    name: 'eps_1',
    startTime: 4000,
    userId: 'bob',
    status: 'RUNNING',
    metrics: { acc: 0.7 },
    params: { opt: 'ADAM' },
    tags: { model: 'rnn' },
    datasets: [
      ['train', 'd1', 'training'],
      ['eval', 'd2', 'eval'],
    ],
  },
];

async function seedRun(store: TrackingStore, experimentId: string, seed: SeedRun): Promise<string> {
  const run = await createRun(store, experimentId, {
    name: seed.name,
    startTime: seed.startTime,
    userId: seed.userId,
    tags: seed.tags ?? {},
  });
  const id = run.info.runId;
  await store.updateRun(id, {
    status: seed.status,
    ...(seed.endTime === undefined ? {} : { endTime: seed.endTime }),
  });
  const metrics = Object.entries(seed.metrics ?? {}).map(([key, value]) => metric(key, value));
  await store.logBatch(id, { metrics, params: seed.params ?? {}, tags: {} });
  const inputs = (seed.datasets ?? []).map(([name, digest, context]) =>
    dataset(name, digest, { 'mlflow.data.context': context }),
  );
  if (inputs.length > 0) await store.logInputs(id, inputs);
  if (seed.deleted) await store.setRunLifecycle(id, 'deleted', 9_000);
  return id;
}

/** Registers the run search sections of the contract. */
export function runSearchContract(factory: TrackingStoreFactory): void {
  describe('searchRuns', () => {
    const fx = useFreshStore(factory);
    let e = '';
    let f = '';
    const ids: Record<string, string> = {};

    beforeEach(async () => {
      e = (await createExperiment(fx.store, 'E')).experimentId;
      f = (await createExperiment(fx.store, 'F')).experimentId;
      for (const seed of E_RUNS) ids[seed.name] = await seedRun(fx.store, e, seed);
      ids['zeta'] = await seedRun(fx.store, f, {
        name: 'zeta',
        startTime: 500,
        userId: 'zed',
        status: 'FINISHED',
        metrics: { acc: 0.95 },
      });
    });

    const names = (overrides: Partial<RunSearchQuery> = {}): Promise<string[]> =>
      searchNames(fx.store, runQuery([e], overrides));
    const where = (...filter: RunFilterClause[]): Promise<string[]> => names({ filter });
    const orderedBy = (...orderBy: RunOrderKey[]): Promise<string[]> => names({ orderBy });

    test('default order is start_time DESC, then run_id ASC; view types select lifecycle stages', async () => {
      expect(await names()).toEqual(['eps_1', 'beta', 'gamma', 'alpha']);
      expect(await names({ viewType: 'DELETED_ONLY' })).toEqual(['delta']);
      // gamma and delta share a start time: the smaller run id (created first) comes first.
      expect(await names({ viewType: 'ALL' })).toEqual(['eps_1', 'beta', 'gamma', 'delta', 'alpha']);
    });

    test('several experiments at once; unknown or no experiments give nothing', async () => {
      expect(await searchNames(fx.store, runQuery([e, f]))).toEqual([
        'eps_1',
        'beta',
        'gamma',
        'alpha',
        'zeta',
      ]);
      expect(await searchNames(fx.store, runQuery([f, '98765']))).toEqual(['zeta']);
      expect(await searchNames(fx.store, runQuery(['98765']))).toEqual([]);
      expect(await searchNames(fx.store, runQuery(['x1']))).toEqual([]);
      expect(await searchNames(fx.store, runQuery([]))).toEqual([]);
    });

    test('metric filters test the latest value; NaN matches only !=; runs lacking the key never match', async () => {
      const acc = (comparator: '=' | '!=' | '>' | '>=' | '<' | '<=', value: number): Promise<string[]> =>
        where({ entity: 'metric', key: 'acc', comparator, value });
      expect(await acc('>', 0.5)).toEqual(['eps_1', 'alpha']);
      expect(await acc('>=', 0.7)).toEqual(['eps_1', 'alpha']);
      expect(await acc('<', 0.5)).toEqual(['beta']);
      expect(await acc('<=', 0.4)).toEqual(['beta']);
      expect(await acc('=', 0.9)).toEqual(['alpha']);
      expect(await acc('!=', 0.9)).toEqual(['eps_1', 'beta', 'gamma']);
      expect(await acc('<', Number.POSITIVE_INFINITY)).toEqual(['eps_1', 'beta', 'alpha']);
      expect(await where({ entity: 'metric', key: 'loss', comparator: '!=', value: 0.1 })).toEqual(['gamma']);
      expect(await where({ entity: 'metric', key: 'nope', comparator: '!=', value: 0 })).toEqual([]);
    });

    test('param filters: = and != (only runs with the key), LIKE case-sensitive, ILIKE not', async () => {
      const param = (
        key: string,
        comparator: '=' | '!=' | 'LIKE' | 'ILIKE',
        value: string,
      ): Promise<string[]> => where({ entity: 'param', key, comparator, value });
      expect(await param('lr', '=', '0.01')).toEqual(['gamma', 'alpha']);
      expect(await param('lr', '!=', '0.01')).toEqual(['beta']);
      expect(await param('opt', 'LIKE', 'a%')).toEqual(['beta']);
      expect(await param('opt', 'LIKE', 'A%')).toEqual(['eps_1', 'alpha']);
      expect(await param('opt', 'LIKE', '%dam')).toEqual(['beta', 'alpha']);
      expect(await param('opt', 'ILIKE', 'adam')).toEqual(['eps_1', 'beta', 'alpha']);
      expect(await param('opt', '=', 'adam')).toEqual(['beta']);
    });

    test('tag filters: =, !=, LIKE, ILIKE, IS NULL, IS NOT NULL', async () => {
      const tag = (
        comparator: '=' | '!=' | 'LIKE' | 'ILIKE',
        value: string,
        key = 'team',
      ): Promise<string[]> => where({ entity: 'tag', key, comparator, value });
      expect(await tag('=', 'red')).toEqual([]);
      expect(
        await names({
          viewType: 'ALL',
          filter: [{ entity: 'tag', key: 'team', comparator: '=', value: 'red' }],
        }),
      ).toEqual(['delta']);
      expect(await tag('ILIKE', 'RED')).toEqual(['alpha']);
      expect(await tag('!=', 'Red')).toEqual(['beta']);
      expect(await tag('LIKE', '_nn', 'model')).toEqual(['eps_1', 'alpha']);
      expect(await tag('LIKE', 'C%', 'model')).toEqual([]);
      expect(await where({ entity: 'tag', key: 'team', comparator: 'IS NULL' })).toEqual(['eps_1', 'gamma']);
      expect(await where({ entity: 'tag', key: 'team', comparator: 'IS NOT NULL' })).toEqual([
        'beta',
        'alpha',
      ]);
    });

    test('string attribute filters: run_name, status, user_id, artifact_uri, run_id IN / NOT IN', async () => {
      const attr = (
        key: 'run_name' | 'status' | 'user_id' | 'artifact_uri' | 'run_id',
        comparator: '=' | '!=' | 'LIKE' | 'ILIKE',
        value: string,
      ): Promise<string[]> => where({ entity: 'attribute', key, comparator, value });
      expect(await attr('run_name', '=', 'beta')).toEqual(['beta']);
      expect(await attr('run_name', 'LIKE', 'eps\\_%')).toEqual(['eps_1']);
      expect(await attr('run_name', 'LIKE', 'ALPHA')).toEqual([]);
      expect(await attr('run_name', 'ILIKE', 'ALPHA')).toEqual(['alpha']);
      expect(await attr('status', '=', 'RUNNING')).toEqual(['eps_1', 'beta']);
      expect(await attr('user_id', '!=', 'alice')).toEqual(['eps_1', 'beta']);
      expect(await attr('artifact_uri', 'LIKE', `loc/${e}/%/artifacts`)).toEqual([
        'eps_1',
        'beta',
        'gamma',
        'alpha',
      ]);
      expect(await attr('run_id', '=', ids['gamma'] as string)).toEqual(['gamma']);
      const inList = (comparator: 'IN' | 'NOT IN', values: string[]): Promise<string[]> =>
        where({ entity: 'attribute', key: 'run_id', comparator, values });
      expect(await inList('IN', [ids['alpha'] as string, ids['beta'] as string, 'f'.repeat(32)])).toEqual([
        'beta',
        'alpha',
      ]);
      expect(await inList('NOT IN', [ids['alpha'] as string])).toEqual(['eps_1', 'beta', 'gamma']);
      expect(await inList('IN', [ids['zeta'] as string])).toEqual([]);
    });

    test('numeric attribute filters: start_time and end_time (runs without end_time never match)', async () => {
      const time = (
        key: 'start_time' | 'end_time',
        comparator: '=' | '!=' | '>' | '>=' | '<' | '<=',
        value: number,
      ): Promise<string[]> => where({ entity: 'attribute', key, comparator, value });
      expect(await time('start_time', '>=', 2000)).toEqual(['eps_1', 'beta', 'gamma']);
      expect(await time('start_time', '<', 2000)).toEqual(['alpha']);
      expect(await time('start_time', '=', 3000)).toEqual(['beta']);
      expect(await time('start_time', '>', 2999.5)).toEqual(['eps_1', 'beta']);
      expect(await time('end_time', '>', 4500)).toEqual(['alpha']);
      expect(await time('end_time', '<=', 5000)).toEqual(['gamma', 'alpha']);
      expect(await time('end_time', '!=', 4000)).toEqual(['alpha']);
    });

    test('dataset filters: name, digest and context with =, LIKE, ILIKE, IN and NOT IN', async () => {
      const ds = (
        key: 'name' | 'digest' | 'context',
        comparator: '=' | '!=' | 'LIKE' | 'ILIKE',
        value: string,
      ): Promise<string[]> => where({ entity: 'dataset', key, comparator, value });
      const dsSet = (
        key: 'name' | 'digest' | 'context',
        comparator: 'IN' | 'NOT IN',
        values: string[],
      ): Promise<string[]> => where({ entity: 'dataset', key, comparator, values });
      expect(await ds('name', '=', 'train')).toEqual(['eps_1', 'alpha']);
      expect(await ds('name', 'LIKE', 'TR%')).toEqual([]);
      expect(await ds('name', 'ILIKE', 'TR%')).toEqual(['eps_1', 'alpha']);
      expect(await ds('name', '!=', 'train')).toEqual(['eps_1', 'beta']);
      expect(await ds('digest', '=', 'd2')).toEqual(['eps_1', 'beta']);
      expect(await ds('context', '=', 'training')).toEqual(['eps_1', 'alpha']);
      expect(await ds('context', 'LIKE', 'eval%')).toEqual(['eps_1', 'beta']);
      expect(await dsSet('name', 'IN', ['eval'])).toEqual(['eps_1', 'beta']);
      expect(await dsSet('name', 'NOT IN', ['train'])).toEqual(['eps_1', 'beta']);
      expect(await dsSet('context', 'IN', ['training', 'eval'])).toEqual(['eps_1', 'beta', 'alpha']);
      expect(await dsSet('digest', 'IN', [])).toEqual([]);
    });

    test('clauses are ANDed', async () => {
      expect(
        await where(
          { entity: 'metric', key: 'acc', comparator: '>', value: 0.5 },
          { entity: 'param', key: 'lr', comparator: '=', value: '0.01' },
        ),
      ).toEqual(['alpha']);
      expect(
        await where(
          { entity: 'metric', key: 'acc', comparator: '>', value: 0.3 },
          { entity: 'tag', key: 'team', comparator: 'IS NOT NULL' },
          { entity: 'dataset', key: 'name', comparator: '=', value: 'eval' },
        ),
      ).toEqual(['beta']);
    });

    test('order by metric: missing values last and NaN after numbers, in both directions', async () => {
      expect(await orderedBy({ entity: 'metric', key: 'acc', ascending: false })).toEqual([
        'alpha',
        'eps_1',
        'beta',
        'gamma',
      ]);
      expect(await orderedBy({ entity: 'metric', key: 'acc', ascending: true })).toEqual([
        'beta',
        'eps_1',
        'alpha',
        'gamma',
      ]);
      // eps_1 and beta lack loss: last, in the default order among themselves.
      expect(await orderedBy({ entity: 'metric', key: 'loss', ascending: true })).toEqual([
        'alpha',
        'gamma',
        'eps_1',
        'beta',
      ]);
      expect(await orderedBy({ entity: 'metric', key: 'loss', ascending: false })).toEqual([
        'gamma',
        'alpha',
        'eps_1',
        'beta',
      ]);
    });

    test('filtering and ordering by the same metric', async () => {
      const acc = (comparator: '>' | '>=' | '!=', value: number): RunFilterClause => ({
        entity: 'metric',
        key: 'acc',
        comparator,
        value,
      });
      const byAcc = (ascending: boolean): RunOrderKey => ({ entity: 'metric', key: 'acc', ascending });
      expect(await names({ filter: [acc('>', 0.3)], orderBy: [byAcc(false)] })).toEqual([
        'alpha',
        'eps_1',
        'beta',
      ]);
      expect(await names({ filter: [acc('>', 0.3)], orderBy: [byAcc(true)] })).toEqual([
        'beta',
        'eps_1',
        'alpha',
      ]);
      expect(await names({ filter: [acc('>=', 0.4), acc('!=', 0.7)], orderBy: [byAcc(false)] })).toEqual([
        'alpha',
        'beta',
      ]);
      expect(await names({ filter: [acc('!=', 0.9)], orderBy: [byAcc(false)] })).toEqual([
        'eps_1',
        'beta',
        'gamma',
      ]);
      expect(
        await names({
          filter: [acc('>', 0.3), { entity: 'param', key: 'opt', comparator: 'ILIKE', value: 'adam' }],
          orderBy: [byAcc(true), { entity: 'attribute', key: 'run_name', ascending: true }],
          offset: 1,
          limit: 1,
        }),
      ).toEqual(['eps_1']);
      const twins = await names({
        viewType: 'ALL',
        filter: [{ entity: 'metric', key: 'acc', comparator: '<', value: 1 }],
        orderBy: [byAcc(false)],
      });
      expect(twins).toEqual(['alpha', 'eps_1', 'beta']);
    });

    test('order by param and tag compare strings by code point; missing values last', async () => {
      expect(await orderedBy({ entity: 'param', key: 'lr', ascending: true })).toEqual([
        'gamma',
        'alpha',
        'beta',
        'eps_1',
      ]);
      expect(await orderedBy({ entity: 'param', key: 'lr', ascending: false })).toEqual([
        'beta',
        'gamma',
        'alpha',
        'eps_1',
      ]);
      expect(await orderedBy({ entity: 'tag', key: 'team', ascending: true })).toEqual([
        'alpha',
        'beta',
        'eps_1',
        'gamma',
      ]);
      expect(await orderedBy({ entity: 'tag', key: 'team', ascending: false })).toEqual([
        'beta',
        'alpha',
        'eps_1',
        'gamma',
      ]);
    });

    test('order by attributes; end_time NULLs last both ways; explicit start_time replaces the default', async () => {
      expect(await orderedBy({ entity: 'attribute', key: 'end_time', ascending: true })).toEqual([
        'gamma',
        'alpha',
        'eps_1',
        'beta',
      ]);
      expect(await orderedBy({ entity: 'attribute', key: 'end_time', ascending: false })).toEqual([
        'alpha',
        'gamma',
        'eps_1',
        'beta',
      ]);
      expect(await orderedBy({ entity: 'attribute', key: 'start_time', ascending: true })).toEqual([
        'alpha',
        'gamma',
        'beta',
        'eps_1',
      ]);
      expect(
        await names({
          viewType: 'ALL',
          orderBy: [{ entity: 'attribute', key: 'start_time', ascending: true }],
        }),
      ).toEqual(['alpha', 'gamma', 'delta', 'beta', 'eps_1']);
      expect(await orderedBy({ entity: 'attribute', key: 'run_name', ascending: false })).toEqual([
        'gamma',
        'eps_1',
        'beta',
        'alpha',
      ]);
      expect(await orderedBy({ entity: 'attribute', key: 'user_id', ascending: true })).toEqual([
        'gamma',
        'alpha',
        'eps_1',
        'beta',
      ]);
      expect(await orderedBy({ entity: 'attribute', key: 'status', ascending: true })).toEqual([
        'gamma',
        'alpha',
        'eps_1',
        'beta',
      ]);
      const byExperiment = await searchNames(
        fx.store,
        runQuery([e, f], { orderBy: [{ entity: 'attribute', key: 'experiment_id', ascending: false }] }),
      );
      expect(byExperiment).toEqual(['zeta', 'eps_1', 'beta', 'gamma', 'alpha']);
    });

    test('several order keys apply in sequence', async () => {
      const ordered = await orderedBy(
        { entity: 'attribute', key: 'user_id', ascending: false },
        { entity: 'metric', key: 'acc', ascending: true },
      );
      expect(ordered).toEqual(['beta', 'eps_1', 'alpha', 'gamma']);
    });

    test('offset and limit page through the same total order; results carry data and inputs', async () => {
      const all = await fx.store.searchRuns(runQuery([e, f], { viewType: 'ALL' }));
      expect(all).toHaveLength(6);
      const paged = [];
      for (let offset = 0; offset < 6; offset += 4) {
        paged.push(...(await fx.store.searchRuns(runQuery([e, f], { viewType: 'ALL', offset, limit: 4 }))));
      }
      expect(paged).toEqual(all);
      expect(await fx.store.searchRuns(runQuery([e], { offset: 4 }))).toEqual([]);
      expect(await fx.store.searchRuns(runQuery([e], { limit: 0 }))).toEqual([]);
      for (const run of all) expect(run).toEqual(await fx.store.getRun(run.info.runId));
      const eps = all.find((run) => run.info.runName === 'eps_1');
      expect(eps?.data.params).toEqual({ opt: 'ADAM' });
      expect(eps?.data.metrics).toEqual([metric('acc', 0.7)]);
      expect(eps?.inputs.datasetInputs.map((input) => input.dataset.name)).toEqual(['eval', 'train']);
    });
  });

  describe('searchRuns LIKE translation', () => {
    const fx = useFreshStore(factory);

    test('GLOB and regex metacharacters in values are literals; backslash escapes % and _', async () => {
      const g = (await createExperiment(fx.store, 'G')).experimentId;
      for (const [i, name] of ['a*b?[c]', 'aXb!c', 'a%b', 'a_b', 'A.B'].entries()) {
        await createRun(fx.store, g, { name, startTime: 100 - i });
      }
      const like = (value: string, comparator: 'LIKE' | 'ILIKE' = 'LIKE'): Promise<string[]> =>
        searchNames(
          fx.store,
          runQuery([g], { filter: [{ entity: 'attribute', key: 'run_name', comparator, value }] }),
        );
      expect(await like('a*b%')).toEqual(['a*b?[c]']);
      expect(await like('a_b%')).toEqual(['a*b?[c]', 'aXb!c', 'a%b', 'a_b']);
      expect(await like('%[c]')).toEqual(['a*b?[c]']);
      expect(await like('%?%')).toEqual(['a*b?[c]']);
      expect(await like('a\\%b')).toEqual(['a%b']);
      expect(await like('a\\_b')).toEqual(['a_b']);
      expect(await like('a.b')).toEqual([]);
      expect(await like('a.b', 'ILIKE')).toEqual(['A.B']);
      expect(await like('A_B', 'ILIKE')).toEqual(['a%b', 'a_b', 'A.B']);
    });
  });
}
