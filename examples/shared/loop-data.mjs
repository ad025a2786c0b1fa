/**
 * The data and model every example uses, made in this repository's own code (no downloads):
 * a seeded credit-risk table, a logistic regression fitted by gradient descent, and that model
 * as an ONNX file with its slipway.yaml. Run `node make-files.mjs DIR` to write them as files.
 */
import { Buffer } from 'node:buffer';

/** The feature columns, in the order the model packs them into its input `x`. */
export const FEATURES = ['utilization', 'tenure_years'];
/** The label column. */
export const LABEL = 'defaulted';

/** A small seeded PRNG (mulberry32), so every run of an example sees the same data. */
export function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sigmoid = (z) => 1 / (1 + Math.exp(-z));

/**
 * `count` borrowers: high credit-card utilization and a short history make a default likelier.
 * `tenureScale` 12 simulates an upstream unit bug (tenure sent in months); the label is drawn
 * from the true tenure, as the world would.
 */
export function borrowers(count, seed, tenureScale = 1) {
  const next = random(seed);
  return Array.from({ length: count }, () => {
    const utilization = Math.round(next() * 1000) / 1000;
    const tenure = Math.round(next() * 100) / 10;
    const risk = sigmoid(6 * (utilization - 0.5) - 0.5 * (tenure - 5));
    return {
      utilization,
      tenure_years: Math.round(tenure * tenureScale * 10) / 10,
      [LABEL]: next() < risk ? 1 : 0,
    };
  });
}

/** Rows as CSV text with a header. */
export function toCsv(rows) {
  const columns = Object.keys(rows[0]);
  return [columns.join(','), ...rows.map((row) => columns.map((c) => row[c]).join(','))].join('\n') + '\n';
}

/**
 * Fits p = sigmoid(x·w + b) by full-batch gradient descent; `onEpoch(epoch, loss, accuracy)` sees
 * every epoch, so a training run can log its curves.
 */
export function fitLogistic(rows, { learningRate, epochs }, onEpoch = () => {}) {
  const w = FEATURES.map(() => 0);
  let b = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const gradW = w.map(() => 0);
    let gradB = 0;
    let loss = 0;
    let correct = 0;
    for (const row of rows) {
      const p = sigmoid(FEATURES.reduce((z, f, i) => z + w[i] * row[f], b));
      const y = row[LABEL];
      const error = p - y;
      FEATURES.forEach((f, i) => (gradW[i] += error * row[f]));
      gradB += error;
      loss -= y * Math.log(p + 1e-12) + (1 - y) * Math.log(1 - p + 1e-12);
      if ((p >= 0.5 ? 1 : 0) === y) correct++;
    }
    FEATURES.forEach((_, i) => (w[i] -= (learningRate * gradW[i]) / rows.length));
    b -= (learningRate * gradB) / rows.length;
    onEpoch(epoch, loss / rows.length, correct / rows.length);
  }
  return { weights: w, bias: b };
}

/**
 * The fitted model as ONNX bytes (built with the `onnx-proto` package): input `x` float32 [N, 2],
 * outputs `label` int64 [N] and `probabilities` float32 [N, 2].
 */
export async function logisticOnnx({ weights, bias }) {
  const { default: onnxProto } = await import('onnx-proto');
  const { onnx } = onnxProto;
  const value = (name, elemType, dims) => ({
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  });
  const int = (name, i) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'slipway-examples',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'logistic',
      input: [value('x', 1, ['N', weights.length])],
      output: [value('label', 7, ['N']), value('probabilities', 1, ['N', 2])],
      initializer: [
        { name: 'w', dims: [weights.length, 1], dataType: 1, floatData: weights },
        { name: 'b', dims: [1], dataType: 1, floatData: [bias] },
        { name: 'one', dims: [1], dataType: 1, floatData: [1] },
      ],
      node: [
        { opType: 'MatMul', input: ['x', 'w'], output: ['xw'] },
        { opType: 'Add', input: ['xw', 'b'], output: ['z'] },
        { opType: 'Sigmoid', input: ['z'], output: ['p1'] },
        { opType: 'Sub', input: ['one', 'p1'], output: ['p0'] },
        { opType: 'Concat', input: ['p0', 'p1'], output: ['probabilities'], attribute: [int('axis', 1)] },
        {
          opType: 'ArgMax',
          input: ['probabilities'],
          output: ['label'],
          attribute: [int('axis', 1), int('keepdims', 0)],
        },
      ],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** The package manifest: the ONNX entry point and the contract (two float32 columns packed into x). */
export const MANIFEST = `format_version: 1
runtime: onnx
entry_point: model.onnx
contract:
  inputs:
    kind: columns
    fields:
      - { name: utilization, type: float32, range: { min: 0, max: 1 }, description: share of the credit limit in use }
      - { name: tenure_years, type: float32, range: { min: 0, max: 10 }, description: years since the first account }
  outputs:
    kind: tensors
    fields:
      - { name: label, type: int64, shape: [-1], categories: [0, 1], meaning: 1 = predicted to default }
      - { name: probabilities, type: float32, shape: [-1, 2] }
`;
