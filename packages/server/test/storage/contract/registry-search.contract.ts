/**
 * Registry contract: searchRegisteredModels and searchModelVersions (filters, LIKE vs ILIKE, names
 * with wildcard characters, orders, tiebreaks, paging, page data).
 */
import { beforeEach, describe, expect, test } from 'vitest';
import type {
  ModelVersionFilterClause,
  ModelVersionOrderKey,
  RegisteredModelFilterClause,
  RegisteredModelOrderKey,
  RegistryStore,
} from '../../../src/registry/registry-store.js';
import {
  createModel,
  createVersion,
  modelQuery,
  setAlias,
  useFreshRegistry,
  versionQuery,
  type RegistryStoreFactory,
} from './registry-harness.contract.js';

/** Models in creation order: [name, creation time, team tag]. `churn` and `fraud` tie on time. */
const MODELS: [string, number, string | undefined][] = [
  ['churn', 1_000, 'growth'],
  ['fraud', 1_000, 'risk'],
  ['Fraud-EU', 3_000, 'Risk'],
  ['fraud_v2', 4_000, 'risk'],
  ['fraudXv2', 5_000, undefined],
  ['100%', 6_000, undefined],
  ['100x', 7_000, undefined],
];

/** Every model name in code-point order. */
const BY_NAME = ['100%', '100x', 'Fraud-EU', 'churn', 'fraud', 'fraudXv2', 'fraud_v2'];

async function seedModels(store: RegistryStore): Promise<void> {
  for (const [name, now, team] of MODELS) await createModel(store, name, { now, tags: team ? { team } : {} });
}

async function modelNames(
  store: RegistryStore,
  filter: RegisteredModelFilterClause[],
  orderBy: RegisteredModelOrderKey[] = [],
): Promise<string[]> {
  return (await store.searchRegisteredModels(modelQuery({ filter, orderBy }))).map((m) => m.name);
}

function nameIs(
  comparator: RegisteredModelFilterClause['comparator'],
  value: string,
): RegisteredModelFilterClause {
  return { entity: 'attribute', key: 'name', comparator, value };
}

/** Versions in creation order: [model, run id, source, time, tags]. */
const VERSIONS: [string, string, string, number, Record<string, string>][] = [
  ['fraud', 'r1', 's3://bucket/fraud/1', 1_000, { stage: 'prod' }],
  ['fraud', 'r2', 's3://bucket/fraud/2', 3_000, { stage: 'Prod' }],
  ['churn', 'r1', 'gs://other/churn/1', 2_000, {}],
  ['fraud', 'r3', 's3://bucket/fraud/3', 5_000, { stage: 'dev' }],
  ['churn', 'r2', 's3://Bucket/churn/2', 4_000, { stage: 'prod' }],
  ['Fraud-EU', 'r4', 's3://bucket/eu/1', 6_000, {}],
];

async function seedVersions(store: RegistryStore): Promise<void> {
  for (const name of ['fraud', 'churn', 'Fraud-EU']) await createModel(store, name);
  for (const [name, runId, source, now, tags] of VERSIONS)
    await createVersion(store, name, { runId, source, tags, now });
}

async function versionIds(
  store: RegistryStore,
  filter: ModelVersionFilterClause[],
  orderBy: ModelVersionOrderKey[] = [],
): Promise<string[]> {
  return (await store.searchModelVersions(versionQuery({ filter, orderBy }))).map(
    (v) => `${v.name}/${v.version}`,
  );
}

/** Registers the search sections of the registry contract. */
export function registrySearchContract(factory: RegistryStoreFactory): void {
  describe('searchRegisteredModels', () => {
    const fx = useFreshRegistry(factory);
    beforeEach(() => seedModels(fx.store));

    test('default order is name ASC by code point', async () => {
      expect(await modelNames(fx.store, [])).toEqual(BY_NAME);
    });

    test('name =, !=, LIKE (case-sensitive) and ILIKE (case-insensitive)', async () => {
      expect(await modelNames(fx.store, [nameIs('=', 'fraud')])).toEqual(['fraud']);
      expect(await modelNames(fx.store, [nameIs('=', 'FRAUD')])).toEqual([]);
      expect(await modelNames(fx.store, [nameIs('!=', 'fraud')])).toEqual(
        BY_NAME.filter((n) => n !== 'fraud'),
      );
      expect(await modelNames(fx.store, [nameIs('LIKE', 'fraud%')])).toEqual([
        'fraud',
        'fraudXv2',
        'fraud_v2',
      ]);
      expect(await modelNames(fx.store, [nameIs('LIKE', 'FRAUD%')])).toEqual([]);
      expect(await modelNames(fx.store, [nameIs('ILIKE', 'FRAUD%')])).toEqual([
        'Fraud-EU',
        'fraud',
        'fraudXv2',
        'fraud_v2',
      ]);
      expect(await modelNames(fx.store, [nameIs('ILIKE', '%-eu')])).toEqual(['Fraud-EU']);
    });

    test('% and _ are wildcards unless escaped with a backslash', async () => {
      expect(await modelNames(fx.store, [nameIs('LIKE', 'fraud_v2')])).toEqual(['fraudXv2', 'fraud_v2']);
      expect(await modelNames(fx.store, [nameIs('LIKE', 'fraud\\_v2')])).toEqual(['fraud_v2']);
      expect(await modelNames(fx.store, [nameIs('ILIKE', 'FRAUD\\_%')])).toEqual(['fraud_v2']);
      expect(await modelNames(fx.store, [nameIs('LIKE', '100%')])).toEqual(['100%', '100x']);
      expect(await modelNames(fx.store, [nameIs('LIKE', '100\\%')])).toEqual(['100%']);
      expect(await modelNames(fx.store, [nameIs('=', '100%')])).toEqual(['100%']);
    });

    test('tag clauses only match models that have the tag', async () => {
      const team = (comparator: RegisteredModelFilterClause['comparator'], value: string) =>
        [{ entity: 'tag', key: 'team', comparator, value }] as RegisteredModelFilterClause[];
      expect(await modelNames(fx.store, team('=', 'risk'))).toEqual(['fraud', 'fraud_v2']);
      expect(await modelNames(fx.store, team('ILIKE', 'RISK'))).toEqual(['Fraud-EU', 'fraud', 'fraud_v2']);
      expect(await modelNames(fx.store, team('LIKE', 'R%'))).toEqual(['Fraud-EU']);
      expect(await modelNames(fx.store, team('!=', 'risk'))).toEqual(['Fraud-EU', 'churn']);
      expect(await modelNames(fx.store, [...team('=', 'risk'), nameIs('LIKE', '%v2')])).toEqual(['fraud_v2']);
    });

    test('orders by times with name as the tiebreak, in both directions', async () => {
      const byCreation = (ascending: boolean): RegisteredModelOrderKey[] => [
        { key: 'creation_time', ascending },
      ];
      expect(await modelNames(fx.store, [], byCreation(true))).toEqual(MODELS.map(([name]) => name));
      expect(await modelNames(fx.store, [], byCreation(false))).toEqual([
        '100x',
        '100%',
        'fraudXv2',
        'fraud_v2',
        'Fraud-EU',
        'churn',
        'fraud',
      ]);
      await fx.store.updateRegisteredModel('churn', 'touched', 9_000);
      expect(
        (await modelNames(fx.store, [], [{ key: 'last_updated_time', ascending: false }])).slice(0, 2),
      ).toEqual(['churn', '100x']);
      expect(await modelNames(fx.store, [], [{ key: 'name', ascending: false }])).toEqual(
        [...BY_NAME].reverse(),
      );
    });

    test('offset/limit pages walk the whole order once', async () => {
      const order: RegisteredModelOrderKey[] = [{ key: 'creation_time', ascending: true }];
      const pages: string[] = [];
      for (let offset = 0; offset < 9; offset += 3) {
        const page = await fx.store.searchRegisteredModels(modelQuery({ orderBy: order, offset, limit: 3 }));
        expect(page.length).toBeLessThanOrEqual(3);
        pages.push(...page.map((m) => m.name));
      }
      expect(pages).toEqual(await modelNames(fx.store, [], order));
    });

    test('results carry tags, aliases and latest versions', async () => {
      await createVersion(fx.store, 'fraud');
      await setAlias(fx.store, 'fraud', 'champion', '1');
      const [found] = await fx.store.searchRegisteredModels(modelQuery({ filter: [nameIs('=', 'fraud')] }));
      expect(found).toEqual(await fx.store.getRegisteredModel('fraud'));
      expect(found).toMatchObject({ tags: { team: 'risk' }, aliases: [{ alias: 'champion', version: '1' }] });
      expect(found?.latestVersions.map((v) => v.aliases)).toEqual([['champion']]);
    });
  });

  describe('searchModelVersions', () => {
    const fx = useFreshRegistry(factory);
    beforeEach(() => seedVersions(fx.store));

    const ALL = ['Fraud-EU/1', 'churn/2', 'churn/1', 'fraud/3', 'fraud/2', 'fraud/1'];

    test('default order is name ASC, then version DESC', async () => {
      expect(await versionIds(fx.store, [])).toEqual(ALL);
    });

    test('name, run_id and source clauses, LIKE case-sensitive and ILIKE not', async () => {
      const attr = (
        key: 'name' | 'run_id' | 'source',
        comparator: '=' | '!=' | 'LIKE' | 'ILIKE',
        value: string,
      ): ModelVersionFilterClause[] => [{ entity: 'attribute', key, comparator, value }];
      expect(await versionIds(fx.store, attr('name', '=', 'fraud'))).toEqual([
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, attr('name', 'LIKE', 'fraud%'))).toEqual([
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, attr('name', 'ILIKE', 'fraud%'))).toEqual([
        'Fraud-EU/1',
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, attr('run_id', '=', 'r1'))).toEqual(['churn/1', 'fraud/1']);
      expect(await versionIds(fx.store, attr('run_id', '!=', 'r1'))).toEqual([
        'Fraud-EU/1',
        'churn/2',
        'fraud/3',
        'fraud/2',
      ]);
      expect(await versionIds(fx.store, attr('source', 'LIKE', 's3://bucket/%'))).toEqual([
        'Fraud-EU/1',
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, attr('source', 'ILIKE', 'S3://BUCKET/%'))).toEqual([
        'Fraud-EU/1',
        'churn/2',
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, attr('source', 'LIKE', '%/fraud/_'))).toEqual([
        'fraud/3',
        'fraud/2',
        'fraud/1',
      ]);
    });

    test('IN / NOT IN over name, run_id and version', async () => {
      const set = (
        key: 'name' | 'run_id' | 'version',
        comparator: 'IN' | 'NOT IN',
        values: string[],
      ): ModelVersionFilterClause[] => [{ entity: 'attribute', key, comparator, values }];
      expect(await versionIds(fx.store, set('name', 'IN', ['churn', 'Fraud-EU', 'nope']))).toEqual([
        'Fraud-EU/1',
        'churn/2',
        'churn/1',
      ]);
      expect(await versionIds(fx.store, set('name', 'NOT IN', ['fraud']))).toEqual([
        'Fraud-EU/1',
        'churn/2',
        'churn/1',
      ]);
      expect(await versionIds(fx.store, set('run_id', 'IN', ['r2', 'r4']))).toEqual([
        'Fraud-EU/1',
        'churn/2',
        'fraud/2',
      ]);
      expect(await versionIds(fx.store, set('version', 'IN', ['3', '2', 'x', '99999999999']))).toEqual([
        'churn/2',
        'fraud/3',
        'fraud/2',
      ]);
      expect(await versionIds(fx.store, set('version', 'NOT IN', ['1', 'x']))).toEqual([
        'churn/2',
        'fraud/3',
        'fraud/2',
      ]);
      expect(await versionIds(fx.store, set('version', 'IN', ['x']))).toEqual([]);
      expect(await versionIds(fx.store, set('version', 'NOT IN', []))).toEqual(ALL);
    });

    test('numeric version comparisons, including fractional and huge operands', async () => {
      const version = (
        comparator: '=' | '!=' | '>' | '>=' | '<' | '<=',
        value: number,
      ): ModelVersionFilterClause => ({
        entity: 'attribute',
        key: 'version',
        comparator,
        value,
      });
      expect(await versionIds(fx.store, [version('=', 2)])).toEqual(['churn/2', 'fraud/2']);
      expect(await versionIds(fx.store, [version('!=', 1)])).toEqual(['churn/2', 'fraud/3', 'fraud/2']);
      expect(await versionIds(fx.store, [version('>', 1)])).toEqual(['churn/2', 'fraud/3', 'fraud/2']);
      expect(await versionIds(fx.store, [version('>=', 3)])).toEqual(['fraud/3']);
      expect(await versionIds(fx.store, [version('<', 1.5)])).toEqual(['Fraud-EU/1', 'churn/1', 'fraud/1']);
      expect(await versionIds(fx.store, [version('<=', 2), version('>', 1)])).toEqual(['churn/2', 'fraud/2']);
      expect(await versionIds(fx.store, [version('>', 1e12)])).toEqual([]);
      expect(await versionIds(fx.store, [version('<', 1e300)])).toEqual(ALL);
    });

    test('tag clauses only match versions that have the tag', async () => {
      const stage = (comparator: '=' | '!=' | 'LIKE' | 'ILIKE', value: string): ModelVersionFilterClause => ({
        entity: 'tag',
        key: 'stage',
        comparator,
        value,
      });
      expect(await versionIds(fx.store, [stage('=', 'prod')])).toEqual(['churn/2', 'fraud/1']);
      expect(await versionIds(fx.store, [stage('ILIKE', 'PROD')])).toEqual(['churn/2', 'fraud/2', 'fraud/1']);
      expect(await versionIds(fx.store, [stage('LIKE', 'P%')])).toEqual(['fraud/2']);
      expect(await versionIds(fx.store, [stage('!=', 'prod')])).toEqual(['fraud/3', 'fraud/2']);
      expect(
        await versionIds(fx.store, [
          stage('=', 'prod'),
          { entity: 'attribute', key: 'name', comparator: '=', value: 'fraud' },
        ]),
      ).toEqual(['fraud/1']);
    });

    test('orders by version, times and name, always ending with a unique tiebreak', async () => {
      expect(await versionIds(fx.store, [], [{ key: 'version', ascending: true }])).toEqual([
        'Fraud-EU/1',
        'churn/1',
        'fraud/1',
        'churn/2',
        'fraud/2',
        'fraud/3',
      ]);
      expect(await versionIds(fx.store, [], [{ key: 'creation_time', ascending: false }])).toEqual([
        'Fraud-EU/1',
        'fraud/3',
        'churn/2',
        'fraud/2',
        'churn/1',
        'fraud/1',
      ]);
      expect(await versionIds(fx.store, [], [{ key: 'name', ascending: false }])).toEqual([
        'fraud/3',
        'fraud/2',
        'fraud/1',
        'churn/2',
        'churn/1',
        'Fraud-EU/1',
      ]);
      await fx.store.updateModelVersion('churn', '1', { description: 'x' }, 9_000);
      await fx.store.updateModelVersion('fraud', '1', { description: 'x' }, 9_000);
      expect(
        (await versionIds(fx.store, [], [{ key: 'last_updated_time', ascending: false }])).slice(0, 2),
      ).toEqual(['churn/1', 'fraud/1']);
    });

    test('offset/limit pages walk the whole order once', async () => {
      const pages: string[] = [];
      for (let offset = 0; offset < 8; offset += 4) {
        const page = await fx.store.searchModelVersions(versionQuery({ offset, limit: 4 }));
        pages.push(...page.map((v) => `${v.name}/${v.version}`));
      }
      expect(pages).toEqual(ALL);
    });

    test('results carry tags and sorted aliases, as getModelVersion does', async () => {
      for (const alias of ['zeta', 'alpha', 'Mid']) await setAlias(fx.store, 'fraud', alias, '2');
      await setAlias(fx.store, 'churn', 'alpha', '2');
      const found = await fx.store.searchModelVersions(versionQuery());
      for (const version of found)
        expect(version).toEqual(await fx.store.getModelVersion(version.name, version.version));
      const fraud2 = found.find((v) => v.name === 'fraud' && v.version === '2');
      expect(fraud2).toMatchObject({ aliases: ['Mid', 'alpha', 'zeta'], tags: { stage: 'Prod' } });
      expect(found.find((v) => v.name === 'churn' && v.version === '2')?.aliases).toEqual(['alpha']);
      expect(found.find((v) => v.name === 'fraud' && v.version === '1')?.aliases).toEqual([]);
    });
  });
}
