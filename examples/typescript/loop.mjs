/**
 * The whole Slipway loop with the TypeScript SDK: track three training runs, register the best
 * model (ONNX) with its contract, weigh it against a constant baseline and promote it through the
 * gate, serve it, send traffic and late labels, and let a monitor catch an upstream unit bug.
 *
 * Start a server (`npm start`), then from the repository root: node examples/typescript/loop.mjs
 * (SLIPWAY_URL picks another server; the names are suffixed so the script can run again).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { SlipwayClient } from '@slipway/sdk';
import {
  FEATURES,
  LABEL,
  MANIFEST,
  borrowers,
  fitLogistic,
  logisticOnnx,
  toCsv,
} from '../shared/loop-data.mjs';

const url = process.env.SLIPWAY_URL ?? 'http://127.0.0.1:5000';
const client = new SlipwayClient({ url, user: 'examples' });
const suffix = Date.now().toString(36);
const name = `credit-${suffix}`;

// 1. Track: one run per learning rate, each logging its loss and accuracy curves.
const train = borrowers(2000, 1);
const holdout = borrowers(600, 2);
const experiment = await client.experiments.create({ name: `credit-risk-${suffix}` });
const candidates = [];
for (const learningRate of [0.05, 0.2, 0.5]) {
  const run = await client.startRun({ experimentId: experiment.experimentId, runName: `lr-${learningRate}` });
  run.logParams({ learningRate, epochs: 300, features: FEATURES.join(',') });
  let finalLoss = Infinity;
  const model = fitLogistic(train, { learningRate, epochs: 300 }, (step, loss, accuracy) => {
    run.logMetrics({ loss, accuracy }, { step }); // buffered: sent in batches, not one request per point
    finalLoss = loss;
  });
  await run.end();
  candidates.push({ runId: run.runId, learningRate, finalLoss, model });
  console.log(`run lr=${learningRate}: final loss ${finalLoss.toFixed(4)}`);
}
const best = candidates.reduce((a, b) => (b.finalLoss < a.finalLoss ? b : a));

// 2. Register: the package (model.onnx + slipway.yaml with the contract) goes under the run's model/.
await client.artifacts.upload(best.runId, 'model/model.onnx', await logisticOnnx(best.model));
await client.artifacts.upload(best.runId, 'model/slipway.yaml', MANIFEST);
await client.artifacts.upload(best.runId, 'datasets/train.csv', toCsv(train));
await client.artifacts.upload(best.runId, 'datasets/holdout.csv', toCsv(holdout));
const version = await client.models.register({
  name,
  source: `runs:/${best.runId}/model`,
  runId: best.runId,
});
console.log(
  `registered ${name} version ${version.version} (${version.package?.digest}) from lr=${best.learningRate}`,
);

// 3. Evaluate against a constant baseline and promote through the gate.
const data = (file) => ({ uri: `runs:/${best.runId}/datasets/${file}` });
const baseline = await client.baselines.create({
  name: `${name}-majority`,
  fit: { kind: 'constant', task: 'binary', labelColumn: LABEL, dataset: data('train.csv') },
});
await client.models.setEvaluationPolicy(name, {
  task: 'binary',
  labelColumn: LABEL,
  dataset: data('holdout.csv'),
  baseline: { name: baseline.modelVersion.name, version: baseline.modelVersion.version },
  gate: { metric: 'accuracy', direction: 'higher', margin: { kind: 'absolute', value: 0.1 } },
  protectedAliases: ['champion'],
});
const { evaluation } = await client.models.promote(name, version.version, {
  alias: 'champion',
  reason: 'beats majority',
});
console.log(
  `gate ${evaluation.verdict?.passed ? 'passed' : 'failed'}: ${evaluation.verdict?.reasons.join('; ')}`,
);

// 4. Serve: the endpoint follows name@champion.
await client.endpoints.create({ name, model: { name, alias: 'champion' } });

// 5. Traffic: 200 rows as trained on, then 200 with tenure sent in months (an upstream unit bug).
const traffic = [...borrowers(200, 3), ...borrowers(200, 4, 12)];
const labels = [];
for (let start = 0; start < traffic.length; start += 50) {
  const rows = traffic.slice(start, start + 50);
  const inputs = rows.map((row) => Object.fromEntries(FEATURES.map((f) => [f, row[f]])));
  const answer = await client.endpoints.predict(name, inputs);
  answer.prediction_ids.forEach((predictionId, i) => labels.push({ predictionId, label: rows[i][LABEL] }));
}
console.log(`served ${labels.length} predictions`);

// 6. Late labels, joined by prediction id (a label that beats its prediction to the log waits for it).
const written = await client.predictions.submitLabels(name, labels);
console.log(`labels: ${written.stored} stored, ${written.matched} matched, ${written.unmatched} waiting`);
await waitFor(async () => {
  const page = await client.predictions.query(name, { labelled: true, limit: 1000 });
  return page.predictions.length === traffic.length;
});

// 7. Monitor against the reference profile the promotion's evaluation stored, and run it now.
await client.monitors.create({
  name,
  endpoint: name,
  reference: { model: name, version: version.version },
  checks: { drift: { predictionField: 'label' }, dataQuality: {} },
  window: { kind: 'rolling', durationMs: 3_600_000 },
});
await client.monitors.addRule(name, { name: 'drift', severity: 'critical', match: { check: 'drift' } });
await client.monitors.addRule(name, {
  name: 'quality',
  severity: 'warning',
  match: { check: 'data_quality' },
});
const run = await client.monitors.run(name);
if (run.state !== 'succeeded') throw new Error(`monitor run ${run.state}: ${run.error?.message}`);
console.log(`monitor run over ${run.rows} predictions`);
for (const s of run.statistics.filter((stat) => stat.flagged)) {
  console.log(
    `flagged ${s.check} ${s.column ?? '(dataset)'} ${s.name} = ${s.value.toFixed(4)} (threshold ${s.threshold})`,
  );
}
for (const alert of await client.monitors.alerts({ monitor: name, state: 'firing' })) {
  const columns = [...new Set(alert.evidence.map((s) => s.column ?? '(dataset)'))].join(', ');
  console.log(`alert firing: ${alert.severity} on ${columns}`);
}
console.log(`see ${url}/experiments/${experiment.experimentId}`);

/** Polls `check` every 200 ms (the prediction log flushes about once a second), for at most 30 s. */
async function waitFor(check) {
  for (let i = 0; i < 150; i++) {
    if (await check()) return;
    await sleep(200);
  }
  throw new Error('timed out waiting for the prediction log');
}
