/**
 * Input validation and label encoding shared by the classification metrics. Pure.
 * Labels are encoded once into an Int32Array of class indices so the metrics loop over typed arrays.
 */
import { invalidArgument } from '@slipway/contracts';

/** A class label: within one call all labels are numbers or all are strings, as scikit-learn requires. */
export type Label = number | string;

/** One label per row: a plain array, or a typed array for numeric labels. */
export type LabelArray = ArrayLike<Label>;

/** One number per row (scores, probabilities, weights): a plain or typed array. */
export type NumberArray = ArrayLike<number>;

/** Labels turned into class indices; `codes[i]` is -1 when row i's label is not in `classes`. */
export interface EncodedLabels {
  classes: Label[];
  codes: Int32Array;
}

/** Orders labels as numpy does: numbers numerically, strings by code unit. */
export function compareLabels(a: Label, b: Label): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Rejects an empty argument, so no metric silently averages over nothing. */
export function requireRows(name: string, values: ArrayLike<unknown>): number {
  if (values.length === 0) throw invalidArgument(name, `${name} must not be empty`);
  return values.length;
}

/** Rejects an argument whose length differs from the number of rows. */
export function requireLength(name: string, values: ArrayLike<unknown>, expected: number): void {
  if (values.length !== expected) {
    throw invalidArgument(name, `${name} has ${values.length} entries, expected ${expected}`);
  }
}

/** Rejects NaN and infinities, naming the argument and the first bad row. */
export function requireFinite(name: string, values: NumberArray): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) throw invalidArgument(name, `${name}[${i}] is ${v}; values must be finite`);
  }
}

/** Rejects values outside [0, 1], which probabilities must lie in. */
export function requireProbabilities(name: string, values: NumberArray): void {
  requireFinite(name, values);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < 0 || v > 1) throw invalidArgument(name, `${name}[${i}] is ${v}; probabilities must be in [0, 1]`);
  }
}

/** Validates optional sample weights against the row count; undefined means every weight is 1. */
export function checkWeights(sampleWeight: NumberArray | undefined, rows: number): NumberArray | undefined {
  if (sampleWeight === undefined) return undefined;
  requireLength('sampleWeight', sampleWeight, rows);
  requireFinite('sampleWeight', sampleWeight);
  return sampleWeight;
}

/** The weight of row i (1 without weights). */
export function weightAt(sampleWeight: NumberArray | undefined, i: number): number {
  return sampleWeight === undefined ? 1 : (sampleWeight[i] as number);
}

/** Checks that every label is a non-NaN number or a string, and that one kind is used throughout. */
function labelKind(
  name: string,
  values: LabelArray,
  kind: 'number' | 'string' | undefined,
): 'number' | 'string' {
  let seen = kind;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const k = typeof v;
    if ((k !== 'number' && k !== 'string') || Number.isNaN(v)) {
      throw invalidArgument(name, `${name}[${i}] is ${String(v)}; labels must be strings or non-NaN numbers`);
    }
    if (seen !== undefined && k !== seen) {
      throw invalidArgument(name, `${name} mixes string and number labels`);
    }
    seen = k as 'number' | 'string';
  }
  return seen ?? 'number';
}

/** The sorted union of the labels in all arrays (scikit-learn's `unique_labels`), validating kinds. */
export function uniqueLabels(named: Readonly<Record<string, LabelArray>>): Label[] {
  const seen = new Set<Label>();
  let kind: 'number' | 'string' | undefined;
  for (const [name, values] of Object.entries(named)) {
    kind = labelKind(name, values, kind);
    for (let i = 0; i < values.length; i++) seen.add(values[i] as Label);
  }
  return [...seen].sort(compareLabels);
}

/** Validates an explicit label list: non-empty, no duplicates, one kind. */
export function checkLabelList(name: string, labels: readonly Label[]): Label[] {
  requireRows(name, labels);
  labelKind(name, labels, undefined);
  if (new Set(labels).size !== labels.length) throw invalidArgument(name, `${name} contains duplicates`);
  return [...labels];
}

/** Maps each row's label to its index in `classes` (-1 when absent). */
export function encode(values: LabelArray, classes: readonly Label[]): Int32Array {
  const index = new Map<Label, number>();
  classes.forEach((c, i) => index.set(c, i));
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) codes[i] = index.get(values[i] as Label) ?? -1;
  return codes;
}

/**
 * Resolves a binary target to 1 (positive) / 0 per row. Without `posLabel`, the positive class is the
 * larger of y_true's labels (what roc_auc_score uses, and pos_label=1 for {0, 1} and {-1, 1}); with a
 * single class it is 1, and string labels then need an explicit posLabel.
 */
export function binaryTarget(yTrue: LabelArray, posLabel: Label | undefined): Uint8Array {
  requireRows('yTrue', yTrue);
  const classes = uniqueLabels({ yTrue });
  if (classes.length > 2) {
    throw invalidArgument('yTrue', `yTrue has ${classes.length} classes; this metric is binary only`);
  }
  let positive = posLabel;
  if (positive === undefined) {
    if (classes.length === 2) positive = classes[1];
    else if (typeof classes[0] === 'number') positive = 1;
    else throw invalidArgument('posLabel', 'posLabel is required when yTrue holds a single string label');
  }
  const isPos = new Uint8Array(yTrue.length);
  for (let i = 0; i < yTrue.length; i++) isPos[i] = yTrue[i] === positive ? 1 : 0;
  return isPos;
}

/**
 * Neumaier-compensated running sum: sums of up to millions of terms stay within a few ulps, so results
 * agree with scikit-learn's (pairwise or sequential) sums to far better than 1e-12.
 */
export class CompensatedSum {
  private sum = 0;
  private compensation = 0;

  /** Adds one term. */
  add(x: number): void {
    const t = this.sum + x;
    if (Math.abs(this.sum) >= Math.abs(x)) this.compensation += this.sum - t + x;
    else this.compensation += x - t + this.sum;
    this.sum = t;
  }

  /** The compensated total. */
  value(): number {
    return this.sum + this.compensation;
  }
}

/** The weighted mean of per-row values (numpy's `np.average`), with compensated sums. */
export function weightedMean(values: NumberArray, sampleWeight: NumberArray | undefined): number {
  const num = new CompensatedSum();
  const den = new CompensatedSum();
  for (let i = 0; i < values.length; i++) {
    const w = weightAt(sampleWeight, i);
    num.add((values[i] as number) * w);
    den.add(w);
  }
  const total = den.value();
  if (total === 0) throw invalidArgument('sampleWeight', 'sampleWeight sums to zero');
  return num.value() / total;
}

/** Many compensated sums at once (one per class or cell), held in typed arrays instead of objects. */
export class CompensatedSums {
  private readonly sums: Float64Array;
  private readonly compensations: Float64Array;

  /** `size` independent sums, all starting at zero. */
  constructor(size: number) {
    this.sums = new Float64Array(size);
    this.compensations = new Float64Array(size);
  }

  /** Adds `x` to sum `j`. */
  add(j: number, x: number): void {
    const s = this.sums[j] as number;
    const t = s + x;
    const c = this.compensations[j] as number;
    this.compensations[j] = c + (Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s);
    this.sums[j] = t;
  }

  /** The compensated totals. */
  values(): Float64Array {
    return this.sums.map((s, j) => s + (this.compensations[j] as number));
  }
}
