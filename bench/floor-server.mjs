#!/usr/bin/env node
/**
 * The benchmark FLOOR: a bare Fastify app (the same Fastify Slipway uses, the same JSON body parsing and
 * body limit, no logging, no schemas) answering the MLflow routes the shared load scripts call, with no
 * storage and no serialization work. What Slipway costs above this is the cost of Slipway itself.
 *
 *   experiments/create          -> {"experiment_id":"1"}
 *   runs/create                 -> a minimal valid run with a fresh 32-hex id
 *   runs/log-metric, log-batch  -> body parsed, {}
 *   runs/search, get-history    -> the bytes Slipway answered to the identical request (captured by the
 *                                  driver, see --captures), {} for a request that was not captured
 *
 * usage: node bench/floor-server.mjs [--host 127.0.0.1] [--port 0] [--captures DIR]
 * Prints `floor listening on http://HOST:PORT ...` once it accepts connections.
 */
import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';

const API = '/api/2.0/mlflow';
/** Slipway's own body limit (packages/server/src/http/app.ts JSON_BODY_LIMIT). */
const JSON_BODY_LIMIT = 16 * 1024 * 1024;
const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * The key a captured response is stored under. Ids are ignored on purpose (the floor's runs and
 * experiments are not Slipway's); everything else that shapes the answer is part of the key.
 * The driver uses this same function when it records Slipway's answers.
 */
export function captureKey(route, params) {
  const s = (v) => (v === undefined || v === null ? '' : String(v));
  if (route === 'runs/search') {
    return [
      'runs/search',
      s(params.filter),
      s([].concat(params.order_by ?? []).join(',')),
      s(params.max_results),
      s(params.run_view_type),
      s(params.page_token),
    ].join('|');
  }
  if (route === 'metrics/get-history') {
    return ['metrics/get-history', s(params.metric_key), s(params.max_results), s(params.page_token)].join(
      '|',
    );
  }
  throw new Error(`no capture key for ${route}`);
}

/** Loads DIR/captures.json: [{ key, file, contentType }] -> Map key -> { body: Buffer, contentType }. */
function loadCaptures(dir) {
  const out = new Map();
  if (!dir) return out;
  const index = JSON.parse(readFileSync(join(dir, 'captures.json'), 'utf8'));
  for (const e of index)
    out.set(e.key, { body: readFileSync(join(dir, e.file)), contentType: e.contentType });
  return out;
}

export async function buildFloor({ captures = new Map() } = {}) {
  const app = Fastify({ logger: false, bodyLimit: JSON_BODY_LIMIT });
  const empty = Buffer.from('{}');
  const sendCaptured = (reply, key) => {
    const c = captures.get(key);
    return reply.type(c ? c.contentType : JSON_TYPE).send(c ? c.body : empty);
  };

  app.get('/health', async () => ({ status: 'ok' }));
  app.post(`${API}/experiments/create`, async () => ({ experiment_id: '1' }));
  app.post(`${API}/runs/create`, async (request) => {
    const b = request.body ?? {};
    const runId = randomBytes(16).toString('hex');
    return {
      run: {
        info: {
          run_id: runId,
          run_uuid: runId,
          experiment_id: String(b.experiment_id ?? '1'),
          run_name: b.run_name ?? 'run',
          user_id: '',
          status: 'RUNNING',
          start_time: b.start_time ?? Date.now(),
          artifact_uri: `mlflow-artifacts:/1/${runId}/artifacts`,
          lifecycle_stage: 'active',
        },
        data: {},
        inputs: {},
      },
    };
  });
  app.post(`${API}/runs/log-metric`, async () => ({}));
  app.post(`${API}/runs/log-batch`, async () => ({}));
  app.post(`${API}/runs/search`, (request, reply) =>
    sendCaptured(reply, captureKey('runs/search', request.body ?? {})),
  );
  app.get(`${API}/metrics/get-history`, (request, reply) =>
    sendCaptured(reply, captureKey('metrics/get-history', request.query ?? {})),
  );
  return app;
}

function parseArgs(argv) {
  const o = { host: '127.0.0.1', port: 0, captures: '' };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--host') o.host = argv[++i];
    else if (k === '--port') o.port = Number(argv[++i]);
    else if (k === '--captures') o.captures = argv[++i];
    else throw new Error(`unknown argument ${k}`);
  }
  return o;
}

function isEntryPoint() {
  try {
    return (
      !!process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const o = parseArgs(process.argv.slice(2));
  const captures = loadCaptures(o.captures);
  const app = await buildFloor({ captures });
  await app.listen({ host: o.host, port: o.port });
  const a = app.server.address();
  process.stdout.write(
    `floor listening on http://${o.host}:${a.port} (${captures.size} captured responses)\n`,
  );
  const stop = () => void app.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
