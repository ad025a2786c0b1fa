#!/usr/bin/env node
/**
 * Registry benchmark: alias resolution (the serving path's `fraud@champion` lookup) and model load
 * time, each against a floor measured in the same run. Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/registry.mjs [--requests 5000] [--concurrency 4] [--loads 20] [--dim 512]
 *
 * 1. Alias resolution over HTTP: `GET /api/2.0/mlflow/registered-models/alias` against Slipway
 *    (embedded SQLite in a fresh temp dir), then the same request against a bare Fastify app answering
 *    the bytes Slipway answered (the floor: HTTP + transfer, no lookup).
 * 2. Alias resolution in process: RegistryService.getVersionByAlias with the cache (default TTL) and
 *    with caching off (every call reads SQLite), against a Map lookup floor.
 * 3. Model load: resolve `models:/bench@champion`, re-hash the package against its digest, read the
 *    ONNX file and create an ONNX Runtime session; floor: creating the session from bytes in memory.
 */
import { Buffer } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { createPlatform } from '../packages/server/dist/main.js';
import { loadConfig } from '../packages/server/dist/config.js';
import { RegistryService } from '../packages/server/dist/registry/registry-service.js';
import { FsArtifactStore } from '../packages/server/dist/storage/artifacts/fs-artifact-store.js';
import { openMetadataStores } from '../packages/server/dist/storage/open-stores.js';
import { TrackingService } from '../packages/server/dist/tracking/tracking-service.js';

const args = parseArgs(process.argv.slice(2));
const REQUESTS = Number(args.requests ?? 5000);
const CONCURRENCY = Number(args.concurrency ?? 4);
const LOADS = Number(args.loads ?? 20);
const DIM = Number(args.dim ?? 512);
const MODEL = 'bench';
const API = '/api/2.0/mlflow';
const SESSION_OPTIONS = { intraOpNumThreads: 1, interOpNumThreads: 1 };

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) out[argv[i].replace(/^--/, '')] = argv[i + 1];
  return out;
}

/** A DIM x DIM dense layer (MatMul + Add): a model whose size is dominated by one weight tensor. */
function denseOnnx(dim) {
  const { onnx } = onnxProto;
  const weights = Array.from({ length: dim * dim }, (_, i) => ((i * 7919) % 1000) / 1000);
  const tensor = (name, dims) => ({
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'slipway-bench',
    graph: {
      name: 'dense',
      node: [
        { opType: 'MatMul', input: ['x', 'w'], output: ['h'] },
        { opType: 'Add', input: ['h', 'b'], output: ['y'] },
      ],
      initializer: [
        { name: 'w', dims: [dim, dim], dataType: 1, floatData: weights },
        { name: 'b', dims: [dim], dataType: 1, floatData: new Array(dim).fill(0.5) },
      ],
      input: [tensor('x', ['N', dim])],
      output: [tensor('y', ['N', dim])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

const MLMODEL = `artifact_path: model
flavors:
  onnx:
    data: model.onnx
    onnx_version: 1.14.0
  python_function:
    data: model.onnx
    loader_module: mlflow.onnx
    python_version: 3.11.4
mlflow_version: 2.12.2
utc_time_created: '2026-12-01 00:00:00.000000'
`;

// ------------------------------------------------------------------------------------------ HTTP

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function request(base, method, path, body) {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const payload =
      body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 500) >= 400)
            reject(new Error(`${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Closed-loop load: CONCURRENCY clients each sending requests back to back until REQUESTS are done. */
async function load(base, path) {
  const latencies = [];
  let next = 0;
  const started = performance.now();
  const client = async () => {
    while (next < REQUESTS) {
      next++;
      const t0 = performance.now();
      await request(base, 'GET', path);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  const seconds = (performance.now() - started) / 1000;
  return { rps: REQUESTS / seconds, ...percentiles(latencies) };
}

function percentiles(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function setUpModel(base) {
  const experiment = JSON.parse(
    await request(base, 'POST', `${API}/experiments/create`, { name: `bench-${randomUUID()}` }),
  );
  const run = JSON.parse(
    await request(base, 'POST', `${API}/runs/create`, { experiment_id: experiment.experiment_id }),
  );
  const { run_id: runId, experiment_id: experimentId } = run.run.info;
  const root = `/api/2.0/mlflow-artifacts/artifacts/${experimentId}/${runId}/artifacts/model`;
  const onnxBytes = denseOnnx(DIM);
  await request(base, 'PUT', `${root}/model.onnx`, onnxBytes);
  await request(base, 'PUT', `${root}/MLmodel`, Buffer.from(MLMODEL));
  await request(base, 'POST', `${API}/registered-models/create`, { name: MODEL });
  await request(base, 'POST', `${API}/model-versions/create`, {
    name: MODEL,
    source: `runs:/${runId}/model`,
    run_id: runId,
  });
  await request(base, 'POST', `${API}/registered-models/alias`, {
    name: MODEL,
    alias: 'champion',
    version: '1',
  });
  return onnxBytes;
}

async function floorServer(body) {
  const app = Fastify({ logger: false });
  app.get(`${API}/registered-models/alias`, (_req, reply) => {
    void reply.header('content-type', 'application/json').send(body);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return { url, close: () => app.close() };
}

// ------------------------------------------------------------------------------------ in process

function timeCalls(n, fn) {
  return (async () => {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return ((performance.now() - t0) * 1000) / n;
  })();
}

async function inProcess(dataDir, onnxBytes) {
  const stores = await openMetadataStores(`sqlite:${join(dataDir, 'slipway.db')}`);
  const artifacts = new FsArtifactStore(join(dataDir, 'artifacts'));
  const tracking = new TrackingService({
    store: stores.tracking,
    defaultArtifactLocation: (id) => `mlflow-artifacts:/${id}`,
  });
  const cached = new RegistryService({ store: stores.registry, tracking, artifacts });
  const uncached = new RegistryService({ store: stores.registry, tracking, artifacts, aliasCacheTtlMs: 0 });
  const map = new Map([[`${MODEL}\0champion`, { version: '1' }]]);
  const n = 20_000;
  const resolve = {
    cachedUs: await timeCalls(n, () => cached.getVersionByAlias(MODEL, 'champion')),
    uncachedUs: await timeCalls(2_000, () => uncached.getVersionByAlias(MODEL, 'champion')),
    floorMapUs: await timeCalls(n, () => Promise.resolve(map.get(`${MODEL}\0champion`))),
  };

  const loadTimes = [];
  const floorTimes = [];
  for (let i = 0; i < LOADS; i++) {
    let t0 = performance.now();
    const version = await cached.resolveModelUri(`models:/${MODEL}@champion`);
    const { entryPoint } = await cached.loadPackage(MODEL, version.version, { readEntryPoint: true });
    const session = await ort.InferenceSession.create(entryPoint, SESSION_OPTIONS);
    loadTimes.push(performance.now() - t0);
    await session.release();
    t0 = performance.now();
    const bare = await ort.InferenceSession.create(onnxBytes, SESSION_OPTIONS);
    floorTimes.push(performance.now() - t0);
    await bare.release();
  }
  await stores.close();
  return { resolve, load: percentiles(loadTimes), floorLoad: percentiles(floorTimes) };
}

// ------------------------------------------------------------------------------------------ main

const dataDir = await mkdtemp(join(tmpdir(), 'slipway-bench-registry-'));
try {
  const config = loadConfig({ dataDir, port: 0, host: '127.0.0.1' }, {}, dataDir);
  const platform = await createPlatform(config);
  const base = await platform.app.listen({ host: '127.0.0.1', port: 0 });
  const onnxBytes = await setUpModel(base);
  const aliasPath = `${API}/registered-models/alias?name=${MODEL}&alias=champion`;
  const answer = await request(base, 'GET', aliasPath);
  const slipway = await load(base, aliasPath);
  await platform.close();
  const floor = await floorServer(answer);
  const floorHttp = await load(floor.url, aliasPath);
  await floor.close();
  agent.destroy();
  const local = await inProcess(dataDir, onnxBytes);

  const fmt = (x, d = 2) => x.toFixed(d);
  console.log(
    `registry bench: ${REQUESTS} requests x ${CONCURRENCY} clients; model ${DIM}x${DIM} float32 (${(onnxBytes.length / 1e6).toFixed(2)} MB); ${LOADS} loads`,
  );
  console.log('| measure | Slipway | floor | Slipway/floor |');
  console.log('|---|---|---|---|');
  console.log(
    `| alias over HTTP, req/s | ${fmt(slipway.rps, 0)} | ${fmt(floorHttp.rps, 0)} | ${fmt(slipway.rps / floorHttp.rps)} |`,
  );
  console.log(
    `| alias over HTTP, p50 ms | ${fmt(slipway.p50, 3)} | ${fmt(floorHttp.p50, 3)} | ${fmt(slipway.p50 / floorHttp.p50)} |`,
  );
  console.log(
    `| alias over HTTP, p99 ms | ${fmt(slipway.p99, 3)} | ${fmt(floorHttp.p99, 3)} | ${fmt(slipway.p99 / floorHttp.p99)} |`,
  );
  console.log(
    `| alias in process, cached, us/call | ${fmt(local.resolve.cachedUs)} | ${fmt(local.resolve.floorMapUs)} (Map) | ${fmt(local.resolve.cachedUs / local.resolve.floorMapUs)} |`,
  );
  console.log(
    `| alias in process, uncached (SQLite), us/call | ${fmt(local.resolve.uncachedUs)} | ${fmt(local.resolve.cachedUs)} (cached) | ${fmt(local.resolve.uncachedUs / local.resolve.cachedUs)} |`,
  );
  console.log(
    `| model load p50 ms (resolve + digest + session) | ${fmt(local.load.p50)} | ${fmt(local.floorLoad.p50)} (session only) | ${fmt(local.load.p50 / local.floorLoad.p50)} |`,
  );
  console.log(
    `| model load p99 ms | ${fmt(local.load.p99)} | ${fmt(local.floorLoad.p99)} | ${fmt(local.load.p99 / local.floorLoad.p99)} |`,
  );
} finally {
  await rm(dataDir, { recursive: true, force: true });
}
