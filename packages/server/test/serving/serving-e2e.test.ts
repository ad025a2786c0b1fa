/**
 * Online serving end to end on a real socket: real ONNX Runtime models registered in the registry,
 * an endpoint on an alias, the three protocols, validation refusals, sticky canary proportions,
 * rollback, shadows in the prediction log, and a zero-failure hot swap under concurrent load.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import type { Endpoint } from '@slipway/contracts';
import { nativeApi, type NativeReply } from '../helpers/native-api.js';
import { logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
const api = nativeApi(() => platform.app);

const WEIGHTS: Record<string, [number, number]> = { '1': [2, -1], '2': [-1, 3] };

/** p(1) of the logistic model of `version` on (a, b), as float32 math rounds it. */
function p1(version: string, a: number, b: number): number {
  const [wa, wb] = WEIGHTS[version] ?? [0, 0];
  return 1 / (1 + Math.exp(-(Math.fround(a) * wa + Math.fround(b) * wb)));
}

const MANIFEST = `format_version: 1
runtime: onnx
entry_point: model.onnx
contract:
  inputs:
    kind: columns
    fields:
      - { name: a, type: float32 }
      - { name: b, type: float32, range: { min: -10, max: 10 } }
  outputs:
    kind: tensors
    fields:
      - { name: label, type: int64, shape: [-1] }
      - { name: probabilities, type: float32, shape: [-1, 2] }
`;

function ok(reply: NativeReply, status = 200): Record<string, unknown> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply.body;
}

async function upload(runId: string, path: string, content: string | Uint8Array): Promise<void> {
  const res = await platform.app.inject({
    method: 'PUT',
    url: `/api/v1/runs/${runId}/artifacts/${path}`,
    payload: Buffer.from(content),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.statusCode, res.body).toBe(201);
}

async function registerVersion(version: string): Promise<void> {
  const run = ok(await api('POST', '/runs', { experimentId: '0' }), 201)['run'] as {
    info: { runId: string };
  };
  const runId = run.info.runId;
  await upload(runId, 'model/slipway.yaml', MANIFEST);
  await upload(runId, 'model/model.onnx', logisticClassifierOnnx(WEIGHTS[version] ?? [0, 0], 0));
  const body = ok(
    await api('POST', '/models/register', { name: 'fraud', source: `runs:/${runId}/model`, runId }),
    201,
  );
  expect((body['modelVersion'] as { version: string }).version).toBe(version);
}

interface HttpReply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
  const res = await fetch(`${platform.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    headers: res.headers,
  };
}

async function get(path: string): Promise<HttpReply> {
  const res = await fetch(`${platform.url}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

interface SlipwayAnswer {
  model_version: string;
  arm: string;
  prediction_ids: string[];
  predictions: { label: number; probabilities: number[] }[];
  warnings?: { row: number; field: string }[];
}

async function predict(body: unknown, headers?: Record<string, string>): Promise<SlipwayAnswer> {
  const res = await post('/v1/endpoints/fraud/predict', body, headers);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as unknown as SlipwayAnswer;
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  await registerVersion('1');
  await registerVersion('2');
  ok(await api('PUT', '/models/fraud/aliases/champion', { version: '1' }));
  ok(await api('POST', '/endpoints', { name: 'fraud', model: { name: 'fraud', alias: 'champion' } }), 201);
});
afterAll(async () => {
  await platform.close();
});

describe('protocols', () => {
  const rows = [
    { a: 0.5, b: 0.2 },
    { a: -1, b: 0.7 },
    { a: 0.1, b: 0.1 },
  ];

  it('Slipway JSON: rows in, labels and probabilities out, one prediction id per row', async () => {
    const answer = await predict({ instances: rows });
    expect(answer.model_version).toBe('1');
    expect(answer.arm).toBe('live');
    expect(new Set(answer.prediction_ids).size).toBe(3);
    answer.predictions.forEach((p, i) => {
      const expected = p1('1', rows[i]?.a ?? 0, rows[i]?.b ?? 0);
      expect(p.probabilities[1]).toBeCloseTo(expected, 6);
      expect(p.label).toBe(expected > 0.5 ? 1 : 0);
    });
    const columnar = await predict({ inputs: { a: rows.map((r) => r.a), b: rows.map((r) => r.b) } });
    expect(columnar.predictions).toEqual(answer.predictions);
  });

  it('Open Inference Protocol v2: health, metadata, infer', async () => {
    expect((await get('/v2/health/live')).body).toEqual({ live: true });
    const metadata = await get('/v2/models/fraud');
    expect(metadata.body).toMatchObject({
      name: 'fraud',
      versions: ['1'],
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [-1] },
        { name: 'b', datatype: 'FP32', shape: [-1] },
      ],
    });
    expect((await get('/v2/models/fraud/ready')).status).toBe(200);
    const res = await post('/v2/models/fraud/infer', {
      id: 'req-1',
      inputs: [
        { name: 'a', shape: [3], datatype: 'FP32', data: rows.map((r) => r.a) },
        { name: 'b', shape: [3], datatype: 'FP32', data: rows.map((r) => r.b) },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ model_name: 'fraud', model_version: '1', id: 'req-1' });
    const outputs = res.body['outputs'] as {
      name: string;
      datatype: string;
      shape: number[];
      data: number[];
    }[];
    const probabilities = outputs.find((o) => o.name === 'probabilities');
    expect(probabilities?.shape).toEqual([3, 2]);
    expect(probabilities?.datatype).toBe('FP32');
    expect(probabilities?.data[1]).toBeCloseTo(p1('1', 0.5, 0.2), 6);
    expect(outputs.find((o) => o.name === 'label')).toMatchObject({ datatype: 'INT64', shape: [3] });
    const ids = (res.body['parameters'] as { prediction_ids: string[] }).prediction_ids;
    expect(ids).toHaveLength(3);
  });

  it('MLflow /invocations: the four input formats give the same predictions', async () => {
    const bodies = [
      { dataframe_split: { columns: ['a', 'b'], data: rows.map((r) => [r.a, r.b]) } },
      { dataframe_records: rows },
      { instances: rows },
      { inputs: { a: rows.map((r) => r.a), b: rows.map((r) => r.b) } },
    ];
    const answers = [];
    for (const body of bodies) {
      const res = await post('/v1/endpoints/fraud/invocations', body);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.headers.get('x-slipway-prediction-ids')?.split(',')).toHaveLength(3);
      answers.push(res.body['predictions']);
    }
    const csv = await fetch(`${platform.url}/v1/endpoints/fraud/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: ['a,b', ...rows.map((r) => `${r.a},${r.b}`)].join('\r\n') + '\r\n',
    });
    expect(csv.status).toBe(200);
    answers.push(((await csv.json()) as { predictions: unknown }).predictions);
    const badCsv = await fetch(`${platform.url}/v1/endpoints/fraud/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'a,b\n1,x\n',
    });
    expect(badCsv.status).toBe(400);
    expect(await badCsv.json()).toMatchObject({
      error_code: 'BAD_REQUEST',
      message: expect.stringMatching(/csv\[0\]\.b/),
    });
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    const first = (answers[0] as { probabilities: number[] }[])[0];
    expect(first?.probabilities[1]).toBeCloseTo(p1('1', 0.5, 0.2), 6);
  });
});

describe('bad input', () => {
  it('names the row and field of a missing or mistyped value', async () => {
    const missing = await post('/v1/endpoints/fraud/predict', { instances: [{ a: 1, b: 2 }, { a: 1 }] });
    expect(missing.status).toBe(400);
    expect(missing.body).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', details: { field: 'instances[1].b' } },
    });
    const wrongType = await post('/v1/endpoints/fraud/predict', { instances: [{ a: 'x', b: 2 }] });
    expect(wrongType.body).toMatchObject({ error: { details: { field: 'instances[0].a' } } });
    const columnar = await post('/v1/endpoints/fraud/predict', { inputs: { a: [1, 2], b: [1, null] } });
    expect(columnar.body).toMatchObject({ error: { details: { field: 'inputs.b[1]' } } });
  });

  it('flags an out-of-range value but serves it', async () => {
    const answer = await predict({ instances: [{ a: 0, b: 42 }] });
    expect(answer.warnings?.[0]).toMatchObject({ row: 0, field: 'b' });
  });

  it('refuses more rows than the endpoint takes, malformed JSON, and a wrong MLflow content type', async () => {
    const many = Array.from({ length: 1001 }, () => ({ a: 0, b: 0 }));
    const tooMany = await post('/v1/endpoints/fraud/predict', { instances: many });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ error: { details: { field: 'instances' } } });
    const malformed = await post('/v1/endpoints/fraud/predict', '{"instances": [');
    expect(malformed.status).toBe(400);
    const text = await fetch(`${platform.url}/v1/endpoints/fraud/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'a,b\n1,2\n',
    });
    expect(text.status).toBeGreaterThanOrEqual(400);
    expect(text.status).toBeLessThan(500);
    const oip = await post('/v2/models/fraud/infer', {
      inputs: [{ name: 'a', shape: [2], datatype: 'FP32', data: [1] }],
    });
    expect(oip.status).toBe(400);
    expect(typeof oip.body['error']).toBe('string');
  });

  it('answers 404 for an unknown endpoint in every protocol', async () => {
    expect((await post('/v1/endpoints/nope/predict', { instances: [{ a: 1, b: 1 }] })).status).toBe(404);
    expect((await get('/v2/models/nope')).status).toBe(404);
    expect((await post('/v1/endpoints/nope/invocations', { instances: [] })).status).toBe(404);
  });

  it('refuses an endpoint over a version that does not exist', async () => {
    const reply = await api('POST', '/endpoints', { name: 'ghost', model: { name: 'fraud', version: '9' } });
    expect(reply.status).toBe(404);
  });
});

describe('traffic', () => {
  it('splits by sticky routing key in the canary proportion, and rolls back', async () => {
    const updated = ok(
      await api('PATCH', '/endpoints/fraud', {
        canary: { model: { name: 'fraud', version: '2' }, percent: 30 },
      }),
    )['endpoint'] as Endpoint;
    expect(updated.revision).toBe(2);
    let canary = 0;
    const n = 600;
    for (let i = 0; i < n; i++) {
      const answer = await predict({ instances: [{ a: 0.3, b: 0.1 }], routing_key: `user-${i}` });
      if (answer.arm === 'canary') {
        canary++;
        expect(answer.model_version).toBe('2');
      } else {
        expect(answer.model_version).toBe('1');
      }
    }
    // 30% of 600 is 180; the 99.9% binomial band is about ±37.
    expect(canary).toBeGreaterThan(180 - 37);
    expect(canary).toBeLessThan(180 + 37);
    const arms = new Set<string>();
    for (let i = 0; i < 10; i++)
      arms.add((await predict({ instances: [{ a: 0, b: 0 }], routing_key: 'user-7' })).arm);
    expect(arms.size).toBe(1);

    ok(await api('PATCH', '/endpoints/fraud', { canary: null }));
    for (let i = 0; i < 50; i++) {
      expect((await predict({ instances: [{ a: 0, b: 0 }], routing_key: `user-${i}` })).arm).toBe('live');
    }
  });

  it('swaps the served version under concurrent load without a single failed request', async () => {
    let stop = false;
    const versions = new Set<string>();
    let failures = 0;
    const client = async (): Promise<void> => {
      while (!stop) {
        const res = await post('/v1/endpoints/fraud/predict', { instances: [{ a: 0.2, b: 0.4 }] });
        if (res.status !== 200) failures++;
        else versions.add(res.body['model_version'] as string);
      }
    };
    const clients = Array.from({ length: 6 }, () => client());
    let observed = 0;
    for (const version of ['2', '1', '2', '1', '2']) {
      ok(await api('PUT', '/models/fraud/aliases/champion', { version }));
      // Wait until the clients are served by the new version (the reload is asynchronous).
      versions.clear();
      for (let i = 0; i < 500 && !versions.has(version); i++) await new Promise((r) => setTimeout(r, 10));
      if (versions.has(version)) observed++;
    }
    stop = true;
    await Promise.all(clients);
    expect(failures).toBe(0);
    expect(observed).toBe(5);
    const answer = await predict({ instances: [{ a: 0.2, b: 0.4 }] });
    expect(answer.model_version).toBe('2');
  });

  it('coalesces concurrent requests with micro-batching and answers each with its own rows', async () => {
    ok(await api('PATCH', '/endpoints/fraud', { batching: { maxBatchSize: 8 } }));
    const inputs = Array.from({ length: 40 }, (_, i) => ({ a: i / 20 - 1, b: (i % 7) / 7 }));
    const answers = await Promise.all(inputs.map((row) => predict({ instances: [row, { a: 0, b: 0 }] })));
    answers.forEach((answer, i) => {
      const row = inputs[i] ?? { a: 0, b: 0 };
      expect(answer.predictions).toHaveLength(2);
      expect(answer.predictions[0]?.probabilities[1]).toBeCloseTo(p1(answer.model_version, row.a, row.b), 6);
    });
    ok(await api('PATCH', '/endpoints/fraud', { batching: null }));
  });

  it('calls shadows off the response path and logs their outputs beside the live ones', async () => {
    ok(await api('PUT', '/models/fraud/aliases/champion', { version: '1' }));
    // The PATCH reloads the endpoint before it answers, so the alias move is served from here on.
    ok(await api('PATCH', '/endpoints/fraud', { shadows: [{ name: 'fraud', version: '2' }] }));
    const answer = await predict({
      instances: [
        { a: 0.9, b: -0.2 },
        { a: -0.4, b: 0.3 },
      ],
    });
    expect(answer.model_version).toBe('1');
    await new Promise((r) => setTimeout(r, 100));
    await platform.stop();

    const db = await DuckDBInstance.create(join(platform.dataDir, 'predictions.duckdb'));
    const connection = await db.connect();
    try {
      const ids = answer.prediction_ids.map((id) => `'${id}'`).join(',');
      const live = await connection.runAndReadAll(
        `SELECT prediction_id, arm, model_version FROM predictions WHERE prediction_id IN (${ids}) ORDER BY prediction_id`,
      );
      expect(live.getRowObjects().map((r) => r['arm'])).toEqual(['live', 'live']);
      const shadows = await connection.runAndReadAll(
        `SELECT shadow_of, model_version, output FROM predictions WHERE arm = 'shadow' AND shadow_of IN (${ids})`,
      );
      const rows = shadows.getRowObjects();
      expect(rows).toHaveLength(2);
      expect(rows.every((r) => r['model_version'] === '2')).toBe(true);
      const total = await connection.runAndReadAll('SELECT count(*) AS n FROM predictions');
      expect(Number(total.getRowObjects()[0]?.['n'])).toBeGreaterThan(600);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  });
});
