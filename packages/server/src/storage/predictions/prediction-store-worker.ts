/**
 * Worker-thread entry of `WorkerPredictionStore`: runs a `DuckDbPredictionStore` (JSON serialisation,
 * appender calls and queries included) off the serving process's main thread. It opens the
 * database named in `workerData`, reports `ready` (or `open-failed`), then answers each write with
 * `done` once the store's write resolved, i.e. once the batch is committed and durable, each
 * `call` with `result` (the method's resolved value), or either with `failed`. `close` closes the
 * store (after the requests before it) and the port, which ends the worker.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { DuckDbPredictionStore } from './duckdb-prediction-store.js';
import type { PredictionRecord } from '@slipway/contracts';
import { fromWireError, toWireError } from './worker-protocol.js';
import type { SinkRequest, SinkResponse, SinkWorkerData, StoreCall } from './worker-protocol.js';

async function main(port: MessagePort, { path, memoryLimit }: SinkWorkerData): Promise<void> {
  const send = (message: SinkResponse): void => port.postMessage(message);
  let store: DuckDbPredictionStore;
  try {
    store = await DuckDbPredictionStore.open(path, memoryLimit === undefined ? {} : { memoryLimit });
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
    if (request.type === 'call') {
      const fail = (error: unknown): void =>
        send({ type: 'failed', id: request.id, error: toWireError(error) });
      call(store, request).then((value) => {
        try {
          send({ type: 'result', id: request.id, value });
        } catch (error) {
          fail(error);
        }
      }, fail);
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
    // The store serialises its operations (and closes after them), so requests are passed on as they come.
    const held = parts.get(request.id);
    parts.delete(request.id);
    if (request.type === 'write') {
      answer(store.write(held === undefined ? request.records : held.concat(request.records)));
    } else if (request.type === 'abort') {
      answer(Promise.reject(fromWireError(request.error)));
    } else {
      answer(store.close(), () => port.close());
    }
  });
  send({ type: 'ready' });
}

/** Runs the store method a `call` names (the store orders it after every request before it). */
function call(store: DuckDbPredictionStore, request: StoreCall): Promise<unknown> {
  switch (request.method) {
    case 'writeLabels':
      return store.writeLabels(...request.args);
    case 'queryPredictions':
      return store.queryPredictions(...request.args);
    case 'unmatchedLabels':
      return store.unmatchedLabels(...request.args);
    case 'aggregate':
      return store.aggregate(...request.args);
    case 'exportWindow':
      return store.exportWindow(...request.args);
    case 'deleteBefore':
      return store.deleteBefore(...request.args);
    case 'importPart':
      return store.importPart(...request.args);
  }
}

if (!parentPort) throw new Error('prediction-store-worker must run in a worker thread');
await main(parentPort, workerData as SinkWorkerData);
