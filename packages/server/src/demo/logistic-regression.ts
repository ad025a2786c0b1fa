/**
 * Binary logistic regression trained by full-batch gradient descent, small enough to read in one
 * sitting: features are standardized on the training rows, the mean log loss plus an L2 penalty is
 * minimized, and the fitted model is folded back into weights on the raw features so that the
 * ONNX graph is one MatMul, one Add and a Sigmoid. Pure: no I/O, no randomness.
 */

/** Training settings. */
export interface TrainOptions {
  learningRate: number;
  epochs: number;
  /** L2 penalty on the (standardized) weights, not on the bias. */
  l2: number;
}

/** A fitted model over raw features: p = sigmoid(x·weights + bias). */
export interface LogisticModel {
  weights: number[];
  bias: number;
}

/** The loss after each epoch, for metric curves. */
export interface EpochLoss {
  epoch: number;
  trainLoss: number;
  validationLoss: number;
}

/** Rows as arrays of feature values in a fixed order, and their 0/1 labels. */
export interface Matrix {
  x: readonly (readonly number[])[];
  y: readonly number[];
}

/**
 * Fits a model on `train`, reporting both losses after every epoch to `onEpoch` (validation on
 * `validation`, which never influences the fit).
 */
export function trainLogistic(
  train: Matrix,
  validation: Matrix,
  options: TrainOptions,
  onEpoch: (loss: EpochLoss) => void = () => undefined,
): LogisticModel {
  const k = train.x[0]?.length ?? 0;
  if (k === 0 || train.x.length !== train.y.length)
    throw new Error('training rows must be non-empty and labelled');
  const { mean, std } = moments(train.x, k);
  const z = train.x.map((row) => standardize(row, mean, std));
  const w = new Array<number>(k).fill(0);
  let b = Math.log((meanOf(train.y) + 1e-6) / (1 - meanOf(train.y) + 1e-6));
  const n = z.length;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const gradW = new Array<number>(k).fill(0);
    let gradB = 0;
    for (let i = 0; i < n; i++) {
      const row = z[i] as number[];
      const error = sigmoid(dot(row, w) + b) - (train.y[i] as number);
      for (let j = 0; j < k; j++) gradW[j] = (gradW[j] as number) + error * (row[j] as number);
      gradB += error;
    }
    for (let j = 0; j < k; j++) {
      w[j] =
        (w[j] as number) - options.learningRate * ((gradW[j] as number) / n + options.l2 * (w[j] as number));
    }
    b -= (options.learningRate * gradB) / n;
    const model = unstandardize(w, b, mean, std);
    onEpoch({ epoch, trainLoss: logLoss(model, train), validationLoss: logLoss(model, validation) });
  }
  return unstandardize(w, b, mean, std);
}

/** The model's probability of the positive class for one row of raw features. */
export function predictProbability(model: LogisticModel, row: readonly number[]): number {
  return sigmoid(dot(row, model.weights) + model.bias);
}

/** Mean log loss of the model on labelled rows (probabilities clipped to [1e-15, 1 - 1e-15]). */
export function logLoss(model: LogisticModel, data: Matrix): number {
  let sum = 0;
  data.x.forEach((row, i) => {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, predictProbability(model, row)));
    sum -= data.y[i] === 1 ? Math.log(p) : Math.log(1 - p);
  });
  return sum / data.x.length;
}

/** Share of rows whose predicted class (p ≥ 0.5) equals the label. */
export function accuracy(model: LogisticModel, data: Matrix): number {
  let right = 0;
  data.x.forEach((row, i) => {
    if ((predictProbability(model, row) >= 0.5 ? 1 : 0) === data.y[i]) right++;
  });
  return right / data.x.length;
}

/** Weights on standardized features mapped back to raw ones: w_j / σ_j, and the bias minus Σ w_j μ_j / σ_j. */
function unstandardize(
  w: readonly number[],
  b: number,
  mean: readonly number[],
  std: readonly number[],
): LogisticModel {
  const weights = w.map((wj, j) => wj / (std[j] as number));
  const bias = b - weights.reduce((sum, wj, j) => sum + wj * (mean[j] as number), 0);
  return { weights, bias };
}

function moments(x: readonly (readonly number[])[], k: number): { mean: number[]; std: number[] } {
  const mean = new Array<number>(k).fill(0);
  for (const row of x)
    for (let j = 0; j < k; j++) mean[j] = (mean[j] as number) + (row[j] as number) / x.length;
  const variance = new Array<number>(k).fill(0);
  for (const row of x) {
    for (let j = 0; j < k; j++)
      variance[j] = (variance[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / x.length;
  }
  // A constant column keeps a unit scale rather than dividing by zero.
  return { mean, std: variance.map((v) => (v > 0 ? Math.sqrt(v) : 1)) };
}

function standardize(row: readonly number[], mean: readonly number[], std: readonly number[]): number[] {
  return row.map((v, j) => (v - (mean[j] as number)) / (std[j] as number));
}

function dot(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let j = 0; j < a.length; j++) sum += (a[j] as number) * (b[j] as number);
  return sum;
}

function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

function meanOf(values: readonly number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
