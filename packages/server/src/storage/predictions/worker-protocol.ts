/**
 * Messages between `WorkerPredictionSink` (main thread) and its worker (prediction-sink-worker.ts).
 * Every request carries an id; the worker answers each one exactly once, in the order it took them.
 */
import type { PredictionRecord } from '@slipway/contracts';

/** `workerData` of the worker: the database file its DuckDB sink opens. */
export interface SinkWorkerData {
  path: string;
}

/**
 * Main thread to worker. `records` travel by structured clone. A large write arrives as `part`
 * messages followed by its `write` (the last slice): the worker stores them as one batch, answered
 * once. `abort` ends a write whose parts could not all be sent; the worker answers it `failed`.
 */
export type SinkRequest =
  | { type: 'part'; id: number; records: readonly PredictionRecord[] }
  | { type: 'write'; id: number; records: readonly PredictionRecord[] }
  | { type: 'abort'; id: number; error: WireError }
  | { type: 'close'; id: number };

/** An error as it crosses the thread boundary. */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Worker to main thread: `ready` / `open-failed` once at start, then one answer per request. */
export type SinkResponse =
  | { type: 'ready' }
  | { type: 'open-failed'; error: WireError }
  | { type: 'done'; id: number }
  | { type: 'failed'; id: number; error: WireError };

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message,
      ...(error.stack === undefined ? {} : { stack: error.stack }),
    };
  }
  return { name: 'Error', message: String(error) };
}

export function fromWireError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}
