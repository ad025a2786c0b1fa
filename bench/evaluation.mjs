#!/usr/bin/env node
/**
 * Evaluation benchmark: `evaluateModels` on a large binary-classification dataset (default 1M rows)
 * with its whole binary metric set, slices and bootstrap CIs, against a floor measured in the same run.
 * Benchmarks are not tests: nothing here asserts.
 *
 *   npm run build && node bench/evaluation.mjs
 *   ROWS=200000 RESAMPLES=200 ROC_RESAMPLES=20 node bench/evaluation.mjs
 *
 * Environment (all optional):
 *   ROWS           rows in the dataset (default 1,000,000)
 *   RESAMPLES      bootstrap resamples with headline `accuracy` (default 1000)
 *   ROC_RESAMPLES  bootstrap resamples with headline `rocAuc`, one sort of n scores per model and
 *                  resample, so far fewer by default (default 20; 0 skips the case)
 *   SEED           data seed (default 42)
 *
 * Data: deterministic (mulberry32 + Box-Muller) rows `{ id, region, amount, tenure, y }`; `region` is
 * categorical (8 values, skewed, 0.5 % missing), `amount` numeric, `y` a 0/1 label drawn from a
 * logistic model of the features. Two models, both cheap and deterministic:
 *   - candidate: `{ label, probabilities: { 0: 1 - p, 1: p } }` with p a noisy version of the true
 *     logit, precomputed per row; predict only looks the output object up by `row.id`;
 *   - baseline: `loadConstantBaseline(fitConstantBaseline({ task: 'classification', labels }))`.
 *
 * Floor: one pass over the rows reading each row's label and the candidate's probability and
 * accumulating the count of correct predictions and the log-loss sum, i.e. touching each row once.
 * "predict only" times both models' predict calls in evaluate's batches with nothing read, so the
 * reader sees how much of an evaluation is the models rather than the evaluation.
 *
 * Cases: (a) whole metric set, no slices, no bootstrap; (b) + slices on `region`; (c) + bootstrap
 * with headline `accuracy` x RESAMPLES; (d) + bootstrap with headline `rocAuc` x ROC_RESAMPLES.
 * Each bootstrap resample costs one headline metric per model on a fresh gather of the rows, so the
 * bootstrap lines also show the cost per resample and per model-resample against the floor.
 */
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { evaluateModels } from '../packages/server/dist/evaluation/evaluate.js';
import { metricNames } from '../packages/server/dist/evaluation/metrics.js';
import {
  fitConstantBaseline,
  loadConstantBaseline,
} from '../packages/server/dist/runtimes/baseline/constant-baseline.js';
import { mulberry32, gaussian } from './bench-util.mjs';

const ROWS = envInt('ROWS', 1_000_000);
const RESAMPLES = envInt('RESAMPLES', 1000);
const ROC_RESAMPLES = envInt('ROC_RESAMPLES', 20);
const SEED = envInt('SEED', 42);
const BATCH = 10_000; // evaluate's default batch size, used for the predict-only timing too
const REGIONS = ['apac', 'br', 'ca', 'de', 'fr', 'jp', 'uk', 'us'];
const REGION_WEIGHTS = [0.08, 0.04, 0.06, 0.12, 0.1, 0.05, 0.15, 0.4];
const REGION_EFFECT = [0.6, -0.8, 0.2, -0.4, 0.0, 1.0, -0.2, 0.4];

function envInt(name, fallback) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 0) throw new Error(`${name} must be a non-negative integer, got ${raw}`);
  return v;
}

// ------------------------------------------------------------------------------------------ data

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/** Rows plus the candidate's precomputed output rows (shared across calls: evaluate only reads them). */
function makeData(n, seed) {
  const rand = mulberry32(seed);
  const cumulative = [];
  REGION_WEIGHTS.reduce((acc, w, j) => (cumulative[j] = acc + w), 0);
  const rows = new Array(n);
  const outputs = new Array(n);
  const labels = new Array(n);
  for (let i = 0; i < n; i++) {
    const u = rand();
    let r = 0;
    while (r < REGIONS.length - 1 && u >= cumulative[r]) r++;
    const missingRegion = rand() < 0.005;
    const amount = Math.round(Math.exp(3.5 + 1.2 * gaussian(rand)) * 100) / 100;
    const tenure = Math.floor(rand() * 120);
    const logit = -1.2 + 1.2 * (Math.log(amount) - 3.5) - 0.02 * (tenure - 60) + REGION_EFFECT[r];
    const y = rand() < sigmoid(logit) ? 1 : 0;
    // The candidate sees the true logit through noise: good (AUC ~0.8), never perfect.
    const p = sigmoid(logit + 0.5 * gaussian(rand));
    rows[i] = { id: i, region: missingRegion ? null : REGIONS[r], amount, tenure, y };
    outputs[i] = { label: p >= 0.5 ? 1 : 0, probabilities: { 0: 1 - p, 1: p } };
    labels[i] = y;
  }
  return { rows, outputs, labels };
}

// ----------------------------------------------------------------------------------------- timing

async function seconds(fn) {
  const t0 = performance.now();
  const value = await fn();
  return { s: (performance.now() - t0) / 1000, value };
}

/** Best of `reps` runs: the least disturbed by the other jobs on the machine. */
async function best(reps, fn) {
  let min = Infinity;
  let value;
  for (let r = 0; r < reps; r++) {
    const t = await seconds(fn);
    if (t.s < min) [min, value] = [t.s, t.value];
  }
  return { s: min, value };
}

/** The floor: one pass reading each row's label and the candidate's probability. */
function floorPass(rows, outputs) {
  let correct = 0;
  let logLoss = 0;
  for (let i = 0; i < rows.length; i++) {
    const y = rows[i].y;
    const p = outputs[i].probabilities[1];
    if ((p >= 0.5 ? 1 : 0) === y) correct++;
    logLoss -= Math.log(y === 1 ? p : 1 - p);
  }
  return { accuracy: correct / rows.length, logLoss: logLoss / rows.length };
}

/** Both models' predict calls in evaluate's batches (including its rows.slice), outputs ignored. */
async function predictOnly(models, rows) {
  let count = 0;
  for (const { model } of models) {
    for (let start = 0; start < rows.length; start += BATCH) {
      const out = await model.predict(rows.slice(start, start + BATCH));
      count += out.length;
    }
  }
  return count;
}

// ------------------------------------------------------------------------------------------- main

const cpus = os.cpus();
console.log(
  `evaluation bench: ${cpus.length} x ${cpus[0]?.model ?? 'unknown cpu'}, node ${process.version}, ` +
    `loadavg ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}; ${ROWS.toLocaleString('en-US')} rows, ` +
    `bootstrap accuracy x ${RESAMPLES}, rocAuc x ${ROC_RESAMPLES}, seed ${SEED}`,
);

const built = await seconds(() => makeData(ROWS, SEED));
const { rows, outputs, labels } = built.value;
const candidate = {
  predict: async (batch) => batch.map((row) => outputs[row.id]),
  close: async () => {},
};
const baselineSpec = fitConstantBaseline({ task: 'classification', labels });
const models = [
  { id: 'candidate', model: candidate, role: 'candidate' },
  { id: 'majority', model: loadConstantBaseline(baselineSpec), role: 'baseline' },
];
const positives = labels.reduce((a, b) => a + b, 0);
console.log(
  `data built in ${built.s.toFixed(2)} s: ${((100 * positives) / ROWS).toFixed(1)} % positive; ` +
    `baseline predicts ${baselineSpec.label} with p(1) = ${baselineSpec.probabilities['1']?.toFixed(4)}; ` +
    `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`,
);

const base = { task: 'binary', labelColumn: 'y', models };
const sliced = { ...base, slices: [{ column: 'region' }] };
const boot = (headline, resamples) => ({ resamples, seed: 7, confidence: 0.95, headline });

// Warm-up on a small prefix so the JIT has seen every path (slices and both headlines) before timing.
{
  const warm = rows.slice(0, Math.min(ROWS, 20_000));
  await evaluateModels({ ...sliced, rows: warm, bootstrap: boot('accuracy', 3) });
  await evaluateModels({ ...sliced, rows: warm, bootstrap: boot('rocAuc', 3) });
  floorPass(rows, outputs);
  await predictOnly(models, warm);
}

const floor = await best(5, () => floorPass(rows, outputs));
const predict = await best(2, () => predictOnly(models, rows));
const a = await best(2, () => evaluateModels({ ...base, rows }));
const b = await best(2, () => evaluateModels({ ...sliced, rows }));
const c =
  RESAMPLES > 0
    ? await seconds(() => evaluateModels({ ...sliced, rows, bootstrap: boot('accuracy', RESAMPLES) }))
    : undefined;
const d =
  ROC_RESAMPLES > 0
    ? await seconds(() => evaluateModels({ ...sliced, rows, bootstrap: boot('rocAuc', ROC_RESAMPLES) }))
    : undefined;

// ----------------------------------------------------------------------------------------- report

const report = a.value;
const names = metricNames('binary');
const computed = Object.keys(report.models[0].metrics);
const sliceGroups = b.value.slices[0].slices;
const details = Object.keys(report.models[0].details ?? {});
console.log(
  `metrics per model: ${computed.length} of the ${names.length} binary metrics (${computed.join(', ')}) ` +
    `+ ${details.length} details (${details.join(', ')}); ` +
    `2 models; ${sliceGroups.length} slices of region (${sliceGroups.map((s) => `${s.label} ${s.rows}`).join(', ')})`,
);
const m = report.models[0].metrics;
console.log(
  `candidate: accuracy ${m.accuracy.toFixed(4)} (floor pass: ${floor.value.accuracy.toFixed(4)}), ` +
    `logLoss ${m.logLoss.toFixed(4)} (floor pass: ${floor.value.logLoss.toFixed(4)}), rocAuc ${m.rocAuc.toFixed(4)}; ` +
    `baseline accuracy ${report.models[1].metrics.accuracy.toFixed(4)}`,
);

const fmtS = (s) => (s >= 10 ? s.toFixed(1) : s >= 0.1 ? s.toFixed(2) : s.toFixed(4));
const fmtRate = (r) => Math.round(r).toLocaleString('en-US');
const table = [['case', 'seconds', 'rows/s', 'ratio to floor']];
const line = (name, s, rowsTouched = ROWS) =>
  table.push([name, fmtS(s), fmtRate(rowsTouched / s), (s / floor.s).toFixed(1)]);
line('floor: one pass (label + p, correct count + log-loss sum)', floor.s);
line('predict only (both models, 10k batches)', predict.s);
line(`(a) evaluateModels, ${computed.length} metrics + ${details.length} details x 2 models`, a.s);
line(`(b) (a) + slices on region (${sliceGroups.length} slices)`, b.s);
if (c) line(`(c) (b) + bootstrap accuracy x ${RESAMPLES}`, c.s);
if (d) line(`(d) (b) + bootstrap rocAuc x ${ROC_RESAMPLES}`, d.s);
const bootLine = (name, t, resamples) => {
  // resamples + 1 headline evaluations per model (the point estimate is one more on all rows).
  const perResample = (t.s - b.s) / (resamples + 1);
  table.push([
    `  ${name}: per resample (2 models)`,
    fmtS(perResample),
    fmtRate(ROWS / perResample),
    (perResample / floor.s).toFixed(1),
  ]);
  table.push([
    `  ${name}: per model-resample`,
    fmtS(perResample / 2),
    fmtRate((2 * ROWS) / perResample),
    (perResample / 2 / floor.s).toFixed(1),
  ]);
};
if (c) bootLine('accuracy', c, RESAMPLES);
if (d) bootLine('rocAuc', d, ROC_RESAMPLES);

const widths = table[0].map((_, i) => Math.max(...table.map((r) => String(r[i]).length)));
const render = (r) => `| ${r.map((cell, i) => String(cell).padEnd(widths[i])).join(' | ')} |`;
console.log('');
console.log(render(table[0]));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of table.slice(1)) console.log(render(r));
console.log('');

for (const [name, t] of [
  ['accuracy', c],
  ['rocAuc', d],
]) {
  if (!t) continue;
  const bs = t.value.bootstrap;
  const ci = bs.models.candidate;
  const diff = bs.differences[0];
  console.log(
    `bootstrap ${name}: candidate ${ci.estimate.toFixed(4)} [${ci.lower.toFixed(4)}, ${ci.upper.toFixed(4)}], ` +
      `candidate - baseline ${diff.estimate.toFixed(4)} [${diff.lower.toFixed(4)}, ${diff.upper.toFixed(4)}], ` +
      `${bs.resamples} resamples, dropped NaN ${ci.droppedNaN}`,
  );
}
console.log(
  `rows/s = dataset rows / seconds (per model-resample: rows of both models / seconds). Floor = best of 5, ` +
    `predict / (a) / (b) best of 2, bootstrap cases one run each; per-resample lines are ((c or d) - (b)) / ` +
    `(resamples + 1). Shared machine: loadavg at the end ${os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}, ` +
    `rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB; figures are noisy.`,
);
