import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbPredictionSink } from '../../src/storage/predictions/duckdb-prediction-sink.js';
import { predictionSinkContract, record } from './prediction-sink.contract.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-predictions-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

predictionSinkContract(
  'DuckDbPredictionSink',
  (path) => DuckDbPredictionSink.open(path),
  () => dir,
);

describe('DuckDbPredictionSink', () => {
  it('works in memory', async () => {
    const sink = await DuckDbPredictionSink.open(':memory:');
    await sink.write([record(0)]);
    await sink.close();
  });

  it('opens in this thread through openInWorker when run from source (no compiled worker entry)', async () => {
    const sink = await DuckDbPredictionSink.openInWorker(':memory:');
    expect(sink).toBeInstanceOf(DuckDbPredictionSink);
    await sink.write([record(0)]);
    await sink.close();
  });
});
