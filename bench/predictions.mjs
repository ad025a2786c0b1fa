#!/usr/bin/env node
/**
 * Prediction log benchmark: the embedded DuckDB prediction store (`DuckDbPredictionStore`, the
 * compiled store in packages/server/dist) for ingest from a batch job, hourly aggregates over a large
 * log, a filtered page, and a bulk label join, each against a floor measured in the same run.
 * Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/predictions.mjs
 *   ROWS=1000000 N=200000 node bench/predictions.mjs       # reduced size, to iterate
 *   EXPLAIN=1 node bench/predictions.mjs                    # also print EXPLAIN ANALYZE of the store's SQL
 *
 * Environment (all optional):
 *   N            predictions written in the ingest part (default 1,000,000)
 *   BATCH        records per `write` call in the ingest part (default 10,000)
 *   WORKER       0 skips the worker-thread ingest variant (default 1)
 *   ROWS         predictions in the query / label part's log (default 10,000,000)
 *   LABELS       labels written in the label part (default ROWS / 10, i.e. 1,000,000)
 *   LABEL_BATCH  labels per `writeLabels` call (default 10,000)
 *   LABEL_CAP_S  stop timing `writeLabels` after this many seconds and insert the remaining labels
 *                with SQL straight into the store's `labels` table, so the labelled queries still
 *                see every label; the output says so and projects the total (default 150)
 *   REPS         timed runs per query, the first (cold) one included; the median is reported (default 3)
 *   PARTS        `1` ingest only, `2` query and labels only (default `1,2`: both)
 *   EXPLAIN      when set: print EXPLAIN ANALYZE of the store's aggregate SQL (with and without labels)
 *
 * Parts:
 *   1. Ingest. A batch job's records: 20 numeric inputs f0..f19, output `{label, probabilities}`,
 *      an entity id, a tag, a job id. Each batch is built (not timed), then written three ways, one
 *      after another per batch so the machine's load hits all of them alike:
 *        - store: `DuckDbPredictionStore.open(file).write(batch)`, awaited (resolves when durable);
 *        - floor: DuckDB's own appender on a second instance writing the same rows (values already
 *          JSON-serialised outside the timing) into a bare table of the same schema, one flush
 *          (an autocommit, as durable as the store's COMMIT) per batch: DuckDB's cost alone;
 *        - JSON: `JSON.stringify` of the batch's input, output and tags alone, to show how much of
 *          the gap is serialisation the floor does not pay.
 *      Then, if WORKER is not 0, the worker-thread variant `DuckDbPredictionStore.openInWorker(file)`
 *      (structured clone to the worker, JSON and appender there) with the same batches, awaited.
 *      predictions/s = records / summed time of the awaited calls (generation excluded). A split
 *      line divides the floor into appender calls and flush, and the store's time into its flush,
 *      its COMMIT and the rest (timed by wrapping the store connection's createAppender and run).
 *   2. Query. ROWS predictions over 30 days are generated with DuckDB `INSERT ... SELECT` from
 *      `range()` (1M rows per statement) straight into the store's own `predictions` table, through
 *      the store's connection
 *      (bulk-loading 10M rows through `write` would take minutes and measure part 1 again). Then
 *      `store.aggregate({ endpoint, from, to, bucketMs: 3_600_000, predictionField: 'label' })` over
 *      the whole range against the floor: a hand-written `time_bucket` + `count(*)` +
 *      `quantile_cont(latency_ms, [0.5, 0.95, 0.99])` GROUP BY on the same connection (the store's
 *      private `connection` field, read at run time: a bench may look inside). Runs alternate store
 *      and floor; medians of REPS runs, the cold first one included. The store's aggregate also
 *      counts failed requests (a scan filtered on `error IS NOT NULL`, none in this log) and gives
 *      the field's p05/p50/p95 (numeric, as `label` is here) or its top values. Also: the aggregate without
 *      `predictionField`, the floor plus the same JSON extraction of `label` (what the field costs
 *      in SQL alone), and `queryPredictions` pages (limit 100) with an arm filter and a tag filter.
 *   3. Labels. LABELS labels (9 in 10 by prediction id, 1 in 10 by entity id with a 1 h window;
 *      every (ROWS / LABELS)th prediction) written with `writeLabels` in LABEL_BATCH batches, timed
 *      in total; then the labelled aggregate and pages again (the join runs at read time).
 *   After parts 2 and 3, the store's aggregate SQL (captured from its connection) runs once more
 *   under DuckDB's JSON profiler and the operators with the most time are printed.
 *
 * At the defaults a run takes about 7 minutes on the 2-core machine (part 1 about 2.5, the label
 * writes about 2); `PARTS=1` or `WORKER=0` and smaller `ROWS` shorten it.
 *
 * The machine has 2 cores; DuckDB uses both (its default threads). Other jobs on it move the figures:
 * the load average is printed before and after, with each part's wall time.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { DuckDbPredictionStore } from '../packages/server/dist/storage/predictions/duckdb-prediction-store.js';
import { fmt, table, mulberry32 } from './bench-util.mjs';

const N = envInt('N', 1_000_000);
const BATCH = envInt('BATCH', 10_000);
const WORKER = envInt('WORKER', 1) !== 0;
const ROWS = envInt('ROWS', 10_000_000);
const LABELS = envInt('LABELS', Math.round(ROWS / 10));
const LABEL_BATCH = envInt('LABEL_BATCH', 10_000);
const LABEL_CAP_S = envInt('LABEL_CAP_S', 150);
const REPS = Math.max(1, envInt('REPS', 3));
const EXPLAIN = Boolean(process.env.EXPLAIN);
const PARTS = new Set((process.env.PARTS || '1,2').split(','));
const FEATURES = 20;
const ENDPOINT = 'bench';
const HOUR = 3_600_000;
const SPAN_MS = 30 * 24 * HOUR;
const START_MS = Date.UTC(2026, 9, 1); // 2026-10-01T00:00Z
const ENTITIES = Math.max(1, Math.round(ROWS / 10));

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return v;
}

// ------------------------------------------------------------------------------------ helpers

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const utc = () => new Date().toISOString().replace('T', ' ').slice(0, 19) + ' UTC';
const fmtMs = (ms) => (ms >= 100 ? fmt(ms) : ms >= 10 ? fmt(ms, 1) : fmt(ms, 2));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timed(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

const round6 = (x) => Math.round(x * 1e6) / 1e6;

/** The store's `predictions` columns, in its appender order (see duckdb-prediction-store.ts). */
const PREDICTIONS_DDL = (name) => `CREATE TABLE ${name} (
  prediction_id VARCHAR, endpoint VARCHAR, model_name VARCHAR, model_version VARCHAR, arm VARCHAR,
  protocol VARCHAR, ts TIMESTAMP, latency_ms DOUBLE, request_id VARCHAR, input JSON, output JSON,
  shadow_of VARCHAR, entity_id VARCHAR, tags JSON, api_version VARCHAR, job_id VARCHAR)`;

// ------------------------------------------------------------------------------- 1. ingest

const rand = mulberry32(42);
let produced = 0;

/** One batch of a scoring job's records (the job scored `n` rows, 256 per model call). */
function makeBatch(n) {
  const batch = new Array(n);
  const now = Date.now();
  for (let k = 0; k < n; k++) {
    const input = {};
    for (let f = 0; f < FEATURES; f++) input[`f${f}`] = round6((rand() + rand() + rand() - 1.5) * 2);
    const p = round6(rand());
    const i = produced++;
    batch[k] = {
      predictionId: randomUUID(),
      endpoint: ENDPOINT,
      modelName: 'churn',
      modelVersion: '3',
      arm: 'live',
      protocol: 'slipway',
      timestamp: now,
      latencyMs: 3 + (i % 7) * 0.25,
      requestId: `job-7-call-${i >> 8}`,
      input,
      output: { label: p >= 0.5 ? 1 : 0, probabilities: { 0: round6(1 - p), 1: p } },
      entityId: `customer-${i % 250_000}`,
      tags: { source: 'nightly-rescore' },
      jobId: 'job-7',
    };
  }
  return batch;
}

/** The floor's rows: every column value ready, JSON already serialised (the floor does no JSON). */
function floorRows(batch) {
  return batch.map((r) => [
    r.predictionId,
    r.endpoint,
    r.modelName,
    r.modelVersion,
    r.arm,
    r.protocol,
    BigInt(r.timestamp) * 1000n,
    r.latencyMs,
    r.requestId,
    JSON.stringify(r.input),
    JSON.stringify(r.output),
    r.entityId,
    JSON.stringify(r.tags),
    r.jobId,
  ]);
}

async function ingest(dir) {
  console.log(
    `\n## 1. Ingest: ${fmt(N)} predictions in batches of ${fmt(BATCH)} (started ${utc()}, loadavg ${loadavg()})`,
  );
  const store = await DuckDbPredictionStore.open(join(dir, 'ingest-store.duckdb'));
  const flushed = timeFlushes(store.connection);
  const floorDb = await DuckDBInstance.create(join(dir, 'ingest-floor.duckdb'));
  const floorConn = await floorDb.connect();
  await floorConn.run(PREDICTIONS_DDL('floor_predictions'));
  const times = { store: 0, floor: 0, floorFlush: 0, json: 0, gen: 0 };
  const batches = Math.ceil(N / BATCH);
  const keep = []; // the batches again for the worker variant (regenerated, not kept, if N is large)
  for (let b = 0; b < batches; b++) {
    const n = Math.min(BATCH, N - b * BATCH);
    const g = await timed(() => makeBatch(n));
    times.gen += g.ms;
    const batch = g.value;
    const rows = floorRows(batch);
    const j = await timed(() => {
      let bytes = 0;
      for (const r of batch) {
        bytes += JSON.stringify(r.input).length + JSON.stringify(r.output).length;
        bytes += JSON.stringify(r.tags).length;
      }
      return bytes;
    });
    times.json += j.ms;
    const f = await timed(() => floorAppend(floorConn, rows));
    times.floor += f.ms;
    times.floorFlush += f.value;
    times.store += (await timed(() => store.write(batch))).ms;
    if (WORKER && N <= 1_000_000) keep.push(batch);
  }
  let worker;
  if (WORKER) {
    const ws = await DuckDbPredictionStore.openInWorker(join(dir, 'ingest-worker.duckdb'));
    worker = { ms: 0, kind: ws.constructor.name };
    for (let b = 0; b < batches; b++) {
      const batch = keep[b] ?? makeBatch(Math.min(BATCH, N - b * BATCH));
      worker.ms += (await timed(() => ws.write(batch))).ms;
    }
    worker.closeMs = (await timed(() => ws.close())).ms;
  }
  const storeClose = await timed(() => store.close());
  const [count] = (
    await floorConn.runAndReadAll('SELECT count(*) AS n FROM floor_predictions')
  ).getRowObjectsJS();
  floorConn.closeSync();
  floorDb.closeSync();
  const rate = (ms) => N / (ms / 1000);
  const rows = [
    [
      'writer (awaited, per batch of ' + fmt(BATCH) + ')',
      'seconds',
      'predictions/s',
      'µs/prediction',
      'time / floor',
    ],
  ];
  const line = (name, ms) =>
    rows.push([name, fmt(ms / 1000, 2), fmt(rate(ms)), fmt((ms * 1000) / N, 2), fmt(ms / times.floor, 2)]);
  line('floor: DuckDB appender, bare table, values pre-serialised', times.floor);
  line('JSON.stringify of input + output + tags alone', times.json);
  line('floor + JSON (sum)', times.floor + times.json);
  line('store.write (DuckDbPredictionStore.open)', times.store);
  if (worker) line(`store.write in a worker (openInWorker -> ${worker.kind})`, worker.ms);
  table(rows);
  const us = (ms) => fmt((ms * 1000) / N, 2);
  console.log(
    `split: floor appender calls ${us(times.floor - times.floorFlush)} + flush (rows into the table, autocommit to the WAL) ` +
      `${us(times.floorFlush)} µs/prediction; store: flush ${us(flushed.flush)} + COMMIT ${us(flushed.commit)} ` +
      `µs/prediction, the other ${us(times.store - flushed.flush - flushed.commit)} µs/prediction JSON, record checks ` +
      `and appender calls (timed by wrapping the store connection's createAppender and run)`,
  );
  console.log(
    `batch generation (not timed above): ${fmt(times.gen / 1000, 2)} s; floor rows stored ${fmt(Number(count.n))}; ` +
      `close (CHECKPOINT) store ${fmtMs(storeClose.ms)} ms${worker ? `, worker ${fmtMs(worker.closeMs)} ms` : ''}; ` +
      `loadavg ${loadavg()}`,
  );
  return {
    store: rate(times.store),
    floor: rate(times.floor),
    json: times.json,
    worker: worker && rate(worker.ms),
    storeMs: times.store,
    floorMs: times.floor,
  };
}

/** Times the store's appender flushes and COMMITs by wrapping its connection (bench-only, at run time). */
function timeFlushes(connection) {
  const spent = { flush: 0, commit: 0 };
  const createAppender = connection.createAppender.bind(connection);
  connection.createAppender = async (...args) => {
    const appender = await createAppender(...args);
    const flushSync = appender.flushSync.bind(appender);
    appender.flushSync = () => {
      const t0 = performance.now();
      flushSync();
      spent.flush += performance.now() - t0;
    };
    return appender;
  };
  const run = connection.run.bind(connection);
  connection.run = async (sql, ...rest) => {
    if (sql !== 'COMMIT') return run(sql, ...rest);
    const t0 = performance.now();
    const result = await run(sql, ...rest);
    spent.commit += performance.now() - t0;
    return result;
  };
  return spent;
}

async function floorAppend(connection, rows) {
  const a = await connection.createAppender('floor_predictions');
  for (const r of rows) {
    for (let c = 0; c < 6; c++) a.appendVarchar(r[c]);
    a.appendTimestamp(new DuckDBTimestampValue(r[6]));
    a.appendDouble(r[7]);
    a.appendVarchar(r[8]);
    a.appendVarchar(r[9]);
    a.appendVarchar(r[10]);
    a.appendNull(); // shadow_of
    a.appendVarchar(r[11]);
    a.appendVarchar(r[12]);
    a.appendNull(); // api_version
    a.appendVarchar(r[13]);
    a.endRow();
  }
  const t0 = performance.now();
  a.flushSync();
  a.closeSync();
  return performance.now() - t0;
}

// ------------------------------------------------------------------------------ 2. query

/** 20 numeric inputs (uniform in [-2, 2), 6 decimals) as JSON text: `to_json` of a struct is fast. */
const INPUT_SQL = `to_json({${Array.from({ length: FEATURES }, (_, f) => `f${f}: round(random() * 4 - 2, 6)`).join(', ')}})`;

/** ROWS predictions over 30 days, one endpoint, 1 in 10 on the canary, straight into the store's table. */
const GENERATE_SQL = (
  lo,
  hi,
) => `INSERT INTO predictions (prediction_id, endpoint, model_name, model_version, arm,
    protocol, ts, latency_ms, request_id, input, output, shadow_of, entity_id, tags, api_version, job_id)
  SELECT 'pred-' || i, '${ENDPOINT}', 'churn', CASE WHEN i % 10 = 0 THEN '4' ELSE '3' END,
    CASE WHEN i % 10 = 0 THEN 'canary' ELSE 'live' END, 'slipway',
    epoch_ms(${START_MS}::BIGINT + (i * ${SPAN_MS}::BIGINT) // ${ROWS}), 
    round(2 + 3 * random() + CASE WHEN random() < 0.01 THEN 40 * random() ELSE 0 END, 3),
    'req-' || (i // 16), ${INPUT_SQL},
    to_json({label: (p >= 0.5)::INTEGER, probabilities: {'0': round(1 - p, 6), '1': round(p, 6)}}),
    NULL, 'user-' || (i % ${ENTITIES}),
    '{"source":"' || CASE WHEN i % 4 = 0 THEN 'api' ELSE 'nightly' END || '"}', NULL, NULL
  FROM (SELECT range AS i, random() AS p FROM range(${lo}, ${hi}))`;

const FLOOR_SQL = `SELECT time_bucket(INTERVAL 1 HOUR, ts) AS bucket, count(*) AS n,
    quantile_cont(latency_ms, [0.5, 0.95, 0.99]) AS q
  FROM predictions WHERE endpoint = $endpoint AND ts >= $from AND ts < $to GROUP BY 1 ORDER BY 1`;
const FLOOR_FIELD_SQL = `SELECT time_bucket(INTERVAL 1 HOUR, ts) AS bucket, count(*) AS n,
    quantile_cont(latency_ms, [0.5, 0.95, 0.99]) AS q,
    avg(try_cast(json_extract(output, '/label') AS DOUBLE)) AS mean
  FROM predictions WHERE endpoint = $endpoint AND ts >= $from AND ts < $to GROUP BY 1 ORDER BY 1`;
const FLOOR_PAGE_SQL = `SELECT * FROM predictions WHERE endpoint = $endpoint AND arm = 'canary'
  ORDER BY ts DESC, prediction_id DESC LIMIT 101`;

const tsValue = (ms) => new DuckDBTimestampValue(BigInt(ms) * 1000n);

/** Median ms of REPS runs of each case, runs interleaved across cases (the first, cold run included). */
async function medians(cases) {
  const ms = cases.map(() => []);
  const values = [];
  for (let r = 0; r < REPS; r++) {
    for (let c = 0; c < cases.length; c++) {
      const t = await timed(cases[c].run);
      ms[c].push(t.ms);
      values[c] = t.value;
    }
  }
  return cases.map((c, i) => ({
    name: c.name,
    ms: median(ms[i]),
    min: Math.min(...ms[i]),
    value: values[i],
  }));
}

/** Wraps the store connection's `runAndReadAll` so the last SQL the store ran can be explained. */
function captureSql(connection) {
  const original = connection.runAndReadAll.bind(connection);
  const captured = { last: undefined };
  connection.runAndReadAll = (sql, params) => {
    // The aggregate with a predictionField and no labelled filter: the one the goals are about.
    if (sql.includes('$field_path') && !sql.includes('WHERE w.rid IS')) captured.last = { sql, params };
    return original(sql, params);
  };
  return { captured, original };
}

/**
 * Runs `sql` once under DuckDB's JSON profiler and prints the operators with the most time (summed
 * over threads) and the query's latency; with EXPLAIN set, the whole EXPLAIN ANALYZE tree as well.
 */
async function profile(run, { sql, params }, title, file) {
  await run(`SET enable_profiling = 'json'`, {});
  await run(`SET profiling_output = '${file}'`, {});
  await run(sql, params);
  await run(`SET enable_profiling = 'no_output'`, {});
  await run('RESET enable_profiling', {});
  const root = JSON.parse(await readFile(file, 'utf8'));
  const ops = [];
  const walk = (node) => {
    if (node.operator_name) {
      const info = Object.entries(node.extra_info ?? {})
        .filter(([k]) => /Join Type|Conditions|Aggregates|Groups|Table|Projections|Filters/.test(k))
        .map(([k, v]) => `${k}: ${String(v).replace(/\s+/g, ' ').slice(0, 90)}`)
        .join('; ');
      ops.push([node.operator_name, node.operator_timing * 1000, node.operator_cardinality, info]);
    }
    for (const child of node.children ?? []) walk(child);
  };
  walk(root);
  ops.sort((x, y) => y[1] - x[1]);
  const sum = ops.reduce((s, o) => s + o[1], 0);
  console.log(
    `\nwhere the time goes, ${title}: latency ${fmtMs(root.latency * 1000)} ms, CPU ${fmtMs(root.cpu_time * 1000)} ms ` +
      `(DuckDB profiler, operator time summed over threads; top operators):`,
  );
  table([
    ['operator', 'ms', 'share', 'rows out', 'detail'],
    ...ops.slice(0, 8).map((o) => [o[0], fmtMs(o[1]), `${fmt((100 * o[1]) / sum)} %`, fmt(o[2]), o[3]]),
  ]);
  if (EXPLAIN) {
    const reader = await run(`EXPLAIN ANALYZE ${sql}`, params);
    console.log(
      reader
        .getRowObjectsJS()
        .map((r) => String(Object.values(r).at(-1)))
        .join('\n'),
    );
  }
  return root.latency * 1000;
}

async function queries(store, connection, sql, phase) {
  const to = START_MS + SPAN_MS;
  const params = { endpoint: ENDPOINT, from: tsValue(START_MS), to: tsValue(to) };
  const request = { endpoint: ENDPOINT, from: START_MS, to, bucketMs: HOUR };
  const cases = [
    {
      name: "store.aggregate, predictionField 'label'",
      run: () => store.aggregate({ ...request, predictionField: 'label' }),
    },
    { name: 'floor SQL: time_bucket, count, quantile_cont x3', run: () => sql(FLOOR_SQL, params) },
    { name: 'store.aggregate, no predictionField', run: () => store.aggregate(request) },
    { name: "floor SQL + avg(json_extract(output, '/label'))", run: () => sql(FLOOR_FIELD_SQL, params) },
    {
      name: 'store.queryPredictions, limit 100, arm canary',
      run: () => store.queryPredictions({ endpoint: ENDPOINT, arm: 'canary', limit: 100 }),
    },
    {
      name: 'floor SQL page: arm canary, ORDER BY ts DESC LIMIT 101',
      run: () => sql(FLOOR_PAGE_SQL, { endpoint: ENDPOINT }),
    },
    {
      name: 'store.queryPredictions, limit 100, tag source=api',
      run: () =>
        store.queryPredictions({ endpoint: ENDPOINT, tag: { key: 'source', value: 'api' }, limit: 100 }),
    },
  ];
  if (phase === 'labelled') {
    cases.push(
      {
        name: "store.aggregate, predictionField 'label', labelled: true",
        run: () => store.aggregate({ ...request, predictionField: 'label', labelled: true }),
      },
      {
        name: 'store.queryPredictions, limit 100, labelled: true',
        run: () => store.queryPredictions({ endpoint: ENDPOINT, labelled: true, limit: 100 }),
      },
    );
  }
  return medians(cases);
}

function queryTable(results, floorMs) {
  const rows = [['query (median of ' + REPS + ')', 'ms', 'min ms', 'time / floor SQL', 'rows out']];
  for (const r of results) {
    const out = Array.isArray(r.value)
      ? r.value.length
      : (r.value?.predictions?.length ?? r.value?.rowCount ?? '');
    rows.push([r.name, fmtMs(r.ms), fmtMs(r.min), fmt(r.ms / floorMs, 2), out]);
  }
  table(rows);
}

// ------------------------------------------------------------------------------- 3. labels

const tsOf = (i) => START_MS + Math.floor((i * SPAN_MS) / ROWS);
const labelStride = () => Math.max(1, Math.floor(ROWS / Math.max(1, LABELS)));

/** Label j: 9 in 10 by prediction id, 1 in 10 by entity with a 1 h window around the prediction. */
function makeLabel(j) {
  const i = j * labelStride();
  const ts = tsOf(i);
  const value = (j * 2654435761) % 7 < 3 ? 1 : 0;
  const receivedAt = ts + HOUR + ((j * 40503) % (47 * HOUR));
  const label = { labelId: `lab-${j}`, endpoint: ENDPOINT, value, receivedAt, source: 'import:bench' };
  if (j % 10 === 9)
    return { ...label, entityId: `user-${i % ENTITIES}`, from: ts - HOUR / 2, to: ts + HOUR / 2 };
  return { ...label, predictionId: `pred-${i}` };
}

/** The same labels, `from` index onwards, inserted with SQL (only past LABEL_CAP_S). */
const LABELS_REST_SQL = (from) => `INSERT INTO labels
  SELECT 'lab-' || j, '${ENDPOINT}',
    CASE WHEN j % 10 = 9 THEN NULL ELSE 'pred-' || (j * ${labelStride()}) END,
    CASE WHEN j % 10 = 9 THEN 'user-' || ((j * ${labelStride()}) % ${ENTITIES}) END,
    CASE WHEN j % 10 = 9 THEN epoch_ms(${START_MS}::BIGINT + (j * ${labelStride()} * ${SPAN_MS}::BIGINT) // ${ROWS} - ${HOUR / 2}) END,
    CASE WHEN j % 10 = 9 THEN epoch_ms(${START_MS}::BIGINT + (j * ${labelStride()} * ${SPAN_MS}::BIGINT) // ${ROWS} + ${HOUR / 2}) END,
    CASE WHEN (j * 2654435761) % 7 < 3 THEN '1' ELSE '0' END,
    epoch_ms(${START_MS}::BIGINT + (j * ${labelStride()} * ${SPAN_MS}::BIGINT) // ${ROWS} + ${HOUR} + (j * 40503) % ${47 * HOUR}),
    'import:bench'
  FROM (SELECT range AS j FROM range(${from}, ${LABELS}))`;

/** writeLabels time for all LABELS, from the calls made before the cap (they slow as labels grow). */
const projected = (w) => (w.ms / w.perBatch.length) * Math.ceil(LABELS / LABEL_BATCH);

async function writeLabels(store, run) {
  let ms = 0;
  let written = 0;
  let matched = 0;
  const perBatch = [];
  while (written < LABELS && ms < LABEL_CAP_S * 1000) {
    const n = Math.min(LABEL_BATCH, LABELS - written);
    const batch = Array.from({ length: n }, (_, k) => makeLabel(written + k));
    const t = await timed(() => store.writeLabels(batch));
    ms += t.ms;
    perBatch.push(t.ms);
    matched += t.value.matched;
    written += n;
  }
  let rest;
  if (written < LABELS) rest = await timed(() => run(LABELS_REST_SQL(written), {}));
  return { ms, written, matched, perBatch, restMs: rest?.ms };
}

// ---------------------------------------------------------------------------------- main

const cpus = os.cpus();
const before = loadavg();
const startedAt = utc();
console.log(
  `prediction log bench, ${startedAt}: ${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, ` +
    `${fmt(os.totalmem() / 2 ** 30, 1)} GiB, node ${process.version}, loadavg ${before}; ` +
    `N ${fmt(N)}, BATCH ${fmt(BATCH)}, ROWS ${fmt(ROWS)}, LABELS ${fmt(LABELS)}, LABEL_BATCH ${fmt(LABEL_BATCH)}, REPS ${REPS}`,
);
const dir = await mkdtemp(join(tmpdir(), 'slipway-bench-predictions-'));
const results = {};
/** Parts 2 and 3 on one store: the query log, then its labels. */
async function queryAndLabels() {
  console.log(
    `\n## 2. Query: ${fmt(ROWS)} predictions over 30 days (started ${utc()}, loadavg ${loadavg()})`,
  );
  const path = join(dir, 'query-store.duckdb');
  const store = await DuckDbPredictionStore.open(path);
  const connection = store.connection; // private in TypeScript; the same connection the store uses
  const { captured, original } = captureSql(connection);
  const sql = async (text, params) => original(text, params);
  const gen = await timed(async () => {
    // In slices of 1M rows, one transaction each, so no single transaction holds the whole table.
    for (let lo = 0; lo < ROWS; lo += 1_000_000)
      await sql(GENERATE_SQL(lo, Math.min(ROWS, lo + 1_000_000)), {});
    await sql('CHECKPOINT', {});
  });
  const [{ n: stored }] = (await sql('SELECT count(*) AS n FROM predictions', {})).getRowObjectsJS();
  console.log(
    `built with INSERT ... SELECT FROM range() (1M rows per statement) into the store's predictions table (not through write): ` +
      `${fmt(Number(stored))} rows in ${fmt(gen.ms / 1000, 1)} s (${fmt(Number(stored) / (gen.ms / 1000))} rows/s), ` +
      `checkpointed; loadavg ${loadavg()}`,
  );
  const t2 = await timed(() => queries(store, connection, sql, 'unlabelled'));
  q = t2.value;
  queryTable(q, q[1].ms);
  await store.aggregate({
    endpoint: ENDPOINT,
    from: START_MS,
    to: START_MS + SPAN_MS,
    bucketMs: HOUR,
    predictionField: 'label',
  });
  const explainUnlabelled = await profile(
    original,
    captured.last,
    'store.aggregate (predictionField), no labels',
    join(dir, 'profile-1.json'),
  );
  results.query = { q, explainUnlabelled, genMs: gen.ms };
  console.log(
    `part 2 wall time ${fmt(t2.ms / 1000, 1)} s (queries); profiled latency of the store's aggregate ${explainUnlabelled === undefined ? '-' : fmtMs(explainUnlabelled) + ' ms'}; loadavg ${loadavg()}`,
  );

  console.log(
    `\n## 3. Labels: ${fmt(LABELS)} labels in batches of ${fmt(LABEL_BATCH)} (started ${utc()}, loadavg ${loadavg()})`,
  );
  w = await writeLabels(store, sql);
  const p = w.perBatch;
  console.log(
    `writeLabels: ${fmt(w.written)} labels in ${p.length} calls, ${fmt(w.ms / 1000, 1)} s = ${fmt(w.written / (w.ms / 1000))} labels/s; ` +
      `per call median ${fmtMs(median(p))} ms, first ${fmtMs(p[0])} ms, last ${fmtMs(p.at(-1))} ms; matched ${fmt(w.matched)}` +
      (w.restMs === undefined
        ? ''
        : `; LABEL_CAP_S ${LABEL_CAP_S} s reached: the other ${fmt(LABELS - w.written)} labels inserted with SQL in ` +
          `${fmt(w.restMs / 1000, 1)} s (not timed as writeLabels); projected writeLabels total for all ${fmt(LABELS)}: ` +
          `${fmt(projected(w) / 1000)} s (mean per call x calls)`),
  );
  const t3 = await timed(() => queries(store, connection, sql, 'labelled'));
  ql = t3.value;
  queryTable(ql, ql[1].ms);
  const agg = ql[0].value;
  const labelled = agg.reduce((s, b) => s + b.labelled, 0);
  console.log(
    `labelled predictions in the aggregate: ${fmt(labelled)} of ${fmt(agg.reduce((s, b) => s + b.count, 0))}`,
  );
  await store.aggregate({
    endpoint: ENDPOINT,
    from: START_MS,
    to: START_MS + SPAN_MS,
    bucketMs: HOUR,
    predictionField: 'label',
  });
  const explainLabelled = await profile(
    original,
    captured.last,
    'store.aggregate (predictionField), labels joined',
    join(dir, 'profile-2.json'),
  );
  results.labels = { w, ql, explainLabelled };
  console.log(
    `part 3 wall time ${fmt(t3.ms / 1000, 1)} s (queries); profiled latency of the store's aggregate ${explainLabelled === undefined ? '-' : fmtMs(explainLabelled) + ' ms'}`,
  );
  await store.close();
}

let q;
let ql;
let w;
try {
  if (PARTS.has('1')) {
    const t1 = await timed(() => ingest(dir));
    results.ingest = t1.value;
    console.log(`part 1 wall time ${fmt(t1.ms / 1000, 1)} s`);
  }
  if (PARTS.has('2')) await queryAndLabels();

  // ------------------------------------------------------------------------- requirements
  const yes = (ok) => (ok ? 'yes' : '**no**');
  const ing = results.ingest;
  const agg0 = q?.[0].ms;
  const floor0 = q?.[1].ms;
  console.log(`\n## Requirements (${startedAt} to ${utc()}, loadavg before ${before}, after ${loadavg()})`);
  table([
    ['requirement', 'goal', 'measured', 'met?'],
    ...(ing ? ingestRows(ing, yes) : []),
    ...(q ? queryRows(agg0, floor0, yes) : []),
  ]);
} finally {
  await rm(dir, { recursive: true, force: true });
}

function ingestRows(ing, yes) {
  return [
    [
      'ingest, store.write, batches of ' + fmt(BATCH),
      '>= 200,000 predictions/s',
      `${fmt(ing.store)}/s (floor ${fmt(ing.floor)}/s, ${fmt(ing.store / ing.floor, 2)} of it)`,
      yes(ing.store >= 200_000),
    ],
    ...(ing.worker ? [['ingest, worker variant (informational)', '-', `${fmt(ing.worker)}/s`, '-']] : []),
  ];
}

function queryRows(agg0, floor0, yes) {
  return [
    [`aggregate, hourly, ${fmt(ROWS)} rows, predictionField`, '< 1 s', `${fmtMs(agg0)} ms`, yes(agg0 < 1000)],
    [
      'aggregate vs floor SQL on the same connection',
      '<= 1.5x',
      `${fmt(agg0 / floor0, 2)}x (${fmtMs(agg0)} / ${fmtMs(floor0)} ms)`,
      yes(agg0 / floor0 <= 1.5),
    ],
    ['queryPredictions page, limit 100, arm filter', '(report)', `${fmtMs(q[4].ms)} ms`, '-'],
    ['queryPredictions page, limit 100, tag filter', '(report)', `${fmtMs(q[6].ms)} ms`, '-'],
    [
      `writeLabels, ${fmt(LABELS)} labels in batches of ${fmt(LABEL_BATCH)}`,
      '(report)',
      w.restMs === undefined
        ? `${fmt(w.ms / 1000, 1)} s (${fmt(w.written / (w.ms / 1000))} labels/s)`
        : `${fmt(w.ms / 1000, 1)} s for the first ${fmt(w.written)} (capped); projected ${fmt(projected(w) / 1000)} s for ${fmt(LABELS)}`,
      '-',
    ],
    [
      'aggregate with labels joined',
      '(report)',
      `${fmtMs(ql[0].ms)} ms (${fmt(ql[0].ms / ql[1].ms, 2)}x floor)`,
      '-',
    ],
  ];
}
