import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const INDEX = '<!doctype html><title>Slipway</title><div id="root"></div>';

let uiDir: string;
let built: TestPlatform;
let unbuilt: TestPlatform;

beforeAll(async () => {
  // A stand-in build: the serving rules do not depend on what the bundle holds.
  uiDir = await mkdtemp(join(tmpdir(), 'slipway-ui-'));
  await mkdir(join(uiDir, 'assets'));
  await writeFile(join(uiDir, 'index.html'), INDEX);
  await writeFile(join(uiDir, 'assets', 'index-abc123.js'), 'console.log("app")');
  built = await startTestPlatform({ flags: { uiDir } });
  unbuilt = await startTestPlatform({ flags: { uiDir: join(uiDir, 'missing') } });
});
afterAll(async () => {
  await built.close();
  await unbuilt.close();
  await rm(uiDir, { recursive: true, force: true });
});

describe('the web UI at /', () => {
  it('serves index.html at / and for deep links a browser opens', async () => {
    for (const url of ['/', '/experiments', '/experiments/3?filter=metrics.rmse%20%3C%200.5', '/runs/abc']) {
      const res = await built.app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['cache-control'], url).toBe('no-cache');
    }
  });

  it('serves hashed bundles as immutable', async () => {
    const res = await built.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('javascript');
    expect(res.headers['cache-control']).toContain('immutable');
  });

  it('leaves the API alone: JSON answers and JSON 404s, even for a browser', async () => {
    const api = await built.app.inject({ method: 'GET', url: '/api/v1/experiments', headers: HTML });
    expect(api.statusCode).toBe(200);
    expect(api.headers['content-type']).toContain('application/json');
    for (const url of ['/api/v1/nope', '/ajax-api/2.0/mlflow/nope', '/v2/models/x/nope']) {
      const res = await built.app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/json');
    }
    expect((await built.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
  });

  it('answers a missing file or a non-browser client with the JSON 404', async () => {
    const asset = await built.app.inject({ method: 'GET', url: '/assets/gone.js' });
    expect(asset.statusCode).toBe(404);
    const curl = await built.app.inject({ method: 'GET', url: '/experiments', headers: { accept: '*/*' } });
    expect(curl.statusCode).toBe(404);
    const post = await built.app.inject({ method: 'POST', url: '/experiments', headers: HTML });
    expect(post.statusCode).toBe(404);
  });

  it('says how to build the UI when there is no build, instead of a 404', async () => {
    for (const url of ['/', '/experiments/1']) {
      const res = await unbuilt.app.inject({ method: 'GET', url, headers: HTML });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type'], url).toContain('text/html');
      expect(res.body, url).toContain('has not been built');
      expect(res.body, url).toContain('npm run build');
    }
    const api = await unbuilt.app.inject({ method: 'GET', url: '/api/v1/experiments' });
    expect(api.statusCode).toBe(200);
  });
});
