/**
 * Focused tests of the PostgreSQL prediction store (partitions, join, paging, aggregates,
 * retention). Needs SLIPWAY_TEST_POSTGRES_URL; each test gets a fresh schema, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import type { LabelRecord, PredictionRecord } from '@slipway/contracts';
import { SlipwayError } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostgresPredictionStore } from '../../src/storage/predictions/postgres-prediction-store.js';
import { dropTestSchema, TEST_POSTGRES_URL, whileMigrationsAllowed } from './backends.js';
import { predictionStoreContract } from './prediction-store.contract.js';

const T0 = Date.UTC(2024, 4, 1, 10, 0, 0, 123);
const HOUR = 3_600_000;
const DAY = 86_400_000;

function prediction(i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    predictionId: `p${String(i).padStart(4, '0')}`,
    endpoint: 'churn',
    modelName: 'churn-model',
    modelVersion: '1',
    arm: 'live',
    protocol: 'slipway',
    timestamp: T0 + i * 1000,
    latencyMs: i + 0.5,
    requestId: `r${i}`,
    input: { x: i, nested: { a: [1, 'b', null] } },
    output: { score: i / 10, label: i % 2 === 0 ? 'yes' : 'no' },
    ...extra,
  };
}

function label(id: string, extra: Partial<LabelRecord>): LabelRecord {
  return { labelId: id, endpoint: 'churn', value: 1, receivedAt: T0 + HOUR, ...extra };
}

async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  expect((error as SlipwayError).code).toBe('INVALID_ARGUMENT');
  expect((error as SlipwayError).details.field).toBe(field);
}

if (!TEST_POSTGRES_URL) {
  describe.skip('PostgresPredictionStore (skipped: set SLIPWAY_TEST_POSTGRES_URL to run)', () => {
    it('needs PostgreSQL', () => undefined);
  });
} else {
  const url = TEST_POSTGRES_URL;
  describe('PostgresPredictionStore', () => {
    let schema: string;
    let store: PostgresPredictionStore;
    const open = () =>
      whileMigrationsAllowed(url, () => PostgresPredictionStore.open({ connectionString: url, schema }));

    beforeEach(async () => {
      schema = `slipway_test_${randomBytes(6).toString('hex')}`;
      store = await open();
    });

    afterEach(async () => {
      await store.close();
      await dropTestSchema(url, schema);
    });

    it('round-trips every field, optional fields absent, newest first', async () => {
      const full = prediction(1, {
        shadowOf: 'p0000',
        entityId: 'user-1',
        tags: { region: 'eu', tier: 'gold' },
        apiVersion: 'v2',
        jobId: 'job-7',
        arm: 'shadow',
        protocol: 'oip-v2',
      });
      const bare = prediction(0);
      await store.write([bare, full]);
      const page = await store.queryPredictions({ endpoint: 'churn', limit: 10 });
      expect(page.predictions).toEqual([full, bare]);
      expect(Object.keys(page.predictions[1]!)).not.toContain('shadowOf');
      expect(Object.keys(page.predictions[1]!)).not.toContain('label');
      expect(page.nextCursor).toBeUndefined();
    });

    it('creates daily partitions on demand, also from concurrent writers', async () => {
      const other = await open();
      try {
        const days = [0, 1, 2, 3].map((d) => prediction(d, { timestamp: T0 + d * DAY }));
        await Promise.all([
          store.write(days),
          other.write(days.map((p) => ({ ...p, predictionId: `o${p.predictionId}` }))),
        ]);
        const page = await store.queryPredictions({ endpoint: 'churn', limit: 100 });
        expect(page.predictions).toHaveLength(8);
      } finally {
        await other.close();
      }
    });

    it('writes large batches in one statement', async () => {
      const records = Array.from({ length: 5000 }, (_, i) => prediction(i));
      await store.write(records);
      const all: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.queryPredictions({
          endpoint: 'churn',
          limit: 1000,
          ...(cursor ? { cursor } : {}),
        });
        all.push(...page.predictions.map((p) => p.predictionId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(all).toHaveLength(5000);
      expect(all[0]).toBe('p4999');
      expect(new Set(all).size).toBe(5000);
    });

    it('pages with ties on timestamp by prediction id', async () => {
      await store.write([0, 1, 2, 3, 4].map((i) => prediction(i, { timestamp: T0 })));
      const first = await store.queryPredictions({ endpoint: 'churn', limit: 2 });
      expect(first.predictions.map((p) => p.predictionId)).toEqual(['p0004', 'p0003']);
      const second = await store.queryPredictions({ endpoint: 'churn', limit: 2, cursor: first.nextCursor! });
      expect(second.predictions.map((p) => p.predictionId)).toEqual(['p0002', 'p0001']);
      const third = await store.queryPredictions({ endpoint: 'churn', limit: 2, cursor: second.nextCursor! });
      expect(third.predictions.map((p) => p.predictionId)).toEqual(['p0000']);
      expect(third.nextCursor).toBeUndefined();
    });

    it('rejects bad limits and cursors', async () => {
      await expectInvalid(store.queryPredictions({ endpoint: 'churn', limit: 0 }), 'limit');
      await expectInvalid(store.queryPredictions({ endpoint: 'churn', limit: 1001 }), 'limit');
      await expectInvalid(store.queryPredictions({ endpoint: 'churn', limit: 1.5 }), 'limit');
      await expectInvalid(store.queryPredictions({ endpoint: 'churn', limit: 5, cursor: 'nope!' }), 'cursor');
      await expectInvalid(store.queryPredictions({ endpoint: 'churn', limit: 5, cursor: 'e30' }), 'cursor');
      await expectInvalid(store.unmatchedLabels({ endpoint: 'churn', limit: 5, cursor: 'W10' }), 'cursor');
    });

    it('filters by time, version, arm, entity, tag and labelled', async () => {
      await store.write([
        prediction(0, { modelVersion: '2', tags: { region: 'eu' } }),
        prediction(1, { arm: 'canary', entityId: 'e1' }),
        prediction(2, { tags: { region: 'us' } }),
      ]);
      await store.writeLabels([label('l1', { predictionId: 'p0002' })]);
      const ids = async (f: object) =>
        (await store.queryPredictions({ endpoint: 'churn', limit: 10, ...f })).predictions.map(
          (p) => p.predictionId,
        );
      expect(await ids({ from: T0 + 1000 })).toEqual(['p0002', 'p0001']);
      expect(await ids({ to: T0 + 1000 })).toEqual(['p0000']);
      expect(await ids({ modelVersion: '2' })).toEqual(['p0000']);
      expect(await ids({ arm: 'canary' })).toEqual(['p0001']);
      expect(await ids({ entityId: 'e1' })).toEqual(['p0001']);
      expect(await ids({ tag: { key: 'region', value: 'us' } })).toEqual(['p0002']);
      expect(await ids({ tag: { key: "re'gion", value: 'us' } })).toEqual([]);
      expect(await ids({ labelled: true })).toEqual(['p0002']);
      expect(await ids({ labelled: false })).toEqual(['p0001', 'p0000']);
      expect(await ids({ endpoint: 'other' })).toEqual([]);
    });

    it('joins labels by id, shadow, entity window; latest wins; ties by label id', async () => {
      await store.write([
        prediction(0),
        prediction(1, { arm: 'shadow', shadowOf: 'p0000' }),
        prediction(2, { entityId: 'u1' }),
        prediction(3, { entityId: 'u1', timestamp: T0 + 10 * HOUR }),
      ]);
      const result = await store.writeLabels([
        label('a', { predictionId: 'p0000', value: 'old', receivedAt: T0 + HOUR }),
        label('b', { predictionId: 'p0000', value: 'new', receivedAt: T0 + 2 * HOUR }),
        label('x', { entityId: 'u1', to: T0 + HOUR, value: true, receivedAt: T0 + 3 * HOUR }),
        label('y', { entityId: 'u1', from: T0 + HOUR, value: 7.5, receivedAt: T0 + 3 * HOUR }),
        label('z', { entityId: 'u1', from: T0 + 5 * HOUR, value: '1', receivedAt: T0 + 3 * HOUR }),
        label('w', { entityId: 'u2', value: 1 }),
        label('v', { predictionId: 'missing', value: 1 }),
      ]);
      expect(result).toEqual({ stored: 7, matched: 5, unmatched: 2 });
      const page = await store.queryPredictions({ endpoint: 'churn', limit: 10 });
      const byId = new Map(page.predictions.map((p) => [p.predictionId, p.label]));
      expect(byId.get('p0000')).toEqual({
        value: 'new',
        receivedAt: T0 + 2 * HOUR,
        delayMs: 2 * HOUR,
        labelId: 'b',
      });
      expect(byId.get('p0001')?.labelId).toBe('b');
      // A later label naming the shadow's own id wins for the shadow only.
      expect(
        await store.writeLabels([label('s', { predictionId: 'p0001', receivedAt: T0 + 4 * HOUR })]),
      ).toEqual({
        stored: 1,
        matched: 1,
        unmatched: 0,
      });
      const again = await store.queryPredictions({ endpoint: 'churn', limit: 10 });
      const labelIds = new Map(again.predictions.map((p) => [p.predictionId, p.label?.labelId]));
      expect([labelIds.get('p0000'), labelIds.get('p0001')]).toEqual(['b', 's']);
      expect(byId.get('p0002')).toEqual({
        value: true,
        receivedAt: T0 + 3 * HOUR,
        delayMs: 3 * HOUR - 2000,
        labelId: 'x',
      });
      // y and z both match p0003 with equal receivedAt: the greater label id wins.
      expect(byId.get('p0003')).toEqual({
        value: '1',
        receivedAt: T0 + 3 * HOUR,
        delayMs: -7 * HOUR,
        labelId: 'z',
      });
    });

    it('lists unmatched labels, pages them, and they match later', async () => {
      await store.writeLabels([
        label('a', { predictionId: 'p0000', receivedAt: T0 + 1 }),
        label('b', { predictionId: 'p0001', receivedAt: T0 + 2, source: 'api' }),
        label('c', { entityId: 'e', from: T0, to: T0 + 5, receivedAt: T0 + 3, value: false }),
        label('d', { endpoint: 'other', predictionId: 'p0000' }),
      ]);
      const first = await store.unmatchedLabels({ endpoint: 'churn', limit: 2 });
      expect(first.total).toBe(3);
      expect(first.labels).toEqual([
        {
          labelId: 'c',
          endpoint: 'churn',
          entityId: 'e',
          from: T0,
          to: T0 + 5,
          receivedAt: T0 + 3,
          value: false,
        },
        {
          labelId: 'b',
          endpoint: 'churn',
          predictionId: 'p0001',
          receivedAt: T0 + 2,
          value: 1,
          source: 'api',
        },
      ]);
      const second = await store.unmatchedLabels({ endpoint: 'churn', limit: 2, cursor: first.nextCursor! });
      expect(second.labels.map((l) => l.labelId)).toEqual(['a']);
      expect(second.nextCursor).toBeUndefined();
      await store.write([prediction(0)]);
      const after = await store.unmatchedLabels({ endpoint: 'churn', limit: 10 });
      expect(after.total).toBe(2);
      expect(after.labels.map((l) => l.labelId)).toEqual(['c', 'b']);
    });

    it('keeps label value types', async () => {
      await store.write([0, 1, 2].map((i) => prediction(i)));
      await store.writeLabels([
        label('a', { predictionId: 'p0000', value: 1 }),
        label('b', { predictionId: 'p0001', value: '1' }),
        label('c', { predictionId: 'p0002', value: true }),
      ]);
      const page = await store.queryPredictions({ endpoint: 'churn', limit: 10 });
      expect(page.predictions.map((p) => p.label?.value)).toEqual([true, '1', 1]);
    });

    it('validates labels and stores none of an invalid batch', async () => {
      const good = label('ok', { predictionId: 'p' });
      const cases: [LabelRecord, string][] = [
        [label('x', {}), 'labels[1].predictionId'],
        [label('x', { predictionId: 'p', entityId: 'e' }), 'labels[1].entityId'],
        [label('x', { entityId: 'e', from: 5, to: 5 }), 'labels[1].to'],
        [label('x', { predictionId: 'p', receivedAt: Number.NaN }), 'labels[1].receivedAt'],
        [label('x', { predictionId: 'p', value: Number.POSITIVE_INFINITY }), 'labels[1].value'],
        [label('x', { predictionId: 'p', value: null as unknown as number }), 'labels[1].value'],
        [label('x', { predictionId: 'p', value: { a: 1 } as unknown as number }), 'labels[1].value'],
      ];
      for (const [bad, field] of cases) await expectInvalid(store.writeLabels([good, bad]), field);
      expect((await store.unmatchedLabels({ endpoint: 'churn', limit: 10 })).total).toBe(0);
    });

    it('rejects a duplicate label id atomically', async () => {
      await store.writeLabels([label('a', { predictionId: 'p' })]);
      await expect(
        store.writeLabels([label('b', { predictionId: 'p' }), label('a', { predictionId: 'p' })]),
      ).rejects.toMatchObject({
        code: 'ALREADY_EXISTS',
      });
      expect((await store.unmatchedLabels({ endpoint: 'churn', limit: 10 })).total).toBe(1);
    });

    it('aggregates buckets with latency quantiles, label delay and realized metrics', async () => {
      const records = [
        prediction(0, { latencyMs: 10, output: { score: 0.2, cls: 'a' } }),
        prediction(1, { latencyMs: 20, output: { score: 0.4, cls: 'b' }, modelVersion: '2' }),
        prediction(2, { latencyMs: 30, output: { score: 0.9, cls: 'a' } }),
        prediction(3, { latencyMs: 40, output: { score: 1, cls: 'a' }, timestamp: T0 + 2 * HOUR }),
      ];
      await store.write(records);
      await store.writeLabels([
        label('l0', { predictionId: 'p0000', value: 0, receivedAt: T0 + 1000 }),
        label('l2', { predictionId: 'p0002', value: 1, receivedAt: T0 + 5000 }),
        label('c0', { predictionId: 'p0003', value: 'a', receivedAt: T0 + 3 * HOUR }),
      ]);
      const from = T0 - (T0 % HOUR);
      const base = { endpoint: 'churn', from, to: from + 3 * HOUR, bucketMs: HOUR };
      const buckets = await store.aggregate({ ...base, predictionField: 'score' });
      expect(buckets).toHaveLength(2);
      const [b0, b1] = buckets;
      expect(b0).toMatchObject({ start: from, count: 3, latencyP50: 20, labelled: 2, labelDelayP50: 2000 });
      expect(b0!.latencyP95).toBeCloseTo(29);
      expect(b0!.latencyP99).toBeCloseTo(29.8);
      expect(b0!.predictionMean).toBeCloseTo(0.5);
      expect(b0!.mae).toBeCloseTo((0.2 + 0.1) / 2);
      // Numbers count as right when equal to their label (0.2 vs 0, 0.9 vs 1: neither).
      expect(b0!.accuracy).toBe(0);
      expect(b1).toMatchObject({ start: from + 2 * HOUR, count: 1, labelled: 1 });
      expect(b1!.mae).toBeUndefined();
      expect(Object.keys(b0!)).not.toContain('modelVersion');

      const cls = await store.aggregate({ ...base, predictionField: 'cls' });
      expect(cls[0]!.accuracy).toBe(0);
      expect(cls[0]!.predictionMean).toBeUndefined();
      expect(cls[1]!.accuracy).toBe(1);

      const grouped = await store.aggregate({ ...base, groupBy: ['modelVersion', 'arm'] });
      expect(grouped.map((b) => [b.start, b.modelVersion, b.arm, b.count])).toEqual([
        [from, '1', 'live', 2],
        [from, '2', 'live', 1],
        [from + 2 * HOUR, '1', 'live', 1],
      ]);
      expect(grouped[1]).not.toHaveProperty('labelDelayP50');
      expect(await store.aggregate({ ...base, from: from + HOUR, to: from + 2 * HOUR })).toEqual([]);
    });

    it('deletes before a time: whole partitions and the boundary one, and old labels', async () => {
      const day0 = T0 - (T0 % DAY);
      await store.write([
        prediction(0, { timestamp: day0 + 1 }),
        prediction(1, { timestamp: day0 + DAY + 1 }),
        prediction(2, { timestamp: day0 + 2 * DAY + 1 }),
        prediction(3, { timestamp: day0 + 2 * DAY + HOUR }),
      ]);
      await store.writeLabels([
        label('old', { predictionId: 'p0000', receivedAt: day0 }),
        label('new', { predictionId: 'p0003', receivedAt: day0 + 3 * DAY }),
      ]);
      expect(await store.deleteBefore(day0 + 2 * DAY + 2)).toBe(3);
      const page = await store.queryPredictions({ endpoint: 'churn', limit: 10 });
      expect(page.predictions.map((p) => p.predictionId)).toEqual(['p0003']);
      expect(page.predictions[0]!.label?.labelId).toBe('new');
      // Writing into a dropped day recreates its partition (here and from another store).
      const other = await open();
      try {
        await other.write([prediction(5, { timestamp: day0 + 5 })]);
        await store.write([prediction(6, { timestamp: day0 + 6 })]);
        await store.deleteBefore(day0 + DAY);
        await other.write([prediction(7, { timestamp: day0 + 7 })]);
      } finally {
        await other.close();
      }
      expect((await store.queryPredictions({ endpoint: 'churn', limit: 10 })).predictions).toHaveLength(2);
    });

    it('reopens an existing schema and quotes odd schema names', async () => {
      await store.write([prediction(0)]);
      const again = await open();
      expect((await again.queryPredictions({ endpoint: 'churn', limit: 10 })).predictions).toHaveLength(1);
      await again.close();
      const odd = `${schema}_Odd"Name`;
      const weird = await PostgresPredictionStore.open({ connectionString: url, schema: odd });
      try {
        await weird.write([prediction(1)]);
        expect((await weird.queryPredictions({ endpoint: 'churn', limit: 10 })).predictions).toHaveLength(1);
      } finally {
        await weird.close();
        const { default: pg } = await import('pg');
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA "${odd.replace(/"/g, '""')}" CASCADE`);
        await client.end();
      }
    });
  });

  // The shared contract, each store in a fresh schema dropped when the suite closes it.
  predictionStoreContract(
    'PostgresPredictionStore',
    async () => {
      const schema = `slipway_test_${randomBytes(6).toString('hex')}`;
      const store = await whileMigrationsAllowed(url, () =>
        PostgresPredictionStore.open({ connectionString: url, schema }),
      );
      const close = store.close.bind(store);
      store.close = async () => {
        await close();
        await dropTestSchema(url, schema);
      };
      return store;
    },
    { timeoutMs: 20_000 },
  );
}
