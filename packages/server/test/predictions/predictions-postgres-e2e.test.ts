/**
 * The platform with its prediction log on PostgreSQL (`--prediction-log-uri postgresql://...`):
 * predictions served over HTTP land in the time-partitioned tables, and labels join them there.
 * Needs SLIPWAY_TEST_POSTGRES_URL; the log gets a fresh schema, dropped afterwards.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionPage } from '@slipway/contracts';
import { nativeApi } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';
import { dropTestSchema, TEST_POSTGRES_URL } from '../storage/backends.js';

const url = TEST_POSTGRES_URL;

describe.skipIf(url === undefined)('prediction log on PostgreSQL (needs SLIPWAY_TEST_POSTGRES_URL)', () => {
  const schema = `slipway_test_${randomBytes(6).toString('hex')}`;
  let platform: TestPlatform;
  const api = nativeApi(() => platform.app);

  beforeAll(async () => {
    const logUri = new URL(url ?? '');
    logUri.searchParams.set('schema', schema);
    platform = await startTestPlatform({ listen: true, flags: { predictionLogUri: logUri.toString() } });
    const spec = { kind: 'constant', task: 'regression', strategy: 'mean', prediction: 4 };
    expect((await api('POST', '/baselines', { name: 'demand', spec })).status).toBe(200);
    const created = await api('POST', '/endpoints', {
      name: 'demand',
      model: { name: 'demand', version: '1' },
    });
    expect(created.status).toBe(201);
  });
  afterAll(async () => {
    await platform.close();
    await dropTestSchema(url ?? '', schema);
  });

  it('logs served predictions there and joins labels', async () => {
    const res = await fetch(`${platform.url}/v1/endpoints/demand/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ t: 1 }, { t: 2 }], entity_id: 'store-9' }),
    });
    expect(res.status).toBe(200);
    const ids = ((await res.json()) as { prediction_ids: string[] }).prediction_ids;
    const labels = await fetch(`${platform.url}/v1/endpoints/demand/labels`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entity_id: 'store-9', label: 5 }),
    });
    // Written before the queue flushed the predictions: kept, and unmatched for now.
    expect(await labels.json()).toEqual({ stored: 1, matched: 0, unmatched: 1 });
    await expect
      .poll(
        async () => {
          const page = (await (
            await fetch(`${platform.url}/api/v1/endpoints/demand/predictions?labelled=true`)
          ).json()) as PredictionPage;
          return page.predictions.map((p) => [p.predictionId, p.entityId, p.label?.value]).sort();
        },
        { timeout: 10_000, interval: 100 },
      )
      .toEqual(ids.map((id) => [id, 'store-9', 5]).sort());
  });
});
