#!/usr/bin/env node
/**
 * Scaling of batch scoring over the PostgreSQL queue: one job of PARTITIONS partitions scored by
 * 1, 2 and 4 `slipway worker` processes (built dist, pg-boss queue, PostgreSQL metadata store),
 * with the platform in this process running no jobs itself. Benchmarks are not tests: nothing
 * here asserts.
 *
 *   npm run build && node bench/batch-workers.mjs
 *
 * Environment (all optional):
 *   ROWS          rows of the generated Parquet input (default 2,000,000)
 *   PARTITIONS    partitions of the job (default 8)
 *   WORKERS       comma-separated worker counts (default 1,2,4)
 *   LOG           1: log every prediction into the PostgreSQL prediction log (default: off)
 *   SLIPWAY_BENCH_POSTGRES_URL  server to create a scratch database on
 *                 (default postgresql://postgres@127.0.0.1:5432/postgres)
 *
 * Each worker runs one delivery at a time (`--concurrency 1`), so N workers hold at most N
 * partitions at once; on a 2-core machine four workers share two cores. The time is from submit
 * to the job's `succeeded`, the final step (assembling the output) included.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { TextEncoder } from 'node:util';
import { logisticManifest, logisticOnnx } from './onnx-model.mjs';

const ROWS = Number(process.env.ROWS || 2_000_000);
const PARTITIONS = Number(process.env.PARTITIONS || 8);
const WORKERS = (process.env.WORKERS || '1,2,4').split(',').map(Number);
const LOG = process.env.LOG === '1';
const ADMIN_URL = process.env.SLIPWAY_BENCH_POSTGRES_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
const MAIN = fileURLToPath(new URL('../packages/server/dist/main.js', import.meta.url));
const FEATURES = 4;

const MANIFEST = logisticManifest(FEATURES);

async function admin(sql) {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function writeInput(path) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const features = Array.from(
    { length: FEATURES },
    (_, i) => `(hash(i * ${i + 7}) % 2000) / 1000.0 - 1 AS f${i}`,
  );
  await connection.run(
    `COPY (SELECT i AS id, ${features.join(', ')} FROM range(${ROWS}) t(i)) TO '${path}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
}

function startWorker(dataDir, url) {
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'worker',
      '--data-dir',
      dataDir,
      '--backend-store-uri',
      url,
      '--queue-uri',
      url,
      '--concurrency',
      '1',
      ...(LOG ? ['--prediction-log-uri', url] : []),
    ],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SLIPWAY_PREDICTION_LOG: LOG ? 'on' : 'off' },
    },
  );
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (output += c));
  child.stderr.setEncoding('utf8').on('data', (c) => (output += c));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (/Slipway worker \S+ running/.test(output)) {
        clearInterval(timer);
        resolve({ child, exited });
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        reject(new Error(`worker exited: ${output}`));
      }
    }, 20);
  });
}

async function stopWorkers(workers) {
  for (const w of workers) w.child.kill('SIGTERM');
  await Promise.all(workers.map((w) => w.exited));
}

async function main() {
  const database = `slipway_bench_${randomBytes(4).toString('hex')}`;
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-workers-'));
  await admin(`CREATE DATABASE ${database}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  const dbUrl = url.toString();
  let platform;
  try {
    const input = join(dir, 'input.parquet');
    await writeInput(input);
    const { loadConfig } = await import('../packages/server/dist/config.js');
    const { startPlatform } = await import('../packages/server/dist/main.js');
    const { SlipwayClient } = await import('../packages/sdk/dist/index.js');
    const config = loadConfig(
      { dataDir: dir, port: 0, backendStoreUri: dbUrl, queueUri: dbUrl, workers: 0, predictionLog: 'off' },
      {},
      dir,
    );
    platform = await startPlatform(config);
    const client = new SlipwayClient({ url: platform.url });
    const run = await client.runs.create({ experimentId: '0' });
    const runId = run.info.runId;
    await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(MANIFEST));
    await client.artifacts.upload(runId, 'model/model.onnx', await logisticOnnx([0.8, -1.2, 0.5, 0.3], 0.1));
    await client.models.register({ name: 'bench', source: `runs:/${runId}/model`, runId });

    console.log(
      `batch scoring over the pg-boss queue: ${ROWS.toLocaleString('en-US')} rows, ${PARTITIONS} partitions, ` +
        `logging ${LOG ? 'on (PostgreSQL)' : 'off'}, ${os.cpus().length} cores, node ${process.version}`,
    );
    const results = [];
    for (const count of WORKERS) {
      const workers = [];
      for (let i = 0; i < count; i++) workers.push(await startWorker(dir, dbUrl));
      const t0 = performance.now();
      const job = await client.jobs.submitBatchScore({
        model: { name: 'bench', version: '1' },
        input,
        output: join(dir, `out-${count}.parquet`),
        passthrough: ['id'],
        partitions: PARTITIONS,
        logPredictions: LOG,
      });
      const done = await client.jobs.wait(job.id, { intervalMs: 100 });
      const seconds = (performance.now() - t0) / 1000;
      await stopWorkers(workers);
      if (done.state !== 'succeeded') throw new Error(`job ${done.state}: ${JSON.stringify(done.error)}`);
      const holders = new Set(done.partitions.map((p) => p.worker)).size;
      results.push({ count, seconds, holders });
    }
    const base = results[0];
    console.log('');
    console.log('workers  seconds  rows/s      speedup  workers that took partitions');
    for (const r of results) {
      const rate = Math.round(ROWS / r.seconds).toLocaleString('en-US');
      console.log(
        `${String(r.count).padEnd(9)}${r.seconds.toFixed(2).padEnd(9)}${rate.padEnd(12)}${(base.seconds / r.seconds).toFixed(2).padEnd(9)}${r.holders}`,
      );
    }
  } finally {
    await platform?.close();
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
