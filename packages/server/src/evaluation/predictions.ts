/**
 * Turns a labelled dataset and models' output rows into typed arrays, once: truth codes or values,
 * predicted codes, probability matrices and scores. Everything downstream (metrics, slices, bootstrap)
 * reads these arrays by row index and never touches the rows again.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../runtimes/runtime.js';
import { isClassValue, type ClassIndex } from './classes.js';
import type { ClassValue, EvaluatedModel } from './evaluation-types.js';

/** Rows per predict call unless the caller picks another size. */
export const DEFAULT_BATCH_SIZE = 10_000;

/** The label column read as numbers (regression). */
export function numericTruth(rows: readonly InputRow[], labelColumn: string): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = labelAt(rows, i, labelColumn);
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw invalidArgument(
        `rows[${i}].${labelColumn}`,
        `rows[${i}].${labelColumn} is ${String(v)}, not a finite number`,
      );
    }
    out[i] = v;
  }
  return out;
}

/** The label column read as class codes in `index` (classification). */
export function classTruth(rows: readonly InputRow[], labelColumn: string, index: ClassIndex): Int32Array {
  const out = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = labelAt(rows, i, labelColumn);
    if (!isClassValue(v)) {
      throw invalidArgument(
        `rows[${i}].${labelColumn}`,
        `rows[${i}].${labelColumn} is ${String(v)}, not a class label`,
      );
    }
    out[i] = index.code(v);
  }
  return out;
}

/** The label column read as graded relevance (ranking): finite numbers ≥ 0. */
export function relevanceTruth(rows: readonly InputRow[], labelColumn: string): Float64Array {
  const out = numericTruth(rows, labelColumn);
  for (let i = 0; i < out.length; i++) {
    if (!((out[i] as number) >= 0)) {
      throw invalidArgument(
        `rows[${i}].${labelColumn}`,
        `rows[${i}].${labelColumn} is ${out[i]}; relevance labels must be ≥ 0`,
      );
    }
  }
  return out;
}

/** Row → query code, codes numbered by first appearance; `count` distinct queries. */
export interface QueryCodes {
  codes: Int32Array;
  count: number;
}

/**
 * The query column as codes (ranking). Ids are strings or finite numbers, identified by their string
 * form as class labels are (`1` and `"1"` are one query); a row without one is refused by name.
 */
export function queryCodes(rows: readonly InputRow[], queryColumn: string): QueryCodes {
  const codes = new Int32Array(rows.length);
  const ids = new Map<string, number>();
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as InputRow)[queryColumn];
    const field = `rows[${i}].${queryColumn}`;
    if (v === undefined || v === null || v === '') {
      throw invalidArgument(field, `rows[${i}] has no value in query column '${queryColumn}'`);
    }
    if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) {
      throw invalidArgument(field, `${field} is ${String(v)}; query ids must be strings or finite numbers`);
    }
    const key = String(v);
    let code = ids.get(key);
    if (code === undefined) ids.set(key, (code = ids.size));
    codes[i] = code;
  }
  return { codes, count: ids.size };
}

/** Row i's label, refusing rows that lack the column (the first such row is the one named). */
function labelAt(rows: readonly InputRow[], i: number, labelColumn: string): unknown {
  const v = (rows[i] as InputRow)[labelColumn];
  if (v === undefined || v === null) {
    throw invalidArgument(
      `rows[${i}].${labelColumn}`,
      `rows[${i}] has no value in label column '${labelColumn}'`,
    );
  }
  return v;
}

/** Calls `model.predict` batch by batch and hands each output row to `take` with its row index. */
export async function predictInBatches(
  entry: EvaluatedModel,
  rows: readonly InputRow[],
  batchSize: number,
  take: (output: OutputRow, row: number) => void,
): Promise<void> {
  for (let start = 0; start < rows.length; start += batchSize) {
    const batch = rows.slice(start, start + batchSize);
    const outputs = await (entry.model as LoadedModel).predict(batch);
    if (outputs.length !== batch.length) {
      throw invalidArgument(
        `models.${entry.id}`,
        `model '${entry.id}' returned ${outputs.length} outputs for ${batch.length} rows`,
      );
    }
    outputs.forEach((output, j) => take(output, start + j));
  }
}

/** Regression predictions: one finite number per row from `field`. */
export async function numericPredictions(
  entry: EvaluatedModel,
  rows: readonly InputRow[],
  field: string,
  batchSize: number,
): Promise<Float64Array> {
  const out = new Float64Array(rows.length);
  await predictInBatches(entry, rows, batchSize, (output, i) => {
    out[i] = finiteOutput(entry.id, output, field, i);
  });
  return out;
}

/**
 * A ranker's scores: one finite number per row from `field` when given; otherwise from `score`, or
 * `prediction` when the model's first output row has no `score` but a `prediction` (regression-style
 * rankers and rules baselines). Returns the field read, which every row must then carry.
 */
export async function rankingScores(
  entry: EvaluatedModel,
  rows: readonly InputRow[],
  field: string | undefined,
  batchSize: number,
): Promise<{ scores: Float64Array; field: string }> {
  const out = new Float64Array(rows.length);
  let read = field ?? 'score';
  await predictInBatches(entry, rows, batchSize, (output, i) => {
    if (i === 0 && field === undefined && absent(output.score) && !absent(output.prediction)) {
      read = 'prediction';
    }
    out[i] = finiteOutput(entry.id, output, read, i);
  });
  return { scores: out, field: read };
}

function absent(v: unknown): boolean {
  return v === undefined || v === null;
}

/** A finite number from an output field, or an error naming the model, field and row. */
function finiteOutput(model: string, output: OutputRow, field: string, row: number): number {
  const v = output[field];
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw invalidArgument(
      `models.${model}.${field}`,
      `model '${model}' returned ${field} = ${String(v)} at row ${row}`,
    );
  }
  return v;
}

/** A classifier's outputs as first-seen class codes; probability columns per code, created lazily. */
export interface RawClassPredictions {
  labels: Int32Array;
  /** Column per first-seen class code (undefined for classes the model never gave a probability). */
  columns?: (Float64Array | undefined)[];
  /** Binary ranking scores from `scoreField`, when there are no probabilities. */
  scores?: Float64Array;
}

/** What a classifier's outputs are read with. */
export interface ClassReadOptions {
  labelField: string;
  scoreField: string;
  index: ClassIndex;
  /** The label column's classes, sorted: the column order of array-shaped probabilities. */
  datasetClasses: readonly ClassValue[];
  batchSize: number;
}

/** Read options plus what is fixed for the whole read, computed once instead of per row. */
interface ReadContext extends ClassReadOptions {
  model: string;
  /** `models.<id>.probabilities`, the field named by probability errors. */
  probabilityField: string;
  /** The code in `index` of each sorted dataset class: the class of each array position. */
  datasetCodes: Int32Array;
  /** The previous map row's keys and their codes, by position. */
  lastKeys: string[];
  lastCodes: number[];
  /** Codes of predicted labels by value, skipping the index's per-row String() of numeric labels. */
  labelCodes: Map<ClassValue, number>;
}

/** Reads a classifier's outputs; the first output row decides whether probabilities / scores are expected. */
export async function classPredictions(
  entry: EvaluatedModel,
  rows: readonly InputRow[],
  options: ClassReadOptions,
): Promise<RawClassPredictions> {
  const n = rows.length;
  const raw: RawClassPredictions = { labels: new Int32Array(n) };
  const context: ReadContext = {
    ...options,
    model: entry.id,
    probabilityField: `models.${entry.id}.probabilities`,
    datasetCodes: Int32Array.from(options.datasetClasses, (c) => options.index.code(c)),
    lastKeys: [],
    lastCodes: [],
    labelCodes: new Map(),
  };
  await predictInBatches(entry, rows, options.batchSize, (output, i) => {
    if (i === 0) shapeFromFirstRow(raw, output, options.scoreField, n);
    readClassRow(output, i, raw, context);
  });
  return raw;
}

/** Fixes which optional outputs every row must carry, from row 0. */
function shapeFromFirstRow(raw: RawClassPredictions, output: OutputRow, scoreField: string, n: number): void {
  if (output.probabilities !== undefined && output.probabilities !== null) raw.columns = [];
  else if (output[scoreField] !== undefined && output[scoreField] !== null) raw.scores = new Float64Array(n);
}

/** Reads one output row into `raw`. */
function readClassRow(output: OutputRow, i: number, raw: RawClassPredictions, o: ReadContext): void {
  let argmax: ClassValue | undefined;
  if (raw.columns !== undefined) argmax = readProbabilities(output.probabilities, i, raw, o);
  if (raw.scores !== undefined) raw.scores[i] = finiteOutput(o.model, output, o.scoreField, i);
  const label = output[o.labelField];
  const value = isClassValue(label) ? label : argmax;
  if (value === undefined) {
    throw invalidArgument(
      `models.${o.model}.${o.labelField}`,
      `model '${o.model}' returned ${o.labelField} = ${String(label)} at row ${i} and no probabilities`,
    );
  }
  let code = o.labelCodes.get(value);
  if (code === undefined) o.labelCodes.set(value, (code = o.index.code(value)));
  raw.labels[i] = code;
}

/**
 * Stores one row's probabilities (map class → p, or array in sorted label order) and returns the
 * argmax class (the first of equal maxima, in the map's key order or the array's order). Walks the
 * value in place: no per-row entry arrays.
 */
function readProbabilities(value: unknown, i: number, raw: RawClassPredictions, o: ReadContext): ClassValue {
  let best: ClassValue | undefined;
  let bestP = -Infinity;
  let sum = 0;
  if (Array.isArray(value)) {
    if (value.length !== o.datasetClasses.length) {
      throw invalidArgument(
        o.probabilityField,
        `model '${o.model}' returned ${value.length} probabilities at row ${i}; the label column has ${o.datasetClasses.length} classes`,
      );
    }
    for (let j = 0; j < value.length; j++) {
      const cls = o.datasetClasses[j] as ClassValue;
      const p = storeProbability(value[j], cls, o.datasetCodes[j] as number, i, raw, o);
      sum += p;
      if (p > bestP) {
        best = cls;
        bestP = p;
      }
    }
  } else if (value !== null && typeof value === 'object') {
    const map = value as Record<string, unknown>;
    // Object.entries' keys and order, without its per-class pair arrays (for-in is no faster: V8
    // collects integer-like keys such as "0", "1" into a fresh array for it too).
    const keys = Object.keys(map);
    for (let j = 0; j < keys.length; j++) {
      const cls = keys[j] as string;
      const p = storeProbability(map[cls], cls, keyCode(o, j, cls), i, raw, o);
      sum += p;
      if (p > bestP) {
        best = cls;
        bestP = p;
      }
    }
  } else {
    throw invalidArgument(o.probabilityField, `model '${o.model}' returned no probabilities at row ${i}`);
  }
  // numpy.allclose's tolerance, as the stats functions use; caught here so the error names the model.
  if (Math.abs(1 - sum) > 1e-8 + 1e-5 * sum) {
    throw invalidArgument(
      o.probabilityField,
      `model '${o.model}' returned probabilities summing to ${sum} at row ${i}`,
    );
  }
  if (best === undefined)
    throw invalidArgument(o.probabilityField, `model '${o.model}' returned no probabilities at row ${i}`);
  return best;
}

/** The class code of the j-th key of a probability map; rows nearly always repeat the previous row's keys. */
function keyCode(o: ReadContext, j: number, key: string): number {
  if (o.lastKeys[j] === key) return o.lastCodes[j] as number;
  const code = o.index.code(key);
  o.lastKeys[j] = key;
  o.lastCodes[j] = code;
  return code;
}

/** Checks one probability and stores it in its class's column (created on first use); returns it. */
function storeProbability(
  p: unknown,
  cls: ClassValue,
  code: number,
  i: number,
  raw: RawClassPredictions,
  o: ReadContext,
): number {
  if (typeof p !== 'number' || !Number.isFinite(p) || p < 0 || p > 1) {
    throw invalidArgument(
      o.probabilityField,
      `model '${o.model}' returned probability ${String(p)} for class ${String(cls)} at row ${i}`,
    );
  }
  const columns = raw.columns as (Float64Array | undefined)[];
  const column = columns[code] ?? (columns[code] = new Float64Array(raw.labels.length));
  column[i] = p;
  return p;
}

/** A classifier's predictions in sorted class codes, ready for the metrics. */
export interface ClassPredictions {
  labels: Int32Array;
  /** Row-major n × k, columns in sorted class order. */
  probabilities?: Float64Array;
  /** Binary: the positive class's probability, or the model's score. */
  scores?: Float64Array;
  /** Binary: whether `scores` are probabilities (log loss and Brier need them). */
  scoresAreProbabilities: boolean;
}

/** Remaps first-seen codes to sorted codes and assembles the probability matrix. */
export function finishClassPredictions(
  raw: RawClassPredictions,
  remap: Int32Array,
  positive: number | undefined,
): ClassPredictions {
  const n = raw.labels.length;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = remap[raw.labels[i] as number] as number;
  if (raw.columns === undefined) return { labels, scores: raw.scores, scoresAreProbabilities: false };
  const k = remap.length;
  const probabilities = new Float64Array(n * k);
  raw.columns.forEach((column, oldCode) => {
    if (column === undefined) return;
    const j = remap[oldCode] as number;
    for (let i = 0; i < n; i++) probabilities[i * k + j] = column[i] as number;
  });
  const scores = positive === undefined ? undefined : probabilityColumn(probabilities, n, k, positive);
  return { labels, probabilities, scores, scoresAreProbabilities: scores !== undefined };
}

/** The first row holding each class of the label column that a model gave no probability column. */
export function classesWithoutProbability(raw: RawClassPredictions, truth: Int32Array): Map<number, number> {
  const missing = new Map<number, number>();
  if (raw.columns === undefined) return missing;
  for (let i = 0; i < truth.length; i++) {
    const c = truth[i] as number;
    if (raw.columns[c] === undefined && !missing.has(c)) missing.set(c, i);
  }
  return missing;
}

/** Column j of a row-major n × k matrix. */
function probabilityColumn(matrix: Float64Array, n: number, k: number, j: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = matrix[i * k + j] as number;
  return out;
}
