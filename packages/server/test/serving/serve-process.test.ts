/**
 * `slipway serve --endpoint NAME` as a real child process against a platform's SQLite file and
 * artifact directory (the platform runs in this test process): predictions through the process,
 * an alias move made through the platform picked up by polling, a missing endpoint failing at start,
 * and SIGTERM finishing an in-flight request, flushing its prediction log and exiting 0.
 *
 * The child runs the CLI from source through vite-node with the repository's vitest config (so
 * `@slipway/*` resolve to source as in every test): no `npm run build` needed. A tiny entry file
 * written to a temp dir calls `runCli`, because main.ts only runs the CLI when it is argv[1].
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { SlipwayClient, type PredictResponse } from '@slipway/sdk';
import { LOGISTIC_AB_MANIFEST as MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const VITE_NODE = join(REPO, 'node_modules/vite-node/vite-node.mjs');
const PROGRAM = join(REPO, 'packages/server/src/cli/program.ts');
const SERVING = /Slipway serving endpoint \S+ \(\S+\) on (http:\/\/\S+)/;

/** Rows of the in-flight request: enough that the process is still computing or sending when SIGTERM lands (within the prediction queue's 100k capacity). */
const BIG_ROWS = 50_000;

let platform: TestPlatform;
let client: SlipwayClient;
let entryDir: string;
let entry: string;

async function registerVersion(weights: [number, number]): Promise<void> {
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx(weights, 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
}

/** A running `slipway serve` child. */
interface ServeProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

/** Spawns `slipway serve <args>` on the platform's stores; resolves once it prints its URL. */
function spawnServe(args: string[]): {
  child: ChildProcess;
  exited: ServeProcess['exited'];
  output(): string;
} {
  const child = spawn(
    process.execPath,
    [VITE_NODE, '-c', join(REPO, 'vitest.config.ts'), entry, '--', 'serve', ...args],
    { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SLIPWAY_LOG_LEVEL: 'off' } },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, output: () => output };
}

async function startServe(args: string[], timeoutMs = 30_000): Promise<ServeProcess> {
  const started = spawnServe(args);
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void started.exited.then(() => (exited = true));
  while (Date.now() < deadline && !exited) {
    const match = SERVING.exec(started.output());
    if (match?.[1]) return { ...started, url: match[1] };
    await sleep(50);
  }
  started.child.kill('SIGKILL');
  throw new Error(`slipway serve did not start:\n${started.output()}`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function storeArgs(): string[] {
  return ['--port', '0', '--data-dir', platform.dataDir];
}

/** POSTs a JSON body with node:http and reports when the whole body has been handed to the socket. */
function postJson(
  url: string,
  body: string,
  onSent: () => void,
): Promise<{ status: number; body: string; at: number }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, at: Date.now() }));
        // A response cut short (the process exiting mid-send) fails here with how much arrived.
        res.on('error', (e) =>
          reject(new Error(`${e.message}: status ${res.statusCode}, ${text.length} characters received`)),
        );
      },
    );
    req.on('error', reject);
    req.on('finish', onSent);
    req.end(body);
  });
}

beforeAll(async () => {
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url, user: 'serve-tester' });
  await registerVersion([2, -1]);
  await registerVersion([-1, 3]);
  await client.models.setAlias('fraud', 'champion', 1);
  await client.endpoints.create({
    name: 'fraud',
    model: { name: 'fraud', alias: 'champion' },
    maxRows: BIG_ROWS,
  });
  entryDir = await mkdtemp(join(tmpdir(), 'slipway-serve-entry-'));
  entry = join(entryDir, 'slipway-cli.ts');
  await writeFile(
    entry,
    `import { runCli } from ${JSON.stringify(PROGRAM)};\n` +
      `const code = await runCli(process.argv, { startPlatform: () => Promise.reject(new Error('not used')) });\n` +
      `if (code !== undefined) process.exit(code);\n`,
  );
});
afterAll(async () => {
  await platform?.close();
  if (entryDir) await rm(entryDir, { recursive: true, force: true });
});

describe('slipway serve --endpoint', () => {
  it('fails at start, naming the endpoint, when it does not exist', async () => {
    const started = spawnServe(['--endpoint', 'missing', ...storeArgs()]);
    const { code } = await started.exited;
    expect(code, started.output()).toBe(1);
    expect(started.output()).toContain("Endpoint 'missing' does not exist");
  }, 60_000);

  it('serves, follows an alias move, and drains an in-flight request on SIGTERM', async () => {
    const serve = await startServe(['--endpoint', 'fraud', ...storeArgs()]);
    try {
      expect(serve.output()).toContain('Slipway serving endpoint fraud (fraud/1)');
      const serving = new SlipwayClient({ url: serve.url });

      const first = await serving.endpoints.predict('fraud', [{ a: 1, b: 0 }]);
      expect(first).toMatchObject({ endpoint: 'fraud', model_version: '1', arm: 'live' });
      expect(first.predictions[0]?.['label']).toBe(1);

      // The single-endpoint routes refer to the served endpoint; the control plane is not here.
      const invocations = await fetch(`${serve.url}/invocations`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ dataframe_records: [{ a: 1, b: 0 }] }),
      });
      expect(invocations.status, await invocations.clone().text()).toBe(200);
      expect((await fetch(`${serve.url}/v2/health/ready`)).status).toBe(200);
      expect(await (await fetch(`${serve.url}/health`)).json()).toEqual({ status: 'ok' });
      expect((await fetch(`${serve.url}/api/v1/endpoints`)).status).toBe(404);

      // Moved through the platform (another process): the serve process picks it up by polling.
      await client.models.setAlias('fraud', 'champion', 2);
      const movedBy = Date.now() + 10_000;
      let answer: PredictResponse = first;
      while (Date.now() < movedBy) {
        answer = await serving.endpoints.predict('fraud', [{ a: 1, b: 0 }]);
        if (answer.model_version === '2') break;
        await sleep(200);
      }
      expect(answer.model_version).toBe('2');
      expect(answer.predictions[0]?.['label']).toBe(0);

      // SIGTERM while a large request is being served: it completes, then the process exits 0.
      const rows = Array.from({ length: BIG_ROWS }, (_, i) => ({ a: (i % 7) - 3, b: (i % 5) / 10 }));
      let killedAt = 0;
      const big = postJson(
        `${serve.url}/v1/endpoints/fraud/predict`,
        JSON.stringify({ instances: rows }),
        () => {
          setTimeout(() => {
            killedAt = Date.now();
            serve.child.kill('SIGTERM');
          }, 10);
        },
      );
      const reply = await big.catch(async (e: unknown) => {
        const exit = await serve.exited;
        throw new Error(`${String(e)}; serve exited ${JSON.stringify(exit)}:\n${serve.output()}`);
      });
      expect(reply.status, reply.body.slice(0, 500)).toBe(200);
      const body = JSON.parse(reply.body) as PredictResponse;
      expect(body.predictions).toHaveLength(BIG_ROWS);
      expect(body.model_version).toBe('2');
      expect(killedAt).toBeGreaterThan(0);
      expect(reply.at).toBeGreaterThanOrEqual(killedAt);
      const exit = await serve.exited;
      expect(exit, serve.output()).toEqual({ code: 0, signal: null });
    } finally {
      if (serve.child.exitCode === null && serve.child.signalCode === null) serve.child.kill('SIGKILL');
    }

    // Its own prediction log (the platform holds predictions.duckdb), flushed before exit.
    const db = await DuckDBInstance.create(join(platform.dataDir, 'predictions-serve-fraud.duckdb'));
    const connection = await db.connect();
    try {
      const counts = await connection.runAndReadAll(
        'SELECT model_version, count(*)::INTEGER AS n FROM predictions GROUP BY model_version ORDER BY model_version',
      );
      const byVersion = Object.fromEntries(counts.getRowObjects().map((r) => [r['model_version'], r['n']]));
      expect(byVersion['1']).toBeGreaterThanOrEqual(2);
      expect(byVersion['2']).toBeGreaterThanOrEqual(BIG_ROWS + 1);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  }, 90_000);
});
