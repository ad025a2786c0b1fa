import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let doc: {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; responses?: Record<string, unknown> }>>;
};

beforeAll(async () => {
  platform = await startTestPlatform();
  const res = await platform.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('application/json');
  doc = JSON.parse(res.body) as typeof doc;
});
afterAll(async () => {
  await platform.close();
});

/** Every native route: [method, OpenAPI path]. */
const ROUTES: [string, string][] = [
  ['post', '/api/v1/experiments'],
  ['get', '/api/v1/experiments'],
  ['get', '/api/v1/experiments/{experimentId}'],
  ['get', '/api/v1/experiments/by-name/{name}'],
  ['patch', '/api/v1/experiments/{experimentId}'],
  ['delete', '/api/v1/experiments/{experimentId}'],
  ['post', '/api/v1/experiments/{experimentId}/restore'],
  ['put', '/api/v1/experiments/{experimentId}/tags/{key}'],
  ['delete', '/api/v1/experiments/{experimentId}/tags/{key}'],
  ['post', '/api/v1/runs'],
  ['post', '/api/v1/runs/search'],
  ['get', '/api/v1/runs/{runId}'],
  ['patch', '/api/v1/runs/{runId}'],
  ['delete', '/api/v1/runs/{runId}'],
  ['post', '/api/v1/runs/{runId}/restore'],
  ['post', '/api/v1/runs/{runId}/log'],
  ['put', '/api/v1/runs/{runId}/tags/{key}'],
  ['delete', '/api/v1/runs/{runId}/tags/{key}'],
  ['post', '/api/v1/runs/{runId}/inputs'],
  ['get', '/api/v1/runs/{runId}/metrics/{key}/history'],
  ['get', '/api/v1/runs/{runId}/metrics/{key}/buckets'],
  ['get', '/api/v1/runs/{runId}/artifacts'],
  ['put', '/api/v1/runs/{runId}/artifacts/{path}'],
  ['get', '/api/v1/runs/{runId}/artifacts/{path}'],
  ['post', '/api/v1/models'],
  ['get', '/api/v1/models'],
  ['get', '/api/v1/models/{name}'],
  ['patch', '/api/v1/models/{name}'],
  ['delete', '/api/v1/models/{name}'],
  ['put', '/api/v1/models/{name}/tags/{key}'],
  ['delete', '/api/v1/models/{name}/tags/{key}'],
  ['post', '/api/v1/models/{name}/versions'],
  ['post', '/api/v1/models/register'],
  ['get', '/api/v1/models/{name}/versions/{version}'],
  ['patch', '/api/v1/models/{name}/versions/{version}'],
  ['delete', '/api/v1/models/{name}/versions/{version}'],
  ['put', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
  ['delete', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
  ['get', '/api/v1/model-versions'],
  ['get', '/api/v1/models/{name}/versions/{version}/download-uri'],
  ['put', '/api/v1/models/{name}/aliases/{alias}'],
  ['delete', '/api/v1/models/{name}/aliases/{alias}'],
  ['get', '/api/v1/models/{name}/aliases/{alias}'],
  ['get', '/api/v1/resolve'],
  ['get', '/api/v1/models/{name}/history'],
  ['get', '/api/v1/models/{name}/aliases-at'],
  ['get', '/api/v1/models/{name}/contract-diff'],
  ['post', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks'],
  ['get', '/api/v1/webhooks/{id}'],
  ['patch', '/api/v1/webhooks/{id}'],
  ['delete', '/api/v1/webhooks/{id}'],
  ['get', '/api/v1/webhooks/{id}/deliveries'],
  ['post', '/api/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver'],
  ['post', '/api/v1/evaluations'],
  ['get', '/api/v1/evaluations'],
  ['get', '/api/v1/evaluations/{id}'],
  ['put', '/api/v1/models/{name}/evaluation-policy'],
  ['get', '/api/v1/models/{name}/evaluation-policy'],
  ['delete', '/api/v1/models/{name}/evaluation-policy'],
  ['post', '/api/v1/models/{name}/versions/{version}/promote'],
  ['post', '/api/v1/baselines'],
  ['post', '/api/v1/endpoints'],
  ['get', '/api/v1/endpoints'],
  ['get', '/api/v1/endpoints/{name}'],
  ['patch', '/api/v1/endpoints/{name}'],
  ['delete', '/api/v1/endpoints/{name}'],
  ['get', '/api/v1/endpoints/{name}/predictions'],
  ['get', '/api/v1/endpoints/{name}/labels/unmatched'],
  ['get', '/api/v1/endpoints/{name}/aggregates'],
  ['get', '/api/v1/endpoints/{name}/export'],
  ['post', '/api/v1/jobs/batch-score'],
  ['post', '/api/v1/jobs/monitor-run'],
  ['post', '/api/v1/jobs/evaluation'],
  ['get', '/api/v1/jobs'],
  ['get', '/api/v1/jobs/{id}'],
  ['post', '/api/v1/jobs/{id}/cancel'],
  ['post', '/api/v1/jobs/{id}/retry'],
  ['post', '/api/v1/monitors'],
  ['get', '/api/v1/monitors'],
  ['get', '/api/v1/monitors/{monitor}'],
  ['delete', '/api/v1/monitors/{monitor}'],
  ['post', '/api/v1/monitors/{monitor}/run'],
  ['get', '/api/v1/monitors/{monitor}/runs'],
  ['get', '/api/v1/monitor-runs/{id}'],
  ['get', '/api/v1/monitors/{monitor}/series'],
  ['post', '/api/v1/monitors/{monitor}/rules'],
  ['get', '/api/v1/monitors/{monitor}/rules'],
  ['delete', '/api/v1/alert-rules/{id}'],
  ['get', '/api/v1/alerts'],
  ['post', '/api/v1/monitoring/reference-profiles'],
  ['get', '/api/v1/monitoring/reference-profiles/{model}/{version}'],
];

describe('GET /api/v1/openapi.json', () => {
  it('is an OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\./);
  });

  it.each(ROUTES)('documents %s %s', (method, path) => {
    expect(doc.paths[path]?.[method]).toBeDefined();
  });

  it('documents artifact files with a {path} parameter and a binary body', () => {
    const ops = doc.paths['/api/v1/runs/{runId}/artifacts/{path}'];
    const put = ops?.['put'] as {
      requestBody?: { content?: Record<string, unknown> };
      parameters?: { name: string }[];
    };
    expect(Object.keys(put.requestBody?.content ?? {})).toEqual(['application/octet-stream']);
    expect(put.parameters?.map((p) => p.name)).toEqual(['runId', 'path']);
  });

  it('contains only /api/v1 routes, and not itself', () => {
    const outside = Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'));
    expect(outside).toEqual([]);
    expect(doc.paths['/api/v1/openapi.json']).toBeUndefined();
    expect(Object.keys(doc.paths)).toHaveLength(new Set(ROUTES.map(([, p]) => p)).size);
  });

  it('describes request bodies and error responses from the contract schemas', () => {
    const log = doc.paths['/api/v1/runs/{runId}/log']?.['post'];
    expect(JSON.stringify(log?.requestBody)).toContain('"Infinity"');
    const get = doc.paths['/api/v1/runs/{runId}']?.['get'];
    expect(Object.keys(get?.responses ?? {})).toEqual(expect.arrayContaining(['200', '4XX']));
  });
});
