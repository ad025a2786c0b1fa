/**
 * The prediction sink port: where served predictions go once they leave the request path. The
 * serving path never awaits a sink; it hands records to a bounded queue (prediction-queue.ts)
 * that flushes them in batches.
 */
import type { PredictionRecord } from '@slipway/contracts';

/** Persists batches of predictions (embedded DuckDB by default; see storage/predictions). */
export interface PredictionSink {
  /** Durably appends a batch; a rejection means none of the batch may be assumed stored. */
  write(records: readonly PredictionRecord[]): Promise<void>;
  /** Flushes and releases resources. */
  close(): Promise<void>;
}
