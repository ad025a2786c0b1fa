/**
 * A reference profile at registration, end to end over real HTTP: a run logs its training data as
 * an artifact and as an MLflow dataset input (context `training`), a version registered from the
 * run through MLflow's REST API gets that file's profile as its reference in the background, and a
 * training dataset that cannot be read leaves the registration untouched and a log line behind.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SlipwayClient } from '@slipway/sdk';
import type { Run } from '@slipway/contracts';
import { thinned, trainingDatasetUri } from '../../src/monitoring/registration-profile.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;

const ROWS = 240;

/** Training rows: the model's inputs, its label, and a column the contract does not know. */
const TRAINING = Array.from({ length: ROWS }, (_, i) => {
  const a = ((i * 37) % ROWS) / ROWS;
  const b = ((i * 91) % ROWS) / ROWS;
  return { a, b, label: a > b ? 1 : 0, note: i % 3 === 0 ? 'x' : 'y' };
});
const CSV = ['a,b,label,note', ...TRAINING.map((r) => `${r.a},${r.b},${r.label},${r.note}`)].join('\n');

/** POST to MLflow's REST API over the socket. */
async function mlflow(
  path: string,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${platform.url}/api/2.0/mlflow/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** A run holding the model package and the training CSV, with the dataset logged at `datasetPath`. */
async function trainedRun(datasetPath: string, context = 'training'): Promise<string> {
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([1, -1], 0));
  await client.artifacts.upload(runId, 'data/train.csv', new TextEncoder().encode(CSV));
  const dataset = {
    name: 'train',
    digest: runId.slice(0, 32), // one dataset per run: (name, digest) identifies a dataset in an experiment
    source_type: 'local',
    source: JSON.stringify({ uri: `runs:/${runId}/${datasetPath}` }),
  };
  const logged = await mlflow('runs/log-inputs', {
    run_id: runId,
    datasets: [{ tags: [{ key: 'mlflow.data.context', value: context }], dataset }],
  });
  expect(logged.status, JSON.stringify(logged.body)).toBe(200);
  return runId;
}

/** Registers a version of `model` from the run's package through MLflow's REST API. */
async function register(model: string, runId: string): Promise<string> {
  const created = await mlflow('model-versions/create', {
    name: model,
    source: `runs:/${runId}/model`,
    run_id: runId,
  });
  expect(created.status, JSON.stringify(created.body)).toBe(200);
  return (created.body['model_version'] as { version: string }).version;
}

/** GET the version's reference profile; waits up to 15 s for the background capture to store it. */
async function referenceOf(model: string, version: string): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${platform.url}/api/v1/monitoring/reference-profiles/${model}/${version}`);
    if (res.status === 200) return ((await res.json()) as { reference: Record<string, unknown> }).reference;
    expect(res.status).toBe(404);
    if (Date.now() > deadline) throw new Error(`${model}/${version} never got a reference profile`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url });
  expect((await mlflow('registered-models/create', { name: 'churn' })).status).toBe(200);
});

afterAll(async () => {
  vi.restoreAllMocks();
  await platform?.close();
});

describe('a reference profile at registration', () => {
  it('profiles the run’s training dataset as the new version’s reference (contract fields only)', async () => {
    const version = await register('churn', await trainedRun('data/train.csv'));
    const reference = await referenceOf('churn', version);
    expect(reference).toMatchObject({ model: 'churn', version, source: 'registration' });
    const profile = reference['profile'] as {
      version: number;
      rowCount: number;
      columns: Record<string, { kind: string; count: number; mean?: number; categories?: unknown }>;
    };
    expect(profile.version).toBe(2);
    expect(profile.rowCount).toBe(ROWS);
    // The contract reads a and b and answers label (its probabilities are not in the data); note is left out.
    expect(Object.keys(profile.columns).sort()).toEqual(['a', 'b', 'label']);
    const meanA = TRAINING.reduce((s, r) => s + r.a, 0) / ROWS;
    expect(profile.columns['a']).toMatchObject({ kind: 'numeric', count: ROWS });
    expect(Math.abs(profile.columns['a']!.mean! - meanA)).toBeLessThan(1e-12);

    // A monitor on that version runs against it without an evaluation or an upload.
    await client.endpoints.create({ name: 'churn', model: { name: 'churn', version } });
    await client.endpoints.predict(
      'churn',
      TRAINING.slice(0, 50).map(({ a, b }) => ({ a, b })),
    );
    const created = await fetch(`${platform.url}/api/v1/monitors`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'churn-drift',
        endpoint: 'churn',
        reference: { model: 'churn', version },
        checks: { drift: { columns: ['a', 'b'] } },
        window: { kind: 'rolling', durationMs: 3_600_000 },
      }),
    });
    expect(created.status).toBe(201);
    const deadline = Date.now() + 15_000;
    while ((await client.predictions.query('churn', { limit: 100 })).predictions.length < 50) {
      if (Date.now() > deadline) throw new Error('predictions never reached the log');
      await new Promise((r) => setTimeout(r, 100));
    }
    const ran = await fetch(`${platform.url}/api/v1/monitors/churn-drift/run`, { method: 'POST' });
    const run = ((await ran.json()) as { run: { state: string; statistics: { column?: string }[] } }).run;
    expect(run.state).toBe('succeeded');
    expect(run.statistics.map((s) => s.column)).toEqual(['a', 'b', undefined]);
  });

  it('registers the version when the training file cannot be read, and logs why it has no profile', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    });
    try {
      const version = await register('churn', await trainedRun('data/missing.csv'));
      const deadline = Date.now() + 15_000;
      while (!lines.some((l) => l.includes(`churn/${version} at registration failed`))) {
        if (Date.now() > deadline) throw new Error(`no log line; saw ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(lines.find((l) => l.includes('at registration failed'))).toContain('data/missing.csv');
      const res = await fetch(`${platform.url}/api/v1/monitoring/reference-profiles/churn/${version}`);
      expect(res.status).toBe(404);
      const got = await fetch(
        `${platform.url}/api/2.0/mlflow/model-versions/get?name=churn&version=${version}`,
      );
      expect(got.status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('trainingDatasetUri', () => {
  const run = (inputs: { context?: string; source: string }[]): Run => ({
    info: {} as Run['info'],
    data: { metrics: [], params: {}, tags: {} },
    inputs: {
      datasetInputs: inputs.map((i) => ({
        dataset: { name: 'd', digest: 'x', sourceType: 'local', source: i.source },
        tags: (i.context === undefined ? {} : { 'mlflow.data.context': i.context }) as Record<string, string>,
      })),
    },
  });

  it('takes the first training input whose source names a file in this store', () => {
    expect(
      trainingDatasetUri(
        run([
          { context: 'evaluation', source: '{"uri": "runs:/r/eval.csv"}' },
          { context: 'training', source: '{"uri": "s3://bucket/train.csv"}' },
          { context: 'training', source: 'not json' },
          { context: 'training', source: '{"uri": "mlflow-artifacts:/0/r/artifacts/train.parquet"}' },
        ]),
      ),
    ).toBe('mlflow-artifacts:/0/r/artifacts/train.parquet');
  });

  it('finds none without a training input, or with one outside the store', () => {
    expect(trainingDatasetUri(run([]))).toBeUndefined();
    expect(trainingDatasetUri(run([{ source: '{"uri": "runs:/r/train.csv"}' }]))).toBeUndefined();
    expect(
      trainingDatasetUri(run([{ context: 'training', source: '{"uri": "file:///tmp/train.csv"}' }])),
    ).toBeUndefined();
  });
});

describe('thinned', () => {
  it('keeps every k-th row in order so at most max remain, and small sets whole', () => {
    const rows = Array.from({ length: 10 }, (_, i) => i);
    expect(thinned(rows, 10)).toBe(rows);
    expect(thinned(rows, 4)).toEqual([0, 3, 6, 9]);
    expect(thinned(rows, 5)).toEqual([0, 2, 4, 6, 8]);
  });
});
