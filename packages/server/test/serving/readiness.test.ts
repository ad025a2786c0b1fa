/**
 * `/readyz` says when the prediction log store is failing (a full or broken disk): the process
 * is not ready, and the answer names the error, instead of predictions being held back silently.
 */
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '@slipway/contracts';
import { registerServingRoutes } from '../../src/http/serving-routes.js';
import { PredictionQueue } from '../../src/serving/prediction-queue.js';
import type { PredictionSink } from '../../src/serving/prediction-sink.js';
import type { ServingManager } from '../../src/serving/serving-manager.js';

/** The outside world: a disk that is full until it is not. */
class FullDisk implements PredictionSink {
  full = true;
  async write(): Promise<void> {
    if (this.full) throw new Error('No space left on device');
  }
  async close(): Promise<void> {}
}

const record: PredictionRecord = {
  predictionId: 'p-1',
  endpoint: 'e',
  modelName: 'm',
  modelVersion: '1',
  arm: 'live',
  protocol: 'slipway',
  timestamp: 0,
  latencyMs: 1,
  requestId: 'r',
  input: {},
  output: {},
};

describe('/readyz and the prediction log', () => {
  it('fails while the log store fails its writes, naming the error, and recovers with it', async () => {
    const disk = new FullDisk();
    const queue = new PredictionQueue(disk, { batchSize: 1, retryBaseMs: 10, retryMaxMs: 10 });
    // Only readiness is under test: an open manager with every endpoint loaded.
    const manager = { acceptingRequests: () => true, isLoaded: () => true } as unknown as ServingManager;
    const app = Fastify();
    registerServingRoutes(app, manager, { predictionLog: () => queue.stats() });
    expect((await app.inject('/readyz')).json()).toEqual({ ready: true });

    queue.offer([record]);
    await expect.poll(() => queue.stats().failing).toBe(true);
    const failing = await app.inject('/readyz');
    expect(failing.statusCode).toBe(503);
    expect(failing.json()).toEqual({
      ready: false,
      predictionLog: { failing: true, lastError: 'No space left on device' },
    });

    disk.full = false;
    await expect.poll(() => queue.stats().written).toBe(1);
    expect((await app.inject('/readyz')).statusCode).toBe(200);
    await queue.close();
    await app.close();
  });
});
