/**
 * `client.predictions` against a real platform on a socket: the joined log page by page and
 * iterated, labels submitted (and split into calls of 10,000), unmatched labels, aggregates, and
 * refusals as typed errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  NotFoundError,
  SlipwayClient,
  type LoggedPrediction,
  type SlipwayApiError,
} from '@slipway/sdk';
import { CHURN_RULES_BASELINE } from '../../server/test/helpers/churn-baseline.js';
import { startTestPlatform, type TestPlatform } from '../../server/test/helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;
let ids: string[] = [];
const started = Date.now();

async function caught(promise: Promise<unknown>): Promise<SlipwayApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return error as SlipwayApiError;
}

/** Serves rows with entity ids and tags through the SDK's predict. */
async function serve(rows: { tenure: number }[], entityIds: (string | null)[]): Promise<string[]> {
  const answer = await client.endpoints.predict('churn', rows, { entityIds, tags: { source: 'app' } });
  return answer.prediction_ids;
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  await client.baselines.create(CHURN_RULES_BASELINE);
  await client.endpoints.create({ name: 'churn', model: { name: 'churn', version: '1' } });
  ids = await serve([{ tenure: 3 }, { tenure: 30 }, { tenure: 5 }], ['u-1', 'u-2', null]);
});
afterAll(async () => {
  await platform?.close();
});

describe('client.predictions', () => {
  it('queries the log with filters and pages through it with a cursor and iterate', async () => {
    // Predictions reach the log at the queue's next flush (about a second).
    await expect
      .poll(async () => (await client.predictions.query('churn')).predictions.length, {
        timeout: 10_000,
        interval: 100,
      })
      .toBe(3);

    const tagged = await client.predictions.query('churn', {
      tag: { key: 'source', value: 'app' },
      entityId: 'u-2',
      from: new Date(started - 60_000),
      to: new Date(Date.now() + 60_000).toISOString(),
    });
    expect(tagged.predictions.map((p) => p.predictionId)).toEqual([ids[1]]);
    expect(tagged.predictions[0]).toMatchObject({ entityId: 'u-2', output: { prediction: 0 }, arm: 'live' });
    expect((await client.predictions.query('churn', { tag: 'source:web' })).predictions).toEqual([]);

    const first = await client.predictions.query('churn', { limit: 2 });
    expect(first.predictions).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await client.predictions.query('churn', { limit: 2, cursor: first.nextCursor });
    expect(second.predictions).toHaveLength(1);
    expect(second.nextCursor).toBeUndefined();

    const all: LoggedPrediction[] = [];
    for await (const p of client.predictions.iterate('churn', { pageSize: 1 })) all.push(p);
    expect(new Set(all.map((p) => p.predictionId))).toEqual(new Set(ids));
    expect(all.map((p) => p.predictionId)).toEqual(
      [...first.predictions, ...second.predictions].map((p) => p.predictionId),
    );
    expect(await client.predictions.iterate('churn', { arm: 'canary' }).collect()).toEqual([]);
  });

  it('submits labels by id and by entity, joins them, and lists the unmatched ones', async () => {
    await expect
      .poll(async () => (await client.predictions.query('churn')).predictions.length, { timeout: 10_000 })
      .toBe(3);
    const result = await client.predictions.submitLabels('churn', [
      { predictionId: ids[0] ?? '', label: 1 },
      { entityId: 'u-2', from: new Date(started - 60_000), to: Date.now() + 60_000, label: true },
      { predictionId: 'not-logged-yet', label: 'churned' },
    ]);
    expect(result).toEqual({ stored: 3, matched: 2, unmatched: 1 });

    const labelled = await client.predictions.query('churn', { labelled: true });
    const labels = new Map(labelled.predictions.map((p) => [p.predictionId, p.label?.value]));
    expect(labels).toEqual(
      new Map<string | undefined, unknown>([
        [ids[0], 1],
        [ids[1], true],
      ]),
    );
    expect(labelled.predictions[0]?.label).toMatchObject({ delayMs: expect.any(Number) });
    const unlabelled = await client.predictions.query('churn', { labelled: false });
    expect(unlabelled.predictions.map((p) => p.predictionId)).toEqual([ids[2]]);

    const unmatched = await client.predictions.unmatchedLabels('churn', { limit: 10 });
    expect(unmatched.total).toBe(1);
    expect(unmatched.labels[0]).toMatchObject({ predictionId: 'not-logged-yet', value: 'churned' });
    expect(unmatched.nextCursor).toBeUndefined();
  });

  it('splits more than 10,000 labels into several calls and sums their results', async () => {
    const labels = Array.from({ length: 10_001 }, (_, i) => ({ predictionId: `bulk-${i}`, label: i % 2 }));
    const calls: number[] = [];
    const counting = new SlipwayClient({
      url: platform.url,
      fetch: async (input, init) => {
        if (String(input).endsWith('/labels')) {
          calls.push((JSON.parse(String(init?.body)) as { labels: unknown[] }).labels.length);
        }
        return fetch(input, init);
      },
    });
    expect(await counting.predictions.submitLabels('churn', labels)).toEqual({
      stored: 10_001,
      matched: 0,
      unmatched: 10_001,
    });
    expect(calls).toEqual([10_000, 1]);
    expect(await counting.predictions.submitLabels('churn', [])).toEqual({
      stored: 0,
      matched: 0,
      unmatched: 0,
    });
    expect(calls).toHaveLength(2);
    expect((await client.predictions.unmatchedLabels('churn', { limit: 1 })).nextCursor).toEqual(
      expect.any(String),
    );
  });

  it('aggregates time buckets, grouped, with realized metrics', async () => {
    const buckets = await client.predictions.aggregate('churn', {
      from: started - 3_600_000,
      to: new Date(Date.now() + 60_000),
      bucket: '1d',
      groupBy: ['modelVersion', 'arm'],
      predictionField: 'prediction',
    });
    expect(buckets.reduce((n, b) => n + b.count, 0)).toBe(3);
    expect(buckets.reduce((n, b) => n + b.labelled, 0)).toBe(2);
    expect(buckets[0]).toMatchObject({ modelVersion: '1', arm: 'live', start: expect.any(Number) });
    const filtered = await client.predictions.aggregate('churn', {
      from: started - 3_600_000,
      to: Date.now() + 60_000,
      entityId: 'u-1',
    });
    expect(filtered.reduce((n, b) => n + b.count, 0)).toBe(1);
    expect(buckets.reduce((n, b) => n + b.errors, 0)).toBe(0);
    expect(buckets.every((b) => b.errorRate === 0)).toBe(true);
  });

  it('passes the status filter: only served predictions, or only failed requests', async () => {
    expect((await client.predictions.query('churn', { status: 'ok' })).predictions).toHaveLength(3);
    expect((await client.predictions.query('churn', { status: 'error' })).predictions).toEqual([]);
    const errorsOnly = await client.predictions.aggregate('churn', {
      from: started - 3_600_000,
      to: Date.now() + 60_000,
      status: 'error',
    });
    expect(errorsOnly).toEqual([]);
  });

  it('maps refusals to typed errors naming the field', async () => {
    const bad = await caught(client.predictions.submitLabels('churn', [{ label: 1 }]));
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad.details.field).toBe('labels[0].prediction_id');
    expect(
      await caught(client.predictions.submitLabels('nope', [{ predictionId: 'x', label: 1 }])),
    ).toBeInstanceOf(NotFoundError);
    expect(await caught(client.predictions.query('nope'))).toBeInstanceOf(NotFoundError);
    const noWindow = await caught(
      client.predictions.aggregate('churn', { from: 'yesterday', to: Date.now(), bucket: '1h' }),
    );
    expect(noWindow).toBeInstanceOf(InvalidArgumentError);
    expect(noWindow.details.field).toBe('from');
    const badBucket = await caught(
      client.predictions.aggregate('churn', { from: 0, to: 1, bucket: 'often' }),
    );
    expect(badBucket.details.field).toBe('bucket');
    const badDate = await caught(client.predictions.query('churn', { from: new Date(Number.NaN) }));
    expect(badDate).toBeInstanceOf(InvalidArgumentError);
    expect(badDate.status).toBe(0);
  });
});
