/**
 * Evolving API versions end to end: an endpoint publishes v1 of its contract, a new model renames
 * an input, adds one and renames the output; the switch is refused until an adapter keeps v1
 * working, after which v1 and v2 are served side by side with Deprecation/Sunset headers on v1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ModelContract } from '@slipway/contracts';
import { nativeApi, type NativeReply } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
const api = nativeApi(() => platform.app);

function ok(reply: NativeReply, status = 200): Record<string, unknown> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply.body;
}

const V1: ModelContract = {
  inputs: { kind: 'columns', fields: [{ name: 'amount', type: 'float64', nullable: false }] },
  outputs: { kind: 'columns', fields: [{ name: 'prediction', type: 'int64', nullable: false }] },
  source: 'declared',
};

const V2: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount_eur', type: 'float64', nullable: false },
      { name: 'country', type: 'string', nullable: false },
    ],
  },
  outputs: { kind: 'columns', fields: [{ name: 'score', type: 'int64', nullable: false }] },
  source: 'declared',
};

const DEPRECATED_AT = Date.UTC(2026, 0, 1);
const SUNSET_AT = Date.UTC(2099, 0, 1);

async function predict(apiVersion: string, rows: unknown[]): Promise<Response> {
  return fetch(`${platform.url}/v1/endpoints/score/apis/${apiVersion}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: rows }),
  });
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  ok(
    await api('POST', '/baselines', {
      name: 'score',
      spec: { kind: 'rules', rules: [{ when: 'amount > 10', then: 1 }], default: 0 },
      contract: V1,
    }),
  );
  ok(
    await api('POST', '/baselines', {
      name: 'score',
      spec: {
        kind: 'rules',
        rules: [{ when: "amount_eur > 10 and country = 'FR'", then: { score: 1 } }],
        default: { score: 0 },
      },
      contract: V2,
    }),
  );
  ok(
    await api('POST', '/endpoints', {
      name: 'score',
      model: { name: 'score', version: '1' },
      apiVersions: [{ name: 'v1', contract: V1 }],
    }),
    201,
  );
});
afterAll(async () => {
  await platform.close();
});

describe('API versions', () => {
  it('serves v1 by its published contract and validates against it', async () => {
    const res = await predict('v1', [{ amount: 20 }, { amount: 3 }]);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-slipway-api-version')).toBe('v1');
    expect(res.headers.get('deprecation')).toBeNull();
    expect(((await res.json()) as { predictions: unknown[] }).predictions).toEqual([
      { prediction: 1 },
      { prediction: 0 },
    ]);
    const bad = await predict('v1', [{ amount: 'x' }]);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { details: { field: 'instances[0].amount' } } });
    expect((await predict('v9', [{ amount: 1 }])).status).toBe(404);
  });

  it('refuses a model whose contract breaks a published version without an adapter', async () => {
    const reply = await api('PATCH', '/endpoints/score', { model: { name: 'score', version: '2' } });
    expect(reply.status).toBe(409);
    expect(reply.body).toMatchObject({
      error: { code: 'FAILED_PRECONDITION', details: { field: 'apiVersions', apiVersion: 'v1' } },
    });
    const still = await predict('v1', [{ amount: 20 }]);
    expect(((await still.json()) as { model_version: string }).model_version).toBe('1');
  });

  it('keeps v1 working through an adapter and serves v2 beside it, with lifecycle headers on v1', async () => {
    ok(
      await api('PATCH', '/endpoints/score', {
        model: { name: 'score', version: '2' },
        apiVersions: [
          {
            name: 'v1',
            contract: V1,
            adapter: {
              renameInputs: { amount: 'amount_eur' },
              defaults: { country: 'FR' },
              renameOutputs: { score: 'prediction' },
            },
            deprecatedAt: DEPRECATED_AT,
            sunsetAt: SUNSET_AT,
          },
          { name: 'v2', contract: V2 },
        ],
      }),
    );
    const v1 = await predict('v1', [{ amount: 20 }, { amount: 3 }]);
    expect(v1.status).toBe(200);
    expect(v1.headers.get('deprecation')).toBe(`@${DEPRECATED_AT / 1000}`);
    expect(v1.headers.get('sunset')).toBe(new Date(SUNSET_AT).toUTCString());
    const v1Body = (await v1.json()) as { model_version: string; predictions: unknown[] };
    expect(v1Body.model_version).toBe('2');
    expect(v1Body.predictions).toEqual([{ prediction: 1 }, { prediction: 0 }]);

    const v2 = await predict('v2', [
      { amount_eur: 20, country: 'DE' },
      { amount_eur: 20, country: 'FR' },
    ]);
    expect(v2.headers.get('deprecation')).toBeNull();
    expect(((await v2.json()) as { predictions: unknown[] }).predictions).toEqual([
      { score: 0 },
      { score: 1 },
    ]);
    const missing = await predict('v2', [{ amount_eur: 20 }]);
    expect(await missing.json()).toMatchObject({ error: { details: { field: 'instances[0].country' } } });
  });

  it('serves the published versions over MLflow scoring and OIP v2 too', async () => {
    const post = (path: string, body: unknown): Promise<Response> =>
      fetch(`${platform.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const mlflow = await post('/v1/endpoints/score/apis/v1/invocations', {
      dataframe_split: { columns: ['amount'], data: [[20], [3]] },
    });
    expect(mlflow.status).toBe(200);
    expect(mlflow.headers.get('x-slipway-api-version')).toBe('v1');
    expect(mlflow.headers.get('deprecation')).toBe(`@${DEPRECATED_AT / 1000}`);
    expect(mlflow.headers.get('x-slipway-prediction-ids')?.split(',')).toHaveLength(2);
    // One output column: MLflow's scoring server answers bare values.
    expect(await mlflow.json()).toEqual({ predictions: [1, 0] });
    const mlflowBad = await post('/v1/endpoints/score/apis/v1/invocations', {
      dataframe_records: [{ amount_eur: 20 }],
    });
    expect(mlflowBad.status).toBe(400);
    expect(await mlflowBad.json()).toMatchObject({ error_code: 'BAD_REQUEST' });

    const oip = await post('/v2/models/score/versions/v1/infer', {
      inputs: [{ name: 'amount', shape: [2], datatype: 'FP64', data: [20, 3] }],
    });
    expect(oip.status).toBe(200);
    const oipBody = (await oip.json()) as {
      model_version: string;
      outputs: { name: string; data: unknown[] }[];
    };
    expect(oipBody.model_version).toBe('v1');
    expect(oipBody.outputs).toEqual([expect.objectContaining({ name: 'prediction', data: [1, 0] })]);
    const meta = (await (await fetch(`${platform.url}/v2/models/score/versions/v2`)).json()) as {
      versions: string[];
      inputs: { name: string }[];
    };
    expect(meta.versions).toEqual(['v2']);
    expect(meta.inputs.map((input) => input.name)).toEqual(['amount_eur', 'country']);
    const unknown = await post('/v2/models/score/versions/v9/infer', { inputs: [] });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ error: expect.stringMatching(/no API version 'v9'/) });
  });
});
