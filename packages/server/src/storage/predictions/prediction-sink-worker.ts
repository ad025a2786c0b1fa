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
import { toWireError } from './worker-protocol.js';
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
  port.on('message', (request: SinkRequest) => {
    const answer = (settled: Promise<void>, then?: () => void): void => {
      settled
        .then(
          () => send({ type: 'done', id: request.id }),
          (error: unknown) => send({ type: 'failed', id: request.id, error: toWireError(error) }),
        )
        .finally(then);
    };
    // The sink serialises its writes (and closes after them), so requests are passed on as they come.
    if (request.type === 'write') answer(sink.write(request.records));
    else answer(sink.close(), () => port.close());
  });
  send({ type: 'ready' });
}

if (!parentPort) throw new Error('prediction-sink-worker must run in a worker thread');
await main(parentPort, workerData as SinkWorkerData);
