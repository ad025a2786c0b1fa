#!/usr/bin/env node
/**
 * Web UI benchmark (see bench/README.md and docs/ui.md). Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/ui.mjs [--runs 10000] [--points 100000] [--repeat 5] [--data-dir DIR]
 *
 * With --data-dir the server keeps its data there, and a later run with the same directory reuses
 * the seeded data instead of seeding again (seeding 10,000 runs takes minutes).
 *
 * Starts the built server as a process on a temp data dir, seeds it through the SDK (an experiment
 * with --runs runs of 6 params and 6 metrics each; a run with a --points-long metric), and drives
 * Debian's headless Chromium (playwright-core) at 1280x800:
 *
 * - runs table: from navigation start to the first animation frame in which every run is loaded and
 *   rows are on screen; then a scroll to the last row and a sort by a metric column (to the frame
 *   that shows the result);
 * - chart: from navigation start to the first frame after uPlot drew the history's buckets.
 *
 * Each figure is the median of --repeat page loads with a warm HTTP cache (the bundle is immutable).
 * The floor is measured in the same page: bare fetch() + JSON parse of exactly the requests the
 * page makes for its data (same bodies, same page sizes). Response sizes are the server's.
 */
/* global document, performance, fetch, untilFrame -- the functions passed to
   page.evaluate run in the browser; untilFrame is defined there by timeInPage. */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { SlipwayClient } from '../packages/sdk/dist/index.js';
import { fmt, mulberry32, table } from './bench-util.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SERVER_MAIN = path.join(REPO, 'packages/server/dist/main.js');
const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? '/usr/bin/chromium';
const QUIET_FLAGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** The goal of issue 9 for each time to interactive. */
const GOAL_MS = 1000;
/** Page sizes of the runs table's loader (packages/ui/src/runs/use-runs.ts). */
const FIRST_PAGE = 200;
const NEXT_PAGE = 10_000;

const args = parseArgs(process.argv.slice(2));

const server = await startServer();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: QUIET_FLAGS });
try {
  const client = new SlipwayClient({ url: server.url });
  const t0 = performance.now();
  const { experimentId, chartRunId } = (await seeded(client)) ?? (await seed(client));
  console.log(
    `seeded ${fmt(args.runs)} runs and a ${fmt(args.points)}-point history in ${fmt((performance.now() - t0) / 1000, 1)} s`,
  );
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const tableFigures = await measureTable(page, experimentId);
  const chartFigures = await measureChart(page, chartRunId);
  report(tableFigures, chartFigures);
} finally {
  await browser.close();
  await server.stop();
}

/** The experiment and run of an earlier seeding in --data-dir, if there was one. */
async function seeded(client) {
  try {
    const experiment = await client.experiments.getByName('ui-bench');
    const chart = await client.experiments.getByName('ui-bench-chart');
    const { runs } = await client.runs.search({ experimentIds: [chart.experimentId], maxResults: 1 });
    return runs.length === 1
      ? { experimentId: experiment.experimentId, chartRunId: runs[0].info.runId }
      : undefined;
  } catch {
    return undefined;
  }
}

/** Seeds the runs (8 requests in flight) and the long history through the SDK. */
async function seed(client) {
  const rand = mulberry32(9);
  const { experimentId } = await client.experiments.create({ name: 'ui-bench' });
  const models = ['gbm', 'linear', 'forest', 'mlp'];
  let next = 0;
  const worker = async () => {
    while (next < args.runs) {
      const i = next++;
      const run = await client.runs.create({
        experimentId,
        runName: `run-${i}`,
        tags: { team: 'bench', seed: String(i % 97) },
      });
      const now = Date.now();
      await client.runs.logBatch(run.info.runId, {
        params: {
          model: models[i % models.length],
          lr: String([0.1, 0.03, 0.01, 0.003, 0.001][i % 5]),
          depth: String(2 + (i % 9)),
          batch: String([32, 64, 128, 256][i % 4]),
          dropout: (rand() * 0.5).toFixed(2),
          optimizer: i % 2 === 0 ? 'adam' : 'sgd',
        },
        metrics: ['rmse', 'mae', 'r2', 'loss', 'val_loss', 'auc'].map((key) => ({
          key,
          value: rand(),
          step: 0,
          timestamp: now,
        })),
      });
      await client.runs.update(run.info.runId, { status: 'FINISHED', endTime: now + 1000 });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));

  const { experimentId: chartExperiment } = await client.experiments.create({ name: 'ui-bench-chart' });
  const run = await client.runs.create({ experimentId: chartExperiment, runName: 'long-history' });
  const start = Date.now() - args.points * 1000;
  for (let from = 0; from < args.points; from += 1000) {
    const metrics = [];
    for (let step = from; step < Math.min(args.points, from + 1000); step++) {
      const value =
        1 / (1 + step / 1000) + 0.05 * Math.sin(step / 50) + 0.02 * rand() + (step === 77_777 ? 5 : 0);
      metrics.push({ key: 'loss', value, step, timestamp: start + step * 1000 });
    }
    await client.runs.logBatch(run.info.runId, { metrics });
  }
  return { experimentId, chartRunId: run.info.runId };
}

async function measureTable(page, experimentId) {
  const url = `${server.url}/experiments/${experimentId}`;
  await page.goto(url); // warms the HTTP cache with the bundle
  await page.waitForSelector('.run-count[data-complete="true"]', { timeout: 120_000 });
  const loads = [];
  const firstRows = [];
  for (let i = 0; i < args.repeat; i++) {
    await page.goto(url);
    const first = await page.waitForFunction(
      () => (document.querySelector('.runs-body [role="row"]') !== null ? performance.now() : false),
      undefined,
      { polling: 'raf', timeout: 120_000 },
    );
    firstRows.push(await first.jsonValue());
    const t = await page.waitForFunction(
      (n) => {
        const count = document.querySelector('.run-count[data-complete="true"]');
        const row = document.querySelector('.runs-body [role="row"]');
        return count !== null && Number(count.getAttribute('data-count')) === n && row !== null
          ? performance.now()
          : false;
      },
      args.runs,
      { polling: 'raf', timeout: 120_000 },
    );
    loads.push(await t.jsonValue());
  }
  const scroll = await timeInPage(page, async () => {
    const scroller = document.querySelector('.runs-scroll');
    const lastIndex = String(Number(scroller.getAttribute('aria-rowcount')));
    const start = performance.now();
    scroller.scrollTop = scroller.scrollHeight;
    await untilFrame(() => document.querySelector(`[aria-rowindex="${lastIndex}"]`) !== null);
    return performance.now() - start;
  });
  const sort = await timeInPage(page, async () => {
    const header = [...document.querySelectorAll('[role="columnheader"]')].find((h) =>
      h.textContent.includes('rmse'),
    );
    const before = document.querySelector('.runs-body [role="row"]').textContent;
    const start = performance.now();
    header.querySelector('button').click();
    await untilFrame(() => document.querySelector('.runs-body [role="row"]')?.textContent !== before);
    return performance.now() - start;
  });
  const pages = { experimentId, first: FIRST_PAGE, next: NEXT_PAGE };
  const floors = [];
  for (let i = 0; i < args.repeat; i++) floors.push(await page.evaluate(fetchRunPages, pages));
  return {
    tti: median(loads),
    ttis: loads,
    firstRows: median(firstRows),
    scroll,
    sort,
    floor: { ...floors[0], ms: median(floors.map((f) => f.ms)) },
  };
}

/** The floor of the runs table, run in the page: the same search pages, fetched and parsed bare. */
async function fetchRunPages({ experimentId, first, next }) {
  const start = performance.now();
  let bytes = 0;
  let requests = 0;
  let pageToken;
  do {
    const body = {
      experimentIds: [experimentId],
      maxResults: requests === 0 ? first : next,
      ...(pageToken ? { pageToken } : {}),
    };
    const res = await fetch('/api/v1/runs/search', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    bytes += text.length;
    pageToken = JSON.parse(text).nextPageToken;
    requests++;
  } while (pageToken);
  return { ms: performance.now() - start, bytes, requests };
}

async function measureChart(page, runId) {
  const url = `${server.url}/runs/${runId}`;
  await page.goto(url);
  await page.waitForSelector('.plot[data-state="ready"]', { timeout: 60_000 });
  const ttis = [];
  for (let i = 0; i < args.repeat; i++) {
    await page.goto(url);
    const t = await page.waitForFunction(
      () => (document.querySelector('.plot[data-state="ready"]') !== null ? performance.now() : false),
      undefined,
      { polling: 'raf', timeout: 60_000 },
    );
    ttis.push(await t.jsonValue());
  }
  const bucketsUrl = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .map((e) => e.name)
      .find((n) => n.includes('/buckets?')),
  );
  const points = Number(await page.locator('.plot').getAttribute('data-points'));
  const fetchJson = async (target) =>
    page.evaluate(async (u) => {
      const start = performance.now();
      const text = await (await fetch(u, { headers: { accept: 'application/json' } })).text();
      JSON.parse(text);
      return { ms: performance.now() - start, bytes: text.length };
    }, target);
  const historyUrl = bucketsUrl.replace(/\/buckets\?.*$/, '/history');
  const buckets = [];
  const history = [];
  for (let i = 0; i < args.repeat; i++) {
    buckets.push(await fetchJson(bucketsUrl));
    history.push(await fetchJson(historyUrl));
  }
  return {
    tti: median(ttis),
    ttis,
    points,
    bucketsQuery: new URL(bucketsUrl).search,
    floor: { ms: median(buckets.map((b) => b.ms)), bytes: buckets[0].bytes },
    history: { ms: median(history.map((h) => h.ms)), bytes: history[0].bytes },
  };
}

/** Runs `fn` in the page (with `untilFrame` defined there) and returns its result. */
async function timeInPage(page, fn) {
  return page.evaluate(`(async () => {
    const untilFrame = (cond) => new Promise((resolve) => {
      const check = () => (cond() ? resolve() : requestAnimationFrame(check));
      requestAnimationFrame(check);
    });
    return (${fn.toString()})();
  })()`);
}

function report(t, c) {
  const kb = (bytes) => `${fmt(bytes / 1024)} kB`;
  console.log(
    `\nruns table: ${fmt(args.runs)} runs, ${t.floor.requests} search requests (${FIRST_PAGE} then ${NEXT_PAGE} per page), ${kb(t.floor.bytes)} of JSON`,
  );
  console.log(`  time to interactive per load (ms): ${t.ttis.map((x) => fmt(x)).join(', ')}`);
  console.log(
    `chart: ${fmt(args.points)} points, request ${c.bucketsQuery}, ${fmt(c.points)} points drawn, ${kb(c.floor.bytes)} of JSON (whole history: ${kb(c.history.bytes)})`,
  );
  console.log(`  time to interactive per load (ms): ${c.ttis.map((x) => fmt(x)).join(', ')}`);
  table([
    ['measure', 'UI (ms)', 'floor (ms)', 'UI / floor', 'goal', 'met?'],
    [
      'runs table, time to interactive',
      fmt(t.tti),
      fmt(t.floor.ms),
      fmt(t.tti / t.floor.ms, 2),
      `< ${GOAL_MS} ms`,
      t.tti < GOAL_MS ? 'yes' : 'no',
    ],
    ['runs table, first rows on screen (first page)', fmt(t.firstRows), '', '', '', ''],
    ['runs table, scroll to the last row', fmt(t.scroll, 1), '', '', '', ''],
    ['runs table, sort by a metric', fmt(t.sort, 1), '', '', '', ''],
    [
      'chart, time to interactive',
      fmt(c.tti),
      fmt(c.floor.ms),
      fmt(c.tti / c.floor.ms, 2),
      `< ${GOAL_MS} ms`,
      c.tti < GOAL_MS ? 'yes' : 'no',
    ],
    ['chart, bare fetch of the whole history', '', fmt(c.history.ms), '', '', ''],
  ]);
  console.log(
    'Floors: bare fetch() + JSON.parse in the same page of the same requests (runs: the same search pages;',
  );
  console.log(
    'chart: the same buckets request). Times to interactive count from navigation start, bundle cached.',
  );
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function parseArgs(argv) {
  const out = { runs: 10_000, points: 100_000, repeat: 5, 'data-dir': '' };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    if (!(key in out))
      throw new Error(`unknown option ${argv[i]} (expected --runs, --points, --repeat, --data-dir)`);
    out[key] = key === 'data-dir' ? argv[i + 1] : Number(argv[i + 1]);
  }
  return out;
}

/** Starts `slipway server` on a free port and a temp data dir; resolves with its URL. */
function startServer() {
  const keep = args['data-dir'] !== '';
  const dataDir = keep
    ? path.resolve(args['data-dir'])
    : mkdtempSync(path.join(os.tmpdir(), 'slipway-ui-bench-'));
  const child = spawn(process.execPath, [SERVER_MAIN, 'server', '--port', '0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, SLIPWAY_LOG_LEVEL: 'off' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      out += chunk;
      const match = /Slipway listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        resolve({
          url: match[1],
          stop: async () => {
            const exited = new Promise((r) => child.once('exit', r));
            child.kill('SIGTERM');
            await exited;
            if (!keep) rmSync(dataDir, { recursive: true, force: true });
          },
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited early (code ${code}): ${out}`)));
  });
}
