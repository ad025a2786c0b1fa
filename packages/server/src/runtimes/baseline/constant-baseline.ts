/**
 * `constant` baselines: the prediction that ignores every input (majority class with class priors,
 * or the mean, median or a quantile of the target). Every other model should beat it; fitting is
 * linear in the labels except for one typed-array sort for median and quantiles.
 */
import { invalidArgument } from '@slipway/contracts';
import type { LoadedModel, OutputRow } from '../runtime.js';

/** A class label as constant classifiers read and return it. */
export type ClassLabel = string | number;

/** A fitted constant classifier: the majority label and each class's share of the training labels. */
export interface ConstantClassificationSpec {
  kind: 'constant';
  task: 'classification';
  strategy: 'majority';
  label: ClassLabel;
  /** Class (as a string key) → prior probability; sums to 1. */
  probabilities: Record<string, number>;
}

/** Ways to summarize a regression target by one number. */
export type RegressionStrategy = 'mean' | 'median' | 'quantile';

/** A fitted constant regressor. */
export interface ConstantRegressionSpec {
  kind: 'constant';
  task: 'regression';
  strategy: RegressionStrategy;
  /** The quantile, for strategy `quantile`. */
  q?: number;
  prediction: number;
}

/** A fitted constant baseline. */
export type ConstantBaselineSpec = ConstantClassificationSpec | ConstantRegressionSpec;

/** What to fit a constant classifier from. */
export interface FitClassificationOptions {
  task: 'classification';
  strategy?: 'majority';
  labels: readonly ClassLabel[];
}

/** What to fit a constant regressor from; `q` is required for strategy `quantile`. */
export interface FitRegressionOptions {
  task: 'regression';
  strategy: RegressionStrategy;
  labels: ArrayLike<number>;
  q?: number;
}

/** What to fit a constant baseline from. */
export type FitConstantOptions = FitClassificationOptions | FitRegressionOptions;

/** Fits a constant baseline; refuses empty, non-finite or mixed-type labels, naming `labels[i]`. */
export function fitConstantBaseline(options: FitClassificationOptions): ConstantClassificationSpec;
export function fitConstantBaseline(options: FitRegressionOptions): ConstantRegressionSpec;
export function fitConstantBaseline(options: FitConstantOptions): ConstantBaselineSpec;
export function fitConstantBaseline(options: FitConstantOptions): ConstantBaselineSpec {
  if (options.labels.length === 0)
    throw invalidArgument('labels', 'Cannot fit a constant baseline on no labels');
  if (options.task === 'classification') return fitMajority(options.labels);
  const values = finiteValues(options.labels);
  switch (options.strategy) {
    case 'mean':
      return regression('mean', mean(values));
    case 'median':
      return regression('median', median(sorted(values)));
    case 'quantile': {
      const q = checkQuantile(options.q);
      return { ...regression('quantile', quantile(sorted(values), q)), q };
    }
    default:
      throw invalidArgument(
        'strategy',
        `Unknown regression strategy '${String((options as { strategy: unknown }).strategy)}'`,
      );
  }
}

/** A model returning the spec's output for every row. */
export function loadConstantBaseline(spec: ConstantBaselineSpec): LoadedModel {
  const output = (): OutputRow =>
    spec.task === 'classification'
      ? { label: spec.label, probabilities: { ...spec.probabilities } }
      : { prediction: spec.prediction };
  return {
    predict: async (rows) => rows.map(output),
    close: async () => {},
  };
}

function regression(strategy: RegressionStrategy, prediction: number): ConstantRegressionSpec {
  return { kind: 'constant', task: 'regression', strategy, prediction };
}

/** Validates `q` as a number in [0, 1]. */
export function checkQuantile(q: unknown, field = 'q'): number {
  if (typeof q !== 'number' || !Number.isFinite(q) || q < 0 || q > 1) {
    throw invalidArgument(
      field,
      `${field} must be a number between 0 and 1, got ${q === undefined ? 'nothing' : String(q)}`,
    );
  }
  return q;
}

// ---------------------------------------------------------------- classification

/**
 * Counts each label once; ties for the most frequent go to the smallest label (numeric order for
 * numbers, UTF-16 code-unit order for strings) so that refitting on shuffled data gives the same
 * spec. Labels must all be numbers or all strings: `1` and `'1'` would share a probability key.
 */
function fitMajority(labels: readonly ClassLabel[]): ConstantClassificationSpec {
  const counts = new Map<ClassLabel, number>();
  const firstType = typeof labels[0];
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as ClassLabel;
    checkLabel(label, i, firstType);
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const classes = [...counts.keys()].sort(compareLabels);
  let best = classes[0] as ClassLabel;
  for (const label of classes) if ((counts.get(label) ?? 0) > (counts.get(best) ?? 0)) best = label;
  const probabilities: Record<string, number> = {};
  for (const label of classes) probabilities[String(label)] = (counts.get(label) ?? 0) / labels.length;
  return { kind: 'constant', task: 'classification', strategy: 'majority', label: best, probabilities };
}

function checkLabel(label: unknown, i: number, firstType: string): void {
  const ok = typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label));
  if (!ok) throw invalidArgument(`labels[${i}]`, `labels[${i}] must be a string or a finite number`);
  if (typeof label !== firstType) {
    throw invalidArgument(
      `labels[${i}]`,
      `labels[${i}] is a ${typeof label} but labels[0] is a ${firstType}`,
    );
  }
}

function compareLabels(a: ClassLabel, b: ClassLabel): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------- regression

function finiteValues(labels: ArrayLike<number>): Float64Array {
  const values = new Float64Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const value = labels[i];
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidArgument(`labels[${i}]`, `labels[${i}] must be a finite number for a regression baseline`);
    }
    values[i] = value;
  }
  return values;
}

function sorted(values: Float64Array): Float64Array {
  // A typed array sorts numerically in place; `values` is already a private copy.
  return values.sort();
}

/** Neumaier-compensated mean, so a million labels do not drift from NumPy's pairwise sum. */
export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  let compensation = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i] as number;
    const t = sum + value;
    compensation += Math.abs(sum) >= Math.abs(value) ? sum - t + value : value - t + sum;
    sum = t;
  }
  return (sum + compensation) / values.length;
}

/** NumPy's median of sorted values: the middle one, or the mean of the two middle ones. */
export function median(sortedValues: ArrayLike<number>): number {
  const n = sortedValues.length;
  const mid = Math.floor(n / 2);
  const upper = sortedValues[mid] as number;
  return n % 2 === 1 ? upper : ((sortedValues[mid - 1] as number) + upper) / 2;
}

/**
 * NumPy's default (`method='linear'`) quantile of sorted values: position h = (n - 1) q, then
 * linear interpolation between the neighbours, computed like NumPy's `_lerp` for the same bits.
 */
export function quantile(sortedValues: ArrayLike<number>, q: number): number {
  const n = sortedValues.length;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sortedValues[lo] as number;
  const b = sortedValues[hi] as number;
  const t = h - lo;
  const diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}
