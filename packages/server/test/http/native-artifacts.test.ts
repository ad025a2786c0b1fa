import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactInfo } from '@slipway/contracts';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;
let runId: string;

interface Reply {
  status: number;
  body: Record<string, unknown>;
  raw: Buffer;
  headers: Record<string, unknown>;
}

async function request(
  method: 'GET' | 'PUT' | 'POST',
  url: string,
  options: { payload?: string | Buffer | object; contentType?: string } = {},
): Promise<Reply> {
  const res = await platform.app.inject({
    method,
    url: `/api/v1${url}`,
    ...(options.payload === undefined ? {} : { payload: options.payload }),
    ...(options.contentType ? { headers: { 'content-type': options.contentType } } : {}),
  });
  const json = (res.headers['content-type'] ?? '').toString().startsWith('application/json');
  return {
    status: res.statusCode,
    body: json && res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {},
    raw: res.rawPayload,
    headers: res.headers,
  };
}

const fieldOf = (r: Reply): unknown => (r.body['error'] as { details?: { field?: string } }).details?.field;
const codeOf = (r: Reply): unknown => (r.body['error'] as { code: string }).code;

async function newRun(artifactLocation?: string): Promise<string> {
  const name = `artifacts-${Math.random().toString(36).slice(2)}`;
  const exp = await request('POST', '/experiments', {
    payload: { name, ...(artifactLocation ? { artifactLocation } : {}) },
  });
  const experimentId = (exp.body['experiment'] as { experimentId: string }).experimentId;
  const run = await request('POST', '/runs', { payload: { experimentId } });
  return (run.body['run'] as { info: { runId: string } }).info.runId;
}

beforeAll(async () => {
  platform = await startTestPlatform();
  runId = await newRun();
});
afterAll(async () => {
  await platform.close();
});

describe('PUT and GET /runs/:runId/artifacts/*', () => {
  it('uploads (201) and downloads bytes exactly, whatever the content type', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const put = await request('PUT', `/runs/${runId}/artifacts/model/weights.bin`, {
      payload: bytes,
      contentType: 'application/octet-stream',
    });
    expect(put.status).toBe(201);
    expect(put.body).toEqual({ artifact: { path: 'model/weights.bin', isDir: false, fileSize: 256 } });
    const get = await request('GET', `/runs/${runId}/artifacts/model/weights.bin`);
    expect(get.status).toBe(200);
    expect(get.headers['content-type']).toBe('application/octet-stream');
    expect(Buffer.compare(get.raw, bytes)).toBe(0);
  });

  it('stores a JSON upload verbatim instead of parsing it', async () => {
    const text = '{ "not": "parsed" ,}';
    const put = await request('PUT', `/runs/${runId}/artifacts/config.json`, {
      payload: text,
      contentType: 'application/json',
    });
    expect(put.status).toBe(201);
    const get = await request('GET', `/runs/${runId}/artifacts/config.json`);
    expect(get.raw.toString('utf8')).toBe(text);
  });

  it('accepts an empty file and a name with spaces and unicode', async () => {
    const empty = await request('PUT', `/runs/${runId}/artifacts/empty.txt`, {
      payload: '',
      contentType: 'text/plain',
    });
    expect(empty.status).toBe(201);
    expect((empty.body['artifact'] as ArtifactInfo).fileSize).toBe(0);
    const name = encodeURIComponent('résumé final.txt');
    const put = await request('PUT', `/runs/${runId}/artifacts/docs/${name}`, {
      payload: 'hi',
      contentType: 'text/plain',
    });
    expect((put.body['artifact'] as ArtifactInfo).path).toBe('docs/résumé final.txt');
    expect((await request('GET', `/runs/${runId}/artifacts/docs/${name}`)).raw.toString()).toBe('hi');
  });

  it('answers 404 naming the path for a missing file', async () => {
    const res = await request('GET', `/runs/${runId}/artifacts/missing.txt`);
    expect(res.status).toBe(404);
    expect(fieldOf(res)).toBe('path');
  });

  it.each([
    ['dot-dot', 'a/..%2F..%2Fescape.txt'],
    ['encoded dot-dot', '%252e%252e/escape.txt'],
    ['backslash', '..%5Cescape.txt'],
    ['empty path', ''],
  ])('answers 400 naming the path for %s', async (_label, path) => {
    const put = await request('PUT', `/runs/${runId}/artifacts/${path}`, {
      payload: 'x',
      contentType: 'text/plain',
    });
    expect(put.status).toBe(400);
    expect(fieldOf(put)).toBe('path');
    const get = await request('GET', `/runs/${runId}/artifacts/${path}`);
    expect(get.status).toBe(400);
  });

  it('answers 404 for an unknown run', async () => {
    const res = await request('PUT', `/runs/${'c'.repeat(32)}/artifacts/a.txt`, {
      payload: 'x',
      contentType: 'text/plain',
    });
    expect(res.status).toBe(404);
    expect(codeOf(res)).toBe('NOT_FOUND');
  });
});

describe('GET /runs/:runId/artifacts', () => {
  it('lists the root and a sub-directory with root-relative paths', async () => {
    const listRun = await newRun();
    for (const path of ['b.txt', 'a/one.txt', 'a/deeper/two.txt']) {
      await request('PUT', `/runs/${listRun}/artifacts/${path}`, {
        payload: 'abc',
        contentType: 'text/plain',
      });
    }
    const root = await request('GET', `/runs/${listRun}/artifacts`);
    expect(root.status).toBe(200);
    expect(root.body['artifacts']).toEqual([
      { path: 'a', isDir: true },
      { path: 'b.txt', isDir: false, fileSize: 3 },
    ]);
    const sub = await request('GET', `/runs/${listRun}/artifacts?path=a`);
    expect(sub.body['artifacts']).toEqual([
      { path: 'a/deeper', isDir: true },
      { path: 'a/one.txt', isDir: false, fileSize: 3 },
    ]);
    const none = await request('GET', `/runs/${listRun}/artifacts?path=nothing-here`);
    expect(none.body['artifacts']).toEqual([]);
  });

  it('answers 400 for a traversal path and 404 for an unknown run', async () => {
    const bad = await request('GET', `/runs/${runId}/artifacts?path=${encodeURIComponent('../..')}`);
    expect(bad.status).toBe(400);
    expect(fieldOf(bad)).toBe('path');
    expect((await request('GET', `/runs/${'d'.repeat(32)}/artifacts`)).status).toBe(404);
  });
});

describe('runs with a user-chosen artifact location', () => {
  it('answers 409 FAILED_PRECONDITION with a clear message', async () => {
    const foreign = await newRun('s3://bucket/prefix');
    const put = await request('PUT', `/runs/${foreign}/artifacts/a.txt`, {
      payload: 'x',
      contentType: 'text/plain',
    });
    expect(put.status).toBe(409);
    expect(codeOf(put)).toBe('FAILED_PRECONDITION');
    expect((put.body['error'] as { message: string }).message).toContain('s3://bucket/prefix');
    expect((await request('GET', `/runs/${foreign}/artifacts/a.txt`)).status).toBe(409);
    expect((await request('GET', `/runs/${foreign}/artifacts`)).status).toBe(409);
  });
});
