/**
 * The one interface every model runtime implements (ONNX, baselines, ...): a loaded model predicts
 * batches of rows. Serving, batch scoring and evaluation all call models through it.
 */
import type { ModelContract } from '@slipway/contracts';

/** One input row: column name → value (numbers, strings, booleans, null for missing). */
export type InputRow = Readonly<Record<string, unknown>>;

/** One output row: output name → value (e.g. `{ label: 1, probabilities: [0.2, 0.8] }`). */
export type OutputRow = Record<string, unknown>;

/** A model ready to predict. */
export interface LoadedModel {
  /** What the model expects and returns, when known. */
  readonly contract?: ModelContract;
  /** Predicts one output row per input row, in order. */
  predict(rows: readonly InputRow[]): Promise<OutputRow[]>;
  /** Releases native resources (sessions, database handles). */
  close(): Promise<void>;
}
