/**
 * The compat plugin alone, over stub services: every error path of the wire layer (status, MLflow
 * error_code, message naming the field), and proof that rejected requests never reach a service.
 */
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import type { AppServices } from '../../src/http/app.js';
import { registerMlflowCompat } from '../../src/http/compat/mlflow/mlflow-compat.js';
import type { ArtifactStore } from '../../src/tracking/artifact-store.js';
import type { TrackingService } from '../../src/tracking/tracking-service.js';

const calls: string[] = [];

/** A tracking service whose use cases fail in the ways the tests name. */
const tracking = {
  async getExperiment(): Promise<never> {
    calls.push('getExperiment');
    throw new SlipwayError('UNAVAILABLE', 'database is restarting');
  },
  async getRun(): Promise<never> {
    calls.push('getRun');
    throw new TypeError('secret internal detail');
  },
  async createExperiment(): Promise<never> {
    calls.push('createExperiment');
    throw new SlipwayError('ALREADY_EXISTS', "Experiment 'x' already exists.");
  },
  async logMetric(): Promise<never> {
    calls.push('logMetric');
    throw new SlipwayError('FAILED_PRECONDITION', 'The run must be active.', { field: 'run_id' });
  },
  async logBatch(): Promise<void> {
    calls.push('logBatch');
  },
  async searchExperiments(input: unknown): Promise<{ items: never[] }> {
    calls.push(`searchExperiments ${JSON.stringify(input)}`);
    return { items: [] };
  },
} as unknown as TrackingService;

/** An artifact store that records every call; none may happen for a refused path. */
const artifacts: ArtifactStore = {
  async put(path) {
    calls.push(`put ${path}`);
  },
  async get(path) {
    calls.push(`get ${path}`);
    return { stream: Readable.from([Buffer.from('x')]), size: 1 };
  },
  async list(path) {
    calls.push(`list ${path}`);
    return [];
  },
  async delete(path) {
    calls.push(`delete ${path}`);
  },
};

let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify({ bodyLimit: 4096 });
  const services: Pick<AppServices, 'tracking' | 'artifacts'> = { tracking, artifacts };
  await app.register(registerMlflowCompat(services));
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

beforeEach(() => {
  calls.length = 0;
});

async function post(
  url: string,
  payload: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'POST', url, payload: payload as Record<string, unknown> });
  return { status: res.statusCode, body: res.json() };
}

describe('MLflow compat errors over HTTP', () => {
  it('answers UNAVAILABLE as 503 TEMPORARILY_UNAVAILABLE', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/2.0/mlflow/experiments/get?experiment_id=1' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/json');
    expect(res.json()).toEqual({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'database is restarting' });
  });

  it('answers unexpected failures as 500 INTERNAL_ERROR without internals', async () => {
    const res = await app.inject({ method: 'GET', url: `/api/2.0/mlflow/runs/get?run_id=${'a'.repeat(32)}` });
    expect(res.statusCode).toBe(500);
    expect(res.json().error_code).toBe('INTERNAL_ERROR');
    expect(res.body).not.toContain('secret');
  });

  it('answers ALREADY_EXISTS as 400 RESOURCE_ALREADY_EXISTS', async () => {
    const res = await post('/api/2.0/mlflow/experiments/create', { name: 'x' });
    expect(res).toEqual({
      status: 400,
      body: { error_code: 'RESOURCE_ALREADY_EXISTS', message: "Experiment 'x' already exists." },
    });
  });

  it('answers FAILED_PRECONDITION as 400 INVALID_PARAMETER_VALUE', async () => {
    const res = await post('/api/2.0/mlflow/runs/log-metric', {
      run_id: 'r',
      key: 'm',
      value: 1,
      timestamp: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('names a missing required field and never calls the service', async () => {
    const res = await post('/api/2.0/mlflow/runs/log-metric', { run_id: 'r', key: 'm', value: 1 });
    expect(res).toEqual({
      status: 400,
      body: {
        error_code: 'INVALID_PARAMETER_VALUE',
        message:
          "Missing value for required parameter 'timestamp'. See the API docs for more information about request parameters.",
      },
    });
    expect(calls).toEqual([]);
  });

  it('names a field of the wrong type', async () => {
    const res = await post('/api/2.0/mlflow/runs/log-metric', {
      run_id: 'r',
      key: 'm',
      value: 'high',
      timestamp: 1,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("Invalid value high for parameter 'value' supplied");
    const typed = await post('/api/2.0/mlflow/experiments/create', { name: 7 });
    expect(typed.body.message).toContain("parameter 'name'");
    expect(calls).toEqual([]);
  });

  it('reads GET fields from the query string only', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/get',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ experiment_id: '1' }),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toContain("'experiment_id'");
  });

  it('reads repeated GET fields of experiments/search from the query string', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/api/2.0/mlflow/experiments/search?max_results=5&order_by=name&order_by=creation_time&view_type=ALL',
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('{}');
    expect(calls).toEqual([
      'searchExperiments {"orderBy":["name","creation_time"],"maxResults":5,"viewType":"ALL"}',
    ]);
  });

  it('answers malformed JSON and over-large bodies with 400 INVALID_PARAMETER_VALUE', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/runs/log-batch',
      headers: { 'content-type': 'application/json' },
      payload: '{"run_id": ',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    const big = await post('/api/2.0/mlflow/runs/log-batch', {
      run_id: 'r',
      tags: [{ key: 'k', value: 'v'.repeat(5000) }],
    });
    expect(big.status).toBe(400);
    expect(big.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(calls).toEqual([]);
  });

  it('treats an empty JSON body as no fields and decodes a double-encoded body', async () => {
    const empty = await app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/runs/log-batch',
      headers: { 'content-type': 'application/json' },
      payload: '',
    });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().message).toContain("Missing value for required parameter 'run_id'");
    const twice = await app.inject({
      method: 'POST',
      url: '/api/2.0/mlflow/runs/log-batch',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(JSON.stringify({ run_id: 'r' })),
    });
    expect(twice.statusCode).toBe(200);
    expect(twice.body).toBe('{}');
    expect(calls).toEqual(['logBatch']);
  });

  it.each([
    ['GET', '/api/2.0/mlflow/runs/nope'],
    ['GET', '/api/2.0/mlflow/runs/create'],
    ['POST', '/ajax-api/2.0/mlflow/experiments/delete-experiment-tag'],
    ['PUT', '/api/2.0/mlflow-artifacts/mpu/create'],
    ['POST', '/api/2.0/mlflow-artifacts/artifacts/x'],
  ])('answers %s %s with 404 ENDPOINT_NOT_FOUND', async (method, url) => {
    const res = await app.inject({
      method: method as 'GET',
      url,
      headers: { 'content-type': 'text/csv' },
      payload: 'a',
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().error_code).toBe('ENDPOINT_NOT_FOUND');
    expect(calls).toEqual([]);
  });

  it.each([
    '..%2f..%2fetc%2fpasswd',
    '%2e%2e/%2e%2e/etc/passwd',
    '1/r/artifacts/%252e%252e%252f%252e%252e%252fx',
    '%2fetc%2fpasswd',
    'a/..%5c..%5cwin.ini',
    'a/%00b',
  ])('refuses the traversal attempt %s before any store call', async (path) => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({
        method,
        url: `/api/2.0/mlflow-artifacts/artifacts/${path}`,
        ...(method === 'PUT' ? { payload: 'owned', headers: { 'content-type': 'text/plain' } } : {}),
      });
      // inject resolves `%2e%2e` segments like a browser would (so the route is never matched: 404);
      // mlflow-artifacts.test.ts sends such paths verbatim over a socket and expects 400.
      expect([400, 404], `${method} ${path}`).toContain(res.statusCode);
      if (res.statusCode === 400) expect(res.json().error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    const list = await app.inject({
      method: 'GET',
      url: `/api/2.0/mlflow-artifacts/artifacts?path=${encodeURIComponent(decodeURIComponent(path))}`,
    });
    expect(list.statusCode).toBe(400);
    expect(calls).toEqual([]);
  });

  it('refuses operations on the artifact root itself', async () => {
    for (const method of ['GET', 'PUT', 'DELETE'] as const) {
      const res = await app.inject({ method, url: '/api/2.0/mlflow-artifacts/artifacts/./' });
      expect(res.statusCode).toBe(400);
    }
    expect(calls).toEqual([]);
  });
});
