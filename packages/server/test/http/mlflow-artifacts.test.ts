/**
 * MLflow's proxied-artifact endpoints over a real socket (streaming and raw URL paths matter here):
 * byte-identical round trips up to past the JSON body limit, MLflow's listing shape, and traversal
 * attempts refused with 400 without touching the disk.
 */
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/** The real MLflow 2.12.2 server's listing of a run's artifact root. */
const REAL_LISTING = {
  files: [
    { path: 'cfg.json', is_dir: false, file_size: 39 },
    { path: 'hello.txt', is_dir: false, file_size: 15 },
    { path: 'model', is_dir: true },
  ],
};

let platform: TestPlatform;
let root: string;

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  const created = await fetch(`${platform.url}/api/2.0/mlflow/experiments/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: `artifacts-${process.pid}` }),
  });
  const { experiment_id: eid } = (await created.json()) as { experiment_id: string };
  const run = await fetch(`${platform.url}/api/2.0/mlflow/runs/create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ experiment_id: eid }),
  });
  const { run: body } = (await run.json()) as { run: { info: { run_id: string; artifact_uri: string } } };
  expect(body.info.artifact_uri).toBe(`mlflow-artifacts:/${eid}/${body.info.run_id}/artifacts`);
  root = `${eid}/${body.info.run_id}/artifacts`;
});

afterAll(async () => {
  await platform.close();
});

const artifactUrl = (path: string, prefix = '/api/2.0'): string =>
  `${platform.url}${prefix}/mlflow-artifacts/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`;

async function upload(
  path: string,
  bytes: Buffer | string,
  contentType = 'application/octet-stream',
): Promise<void> {
  const res = await fetch(artifactUrl(path), {
    method: 'PUT',
    headers: { 'content-type': contentType },
    body: bytes,
  });
  expect(res.status, await res.clone().text()).toBe(200);
  expect(await res.json()).toEqual({});
}

async function download(path: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(artifactUrl(path));
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    bytes: Buffer.from(await res.arrayBuffer()),
  };
}

async function list(path?: string): Promise<unknown> {
  const query = path === undefined ? '' : `?path=${encodeURIComponent(path)}`;
  const res = await fetch(`${platform.url}/api/2.0/mlflow-artifacts/artifacts${query}`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  return res.json();
}

/** Sends a request with its path exactly as given (fetch would resolve dot segments first). */
function raw(method: string, path: string, body?: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(platform.url);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> =
      body === undefined ? {} : { 'content-length': Buffer.byteLength(body) };
    const req = httpRequest({ host: hostname, port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('MLflow artifact endpoints', () => {
  it('round-trips files byte for byte, whatever Content-Type the client sends', async () => {
    const json = Buffer.from('{"a": 1, "b": [1, 2]}\n');
    await upload(`${root}/cfg.json`, json, 'application/json');
    await upload(`${root}/hello.txt`, 'hello world\n', 'text/plain');
    const blob = Buffer.from(Array.from({ length: 256 * 40 }, (_, i) => i % 256));
    await upload(`${root}/sub/dir/blob.bin`, blob);
    await upload(`${root}/model/name with space.txt`, 'spaces\n', 'text/plain');
    await upload(`${root}/model/wörld ✓.txt`, 'unicode\n', 'text/plain');
    const txt = await download(`${root}/cfg.json`);
    expect(txt).toEqual({ status: 200, type: 'text/plain', bytes: json });
    expect((await download(`${root}/sub/dir/blob.bin`)).bytes.equals(blob)).toBe(true);
    expect((await download(`${root}/sub/dir/blob.bin`)).type).toBe('application/octet-stream');
    expect((await download(`${root}/model/name with space.txt`)).bytes.toString()).toBe('spaces\n');
    expect((await download(`${root}/model/wörld ✓.txt`)).bytes.toString()).toBe('unicode\n');
    const res = await fetch(artifactUrl(`${root}/hello.txt`));
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="hello.txt"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-length')).toBe('12');
  });

  it('streams a 5 MB binary and an upload larger than the JSON body limit unchanged', async () => {
    const five = randomBytes(5 * 1024 * 1024);
    await upload(`${root}/big/five.bin`, five);
    const got = await download(`${root}/big/five.bin`);
    expect(got.bytes.length).toBe(five.length);
    expect(sha(got.bytes)).toBe(sha(five));
    const huge = randomBytes(17 * 1024 * 1024);
    await upload(`${root}/big/huge.bin`, huge);
    expect(sha((await download(`${root}/big/huge.bin`)).bytes)).toBe(sha(huge));
    await fetch(artifactUrl(`${root}/big`), { method: 'DELETE' });
  });

  it('stores an empty file and lists it without file_size, as MLflow does', async () => {
    await upload(`${root}/e/empty.txt`, Buffer.alloc(0), 'text/plain');
    expect((await download(`${root}/e/empty.txt`)).bytes.length).toBe(0);
    expect(await list(`${root}/e`)).toEqual({ files: [{ path: 'empty.txt', is_dir: false }] });
  });

  it('lists a directory like the real server: basenames, sorted, no size for directories', async () => {
    const listing = (await list(root)) as { files: { path: string; is_dir: boolean; file_size?: number }[] };
    expect(listing.files.map((f) => f.path)).toEqual(['cfg.json', 'e', 'hello.txt', 'model', 'sub']);
    const byName = Object.fromEntries(listing.files.map((f) => [f.path, f]));
    expect(byName['hello.txt']).toEqual({ path: 'hello.txt', is_dir: false, file_size: 12 });
    expect(byName['model']).toEqual({ path: 'model', is_dir: true });
    for (const real of REAL_LISTING.files) {
      expect(Object.keys(byName[real.path] ?? {}).sort()).toEqual(Object.keys(real).sort());
    }
    expect(await list(`${root}/sub`)).toEqual({ files: [{ path: 'dir', is_dir: true }] });
    expect(await list(`${root}/hello.txt`)).toEqual({});
    expect(await list(`${root}/does/not/exist`)).toEqual({});
    const top = (await list()) as { files: { path: string }[] };
    expect(top.files.map((f) => f.path)).toContain(root.split('/')[0]);
  });

  it('answers a missing file with 404 and deletes files and directories', async () => {
    const missing = await fetch(artifactUrl(`${root}/nope.txt`));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error_code: string }).error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    await upload(`${root}/gone/x.txt`, 'x', 'text/plain');
    const del = await fetch(artifactUrl(`${root}/gone`), { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(await del.json()).toEqual({});
    expect(await list(`${root}/gone`)).toEqual({});
    expect((await download(`${root}/gone/x.txt`)).status).toBe(404);
  });

  it('overwrites a file on a second upload', async () => {
    await upload(`${root}/over.txt`, 'one', 'text/plain');
    await upload(`${root}/over.txt`, 'two!', 'text/plain');
    expect((await download(`${root}/over.txt`)).bytes.toString()).toBe('two!');
  });

  it('is served under /ajax-api/2.0 as well', async () => {
    const res = await fetch(artifactUrl(`${root}/hello.txt`, '/ajax-api/2.0'));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('hello world\n');
  });

  it('refuses traversal in the URL path and in ?path= with 400, touching nothing', async () => {
    const sentinel = join(platform.dataDir, 'sentinel.txt');
    await writeFile(sentinel, 'original');
    const before = (await readdir(platform.dataDir)).sort();
    const base = '/api/2.0/mlflow-artifacts/artifacts';
    const attempts = [
      `${base}/../sentinel.txt`,
      `${base}/..%2fsentinel.txt`,
      `${base}/..%2Fsentinel.txt`,
      `${base}/%2e%2e/sentinel.txt`,
      `${base}/%2E%2E%2Fsentinel.txt`,
      `${base}/%252e%252e%252fsentinel.txt`,
      `${base}/${root}/../../../../sentinel.txt`,
      `${base}/${root}/..%2f..%2f..%2f..%2fsentinel.txt`,
      `${base}//etc/passwd`,
      `${base}/%2fetc%2fpasswd`,
      `${base}/..%5csentinel.txt`,
      `${base}/x%00.txt`,
      `/ajax-api/2.0/mlflow-artifacts/artifacts/..%2fsentinel.txt`,
    ];
    for (const path of attempts) {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const res = await raw(method, path, method === 'PUT' ? 'owned' : undefined);
        expect(res.status, `${method} ${path}`).toBe(400);
        expect(JSON.parse(res.body).error_code, `${method} ${path}`).toBe('INVALID_PARAMETER_VALUE');
      }
    }
    for (const value of ['..', '../..', '%2e%2e', '/etc', `${root}/../../..`, '%252e%252e%252f']) {
      const res = await raw('GET', `${base}?path=${encodeURIComponent(value)}`);
      expect(res.status, `?path=${value}`).toBe(400);
    }
    expect(await readFile(sentinel, 'utf8')).toBe('original');
    expect((await readdir(platform.dataDir)).sort()).toEqual(before);
    expect((await stat(sentinel)).size).toBe(8);
  });
});
