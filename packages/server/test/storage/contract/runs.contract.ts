/**
 * Contract: runs and their logged data (metrics, params, tags, inputs, history).
 */
import type { DatasetInput, Experiment } from '@slipway/contracts';
import { beforeEach, describe, expect, test } from 'vitest';
import {
  createExperiment,
  createRun,
  expectError,
  metric,
  runIdFor,
  useFreshStore,
  type TrackingStoreFactory,
} from './harness.js';

const MISSING_RUN = runIdFor(0xdead);

/** Registers the run sections of the contract. */
export function runContract(factory: TrackingStoreFactory): void {
  describe('runs', () => {
    const fx = useFreshStore(factory);
    let experiment: Experiment;
    beforeEach(async () => {
      experiment = await createExperiment(fx.store, 'exp');
    });

    test('createRun returns a RUNNING run whose mlflow.runName tag mirrors its name; getRun reads it back', async () => {
      const run = await createRun(fx.store, experiment.experimentId, {
        name: 'first',
        startTime: 1_700_000_000_123,
        userId: 'bob',
        tags: { 'mlflow.user': 'bob', note: 'hi' },
      });
      expect(run.info).toEqual({
        runId: run.info.runId,
        experimentId: experiment.experimentId,
        runName: 'first',
        userId: 'bob',
        status: 'RUNNING',
        startTime: 1_700_000_000_123,
        endTime: null,
        artifactUri: `loc/${experiment.experimentId}/${run.info.runId}/artifacts`,
        lifecycleStage: 'active',
      });
      expect(run.data).toEqual({
        metrics: [],
        params: {},
        tags: { 'mlflow.user': 'bob', note: 'hi', 'mlflow.runName': 'first' },
      });
      expect(run.inputs).toEqual({ datasetInputs: [] });
      expect(await fx.store.getRun(run.info.runId)).toEqual(run);
      expect(await fx.store.getRunInfo(run.info.runId)).toEqual(run.info);
    });

    test('createRun: NOT_FOUND for an unknown experiment, FAILED_PRECONDITION for a deleted one', async () => {
      await expectError(createRun(fx.store, '4040'), 'NOT_FOUND', 'experiment_id');
      await fx.store.setExperimentLifecycle(experiment.experimentId, 'deleted', 2);
      await expectError(createRun(fx.store, experiment.experimentId), 'FAILED_PRECONDITION', 'experiment_id');
    });

    test('getRun / getRunInfo return undefined for unknown runs', async () => {
      expect(await fx.store.getRun(MISSING_RUN)).toBeUndefined();
      expect(await fx.store.getRunInfo(MISSING_RUN)).toBeUndefined();
    });

    test('updateRun patches status, end time and name (and the mlflow.runName tag)', async () => {
      const run = await createRun(fx.store, experiment.experimentId, { name: 'old' });
      const info = await fx.store.updateRun(run.info.runId, {
        status: 'FINISHED',
        endTime: 1_700_000_000_999,
      });
      expect(info).toEqual({ ...run.info, status: 'FINISHED', endTime: 1_700_000_000_999 });
      const renamed = await fx.store.updateRun(run.info.runId, { runName: 'new' });
      expect(renamed).toEqual({ ...info, runName: 'new' });
      const read = await fx.store.getRun(run.info.runId);
      expect(read?.info).toEqual(renamed);
      expect(read?.data.tags['mlflow.runName']).toBe('new');
      expect(await fx.store.updateRun(run.info.runId, {})).toEqual(renamed);
    });

    test('updateRun: NOT_FOUND for unknown runs, FAILED_PRECONDITION for deleted ones', async () => {
      await expectError(fx.store.updateRun(MISSING_RUN, { status: 'FAILED' }), 'NOT_FOUND', 'run_id');
      const run = await createRun(fx.store, experiment.experimentId);
      await fx.store.setRunLifecycle(run.info.runId, 'deleted', 5);
      await expectError(
        fx.store.updateRun(run.info.runId, { status: 'FAILED' }),
        'FAILED_PRECONDITION',
        'run_id',
      );
      expect((await fx.store.getRunInfo(run.info.runId))?.status).toBe('RUNNING');
    });

    test('setRunLifecycle deletes and restores (repeating a stage is a no-op); NOT_FOUND for unknown runs', async () => {
      const run = await createRun(fx.store, experiment.experimentId);
      await fx.store.setRunLifecycle(run.info.runId, 'deleted', 10);
      await fx.store.setRunLifecycle(run.info.runId, 'deleted', 20);
      expect((await fx.store.getRunInfo(run.info.runId))?.lifecycleStage).toBe('deleted');
      await fx.store.setRunLifecycle(run.info.runId, 'active', 30);
      await fx.store.setRunLifecycle(run.info.runId, 'active', 40);
      expect((await fx.store.getRunInfo(run.info.runId))?.lifecycleStage).toBe('active');
      await expectError(fx.store.setRunLifecycle(MISSING_RUN, 'deleted', 1), 'NOT_FOUND', 'run_id');
    });

    test('logBatch stores params and tags, upserts tags, and renames the run on mlflow.runName', async () => {
      const run = await createRun(fx.store, experiment.experimentId, { name: 'n0' });
      const id = run.info.runId;
      await fx.store.logBatch(id, {
        metrics: [],
        params: { lr: '0.01', layers: '3' },
        tags: { a: '1', b: '2' },
      });
      await fx.store.logBatch(id, {
        metrics: [],
        params: { lr: '0.01' },
        tags: { a: '9', 'mlflow.runName': 'n1' },
      });
      const read = await fx.store.getRun(id);
      expect(read?.data.params).toEqual({ lr: '0.01', layers: '3' });
      expect(read?.data.tags).toEqual({ a: '9', b: '2', 'mlflow.runName': 'n1' });
      expect(read?.info.runName).toBe('n1');
    });

    test('logging a param again with another value is INVALID_ARGUMENT naming params.<key>; the batch is not applied', async () => {
      const run = await createRun(fx.store, experiment.experimentId);
      const id = run.info.runId;
      await fx.store.logBatch(id, { metrics: [], params: { lr: '0.01' }, tags: {} });
      const error = await expectError(
        fx.store.logBatch(id, {
          metrics: [metric('loss', 1)],
          params: { other: 'x', lr: '0.02' },
          tags: { t: 'v' },
        }),
        'INVALID_ARGUMENT',
        'params.lr',
      );
      expect(error.message).toContain('0.02');
      const read = await fx.store.getRun(id);
      expect(read?.data.params).toEqual({ lr: '0.01' });
      expect(read?.data.metrics).toEqual([]);
      expect(read?.data.tags['t']).toBeUndefined();
      expect(await fx.store.getMetricHistory(id, 'loss', { offset: 0, limit: 10 })).toEqual([]);
    });

    test('writes to unknown runs are NOT_FOUND and to deleted runs FAILED_PRECONDITION, changing nothing', async () => {
      const batch = { metrics: [metric('m', 1)], params: { p: '1' }, tags: { t: '1' } };
      await expectError(fx.store.logBatch(MISSING_RUN, batch), 'NOT_FOUND', 'run_id');
      await expectError(fx.store.deleteRunTag(MISSING_RUN, 't'), 'NOT_FOUND', 'run_id');
      await expectError(fx.store.logInputs(MISSING_RUN, [dataset('d', 'x')]), 'NOT_FOUND', 'run_id');
      const run = await createRun(fx.store, experiment.experimentId, { tags: { t: '0' } });
      await fx.store.setRunLifecycle(run.info.runId, 'deleted', 10);
      await expectError(fx.store.logBatch(run.info.runId, batch), 'FAILED_PRECONDITION', 'run_id');
      await expectError(fx.store.deleteRunTag(run.info.runId, 't'), 'FAILED_PRECONDITION', 'run_id');
      await expectError(
        fx.store.logInputs(run.info.runId, [dataset('d', 'x')]),
        'FAILED_PRECONDITION',
        'run_id',
      );
      const read = await fx.store.getRun(run.info.runId);
      expect(read?.data).toEqual({
        metrics: [],
        params: {},
        tags: { t: '0', 'mlflow.runName': run.info.runName },
      });
      expect(read?.inputs.datasetInputs).toEqual([]);
    });

    test('runs of a deleted experiment are deleted, so writes to them are FAILED_PRECONDITION', async () => {
      const run = await createRun(fx.store, experiment.experimentId);
      await fx.store.setExperimentLifecycle(experiment.experimentId, 'deleted', 10);
      await expectError(
        fx.store.logBatch(run.info.runId, { metrics: [metric('m', 1)], params: {}, tags: {} }),
        'FAILED_PRECONDITION',
        'run_id',
      );
    });

    test('deleteRunTag removes a tag; NOT_FOUND when the tag is not set', async () => {
      const run = await createRun(fx.store, experiment.experimentId, { tags: { a: '1', b: '2' } });
      await fx.store.deleteRunTag(run.info.runId, 'a');
      expect((await fx.store.getRun(run.info.runId))?.data.tags).toEqual({
        b: '2',
        'mlflow.runName': run.info.runName,
      });
      await expectError(fx.store.deleteRunTag(run.info.runId, 'a'), 'NOT_FOUND');
    });
  });

  describe('metrics', () => {
    const fx = useFreshStore(factory);
    let runId: string;
    beforeEach(async () => {
      const experiment = await createExperiment(fx.store, 'exp');
      runId = (await createRun(fx.store, experiment.experimentId)).info.runId;
    });

    const history = (key: string, offset = 0, limit = 1000) =>
      fx.store.getMetricHistory(runId, key, { offset, limit });
    const latest = async () => (await fx.store.getRun(runId))?.data.metrics;

    test('history is ordered by step, then timestamp, whatever the logging order', async () => {
      await fx.store.logBatch(runId, {
        metrics: [
          metric('loss', 3, 2, 10),
          metric('loss', 1, 0, 30),
          metric('loss', 2, 1, 20),
          metric('loss', 4, 2, 5),
        ],
        params: {},
        tags: {},
      });
      await fx.store.logBatch(runId, { metrics: [metric('loss', 0.5, 1, 1)], params: {}, tags: {} });
      expect(await history('loss')).toEqual([
        metric('loss', 1, 0, 30),
        metric('loss', 0.5, 1, 1),
        metric('loss', 2, 1, 20),
        metric('loss', 4, 2, 5),
        metric('loss', 3, 2, 10),
      ]);
      expect(await history('loss', 1, 2)).toEqual([metric('loss', 0.5, 1, 1), metric('loss', 2, 1, 20)]);
      expect(await history('loss', 5, 2)).toEqual([]);
      expect(await history('acc')).toEqual([]);
    });

    test('getMetricHistory of an unknown run is NOT_FOUND', async () => {
      await expectError(
        fx.store.getMetricHistory(MISSING_RUN, 'loss', { offset: 0, limit: 10 }),
        'NOT_FOUND',
        'run_id',
      );
    });

    test('a run lists its latest metrics by key in code point order, in getRun and in search', async () => {
      const keys = ['zeta', 'Alpha', 'alpha', 'é', '\uE000', '😀', 'a_b', 'a'];
      await fx.store.logBatch(runId, {
        metrics: keys.map((key, i) => metric(key, i, 0, 1)),
        params: {},
        tags: {},
      });
      // UTF-8 byte order is code point order: what both dialects' ORDER BY on keys gives.
      const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect((await latest())?.map((m) => m.key)).toEqual(expected);
      const [found] = await fx.store.searchRuns({
        experimentIds: [(await fx.store.getRunInfo(runId))?.experimentId ?? ''],
        filter: [],
        orderBy: [],
        viewType: 'ACTIVE_ONLY',
        offset: 0,
        limit: 10,
      });
      expect(found?.data.metrics.map((m) => m.key)).toEqual(expected);
    });

    test('the latest metric is the max step, then max timestamp, then max value', async () => {
      await fx.store.logBatch(runId, {
        metrics: [
          metric('a', 5, 1, 100),
          metric('a', 1, 2, 50),
          metric('b', 1, 3, 10),
          metric('b', 2, 3, 20),
          metric('c', 7, 4, 9),
          metric('c', 8, 4, 9),
        ],
        params: {},
        tags: {},
      });
      // A later call with an older step must not replace the latest value.
      await fx.store.logBatch(runId, {
        metrics: [metric('a', 100, 1, 999), metric('c', 6, 4, 9)],
        params: {},
        tags: {},
      });
      expect(await latest()).toEqual([metric('a', 1, 2, 50), metric('b', 2, 3, 20), metric('c', 8, 4, 9)]);
      await fx.store.logBatch(runId, { metrics: [metric('a', -1, 3, 0)], params: {}, tags: {} });
      expect((await latest())?.[0]).toEqual(metric('a', -1, 3, 0));
    });

    test('NaN and ±Infinity round-trip through history and the latest value', async () => {
      await fx.store.logBatch(runId, {
        metrics: [
          metric('x', Number.NaN, 0),
          metric('x', Number.POSITIVE_INFINITY, 1),
          metric('x', Number.NEGATIVE_INFINITY, 2),
          metric('y', Number.NaN, 5),
        ],
        params: {},
        tags: {},
      });
      const values = (await history('x')).map((m) => m.value);
      expect(values).toEqual([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
      expect(await latest()).toEqual([metric('x', Number.NEGATIVE_INFINITY, 2), metric('y', Number.NaN, 5)]);
      // NaN and 0 are different observations.
      await fx.store.logBatch(runId, { metrics: [metric('y', 0, 5)], params: {}, tags: {} });
      expect((await history('y')).map((m) => m.value)).toEqual([0, Number.NaN]);
    });

    test('doubles, negative values and int64 timestamps/steps round-trip exactly', async () => {
      const observations = [
        metric('v', 0.1 + 0.2, 0, 1_700_000_000_000),
        metric('v', -1e-300, 1, 1),
        metric('v', 1.7976931348623157e308, 2, 0),
        metric('v', 123456789.12345679, Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
        metric('v', 5, -3, 7),
      ];
      await fx.store.logBatch(runId, { metrics: observations, params: {}, tags: {} });
      const read = await history('v');
      expect(read).toEqual([
        observations[4],
        observations[0],
        observations[1],
        observations[2],
        observations[3],
      ]);
    });

    test('re-logging an identical observation is ignored, so retries do not duplicate history', async () => {
      const batch = {
        metrics: [metric('m', 1, 0, 5), metric('m', 2, 1, 5), metric('m', Number.NaN, 2, 5)],
        params: { p: 'v' },
        tags: {},
      };
      await fx.store.logBatch(runId, batch);
      await fx.store.logBatch(runId, batch);
      await fx.store.logBatch(runId, {
        metrics: [metric('m', 1, 0, 5), metric('m', 1, 0, 5)],
        params: {},
        tags: {},
      });
      expect(await history('m')).toEqual(batch.metrics);
      // A different value at the same step and timestamp is a new observation.
      await fx.store.logBatch(runId, { metrics: [metric('m', 1.5, 0, 5)], params: {}, tags: {} });
      expect((await history('m')).map((m) => m.value)).toEqual([1, 1.5, 2, Number.NaN]);
    });

    test('a 1000-metric batch over many keys is stored completely', async () => {
      const metrics = Array.from({ length: 1000 }, (_, i) =>
        metric(`k${i % 7}`, i / 3, Math.floor(i / 7), 10_000 + i),
      );
      await fx.store.logBatch(runId, { metrics, params: {}, tags: {} });
      const k3 = await history('k3');
      expect(k3).toEqual(metrics.filter((m) => m.key === 'k3'));
      expect(await latest()).toHaveLength(7);
      expect((await latest())?.find((m) => m.key === 'k5')).toEqual(
        metrics.filter((m) => m.key === 'k5').at(-1),
      );
    });
  });

  describe('inputs', () => {
    const fx = useFreshStore(factory);

    test('logInputs records datasets with their input tags; a run lists each dataset once', async () => {
      const e = await createExperiment(fx.store, 'exp');
      const run = await createRun(fx.store, e.experimentId);
      const train: DatasetInput = {
        dataset: {
          name: 'train',
          digest: 'abc',
          sourceType: 'local',
          source: '{"uri":"/d"}',
          schema: '{"x":1}',
          profile: '{"rows":3}',
        },
        tags: { 'mlflow.data.context': 'training' },
      };
      const evalSet = dataset('eval', 'def', { 'mlflow.data.context': 'eval', extra: 'y' });
      await fx.store.logInputs(run.info.runId, [
        train,
        evalSet,
        { ...train, tags: { 'mlflow.data.context': 'ignored' } },
      ]);
      await fx.store.logInputs(run.info.runId, [{ ...evalSet, tags: { 'mlflow.data.context': 'changed' } }]);
      const read = await fx.store.getRun(run.info.runId);
      expect(read?.inputs.datasetInputs).toEqual([evalSet, train]);
    });

    test('datasets are shared per experiment by (name, digest): the first description wins', async () => {
      const e = await createExperiment(fx.store, 'exp');
      const other = await createExperiment(fx.store, 'other');
      const r1 = await createRun(fx.store, e.experimentId);
      const r2 = await createRun(fx.store, e.experimentId);
      const r3 = await createRun(fx.store, other.experimentId);
      await fx.store.logInputs(r1.info.runId, [dataset('d', 'x', {}, 'first')]);
      await fx.store.logInputs(r2.info.runId, [dataset('d', 'x', { t: '2' }, 'second')]);
      await fx.store.logInputs(r3.info.runId, [dataset('d', 'x', {}, 'third')]);
      expect((await fx.store.getRun(r2.info.runId))?.inputs.datasetInputs).toEqual([
        dataset('d', 'x', { t: '2' }, 'first'),
      ]);
      expect((await fx.store.getRun(r3.info.runId))?.inputs.datasetInputs).toEqual([
        dataset('d', 'x', {}, 'third'),
      ]);
    });
  });
}

/** A dataset input without schema or profile. */
export function dataset(
  name: string,
  digest: string,
  tags: Record<string, string> = {},
  source = 's3://x',
): DatasetInput {
  return { dataset: { name, digest, sourceType: 's3', source }, tags };
}
