#!/usr/bin/env node
/**
 * Monitoring benchmark: profiling and drift of a large current window against a reference profiled
 * once, against a floor measured in the same run on the same data, and the merge of daily profiles.
 * Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/monitoring.mjs
 *   ROWS=200000 CASES=columns node bench/monitoring.mjs
 *
 * Environment (all optional):
 *   ROWS      rows of the reference and of the current window each (default 1,000,000)
 *   COLS_NUM  numeric columns (default 20)
 *   COLS_CAT  categorical columns (default 5)
 *   DAYS      daily profiles merged; the current window is cut into DAYS equal days (default 30)
 *   MERGES    times the whole fold of DAYS profiles is repeated, for a median (default 5)
 *   MISSING   share of null values in every column (default 0; above 0 the numeric columns are no
 *             longer arrays of unboxed doubles, which costs memory and time)
 *   SEED      data seed (default 42)
 *   CASES     comma-separated subset of columns,rows (default both)
 *
 * Data: deterministic (mulberry32 + Box-Muller). Numeric column n<j> cycles through four shapes
 * (normal, log-normal, uniform, rounded normal, i.e. integer values with ties); the current window
 * shifts the first quarter of them by 0.3 standard deviations. Categorical column c<k> has a Zipf
 * distribution over 3, 10, 40, 150, 600, ... categories (the larger ones exceed the profile's top 100,
 * so "other" is used); the current window reverses the weights of the first one.
 *
 * Cases (each in its own child process, so each peak RSS is its own):
 *   - columns: the tables as one plain array per column (TableInput's columns form). Times
 *     profileColumns on the reference, profileWithEdges of the current window on the reference, and
 *     driftStatistics (default settings); "drift for a window" = current profiling + drift. The floor
 *     is one scan over the current columns touching every value once: a sum per numeric column and a
 *     Map of counts per categorical column. Then the current window cut into DAYS days, each profiled on
 *     the reference's edges (timed, for information), and the fold mergeProfiles(...(d1, d2), ..., dN)
 *     timed MERGES times; the merged profile is checked against the one-pass profile of the window.
 *   - rows: the current window as one object per row (TableInput's rows form) after the reference is
 *     profiled from columns: profileWithEdges on the rows, driftStatistics, and the same floor over the
 *     row objects.
 * Peak RSS: process.resourceUsage().maxRSS (the kernel's high-water mark, so synchronous work is
 * covered), read after generating the data and at the end.
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { fmt, table, mulberry32, gaussian } from './bench-util.mjs';

const SELF = fileURLToPath(import.meta.url);
const ROWS = envNum('ROWS', 1_000_000);
const COLS_NUM = envNum('COLS_NUM', 20);
const COLS_CAT = envNum('COLS_CAT', 5);
const DAYS = envNum('DAYS', 30);
const MERGES = envNum('MERGES', 5);
const MISSING = envShare('MISSING', 0);
const SEED = envNum('SEED', 42);
const CASES = (process.env.CASES || 'columns,rows').split(',');
const DIST = '../packages/server/dist/monitoring';

function envNum(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return v;
}

function envShare(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!(v >= 0 && v < 1)) throw new Error(`${name} must be a share in [0, 1), got ${raw}`);
  return v;
}

const peakRssMb = () => (process.resourceUsage().maxRSS * 1024) / 1e6;

/** Runs fn once and returns its result with the wall-clock milliseconds it took. */
function timed(fn) {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

// ------------------------------------------------------------------------------------------- data

const numericNames = Array.from({ length: COLS_NUM }, (_, j) => `n${j}`);
const categoricalNames = Array.from({ length: COLS_CAT }, (_, k) => `c${k}`);
const CARDINALITIES = [3, 10, 40, 150, 600];

/** One draw of numeric column j; `shift` is in standard deviations of the column's normal part. */
function numericValue(rand, j, shift) {
  const z = gaussian(rand) + shift;
  switch (j % 4) {
    case 0:
      return 10 * j + (1 + (j % 3)) * z;
    case 1:
      return Math.exp(0.5 * z);
    case 2:
      return rand() * 100 + shift * 29;
    default:
      return Math.round(50 + 10 * z);
  }
}

/** Category names and a cumulative Zipf distribution per categorical column, reversed when `shifted`. */
function categoryTables(shiftedColumns) {
  return categoricalNames.map((_, k) => {
    const size = CARDINALITIES[k] ?? 600 * 4 ** (k - 4);
    const names = Array.from({ length: size }, (_, i) => `c${k}_v${i}`);
    const weights = Array.from({ length: size }, (_, i) => 1 / (i + 1) ** 1.1);
    if (shiftedColumns.has(k)) weights.reverse();
    const total = weights.reduce((s, w) => s + w, 0);
    let acc = 0;
    const cdf = Float64Array.from(weights, (w) => (acc += w / total));
    return { names, cdf };
  });
}

function pick({ names, cdf }, u) {
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] > u) hi = mid;
    else lo = mid + 1;
  }
  return names[lo];
}

/**
 * A seeded table of ROWS rows as one plain array per column. `current` draws from another stream
 * and applies the shifts described in the header.
 */
function generateColumns(current) {
  const rand = mulberry32(SEED + (current ? 1 : 0));
  const shifted = Math.ceil(COLS_NUM / 4);
  const columns = {};
  numericNames.forEach((name, j) => {
    const shift = current && j < shifted ? 0.3 : 0;
    const values = [];
    for (let i = 0; i < ROWS; i++)
      values.push(MISSING > 0 && rand() < MISSING ? null : numericValue(rand, j, shift));
    columns[name] = values;
  });
  const cats = categoryTables(current ? new Set([0]) : new Set());
  categoricalNames.forEach((name, k) => {
    const values = [];
    for (let i = 0; i < ROWS; i++)
      values.push(MISSING > 0 && rand() < MISSING ? null : pick(cats[k], rand()));
    columns[name] = values;
  });
  return columns;
}

/** The same table as one object per row, every row with the same keys in the same order. */
function toRows(columns) {
  const names = Object.keys(columns);
  const rows = new Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    const row = {};
    for (const name of names) row[name] = columns[name][i];
    rows[i] = row;
  }
  return rows;
}

// ------------------------------------------------------------------------------------------ floor

/** One scan over the columns touching every value once; returns a checksum so nothing is optimized away. */
function floorColumns(columns) {
  let checksum = 0;
  for (const name of numericNames) {
    const values = columns[name];
    let sum = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (typeof v === 'number') sum += v;
    }
    checksum += sum;
  }
  for (const name of categoricalNames) {
    const values = columns[name];
    const counts = new Map();
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    checksum += counts.size;
  }
  return checksum;
}

/** The same scan over row objects. */
function floorRows(rows) {
  const sums = new Float64Array(COLS_NUM);
  const counts = categoricalNames.map(() => new Map());
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let j = 0; j < COLS_NUM; j++) {
      const v = row[numericNames[j]];
      if (typeof v === 'number') sums[j] += v;
    }
    for (let k = 0; k < COLS_CAT; k++) {
      const v = row[categoricalNames[k]];
      if (v !== null) counts[k].set(v, (counts[k].get(v) ?? 0) + 1);
    }
  }
  return sums.reduce((s, x) => s + x, 0) + counts.reduce((s, m) => s + m.size, 0);
}

// ------------------------------------------------------------------------------------------ cases

function driftSummary(statistics) {
  const dataset = statistics.find((s) => s.name === 'dataset_drift_share');
  const methods = [...new Set(statistics.filter((s) => s.column).map((s) => s.name))].join('+');
  const drifted = dataset.details.driftedColumns;
  return `${drifted.length}/${dataset.details.compared} columns drifted [${drifted.join(' ')}] (${methods})`;
}

/** Cuts every column into DAYS consecutive, nearly equal slices. */
function days(columns) {
  const out = [];
  for (let d = 0; d < DAYS; d++) {
    const start = Math.floor((d * ROWS) / DAYS);
    const end = Math.floor(((d + 1) * ROWS) / DAYS);
    const day = {};
    for (const [name, values] of Object.entries(columns)) day[name] = values.slice(start, end);
    out.push(day);
  }
  return out;
}

/** True when the merged profile counts what the one-pass profile counts (histograms, categories). */
function sameCounts(merged, onePass) {
  if (merged.rowCount !== onePass.rowCount) return false;
  return Object.entries(onePass.columns).every(([name, p]) => {
    const m = merged.columns[name];
    if (p.kind === 'numeric') {
      return m.count === p.count && m.histogram.counts.every((c, i) => c === p.histogram.counts[i]);
    }
    // Past topN categories a merge keeps lower bounds (see mergeCategorical), so only totals compare.
    if (p.otherCount > 0) return m.count === p.count;
    return m.count === p.count && Object.entries(p.categories).every(([key, c]) => m.categories[key] === c);
  });
}

async function columnsCase() {
  const { profileColumns, profileWithEdges, mergeProfiles } = await import(`${DIST}/profile.js`);
  const { driftStatistics } = await import(`${DIST}/drift-statistics.js`);
  const reference = generateColumns(false);
  const current = generateColumns(true);
  const dataRss = peakRssMb();
  const ref = timed(() => profileColumns(reference));
  const cur = timed(() => profileWithEdges(current, ref.value));
  const drift = timed(() => driftStatistics(ref.value, cur.value));
  const floor = timed(() => floorColumns(current));
  const windows = days(current);
  const daily = timed(() => windows.map((w) => profileWithEdges(w, ref.value)));
  const folds = [];
  let merged;
  for (let r = 0; r < MERGES; r++) {
    const fold = timed(() => daily.value.reduce((acc, p) => mergeProfiles(acc, p)));
    folds.push(fold.ms);
    merged = fold.value;
  }
  const sorted = [...folds].sort((a, b) => a - b);
  return {
    dataRss,
    peakRss: peakRssMb(),
    referenceMs: ref.ms,
    currentMs: cur.ms,
    driftMs: drift.ms,
    floorMs: floor.ms,
    dailyMs: daily.ms,
    firstFoldMs: folds[0],
    medianFoldMs: sorted[Math.floor(sorted.length / 2)],
    mergedMatches: sameCounts(merged, cur.value),
    profileBytes: JSON.stringify(daily.value[0]).length,
    note: `${driftSummary(drift.value)}; floor checksum ${fmt(floor.value, 1)}`,
  };
}

async function rowsCase() {
  const { profileColumns, profileWithEdges } = await import(`${DIST}/profile.js`);
  const { driftStatistics } = await import(`${DIST}/drift-statistics.js`);
  const ref = profileColumns(generateColumns(false));
  const current = toRows(generateColumns(true));
  const dataRss = peakRssMb();
  const cur = timed(() => profileWithEdges(current, ref));
  const drift = timed(() => driftStatistics(ref, cur.value));
  const floor = timed(() => floorRows(current));
  return {
    dataRss,
    peakRss: peakRssMb(),
    currentMs: cur.ms,
    driftMs: drift.ms,
    floorMs: floor.ms,
    note: `${driftSummary(drift.value)}; floor checksum ${fmt(floor.value, 1)}`,
  };
}

async function child(name) {
  const outcome = name === 'rows' ? await rowsCase() : await columnsCase();
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

function runChild(name) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [...process.execArgv, SELF, '--child', name], {
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

// ------------------------------------------------------------------------------------------- main

const s = (ms) => fmt(ms / 1000, 3);

async function main() {
  console.log(
    `monitoring bench: ${fmt(ROWS)} reference + ${fmt(ROWS)} current rows, ${COLS_NUM} numeric + ` +
      `${COLS_CAT} categorical columns, ${DAYS} days, missing ${MISSING}; node ${process.version}, ` +
      `${os.cpus().length} cores, ${os.cpus()[0]?.model ?? '?'}, load ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );
  const results = {};
  for (const name of CASES) {
    const t0 = performance.now();
    results[name] = await runChild(name);
    console.log(`${name}: done in ${s(performance.now() - t0)} s (${results[name].note})`);
  }
  const rows = [['case', 'seconds', 'vs floor', 'peak RSS MB (data alone)']];
  for (const name of CASES) {
    const r = results[name];
    const window = r.currentMs + r.driftMs;
    const rss = `${fmt(r.peakRss)} (${fmt(r.dataRss)})`;
    if (r.referenceMs !== undefined)
      rows.push([`${name}: profile reference (once)`, s(r.referenceMs), '-', rss]);
    rows.push([
      `${name}: profile current on reference edges`,
      s(r.currentMs),
      fmt(r.currentMs / r.floorMs, 1),
      '',
    ]);
    rows.push([`${name}: driftStatistics`, s(r.driftMs), fmt(r.driftMs / r.floorMs, 2), '']);
    rows.push([`${name}: drift for a window (current + drift)`, s(window), fmt(window / r.floorMs, 1), '']);
    rows.push([`${name}: floor, one scan of the current rows`, s(r.floorMs), '1.0', '']);
  }
  table(rows);
  const c = results.columns;
  if (c) {
    const perMerge = c.medianFoldMs / Math.max(1, DAYS - 1);
    table([
      ['profile merge', 'ms'],
      [`profile ${DAYS} days of ~${fmt(ROWS / DAYS)} rows on the reference edges`, fmt(c.dailyMs, 1)],
      [`fold of ${DAYS} profiles (${DAYS - 1} merges), first`, fmt(c.firstFoldMs, 1)],
      [`fold of ${DAYS} profiles, median of ${MERGES}`, fmt(c.medianFoldMs, 1)],
      ['per merge (median fold)', fmt(perMerge, 2)],
    ]);
    console.log(
      `merged counts equal the one-pass profile of the window: ${c.mergedMatches ? 'yes' : 'NO'}; ` +
        `one daily profile is ${fmt(c.profileBytes / 1e3, 1)} kB of JSON`,
    );
  }
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();
