/**
 * The evaluation store contract: every EvaluationStore implementation must pass it. Each test gets a
 * fresh database; stores are opened over bare migrated backends of it.
 */
import type { Evaluation, EvaluationModel } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { EvaluationStore } from '../../src/evaluation/evaluation-store.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlEvaluationStore } from '../../src/storage/sql/sql-evaluation-store.js';
import type { TestBackend, TestDatabase } from './backends.js';
import { expectError } from './contract/harness.js';

/** A model entry of an evaluation: `name/version`, candidate unless told. */
export function evaluatedModel(
  name: string,
  version: string,
  role: EvaluationModel['role'] = 'candidate',
): EvaluationModel {
  return { id: `${name}/${version}`, name, version, role };
}

/**
 * A complete binary evaluation with defaults: candidate m/2 against baseline m/1, created at 1000,
 * with a report that has nulls and nested objects (slices, bootstrap) so round trips are checked
 * in depth.
 */
export function evaluation(id: string, overrides: Partial<Evaluation> = {}): Evaluation {
  const models = overrides.models ?? [evaluatedModel('m', '2'), evaluatedModel('m', '1', 'baseline')];
  return {
    id,
    createdAt: 1_000,
    createdBy: 'alice',
    settings: { task: 'binary', labelColumn: 'y', positiveLabel: 1, slices: [{ column: 'country' }] },
    dataset: { uri: 'runs:/abc/data.csv', format: 'csv', rows: 3, digest: 'sha256:00ff' },
    models,
    report: {
      task: 'binary',
      rows: 3,
      labelColumn: 'y',
      classes: [0, 1],
      positiveLabel: 1,
      minSliceRows: 1,
      models: models.map((m) => ({
        id: m.id,
        role: m.role,
        hasProbabilities: true,
        hasScores: false,
        metrics: { accuracy: 0.5, roc_auc: null },
      })),
      slices: [
        {
          column: 'country',
          slices: [
            {
              label: 'FR',
              value: 'FR',
              rows: 2,
              small: false,
              models: Object.fromEntries(models.map((m) => [m.id, { accuracy: 1, roc_auc: null }])),
            },
            {
              label: '(missing)',
              value: null,
              range: { lower: null, upper: 10 },
              rows: 1,
              small: true,
              models: {},
            },
          ],
        },
      ],
      bootstrap: {
        headline: 'accuracy',
        resamples: 100,
        seed: 7,
        confidence: 0.95,
        models: {
          'm/2': { estimate: 0.5, lower: 0.1, upper: 0.9, confidence: 0.95, resamples: 99, droppedNaN: 1 },
        },
        differences: [],
      },
    },
    ...overrides,
  };
}

/** A gated promotion attempt: an evaluation with gate, verdict and promotion outcome. */
export function promotion(id: string, overrides: Partial<Evaluation> = {}): Evaluation {
  return evaluation(id, {
    gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0 } },
    verdict: {
      passed: false,
      metric: 'accuracy',
      direction: 'higher',
      candidate: { id: 'm/2', value: 0.5 },
      baseline: { id: 'm/1', value: null },
      difference: null,
      required: null,
      threshold: null,
      margin: { kind: 'absolute', value: 0 },
      sliceChecks: [
        {
          column: 'country',
          slice: 'FR',
          rows: 2,
          candidate: 1,
          baseline: null,
          degradation: null,
          checked: false,
          passed: true,
        },
      ],
      differenceCi: null,
      reasons: ['baseline metric undefined'],
    },
    promotion: { alias: 'champion', version: '2', outcome: 'refused' },
    runId: 'run-1',
    ...overrides,
  });
}

function ids(list: Evaluation[]): string[] {
  return list.map((e) => e.id);
}

interface StoreFixture {
  readonly store: EvaluationStore;
  /** Closes every backend and opens a new store on the same database. */
  reopen(): Promise<EvaluationStore>;
}

function useFreshStore(backend: TestBackend): StoreFixture {
  let database: TestDatabase | undefined;
  let backends: SqlBackend[] = [];
  let store: EvaluationStore | undefined;
  const open = async (): Promise<EvaluationStore> => {
    if (database === undefined) throw new Error('No database: use the fixture inside a test.');
    const opened = await database.openBackend();
    backends.push(opened);
    return new SqlEvaluationStore(opened);
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
    get store(): EvaluationStore {
      if (store === undefined) throw new Error('No store: use the fixture inside a test.');
      return store;
    },
    async reopen(): Promise<EvaluationStore> {
      await closeAll();
      store = await open();
      return store;
    },
  };
}

/** Registers the whole evaluation store contract for `backend`. */
export function evaluationStoreContract(backend: TestBackend): void {
  describe(`EvaluationStore contract (${backend.name})`, () => {
    const fx = useFreshStore(backend);
    saveAndGet(fx);
    listing(fx);
  });
}

function saveAndGet(fx: StoreFixture): void {
  describe('save and get', () => {
    test('round-trips the whole evaluation, nulls and nested objects included, across a reopen', async () => {
      const plain = evaluation('e1', { createdAt: 1_700_000_000_123 });
      const gated = promotion('e2');
      await fx.store.saveEvaluation(plain);
      await fx.store.saveEvaluation(gated);
      expect(await fx.store.getEvaluation('e1')).toStrictEqual(plain);
      expect(await fx.store.getEvaluation('e2')).toStrictEqual(gated);

      const reopened = await fx.reopen();
      const read = await reopened.getEvaluation('e2');
      expect(read).toStrictEqual(gated);
      expect(read?.report.slices[0]?.slices[1]?.value).toBeNull();
      expect(read?.verdict?.baseline.value).toBeNull();
      expect(read).not.toHaveProperty('nope');
      expect(await reopened.getEvaluation('e1')).not.toHaveProperty('promotion');
    });

    test('an unknown id is undefined', async () => {
      expect(await fx.store.getEvaluation('missing')).toBeUndefined();
      await fx.store.saveEvaluation(evaluation('e1'));
      expect(await fx.store.getEvaluation('E1')).toBeUndefined();
    });

    test('a reused id is ALREADY_EXISTS and changes nothing', async () => {
      const first = evaluation('e1', { models: [evaluatedModel('a', '1')] });
      await fx.store.saveEvaluation(first);
      await expectError(
        fx.store.saveEvaluation(
          promotion('e1', { createdAt: 9_000, createdBy: 'bob', models: [evaluatedModel('b', '1')] }),
        ),
        'ALREADY_EXISTS',
        'id',
      );
      expect(await fx.store.getEvaluation('e1')).toStrictEqual(first);
      // Neither the record nor the model index of the refused save got in.
      expect(await fx.store.listEvaluations({ model: 'b', limit: 10 })).toEqual([]);
      expect(await fx.store.listEvaluations({ promotions: true, limit: 10 })).toEqual([]);
      expect(ids(await fx.store.listEvaluations({ limit: 10 }))).toEqual(['e1']);
      expect(ids(await fx.store.listEvaluations({ model: 'a', limit: 10 }))).toEqual(['e1']);
    });

    test('a refused save does not disturb saves in the same batch', async () => {
      await fx.store.saveEvaluation(evaluation('dup'));
      const results = await Promise.allSettled([
        fx.store.saveEvaluation(evaluation('x1', { createdAt: 2_000 })),
        fx.store.saveEvaluation(evaluation('dup', { createdAt: 3_000 })),
        fx.store.saveEvaluation(evaluation('x2', { createdAt: 4_000 })),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(ids(await fx.store.listEvaluations({ limit: 10 }))).toEqual(['x2', 'x1', 'dup']);
    });

    test('concurrent saves are all stored', async () => {
      const saved = Array.from({ length: 20 }, (_, i) =>
        evaluation(`c${String(i).padStart(2, '0')}`, {
          createdAt: 1_000 + i,
          models: [evaluatedModel('m', String(i)), evaluatedModel('m', '0', 'baseline')],
        }),
      );
      await Promise.all(saved.map((e) => fx.store.saveEvaluation(e)));
      const listed = await fx.store.listEvaluations({ limit: 100 });
      expect(ids(listed)).toEqual(ids(saved).reverse());
      expect(ids(await fx.store.listEvaluations({ model: 'm', limit: 100 }))).toHaveLength(20);
      expect(ids(await fx.store.listEvaluations({ model: 'm', version: '7', limit: 100 }))).toEqual(['c07']);
      for (const e of saved) expect(await fx.store.getEvaluation(e.id)).toStrictEqual(e);
    });
  });
}

function listing(fx: StoreFixture): void {
  describe('list', () => {
    /** fraud/1 vs fraud/2 (old), churn/1 alone, a promotion of fraud/3 over fraud/2 (newest). */
    async function seed(store: EvaluationStore): Promise<void> {
      await store.saveEvaluation(
        evaluation('old', {
          createdAt: 1_000,
          models: [evaluatedModel('fraud', '2'), evaluatedModel('fraud', '1', 'baseline')],
        }),
      );
      await store.saveEvaluation(
        evaluation('churn', { createdAt: 2_000, models: [evaluatedModel('churn', '1')] }),
      );
      await store.saveEvaluation(
        promotion('promo', {
          createdAt: 3_000,
          models: [evaluatedModel('fraud', '3'), evaluatedModel('fraud', '2', 'baseline')],
        }),
      );
    }

    test('without filters: every evaluation, newest first', async () => {
      expect(await fx.store.listEvaluations({ limit: 10 })).toEqual([]);
      await seed(fx.store);
      expect(ids(await fx.store.listEvaluations({ limit: 10 }))).toEqual(['promo', 'churn', 'old']);
    });

    test('by model: each matching evaluation once, even when it scored two versions', async () => {
      await seed(fx.store);
      const fraud = await fx.store.listEvaluations({ model: 'fraud', limit: 10 });
      expect(ids(fraud)).toEqual(['promo', 'old']);
      expect(fraud[1]).toStrictEqual(await fx.store.getEvaluation('old'));
      expect(ids(await fx.store.listEvaluations({ model: 'churn', limit: 10 }))).toEqual(['churn']);
      expect(await fx.store.listEvaluations({ model: 'nobody', limit: 10 })).toEqual([]);
      // Exact match: neither a prefix nor another case.
      expect(await fx.store.listEvaluations({ model: 'fra', limit: 10 })).toEqual([]);
      expect(await fx.store.listEvaluations({ model: 'Fraud', limit: 10 })).toEqual([]);
    });

    test('by model and version, in any role', async () => {
      await seed(fx.store);
      const byVersion = async (version: string): Promise<string[]> =>
        ids(await fx.store.listEvaluations({ model: 'fraud', version, limit: 10 }));
      expect(await byVersion('1')).toEqual(['old']);
      expect(await byVersion('2')).toEqual(['promo', 'old']);
      expect(await byVersion('3')).toEqual(['promo']);
      expect(await byVersion('4')).toEqual([]);
      // churn has a version 1, but fraud/1 is only in "old".
      expect(ids(await fx.store.listEvaluations({ model: 'churn', version: '2', limit: 10 }))).toEqual([]);
    });

    test('promotions only', async () => {
      await seed(fx.store);
      await fx.store.saveEvaluation(
        promotion('promo-churn', { createdAt: 500, models: [evaluatedModel('churn', '1')] }),
      );
      expect(ids(await fx.store.listEvaluations({ promotions: true, limit: 10 }))).toEqual([
        'promo',
        'promo-churn',
      ]);
      expect(ids(await fx.store.listEvaluations({ promotions: false, limit: 10 }))).toHaveLength(4);
      expect(ids(await fx.store.listEvaluations({ promotions: true, model: 'churn', limit: 10 }))).toEqual([
        'promo-churn',
      ]);
      expect(
        ids(await fx.store.listEvaluations({ promotions: true, model: 'fraud', version: '1', limit: 10 })),
      ).toEqual([]);
    });

    test('newest created first; equal times list the later saved first', async () => {
      await fx.store.saveEvaluation(evaluation('a', { createdAt: 5_000 }));
      await fx.store.saveEvaluation(evaluation('b', { createdAt: 5_000 }));
      await fx.store.saveEvaluation(evaluation('early', { createdAt: 10 }));
      await fx.store.saveEvaluation(evaluation('c', { createdAt: 5_000 }));
      // Saved after, but created before: creation time decides, not save order.
      await fx.store.saveEvaluation(evaluation('late', { createdAt: 1_700_000_000_000 }));
      expect(ids(await fx.store.listEvaluations({ limit: 10 }))).toEqual(['late', 'c', 'b', 'a', 'early']);
      expect(ids(await fx.store.listEvaluations({ model: 'm', limit: 10 }))).toEqual([
        'late',
        'c',
        'b',
        'a',
        'early',
      ]);
    });

    test('limit keeps the newest', async () => {
      await seed(fx.store);
      expect(ids(await fx.store.listEvaluations({ limit: 1 }))).toEqual(['promo']);
      expect(ids(await fx.store.listEvaluations({ limit: 2 }))).toEqual(['promo', 'churn']);
      expect(ids(await fx.store.listEvaluations({ model: 'fraud', limit: 1 }))).toEqual(['promo']);
      expect(ids(await fx.store.listEvaluations({ model: 'fraud', version: '2', limit: 1 }))).toEqual([
        'promo',
      ]);
    });
  });
}
