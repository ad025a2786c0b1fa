import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayClient, type Metric } from '@slipway/sdk';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/server-process.js';

let server: ServerProcess;
let client: SlipwayClient;

beforeAll(async () => {
  server = await startServerProcess();
  client = new SlipwayClient({ url: server.url });
});
afterAll(async () => {
  await server?.stop();
});

describe('experiments', () => {
  it('create, get, getByName, search, rename, tag, delete and restore', async () => {
    const created = await client.experiments.create({ name: 'flows/exp', tags: { team: 'a' } });
    expect(created).toMatchObject({ name: 'flows/exp', lifecycleStage: 'active', tags: { team: 'a' } });
    expect(await client.experiments.get(created.experimentId)).toEqual(created);
    expect(await client.experiments.getByName('flows/exp')).toEqual(created);

    await client.experiments.create({ name: 'flows/other' });
    const page = await client.experiments.search({ filter: "name LIKE 'flows/%'", orderBy: ['name DESC'] });
    expect(page.experiments.map((e) => e.name)).toEqual(['flows/other', 'flows/exp']);
    const first = await client.experiments.search({
      filter: "name LIKE 'flows/%'",
      orderBy: ['name'],
      maxResults: 1,
    });
    expect(first.nextPageToken).toBeTypeOf('string');
    const second = await client.experiments.search({
      filter: "name LIKE 'flows/%'",
      orderBy: ['name'],
      maxResults: 1,
      pageToken: first.nextPageToken,
    });
    expect(second.experiments.map((e) => e.name)).toEqual(['flows/other']);

    const renamed = await client.experiments.rename(created.experimentId, 'flows/renamed');
    expect(renamed.name).toBe('flows/renamed');

    await client.experiments.setTag(created.experimentId, 'stage/env', 'prod');
    expect((await client.experiments.get(created.experimentId)).tags).toEqual({
      team: 'a',
      'stage/env': 'prod',
    });
    await client.experiments.deleteTag(created.experimentId, 'stage/env');
    expect((await client.experiments.get(created.experimentId)).tags).toEqual({ team: 'a' });

    await client.experiments.delete(created.experimentId);
    const deleted = await client.experiments.search({ viewType: 'DELETED_ONLY' });
    expect(deleted.experiments.map((e) => e.experimentId)).toContain(created.experimentId);
    expect((await client.experiments.restore(created.experimentId)).lifecycleStage).toBe('active');
  });
});

describe('runs', () => {
  it('logs data, reads it back with NaN/Infinity decoded, updates, searches, deletes and restores', async () => {
    const { experimentId } = await client.experiments.create({ name: 'flows-runs' });
    const run = await client.runs.create({ experimentId, runName: 'alpha', tags: { owner: 'ana' } });
    const runId = run.info.runId;
    expect(run.info).toMatchObject({ runName: 'alpha', status: 'RUNNING', endTime: null });

    await client.runs.logBatch(runId, {
      metrics: [
        { key: 'loss', value: 0.5, step: 0, timestamp: 1 },
        { key: 'loss', value: Number.NaN, step: 1, timestamp: 2 },
      ],
      params: { lr: '0.01' },
      tags: { phase: 'train' },
    });
    await client.runs.logMetric(runId, 'acc', Number.POSITIVE_INFINITY, { step: 2 });
    await client.runs.logMetric(runId, 'neg', Number.NEGATIVE_INFINITY);
    await client.runs.logParam(runId, 'epochs', 10);
    await client.runs.setTag(runId, 'temp', 'x');
    await client.runs.deleteTag(runId, 'temp');
    const dataset = { name: 'mnist', digest: 'd1', sourceType: 'local', source: '{}' };
    await client.runs.logInputs(runId, [{ dataset, tags: { 'mlflow.data.context': 'train' } }]);

    const read = await client.runs.get(runId);
    const latest = Object.fromEntries(read.data.metrics.map((m) => [m.key, m.value]));
    expect(latest['loss']).toBeNaN();
    expect(latest['acc']).toBe(Number.POSITIVE_INFINITY);
    expect(latest['neg']).toBe(Number.NEGATIVE_INFINITY);
    expect(read.data.params).toEqual({ lr: '0.01', epochs: '10' });
    expect(read.data.tags).toMatchObject({ owner: 'ana', phase: 'train' });
    expect(read.data.tags['temp']).toBeUndefined();
    expect(read.inputs.datasetInputs).toEqual([{ dataset, tags: { 'mlflow.data.context': 'train' } }]);

    const history: Metric[] = [];
    for await (const point of client.runs.metricHistory(runId, 'loss', { pageSize: 1 })) history.push(point);
    expect(history.map((m) => m.step)).toEqual([0, 1]);
    expect(history[1]?.value).toBeNaN();

    const ended = await client.runs.update(runId, { status: 'FINISHED', endTime: 5000, runName: 'alpha-2' });
    expect(ended.info).toMatchObject({ status: 'FINISHED', endTime: 5000, runName: 'alpha-2' });

    await client.runs.create({ experimentId, runName: 'beta' });
    const searched = await client.runs.search({
      experimentIds: [experimentId],
      orderBy: ['attributes.run_name DESC'],
    });
    expect(searched.runs.map((r) => r.info.runName)).toEqual(['beta', 'alpha-2']);
    const filtered = await client.runs.search({
      experimentIds: [experimentId],
      filter: "params.lr = '0.01'",
    });
    expect(filtered.runs.map((r) => r.info.runId)).toEqual([runId]);

    await client.runs.delete(runId);
    expect((await client.runs.get(runId)).info.lifecycleStage).toBe('deleted');
    expect((await client.runs.restore(runId)).info.lifecycleStage).toBe('active');
  });
});
