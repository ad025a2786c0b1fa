import { afterEach, describe, expect, it } from 'vitest';
import type { PredictionRecord } from '@slipway/contracts';
import { startRetention, type Retention } from '../../src/predictions/retention.js';
import { DuckDbPredictionStore } from '../../src/storage/predictions/duckdb-prediction-store.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);

function record(i: number, ageDays: number): PredictionRecord {
  return {
    predictionId: `p-${i}`,
    endpoint: 'e',
    modelName: 'm',
    modelVersion: '1',
    arm: 'live',
    protocol: 'slipway',
    timestamp: NOW - ageDays * DAY,
    latencyMs: 1,
    requestId: `r-${i}`,
    input: {},
    output: {},
  };
}

let retention: Retention | undefined;
afterEach(() => retention?.stop());

describe('prediction log retention', () => {
  it('deletes what is older than the retention at start and at each sweep, and reports it', async () => {
    const store = await DuckDbPredictionStore.open(':memory:');
    await store.write([record(0, 40), record(1, 20), record(2, 1)]);
    const outcomes: unknown[] = [];
    let now = NOW;
    retention = startRetention({
      store,
      retentionMs: 30 * DAY,
      intervalMs: 60_000,
      now: () => now,
      onSweep: (outcome) => outcomes.push(outcome),
    });
    await expect.poll(() => outcomes).toEqual([{ deleted: 1 }]);
    now += 15 * DAY;
    expect(await retention.sweep()).toBe(1);
    const left = await store.queryPredictions({ endpoint: 'e', limit: 10 });
    expect(left.predictions.map((p) => p.predictionId)).toEqual(['p-2']);
    retention.stop();
    await store.close();
  });

  it('reports a failed sweep instead of throwing, and sweeps once at a time', async () => {
    let calls = 0;
    const outcomes: unknown[] = [];
    const failing = {
      deleteBefore: async (): Promise<number> => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new Error('disk gone');
      },
    };
    retention = startRetention({ store: failing, retentionMs: DAY, onSweep: (o) => outcomes.push(o) });
    // The start-up sweep is still running: this one joins it.
    expect(await retention.sweep()).toBe(0);
    expect(calls).toBe(1);
    expect(outcomes).toEqual([{ error: new Error('disk gone') }]);
  });
});
