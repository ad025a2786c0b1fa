/**
 * A prediction store that runs the DuckDB store in a `worker_threads` Worker, so the serving
 * process's main thread spends nothing on the prediction log but handing each batch over
 * (`postMessage`, a structured clone of the records). JSON serialisation of inputs and outputs,
 * the appender calls and the transaction all happen in the worker (prediction-store-worker.ts).
 * The other methods (labels, queries, aggregates, retention) are `call` requests answered with
 * their result; they are posted through the same ordered outbox as writes and the worker's store
 * runs its operations in arrival order, so a read sees every write called before it.
 *
 * Durability rule (unchanged from `DuckDbPredictionStore`): `write()` resolves only once the
 * worker reports that its store's write resolved, i.e. the batch is committed to DuckDB's
 * write-ahead log. A rejection means none of the batch may be assumed stored; that includes
 * every write pending when the worker dies (one of them may have been committed just before:
 * a retry then stores it twice, never loses it).
 *
 * Failure: an error of one request rejects that request only (a `SlipwayError` arrives as one).
 * A worker that crashes (uncaught error, unexpected exit) rejects every pending request and every
 * later one; `close()` then only reaps it.
 *
 * The worker entry: by default `prediction-store-worker.js` next to this module, i.e. the compiled
 * file in `dist`. Node cannot run the TypeScript source in a worker by itself, so tests that run
 * the source pass `workerUrl` (a bootstrap that registers a TypeScript loader first).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type {
  AggregateBucket,
  AggregateRequest,
  LabelRecord,
  LabelWriteResult,
  PredictionPage,
  PredictionPageRequest,
  PredictionRecord,
  UnmatchedLabelPage,
} from '@slipway/contracts';
import type {
  ExportRequest,
  PredictionPartImport,
  PredictionStore,
  UnmatchedLabelRequest,
} from '../../predictions/prediction-store.js';
import { fromWireError, toWireError } from './worker-protocol.js';
import type {
  SinkRequest,
  SinkResponse,
  SinkWorkerData,
  StoreCall,
  StoreFunction,
  StoreMethod,
  StoreResult,
} from './worker-protocol.js';

/** The compiled worker entry beside this module (absent when this module runs from TypeScript source). */
const DEFAULT_WORKER_URL = new URL('./prediction-store-worker.js', import.meta.url);

/** Most records one message carries; about a third of a millisecond of structured cloning. */
const WRITE_SLICE = 256;

/** Options of `WorkerPredictionStore.open`. */
export interface WorkerPredictionStoreOptions {
  /** The worker's entry module; the compiled `prediction-store-worker.js` beside this one unless given. */
  workerUrl?: URL;
  /** The store's DuckDB memory limit (see `DuckDbPredictionStoreOptions`). */
  memoryLimit?: string;
}

interface Pending {
  /** Takes the worker's `result` value (`undefined` for `done`). */
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** Stores predictions through a DuckDB store in a worker thread; open one with `WorkerPredictionStore.open`. */
export class WorkerPredictionStore implements PredictionStore {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** Resolves once every request so far has been posted whole (see `enqueue`). */
  private outbox: Promise<void> = Promise.resolve();
  /** Set once the worker is gone or going: later writes reject with it. */
  private unusable: Error | undefined;
  private closing: Promise<void> | undefined;
  /** Set when the worker died: requests still waiting to be posted are refused with it. */
  private crashed: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: SinkResponse) => this.onMessage(message));
    worker.on('error', (error) =>
      this.die(new Error(`The prediction store worker crashed: ${error.message}`)),
    );
    worker.on('messageerror', (error) =>
      this.die(new Error(`The prediction store worker sent an unreadable message: ${error.message}`)),
    );
    worker.on('exit', (code) => this.die(new Error(`The prediction store worker exited (code ${code})`)));
    // An idle worker must not keep the process alive (like the timers of PredictionQueue); it is
    // referenced only while a request is outstanding.
    worker.unref();
  }

  /** Whether `open` can start the default worker entry: true in the compiled build, false from source. */
  static defaultWorkerAvailable(): boolean {
    return existsSync(fileURLToPath(DEFAULT_WORKER_URL));
  }

  /** Starts a worker that opens (creating if missing) the database at `path`; `:memory:` for tests. */
  static async open(
    path: string,
    options: WorkerPredictionStoreOptions = {},
  ): Promise<WorkerPredictionStore> {
    const workerData: SinkWorkerData = {
      path,
      ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
    };
    const worker = new Worker(options.workerUrl ?? DEFAULT_WORKER_URL, { workerData });
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (error?: Error): void => {
          worker.off('message', onMessage).off('error', onError).off('exit', onExit);
          if (error) reject(error);
          else resolve();
        };
        const onMessage = (message: SinkResponse): void => {
          if (message.type === 'ready') done();
          else if (message.type === 'open-failed') done(fromWireError(message.error));
        };
        const onError = (error: Error): void => done(error);
        const onExit = (code: number): void =>
          done(new Error(`The prediction store worker exited (code ${code}) before it was ready`));
        worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      });
    } catch (error) {
      await worker.terminate();
      throw error;
    }
    return new WorkerPredictionStore(worker);
  }

  /** Hands `records` to the worker; resolves once it committed them (durable), rejects with nothing stored. */
  write(records: readonly PredictionRecord[]): Promise<void> {
    if (this.unusable) return Promise.reject(this.unusable);
    if (records.length === 0) return Promise.resolve();
    return this.enqueue<void>((id, settle) => this.postSliced(id, records, settle));
  }

  writeLabels(labels: readonly LabelRecord[]): Promise<LabelWriteResult> {
    return this.call('writeLabels', [labels]);
  }

  queryPredictions(request: PredictionPageRequest): Promise<PredictionPage> {
    return this.call('queryPredictions', [request]);
  }

  unmatchedLabels(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage> {
    return this.call('unmatchedLabels', [request]);
  }

  aggregate(request: AggregateRequest): Promise<AggregateBucket[]> {
    return this.call('aggregate', [request]);
  }

  deleteBefore(before: number): Promise<number> {
    return this.call('deleteBefore', [before]);
  }

  /** The worker's store reads the part file itself: only its path and constants are posted. */
  importPart(part: PredictionPartImport): Promise<void> {
    return this.call('importPart', [part]);
  }

  exportWindow(request: ExportRequest): Promise<{ rows: number }> {
    return this.call('exportWindow', [request]);
  }

  /** Closes the worker's store after the requests under way (it checkpoints), then ends the worker. */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    const crashed = this.unusable !== undefined;
    // Writes from now on are refused here; those already posted are answered before the close.
    this.unusable ??= new Error('The prediction store is closed');
    try {
      if (!crashed) await this.request<void>((id) => ({ type: 'close', id }));
    } finally {
      await this.worker.terminate();
    }
  }

  private request<T>(build: (id: number) => SinkRequest): Promise<T> {
    return this.enqueue<T>((id, settle) => {
      this.post(build(id), settle);
    });
  }

  /** Runs store method `method` in the worker, after every request before it; resolves with its result. */
  private call<M extends StoreMethod>(
    method: M,
    args: Parameters<StoreFunction<M>>,
  ): Promise<StoreResult<M>> {
    if (this.unusable) return Promise.reject(this.unusable);
    return this.request<StoreResult<M>>((id) => ({ type: 'call', id, method, args }) as StoreCall);
  }

  /**
   * Registers an answer for a new request id and runs `send` after every earlier request has been
   * posted whole, so a write sent in slices is never interleaved with the next request.
   */
  private enqueue<T>(send: (id: number, settle: Pending) => Promise<void> | void): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const settle: Pending = { resolve: (value) => resolve(value as T), reject };
      this.outbox = this.outbox
        .then(async () => {
          // A worker that died while this waited its turn answers nothing more.
          if (this.crashed !== undefined) throw this.crashed;
          if (this.pending.size === 0) this.worker.ref();
          this.pending.set(id, settle);
          await send(id, settle);
        })
        .catch((error: unknown) => {
          this.forgetRequest(id);
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    });
  }

  /** Posts one message; a message that cannot be cloned (DataCloneError) rejects its request. */
  private post(message: SinkRequest, settle: Pending): boolean {
    try {
      this.worker.postMessage(message);
      return true;
    } catch (error) {
      this.forgetRequest(message.id);
      settle.reject(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
  }

  /**
   * Posts `records` in slices of `WRITE_SLICE` records, yielding to the event loop between them:
   * cloning a whole batch at once would stall every request being served for milliseconds.
   */
  private async postSliced(id: number, records: readonly PredictionRecord[], settle: Pending): Promise<void> {
    let at = 0;
    while (records.length - at > WRITE_SLICE) {
      const slice = records.slice(at, at + WRITE_SLICE);
      try {
        this.worker.postMessage({ type: 'part', id, records: slice } satisfies SinkRequest);
      } catch (error) {
        // The parts already sent are dropped by the worker, which answers the abort `failed`.
        this.post({ type: 'abort', id, error: toWireError(error) }, settle);
        return;
      }
      at += WRITE_SLICE;
      await new Promise<void>((resolve) => setImmediate(resolve));
      // Answered already: the worker died meanwhile.
      if (!this.pending.has(id)) return;
    }
    this.post({ type: 'write', id, records: at === 0 ? records : records.slice(at) }, settle);
  }

  private forgetRequest(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private onMessage(message: SinkResponse): void {
    if (message.type !== 'done' && message.type !== 'result' && message.type !== 'failed') return;
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker.unref();
    if (message.type === 'done') waiter.resolve(undefined);
    else if (message.type === 'result') waiter.resolve(message.value);
    else waiter.reject(fromWireError(message.error));
  }

  /** The worker is gone: nothing pending will be answered, and nothing later can be written. */
  private die(error: Error): void {
    if (!this.unusable) this.unusable = error;
    this.crashed ??= error;
    const waiters = [...this.pending.values()];
    this.pending.clear();
    for (const waiter of waiters) waiter.reject(error);
  }
}
