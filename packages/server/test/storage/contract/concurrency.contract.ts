/**
 * Contract: concurrent writes, isolation of a failing write from concurrent good ones, and
 * durability (what resolved is still there after reopening the database).
 */
import type { LogBatch } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import { createExperiment, createRun, metric, useFreshStore, type TrackingStoreFactory } from './harness.js';

/** Registers the concurrency and durability sections of the contract. */
export function concurrencyContract(factory: TrackingStoreFactory): void {
  describe('concurrency and durability', () => {
    const fx = useFreshStore(factory);

    test('many concurrent logBatch calls all resolve and are all there after reopening', async () => {
      const e = await createExperiment(fx.store, 'e');
      const runIds = [];
      for (let r = 0; r < 5; r++) runIds.push((await createRun(fx.store, e.experimentId)).info.runId);
      const calls: Promise<void>[] = [];
      for (let b = 0; b < 40; b++) {
        for (const [r, runId] of runIds.entries()) {
          const metrics = Array.from({ length: 25 }, (_, i) =>
            metric('m', r * 10_000 + b * 25 + i, b * 25 + i, 1_000 + b),
          );
          calls.push(
            fx.store.logBatch(runId, {
              metrics,
              params: { [`p${b}`]: String(b) },
              tags: { last: String(b) },
            }),
          );
        }
      }
      await Promise.all(calls);
      const store = await fx.reopen();
      for (const [r, runId] of runIds.entries()) {
        const history = await store.getMetricHistory(runId, 'm', { offset: 0, limit: 10_000 });
        expect(history).toHaveLength(1000);
        expect(history.map((m) => m.value)).toEqual(Array.from({ length: 1000 }, (_, i) => r * 10_000 + i));
        const run = await store.getRun(runId);
        expect(run?.data.metrics).toEqual([metric('m', r * 10_000 + 999, 999, 1_039)]);
        expect(Object.keys(run?.data.params ?? {})).toHaveLength(40);
      }
    });

    test('a failing write does not affect concurrent good ones (and leaves nothing behind)', async () => {
      const e = await createExperiment(fx.store, 'e');
      const a = (await createRun(fx.store, e.experimentId)).info.runId;
      const b = (await createRun(fx.store, e.experimentId)).info.runId;
      await fx.store.logBatch(a, { metrics: [], params: { lr: '1' }, tags: {} });
      const good = (n: number): LogBatch => ({
        metrics: [metric('good', n, n)],
        params: {},
        tags: { [`g${n}`]: 'y' },
      });
      const bad: LogBatch = { metrics: [metric('bad', 1)], params: { lr: '2' }, tags: { bad: 'y' } };
      // Submitted in the same tick, so a group-committing store puts them in one transaction.
      const results = await Promise.allSettled([
        fx.store.logBatch(a, good(1)),
        fx.store.logBatch(a, bad),
        fx.store.logBatch(b, good(2)),
        fx.store.logBatch(a, good(3)),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: 'params.lr' },
      });
      const store = await fx.reopen();
      const runA = await store.getRun(a);
      expect(runA?.data.metrics).toEqual([metric('good', 3, 3)]);
      expect(runA?.data.params).toEqual({ lr: '1' });
      expect(Object.keys(runA?.data.tags ?? {}).sort()).toEqual(['g1', 'g3', 'mlflow.runName']);
      expect(await store.getMetricHistory(a, 'bad', { offset: 0, limit: 10 })).toEqual([]);
      expect((await store.getRun(b))?.data.metrics).toEqual([metric('good', 2, 2)]);
    });

    test('concurrent creates of one experiment name: exactly one wins, the rest are ALREADY_EXISTS', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, () => createExperiment(fx.store, 'same')),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'ALREADY_EXISTS' });
      }
    });

    test('concurrent logs of one param with different values: one wins, the other is INVALID_ARGUMENT', async () => {
      const e = await createExperiment(fx.store, 'e');
      const runId = (await createRun(fx.store, e.experimentId)).info.runId;
      const results = await Promise.allSettled(
        ['1', '2', '3'].map((value) =>
          fx.store.logBatch(runId, { metrics: [], params: { lr: value }, tags: {} }),
        ),
      );
      const won = results.findIndex((r) => r.status === 'fulfilled');
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await fx.store.getRun(runId))?.data.params).toEqual({ lr: String(won + 1) });
      for (const r of results.filter((r) => r.status === 'rejected')) {
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: 'INVALID_ARGUMENT',
          details: { field: 'params.lr' },
        });
      }
    });

    test('close waits for writes already submitted', async () => {
      const e = await createExperiment(fx.store, 'e');
      const runId = (await createRun(fx.store, e.experimentId)).info.runId;
      const pending = fx.store.logBatch(runId, { metrics: [metric('late', 42)], params: {}, tags: {} });
      const store = await fx.reopen();
      await expect(pending).resolves.toBeUndefined();
      expect((await store.getRun(runId))?.data.metrics).toEqual([metric('late', 42)]);
    });
  });
}
