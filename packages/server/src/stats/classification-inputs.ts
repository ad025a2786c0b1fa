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

/** Integer typed arrays: every element is a number and none is NaN, so they need no per-row kind check. */
function isIntegerTypedArray(values: LabelArray): boolean {
  return (
    values instanceof Int32Array ||
    values instanceof Uint8Array ||
    values instanceof Int16Array ||
    values instanceof Uint16Array ||
    values instanceof Int8Array ||
    values instanceof Uint32Array ||
    values instanceof Uint8ClampedArray
  );
}

/** Checks that every label is a non-NaN number or a string, and that one kind is used throughout. */
function labelKind(
  name: string,
  values: LabelArray,
  kind: 'number' | 'string' | undefined,
): 'number' | 'string' {
  if (isIntegerTypedArray(values)) {
    if (values.length > 0 && kind === 'string') {
      throw invalidArgument(name, `${name} mixes string and number labels`);
    }
    return values.length > 0 ? 'number' : (kind ?? 'number');
  }
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

/**
 * Validates label arrays as `uniqueLabels` does (same checks, same errors, same order) without
 * collecting the labels, for callers that are given the labels or do not need them.
 */
export function checkLabelKinds(named: Readonly<Record<string, LabelArray>>): void {
  let kind: 'number' | 'string' | undefined;
  for (const [name, values] of Object.entries(named)) kind = labelKind(name, values, kind);
}

/**
 * Labels that are integers in [0, SMALL_CODES) (class codes 0…k−1) are tracked in a typed array
 * instead of a Set: `(v & SMALL_MASK) === v` holds exactly for such numbers (and for -0, which a Set
 * stores as 0 too), never for strings or other numbers.
 */
const SMALL_CODES = 4096;
const SMALL_MASK = SMALL_CODES - 1;

/** True when `v` is an integer in [0, SMALL_CODES). */
function isSmallCode(v: Label): v is number {
  return ((v as number) & SMALL_MASK) === v;
}

/** The sorted union of already-validated label arrays (what `uniqueLabels` returns). */
export function presentLabels(arrays: readonly LabelArray[]): Label[] {
  const small = new Uint8Array(SMALL_CODES);
  let max = -1;
  let others: Set<Label> | undefined;
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Label;
      if (isSmallCode(v)) {
        small[v] = 1;
        if (v > max) max = v;
      } else {
        (others ??= new Set()).add(v);
      }
    }
  }
  const labels: Label[] = [];
  for (let c = 0; c <= max; c++) if (small[c] === 1) labels.push(c);
  if (others === undefined) return labels;
  return [...labels, ...others].sort(compareLabels);
}

/**
 * The sorted distinct labels of already-validated arrays when there are at most `limit` of them,
 * else undefined; a few comparisons per row instead of a Set (for binary targets).
 */
export function fewLabels(arrays: readonly LabelArray[], limit: number): Label[] | undefined {
  const found: Label[] = [];
  for (const values of arrays) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Label;
      if (v === found[0] || v === found[1] || (found.length > 2 && found.includes(v))) continue;
      if (found.length === limit) return undefined;
      found.push(v === 0 ? 0 : v); // -0 becomes 0, as in a Set
    }
  }
  return found.sort(compareLabels);
}

/** The sorted union of the labels in all arrays (scikit-learn's `unique_labels`), validating kinds. */
export function uniqueLabels(named: Readonly<Record<string, LabelArray>>): Label[] {
  checkLabelKinds(named);
  return presentLabels(Object.values(named));
}

/** Validates an explicit label list: non-empty, no duplicates, one kind. */
export function checkLabelList(name: string, labels: readonly Label[]): Label[] {
  requireRows(name, labels);
  labelKind(name, labels, undefined);
  if (new Set(labels).size !== labels.length) throw invalidArgument(name, `${name} contains duplicates`);
  return [...labels];
}

/**
 * Maps each row's label to its index in `classes` (-1 when absent). When every class is a small
 * integer code, a typed lookup table replaces the Map (same result: a row matches only an equal number).
 */
export function encode(values: LabelArray, classes: readonly Label[]): Int32Array {
  const codes = new Int32Array(values.length);
  if (classes.every(isSmallCode)) {
    const max = classes.reduce<number>((m, c) => Math.max(m, c as number), -1);
    const table = new Int32Array(max + 1).fill(-1);
    classes.forEach((c, j) => (table[c as number] = j)); // a repeated class keeps its last index, as a Map
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as Label;
      codes[i] = isSmallCode(v) && v <= max ? (table[v] as number) : -1;
    }
    return codes;
  }
  const index = new Map<Label, number>();
  classes.forEach((c, i) => index.set(c, i));
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
  checkLabelKinds({ yTrue });
  // The full label set is only built to report how many classes a non-binary yTrue has.
  const classes = fewLabels([yTrue], 2) ?? presentLabels([yTrue]);
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
