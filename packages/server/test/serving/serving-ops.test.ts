/**
 * Serving operations on a real socket: health and readiness, Prometheus metrics after traffic, and
 * graceful shutdown (a request in flight when shutdown starts still gets its answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nativeApi, type NativeReply } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
const api = nativeApi(() => platform.app);

function ok(reply: NativeReply, status = 200): Record<string, unknown> {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  return reply.body;
}

/** Registers a declared baseline as the next version of `name`. */
async function baseline(name: string, spec: Record<string, unknown>): Promise<void> {
  ok(await api('POST', '/baselines', { name, spec }));
}

async function predict(endpoint: string, rows: unknown[]): Promise<Response> {
  return fetch(`${platform.url}/v1/endpoints/${endpoint}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: rows }),
  });
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  await baseline('constant', { kind: 'constant', task: 'regression', strategy: 'mean', prediction: 4.5 });
  // Slow on purpose: counting a large generated range takes a noticeable time per call.
  await baseline('slow', {
    kind: 'sql',
    query: 'SELECT row_id, (SELECT count(*) FROM range(60000000)) AS prediction FROM input',
    timeoutMs: 20000,
  });
  ok(await api('POST', '/endpoints', { name: 'constant', model: { name: 'constant', version: '1' } }), 201);
  ok(await api('POST', '/endpoints', { name: 'slow', model: { name: 'slow', version: '1' } }), 201);
});
afterAll(async () => {
  await platform.close();
});

describe('health, readiness and metrics', () => {
  it('answers /healthz and /readyz', async () => {
    expect(await (await fetch(`${platform.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${platform.url}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('counts requests by status and observes model calls in /metrics', async () => {
    for (let i = 0; i < 3; i++) expect((await predict('constant', [{ x: 1 }, { x: 2 }])).status).toBe(200);
    expect((await predict('constant', 'not rows' as unknown as unknown[])).status).toBe(400);
    const res = await fetch(`${platform.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(
      /slipway_serving_requests_total\{endpoint="constant",protocol="slipway",status="200"\} 3/,
    );
    expect(text).toMatch(
      /slipway_serving_requests_total\{endpoint="constant",protocol="slipway",status="400"\} 1/,
    );
    expect(text).toMatch(
      /slipway_serving_model_seconds_count\{endpoint="constant",version="1",arm="live"\} 3/,
    );
    expect(text).toMatch(/slipway_serving_model_call_rows_sum\{endpoint="constant",arm="live"\} 6/);
    expect(text).toMatch(/slipway_prediction_log_pending \d+/);
    expect(text).toMatch(/slipway_serving_in_flight_requests\{endpoint="constant"\} 0/);
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, then stops listening', async () => {
    // Load the slow endpoint first, so the timed request spends its time in the model call.
    expect((await predict('slow', [{ x: 1 }])).status).toBe(200);
    const inFlight = predict('slow', [{ x: 1 }]);
    await new Promise((r) => setTimeout(r, 30));
    const stopped = platform.stop();
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { prediction: number }[] }).predictions[0]?.prediction).toBe(
      60000000,
    );
    await stopped;
    await expect(predict('constant', [{ x: 1 }])).rejects.toThrow();
  });
});
