import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
  SlipwayClient,
  type SlipwayApiError,
} from '@slipway/sdk';
import {
  LOGISTIC_AB_MANIFEST as MANIFEST,
  logisticClassifierOnnx,
} from '../../server/test/helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../../server/test/helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;

/** Version 1 says label 1 for (a=1, b=0), version 2 says label 0. */
const WEIGHTS: [number, number][] = [
  [2, -1],
  [-1, 3],
];

async function registerVersion(weights: [number, number]): Promise<string> {
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(weights, 0));
  const version = await client.models.register({ name: 'scorer', source: `runs:/${runId}/model`, runId });
  return version.version;
}

async function caught(promise: Promise<unknown>): Promise<SlipwayApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return error as SlipwayApiError;
}

beforeAll(async () => {
  // In-process, on a real socket: control and data plane both go through fetch.
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url, user: 'sdk-tester' });
  for (const weights of WEIGHTS) await registerVersion(weights);
  await client.models.setAlias('scorer', 'champion', 1);
});
afterAll(async () => {
  await platform?.close();
});

describe('endpoints control plane', () => {
  it('create, get, list, update (canary, rollback, batching) and delete', async () => {
    const created = await client.endpoints.create({
      name: 'crud',
      model: { name: 'scorer', alias: 'champion' },
      description: 'first',
    });
    expect(created).toMatchObject({ name: 'crud', revision: 1, createdBy: 'sdk-tester' });
    expect(await client.endpoints.get('crud')).toEqual(created);

    const withCanary = await client.endpoints.update('crud', {
      canary: { model: { name: 'scorer', version: '2' }, percent: 25 },
      batching: { maxBatchSize: 32 },
    });
    expect(withCanary.revision).toBe(2);
    expect(withCanary.canary).toEqual({ model: { name: 'scorer', version: '2' }, percent: 25 });
    expect(withCanary.batching).toEqual({ maxBatchSize: 32 });

    const rolledBack = await client.endpoints.update('crud', { canary: null, batching: null });
    expect(rolledBack.canary).toBeUndefined();
    expect(rolledBack.batching).toBeUndefined();
    expect(rolledBack.description).toBe('first');

    expect((await client.endpoints.list()).map((e) => e.name)).toContain('crud');
    await client.endpoints.delete('crud');
    expect(await caught(client.endpoints.get('crud'))).toBeInstanceOf(NotFoundError);
    expect((await client.endpoints.list()).map((e) => e.name)).not.toContain('crud');
  });

  it('maps refusals to typed errors', async () => {
    await client.endpoints.create({ name: 'dup', model: { name: 'scorer', version: '1' } });
    expect(
      await caught(client.endpoints.create({ name: 'dup', model: { name: 'scorer', version: '1' } })),
    ).toBeInstanceOf(AlreadyExistsError);
    expect(
      await caught(
        client.endpoints.create({ name: 'ghost', model: { name: 'no-such-model', version: '1' } }),
      ),
    ).toBeInstanceOf(NotFoundError);
    expect(await caught(client.endpoints.delete('ghost'))).toBeInstanceOf(NotFoundError);
  });
});

describe('endpoints.predict', () => {
  beforeAll(async () => {
    await client.endpoints.create({ name: 'live', model: { name: 'scorer', alias: 'champion' } });
  });

  it('predicts row objects and columns with the typed snake_case response', async () => {
    const rows = await client.endpoints.predict('live', [
      { a: 1, b: 0 },
      { a: -1, b: 0 },
    ]);
    expect(rows).toMatchObject({ endpoint: 'live', model_name: 'scorer', model_version: '1', arm: 'live' });
    expect(rows.prediction_ids).toHaveLength(2);
    expect(rows.predictions.map((p) => p['label'])).toEqual([1, 0]);
    expect(rows.warnings).toBeUndefined();

    const columns = await client.endpoints.predict('live', { inputs: { a: [1, -1], b: [0, 0] } });
    expect(columns.predictions.map((p) => p['label'])).toEqual([1, 0]);
  });

  it('routes a routing key to the same arm every time', async () => {
    await client.endpoints.update('live', {
      canary: { model: { name: 'scorer', version: '2' }, percent: 50 },
    });
    const arms = new Map<string, Set<string>>();
    for (let i = 0; i < 40; i++) {
      const key = `user-${i % 8}`;
      const answer = await client.endpoints.predict('live', [{ a: 1, b: 0 }], { routingKey: key });
      expect(answer.model_version).toBe(answer.arm === 'canary' ? '2' : '1');
      arms.set(key, (arms.get(key) ?? new Set()).add(answer.arm));
    }
    for (const seen of arms.values()) expect(seen.size).toBe(1);
    await client.endpoints.update('live', { canary: null });
    const after = await client.endpoints.predict('live', [{ a: 1, b: 0 }], { routingKey: 'user-0' });
    expect(after).toMatchObject({ arm: 'live', model_version: '1' });
  });

  it('refusals are typed errors naming the field; unknown endpoints are NotFoundError', async () => {
    const bad = await caught(
      client.endpoints.predict('live', [
        { a: 1, b: 0 },
        { a: 'x', b: 0 },
      ]),
    );
    expect(bad).toBeInstanceOf(InvalidArgumentError);
    expect(bad.details.field).toMatch(/^instances\[1\]\.a/);
    expect(await caught(client.endpoints.predict('nope', [{ a: 1, b: 0 }]))).toBeInstanceOf(NotFoundError);
  });

  it('sends the request id it is given', async () => {
    const seen: string[] = [];
    const traced = new SlipwayClient({
      url: platform.url,
      fetch: async (input, init) => {
        const response = await fetch(input, init);
        seen.push(response.headers.get('x-request-id') ?? '');
        return response;
      },
    });
    await traced.endpoints.predict('live', [{ a: 0, b: 0 }], { requestId: 'req-42' });
    expect(seen).toEqual(['req-42']);
  });
});
