import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbPredictionStore } from '../../src/storage/predictions/duckdb-prediction-store.js';
import { DuckDBInstance } from '@duckdb/node-api';
import { predictionSinkContract, record } from './prediction-sink.contract.js';
import { predictionStoreContract } from './prediction-store.contract.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-predictions-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

predictionSinkContract(
  'DuckDbPredictionStore',
  (path) => DuckDbPredictionStore.open(path),
  () => dir,
);

predictionStoreContract('DuckDbPredictionStore', () => DuckDbPredictionStore.open(':memory:'));

describe('DuckDbPredictionStore', () => {
  it('adds the new columns to a file the old sink created, keeping its rows', async () => {
    const path = join(dir, 'old-schema.duckdb');
    const instance = await DuckDBInstance.create(path);
    const connection = await instance.connect();
    await connection.run(`CREATE TABLE predictions (prediction_id VARCHAR, endpoint VARCHAR,
      model_name VARCHAR, model_version VARCHAR, arm VARCHAR, protocol VARCHAR, ts TIMESTAMP,
      latency_ms DOUBLE, request_id VARCHAR, input JSON, output JSON, shadow_of VARCHAR)`);
    await connection.run(`INSERT INTO predictions VALUES ('p-0', 'bikes', 'bike-model', '3', 'live',
      'slipway', epoch_ms(1700000000000), 1.25, 'r-0', '{"temp":0.3,"season":"summer"}',
      '{"prediction":0}', NULL)`);
    connection.closeSync();
    instance.closeSync();

    const store = await DuckDbPredictionStore.open(path);
    await store.write([record(1, { entityId: 'u', tags: { a: 'b' }, apiVersion: 'v1', jobId: 'j' })]);
    const page = await store.queryPredictions({ endpoint: 'bikes', limit: 10 });
    expect(page.predictions).toStrictEqual([
      record(1, { entityId: 'u', tags: { a: 'b' }, apiVersion: 'v1', jobId: 'j' }),
      record(0),
    ]);
    await store.close();
    // Reopening an already migrated file is a no-op.
    await (await DuckDbPredictionStore.open(path)).close();
  });

  it('works in memory', async () => {
    const sink = await DuckDbPredictionStore.open(':memory:');
    await sink.write([record(0)]);
    await sink.close();
  });

  it('opens in this thread through openInWorker when run from source (no compiled worker entry)', async () => {
    const sink = await DuckDbPredictionStore.openInWorker(':memory:');
    expect(sink).toBeInstanceOf(DuckDbPredictionStore);
    await sink.write([record(0)]);
    await sink.close();
  });
});
