/**
 * The prediction log's durability rule against a real crash (docs/serving.md "Prediction log
 * hand-off", docs/storage.md "Durability rule"): predictions are queued in memory and written to
 * `<data-dir>/predictions.duckdb` at least every second, and a written batch is durable. So a
 * prediction acknowledged more than a flush interval (plus a margin for the write itself) before
 * the process dies must survive `kill -9`.
 *
 * The built server runs as a child process. Several clients drive predictions continuously, each
 * request carrying a unique sequence number as its input (`{x: seq}`), and the local time each
 * 200 arrives is recorded with its prediction id. After a seeded random 1.5-4 s the process is
 * SIGKILLed with traffic in flight; the data dir is kept and the next round restarts the server on
 * it, so the platform reopens the file and replays its write-ahead log. After every kill the log
 * is read twice: from a copy of the dead process's files opened directly with DuckDB, and through
 * the restarted server's API (the two must agree). Checked each time, over everything logged so
 * far:
 * - every prediction acknowledged at least `SAFE_AGE_MS` before its kill is stored;
 * - no prediction id is stored twice;
 * - every stored row is a request that was sent: acknowledged (then under the id it was
 *   acknowledged with) or still unanswered when the process died.
 * Needs `npm run build` (the test runs `packages/server/dist/main.js`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { PREDICTION_QUEUE_DEFAULT_FLUSH_INTERVAL_MS } from '../../src/serving/prediction-queue.js';
import { SERVER_MAIN } from '../helpers/server-process.js';

/** Seed of the kill delays; `SLIPWAY_CRASH_SEED` replays another run. */
const SEED = Number(process.env['SLIPWAY_CRASH_SEED'] ?? 0x5eed);
const ROUNDS = 3;
const CLIENTS = 8;
const KILL_AFTER_MIN_MS = 1_500;
const KILL_AFTER_MAX_MS = 4_000;
/** A prediction acknowledged this long before the kill must be in the log: a flush interval plus margin. */
const SAFE_AGE_MS = PREDICTION_QUEUE_DEFAULT_FLUSH_INTERVAL_MS + 500;
const LISTENING = /Slipway listening on (http:\/\/\S+)/;

/** mulberry32: a small seeded generator, so the kill times are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<void>;
  output(): string;
}

/** Starts `main.js server` on `dataDir` (kept between rounds) and resolves once it listens. */
function startServer(dataDir: string): Promise<Child> {
  const child = spawn(process.execPath, [SERVER_MAIN, 'server', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'off', SLIPWAY_PREDICTION_LOG: 'on' },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let listening = false;
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      if (listening) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`server ${why}\n${output}`));
    };
    const timer = setTimeout(() => fail('printed no URL within 20 s'), 20_000);
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      output += chunk;
      const match = LISTENING.exec(output);
      if (match?.[1]) {
        listening = true;
        clearTimeout(timer);
        resolve({ process: child, url: match[1], exited, output: () => output });
      }
    });
    child.once('exit', (code, signal) => fail(`exited early (code ${code}, signal ${signal})`));
    child.once('error', (err) => fail(`failed to start: ${err.message}`));
  });
}

async function call(url: string, method: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** One request as the clients saw it. */
interface Sent {
  round: number;
  /** The prediction id of the 200, and when it arrived (performance.now()); absent if none came. */
  id?: string;
  ackedAt?: number;
}

/** One stored row, as far as the checks need it. */
interface StoredRow {
  id: string;
  seq: number;
  endpoint: string;
  output: string;
}

/** Every sent request by sequence number (its input `x`), over all rounds. */
const sent = new Map<number, Sent>();
let nextSeq = 0;
/** Ids stored at an earlier round's check: a later crash must not lose them. */
const storedBefore = new Set<string>();

/**
 * Sends one prediction request for `x = seq` and records its answer. Resolves false once the server
 * is unreachable (the kill); any other answer than a 200 with one prediction id fails the test.
 */
async function predictOnce(url: string, round: number): Promise<boolean> {
  const seq = nextSeq++;
  const entry: Sent = { round };
  sent.set(seq, entry);
  let res: Response;
  let body: Record<string, unknown>;
  try {
    res = await fetch(`${url}/v1/endpoints/crash/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [{ x: seq }] }),
    });
    body = (await res.json()) as Record<string, unknown>;
  } catch {
    return false; // connection refused or reset: the process is gone
  }
  const ids = body['prediction_ids'];
  if (res.status !== 200 || !Array.isArray(ids) || ids.length !== 1 || typeof ids[0] !== 'string') {
    throw new Error(`predict answered ${res.status}: ${JSON.stringify(body)}`);
  }
  entry.ackedAt = performance.now();
  entry.id = ids[0];
  return true;
}

/** Reads the log from a copy of the dead process's files, so the original's WAL is left for the restart. */
async function readDirectly(dataDir: string, scratch: string): Promise<StoredRow[]> {
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch);
  for (const file of ['predictions.duckdb', 'predictions.duckdb.wal']) {
    if (existsSync(join(dataDir, file))) await copyFile(join(dataDir, file), join(scratch, file));
  }
  const instance = await DuckDBInstance.create(join(scratch, 'predictions.duckdb'));
  try {
    const connection = await instance.connect();
    try {
      const reader = await connection.runAndReadAll(
        `SELECT prediction_id, endpoint, CAST(json_extract(input, '$.x') AS BIGINT) AS seq,
           CAST(output AS VARCHAR) AS output FROM predictions`,
      );
      return (reader.getRowObjectsJS() as Record<string, unknown>[]).map((row) => ({
        id: String(row['prediction_id']),
        seq: Number(row['seq']),
        endpoint: String(row['endpoint']),
        output: String(row['output']),
      }));
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Reads the whole log of endpoint `crash` through the server's API, page by page. */
async function readThroughApi(url: string): Promise<StoredRow[]> {
  const rows: StoredRow[] = [];
  let cursor: string | undefined;
  do {
    const query = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await call(`${url}/api/v1/endpoints/crash/predictions?limit=1000${query}`, 'GET');
    for (const p of page['predictions'] as Record<string, unknown>[]) {
      rows.push({
        id: String(p['predictionId']),
        seq: Number((p['input'] as Record<string, unknown>)['x']),
        endpoint: String(p['endpoint']),
        output: JSON.stringify(p['output']),
      });
    }
    cursor = page['nextCursor'] as string | undefined;
  } while (cursor !== undefined);
  return rows;
}

interface RoundReport {
  round: number;
  killAfterMs: number;
  /** Requests sent this round, answered with a 200, and never answered (in flight at the kill). */
  sent: number;
  acked: number;
  unanswered: number;
  /** Acknowledged at least SAFE_AGE_MS before the kill: every one must be stored. */
  safe: number;
  /** Acknowledged less than SAFE_AGE_MS before the kill (or after it): allowed to be lost. */
  recent: number;
  lostSafe: number;
  lostRecent: number;
  /** Rows stored for requests that were never answered (allowed: offered, then killed before the reply). */
  storedUnanswered: number;
  /** Age at the kill of the oldest acknowledged prediction that is missing (ms), if any. */
  oldestLostAgeMs?: number;
  /** How long the restart after this kill took, and reading the log back (direct, then API). */
  restartMs: number;
  readMs: number;
  apiReadMs: number;
}

/** The part of a round's report that `check` counts. */
type RoundCounts = Omit<RoundReport, 'round' | 'killAfterMs' | 'restartMs' | 'readMs' | 'apiReadMs'>;

/** What `check` found wrong; every list must be empty. */
interface Violations {
  duplicates: string[];
  garbage: string[];
  vanished: string[];
  lostSafe: string[];
}

/**
 * Counts round `round` against the whole log `rows`, read after its kill at `killedAt`. Rows of
 * earlier rounds were counted at their own kills; they are only required to still be there.
 */
function check(
  rows: StoredRow[],
  round: number,
  killedAt: number,
): { counts: RoundCounts; violations: Violations } {
  const violations: Violations = { duplicates: [], garbage: [], vanished: [], lostSafe: [] };
  const byId = new Map<string, StoredRow>();
  const bySeq = new Map<number, StoredRow>();
  for (const row of rows) {
    if (byId.has(row.id)) violations.duplicates.push(row.id);
    byId.set(row.id, row);
    const request = sent.get(row.seq);
    if (row.endpoint !== 'crash' || row.output !== '{"prediction":1}') {
      violations.garbage.push(`${row.id}: ${JSON.stringify(row)}`);
    } else if (request === undefined || request.round > round) {
      violations.garbage.push(`${row.id}: input x=${row.seq} was never sent`);
    } else if (request.id !== undefined && request.id !== row.id) {
      violations.garbage.push(`${row.id}: request x=${row.seq} was acknowledged as ${request.id}`);
    } else if (bySeq.has(row.seq)) {
      violations.garbage.push(`${row.id}: request x=${row.seq} stored twice`);
    }
    bySeq.set(row.seq, row);
  }
  violations.vanished = [...storedBefore].filter((id) => !byId.has(id));
  for (const row of rows) storedBefore.add(row.id);

  const counts: RoundCounts = {
    sent: 0,
    acked: 0,
    unanswered: 0,
    safe: 0,
    recent: 0,
    lostSafe: 0,
    lostRecent: 0,
    storedUnanswered: 0,
  };
  for (const [seq, request] of sent) {
    if (request.round !== round) continue;
    counts.sent += 1;
    if (request.id === undefined || request.ackedAt === undefined) {
      counts.unanswered += 1;
      if (bySeq.has(seq)) counts.storedUnanswered += 1;
      continue;
    }
    counts.acked += 1;
    const stored = byId.has(request.id);
    const age = killedAt - request.ackedAt;
    if (age >= SAFE_AGE_MS) {
      counts.safe += 1;
      if (!stored) {
        counts.lostSafe += 1;
        violations.lostSafe.push(`x=${seq} ${request.id} acknowledged ${age.toFixed(0)} ms before the kill`);
      }
    } else {
      counts.recent += 1;
      if (!stored) counts.lostRecent += 1;
    }
    if (!stored && (counts.oldestLostAgeMs === undefined || age > counts.oldestLostAgeMs)) {
      counts.oldestLostAgeMs = Math.round(age);
    }
  }
  return { counts, violations };
}

function expectNone(violations: Violations): void {
  for (const [kind, list] of Object.entries(violations) as [string, string[]][]) {
    expect(list.slice(0, 20), `${list.length} ${kind}`).toEqual([]);
  }
}

const dataDir = await mkdtemp(join(tmpdir(), 'slipway-crash-'));
const scratchDir = `${dataDir}-read`;
let server: Child | undefined;

afterAll(async () => {
  if (server !== undefined && server.process.exitCode === null && server.process.signalCode === null) {
    server.process.kill('SIGKILL');
    await server.exited;
  }
  await rm(dataDir, { recursive: true, force: true });
  await rm(scratchDir, { recursive: true, force: true });
});

describe('prediction log durability across kill -9', () => {
  it(`keeps every prediction acknowledged ${SAFE_AGE_MS} ms before a SIGKILL, ${ROUNDS} rounds`, async () => {
    expect(existsSync(SERVER_MAIN), `${SERVER_MAIN} is missing: run \`npm run build\``).toBe(true);
    const random = seeded(SEED);
    server = await startServer(dataDir);
    await call(`${server.url}/api/v1/baselines`, 'POST', {
      name: 'crash',
      spec: { kind: 'constant', task: 'regression', strategy: 'mean', prediction: 1 },
    });
    await call(`${server.url}/api/v1/endpoints`, 'POST', {
      name: 'crash',
      model: { name: 'crash', version: '1' },
    });
    console.log(
      `crash durability: seed ${SEED}, ${CLIENTS} clients, flush interval ` +
        `${PREDICTION_QUEUE_DEFAULT_FLUSH_INTERVAL_MS} ms, safe age ${SAFE_AGE_MS} ms`,
    );

    for (let round = 1; round <= ROUNDS; round++) {
      const live = server;
      // Answered before the clients start, so every round has at least one prediction old enough
      // to be required; after a restart it also shows the endpoint (metadata store, killed too) is back.
      expect(await predictOnce(live.url, round), live.output()).toBe(true);
      const killAfterMs = Math.round(KILL_AFTER_MIN_MS + random() * (KILL_AFTER_MAX_MS - KILL_AFTER_MIN_MS));
      const clients = Array.from({ length: CLIENTS }, async () => {
        while (await predictOnce(live.url, round));
      });
      await new Promise((resolve) => setTimeout(resolve, killAfterMs));
      const killedAt = performance.now();
      live.process.kill('SIGKILL');
      await live.exited;
      expect(live.process.signalCode).toBe('SIGKILL');
      await Promise.all(clients);

      const readStart = performance.now();
      const direct = await readDirectly(dataDir, scratchDir);
      const { counts, violations } = check(direct, round, killedAt);

      // The restarted platform reopens the same file, replays its WAL and serves the same log.
      const restartStart = performance.now();
      server = await startServer(dataDir);
      const apiStart = performance.now();
      const viaApi = await readThroughApi(server.url);
      const report: RoundReport = {
        round,
        killAfterMs,
        ...counts,
        readMs: Math.round(restartStart - readStart),
        restartMs: Math.round(apiStart - restartStart),
        apiReadMs: Math.round(performance.now() - apiStart),
      };
      console.log(JSON.stringify(report));
      expectNone(violations);
      expect(counts.safe).toBeGreaterThan(0);
      expect(viaApi.map((row) => row.id).sort(), 'the restarted server reads what the file holds').toEqual(
        direct.map((row) => row.id).sort(),
      );
    }

    // After the last restart: it serves, and a clean stop (SIGTERM) drains the queue, losing nothing.
    const last = server;
    expect(await predictOnce(last.url, ROUNDS + 1), last.output()).toBe(true);
    last.process.kill('SIGTERM');
    await last.exited;
    expect(last.process.exitCode, last.output()).toBe(0);
    const final = await readDirectly(dataDir, scratchDir);
    const { counts, violations } = check(final, ROUNDS + 1, performance.now());
    expectNone(violations);
    expect(counts).toMatchObject({ sent: 1, acked: 1, lostSafe: 0, lostRecent: 0 });
  }, 60_000);
});
