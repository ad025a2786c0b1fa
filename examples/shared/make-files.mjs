/**
 * Writes the files the CLI and Python examples use into DIR (default ./loop-files):
 * train.csv, holdout.csv, traffic.json (rows with the tenure unit bug) and model/ (the trained
 * model.onnx and its slipway.yaml), and prints the training curve as JSON lines for the Python
 * example to log. Usage: node examples/shared/make-files.mjs [DIR]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FEATURES, LABEL, MANIFEST, borrowers, fitLogistic, logisticOnnx, toCsv } from './loop-data.mjs';

const dir = path.resolve(process.argv[2] ?? 'loop-files');
await mkdir(path.join(dir, 'model'), { recursive: true });

const train = borrowers(2000, 1);
const holdout = borrowers(600, 2);
// Live traffic: the first half as trained on, the second half with tenure sent in months.
const traffic = [...borrowers(200, 3), ...borrowers(200, 4, 12)];

const curve = [];
const model = fitLogistic(train, { learningRate: 0.2, epochs: 300 }, (epoch, loss, accuracy) => {
  if (epoch % 10 === 0) curve.push({ epoch, loss, accuracy });
});

await writeFile(path.join(dir, 'train.csv'), toCsv(train));
await writeFile(path.join(dir, 'holdout.csv'), toCsv(holdout));
// The CLI sends the features; the labels arrive later, joined by prediction id.
await writeFile(
  path.join(dir, 'traffic.json'),
  JSON.stringify({ instances: traffic.map((row) => Object.fromEntries(FEATURES.map((f) => [f, row[f]]))) }),
);
await writeFile(path.join(dir, 'traffic-labels.json'), JSON.stringify(traffic.map((row) => row[LABEL])));
await writeFile(path.join(dir, 'model', 'model.onnx'), await logisticOnnx(model));
await writeFile(path.join(dir, 'model', 'slipway.yaml'), MANIFEST);
await writeFile(path.join(dir, 'curve.jsonl'), curve.map((point) => JSON.stringify(point)).join('\n') + '\n');
console.log(`Wrote ${dir}: train.csv, holdout.csv, traffic.json, traffic-labels.json, curve.jsonl, model/`);
