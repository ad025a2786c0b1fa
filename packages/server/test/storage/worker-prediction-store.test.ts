import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionQueue } from '../../src/serving/prediction-queue.js';
import { WorkerPredictionStore } from '../../src/storage/predictions/worker-prediction-store.js';
import { SlipwayError } from '@slipway/contracts';
import { label, predictionSinkContract, query, record } from './prediction-sink.contract.js';
import { predictionStoreContract } from './prediction-store.contract.js';

/** The real worker, run from the TypeScript source through a loader (see fixtures/ts-worker.mjs). */
const WORKER = new URL('./fixtures/ts-worker.mjs', import.meta.url);
/** A protocol-speaking stand-in that dies on request (see fixtures/crashing-worker.mjs). */
const CRASHING_WORKER = new URL('./fixtures/crashing-worker.mjs', import.meta.url);

const open = (path: string): Promise<WorkerPredictionStore> =>
  WorkerPredictionStore.open(path, { workerUrl: WORKER });

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-worker-predictions-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

predictionSinkContract('WorkerPredictionStore', open, () => dir);
predictionStoreContract('WorkerPredictionStore', () => open(':memory:'), { timeoutMs: 20_000 });

describe('WorkerPredictionStore', () => {
  it('refuses a batch it cannot clone before posting it, reports the worker side error, closes twice', async () => {
    const path = join(dir, 'worker-failures.duckdb');
    const sink = await open(path);
    await sink.write([record(0)]);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    // Cloned to the worker fine; its JSON serialisation fails there.
    await expect(sink.write([record(1), record(2, { input: circular })])).rejects.toThrow(/circular/i);
    // Cannot be cloned at all: refused on this side, before anything is posted.
    await expect(sink.write([record(4, { input: { fn: () => 1 } })])).rejects.toThrow();
    await sink.write([record(5)]);
    await sink.close();
    await sink.close(); // idempotent
    const rows = await query(path, 'SELECT prediction_id FROM predictions ORDER BY ts');
    expect(rows.map((row) => row.prediction_id)).toEqual(['p-0', 'p-5']);
  });

  it('sends a large batch in slices and stores it whole, or nothing of it when a late slice cannot be cloned', async () => {
    const path = join(dir, 'worker-slices.duckdb');
    const sink = await open(path);
    const batch = Array.from({ length: 1000 }, (_, i) => record(i));
    const poisoned = batch.map((r, i) => (i === 700 ? record(i, { input: { fn: () => 1 } }) : r));
    // Slices 0-1 are posted before slice 2 fails to clone: the worker must drop them.
    await expect(
      sink.write(poisoned.map((r) => ({ ...r, predictionId: `x-${r.predictionId}` }))),
    ).rejects.toThrow();
    const together = Promise.all([sink.write(batch), sink.write([record(1000)])]);
    await together;
    await sink.close();
    const rows = await query(path, 'SELECT prediction_id FROM predictions');
    expect(rows).toHaveLength(1001);
    expect(rows.some((row) => String(row.prediction_id).startsWith('x-'))).toBe(false);
  });

  it('answers calls in order with writes, carrying a SlipwayError across as one', async () => {
    const sink = await open(join(dir, 'worker-calls.duckdb'));
    const big = Array.from({ length: 600 }, (_, i) => record(i));
    // A sliced write, then reads and label writes posted before it was answered.
    const write = sink.write(big);
    const labels = sink.writeLabels([label(599), label(5000)]);
    const page = sink.queryPredictions({ endpoint: 'bikes', limit: 1 });
    const bad = sink.queryPredictions({ endpoint: 'bikes', limit: 0 }).catch((e: unknown) => e);
    await write;
    expect(await labels).toEqual({ stored: 2, matched: 1, unmatched: 1 });
    expect((await page).predictions).toMatchObject([{ predictionId: 'p-599', label: { labelId: 'l-599' } }]);
    const error = await bad;
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field: 'limit' } });
    expect(await sink.aggregate({ endpoint: 'bikes', from: 0, to: 2e12, bucketMs: 1e12 })).toMatchObject([
      { start: 1e12, count: 600, labelled: 1 },
    ]);
    expect(await sink.deleteBefore(2e12)).toBe(600);
    await sink.close();
    await expect(sink.deleteBefore(0)).rejects.toThrow(/closed/);
  });

  it('rejects open when the worker cannot open the database', async () => {
    await expect(open(join(dir, 'missing-dir', 'nested', 'x.duckdb'))).rejects.toThrow();
  });

  describe('when the worker crashes', () => {
    it.each([
      ['throws an uncaught error', 'throw', /crashed: boom in the worker/],
      ['exits', 'exit', /exited \(code 3\)/],
    ])('rejects pending and later writes when it %s', async (_what, how, message) => {
      const sink = await WorkerPredictionStore.open(':memory:', { workerUrl: CRASHING_WORKER });
      await sink.write([record(0)]);
      const fatal = sink.write([record(1, { predictionId: how })]);
      const queued = sink.write([record(2)]);
      await expect(fatal).rejects.toThrow(message);
      // The stand-in acknowledges at once, so the second write was answered before the crash.
      await queued;
      await expect(sink.write([record(3)])).rejects.toThrow(message);
      await sink.close();
      await expect(sink.write([record(4)])).rejects.toThrow(message);
    });

    it('rejects a write that was pending when the worker died', async () => {
      const sink = await WorkerPredictionStore.open(':memory:', { workerUrl: CRASHING_WORKER });
      // Both records in one batch: the worker dies before answering it.
      await expect(sink.write([record(0), record(1, { predictionId: 'exit' })])).rejects.toThrow(/exited/);
      await sink.close();
    });

    it('answers calls with results, and rejects a call pending when the worker died and every later one', async () => {
      const sink = await WorkerPredictionStore.open(':memory:', { workerUrl: CRASHING_WORKER });
      expect(await sink.deleteBefore(5)).toEqual({ method: 'deleteBefore', args: [5] });
      const fatal = sink.deleteBefore(-1);
      const later = sink.unmatchedLabels({ endpoint: 'bikes', limit: 1 });
      await expect(fatal).rejects.toThrow(/exited \(code 3\)/);
      // Posted before the crash but answered by the stand-in at once.
      expect(await later).toEqual({ method: 'unmatchedLabels', args: [{ endpoint: 'bikes', limit: 1 }] });
      await expect(sink.queryPredictions({ endpoint: 'bikes', limit: 1 })).rejects.toThrow(/exited/);
      await expect(sink.write([record(0)])).rejects.toThrow(/exited/);
      await sink.close();
    });

    it('lets a PredictionQueue count the failure and keep the records', async () => {
      const sink = await WorkerPredictionStore.open(':memory:', { workerUrl: CRASHING_WORKER });
      const queue = new PredictionQueue(sink, { batchSize: 2, retryBaseMs: 10_000, closeTimeoutMs: 50 });
      queue.offer([record(0), record(1, { predictionId: 'throw' })]);
      await expect.poll(() => queue.stats().failedWrites).toBe(1);
      expect(queue.stats()).toMatchObject({ pending: 2, written: 0 });
      await queue.close();
      expect(queue.stats()).toMatchObject({ pending: 0, dropped: 2, written: 0 });
    });
  });
});
