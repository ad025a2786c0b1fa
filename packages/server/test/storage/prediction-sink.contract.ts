/**
 * The prediction sink contract: every `PredictionSink` (the DuckDB sink in this thread and the
 * same sink behind a worker) must store every field, append across reopenings, make a resolved
 * batch durable, store nothing of a failed batch, serialise writes and drain them on close.
 */
import { existsSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { LabelRecord, PredictionRecord } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { PredictionQueue } from '../../src/serving/prediction-queue.js';
import type { PredictionSink } from '../../src/serving/prediction-sink.js';

/** A prediction record numbered `index`, with `overrides`. */
export function record(index: number, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    predictionId: `p-${index}`,
    endpoint: 'bikes',
    modelName: 'bike-model',
    modelVersion: '3',
    arm: 'live',
    protocol: 'slipway',
    timestamp: 1_700_000_000_000 + index,
    latencyMs: 1.25,
    requestId: `r-${Math.floor(index / 10)}`,
    input: { temp: 0.3 + index, season: 'summer' },
    output: { prediction: index * 2 },
    ...overrides,
  };
}

/** Opens `path` read-only-ish in its own instance and runs `sql`, returning plain JS rows. */
export async function query(path: string, sql: string): Promise<Record<string, unknown>[]> {
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(sql);
    return reader.getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** Every column, typed as stored. */
export const SELECT_ALL = `SELECT prediction_id, endpoint, model_name, model_version, arm, protocol,
  epoch_ms(ts) AS ts_ms, typeof(ts) AS ts_type, latency_ms, request_id, input, output,
  typeof(input) AS input_type, shadow_of FROM predictions ORDER BY ts`;

/** Runs the contract against sinks `open` creates, in files under `dir()`. */
export function predictionSinkContract(
  label: string,
  open: (path: string) => Promise<PredictionSink>,
  dir: () => string,
): void {
  describe(`PredictionSink contract: ${label}`, () => {
    it('writes batches and reads every field back, JSON included', async () => {
      const path = join(dir(), 'fields.duckdb');
      const sink = await open(path);
      const nested = { nested: { list: [1, 'two', null, true], big: 12n }, unicode: 'déjà "vu"' };
      await sink.write([record(0, { input: nested, output: { label: 'x', scores: [0.1, 0.9] } }), record(1)]);
      await sink.write([record(2, { arm: 'shadow', protocol: 'oip-v2', shadowOf: 'p-1', latencyMs: 0 })]);
      await sink.write([]);
      await sink.close();

      const rows = await query(path, SELECT_ALL);
      expect(rows).toHaveLength(3);
      expect(rows[0]).toEqual({
        prediction_id: 'p-0',
        endpoint: 'bikes',
        model_name: 'bike-model',
        model_version: '3',
        arm: 'live',
        protocol: 'slipway',
        ts_ms: 1_700_000_000_000n,
        ts_type: 'TIMESTAMP',
        latency_ms: 1.25,
        request_id: 'r-0',
        input: JSON.stringify({ ...nested, nested: { ...nested.nested, big: '12' } }),
        output: '{"label":"x","scores":[0.1,0.9]}',
        input_type: 'JSON',
        shadow_of: null,
      });
      expect(JSON.parse(rows[1]!.input as string)).toEqual(record(1).input);
      expect(rows[2]).toMatchObject({
        prediction_id: 'p-2',
        arm: 'shadow',
        protocol: 'oip-v2',
        shadow_of: 'p-1',
        latency_ms: 0,
        ts_ms: 1_700_000_000_002n,
      });
      // The JSON columns are queryable as JSON.
      const [extracted] = await query(
        path,
        "SELECT input->>'$.nested.list[1]' AS second FROM predictions WHERE prediction_id = 'p-0'",
      );
      expect(extracted).toEqual({ second: 'two' });
    });

    it('keeps earlier rows when the file is reopened and appended to', async () => {
      const path = join(dir(), 'reopen.duckdb');
      const first = await open(path);
      await first.write([record(0), record(1)]);
      await first.close();

      const second = await open(path);
      await second.write([record(2)]);
      await second.close();

      const rows = await query(path, 'SELECT prediction_id FROM predictions ORDER BY ts');
      expect(rows.map((row) => row.prediction_id)).toEqual(['p-0', 'p-1', 'p-2']);
    });

    it('leaves a resolved batch on disk before close, as a crash would find it', async () => {
      const path = join(dir(), 'crash.duckdb');
      const sink = await open(path);
      await sink.write([record(0), record(1)]);
      await sink.write([record(2)]);
      // Copy the files as they are now, with the sink still open and never checkpointed: what a
      // process killed at this point would leave behind. Opening the copy replays its WAL.
      const copy = join(dir(), 'crash-copy.duckdb');
      await copyFile(path, copy);
      if (existsSync(`${path}.wal`)) await copyFile(`${path}.wal`, `${copy}.wal`);
      const rows = await query(copy, 'SELECT prediction_id FROM predictions ORDER BY ts');
      expect(rows.map((row) => row.prediction_id)).toEqual(['p-0', 'p-1', 'p-2']);
      await sink.close();
    });

    it('stores 64-bit integer outputs (bigint) as decimal JSON numbers in text', async () => {
      const path = join(dir(), 'bigint.duckdb');
      const sink = await open(path);
      await sink.write([record(0, { output: { label: 9007199254740993n } }), record(1)]);
      await sink.close();
      const rows = await query(path, 'SELECT output::VARCHAR AS output FROM predictions ORDER BY ts');
      expect(rows.map((row) => row.output)).toEqual(['{"label":"9007199254740993"}', '{"prediction":2}']);
    });

    it('stores nothing of a batch that fails', async () => {
      const path = join(dir(), 'atomic.duckdb');
      const sink = await open(path);
      await sink.write([record(0)]);
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(sink.write([record(1), record(2, { input: circular })])).rejects.toThrow();
      await expect(sink.write([record(3, { timestamp: Number.NaN })])).rejects.toThrow(/timestamp/);
      // The sink is still usable after a failed batch.
      await sink.write([record(4)]);
      await sink.close();
      await expect(sink.write([record(5)])).rejects.toThrow(/closed/);

      const rows = await query(path, 'SELECT prediction_id FROM predictions ORDER BY ts');
      expect(rows.map((row) => row.prediction_id)).toEqual(['p-0', 'p-4']);
    });

    it('serialises concurrent writes', async () => {
      const path = join(dir(), 'concurrent.duckdb');
      const sink = await open(path);
      await Promise.all(
        Array.from({ length: 8 }, (_, batch) =>
          sink.write(Array.from({ length: 50 }, (_, i) => record(batch * 50 + i))),
        ),
      );
      await sink.close();
      const [row] = await query(
        path,
        'SELECT count(*) AS n, count(DISTINCT prediction_id) AS d FROM predictions',
      );
      expect(row).toEqual({ n: 400n, d: 400n });
    });

    it('finishes the writes under way before close resolves', async () => {
      const path = join(dir(), 'close-drains.duckdb');
      const sink = await open(path);
      const writes = [sink.write([record(0)]), sink.write([record(1), record(2)])];
      await sink.close();
      await Promise.all(writes);
      const rows = await query(path, 'SELECT prediction_id FROM predictions ORDER BY ts');
      expect(rows.map((row) => row.prediction_id)).toEqual(['p-0', 'p-1', 'p-2']);
    });

    it('writes a 100,000-record batch', async () => {
      const path = join(dir(), 'large.duckdb');
      const sink = await open(path);
      const batch = Array.from({ length: 100_000 }, (_, i) => record(i));
      const started = performance.now();
      await sink.write(batch);
      const elapsed = performance.now() - started;
      await sink.close();
      if (process.env.SLIPWAY_BENCH) {
        console.log(
          `100k batch (${label}): ${elapsed.toFixed(0)} ms, ${Math.round(100_000 / (elapsed / 1000))} records/s`,
        );
      }
      const [row] = await query(path, 'SELECT count(*) AS n, max(prediction_id) AS m FROM predictions');
      expect(row).toEqual({ n: 100_000n, m: 'p-99999' });
    });

    it('takes batches from a PredictionQueue, in order', async () => {
      const path = join(dir(), 'queued.duckdb');
      const queue = new PredictionQueue(await open(path), { batchSize: 1000 });
      for (let i = 0; i < 12; i += 1) {
        expect(queue.offer(Array.from({ length: 250 }, (_, j) => record(i * 250 + j)))).toBe(true);
      }
      await queue.close();
      expect(queue.stats()).toEqual({
        pending: 0,
        dropped: 0,
        written: 3000,
        failedWrites: 0,
        failing: false,
      });
      const [row] = await query(
        path,
        "SELECT count(*) AS n, bool_and(prediction_id = 'p-' || (epoch_ms(ts) - 1700000000000)) AS ok FROM predictions",
      );
      expect(row).toEqual({ n: 3000n, ok: true });
    });
  });
}

/** A label keyed by prediction id, numbered `index`, received at `receivedAt`. */
export function label(index: number, overrides: Partial<LabelRecord> = {}): LabelRecord {
  return {
    labelId: `l-${String(index).padStart(3, '0')}`,
    endpoint: 'bikes',
    predictionId: `p-${index}`,
    value: index * 2,
    receivedAt: 1_700_000_100_000 + index,
    ...overrides,
  };
}
