/**
 * The data plane in front of Fastify: route matching, JSON parsing, and on a real socket the
 * refusals Fastify used to give (body limits, content types, malformed paths), request ids, and
 * everything else still reaching Fastify.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchRoute, parseJson } from '../../src/http/data-plane.js';
import { nativeApi } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

describe('matchRoute', () => {
  it('matches the predict routes of the three protocols, with the query string ignored', () => {
    expect(matchRoute('/v1/endpoints/fraud/predict?x=1')).toEqual({ protocol: 'slipway', endpoint: 'fraud' });
    expect(matchRoute('/v1/endpoints/fraud/apis/v2/predict')).toEqual({
      protocol: 'slipway',
      endpoint: 'fraud',
      api: 'v2',
    });
    expect(matchRoute('/v1/endpoints/fraud/invocations')).toEqual({ protocol: 'mlflow', endpoint: 'fraud' });
    expect(matchRoute('/v2/models/fraud/infer')).toEqual({ protocol: 'oip-v2', endpoint: 'fraud' });
    expect(matchRoute('/v1/endpoints/a%20b/predict')).toEqual({ protocol: 'slipway', endpoint: 'a b' });
  });

  it('serves /invocations only in a process that serves one endpoint', () => {
    expect(matchRoute('/invocations')).toBeUndefined();
    expect(matchRoute('/invocations', 'fraud')).toEqual({ protocol: 'mlflow', endpoint: 'fraud' });
  });

  it('leaves every other path to Fastify', () => {
    for (const path of [
      '/api/v1/endpoints/fraud',
      '/v1/endpoints//predict',
      '/v1/endpoints/fraud/predict/more',
      '/v1/endpoints/fraud/apis//predict',
      '/v2/models/fraud',
      '/v2/models/fraud/ready',
      '/healthz',
    ]) {
      expect(matchRoute(path), path).toBeUndefined();
    }
  });

  it('refuses a malformed percent-encoding naming the path', () => {
    expect(() => matchRoute('/v1/endpoints/%E0%A4%A/predict')).toThrow(/percent-encoding/);
  });
});

describe('parseJson', () => {
  it('parses JSON, refusing malformed text and prototype-poisoning keys', () => {
    expect(parseJson('{"instances":[{"a":"prototype"}]}')).toEqual({ instances: [{ a: 'prototype' }] });
    expect(() => parseJson('{"instances": [')).toThrow(/not valid JSON/);
    expect(() => parseJson('{"instances":[{"__proto__":{"x":1}}]}')).toThrow(/forbidden key '__proto__'/);
    expect(() => parseJson('{"constructor":{"prototype":{"x":1}}}')).toThrow(/forbidden key 'constructor'/);
    expect(parseJson('{"constructor":{"name":"ok"}}')).toEqual({ constructor: { name: 'ok' } });
  });
});

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so bodies and headers are exactly what the test says. */
function send(
  url: string,
  method: string,
  path: string,
  body: Buffer | string,
  headers: Record<string, string>,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${url}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
    });
    // The server may answer 413 and close before the whole body is sent.
    req.on('error', (error: NodeJS.ErrnoException) =>
      error.code === 'EPIPE' || error.code === 'ECONNRESET' ? undefined : reject(error),
    );
    req.end(body);
  });
}

describe('the data plane on a real socket', () => {
  let platform: TestPlatform;
  const api = nativeApi(() => platform.app);
  const json = { 'content-type': 'application/json' };
  const row = JSON.stringify({ instances: [{ x: 1 }] });

  beforeAll(async () => {
    platform = await startTestPlatform({ listen: true });
    const spec = { kind: 'constant', task: 'regression', strategy: 'mean', prediction: 2.5 };
    expect((await api('POST', '/baselines', { name: 'const', spec })).status).toBe(200);
    expect(
      (await api('POST', '/endpoints', { name: 'const', model: { name: 'const', version: '1' } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    await platform.close();
  });

  it('answers a prediction with its request id, echoing a caller-given one', async () => {
    const fresh = await send(platform.url, 'POST', '/v1/endpoints/const/predict', row, json);
    expect(fresh.status).toBe(200);
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(fresh.body)).toMatchObject({ endpoint: 'const', predictions: [{ prediction: 2.5 }] });
    const given = await send(platform.url, 'POST', '/v1/endpoints/const/predict', row, {
      ...json,
      'x-request-id': 'abc-1',
    });
    expect(given.headers['x-request-id']).toBe('abc-1');
  });

  it('refuses a 50 MB body with 413 and keeps serving', async () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 0x20);
    const refused = await send(platform.url, 'POST', '/v1/endpoints/const/predict', big, json);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body)).toMatchObject({
      error: { code: 'PAYLOAD_TOO_LARGE', details: { field: 'body' } },
    });
    expect(refused.headers.connection).toBe('close');
    const oip = await send(platform.url, 'POST', '/v2/models/const/infer', big, json);
    expect(oip.status).toBe(413);
    expect(JSON.parse(oip.body)).toEqual({ error: expect.stringMatching(/larger than/) });
    expect((await send(platform.url, 'POST', '/v1/endpoints/const/predict', row, json)).status).toBe(200);
  });

  it("refuses a body that is not JSON, naming Content-Type, in each protocol's shape", async () => {
    const slipway = await send(platform.url, 'POST', '/v1/endpoints/const/predict', row, {
      'content-type': 'text/plain',
    });
    expect(slipway.status).toBe(400);
    expect(JSON.parse(slipway.body)).toMatchObject({
      error: { code: 'INVALID_ARGUMENT', details: { field: 'Content-Type' } },
    });
    const oip = await send(platform.url, 'POST', '/v2/models/const/infer', row, {});
    expect(oip.status).toBe(400);
    expect(JSON.parse(oip.body)).toEqual({
      error: expect.stringMatching(/Content-Type must be application\/json \(got none\)/),
    });
    const mlflow = await send(platform.url, 'POST', '/v1/endpoints/const/invocations', row, {
      'content-type': 'text/plain',
    });
    expect(mlflow.status).toBe(400);
    expect(JSON.parse(mlflow.body)).toMatchObject({ error_code: 'BAD_REQUEST' });
  });

  it('refuses a malformed path and an unknown endpoint, and leaves other methods and paths to Fastify', async () => {
    const bad = await send(platform.url, 'POST', '/v1/endpoints/%E0%A4%A/predict', row, json);
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body)).toMatchObject({ error: { details: { field: 'path' } } });
    const missing = await send(platform.url, 'POST', '/v1/endpoints/nope/predict', row, json);
    expect(missing.status).toBe(404);
    const get = await send(platform.url, 'GET', '/v1/endpoints/const/predict', '', {});
    expect(get.status).toBe(404);
    expect(JSON.parse(get.body)).toMatchObject({
      error: { message: 'No route for GET /v1/endpoints/const/predict' },
    });
    expect((await send(platform.url, 'GET', '/api/v1/endpoints/const', '', {})).status).toBe(200);
  });

  it('refuses requests over the endpoint rate limit with 429 and Retry-After, in every protocol', async () => {
    // 0.01 requests/s: no token comes back while the test runs, so only the burst of 2 passes.
    const limited = await api('POST', '/endpoints', {
      name: 'limited',
      model: { name: 'const', version: '1' },
      rateLimit: { requestsPerSecond: 0.01, burst: 2 },
    });
    expect(limited.status).toBe(201);
    const slipway = (): Promise<Reply> =>
      send(platform.url, 'POST', '/v1/endpoints/limited/predict', row, json);
    expect((await slipway()).status).toBe(200);
    expect((await send(platform.url, 'POST', '/v1/endpoints/limited/invocations', row, json)).status).toBe(
      200,
    );
    const refused = await slipway();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(60);
    expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'RESOURCE_EXHAUSTED' } });
    const mlflow = await send(platform.url, 'POST', '/v1/endpoints/limited/invocations', row, json);
    expect(mlflow.status).toBe(429);
    expect(JSON.parse(mlflow.body)).toMatchObject({ error_code: 'REQUEST_LIMIT_EXCEEDED' });
    const oip = await send(platform.url, 'POST', '/v2/models/limited/infer', row, json);
    expect(oip.status).toBe(429);
    expect(JSON.parse(oip.body)).toEqual({ error: expect.stringMatching(/limited/) });
    // Another endpoint on the same model is not limited, and lifting the limit takes effect at once.
    expect((await send(platform.url, 'POST', '/v1/endpoints/const/predict', row, json)).status).toBe(200);
    expect((await api('PATCH', '/endpoints/limited', { rateLimit: null })).status).toBe(200);
    expect((await slipway()).status).toBe(200);
  });
});
