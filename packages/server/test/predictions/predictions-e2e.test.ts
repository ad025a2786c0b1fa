/**
 * The prediction log end to end on a real socket: predictions served with entity ids and tags,
 * labels by prediction id and by entity, the joined log, the unmatched set, aggregates and exports.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EXPORT_COLUMNS,
  type AggregateBucket,
  type LoggedPrediction,
  type PredictionPage,
  type UnmatchedLabelPage,
} from '@slipway/contracts';
import { CHURN_RULES_BASELINE } from '../helpers/churn-baseline.js';
import { nativeApi } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
const api = nativeApi(() => platform.app);

async function post(path: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${platform.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function get<T>(path: string): Promise<T> {
  const res = await fetch(`${platform.url}/api/v1${path}`);
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Waits for the queue's next flush (every second) to have written `count` predictions. */
async function logged(count: number): Promise<LoggedPrediction[]> {
  let page: PredictionPage = { predictions: [] };
  await expect
    .poll(
      async () => {
        page = await get<PredictionPage>('/endpoints/churn/predictions?limit=1000');
        return page.predictions.length;
      },
      { timeout: 10_000, interval: 100 },
    )
    .toBe(count);
  return page.predictions;
}

let ids: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  expect((await api('POST', '/baselines', CHURN_RULES_BASELINE)).status).toBe(200);
  const created = await api('POST', '/endpoints', { name: 'churn', model: { name: 'churn', version: '1' } });
  expect(created.status).toBe(201);
  const served = await post('/v1/endpoints/churn/predict', {
    instances: [{ tenure: 3 }, { tenure: 30 }, { tenure: 5 }],
    entity_ids: ['u-1', 'u-2', null],
    tags: { source: 'app' },
  });
  expect(served.status).toBe(200);
  ids = served.body['prediction_ids'] as string[];
});
afterAll(async () => {
  await platform.close();
});

describe('the prediction log', () => {
  it('records entity ids and tags with each prediction', async () => {
    const byId = new Map((await logged(3)).map((p) => [p.predictionId, p]));
    expect(byId.get(ids[0] ?? '')).toMatchObject({
      entityId: 'u-1',
      tags: { source: 'app' },
      output: { prediction: 1 },
    });
    expect(byId.get(ids[2] ?? '')).not.toHaveProperty('entityId');
    const tagged = await get<PredictionPage>('/endpoints/churn/predictions?tag=source:app&entityId=u-2');
    expect(tagged.predictions.map((p) => p.predictionId)).toEqual([ids[1]]);
  });

  it('joins labels by prediction id and by entity, keeps unmatched ones visible, and aggregates', async () => {
    const byId = await post('/v1/endpoints/churn/labels', {
      labels: [
        { prediction_id: ids[0], label: 1 },
        { prediction_id: 'not-logged-yet', label: 0 },
      ],
    });
    expect(byId).toEqual({ status: 200, body: { stored: 2, matched: 1, unmatched: 1 } });
    const byEntity = await post('/v1/endpoints/churn/labels', { entity_id: 'u-2', label: 1 });
    expect(byEntity.body).toEqual({ stored: 1, matched: 1, unmatched: 0 });

    const labelled = await get<PredictionPage>('/endpoints/churn/predictions?labelled=true');
    const labels = new Map(labelled.predictions.map((p) => [p.predictionId, p.label?.value]));
    expect(labels).toEqual(
      new Map([
        [ids[0], 1],
        [ids[1], 1],
      ]),
    );
    const unmatched = await get<UnmatchedLabelPage>('/endpoints/churn/labels/unmatched');
    expect(unmatched.total).toBe(1);
    expect(unmatched.labels[0]).toMatchObject({ predictionId: 'not-logged-yet', value: 0, source: 'api' });

    const now = Date.now();
    const { buckets } = await get<{ buckets: AggregateBucket[] }>(
      `/endpoints/churn/aggregates?from=${now - 3_600_000}&to=${now + 60_000}&bucket=1d&predictionField=prediction`,
    );
    const total = buckets.reduce((n, b) => n + b.count, 0);
    expect(total).toBe(3);
    expect(buckets.reduce((n, b) => n + b.labelled, 0)).toBe(2);
  });

  it('exports the joined log as CSV and Parquet files', async () => {
    await logged(3);
    const csv = await fetch(`${platform.url}/api/v1/endpoints/churn/export?format=csv&labelled=true`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="churn-predictions.csv"');
    const lines = (await csv.text()).trimEnd().split('\n');
    expect(lines[0]).toBe(EXPORT_COLUMNS.join(','));
    expect(lines).toHaveLength(1 + Number(csv.headers.get('x-slipway-rows')));
    const parquet = await fetch(`${platform.url}/api/v1/endpoints/churn/export`);
    expect(parquet.headers.get('x-slipway-rows')).toBe('3');
    // Parquet files start and end with the magic bytes PAR1.
    const bytes = Buffer.from(await parquet.arrayBuffer());
    expect([bytes.subarray(0, 4).toString(), bytes.subarray(-4).toString()]).toEqual(['PAR1', 'PAR1']);
    const bad = await fetch(`${platform.url}/api/v1/endpoints/churn/export?format=xlsx`);
    expect(bad.status).toBe(400);
  });

  it('refuses bad labels naming the field, too many labels, and unknown endpoints', async () => {
    const bad = await post('/v1/endpoints/churn/labels', { labels: [{ prediction_id: 'x', label: [1] }] });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', details: { field: 'labels[0].label' } },
    });
    const many = Array.from({ length: 10_001 }, (_, i) => ({ prediction_id: `p-${i}`, label: 0 }));
    const tooMany = await post('/v1/endpoints/churn/labels', { labels: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { details: { field: 'labels' } } });
    expect((await post('/v1/endpoints/nope/labels', { prediction_id: 'x', label: 1 })).status).toBe(404);
    const missing = await fetch(`${platform.url}/api/v1/endpoints/nope/predictions`);
    expect(missing.status).toBe(404);
  });

  it('takes an entity id for every row from x-slipway-entity-id in any protocol, refusing a bad one', async () => {
    const res = await fetch(`${platform.url}/v1/endpoints/churn/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slipway-entity-id': 'u-9' },
      body: JSON.stringify({ dataframe_records: [{ tenure: 2 }] }),
    });
    expect(res.status).toBe(200);
    const [id] = (res.headers.get('x-slipway-prediction-ids') ?? '').split(',');
    await logged(4);
    const page = await get<PredictionPage>('/endpoints/churn/predictions?entityId=u-9');
    expect(page.predictions.map((p) => [p.predictionId, p.protocol])).toEqual([[id, 'mlflow']]);
    const bad = await fetch(`${platform.url}/v2/models/churn/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slipway-entity-id': 'x'.repeat(257) },
      body: JSON.stringify({ inputs: [{ name: 'tenure', shape: [1], datatype: 'FP64', data: [2] }] }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: expect.stringMatching(/x-slipway-entity-id/) });
  });
});

describe('failed requests in the log', () => {
  it('logs a refused predict request as one error record and counts it in the aggregate; a rate-limited one not', async () => {
    const created = await api('POST', '/endpoints', {
      name: 'churn-errors',
      model: { name: 'churn', version: '1' },
      rateLimit: { requestsPerSecond: 0.001, burst: 2 },
    });
    expect(created.status).toBe(201);
    const served = await post('/v1/endpoints/churn-errors/predict', { instances: [{ tenure: 3 }] });
    expect(served.status).toBe(200);
    const refused = await post('/v1/endpoints/churn-errors/predict', {
      instances: [{ tenure: 'ten' }, { tenure: 4 }],
      entity_ids: ['u-9', null],
      tags: { source: 'app' },
    });
    expect(refused.status).toBe(400);
    const error = refused.body['error'] as { code: string; message: string };
    expect(error.code).toBe('INVALID_ARGUMENT');
    // The burst is spent: refused before admission, so not logged.
    expect((await post('/v1/endpoints/churn-errors/predict', { instances: [{ tenure: 1 }] })).status).toBe(
      429,
    );

    let page: PredictionPage = { predictions: [] };
    await expect
      .poll(
        async () => {
          page = await get<PredictionPage>('/endpoints/churn-errors/predictions');
          return page.predictions.length;
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(2);
    const failures = await get<PredictionPage>('/endpoints/churn-errors/predictions?status=error');
    expect(failures.predictions).toHaveLength(1);
    expect(failures.predictions[0]).toMatchObject({
      endpoint: 'churn-errors',
      modelName: 'churn',
      modelVersion: '1',
      arm: 'live',
      protocol: 'slipway',
      input: { tenure: 'ten' },
      output: {},
      entityId: 'u-9',
      tags: { source: 'app' },
      error: { code: 'INVALID_ARGUMENT', message: error.message },
    });
    const ok = await get<PredictionPage>('/endpoints/churn-errors/predictions?status=ok');
    expect(ok.predictions.map((p) => p.predictionId)).toEqual(served.body['prediction_ids']);
    expect(ok.predictions[0]).not.toHaveProperty('error');

    // One bucket for the whole window: one served prediction and one failed request.
    const now = Date.now();
    const { buckets } = await get<{ buckets: AggregateBucket[] }>(
      `/endpoints/churn-errors/aggregates?from=${now - 3_600_000}&to=${now + 60_000}&bucket=3650d&predictionField=prediction`,
    );
    expect(buckets).toHaveLength(1);
    expect(buckets[0]).toMatchObject({ count: 1, errors: 1, errorRate: 0.5, labelled: 0 });
    expect(buckets[0]?.predictionMean).toBe(1);
    const bad = await fetch(`${platform.url}/api/v1/endpoints/churn-errors/predictions?status=failed`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { details: { field: string } } }).error.details.field).toBe(
      'status',
    );
  });
});
