/**
 * `slipway worker` as real child processes sharing jobs with the platform (which runs in this test
 * process with no runner of its own): a worker killed with SIGKILL mid-partition, its partition
 * taken over by another worker once the lease lapses, and the output holding every row exactly
 * once, in order; on SQLite with the embedded queue, and on PostgreSQL with the pg-boss queue and
 * two workers sharing one job, and a worker running an evaluation job.
 *
 * The children run the CLI from source through vite-node (as test/serving/serve-process.test.ts
 * does), so no build is needed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import pg from 'pg';
import { SlipwayClient, type JobDetails } from '@slipway/sdk';
import type { ConfigFlags } from '../../src/config.js';
import { LOGISTIC_AB_MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';
import { TEST_POSTGRES_URL } from '../storage/backends.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const VITE_NODE = join(REPO, 'node_modules/vite-node/vite-node.mjs');
const PROGRAM = join(REPO, 'packages/server/src/cli/program.ts');
const RUNNING = /Slipway worker (\S+) running/;

let scratch: string;
let entry: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'slipway-workers-'));
  entry = join(scratch, 'slipway-cli.ts');
  await writeFile(
    entry,
    `import { runCli } from ${JSON.stringify(PROGRAM)};\n` +
      `const code = await runCli(process.argv, { startPlatform: () => Promise.reject(new Error('not used')) });\n` +
      `if (code !== undefined) process.exit(code);\n`,
  );
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A running worker child. */
interface Worker {
  child: ChildProcess;
  id: string;
  exited: Promise<void>;
  output(): string;
}

async function startWorker(args: string[]): Promise<Worker> {
  const child = spawn(
    process.execPath,
    [VITE_NODE, '-c', join(REPO, 'vitest.config.ts'), entry, '--', 'worker', ...args],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLIPWAY_LOG_LEVEL: 'off' },
    },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let done = false;
  void exited.then(() => (done = true));
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !done) {
    const match = RUNNING.exec(output);
    if (match?.[1]) return { child, id: match[1], exited, output: () => output };
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`slipway worker did not start:\n${output}`);
}

async function stopWorker(worker: Worker | undefined): Promise<void> {
  if (worker === undefined || worker.child.exitCode !== null || worker.child.signalCode !== null) return;
  worker.child.kill('SIGTERM');
  const killer = setTimeout(() => worker.child.kill('SIGKILL'), 10_000);
  await worker.exited;
  clearTimeout(killer);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the job until `done` holds for it (or the deadline passes). */
async function waitFor(
  client: SlipwayClient,
  id: string,
  done: (job: JobDetails) => boolean,
  timeoutMs = 120_000,
): Promise<JobDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await client.jobs.get(id);
    if (done(job)) return job;
    if (Date.now() > deadline) throw new Error(`job ${id} never got there: ${JSON.stringify(job)}`);
    await sleep(25);
  }
}

/** A Parquet file of `rows` rows: `id` 0..rows-1 and two features the model reads. */
async function writeParquet(path: string, rows: number): Promise<void> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT i AS id, (i % 97) / 48.5 - 1 AS a, (i % 31) / 15.5 - 1 AS b FROM range(${rows}) t(i))
     TO '${path.replaceAll("'", "''")}' (FORMAT parquet, ROW_GROUP_SIZE 10000)`,
  );
  conn.closeSync();
  db.closeSync();
}

/** Row count, distinct ids, and whether ids run 0..n-1 in file order, of an output file. */
async function outputShape(path: string): Promise<{ rows: number; distinct: number; inOrder: boolean }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const reader = await conn.runAndReadAll(
    `SELECT count(*) AS n, count(DISTINCT id) AS d,
       bool_and(id = file_row_number) AS ordered
     FROM read_parquet('${path.replaceAll("'", "''")}', file_row_number = true)`,
  );
  const [row] = reader.getRowObjectsJson() as { n: string | number; d: string | number; ordered: boolean }[];
  conn.closeSync();
  db.closeSync();
  return { rows: Number(row?.n), distinct: Number(row?.d), inOrder: row?.ordered === true };
}

async function registerModel(client: SlipwayClient): Promise<void> {
  const run = await client.runs.create({ experimentId: '0' });
  const runId = run.info.runId;
  await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(LOGISTIC_AB_MANIFEST));
  await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([1, 1], 0));
  await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
}

async function startPlatform(flags: ConfigFlags): Promise<{ platform: TestPlatform; client: SlipwayClient }> {
  const platform = await startTestPlatform({ listen: true, flags: { workers: 0, ...flags } });
  const client = new SlipwayClient({ url: platform.url });
  await registerModel(client);
  return { platform, client };
}

describe('workers on SQLite with the embedded queue', () => {
  let platform: TestPlatform;
  let client: SlipwayClient;
  const workers: Worker[] = [];

  beforeAll(async () => {
    ({ platform, client } = await startPlatform({ jobLease: '1s' }));
  });
  afterAll(async () => {
    for (const worker of workers) await stopWorker(worker);
    await platform?.close();
  });

  it('resumes a partition whose worker was killed at its last committed chunk, every row once', async () => {
    const rows = 120_000;
    const input = join(scratch, 'sqlite-in.parquet');
    const output = join(scratch, 'sqlite-out.parquet');
    await writeParquet(input, rows);
    const common = ['--data-dir', platform.dataDir, '--job-lease', '1s', '--concurrency', '1'];
    const first = await startWorker([
      ...common,
      '--prediction-log-uri',
      `duckdb:${join(scratch, 'w1.duckdb')}`,
    ]);
    workers.push(first);
    const job = await client.jobs.submitBatchScore({
      model: { name: 'fraud', version: '1' },
      input,
      output,
      passthrough: ['id'],
      chunkRows: 2_000,
      partitions: 1,
    });
    const midway = await waitFor(
      client,
      job.id,
      (j) => j.progress.rowsDone >= 20_000 || (j.state !== 'running' && j.state !== 'queued'),
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(midway.state).toBe('running');
    expect(midway.progress.rowsDone).toBeLessThan(rows);

    const second = await startWorker([
      ...common,
      '--prediction-log-uri',
      `duckdb:${join(scratch, 'w2.duckdb')}`,
    ]);
    workers.push(second);
    const done = await waitFor(client, job.id, (j) => j.state !== 'running' && j.state !== 'queued');
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    expect(done.partitions[0]).toMatchObject({
      state: 'done',
      attempts: 2,
      rowsDone: rows,
      committedChunks: rows / 2_000,
    });
    expect(await outputShape(output)).toEqual({ rows, distinct: rows, inOrder: true });
    // The log is at least once: a chunk the dead worker logged but never committed is logged again.
    await stopWorker(second);
    const logged = await loggedIds([join(scratch, 'w1.duckdb'), join(scratch, 'w2.duckdb')]);
    expect(logged.distinct).toBe(rows);
    expect(logged.total).toBeGreaterThanOrEqual(rows);
  }, 180_000);
});

/** Prediction ids logged across worker DuckDB files: all records, and distinct ids. */
async function loggedIds(files: string[]): Promise<{ total: number; distinct: number }> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  const union = files.map((file, i) => {
    return {
      attach: `ATTACH '${file.replaceAll("'", "''")}' AS w${i} (READ_ONLY)`,
      select: `SELECT prediction_id FROM w${i}.predictions`,
    };
  });
  for (const part of union) await conn.run(part.attach);
  const reader = await conn.runAndReadAll(
    `SELECT count(*) AS n, count(DISTINCT prediction_id) AS d FROM (${union.map((u) => u.select).join(' UNION ALL ')})`,
  );
  const [row] = reader.getRowObjectsJson() as { n: string | number; d: string | number }[];
  conn.closeSync();
  db.closeSync();
  return { total: Number(row?.n), distinct: Number(row?.d) };
}

describe.skipIf(TEST_POSTGRES_URL === undefined)('workers on PostgreSQL with the pg-boss queue', () => {
  let database: string;
  let url: string;
  let platform: TestPlatform;
  let client: SlipwayClient;
  const workers: Worker[] = [];

  beforeAll(async () => {
    database = `slipway_workers_${randomBytes(5).toString('hex')}`;
    await adminQuery(`CREATE DATABASE ${database}`);
    const parsed = new URL(TEST_POSTGRES_URL ?? '');
    parsed.pathname = `/${database}`;
    url = parsed.toString();
    ({ platform, client } = await startPlatform({
      backendStoreUri: url,
      queueUri: url,
      predictionLogUri: url,
      jobLease: '10s',
    }));
  });
  afterAll(async () => {
    for (const worker of workers) await stopWorker(worker);
    await platform?.close();
    if (database) await adminQuery(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  function workerArgs(): string[] {
    return [
      '--data-dir',
      platform.dataDir,
      '--backend-store-uri',
      url,
      '--queue-uri',
      url,
      '--prediction-log-uri',
      url,
      '--job-lease',
      '10s',
      '--concurrency',
      '1',
    ];
  }

  it("two workers share one job, and a killed worker's partition moves to the other after its lease", async () => {
    workers.push(await startWorker(workerArgs()), await startWorker(workerArgs()));
    const rows = 120_000;
    const input = join(scratch, 'pg-in.parquet');
    await writeParquet(input, rows);

    const shared = await client.jobs.submitBatchScore({
      model: { name: 'fraud', version: '1' },
      input,
      output: join(scratch, 'pg-shared.parquet'),
      passthrough: ['id'],
      chunkRows: 2_000,
      partitions: 6,
    });
    const sharedDone = await waitFor(client, shared.id, (j) => j.state !== 'running' && j.state !== 'queued');
    expect(sharedDone.state, JSON.stringify(sharedDone.error)).toBe('succeeded');
    const holders = new Set(sharedDone.partitions.map((p) => p.worker));
    expect(holders).toEqual(new Set(workers.map((w) => w.id)));
    expect(await outputShape(join(scratch, 'pg-shared.parquet'))).toEqual({
      rows,
      distinct: rows,
      inOrder: true,
    });

    const killed = await client.jobs.submitBatchScore({
      model: { name: 'fraud', version: '1' },
      input,
      output: join(scratch, 'pg-killed.parquet'),
      passthrough: ['id'],
      chunkRows: 1_000,
      partitions: 2,
    });
    const [victim, survivor] = workers;
    const held = await waitFor(client, killed.id, (j) =>
      j.partitions.some((p) => p.worker === victim?.id && p.state === 'running' && p.rowsDone > 0),
    );
    victim?.child.kill('SIGKILL');
    await victim?.exited;
    const orphan = held.partitions.find((p) => p.worker === victim?.id && p.state === 'running');
    const done = await waitFor(
      client,
      killed.id,
      (j) => j.state !== 'running' && j.state !== 'queued',
      180_000,
    );
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    const resumed = done.partitions.find((p) => p.index === orphan?.index);
    expect(resumed).toMatchObject({ state: 'done', worker: survivor?.id });
    expect(resumed?.attempts).toBeGreaterThanOrEqual(2);
    expect(await outputShape(join(scratch, 'pg-killed.parquet'))).toEqual({
      rows,
      distinct: rows,
      inOrder: true,
    });
  }, 300_000);

  it('a worker runs an evaluation job, which the platform (no runner of its own) only queues', async () => {
    const worker = await startWorker(workerArgs());
    workers.push(worker);
    // The model predicts label 1 when a + b > 0: these labels make it exactly right.
    const rows = Array.from({ length: 200 }, (_, i) => {
      const a = ((i * 37) % 200) / 100 - 1;
      const b = ((i * 61) % 200) / 100 - 1;
      return { a, b, y: a + b > 0 ? 1 : 0 };
    });
    const queued = await client.jobs.submitEvaluation({
      task: 'binary',
      labelColumn: 'y',
      dataset: { rows },
      models: [{ name: 'fraud', version: '1' }],
    });
    const done = await waitFor(client, queued.id, (j) => j.state !== 'running' && j.state !== 'queued');
    if (done.kind !== 'evaluation') throw new Error(`unexpected kind ${done.kind}`);
    expect(done.state, JSON.stringify(done.error)).toBe('succeeded');
    // Taken by a worker process (this one, or the survivor of the test before): never the platform.
    expect(workers.map((w) => w.id)).toContain(done.partitions[0]?.worker);
    expect(done.partitions[0]?.worker).not.toMatch(/:server$/);
    const evaluation = await client.evaluations.get(done.result?.evaluationId ?? '');
    expect(evaluation.report.models[0]?.metrics['accuracy']).toBe(1);
    expect(evaluation.dataset.rows).toBe(200);
  }, 120_000);
});

async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}
