#!/usr/bin/env node
/**
 * Batch scoring benchmark: the batch engine (scoreBatchPartition + finalizeBatchScore over the
 * DuckDB batch I/O) against a floor measured in the same run on the same file and model.
 * Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/batch.mjs
 *   ROWS=1000000 node bench/batch.mjs
 *
 * Environment (all optional):
 *   ROWS        rows of the generated input (default 10,000,000)
 *   BATCH       rows per model call (default 1024, the engine's default)
 *   CASES       comma-separated subset of floor,engine,logging (default all three)
 *   LOG_MEMORY  the logging case's prediction log DuckDB memory limit (the platform's
 *               --prediction-log-memory; default 256MB)
 *   BATCH_MEMORY the batch I/O DuckDB memory limit (--batch-memory; default 128MB)
 *   CHILD_NODE_ARGS  node flags for each case's child process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/p`
 *   LOG_RECORDS 1: the logging case hands the log record objects (the path of stores that cannot
 *               read part files) instead of the part files
 *
 * Input: a Parquet file of ROWS rows written by DuckDB into a fresh temp dir (never the repo):
 * `id` BIGINT and four DOUBLE features f0..f3 (uniform in [-1, 1), seeded). Model: an ONNX
 * logistic regression built here with onnx-proto (p = sigmoid(x·w + b); outputs `label` int64 [N]
 * and `probabilities` float32 [N, 2]); contract: f0..f3 float32 columns packed into x [N, 4].
 *
 * Cases (each in its own child process, so each peak RSS is its own):
 *   - floor: a plain loop that streams f0..f3 from the file with DuckDB, packs each BATCH rows
 *     column-wise into one Float32Array and runs the onnxruntime session directly, keeping only a
 *     checksum: no row objects, validation, output file or logging. No batch engine can beat it.
 *   - engine: planBatchScore, then scoreBatchPartition on one partition (chunkRows default 65,536,
 *     batchSize BATCH, logging off, passthrough `id`) with an always-held in-memory commit, then
 *     finalizeBatchScore into a Parquet output. Timed end to end, finalize included.
 *   - logging: the same with logPredictions on: every chunk's predictions stored (awaited, before
 *     its commit) into a DuckDbPredictionStore file in the temp dir, opened as the platform opens
 *     it (in a worker thread), imported from each part file (LOG_RECORDS=1: written as records).
 * CPU: user + system time of the child's timed section, all threads (DuckDB's, onnxruntime's);
 * `CPU vs floor` is the floor's CPU over the case's, a figure a loaded machine disturbs less than
 * rows/s.
 * Peak RSS: process.memoryUsage().rss sampled every 20 ms in the child (and once at the end).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { clearInterval, setInterval } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { logisticOnnx } from './onnx-model.mjs';
import { fmt, table } from './bench-util.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROWS = envNum('ROWS', 10_000_000);
const BATCH = envNum('BATCH', 1024);
const CASES = (process.env.CASES || 'floor,engine,logging').split(',');
const FEATURES = 4;
const WEIGHTS = [0.8, -1.2, 0.5, 0.3];
const BIAS = 0.1;

function envNum(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 1) throw new Error(`${name} must be a positive number, got ${raw}`);
  return v;
}

// ------------------------------------------------------------------------------------------ model

const CONTRACT = {
  inputs: {
    kind: 'columns',
    fields: Array.from({ length: FEATURES }, (_, i) => ({ name: `f${i}`, type: 'float32', nullable: false })),
  },
  outputs: {
    kind: 'tensors',
    fields: [
      { name: 'label', type: 'int64', shape: [-1], nullable: false },
      { name: 'probabilities', type: 'float32', shape: [-1, 2], nullable: false },
    ],
  },
  source: 'declared',
};

// ------------------------------------------------------------------------------------------ input

async function writeInput(path) {
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run('SELECT setseed(0.42)');
  const features = Array.from({ length: FEATURES }, (_, i) => `random() * 2 - 1 AS f${i}`).join(', ');
  await connection.run(
    `COPY (SELECT range AS id, ${features} FROM range(${ROWS})) TO '${path.replaceAll("'", "''")}' (FORMAT parquet)`,
  );
  connection.closeSync();
  instance.closeSync();
}

// ------------------------------------------------------------------------------------------ cases

/** CPU time (user + system, all threads) of this process since `start`, in ms. */
function cpuSince(start) {
  const { user, system } = process.cpuUsage(start);
  return (user + system) / 1000;
}

/** The process's memory now: RSS and the V8 heap, in bytes. */
function memoryNow() {
  const { rss, heapTotal } = process.memoryUsage();
  return { rss, heapTotal };
}

/**
 * Samples RSS until stopped; returns the peak in bytes, and at that peak how much was V8's heap
 * (the rest is native: DuckDB, onnxruntime, buffers), as `peakHeap`.
 */
function rssSampler() {
  let peak = memoryNow();
  // rss() alone is cheap; the full memoryUsage() walks V8's heap, so it is read at new peaks only.
  const sample = () => {
    if (process.memoryUsage.rss() > peak.rss) peak = memoryNow();
  };
  const timer = setInterval(sample, 20);
  return () => {
    clearInterval(timer);
    sample();
    rssSampler.peakHeap = peak.heapTotal;
    return peak.rss;
  };
}

async function floorCase(dir) {
  const ort = await import('onnxruntime-node');
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const session = await ort.InferenceSession.create(await logisticOnnx(WEIGHTS, BIAS), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
  });
  const instance = await DuckDBInstance.create(':memory:', {
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const connection = await instance.connect();
  const stop = rssSampler();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const columns = Array.from({ length: FEATURES }, (_, i) => `f${i}`).join(', ');
  const result = await connection.stream(`SELECT ${columns} FROM read_parquet($1)`, [
    join(dir, 'input.parquet'),
  ]);
  let x = new Float32Array(BATCH * FEATURES);
  let filled = 0;
  let rows = 0;
  let checksum = 0;
  const run = async (n) => {
    const tensor = new ort.Tensor('float32', n === BATCH ? x : x.subarray(0, n * FEATURES), [n, FEATURES]);
    const out = await session.run({ x: tensor });
    const labels = out.label.data;
    for (let i = 0; i < n; i++) checksum += Number(labels[i]);
    rows += n;
    x = new Float32Array(BATCH * FEATURES);
    filled = 0;
  };
  for (;;) {
    const chunk = await result.fetchChunk();
    if (chunk === null || chunk.rowCount === 0) break;
    const vectors = Array.from({ length: FEATURES }, (_, c) => chunk.getColumnVector(c));
    for (let r = 0; r < chunk.rowCount; r++) {
      for (let c = 0; c < FEATURES; c++) x[filled * FEATURES + c] = vectors[c].getItem(r);
      filled++;
      if (filled === BATCH) await run(BATCH);
    }
  }
  if (filled > 0) await run(filled);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(cpu0);
  const peak = stop();
  connection.closeSync();
  instance.closeSync();
  await session.release();
  return { rows, ms, cpuMs, peak, note: `label sum ${checksum}` };
}

async function engineCase(dir, logging) {
  const dist = '../packages/server/dist';
  const { loadOnnxModel } = await import(`${dist}/runtimes/onnx/onnx-model.js`);
  const { DuckDbBatchIo } = await import(`${dist}/storage/batch/duckdb-batch-io.js`);
  const { planBatchScore, scoreBatchPartition, finalizeBatchScore } = await import(
    `${dist}/jobs/batch/batch-score.js`
  );
  const model = await loadOnnxModel(await logisticOnnx(WEIGHTS, BIAS), CONTRACT);
  const io = new DuckDbBatchIo(process.env.BATCH_MEMORY ? { memoryLimit: process.env.BATCH_MEMORY } : {});
  const output = join(dir, logging ? 'scores-logged.parquet' : 'scores.parquet');
  let store;
  if (logging) {
    const { DuckDbPredictionStore } = await import(`${dist}/storage/predictions/duckdb-prediction-store.js`);
    // As the platform opens it: the DuckDB store in a worker thread of this process (its memory counts).
    store = await DuckDbPredictionStore.openInWorker(
      join(dir, 'predictions.duckdb'),
      process.env.LOG_MEMORY ? { memoryLimit: process.env.LOG_MEMORY } : {},
    );
  }
  const payload = {
    model: { name: 'bench', version: '1' },
    input: join(dir, 'input.parquet'),
    output,
    passthrough: ['id'],
    batchSize: BATCH,
    logPredictions: logging,
    overwrite: true,
  };
  const stop = rssSampler();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const plan = await planBatchScore(payload, CONTRACT, io);
  const chunks = [];
  const range = plan.ranges.length === 1 ? plan.ranges[0] : { rowStart: 0, rowEnd: plan.rowsTotal };
  let writeMs = 0;
  const outcome = await scoreBatchPartition(
    {
      jobId: 'bench-job',
      payload,
      partition: {
        jobId: 'bench-job',
        index: 0,
        state: 'running',
        rowStart: range.rowStart,
        rowEnd: range.rowEnd,
        attempts: 1,
        committedChunks: 0,
        rowsDone: 0,
        rowsRejected: 0,
      },
      model,
      modelName: 'bench',
      modelVersion: '1',
      token: 'bench-token',
      ...(store
        ? {
            predictions: {
              write: async (records) => {
                const w0 = performance.now();
                await store.write(records);
                writeMs += performance.now() - w0;
              },
              ...(process.env.LOG_RECORDS === '1'
                ? {}
                : {
                    importPart: async (part) => {
                      const w0 = performance.now();
                      await store.importPart(part);
                      writeMs += performance.now() - w0;
                    },
                  }),
            },
          }
        : {}),
      commit: async (chunk) => {
        chunks.push({ ...chunk, partition: 0 });
        return { held: true, cancelRequested: false };
      },
      now: Date.now,
      signal: new globalThis.AbortController().signal,
    },
    io,
  );
  const scoredMs = performance.now() - t0;
  const job = {
    id: 'bench-job',
    kind: 'batch_score',
    state: 'running',
    payload,
    createdAt: 0,
    updatedAt: 0,
    maxAttempts: 1,
    cancelRequested: false,
    progress: { rowsDone: 0, rowsRejected: 0, partitionsTotal: 1, partitionsDone: 0 },
  };
  const result = await finalizeBatchScore(job, chunks, '1', io);
  const ms = performance.now() - t0;
  const cpuMs = cpuSince(cpu0);
  const peak = stop();
  const size = (await stat(output)).size;
  await store?.close();
  await io.close();
  await model.close();
  const logNote = logging ? `, log writes ${fmt(writeMs / 1000, 1)} s` : '';
  const heapNote = `; V8 heap at the peak ${fmt(rssSampler.peakHeap / 1e6)} MB`;
  return {
    rows: result.rows,
    ms,
    cpuMs,
    peak,
    note:
      `${outcome}; ${chunks.length} chunks; scoring ${fmt(scoredMs / 1000, 1)} s, finalize ` +
      `${fmt((ms - scoredMs) / 1000, 1)} s${logNote}; output ${fmt(size / 1e6, 1)} MB${heapNote}`,
  };
}

async function child(name, dir) {
  const outcome = name === 'floor' ? await floorCase(dir) : await engineCase(dir, name === 'logging');
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

function runChild(name, dir) {
  return new Promise((resolve, reject) => {
    const nodeArgs = (process.env.CHILD_NODE_ARGS || '').split(' ').filter(Boolean);
    const proc = spawn(process.execPath, [...nodeArgs, SELF, '--child', name, dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    proc.stdout.on('data', (d) => (out += d));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) reject(new Error(`case ${name} exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()));
    });
  });
}

// ------------------------------------------------------------------------------------------ main

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-batch-'));
  try {
    console.log(
      `batch bench: ${fmt(ROWS)} rows, ${FEATURES} features, batch ${BATCH}; node ${process.version}, ` +
        `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}`,
    );
    const g0 = performance.now();
    await writeInput(join(dir, 'input.parquet'));
    const size = (await stat(join(dir, 'input.parquet'))).size;
    console.log(`input written in ${fmt((performance.now() - g0) / 1000, 1)} s (${fmt(size / 1e6, 1)} MB)`);
    const results = {};
    for (const name of CASES) {
      results[name] = await runChild(name, dir);
      const r = results[name];
      console.log(`${name}: ${fmt(r.rows)} rows in ${fmt(r.ms / 1000, 2)} s (${r.note})`);
    }
    const floor = results.floor;
    const rows = [['case', 'rows/s', 'CPU s', 'peak RSS MB', 'vs floor', 'CPU vs floor']];
    for (const name of CASES) {
      const r = results[name];
      const rate = r.rows / (r.ms / 1000);
      const ratio = floor ? `${fmt((100 * rate) / (floor.rows / (floor.ms / 1000)), 1)} %` : '-';
      const cpuRatio = floor ? `${fmt(floor.cpuMs / r.cpuMs, 2)}` : '-';
      rows.push([
        name,
        fmt(rate),
        fmt(r.cpuMs / 1000, 1),
        fmt(r.peak / 1e6),
        name === 'floor' ? '100 %' : ratio,
        cpuRatio,
      ]);
    }
    table(rows);
    console.log('goal: engine ≥ 80 % of the floor, peak RSS < 500 MB');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
