/**
 * The prediction store contract: every `PredictionStore` (embedded DuckDB, PostgreSQL) must pass
 * it. It pins the join rule of prediction-store.ts (a label matches by prediction id, by the live
 * id a shadow record shadows, or by entity id within its window `[from, to)`; among the matching
 * labels of the endpoint the one received last wins, ties to the greater `labelId`), paging,
 * filters, label validation, the unmatched set, time-bucket aggregates and retention. Each test
 * opens a fresh, empty store and closes it at the end; endpoints are still named per test.
 * Cursors are opaque: only their presence, and that they lead to the next page, is asserted.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import {
  EXPORT_COLUMNS,
  EXPORT_FORMATS,
  SlipwayError,
  type ExportFormat,
  type AggregateBucket,
  type JoinedLabel,
  type LabelRecord,
  type LabelValue,
  type LoggedPrediction,
  type PredictionFilter,
  type PredictionRecord,
} from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import type { PredictionStore } from '../../src/predictions/prediction-store.js';

/** Timestamp of prediction 0 (ms); `at(i)` is `i` minutes later. 200 s into a 10-minute bucket. */
export const T0 = 1_700_000_000_000;
export const MINUTE = 60_000;
const DAY = 86_400_000;
/** A 10-minute bucket: T0 lies 200,000 ms after the start of one, so alignment is visible. */
const TEN_MINUTES = 600_000;

/** The timestamp of prediction `i`: T0 + i minutes. */
export function at(i: number): number {
  return T0 + i * MINUTE;
}

/** The id of prediction `i`, zero-padded so string order is numeric order (`p-0007`). */
export function pid(i: number): string {
  return `p-${String(i).padStart(4, '0')}`;
}

/** A prediction record numbered `i` (non-negative), at `at(i)`, with `overrides`; no optional fields. */
export function prediction(i: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    predictionId: pid(i),
    endpoint: 'fraud',
    modelName: 'fraud-model',
    modelVersion: '1',
    arm: 'live',
    protocol: 'slipway',
    timestamp: at(i),
    latencyMs: 10 + i,
    requestId: `r-${i}`,
    input: { amount: 10 * i, country: 'de' },
    output: { score: i / 10 },
    ...overrides,
  };
}

/** What a label names: one prediction, or an entity within an optional window `[from, to)`. */
export type LabelTarget = { predictionId: string } | { entityId: string; from?: number; to?: number };

/** Label `n` (`l-000n`) of endpoint `fraud` for `target`: value 1, received T0 + 1 day + n s. */
export function label(n: number, target: LabelTarget, overrides: Partial<LabelRecord> = {}): LabelRecord {
  return {
    labelId: `l-${String(n).padStart(4, '0')}`,
    endpoint: 'fraud',
    ...target,
    value: 1,
    receivedAt: T0 + DAY + n * 1000,
    ...overrides,
  };
}

/**
 * The `p`-quantile of `values` by linear interpolation between closest ranks. This is the
 * definition numpy.quantile(method='linear') (numpy's default), SQL percentile_cont and DuckDB
 * quantile_cont use: sort ascending into x[0..n-1], h = (n - 1) * p, and take
 * x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]).
 */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('quantile of nothing');
  const x = [...values].sort((a, b) => a - b);
  const h = (x.length - 1) * p;
  const lo = Math.floor(h);
  const below = x[lo]!;
  const above = x[Math.min(lo + 1, x.length - 1)]!;
  return below + (h - lo) * (above - below);
}

/** The start of the bucket of width `bucketMs` holding `ts`: a multiple of it since the epoch. */
function bucketStart(ts: number, bucketMs: number): number {
  return Math.floor(ts / bucketMs) * bucketMs;
}

/**
 * The aggregate row expected over `latencies` (one per served prediction) and `errors` failed
 * requests, with `extra` fields.
 */
function bucket(
  start: number,
  latencies: number[],
  extra: Partial<AggregateBucket> = {},
  errors = 0,
): AggregateBucket {
  return {
    start,
    count: latencies.length,
    errors,
    errorRate: errors / (errors + latencies.length),
    ...(latencies.length === 0
      ? {}
      : {
          latencyP50: quantile(latencies, 0.5),
          latencyP95: quantile(latencies, 0.95),
          latencyP99: quantile(latencies, 0.99),
        }),
    labelled: 0,
    ...extra,
  };
}

/** The prediction-field quantiles a bucket reports over numeric `values`. */
function spread(values: number[]): Partial<AggregateBucket> {
  return {
    predictionP05: quantile(values, 0.05),
    predictionP50: quantile(values, 0.5),
    predictionP95: quantile(values, 0.95),
  };
}

/** A failed request's record numbered `i`: first row as input, `{}` as output, and its error. */
function failure(i: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return prediction(i, {
    output: {},
    latencyMs: 5_000,
    error: { code: 'INVALID_ARGUMENT', message: `rows[0].amount must be a number (${i})` },
    ...overrides,
  });
}

/** Fields of a bucket computed in floating point, compared to 9 digits. */
const FLOAT_FIELDS = new Set([
  'errorRate',
  'predictionP05',
  'predictionP50',
  'predictionP95',
  'latencyP50',
  'latencyP95',
  'latencyP99',
  'labelDelayP50',
  'predictionMean',
  'accuracy',
  'mae',
]);

/** Asserts the rows, in order, have exactly the expected keys; floats to 9 digits, the rest exact. */
function expectBuckets(actual: AggregateBucket[], expected: AggregateBucket[]): void {
  expect(actual.map((row) => [row.start, row.modelVersion, row.arm])).toEqual(
    expected.map((row) => [row.start, row.modelVersion, row.arm]),
  );
  expected.forEach((want, i) => {
    const got = actual[i] as unknown as Record<string, unknown>;
    expect(Object.keys(got).sort(), `row ${i} keys`).toEqual(Object.keys(want).sort());
    for (const [key, value] of Object.entries(want)) {
      if (FLOAT_FIELDS.has(key)) expect(got[key], `row ${i} ${key}`).toBeCloseTo(value as number, 9);
      else expect(got[key], `row ${i} ${key}`).toEqual(value);
    }
  });
}

/** `record` as the log returns it when `winner` is its label. */
function joined(record: PredictionRecord, winner: LabelRecord): LoggedPrediction {
  return {
    ...record,
    label: {
      value: winner.value,
      receivedAt: winner.receivedAt,
      delayMs: winner.receivedAt - record.timestamp,
      labelId: winner.labelId,
    },
  };
}

/** Asserts `actual` equals `expected` with the same keys (optional fields absent, not undefined). */
function expectSameKeys<T extends object>(actual: T | undefined, expected: T): void {
  expect(actual).toEqual(expected);
  expect(Object.keys(actual!).sort()).toEqual(Object.keys(expected).sort());
}

/** Asserts the logged predictions equal `expected`, in order, key for key (the label's too). */
function expectLogged(actual: LoggedPrediction[], expected: LoggedPrediction[]): void {
  expect(actual.map((p) => p.predictionId)).toEqual(expected.map((p) => p.predictionId));
  expected.forEach((want, i) => {
    const got = actual[i]!;
    expectSameKeys(got, want);
    if (want.label === undefined) expect(got).not.toHaveProperty('label');
    else expectSameKeys(got.label, want.label);
  });
}

/** Asserts `promise` rejects with INVALID_ARGUMENT naming `field` (exactly, or matching a pattern). */
async function expectInvalid(promise: Promise<unknown>, field: string | RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  const slipwayError = error as SlipwayError;
  expect(slipwayError.code).toBe('INVALID_ARGUMENT');
  if (typeof field === 'string') expect(slipwayError.details.field).toBe(field);
  else expect(slipwayError.details.field).toMatch(field);
}

/** Every prediction matching `filter` (one page of up to 1000, which must be the last). */
async function all(store: PredictionStore, filter: PredictionFilter): Promise<LoggedPrediction[]> {
  const page = await store.queryPredictions({ ...filter, limit: 1000 });
  expect(page.nextCursor).toBeUndefined();
  return page.predictions;
}

/** Ids of the predictions matching `filter`, in the order returned. */
async function ids(store: PredictionStore, filter: PredictionFilter): Promise<string[]> {
  return (await all(store, filter)).map((p) => p.predictionId);
}

/** The label each prediction of `endpoint` carries (undefined: none), by prediction id. */
async function labels(
  store: PredictionStore,
  endpoint: string,
): Promise<Map<string, JoinedLabel | undefined>> {
  return new Map((await all(store, { endpoint })).map((p) => [p.predictionId, p.label]));
}

/** Ids of the endpoint's unmatched labels, newest first, and their total. */
async function unmatched(
  store: PredictionStore,
  endpoint: string,
): Promise<{ ids: string[]; total: number }> {
  const page = await store.unmatchedLabels({ endpoint, limit: 1000 });
  expect(page.nextCursor).toBeUndefined();
  return { ids: page.labels.map((l) => l.labelId), total: page.total };
}

/** Options of the contract run. */
export interface PredictionStoreContractOptions {
  /** ms to wait for each test (opening, the test and closing) before failing it; vitest's default if absent. */
  timeoutMs?: number;
}

/**
 * Runs the contract against stores `open` creates: each call must give a fresh, empty store,
 * which the test closes when it ends. `name` labels the describe block.
 */
export function predictionStoreContract(
  name: string,
  open: () => Promise<PredictionStore>,
  options: PredictionStoreContractOptions = {},
): void {
  describe(`PredictionStore contract: ${name}`, () => {
    /** A test on a store of its own, closed however the test ends. */
    const test = (title: string, body: (store: PredictionStore) => Promise<void>): void => {
      it(
        title,
        async () => {
          const store = await open();
          try {
            await body(store);
          } finally {
            await store.close();
          }
        },
        options.timeoutMs,
      );
    };

    describe('writing and reading back', () => {
      test('round-trips every field, newest first, optional fields absent when unset', async (store) => {
        const e = 'round-trip';
        const bare = prediction(0, { endpoint: e });
        const full = prediction(1, {
          endpoint: e,
          modelVersion: '2',
          arm: 'shadow',
          protocol: 'oip-v2',
          latencyMs: 0.125,
          shadowOf: pid(99),
          entityId: 'user-1',
          tags: { country: 'de', channel: 'web' },
          apiVersion: 'v2',
          jobId: 'job-7',
          input: { nested: { list: [1, 'two', null, true] }, text: 'déjà "vu"' },
          output: { label: 'fraud', scores: [0.1, 0.9] },
        });
        // Same timestamp: the greater prediction id comes first.
        const tieLow = prediction(2, { endpoint: e, timestamp: at(5), protocol: 'mlflow' });
        const tieHigh = prediction(3, { endpoint: e, timestamp: at(5), entityId: 'user-2' });
        await store.write([tieHigh, bare]);
        await store.write([full, tieLow]);
        await store.write([]);

        const page = await store.queryPredictions({ endpoint: e, limit: 10 });
        expect(page).not.toHaveProperty('nextCursor');
        expectLogged(page.predictions, [tieHigh, tieLow, full, bare]);
        for (const p of page.predictions) expect(p).not.toHaveProperty('label');
      });

      test('pages 2, 2, 1 newest first, through a timestamp tie, with no cursor on the last', async (store) => {
        const e = 'paging';
        const records = [
          prediction(0, { endpoint: e }),
          prediction(1, { endpoint: e, timestamp: at(1) }),
          prediction(2, { endpoint: e, timestamp: at(1) }),
          prediction(3, { endpoint: e, timestamp: at(1) }),
          prediction(4, { endpoint: e, timestamp: at(2) }),
        ];
        await store.write([records[2]!, records[0]!, records[4]!]);
        await store.write([records[1]!, records[3]!, prediction(5, { endpoint: 'paging-other' })]);

        const first = await store.queryPredictions({ endpoint: e, limit: 2 });
        expect(first.predictions.map((p) => p.predictionId)).toEqual([pid(4), pid(3)]);
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await store.queryPredictions({ endpoint: e, limit: 2, cursor: first.nextCursor });
        expect(second.predictions.map((p) => p.predictionId)).toEqual([pid(2), pid(1)]);
        expect(second.nextCursor).toEqual(expect.any(String));
        const third = await store.queryPredictions({ endpoint: e, limit: 2, cursor: second.nextCursor });
        expectLogged(third.predictions, [records[0]!]);
        expect(third).not.toHaveProperty('nextCursor');

        // A page that ends exactly at the last match has no cursor either.
        const four = await store.queryPredictions({ endpoint: e, limit: 4 });
        expect(four.predictions).toHaveLength(4);
        const rest = await store.queryPredictions({ endpoint: e, limit: 4, cursor: four.nextCursor });
        expect(rest.predictions.map((p) => p.predictionId)).toEqual([pid(0)]);
        expect(rest).not.toHaveProperty('nextCursor');
        const exact = await store.queryPredictions({ endpoint: e, limit: 5 });
        expect(exact.predictions).toHaveLength(5);
        expect(exact).not.toHaveProperty('nextCursor');
        const one = await store.queryPredictions({ endpoint: e, limit: 1 });
        expect(one.predictions.map((p) => p.predictionId)).toEqual([pid(4)]);
        expect(one.nextCursor).toEqual(expect.any(String));
        const max = await store.queryPredictions({ endpoint: e, limit: 1000 });
        expect(max.predictions).toHaveLength(5);
      });

      test('rejects a limit outside 1-1000 and a cursor it did not issue', async (store) => {
        const e = 'bad-page';
        await store.write([prediction(0, { endpoint: e }), prediction(1, { endpoint: e })]);
        await expectInvalid(store.queryPredictions({ endpoint: e, limit: 0 }), 'limit');
        await expectInvalid(store.queryPredictions({ endpoint: e, limit: 1001 }), 'limit');
        await expectInvalid(
          store.queryPredictions({ endpoint: e, limit: 1, cursor: '!!not a cursor!!' }),
          'cursor',
        );
      });
    });

    describe('filters', () => {
      test('from is inclusive and to exclusive', async (store) => {
        const e = 'time-filter';
        await store.write([0, 1, 2, 3, 4].map((i) => prediction(i, { endpoint: e })));
        expect(await ids(store, { endpoint: e, from: at(1), to: at(3) })).toEqual([pid(2), pid(1)]);
        expect(await ids(store, { endpoint: e, from: at(3) })).toEqual([pid(4), pid(3)]);
        expect(await ids(store, { endpoint: e, to: at(1) })).toEqual([pid(0)]);
        expect(await ids(store, { endpoint: e, from: at(1) + 1, to: at(3) + 1 })).toEqual([pid(3), pid(2)]);
        expect(await ids(store, { endpoint: e, from: at(2), to: at(2) })).toEqual([]);
      });

      test('filters by model version, arm, entity and tag, alone and together', async (store) => {
        const e = 'field-filters';
        await store.write([
          prediction(0, {
            endpoint: e,
            modelVersion: '1',
            arm: 'live',
            entityId: 'u-1',
            tags: { country: 'de' },
          }),
          prediction(1, {
            endpoint: e,
            modelVersion: '2',
            arm: 'canary',
            entityId: 'u-2',
            tags: { country: 'fr' },
          }),
          prediction(2, { endpoint: e, modelVersion: '2', arm: 'shadow', shadowOf: pid(0), entityId: 'u-1' }),
          prediction(3, {
            endpoint: e,
            modelVersion: '1',
            arm: 'live',
            tags: { other: 'de', country: 'de' },
          }),
          prediction(4, { endpoint: e, modelVersion: '1', arm: 'live', tags: { other: 'de' } }),
        ]);
        expect(await ids(store, { endpoint: e, modelVersion: '2' })).toEqual([pid(2), pid(1)]);
        expect(await ids(store, { endpoint: e, arm: 'live' })).toEqual([pid(4), pid(3), pid(0)]);
        expect(await ids(store, { endpoint: e, arm: 'shadow' })).toEqual([pid(2)]);
        expect(await ids(store, { endpoint: e, excludeShadows: true })).toEqual([
          pid(4),
          pid(3),
          pid(1),
          pid(0),
        ]);
        expect(await ids(store, { endpoint: e, modelVersion: '2', excludeShadows: true })).toEqual([pid(1)]);
        expect(await ids(store, { endpoint: e, entityId: 'u-1' })).toEqual([pid(2), pid(0)]);
        expect(await ids(store, { endpoint: e, entityId: 'u-3' })).toEqual([]);
        expect(await ids(store, { endpoint: e, tag: { key: 'country', value: 'de' } })).toEqual([
          pid(3),
          pid(0),
        ]);
        expect(await ids(store, { endpoint: e, tag: { key: 'other', value: 'de' } })).toEqual([
          pid(4),
          pid(3),
        ]);
        expect(await ids(store, { endpoint: e, tag: { key: 'country', value: 'it' } })).toEqual([]);
        expect(await ids(store, { endpoint: e, modelVersion: '2', arm: 'canary' })).toEqual([pid(1)]);
        expect(
          await ids(store, { endpoint: e, modelVersion: '1', entityId: 'u-1', from: at(0), to: at(1) }),
        ).toEqual([pid(0)]);
      });

      test('filters by labelled, and pages within a filter', async (store) => {
        const e = 'labelled-filter';
        await store.write([0, 1, 2, 3, 4].map((i) => prediction(i, { endpoint: e })));
        await store.writeLabels([1, 3, 4].map((i) => label(i, { predictionId: pid(i) }, { endpoint: e })));
        expect(await ids(store, { endpoint: e, labelled: true })).toEqual([pid(4), pid(3), pid(1)]);
        expect(await ids(store, { endpoint: e, labelled: false })).toEqual([pid(2), pid(0)]);
        expect(await ids(store, { endpoint: e })).toHaveLength(5);

        const first = await store.queryPredictions({ endpoint: e, labelled: true, limit: 2 });
        expect(first.predictions.map((p) => p.predictionId)).toEqual([pid(4), pid(3)]);
        const second = await store.queryPredictions({
          endpoint: e,
          labelled: true,
          limit: 2,
          cursor: first.nextCursor,
        });
        expect(second.predictions.map((p) => p.predictionId)).toEqual([pid(1)]);
        expect(second).not.toHaveProperty('nextCursor');
      });

      test("never returns another endpoint's predictions, nor joins its labels", async (store) => {
        const a = 'iso-a';
        const b = 'iso-b';
        await store.write([
          prediction(0, { endpoint: a, entityId: 'u-1' }),
          prediction(1, { endpoint: b, entityId: 'u-1' }),
          prediction(2, { endpoint: b }),
        ]);
        // Labels of endpoint b naming a's prediction or a's entity: they match only in b.
        const result = await store.writeLabels([
          label(1, { predictionId: pid(0) }, { endpoint: b }),
          label(2, { entityId: 'u-1' }, { endpoint: b }),
        ]);
        expect(result).toEqual({ stored: 2, matched: 1, unmatched: 1 });
        expect(await ids(store, { endpoint: a })).toEqual([pid(0)]);
        expect(await ids(store, { endpoint: b })).toEqual([pid(2), pid(1)]);
        expect((await labels(store, a)).get(pid(0))).toBeUndefined();
        expect((await labels(store, b)).get(pid(1))?.labelId).toBe('l-0002');
        expect(await ids(store, { endpoint: a, labelled: true })).toEqual([]);
        expect(await unmatched(store, a)).toEqual({ ids: [], total: 0 });
        expect(await unmatched(store, b)).toEqual({ ids: ['l-0001'], total: 1 });
        expect(await ids(store, { endpoint: 'iso-none' })).toEqual([]);
      });
    });

    describe('labels by prediction id', () => {
      test('joins a label and reports what matched when written', async (store) => {
        const e = 'by-id';
        const p0 = prediction(0, { endpoint: e });
        const p1 = prediction(1, { endpoint: e });
        await store.write([p0, p1]);
        const hit = label(
          1,
          { predictionId: pid(0) },
          { endpoint: e, receivedAt: at(0) + 90_000, source: 'api' },
        );
        const miss = label(2, { predictionId: 'p-missing' }, { endpoint: e });
        expect(await store.writeLabels([hit, miss])).toEqual({ stored: 2, matched: 1, unmatched: 1 });
        expect(await store.writeLabels([])).toEqual({ stored: 0, matched: 0, unmatched: 0 });

        const logged = await all(store, { endpoint: e });
        expectLogged(logged, [p1, joined(p0, hit)]);
        expect(logged[1]!.label).toEqual({
          value: 1,
          receivedAt: at(0) + 90_000,
          delayMs: 90_000,
          labelId: 'l-0001',
        });
        expect(await unmatched(store, e)).toEqual({ ids: ['l-0002'], total: 1 });
      });

      test('keeps label values typed: 1, "1", true, 2.5, false and 0 stay distinct', async (store) => {
        const e = 'typed';
        const values: LabelValue[] = [1, '1', true, 2.5, false, 0, 'cat'];
        await store.write(values.map((_, i) => prediction(i, { endpoint: e })));
        await store.writeLabels(
          values.map((value, i) => label(i, { predictionId: pid(i) }, { endpoint: e, value })),
        );
        const joinedLabels = await labels(store, e);
        values.forEach((value, i) => {
          const got = joinedLabels.get(pid(i))?.value;
          expect(got, `label ${i}`).toBe(value);
          expect(typeof got, `label ${i}`).toBe(typeof value);
        });
      });

      test('the label received last wins, whatever the order of arrival; ties go to the greater labelId', async (store) => {
        const e = 'last-wins';
        const p0 = prediction(0, { endpoint: e });
        await store.write([p0]);
        const r = at(0) + 10_000;
        const winner = async (): Promise<string | undefined> => (await labels(store, e)).get(pid(0))?.labelId;
        const byId = (n: number, receivedAt: number, value: LabelValue): LabelRecord =>
          label(n, { predictionId: pid(0) }, { endpoint: e, receivedAt, value });

        expect(await store.writeLabels([byId(2, r + 10, 'a')])).toEqual({
          stored: 1,
          matched: 1,
          unmatched: 0,
        });
        expect(await winner()).toBe('l-0002');
        expect(await store.writeLabels([byId(3, r + 20, 'b')])).toEqual({
          stored: 1,
          matched: 1,
          unmatched: 0,
        });
        expect(await winner()).toBe('l-0003');
        // Arrives later but was received earlier: stored, matches, does not win.
        expect(await store.writeLabels([byId(1, r + 5, 'c')])).toEqual({
          stored: 1,
          matched: 1,
          unmatched: 0,
        });
        expect(await winner()).toBe('l-0003');
        // Same receivedAt, smaller labelId: does not win; greater labelId: wins.
        await store.writeLabels([byId(0, r + 20, 'd')]);
        expect(await winner()).toBe('l-0003');
        await store.writeLabels([byId(9, r + 20, 'e')]);
        const logged = await all(store, { endpoint: e });
        expectLogged(logged, [joined(p0, byId(9, r + 20, 'e'))]);
        // Both in one batch: the later received wins.
        await store.writeLabels([byId(11, r + 40, 'g'), byId(10, r + 30, 'f')]);
        expect(await winner()).toBe('l-0011');
        // Superseded labels still match: none is unmatched.
        expect(await unmatched(store, e)).toEqual({ ids: [], total: 0 });
      });

      test('a shadow record takes the label of the live prediction it shadows', async (store) => {
        const e = 'shadow';
        const live = prediction(0, { endpoint: e });
        const shadow = prediction(1, {
          endpoint: e,
          arm: 'shadow',
          modelVersion: '2',
          shadowOf: pid(0),
          timestamp: at(0) + 250,
        });
        // Only the shadow is logged yet: a label naming the live id already matches it.
        await store.write([shadow]);
        const liveLabel = label(
          1,
          { predictionId: pid(0) },
          { endpoint: e, receivedAt: at(0) + 5_000, value: 'fraud' },
        );
        expect(await store.writeLabels([liveLabel])).toEqual({ stored: 1, matched: 1, unmatched: 0 });
        expectLogged(await all(store, { endpoint: e }), [joined(shadow, liveLabel)]);
        expect((await all(store, { endpoint: e }))[0]!.label?.delayMs).toBe(4_750);

        await store.write([live]);
        expectLogged(await all(store, { endpoint: e }), [joined(shadow, liveLabel), joined(live, liveLabel)]);
        expect(await ids(store, { endpoint: e, labelled: true })).toEqual([pid(1), pid(0)]);

        // A later label naming the live id wins for both.
        const later = label(
          2,
          { predictionId: pid(0) },
          { endpoint: e, receivedAt: at(0) + 7_000, value: 'x' },
        );
        expect(await store.writeLabels([later])).toEqual({ stored: 1, matched: 1, unmatched: 0 });
        expectLogged(await all(store, { endpoint: e }), [joined(shadow, later), joined(live, later)]);
        expect(await unmatched(store, e)).toEqual({ ids: [], total: 0 });
      });
      // The header's first rule, "it names the prediction's id", holds for a shadow record too:
      // the live-id rule is in addition to it, not instead of it.
      test("a label naming a shadow record's own id labels that shadow only", async (store) => {
        const e = 'shadow-own';
        const live = prediction(0, { endpoint: e });
        const shadow = prediction(1, {
          endpoint: e,
          arm: 'shadow',
          shadowOf: pid(0),
          timestamp: at(0) + 250,
        });
        await store.write([live, shadow]);
        const liveLabel = label(
          1,
          { predictionId: pid(0) },
          { endpoint: e, receivedAt: at(0) + 5_000, value: 'a' },
        );
        const own = label(
          2,
          { predictionId: pid(1) },
          { endpoint: e, receivedAt: at(0) + 6_000, value: 'b' },
        );
        expect(await store.writeLabels([liveLabel, own])).toEqual({ stored: 2, matched: 2, unmatched: 0 });
        expectLogged(await all(store, { endpoint: e }), [joined(shadow, own), joined(live, liveLabel)]);
        expect(await unmatched(store, e)).toEqual({ ids: [], total: 0 });
      });
    });

    describe('labels by entity id', () => {
      test('a window [from, to) labels the entity predictions inside it; absent bounds are unbounded', async (store) => {
        const e = 'windows';
        const entities = ['u-a', 'u-b', 'u-c', 'u-d'];
        const records = entities.flatMap((entityId, k) =>
          [0, 1, 2, 3, 4].map((j) => prediction(10 * k + j, { endpoint: e, entityId, timestamp: at(j) })),
        );
        await store.write([...records, prediction(90, { endpoint: 'windows-other', entityId: 'u-d' })]);
        const windowed = label(1, { entityId: 'u-a', from: at(1), to: at(3) }, { endpoint: e });
        const upTo = label(2, { entityId: 'u-b', to: at(2) }, { endpoint: e, value: 'b' });
        const onward = label(3, { entityId: 'u-c', from: at(3) }, { endpoint: e, value: true });
        const always = label(4, { entityId: 'u-d' }, { endpoint: e, value: 2.5 });
        const nothingYet = label(5, { entityId: 'u-a', from: at(10) }, { endpoint: e });
        expect(await store.writeLabels([windowed, upTo, onward, always, nothingYet])).toEqual({
          stored: 5,
          matched: 4,
          unmatched: 1,
        });

        const winners: Record<string, LabelRecord | undefined> = {};
        for (const j of [1, 2]) winners[pid(j)] = windowed;
        for (const j of [0, 1]) winners[pid(10 + j)] = upTo;
        for (const j of [3, 4]) winners[pid(20 + j)] = onward;
        for (const j of [0, 1, 2, 3, 4]) winners[pid(30 + j)] = always;
        const byId = new Map((await all(store, { endpoint: e })).map((p) => [p.predictionId, p]));
        expect(byId.size).toBe(records.length);
        for (const record of records) {
          const winner = winners[record.predictionId];
          expectLogged([byId.get(record.predictionId)!], [winner ? joined(record, winner) : record]);
        }
        expect((await labels(store, 'windows-other')).get(pid(90))).toBeUndefined();
        expect(await unmatched(store, e)).toEqual({ ids: ['l-0005'], total: 1 });
        expect(await ids(store, { endpoint: e, entityId: 'u-a', labelled: true })).toEqual([pid(2), pid(1)]);
      });

      test('entity labels and id labels compete by arrival', async (store) => {
        const e = 'compete';
        const records = [0, 1, 2].map((i) => prediction(i, { endpoint: e, entityId: 'u-1' }));
        await store.write(records);
        const r = at(10);
        const entity = label(1, { entityId: 'u-1' }, { endpoint: e, receivedAt: r + 100, value: 'entity' });
        const laterById = label(
          2,
          { predictionId: pid(1) },
          { endpoint: e, receivedAt: r + 200, value: 'later' },
        );
        const earlierById = label(
          3,
          { predictionId: pid(2) },
          { endpoint: e, receivedAt: r + 50, value: 'earlier' },
        );
        expect(await store.writeLabels([entity, laterById, earlierById])).toEqual({
          stored: 3,
          matched: 3,
          unmatched: 0,
        });
        expectLogged(await all(store, { endpoint: e }), [
          joined(records[2]!, entity),
          joined(records[1]!, laterById),
          joined(records[0]!, entity),
        ]);
      });
    });

    describe('the unmatched set', () => {
      test('a label written before its prediction is unmatched, then joins when the prediction arrives', async (store) => {
        const e = 'early';
        const byId = label(1, { predictionId: pid(0) }, { endpoint: e, receivedAt: at(0) + 1_000 });
        const byEntity = label(
          2,
          { entityId: 'u-9', from: at(1), to: at(3) },
          { endpoint: e, receivedAt: at(0) + 2_000 },
        );
        expect(await store.writeLabels([byId, byEntity])).toEqual({ stored: 2, matched: 0, unmatched: 2 });
        const page = await store.unmatchedLabels({ endpoint: e, limit: 10 });
        expect(page.total).toBe(2);
        expect(page).not.toHaveProperty('nextCursor');
        expect(page.labels).toHaveLength(2);
        expectSameKeys(page.labels[0], byEntity);
        expectSameKeys(page.labels[1], byId);

        const p0 = prediction(0, { endpoint: e });
        await store.write([p0]);
        expectLogged(await all(store, { endpoint: e }), [joined(p0, byId)]);
        expect(await unmatched(store, e)).toEqual({ ids: ['l-0002'], total: 1 });

        // The entity's prediction outside the window leaves the label unmatched; one inside joins it.
        const outside = prediction(1, { endpoint: e, entityId: 'u-9', timestamp: at(3) });
        await store.write([outside]);
        expect(await unmatched(store, e)).toEqual({ ids: ['l-0002'], total: 1 });
        const inside = prediction(2, { endpoint: e, entityId: 'u-9', timestamp: at(1) });
        await store.write([inside]);
        expect(await unmatched(store, e)).toEqual({ ids: [], total: 0 });
        expectLogged(await all(store, { endpoint: e }), [
          outside,
          joined(inside, byEntity),
          joined(p0, byId),
        ]);
        expect((await labels(store, e)).get(pid(2))?.delayMs).toBe(at(0) + 2_000 - at(1));
      });

      test('pages the unmatched labels newest first by receivedAt; total counts them all', async (store) => {
        const e = 'unmatched-pages';
        await store.write([prediction(0, { endpoint: e })]);
        const r = T0 + DAY;
        const lost = [
          label(1, { predictionId: 'p-x1' }, { endpoint: e, receivedAt: r + 30, source: 'api' }),
          label(
            2,
            { entityId: 'u-1', from: at(0), to: at(9) },
            { endpoint: e, receivedAt: r + 10, value: 'a' },
          ),
          label(
            3,
            { predictionId: 'p-x3' },
            { endpoint: e, receivedAt: r + 50, source: 'import:labels.csv' },
          ),
          label(4, { entityId: 'u-2' }, { endpoint: e, receivedAt: r + 20, value: false }),
          label(5, { entityId: 'u-3', to: at(3) }, { endpoint: e, receivedAt: r + 40, value: 0.5 }),
        ];
        expect(
          await store.writeLabels([lost[0]!, lost[1]!, label(6, { predictionId: pid(0) }, { endpoint: e })]),
        ).toEqual({ stored: 3, matched: 1, unmatched: 2 });
        await store.writeLabels([lost[2]!, lost[3]!, lost[4]!]);
        await store.writeLabels([label(7, { predictionId: 'p-x7' }, { endpoint: 'unmatched-other' })]);

        const newestFirst = [...lost].sort((x, y) => y.receivedAt - x.receivedAt);
        const first = await store.unmatchedLabels({ endpoint: e, limit: 2 });
        expect(first.total).toBe(5);
        expect(first.nextCursor).toEqual(expect.any(String));
        const second = await store.unmatchedLabels({ endpoint: e, limit: 2, cursor: first.nextCursor });
        expect(second.total).toBe(5);
        expect(second.nextCursor).toEqual(expect.any(String));
        const third = await store.unmatchedLabels({ endpoint: e, limit: 2, cursor: second.nextCursor });
        expect(third.total).toBe(5);
        expect(third).not.toHaveProperty('nextCursor');
        const paged = [...first.labels, ...second.labels, ...third.labels];
        expect(paged.map((l) => l.labelId)).toEqual(['l-0003', 'l-0005', 'l-0001', 'l-0004', 'l-0002']);
        newestFirst.forEach((want, i) => expectSameKeys(paged[i], want));
        expect(await unmatched(store, 'unmatched-other')).toEqual({ ids: ['l-0007'], total: 1 });
      });
    });

    describe('label validation', () => {
      const base = { labelId: 'l-0002', endpoint: 'bad-labels', value: 1, receivedAt: T0 + DAY };
      const cases: [string, LabelRecord, string | RegExp][] = [
        ['neither predictionId nor entityId', { ...base }, /^labels\[1\]/],
        [
          'both predictionId and entityId',
          { ...base, predictionId: pid(0), entityId: 'u-1' },
          /^labels\[1\]/,
        ],
        ['an empty window (from = to)', { ...base, entityId: 'u-1', from: at(2), to: at(2) }, /^labels\[1\]/],
        [
          'a reversed window (from > to)',
          { ...base, entityId: 'u-1', from: at(3), to: at(2) },
          /^labels\[1\]/,
        ],
        [
          'a NaN receivedAt',
          { ...base, predictionId: pid(0), receivedAt: Number.NaN },
          'labels[1].receivedAt',
        ],
        [
          'a null value',
          { ...base, predictionId: pid(0), value: null as unknown as LabelValue },
          'labels[1].value',
        ],
        [
          'an object value',
          { ...base, predictionId: pid(0), value: { a: 1 } as unknown as LabelValue },
          'labels[1].value',
        ],
        ['a NaN value', { ...base, predictionId: pid(0), value: Number.NaN }, 'labels[1].value'],
      ];
      for (const [what, bad, field] of cases) {
        test(`rejects a batch with a label with ${what}, storing none of it`, async (store) => {
          const e = 'bad-labels';
          await store.write([prediction(0, { endpoint: e, entityId: 'u-1' })]);
          const good = label(1, { predictionId: pid(0) }, { endpoint: e });
          await expectInvalid(store.writeLabels([good, bad]), field);
          expect((await labels(store, e)).get(pid(0))).toBeUndefined();
          expect(await unmatched(store, e)).toEqual({ ids: [], total: 0 });
          // The store takes the next, valid batch.
          expect(await store.writeLabels([good])).toEqual({ stored: 1, matched: 1, unmatched: 0 });
          expect((await labels(store, e)).get(pid(0))?.labelId).toBe('l-0001');
        });
      }
    });

    describe('aggregate', () => {
      const b = TEN_MINUTES;
      const s0 = bucketStart(T0, b);

      test('counts and latency quantiles per aligned bucket over [from, to), empty buckets left out', async (store) => {
        const e = 'agg-counts';
        expect(s0).toBe(T0 - 200_000);
        await store.write([
          prediction(0, { endpoint: e, latencyMs: 5 }),
          prediction(1, { endpoint: e, latencyMs: 1 }),
          prediction(2, { endpoint: e, latencyMs: 3 }),
          // Bucket s0 too, but before `from`.
          prediction(3, { endpoint: e, latencyMs: 1_000, timestamp: T0 - 1 }),
          prediction(7, { endpoint: e, latencyMs: 7 }),
          prediction(30, { endpoint: e, latencyMs: 2 }),
          prediction(31, { endpoint: e, latencyMs: 16 }),
          prediction(32, { endpoint: e, latencyMs: 4 }),
          prediction(33, { endpoint: e, latencyMs: 8 }),
          prediction(39, { endpoint: e, latencyMs: 9, timestamp: at(40) - 1 }),
          // At `to`: left out.
          prediction(40, { endpoint: e, latencyMs: 100 }),
          prediction(41, { endpoint: 'agg-counts-other', latencyMs: 50, timestamp: at(1) }),
        ]);
        const rows = await store.aggregate({ endpoint: e, from: at(0), to: at(40), bucketMs: b });
        expectBuckets(rows, [
          bucket(s0, [5, 1, 3]),
          bucket(s0 + b, [7]),
          // s0 + 2b holds nothing: no row.
          bucket(s0 + 3 * b, [2, 16, 4, 8]),
          bucket(s0 + 4 * b, [9]),
        ]);
        expect(rows[2]!.latencyP95).toBeCloseTo(14.8, 9);
        expect(rows[2]!.latencyP99).toBeCloseTo(15.76, 9);
        for (const row of rows) {
          expect(row.start % b).toBe(0);
          for (const key of ['modelVersion', 'arm', 'labelDelayP50', 'predictionMean', 'accuracy', 'mae']) {
            expect(row).not.toHaveProperty(key);
          }
        }

        // An hour bucket: T0 lies 800,000 ms into one; everything in range falls in it.
        const hour = 3_600_000;
        expect(bucketStart(T0, hour)).toBe(T0 - 800_000);
        expectBuckets(await store.aggregate({ endpoint: e, from: at(0), to: at(40), bucketMs: hour }), [
          bucket(T0 - 800_000, [5, 1, 3, 7, 2, 16, 4, 8, 9]),
        ]);
        expect(await store.aggregate({ endpoint: e, from: at(50), to: at(60), bucketMs: b })).toEqual([]);
      });

      test('splits buckets by model version and by arm, ordered by start, version, arm', async (store) => {
        const e = 'agg-groups';
        await store.write([
          prediction(4, { endpoint: e, modelVersion: '2', arm: 'shadow', latencyMs: 5 }),
          prediction(0, { endpoint: e, modelVersion: '1', arm: 'live', latencyMs: 1 }),
          prediction(7, { endpoint: e, modelVersion: '2', arm: 'shadow', latencyMs: 6 }),
          prediction(2, { endpoint: e, modelVersion: '2', arm: 'live', latencyMs: 3 }),
          prediction(3, { endpoint: e, modelVersion: '1', arm: 'shadow', latencyMs: 4 }),
          prediction(1, { endpoint: e, modelVersion: '1', arm: 'live', latencyMs: 2 }),
        ]);
        const request = { endpoint: e, from: s0, to: s0 + 10 * b, bucketMs: b };
        expectBuckets(await store.aggregate({ ...request, groupBy: ['modelVersion'] }), [
          bucket(s0, [1, 2, 4], { modelVersion: '1' }),
          bucket(s0, [3, 5], { modelVersion: '2' }),
          bucket(s0 + b, [6], { modelVersion: '2' }),
        ]);
        expectBuckets(await store.aggregate({ ...request, groupBy: ['arm'] }), [
          bucket(s0, [1, 2, 3], { arm: 'live' }),
          bucket(s0, [4, 5], { arm: 'shadow' }),
          bucket(s0 + b, [6], { arm: 'shadow' }),
        ]);
        expectBuckets(await store.aggregate({ ...request, groupBy: ['modelVersion', 'arm'] }), [
          bucket(s0, [1, 2], { modelVersion: '1', arm: 'live' }),
          bucket(s0, [4], { modelVersion: '1', arm: 'shadow' }),
          bucket(s0, [3], { modelVersion: '2', arm: 'live' }),
          bucket(s0, [5], { modelVersion: '2', arm: 'shadow' }),
          bucket(s0 + b, [6], { modelVersion: '2', arm: 'shadow' }),
        ]);
        expectBuckets(await store.aggregate(request), [bucket(s0, [1, 2, 3, 4, 5]), bucket(s0 + b, [6])]);
        // Filters apply before bucketing.
        expectBuckets(await store.aggregate({ ...request, arm: 'shadow' }), [
          bucket(s0, [4, 5]),
          bucket(s0 + b, [6]),
        ]);
        expectBuckets(await store.aggregate({ ...request, modelVersion: '1', groupBy: ['arm'] }), [
          bucket(s0, [1, 2], { arm: 'live' }),
          bucket(s0, [4], { arm: 'shadow' }),
        ]);
      });

      test('labelled count, label delay median, prediction mean, MAE and accuracy of a numeric output', async (store) => {
        const e = 'agg-numeric';
        const scored = (i: number, score: number): PredictionRecord =>
          prediction(i, { endpoint: e, output: { score, note: 'n' } });
        await store.write([
          scored(0, 0.25),
          scored(1, 0.5),
          scored(2, 0.75),
          scored(3, 1),
          scored(7, 0.5),
          scored(30, 0),
          scored(31, 1),
        ]);
        const byId = (n: number, i: number, value: number, delay: number): LabelRecord =>
          label(n, { predictionId: pid(i) }, { endpoint: e, value, receivedAt: at(i) + delay });
        await store.writeLabels([
          byId(1, 0, 1, 500), // superseded by label 2: its value and delay are not used
          byId(2, 0, 0, 1_000),
          byId(3, 1, 1, 5_000),
          byId(4, 2, 1, 2_000),
          byId(5, 30, 1, 1_000),
          byId(6, 31, 1, 4_000),
        ]);
        const request = { endpoint: e, from: s0, to: s0 + 10 * b, bucketMs: b };
        const rows = await store.aggregate({ ...request, predictionField: 'score' });
        expectBuckets(rows, [
          bucket(s0, [10, 11, 12, 13], {
            labelled: 3,
            labelDelayP50: quantile([1_000, 5_000, 2_000], 0.5),
            predictionMean: 0.625,
            ...spread([0.25, 0.5, 0.75, 1]),
            mae: (0.25 + 0.5 + 0.25) / 3,
            accuracy: 0,
          }),
          bucket(s0 + b, [17], { predictionMean: 0.5, ...spread([0.5]) }),
          bucket(s0 + 3 * b, [40, 41], {
            labelled: 2,
            labelDelayP50: quantile([1_000, 4_000], 0.5),
            predictionMean: 0.5,
            ...spread([0, 1]),
            mae: 0.5,
            // A number equal to its label counts (class labels logged as integers): 1 and 1.
            accuracy: 0.5,
          }),
        ]);
        // Exact values of the interpolation: p05 of [0.25, 0.5, 0.75, 1] lies 0.15 of the way up.
        expect(rows[0]!.predictionP05).toBeCloseTo(0.2875, 9);
        expect(rows[0]!.predictionP95).toBeCloseTo(0.9625, 9);
        expect(rows[2]!.predictionP50).toBeCloseTo(0.5, 9);
        for (const row of rows) expect(row).not.toHaveProperty('distribution');
        expect(rows[0]!.labelDelayP50).toBeCloseTo(2_000, 9);
        expect(rows[2]!.labelDelayP50).toBeCloseTo(2_500, 9);
        for (const key of ['labelDelayP50', 'accuracy', 'mae']) expect(rows[1]).not.toHaveProperty(key);
        expect(rows[1]!.labelled).toBe(0);

        // Without a prediction field: the label counts and delays, no realized metrics.
        expectBuckets(await store.aggregate(request), [
          bucket(s0, [10, 11, 12, 13], { labelled: 3, labelDelayP50: 2_000 }),
          bucket(s0 + b, [17]),
          bucket(s0 + 3 * b, [40, 41], { labelled: 2, labelDelayP50: 2_500 }),
        ]);
        // Over the labelled predictions only: the unlabelled bucket disappears.
        expectBuckets(await store.aggregate({ ...request, predictionField: 'score', labelled: true }), [
          bucket(s0, [10, 11, 12], {
            labelled: 3,
            labelDelayP50: 2_000,
            predictionMean: 0.5,
            ...spread([0.25, 0.5, 0.75]),
            mae: 1 / 3,
            accuracy: 0,
          }),
          bucket(s0 + 3 * b, [40, 41], {
            labelled: 2,
            labelDelayP50: 2_500,
            predictionMean: 0.5,
            ...spread([0, 1]),
            mae: 0.5,
            accuracy: 0.5,
          }),
        ]);
      });

      test('accuracy over the labelled predictions of a string output', async (store) => {
        const e = 'agg-string';
        const classed = (i: number, value: string): PredictionRecord =>
          prediction(i, { endpoint: e, output: { class: value, score: 0.5 } });
        await store.write([
          classed(0, 'fraud'),
          classed(1, 'ok'),
          classed(2, 'ok'),
          classed(3, 'fraud'),
          classed(7, 'ok'),
        ]);
        await store.writeLabels([
          label(1, { predictionId: pid(0) }, { endpoint: e, value: 'fraud', receivedAt: at(0) + 3_000 }),
          label(2, { predictionId: pid(1) }, { endpoint: e, value: 'fraud', receivedAt: at(1) + 1_000 }),
          label(3, { predictionId: pid(2) }, { endpoint: e, value: 'ok', receivedAt: at(2) + 2_000 }),
        ]);
        const rows = await store.aggregate({
          endpoint: e,
          from: s0,
          to: s0 + 10 * b,
          bucketMs: b,
          predictionField: 'class',
        });
        expectBuckets(rows, [
          bucket(s0, [10, 11, 12, 13], {
            labelled: 3,
            labelDelayP50: 2_000,
            accuracy: 2 / 3,
            // A tie of counts goes by value.
            distribution: [
              { value: 'fraud', count: 2 },
              { value: 'ok', count: 2 },
            ],
            distributionOther: 0,
          }),
          bucket(s0 + b, [17], { distribution: [{ value: 'ok', count: 1 }], distributionOther: 0 }),
        ]);
        for (const row of rows) {
          expect(row).not.toHaveProperty('mae');
          expect(row).not.toHaveProperty('predictionMean');
        }
        for (const key of ['labelDelayP50', 'accuracy', 'mae']) expect(rows[1]).not.toHaveProperty(key);
      });

      test('accuracy over the labelled predictions of a boolean output', async (store) => {
        const e = 'agg-boolean';
        const flagged = (i: number, value: boolean): PredictionRecord =>
          prediction(i, { endpoint: e, output: { flagged: value } });
        await store.write([
          flagged(0, true),
          flagged(1, false),
          flagged(2, false),
          flagged(3, true),
          flagged(4, true),
        ]);
        await store.writeLabels(
          [true, true, false, false].map((value, i) =>
            label(i, { predictionId: pid(i) }, { endpoint: e, value, receivedAt: at(i) + 1_000 * (i + 1) }),
          ),
        );
        const rows = await store.aggregate({
          endpoint: e,
          from: s0,
          to: s0 + b,
          bucketMs: b,
          predictionField: 'flagged',
        });
        expectBuckets(rows, [
          bucket(s0, [10, 11, 12, 13, 14], {
            labelled: 4,
            labelDelayP50: quantile([1_000, 2_000, 3_000, 4_000], 0.5),
            accuracy: 0.5,
            distribution: [
              { value: 'true', count: 3 },
              { value: 'false', count: 2 },
            ],
            distributionOther: 0,
          }),
        ]);
        expect(rows[0]).not.toHaveProperty('mae');
        expect(rows[0]).not.toHaveProperty('predictionMean');
      });
    });

    describe('failed requests', () => {
      const b = TEN_MINUTES;
      const s0 = bucketStart(T0, b);

      test('are stored with their error, returned by queries, and filtered by status', async (store) => {
        const e = 'errors-query';
        const ok = prediction(0, { endpoint: e });
        const failed = failure(1, {
          endpoint: e,
          input: { amount: 'ten' },
          entityId: 'u-1',
          tags: { a: 'b' },
        });
        const internal = failure(2, {
          endpoint: e,
          input: {},
          error: { code: 'INTERNAL', message: 'model crashed: "boom"' },
        });
        await store.write([ok, failed, internal]);
        expectLogged(await all(store, { endpoint: e }), [internal, failed, ok]);
        expectLogged(await all(store, { endpoint: e, status: 'error' }), [internal, failed]);
        expectLogged(await all(store, { endpoint: e, status: 'ok' }), [ok]);
        expect(await ids(store, { endpoint: e, status: 'error', entityId: 'u-1' })).toEqual([pid(1)]);
        await expectInvalid(
          store.queryPredictions({ endpoint: e, limit: 10, status: 'bad' as never }),
          'status',
        );
      });

      test('count as errors of their bucket and group, and in nothing else', async (store) => {
        const e = 'errors-agg';
        await store.write([
          prediction(0, { endpoint: e, entityId: 'u-1' }),
          prediction(1, { endpoint: e }),
          prediction(2, { endpoint: e }),
          // In the label's entity window: a label must not count for a failed request.
          failure(3, { endpoint: e, entityId: 'u-1', output: { score: 100 } }),
          failure(4, { endpoint: e, arm: 'canary' }),
          // A bucket of failures only.
          failure(12, { endpoint: e }),
          prediction(30, { endpoint: e }),
          failure(31, { endpoint: 'errors-agg-other' }),
        ]);
        await store.writeLabels([
          label(1, { entityId: 'u-1', from: at(0), to: at(5) }, { endpoint: e, receivedAt: at(0) + 5_000 }),
        ]);
        const request = { endpoint: e, from: s0, to: s0 + 10 * b, bucketMs: b };
        const labelled = { labelled: 1, labelDelayP50: 5_000 };
        const rows = await store.aggregate(request);
        expectBuckets(rows, [
          bucket(s0, [10, 11, 12], labelled, 2),
          bucket(s0 + b, [], {}, 1),
          bucket(s0 + 3 * b, [40]),
        ]);
        expect(rows.map((r) => r.errorRate)).toEqual([0.4, 1, 0]);
        for (const key of ['latencyP50', 'latencyP95', 'latencyP99']) expect(rows[1]).not.toHaveProperty(key);

        expectBuckets(await store.aggregate({ ...request, groupBy: ['arm'] }), [
          bucket(s0, [], { arm: 'canary' }, 1),
          bucket(s0, [10, 11, 12], { arm: 'live', ...labelled }, 1),
          bucket(s0 + b, [], { arm: 'live' }, 1),
          bucket(s0 + 3 * b, [40], { arm: 'live' }),
        ]);
        // The prediction field is the served predictions' alone (the failure's output is left out).
        expectBuckets(await store.aggregate({ ...request, predictionField: 'score' }), [
          bucket(
            s0,
            [10, 11, 12],
            { ...labelled, predictionMean: 0.1, ...spread([0, 0.1, 0.2]), mae: 1, accuracy: 0 },
            2,
          ),
          bucket(s0 + b, [], {}, 1),
          bucket(s0 + 3 * b, [40], { predictionMean: 3, ...spread([3]) }),
        ]);
        expectBuckets(await store.aggregate({ ...request, status: 'ok' }), [
          bucket(s0, [10, 11, 12], labelled),
          bucket(s0 + 3 * b, [40]),
        ]);
        expectBuckets(await store.aggregate({ ...request, status: 'error' }), [
          bucket(s0, [], {}, 2),
          bucket(s0 + b, [], {}, 1),
        ]);
        // Failed requests are never labelled.
        expectBuckets(await store.aggregate({ ...request, labelled: true }), [bucket(s0, [10], labelled)]);
        expectBuckets(await store.aggregate({ ...request, labelled: false }), [
          bucket(s0, [11, 12], {}, 2),
          bucket(s0 + b, [], {}, 1),
          bucket(s0 + 3 * b, [40]),
        ]);
      });
    });

    describe('prediction distribution', () => {
      test('lists the 20 most frequent values by count, ties by value; the rest is distributionOther', async (store) => {
        const e = 'distribution';
        const singles = Array.from({ length: 20 }, (_, i) => `v${String(i + 1).padStart(2, '0')}`);
        const values: unknown[] = ['b', 'b', 'b', 'a', 'a', true, true, 'Z', ...singles, null, { x: 1 }];
        await store.write([
          ...values.map((value, i) =>
            prediction(i, { endpoint: e, timestamp: T0 + i, output: { class: value } }),
          ),
          // Without the field: not in the distribution at all.
          prediction(40, { endpoint: e, timestamp: T0 + 40, output: { other: 'x' } }),
          // A failed request: not in it either.
          failure(41, { endpoint: e, timestamp: T0 + 41, output: { class: 'b' } }),
        ]);
        const rows = await store.aggregate({
          endpoint: e,
          from: T0,
          to: T0 + 100,
          bucketMs: TEN_MINUTES,
          predictionField: 'class',
        });
        expect(rows).toHaveLength(1);
        const row = rows[0]!;
        expect(row.count).toBe(values.length + 1);
        expect(row.errors).toBe(1);
        // Byte order: 'Z' sorts before 'a'; 'true' (a boolean) after 'a' among the counts of 2.
        expect(row.distribution).toEqual([
          { value: 'b', count: 3 },
          { value: 'a', count: 2 },
          { value: 'true', count: 2 },
          { value: 'Z', count: 1 },
          ...singles.slice(0, 16).map((value) => ({ value, count: 1 })),
        ]);
        // v17-v20, the JSON null and the object.
        expect(row.distributionOther).toBe(6);
        for (const key of [
          'predictionMean',
          'predictionP05',
          'predictionP50',
          'predictionP95',
          'mae',
          'accuracy',
        ]) {
          expect(row).not.toHaveProperty(key);
        }
      });
    });

    describe('retention', () => {
      test('deleteBefore removes older predictions and labels received before; the rest remain', async (store) => {
        const e = 'retention';
        const records = [0, 1, 2, 3, 4].map((i) => prediction(i, { endpoint: e }));
        await store.write([...records, prediction(10, { endpoint: 'retention-other', timestamp: at(0) })]);
        const gone = label(1, { predictionId: pid(3) }, { endpoint: e, receivedAt: at(1) });
        const kept = label(2, { predictionId: pid(4) }, { endpoint: e, receivedAt: at(2) });
        const goneUnmatched = label(3, { predictionId: 'p-missing' }, { endpoint: e, receivedAt: at(1) });
        const keptUnmatched = label(4, { predictionId: 'p-missing-2' }, { endpoint: e, receivedAt: at(5) });
        // Received after `before`, so kept; its prediction is deleted, so it becomes unmatched.
        const orphaned = label(5, { predictionId: pid(0) }, { endpoint: e, receivedAt: at(6) });
        expect(await store.writeLabels([gone, kept, goneUnmatched, keptUnmatched, orphaned])).toEqual({
          stored: 5,
          matched: 3,
          unmatched: 2,
        });

        expect(await store.deleteBefore(at(2))).toBe(3);
        expectLogged(await all(store, { endpoint: e }), [
          joined(records[4]!, kept),
          records[3]!,
          records[2]!,
        ]);
        expect(await ids(store, { endpoint: 'retention-other' })).toEqual([]);
        expect(await unmatched(store, e)).toEqual({ ids: ['l-0005', 'l-0004'], total: 2 });
        expect(await store.deleteBefore(at(2))).toBe(0);
      });
    });

    describe('export', () => {
      for (const format of EXPORT_FORMATS) {
        test(`exports the filtered, joined log to ${format}, oldest first, every column`, async (store) => {
          const e = `export-${format}`;
          const tagged = prediction(1, { endpoint: e, entityId: 'u-1', tags: { src: 'a,"b"' } });
          const failed = failure(3, { endpoint: e });
          await store.write([
            prediction(0, { endpoint: e }),
            tagged,
            prediction(2, { endpoint: 'export-other' }),
            failed,
          ]);
          await store.writeLabels([label(1, { predictionId: pid(1) }, { endpoint: e, value: 'fraud' })]);
          const dir = await mkdtemp(join(tmpdir(), 'slipway-export-contract-'));
          try {
            const path = join(dir, `log.${format}`);
            expect(await store.exportWindow({ endpoint: e, format, path })).toEqual({ rows: 3 });
            const rows = await readExport(path, format);
            expect(Object.keys(rows[0] ?? {})).toEqual([...EXPORT_COLUMNS]);
            expect(rows.map((r) => r['prediction_id'])).toEqual([pid(0), pid(1), pid(3)]);
            const [plain, joinedRow, failedRow] = rows;
            expect(plain).toMatchObject({
              endpoint: e,
              model_version: '1',
              arm: 'live',
              label: null,
              error: null,
            });
            expect(JSON.parse(String(failedRow?.['error']))).toEqual(failed.error);
            expect(JSON.parse(String(failedRow?.['output']))).toEqual({});
            const onlyErrors = join(dir, `errors.${format}`);
            expect(
              await store.exportWindow({ endpoint: e, status: 'error', format, path: onlyErrors }),
            ).toEqual({ rows: 1 });
            expect(JSON.parse(String(plain?.['input']))).toEqual({ amount: 0, country: 'de' });
            expect(Number(plain?.['latency_ms'])).toBe(10);
            expect(utcMs(plain?.['timestamp'])).toBe(at(0));
            expect(JSON.parse(String(joinedRow?.['label']))).toBe('fraud');
            expect(JSON.parse(String(joinedRow?.['tags']))).toEqual({ src: 'a,"b"' });
            expect(joinedRow?.['entity_id']).toBe('u-1');
            expect(Number(joinedRow?.['label_delay_ms'])).toBe(
              label(1, { predictionId: pid(1) }).receivedAt - at(1),
            );

            const onlyLabelled = join(dir, `labelled.${format}`);
            expect(
              await store.exportWindow({ endpoint: e, labelled: true, format, path: onlyLabelled }),
            ).toEqual({
              rows: 1,
            });
            const empty = join(dir, `empty.${format}`);
            expect(await store.exportWindow({ endpoint: e, from: at(5), format, path: empty })).toEqual({
              rows: 0,
            });
          } finally {
            await rm(dir, { recursive: true, force: true });
          }
        });
      }

      test('refuses an unknown format naming it', async (store) => {
        const error = await store
          .exportWindow({ endpoint: 'x', format: 'xlsx' as never, path: join(tmpdir(), 'never.xlsx') })
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(error).toBeInstanceOf(SlipwayError);
        expect((error as SlipwayError).details.field).toBe('format');
      });
    });
  });
}

/** A UTC time as an export writes it: ISO 8601 with a zone, or `YYYY-MM-DD HH:MM:SS[.fff]` in UTC. */
function utcMs(value: unknown): number {
  const text = String(value);
  return new Date(/(Z|[+-]\d\d(:?\d\d)?)$/.test(text) ? text : `${text.replace(' ', 'T')}Z`).getTime();
}

/** Rows of an exported file as plain objects, read by DuckDB (times as DuckDB gives them back). */
async function readExport(path: string, format: ExportFormat): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader =
      format === 'parquet'
        ? `read_parquet('${path}')`
        : format === 'csv'
          ? `read_csv('${path}', header = true, all_varchar = true)`
          : `read_json('${path}', format = 'newline_delimited', records = true)`;
    const result = await connection.runAndReadAll(
      `SELECT ${EXPORT_COLUMNS.map((c) => `${c}::VARCHAR AS ${c}`).join(', ')} FROM ${reader}`,
    );
    return result.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}
