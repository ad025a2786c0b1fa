/**
 * Messages between `WorkerPredictionStore` (main thread) and its worker (prediction-store-worker.ts).
 * Every request carries an id; the worker answers each one exactly once, in the order it took them.
 */
import { isErrorCode, SlipwayError } from '@slipway/contracts';
import type { ErrorDetails, PredictionRecord } from '@slipway/contracts';
import type { PredictionStore } from '../../predictions/prediction-store.js';

/** `workerData` of the worker: the database file its DuckDB store opens. */
export interface SinkWorkerData {
  path: string;
  /** The store's DuckDB memory limit; the store's default when absent. */
  memoryLimit?: string;
}

/**
 * Main thread to worker. `records` travel by structured clone. A large write arrives as `part`
 * messages followed by its `write` (the last slice): the worker stores them as one batch, answered
 * once. `abort` ends a write whose parts could not all be sent; the worker answers it `failed`.
 * `call` runs one of the store's other methods with `args`; the worker answers it `result`.
 */
export type SinkRequest =
  | { type: 'part'; id: number; records: readonly PredictionRecord[] }
  | { type: 'write'; id: number; records: readonly PredictionRecord[] }
  | { type: 'abort'; id: number; error: WireError }
  | { type: 'close'; id: number }
  | StoreCall;

/** The store methods a `call` request runs in the worker. */
export type StoreMethod =
  | 'writeLabels'
  | 'queryPredictions'
  | 'unmatchedLabels'
  | 'aggregate'
  | 'exportWindow'
  | 'deleteBefore'
  | 'importPart';

/** A store method's signature (optional ones included: the worker's DuckDB store has them all). */
export type StoreFunction<M extends StoreMethod> = NonNullable<PredictionStore[M]>;

/** A `call` of one store method, with its arguments (structured clones). */
export type StoreCall = {
  [M in StoreMethod]: { type: 'call'; id: number; method: M; args: Parameters<StoreFunction<M>> };
}[StoreMethod];

/** What a store method resolves to. */
export type StoreResult<M extends StoreMethod> = Awaited<ReturnType<StoreFunction<M>>>;

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  /** A `SlipwayError`'s code and details, so it is rebuilt as one on the other side. */
  code?: string;
  details?: ErrorDetails;
}

/** Worker to main thread: `ready` / `open-failed` once at start, then one answer per request. */
export type SinkResponse =
  | { type: 'ready' }
  | { type: 'open-failed'; error: WireError }
  | { type: 'done'; id: number }
  | { type: 'result'; id: number; value: unknown }
  | { type: 'failed'; id: number; error: WireError };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
      ...(error instanceof SlipwayError ? { code: error.code, details: error.details } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  const error = isErrorCode(wire.code)
    ? new SlipwayError(wire.code, wire.message, wire.details ?? {})
    : new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
