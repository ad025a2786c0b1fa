/**
 * The one interface every model runtime implements (ONNX, baselines, ...): a loaded model predicts
 * batches of rows. Serving, batch scoring and evaluation all call models through it.
 */
import type { ModelContract } from '@slipway/contracts';

/** One input row: column name → value (numbers, strings, booleans, null for missing). */
export type InputRow = Readonly<Record<string, unknown>>;

/** One output row: output name → value (e.g. `{ label: 1, probabilities: [0.2, 0.8] }`). */
export type OutputRow = Record<string, unknown>;

/** A batch of input rows held column-wise: `columns[name][i]` is row i's value of `name`. */
export interface ColumnBatch {
  length: number;
  columns: Readonly<Record<string, ArrayLike<unknown>>>;
}

/**
 * One output held column-wise. `width` 0: one value per row; `width` k: k values per row,
 * row-major (e.g. probabilities as a flat Float32Array with width 2).
 */
export interface ColumnOutput {
  values: ArrayLike<unknown>;
  width: number;
}

/** Output name → its column, in the model's output order. */
export type ColumnOutputs = Record<string, ColumnOutput>;

/** A model ready to predict. */
export interface LoadedModel {
  /** What the model expects and returns, when known. */
  readonly contract?: ModelContract;
  /** Predicts one output row per input row, in order. */
  predict(rows: readonly InputRow[]): Promise<OutputRow[]>;
  /**
   * Optional fast path: the same predictions as `predict` on the same rows, taking and returning
   * columns so no per-row objects are built. Callers validate values against the contract first;
   * a value the model still refuses throws exactly as `predict` would on those rows.
   */
  predictColumns?(batch: ColumnBatch): Promise<ColumnOutputs>;
  /** Releases native resources (sessions, database handles). */
  close(): Promise<void>;
}
