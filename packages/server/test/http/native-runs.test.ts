import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricBucketsResponse, WireMetric, WireRun } from '@slipway/contracts';
import { nativeApi } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let experimentId: string;

interface ErrorShape {
  code: string;
  message: string;
  details?: { field?: string };
}

const api = nativeApi(() => platform.app);

const errorOf = (body: Record<string, unknown>): ErrorShape => body['error'] as ErrorShape;
const runOf = (body: Record<string, unknown>): WireRun => body['run'] as WireRun;

async function createRun(extra: Record<string, unknown> = {}): Promise<WireRun> {
  const res = await api('POST', '/runs', { experimentId, ...extra });
  expect(res.status).toBe(201);
  return runOf(res.body);
}

beforeAll(async () => {
  platform = await startTestPlatform();
  const res = await api('POST', '/experiments', { name: 'runs-tests' });
  experimentId = (res.body['experiment'] as { experimentId: string }).experimentId;
});
afterAll(async () => {
  await platform.close();
});

describe('POST /runs and GET /runs/:runId', () => {
  it('creates a run (201) and reads it back', async () => {
    const run = await createRun({ runName: 'first', tags: { stage: 'dev' }, startTime: 1_700_000_000_000 });
    expect(run.info).toMatchObject({
      experimentId,
      runName: 'first',
      status: 'RUNNING',
      startTime: 1_700_000_000_000,
      endTime: null,
      lifecycleStage: 'active',
      artifactUri: `mlflow-artifacts:/${experimentId}/${run.info.runId}/artifacts`,
    });
    expect(run.info.runId).toMatch(/^[0-9a-f]{32}$/);
    expect(run.data.tags).toMatchObject({ stage: 'dev', 'mlflow.runName': 'first' });
    const read = await api('GET', `/runs/${run.info.runId}`);
    expect(read.status).toBe(200);
    expect(runOf(read.body)).toEqual(run);
  });

  it('answers 400 naming experimentId when missing, 404 for an unknown experiment', async () => {
    const missing = await api('POST', '/runs', {});
    expect(missing.status).toBe(400);
    expect(errorOf(missing.body)).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'experimentId' },
    });
    const unknown = await api('POST', '/runs', { experimentId: '999999' });
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body).details?.field).toBe('experimentId');
  });

  it('answers 400 when runName and the mlflow.runName tag disagree', async () => {
    const res = await api('POST', '/runs', { experimentId, runName: 'a', tags: { 'mlflow.runName': 'b' } });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.field).toBe('runName');
  });

  it('answers 404 for an unknown run and 400 for a malformed id', async () => {
    const unknown = await api('GET', `/runs/${'0'.repeat(32)}`);
    expect(unknown.status).toBe(404);
    expect(errorOf(unknown.body)).toMatchObject({ code: 'NOT_FOUND', details: { field: 'runId' } });
    const malformed = await api('GET', '/runs/not%20a%20run');
    expect(malformed.status).toBe(400);
    expect(errorOf(malformed.body).details?.field).toBe('runId');
  });
});

describe('PATCH, DELETE and restore /runs/:runId', () => {
  it('updates status, end time and name', async () => {
    const run = await createRun();
    const res = await api('PATCH', `/runs/${run.info.runId}`, {
      status: 'FINISHED',
      endTime: 1_700_000_005_000,
      runName: 'renamed',
    });
    expect(res.status).toBe(200);
    expect(runOf(res.body).info).toMatchObject({
      status: 'FINISHED',
      endTime: 1_700_000_005_000,
      runName: 'renamed',
    });
    expect(runOf(res.body).data.tags['mlflow.runName']).toBe('renamed');
  });

  it('answers 400 listing the allowed statuses', async () => {
    const run = await createRun();
    const res = await api('PATCH', `/runs/${run.info.runId}`, { status: 'DONE' });
    expect(res.status).toBe(400);
    expect(errorOf(res.body).details?.field).toBe('status');
    expect(errorOf(res.body).message).toContain('"FINISHED"');
    const negative = await api('PATCH', `/runs/${run.info.runId}`, { endTime: -1 });
    expect(errorOf(negative.body).details?.field).toBe('endTime');
  });

  it('soft-deletes (204), refuses writes to the deleted run (409) and restores', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}`;
    expect((await api('DELETE', url)).status).toBe(204);
    expect(runOf((await api('GET', url)).body).info.lifecycleStage).toBe('deleted');
    const write = await api('POST', `${url}/log`, { params: { a: '1' } });
    expect(write.status).toBe(409);
    expect(errorOf(write.body).code).toBe('FAILED_PRECONDITION');
    const restored = await api('POST', `${url}/restore`);
    expect(restored.status).toBe(200);
    expect(runOf(restored.body).info.lifecycleStage).toBe('active');
    expect((await api('DELETE', `/runs/${'f'.repeat(32)}`)).status).toBe(404);
  });
});

describe('POST /runs/:runId/log', () => {
  it('logs metrics (with non-finite values), params and tags (204)', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}`;
    const res = await api('POST', `${url}/log`, {
      metrics: [
        { key: 'loss', value: 1.5, timestamp: 1000, step: 0 },
        { key: 'loss', value: 'NaN', timestamp: 1001, step: 1 },
        { key: 'acc', value: 'Infinity', timestamp: 1002 },
        { key: 'train/f1', value: '-Infinity', step: 3 },
      ],
      params: { lr: '0.01' },
      tags: { note: 'hello' },
    });
    expect(res.status).toBe(204);
    const data = runOf((await api('GET', url)).body).data;
    const latest = Object.fromEntries(data.metrics.map((m) => [m.key, m.value]));
    expect(latest).toEqual({ loss: 'NaN', acc: 'Infinity', 'train/f1': '-Infinity' });
    expect(data.metrics.find((m) => m.key === 'acc')?.step).toBe(0);
    expect(data.params).toEqual({ lr: '0.01' });
    expect(data.tags['note']).toBe('hello');
  });

  it('answers 400 naming the offending metric field', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}/log`;
    const value = await api('POST', url, {
      metrics: [
        { key: 'ok', value: 1 },
        { key: 'm', value: 'abc' },
      ],
    });
    expect(value.status).toBe(400);
    expect(errorOf(value.body).details?.field).toBe('metrics[1].value');
    expect(errorOf(value.body).message).toBe(
      `Invalid value for 'metrics[1].value': expected a number or one of "NaN", "Infinity", "-Infinity".`,
    );
    const key = await api('POST', url, { metrics: [{ value: 1 }] });
    expect(errorOf(key.body)).toMatchObject({ message: "Missing required field 'metrics[0].key'." });
    const badKey = await api('POST', url, { metrics: [{ key: '../escape', value: 1 }] });
    expect(badKey.status).toBe(400);
    expect(errorOf(badKey.body).details?.field).toBe('metrics[0].key');
  });

  it('answers 400 for batches over the limits', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}/log`;
    const metrics = Array.from({ length: 1001 }, (_, i) => ({ key: 'm', value: i, step: i }));
    const tooManyMetrics = await api('POST', url, { metrics });
    expect(tooManyMetrics.status).toBe(400);
    expect(errorOf(tooManyMetrics.body).details?.field).toBe('metrics');
    const params = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`p${i}`, 'v']));
    const tooManyParams = await api('POST', url, { params });
    expect(tooManyParams.status).toBe(400);
    expect(errorOf(tooManyParams.body).details?.field).toBe('params');
  });

  it('answers 400 naming the param when it is logged again with another value', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}/log`;
    expect((await api('POST', url, { params: { lr: '0.1' } })).status).toBe(204);
    expect((await api('POST', url, { params: { lr: '0.1' } })).status).toBe(204);
    const conflict = await api('POST', url, { params: { lr: '0.2' } });
    expect(conflict.status).toBe(400);
    expect(errorOf(conflict.body).details?.field).toBe('params.lr');
  });

  it('answers 404 for an unknown run', async () => {
    const res = await api('POST', `/runs/${'a'.repeat(32)}/log`, { tags: { a: 'b' } });
    expect(res.status).toBe(404);
  });
});

describe('run tags and inputs', () => {
  it('sets (204) and deletes (204) a tag; 404 for an absent tag', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}/tags/${encodeURIComponent('a/b')}`;
    expect((await api('PUT', url, { value: 'v' })).status).toBe(204);
    expect(runOf((await api('GET', `/runs/${run.info.runId}`)).body).data.tags['a/b']).toBe('v');
    expect((await api('DELETE', url)).status).toBe(204);
    expect(runOf((await api('GET', `/runs/${run.info.runId}`)).body).data.tags['a/b']).toBeUndefined();
    expect((await api('DELETE', url)).status).toBe(404);
    const noValue = await api('PUT', url, { val: 'x' });
    expect(noValue.status).toBe(400);
  });

  it('setting mlflow.runName renames the run', async () => {
    const run = await createRun();
    await api('PUT', `/runs/${run.info.runId}/tags/mlflow.runName`, { value: 'via-tag' });
    expect(runOf((await api('GET', `/runs/${run.info.runId}`)).body).info.runName).toBe('via-tag');
  });

  it('records dataset inputs (204) and validates them (400 naming the field)', async () => {
    const run = await createRun();
    const url = `/runs/${run.info.runId}/inputs`;
    const dataset = { name: 'mnist', digest: 'abc123', sourceType: 'local', source: '{"uri":"/d"}' };
    const ok = await api('POST', url, { datasets: [{ dataset, tags: { 'mlflow.data.context': 'train' } }] });
    expect(ok.status).toBe(204);
    const inputs = runOf((await api('GET', `/runs/${run.info.runId}`)).body).inputs.datasetInputs;
    expect(inputs).toEqual([{ dataset, tags: { 'mlflow.data.context': 'train' } }]);
    const bad = await api('POST', url, { datasets: [{ dataset: { ...dataset, name: undefined } }] });
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body).details?.field).toBe('datasets[0].dataset.name');
  });
});

describe('POST /runs/search', () => {
  let searchExperiment: string;
  beforeAll(async () => {
    const res = await api('POST', '/experiments', { name: 'search-tests' });
    searchExperiment = (res.body['experiment'] as { experimentId: string }).experimentId;
    for (const [name, acc] of [
      ['r1', 0.5],
      ['r2', 0.9],
      ['r3', 0.7],
    ] as const) {
      const run = runOf((await api('POST', '/runs', { experimentId: searchExperiment, runName: name })).body);
      await api('POST', `/runs/${run.info.runId}/log`, { metrics: [{ key: 'acc', value: acc }] });
    }
  });

  it('filters and orders', async () => {
    const res = await api('POST', '/runs/search', {
      experimentIds: [searchExperiment],
      filter: 'metrics.acc > 0.6',
      orderBy: ['metrics.acc DESC'],
    });
    expect(res.status).toBe(200);
    expect((res.body['runs'] as WireRun[]).map((r) => r.info.runName)).toEqual(['r2', 'r3']);
  });

  it('pages with maxResults and pageToken', async () => {
    const body = { experimentIds: [searchExperiment], orderBy: ['attributes.run_name'], maxResults: 2 };
    const first = await api('POST', '/runs/search', body);
    expect((first.body['runs'] as WireRun[]).map((r) => r.info.runName)).toEqual(['r1', 'r2']);
    const second = await api('POST', '/runs/search', { ...body, pageToken: first.body['nextPageToken'] });
    expect((second.body['runs'] as WireRun[]).map((r) => r.info.runName)).toEqual(['r3']);
  });

  it('answers 400 naming the field', async () => {
    const empty = await api('POST', '/runs/search', { experimentIds: [] });
    expect(empty.status).toBe(400);
    expect(errorOf(empty.body).details?.field).toBe('experimentIds');
    const badId = await api('POST', '/runs/search', { experimentIds: ['ok', 'bad id'] });
    expect(errorOf(badId.body).details?.field).toBe('experimentIds[1]');
    const order = await api('POST', '/runs/search', {
      experimentIds: [searchExperiment],
      orderBy: ['nonsense.x'],
    });
    expect(order.status).toBe(400);
    expect(errorOf(order.body).details?.field).toBe('orderBy[0]');
    const filter = await api('POST', '/runs/search', {
      experimentIds: [searchExperiment],
      filter: 'metrics.acc >',
    });
    expect(filter.status).toBe(400);
    expect(errorOf(filter.body).details?.field).toBe('filter');
  });
});

describe('GET /runs/:runId/metrics/:key/history', () => {
  it('returns the whole history in order, or pages of it', async () => {
    const run = await createRun();
    const metrics = [3, 1, 2, 0].map((step) => ({
      key: 'train/loss',
      value: step === 2 ? 'NaN' : step,
      step,
      timestamp: 10 + step,
    }));
    await api('POST', `/runs/${run.info.runId}/log`, { metrics });
    const url = `/runs/${run.info.runId}/metrics/${encodeURIComponent('train/loss')}/history`;
    const all = await api('GET', url);
    expect(all.status).toBe(200);
    expect((all.body['metrics'] as WireMetric[]).map((m) => [m.step, m.value])).toEqual([
      [0, 0],
      [1, 1],
      [2, 'NaN'],
      [3, 3],
    ]);
    expect(all.body['nextPageToken']).toBeUndefined();
    const page = await api('GET', `${url}?maxResults=3`);
    expect((page.body['metrics'] as WireMetric[]).map((m) => m.step)).toEqual([0, 1, 2]);
    const rest = await api('GET', `${url}?maxResults=3&pageToken=${String(page.body['nextPageToken'])}`);
    expect((rest.body['metrics'] as WireMetric[]).map((m) => m.step)).toEqual([3]);
  });

  it('answers 404 for an unknown run and 400 for bad paging', async () => {
    expect((await api('GET', `/runs/${'b'.repeat(32)}/metrics/loss/history`)).status).toBe(404);
    const run = await createRun();
    const bad = await api('GET', `/runs/${run.info.runId}/metrics/loss/history?maxResults=abc`);
    expect(bad.status).toBe(400);
    expect(errorOf(bad.body).details?.field).toBe('maxResults');
    const token = await api('GET', `/runs/${run.info.runId}/metrics/loss/history?pageToken=xyz!`);
    expect(token.status).toBe(400);
    expect(errorOf(token.body).details?.field).toBe('pageToken');
  });
});

describe('GET /runs/:runId/metrics/:key/buckets', () => {
  it('reduces a long history to min/max/first/last per bucket, keeping a spike', async () => {
    const run = await createRun();
    for (let start = 0; start < 3000; start += 1000) {
      const metrics = Array.from({ length: 1000 }, (_, i) => {
        const step = start + i;
        return {
          key: 'val/loss',
          value: step === 1234 ? 'Infinity' : step === 2345 ? -5 : 1 / (1 + step),
          step,
          timestamp: 1_000_000 + step,
        };
      });
      expect((await api('POST', `/runs/${run.info.runId}/log`, { metrics })).status).toBe(204);
    }
    const url = `/runs/${run.info.runId}/metrics/${encodeURIComponent('val/loss')}/buckets`;
    const res = await api('GET', `${url}?buckets=100`);
    expect(res.status).toBe(200);
    const body = res.body as unknown as MetricBucketsResponse;
    expect(body).toMatchObject({ key: 'val/loss', axis: 'step', total: 3000, downsampled: true });
    expect(body.buckets).toHaveLength(100);
    expect(body.buckets.reduce((n, b) => n + b.count, 0)).toBe(3000);
    expect(body.buckets.find((b) => b.max.value === 'Infinity')?.max.step).toBe(1234);
    expect(body.buckets.find((b) => b.min.value === -5)?.min.step).toBe(2345);
    expect(body.buckets[0]!.first).toEqual({ step: 0, timestamp: 1_000_000, value: 1 });

    const zoomed = (await api('GET', `${url}?buckets=100&axis=time&from=1001000&to=1001049`)).body;
    expect(zoomed).toMatchObject({ axis: 'time', total: 50, downsampled: false });
  });

  it('answers 404 for an unknown run and 400 naming the bad field', async () => {
    expect((await api('GET', `/runs/${'c'.repeat(32)}/metrics/loss/buckets`)).status).toBe(404);
    const run = await createRun();
    const none = await api('GET', `/runs/${run.info.runId}/metrics/loss/buckets`);
    expect(none.body).toMatchObject({ total: 0, buckets: [] });
    for (const [query, field] of [
      ['buckets=0', 'buckets'],
      ['buckets=10001', 'buckets'],
      ['axis=wall', 'axis'],
      ['from=5&to=1', 'from'],
    ]) {
      const bad = await api('GET', `/runs/${run.info.runId}/metrics/loss/buckets?${query}`);
      expect(bad.status, query).toBe(400);
      expect(errorOf(bad.body).details?.field, query).toBe(field);
    }
  });
});
