/**
 * Worker-thread entry of `WorkerPredictionSink`: runs a `DuckDbPredictionSink` (JSON serialisation
 * and appender calls included) off the serving process's main thread. It opens the database named
 * in `workerData`, reports `ready` (or `open-failed`), then answers each request with `done` once
 * the sink's write resolved, i.e. once the batch is committed and durable, or `failed`. `close`
 * closes the sink (after the writes before it) and the port, which ends the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { DuckDbPredictionSink } from './duckdb-prediction-sink.js';
import type { PredictionRecord } from '@slipway/contracts';
import { fromWireError, toWireError } from './worker-protocol.js';
import type { SinkRequest, SinkResponse, SinkWorkerData } from './worker-protocol.js';

async function main(port: MessagePort, { path }: SinkWorkerData): Promise<void> {
  const send = (message: SinkResponse): void => port.postMessage(message);
  let sink: DuckDbPredictionSink;
  try {
    sink = await DuckDbPredictionSink.open(path);
  } catch (error) {
    send({ type: 'open-failed', error: toWireError(error) });
    port.close();
    return;
  }
  /** Parts of writes still arriving, by request id. */
  const parts = new Map<number, PredictionRecord[]>();
  port.on('message', (request: SinkRequest) => {
    if (request.type === 'part') {
      const held = parts.get(request.id) ?? [];
      for (const record of request.records) held.push(record);
      parts.set(request.id, held);
      return;
    }
    const answer = (settled: Promise<void>, then?: () => void): void => {
      settled
        .then(
          () => send({ type: 'done', id: request.id }),
          (error: unknown) => send({ type: 'failed', id: request.id, error: toWireError(error) }),
        )
        .finally(then);
    };
    // The sink serialises its writes (and closes after them), so requests are passed on as they come.
    const held = parts.get(request.id);
    parts.delete(request.id);
    if (request.type === 'write') {
      answer(sink.write(held === undefined ? request.records : held.concat(request.records)));
    } else if (request.type === 'abort') {
      answer(Promise.reject(fromWireError(request.error)));
    } else {
      answer(sink.close(), () => port.close());
    }
  });
  send({ type: 'ready' });
}

if (!parentPort) throw new Error('prediction-sink-worker must run in a worker thread');
await main(parentPort, workerData as SinkWorkerData);
