/**
 * MLflow tracking endpoints end to end (real SQLite platform, in-process `inject`): every endpoint's
 * answer, compared field by field with responses recorded from a real MLflow 2.12.2 server
 * (/work/shared/bench/mlflow-api/results/endpoints_with_bodies.json; copied here so the suite is
 * self-contained), plus error codes, NaN/Infinity and pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlflowApi, uniqueName as name } from '../helpers/mlflow-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/** Responses of the real MLflow 2.12.2 server (sqlite backend, --serve-artifacts). */
const REAL = {
  createExperiment: { experiment_id: '1' },
  getExperiment: {
    experiment: {
      experiment_id: '1',
      name: 'smoke-exp-4a772fa726',
      artifact_location: 'mlflow-artifacts:/1',
      lifecycle_stage: 'active',
      last_update_time: 1795737581084,
      creation_time: 1795737581084,
      tags: [{ key: 'team', value: 'anchors' }],
    },
  },
  getByNameMissing: {
    error_code: 'RESOURCE_DOES_NOT_EXIST',
    message: "Could not find experiment with name 'smoke-exp-4a772fa726'",
  },
  createRun: {
    run: {
      info: {
        run_uuid: '56a116e22a024a0ca755a1df66bd7c86',
        experiment_id: '1',
        run_name: 'smoke-run-1',
        user_id: 'root',
        status: 'RUNNING',
        start_time: 1795737581154,
        artifact_uri: 'mlflow-artifacts:/1/56a116e22a024a0ca755a1df66bd7c86/artifacts',
        lifecycle_stage: 'active',
        run_id: '56a116e22a024a0ca755a1df66bd7c86',
      },
      data: {
        tags: [
          { key: 'mlflow.user', value: 'root' },
          { key: 'mlflow.source.name', value: 'client_smoke.py' },
          { key: 'mlflow.source.type', value: 'LOCAL' },
          { key: 'mlflow.runName', value: 'smoke-run-1' },
        ],
      },
    },
  },
  updateRun: {
    run_info: {
      run_uuid: '56a116e22a024a0ca755a1df66bd7c86',
      experiment_id: '1',
      run_name: 'smoke-run-1',
      user_id: 'root',
      status: 'FINISHED',
      start_time: 1795737581154,
      end_time: 1795737581273,
      artifact_uri: 'mlflow-artifacts:/1/56a116e22a024a0ca755a1df66bd7c86/artifacts',
      lifecycle_stage: 'active',
      run_id: '56a116e22a024a0ca755a1df66bd7c86',
    },
  },
  getRun: {
    run: {
      info: {
        run_uuid: '56a116e22a024a0ca755a1df66bd7c86',
        experiment_id: '1',
        run_name: 'smoke-run-1',
        user_id: 'root',
        status: 'FINISHED',
        start_time: 1795737581154,
        end_time: 1795737581273,
        artifact_uri: 'mlflow-artifacts:/1/56a116e22a024a0ca755a1df66bd7c86/artifacts',
        lifecycle_stage: 'active',
        run_id: '56a116e22a024a0ca755a1df66bd7c86',
      },
      data: {
        metrics: [{ key: 'acc', value: 0.75, timestamp: 1795737581185, step: 1 }],
        params: [{ key: 'lr', value: '0.01' }],
        tags: [{ key: 'mlflow.runName', value: 'smoke-run-1' }],
      },
      inputs: {},
    },
  },
  getRunMissing: {
    error_code: 'RESOURCE_DOES_NOT_EXIST',
    message: 'Run with id=00000000000000000000000000000000 not found',
  },
  metricHistory: {
    metrics: [
      { key: 'acc', value: 0.5, timestamp: 1795737581178, step: 0 },
      { key: 'acc', value: 0.75, timestamp: 1795737581185, step: 1 },
    ],
  },
  searchExperiments: {
    experiments: [
      {
        experiment_id: '1',
        name: 'smoke-exp-4a772fa726',
        artifact_location: 'mlflow-artifacts:/1',
        lifecycle_stage: 'active',
        last_update_time: 1795737581084,
        creation_time: 1795737581084,
        tags: [{ key: 'team', value: 'anchors' }],
      },
    ],
  },
  searchRunsPage: {
    runs: [
      {
        info: {
          run_uuid: 'b754a5e6c1fd491b979a2c8dadda6dbd',
          experiment_id: '1',
          run_name: 'smoke-run-3',
          user_id: 'unknown',
          status: 'FINISHED',
          start_time: 1795737581686,
          end_time: 1795737581711,
          artifact_uri: 'mlflow-artifacts:/1/b754a5e6c1fd491b979a2c8dadda6dbd/artifacts',
          lifecycle_stage: 'active',
          run_id: 'b754a5e6c1fd491b979a2c8dadda6dbd',
        },
        data: {
          metrics: [{ key: 'acc', value: 0.95, timestamp: 1795737581700, step: 0 }],
          params: [{ key: 'lr', value: '0.1' }],
          tags: [{ key: 'grp', value: 'b' }],
        },
        inputs: {},
      },
    ],
    next_page_token: 'eyJvZmZzZXQiOiAyfQ==',
  },
};

/** The structure of a JSON value: objects by sorted key, arrays by the set of their element shapes. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) {
    const shapes = new Set(value.map((v) => JSON.stringify(shape(v))));
    return [...shapes].sort();
  }
  if (typeof value === 'object' && value !== null) {
    const obj = value as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(obj)
        .sort()
        .map((k) => [k, shape(obj[k])]),
    );
  }
  return typeof value;
}

let platform: TestPlatform;
const { call, ok } = mlflowApi(() => platform.app);

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform.close();
});

async function newExperiment(prefix = 'exp'): Promise<string> {
  return (await ok('POST', 'experiments/create', { name: name(prefix) })).experiment_id as string;
}

async function newRun(experimentId: string, extra: Record<string, unknown> = {}): Promise<string> {
  const body = await ok('POST', 'runs/create', { experiment_id: experimentId, ...extra });
  return body.run.info.run_id as string;
}

describe('MLflow experiments endpoints', () => {
  it('serves the Default experiment with id 0', async () => {
    const body = await ok('GET', 'experiments/get', { experiment_id: '0' });
    expect(body.experiment).toMatchObject({ experiment_id: '0', name: 'Default', lifecycle_stage: 'active' });
  });

  it('creates, tags, gets and finds an experiment with the real server shapes', async () => {
    const n = name('smoke-exp');
    const created = await ok('POST', 'experiments/create', { name: n });
    expect(shape(created)).toEqual(shape(REAL.createExperiment));
    const id = created.experiment_id as string;
    expect(
      await ok('POST', 'experiments/set-experiment-tag', {
        experiment_id: id,
        key: 'team',
        value: 'anchors',
      }),
    ).toEqual({});
    const got = await ok('GET', 'experiments/get', { experiment_id: id });
    expect(shape(got)).toEqual(shape(REAL.getExperiment));
    expect(got.experiment).toMatchObject({
      experiment_id: id,
      name: n,
      artifact_location: `mlflow-artifacts:/${id}`,
      tags: [{ key: 'team', value: 'anchors' }],
    });
    expect(await ok('GET', 'experiments/get-by-name', { experiment_name: n })).toEqual(got);
  });

  it('creates an experiment with tags', async () => {
    const id = (
      await ok('POST', 'experiments/create', { name: name('tagged'), tags: [{ key: 'n', value: '3' }] })
    ).experiment_id;
    const got = await ok('GET', 'experiments/get', { experiment_id: id });
    expect(got.experiment.tags).toEqual([{ key: 'n', value: '3' }]);
  });

  it('answers an unknown name with 404 RESOURCE_DOES_NOT_EXIST like MLflow', async () => {
    const res = await call('GET', 'experiments/get-by-name', { experiment_name: 'smoke-exp-4a772fa726' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(REAL.getByNameMissing);
    const missing = await call('GET', 'experiments/get', { experiment_id: '987654321' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('refuses a duplicate name with 400 RESOURCE_ALREADY_EXISTS', async () => {
    const n = name('dup');
    await ok('POST', 'experiments/create', { name: n });
    const res = await call('POST', 'experiments/create', { name: n });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
  });

  it('renames, and refuses a taken name', async () => {
    const id = await newExperiment('old');
    const n = name('new');
    expect(await ok('POST', 'experiments/update', { experiment_id: id, new_name: n })).toEqual({});
    expect((await ok('GET', 'experiments/get', { experiment_id: id })).experiment.name).toBe(n);
    const other = await newExperiment('other');
    const res = await call('POST', 'experiments/update', { experiment_id: other, new_name: n });
    expect(res.status).toBe(400);
    expect(res.body.error_code).toBe('RESOURCE_ALREADY_EXISTS');
    const missingName = await call('POST', 'experiments/update', { experiment_id: id });
    expect(missingName.status).toBe(400);
    expect(missingName.body.message).toContain("'new_name'");
  });

  it('deletes and restores an experiment with its runs', async () => {
    const id = await newExperiment('del');
    const runId = await newRun(id);
    expect(await ok('POST', 'experiments/delete', { experiment_id: id })).toEqual({});
    expect((await ok('GET', 'experiments/get', { experiment_id: id })).experiment.lifecycle_stage).toBe(
      'deleted',
    );
    expect((await ok('GET', 'runs/get', { run_id: runId })).run.info.lifecycle_stage).toBe('deleted');
    const refused = await call('POST', 'runs/create', { experiment_id: id });
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await ok('POST', 'experiments/restore', { experiment_id: id })).toEqual({});
    expect((await ok('GET', 'runs/get', { run_id: runId })).run.info.lifecycle_stage).toBe('active');
    const missing = await call('POST', 'experiments/delete', { experiment_id: '987654321' });
    expect(missing.status).toBe(404);
    expect(missing.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('searches by POST and GET, with view types and page tokens', async () => {
    const base = name('srch');
    const ids: string[] = [];
    for (const s of ['a', 'b', 'c']) {
      ids.push((await ok('POST', 'experiments/create', { name: `${base}-${s}` })).experiment_id);
    }
    await ok('POST', 'experiments/set-experiment-tag', {
      experiment_id: ids[0],
      key: 'team',
      value: 'anchors',
    });
    const one = await ok('POST', 'experiments/search', {
      filter: `name = '${base}-a'`,
      max_results: 1000,
      view_type: 'ACTIVE_ONLY',
    });
    expect(shape(one)).toEqual(shape(REAL.searchExperiments));
    const filter = `name LIKE '${base}%'`;
    const p1 = await ok('POST', 'experiments/search', { filter, order_by: ['name ASC'], max_results: '2' });
    expect(p1.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual(ids.slice(0, 2));
    expect(typeof p1.next_page_token).toBe('string');
    const p2 = await ok('GET', 'experiments/search', {
      filter,
      order_by: 'name ASC',
      max_results: 2,
      page_token: p1.next_page_token,
    });
    expect(p2.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual(ids.slice(2));
    expect(p2).not.toHaveProperty('next_page_token');
    await ok('POST', 'experiments/delete', { experiment_id: ids[1] });
    const deleted = await ok('POST', 'experiments/search', { filter, view_type: 'DELETED_ONLY' });
    expect(deleted.experiments.map((e: { experiment_id: string }) => e.experiment_id)).toEqual([ids[1]]);
    expect((await ok('POST', 'experiments/search', { filter, view_type: 3 })).experiments).toHaveLength(3);
    expect(await ok('POST', 'experiments/search', { filter: `name = '${base}-none'` })).toEqual({});
    const bad = await call('POST', 'experiments/search', { filter: "name LIKEE 'x'" });
    expect(bad.status).toBe(400);
    expect(bad.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const badToken = await call('POST', 'experiments/search', { filter, page_token: 'not-a-token' });
    expect(badToken.status).toBe(400);
  });

  it('is served under /ajax-api/2.0 as well', async () => {
    const res = await platform.app.inject({
      method: 'GET',
      url: '/ajax-api/2.0/mlflow/experiments/get?experiment_id=0',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().experiment.name).toBe('Default');
  });
});

describe('MLflow runs endpoints', () => {
  it('creates a run like the real server (server-side runName tag, no inputs, no end_time)', async () => {
    const eid = await newExperiment('runs');
    const startTime = Date.now() - 1000;
    const body = await ok('POST', 'runs/create', {
      experiment_id: eid,
      user_id: 'root',
      run_name: 'smoke-run-1',
      start_time: startTime,
      tags: [
        { key: 'mlflow.user', value: 'root' },
        { key: 'mlflow.source.name', value: 'client_smoke.py' },
        { key: 'mlflow.source.type', value: 'LOCAL' },
        { key: 'mlflow.runName', value: 'smoke-run-1' },
      ],
    });
    expect(shape(body)).toEqual(shape(REAL.createRun));
    const info = body.run.info;
    expect(info).toMatchObject({
      experiment_id: eid,
      run_name: 'smoke-run-1',
      user_id: 'root',
      status: 'RUNNING',
      start_time: startTime,
      lifecycle_stage: 'active',
      artifact_uri: `mlflow-artifacts:/${eid}/${info.run_id}/artifacts`,
    });
    expect(info.run_id).toMatch(/^[0-9a-f]{32}$/);
    expect(info.run_uuid).toBe(info.run_id);
    const client = await ok('POST', 'runs/create', { experiment_id: eid, user_id: 'unknown', run_name: 'c' });
    expect(client.run.data.tags).toEqual([{ key: 'mlflow.runName', value: 'c' }]);
    const missing = await call('POST', 'runs/create', { experiment_id: '987654321' });
    expect(missing.status).toBe(404);
  });

  it('logs metrics, params and tags and gets the run with the real server shape', async () => {
    const eid = await newExperiment('get');
    const runId = await newRun(eid, { run_name: 'smoke-run-1', user_id: 'root' });
    const t0 = Date.now();
    // The 2.12 client sends run_id and run_uuid; int64 fields may also arrive as strings.
    const ids = { run_id: runId, run_uuid: runId };
    expect(
      await ok('POST', 'runs/log-metric', { ...ids, key: 'acc', value: 0.5, timestamp: t0, step: 0 }),
    ).toEqual({});
    expect(
      await ok('POST', 'runs/log-metric', {
        ...ids,
        key: 'acc',
        value: '0.75',
        timestamp: String(t0 + 7),
        step: '1',
      }),
    ).toEqual({});
    expect(await ok('POST', 'runs/log-parameter', { ...ids, key: 'lr', value: '0.01' })).toEqual({});
    expect(await ok('POST', 'runs/set-tag', { ...ids, key: 'stage', value: 'smoke' })).toEqual({});
    const updated = await ok('POST', 'runs/update', { ...ids, status: 'FINISHED', end_time: t0 + 100 });
    expect(shape(updated)).toEqual(shape(REAL.updateRun));
    expect(updated.run_info).toMatchObject({ status: 'FINISHED', end_time: t0 + 100 });
    const got = await ok('GET', 'runs/get', ids);
    expect(shape(got)).toEqual(shape(REAL.getRun));
    expect(got.run.data.metrics).toEqual([{ key: 'acc', value: 0.75, timestamp: t0 + 7, step: 1 }]);
    expect(got.run.data.params).toEqual([{ key: 'lr', value: '0.01' }]);
    expect(got.run.data.tags).toEqual(
      expect.arrayContaining([
        { key: 'stage', value: 'smoke' },
        { key: 'mlflow.runName', value: 'smoke-run-1' },
      ]),
    );
    expect((await ok('GET', 'runs/get', { run_uuid: runId })).run.info.run_id).toBe(runId);
  });

  it('answers a missing run with 404 RESOURCE_DOES_NOT_EXIST like MLflow', async () => {
    const res = await call('GET', 'runs/get', { run_id: '0'.repeat(32), run_uuid: '0'.repeat(32) });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(REAL.getRunMissing);
    const noId = await call('GET', 'runs/get');
    expect(noId.status).toBe(400);
    expect(noId.body).toEqual({
      error_code: 'INVALID_PARAMETER_VALUE',
      message:
        "Missing value for required parameter 'run_id'. See the API docs for more information about request parameters.",
    });
    const del = await call('POST', 'runs/delete', { run_id: '0'.repeat(32) });
    expect(del.status).toBe(404);
  });

  it('renames via update and keeps end_time unset on a status-only update', async () => {
    const eid = await newExperiment('upd');
    const runId = await newRun(eid, { run_name: 'before' });
    const renamed = await ok('POST', 'runs/update', { run_id: runId, run_name: 'after' });
    expect(renamed.run_info.run_name).toBe('after');
    const failed = await ok('POST', 'runs/update', { run_id: runId, status: 4 });
    expect(failed.run_info.status).toBe('FAILED');
    expect(failed.run_info).not.toHaveProperty('end_time');
    const got = await ok('GET', 'runs/get', { run_id: runId });
    expect(got.run.data.tags).toContainEqual({ key: 'mlflow.runName', value: 'after' });
    const bad = await call('POST', 'runs/update', { run_id: runId, status: 'DONE' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("'status'");
  });

  it('deletes and restores tags and runs', async () => {
    const eid = await newExperiment('del');
    const runId = await newRun(eid);
    await ok('POST', 'runs/set-tag', { run_id: runId, key: 'a', value: '1' });
    expect(await ok('POST', 'runs/delete-tag', { run_id: runId, key: 'a' })).toEqual({});
    const again = await call('POST', 'runs/delete-tag', { run_id: runId, key: 'a' });
    expect(again.status).toBe(404);
    expect(again.body.error_code).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await ok('POST', 'runs/delete', { run_id: runId })).toEqual({});
    expect((await ok('GET', 'runs/get', { run_id: runId })).run.info.lifecycle_stage).toBe('deleted');
    const refused = await call('POST', 'runs/log-metric', {
      run_id: runId,
      key: 'm',
      value: 1,
      timestamp: 1,
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    expect(await ok('POST', 'runs/restore', { run_id: runId })).toEqual({});
    expect(await ok('POST', 'runs/log-metric', { run_id: runId, key: 'm', value: 1, timestamp: 1 })).toEqual(
      {},
    );
  });

  it('logs a batch atomically and refuses changed or repeated params', async () => {
    const eid = await newExperiment('batch');
    const runId = await newRun(eid);
    const t0 = Date.now();
    const metrics = Array.from({ length: 800 }, (_, i) => ({
      key: `m${i % 8}`,
      value: i,
      timestamp: t0 + i,
      step: Math.floor(i / 8),
    }));
    const params = Array.from({ length: 100 }, (_, i) => ({ key: `p${i}`, value: `v${i}` }));
    const tags = Array.from({ length: 100 }, (_, i) => ({ key: `t${i}`, value: `tv${i}` }));
    expect(await ok('POST', 'runs/log-batch', { run_id: runId, metrics, params, tags })).toEqual({});
    const got = await ok('GET', 'runs/get', { run_id: runId });
    expect(got.run.data.metrics).toHaveLength(8);
    expect(got.run.data.params).toHaveLength(100);
    expect(await ok('POST', 'runs/log-batch', { run_id: runId })).toEqual({});
    const changed = await call('POST', 'runs/log-batch', {
      run_id: runId,
      params: [{ key: 'p1', value: 'x' }],
    });
    expect(changed.status).toBe(400);
    expect(changed.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    const repeated = await call('POST', 'runs/log-batch', {
      run_id: runId,
      params: [
        { key: 'q', value: '1' },
        { key: 'q', value: '1' },
      ],
    });
    expect(repeated.status).toBe(400);
    expect(repeated.body.message).toContain('Duplicate parameter keys');
    const badMetric = await call('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'k', value: 1 }],
    });
    expect(badMetric.status).toBe(400);
    expect(badMetric.body.message).toContain("'metrics[0].timestamp'");
    expect((await ok('GET', 'runs/get', { run_id: runId })).run.data.params).toHaveLength(100);
  });

  it('logs dataset inputs and returns them on get and search', async () => {
    const eid = await newExperiment('inputs');
    const runId = await newRun(eid);
    const dataset = {
      name: 'ds',
      digest: 'abc123',
      source_type: 'local',
      source: '{"uri": "x"}',
      schema: '{}',
    };
    const datasets = [{ tags: [{ key: 'mlflow.data.context', value: 'training' }], dataset }];
    expect(await ok('POST', 'runs/log-inputs', { run_id: runId, datasets })).toEqual({});
    const got = await ok('GET', 'runs/get', { run_id: runId });
    expect(got.run.inputs).toEqual({ dataset_inputs: datasets });
    const found = await ok('POST', 'runs/search', { experiment_ids: [eid] });
    expect(found.runs[0].inputs).toEqual({ dataset_inputs: datasets });
    const missing = await call('POST', 'runs/log-inputs', { run_id: runId });
    expect(missing.status).toBe(400);
    expect(missing.body.message).toContain("'datasets'");
  });
});

describe('MLflow log-model', () => {
  it('appends each logged model to the mlflow.log-model.history tag', async () => {
    const eid = await newExperiment('log-model');
    const runId = await newRun(eid);
    const model = (path: string) => ({
      run_id: runId,
      artifact_path: path,
      utc_time_created: '2026-11-27 00:00:00.000000',
      flavors: { python_function: { loader_module: 'mlflow.sklearn' } },
    });
    for (const path of ['model', 'model2']) {
      const body = { run_id: runId, model_json: JSON.stringify(model(path)) };
      expect(await ok('POST', 'runs/log-model', body)).toEqual({});
    }
    const got = await ok('GET', 'runs/get', { run_id: runId });
    const tag = got.run.data.tags.find((t: { key: string }) => t.key === 'mlflow.log-model.history');
    expect(JSON.parse(tag.value)).toEqual([model('model'), model('model2')]);
  });

  it('rejects malformed or incomplete model json naming the field', async () => {
    const eid = await newExperiment('log-model-bad');
    const runId = await newRun(eid);
    for (const model_json of ['{not json', '[1]', JSON.stringify({ run_id: runId, artifact_path: 'm' })]) {
      const res = await call('POST', 'runs/log-model', { run_id: runId, model_json });
      expect(res.status).toBe(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
      expect(res.body.message).toMatch(/model/i);
    }
    const unknown = await call('POST', 'runs/log-model', {
      run_id: 'f'.repeat(32),
      model_json: JSON.stringify({ run_id: 'x', artifact_path: 'm', utc_time_created: 't', flavors: {} }),
    });
    expect(unknown.status).toBe(404);
  });
});

describe('MLflow metric history', () => {
  it('returns the whole history in one page with the real server shape, ignoring max_results', async () => {
    const eid = await newExperiment('hist');
    const runId = await newRun(eid);
    const t0 = Date.now();
    const metrics = Array.from({ length: 30 }, (_, i) => ({
      key: 'acc',
      value: i / 4,
      timestamp: t0 + i,
      step: i,
    }));
    await ok('POST', 'runs/log-batch', { run_id: runId, metrics });
    const body = await ok('GET', 'metrics/get-history', {
      run_id: runId,
      run_uuid: runId,
      metric_key: 'acc',
      max_results: 10,
    });
    expect(shape(body)).toEqual(shape(REAL.metricHistory));
    expect(body).not.toHaveProperty('next_page_token');
    expect(body.metrics).toEqual(metrics);
  });

  it('answers {} for an unknown key and, like MLflow, for an unknown run', async () => {
    const runId = await newRun(await newExperiment('hist0'));
    expect(await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: 'nope' })).toEqual({});
    expect(await ok('GET', 'metrics/get-history', { run_id: '0'.repeat(32), metric_key: 'm' })).toEqual({});
    const noKey = await call('GET', 'metrics/get-history', { run_id: runId });
    expect(noKey.status).toBe(400);
    expect(noKey.body.message).toContain("'metric_key'");
  });

  it('round-trips NaN and infinities through log-metric, log-batch, history, get and search', async () => {
    const eid = await newExperiment('naninf');
    const runId = await newRun(eid);
    const t0 = Date.now();
    for (const [key, value] of [
      ['nan', 'NaN'],
      ['pinf', 'Infinity'],
      ['ninf', '-Infinity'],
    ]) {
      await ok('POST', 'runs/log-metric', { run_id: runId, key, value, timestamp: t0, step: 0 });
    }
    await ok('POST', 'runs/log-batch', {
      run_id: runId,
      metrics: [
        { key: 'bnan', value: 'NaN', timestamp: t0, step: 0 },
        { key: 'bnan', value: 1, timestamp: t0, step: 1 },
      ],
    });
    const history = async (key: string): Promise<unknown[]> =>
      (
        (await ok('GET', 'metrics/get-history', { run_id: runId, metric_key: key })).metrics as {
          value: unknown;
        }[]
      ).map((m) => m.value);
    expect(await history('nan')).toEqual(['NaN']);
    expect(await history('pinf')).toEqual(['Infinity']);
    expect(await history('ninf')).toEqual(['-Infinity']);
    expect(await history('bnan')).toEqual(['NaN', 1]);
    const latest = async (body: { data: { metrics: { key: string; value: unknown }[] } }): Promise<unknown> =>
      Object.fromEntries(body.data.metrics.map((m) => [m.key, m.value]));
    const expected = { nan: 'NaN', pinf: 'Infinity', ninf: '-Infinity', bnan: 1 };
    expect(await latest((await ok('GET', 'runs/get', { run_id: runId })).run)).toEqual(expected);
    expect(await latest((await ok('POST', 'runs/search', { experiment_ids: [eid] })).runs[0])).toEqual(
      expected,
    );
  });
});

describe('MLflow run search', () => {
  async function fixture(): Promise<{ eid: string; ids: string[] }> {
    const eid = await newExperiment('search');
    const ids: string[] = [];
    const t0 = Date.now();
    for (const [i, acc] of [0.9, 0.7, 0.95, 0.3, 0.6].entries()) {
      const runId = await newRun(eid, { start_time: t0 + i, tags: [{ key: 'grp', value: 'b' }] });
      await ok('POST', 'runs/log-batch', {
        run_id: runId,
        metrics: [{ key: 'acc', value: acc, timestamp: t0, step: 0 }],
        params: [{ key: 'lr', value: i === 2 ? '0.1' : '0.01' }],
      });
      await ok('POST', 'runs/update', { run_id: runId, status: 'FINISHED', end_time: t0 + 50 });
      ids.push(runId);
    }
    return { eid, ids };
  }

  it('answers pages like the real server: a token whenever the page is full, then {}', async () => {
    const { eid, ids } = await fixture();
    const request = {
      experiment_ids: [eid],
      run_view_type: 'ACTIVE_ONLY',
      filter: '',
      order_by: ['metrics.acc DESC'],
    };
    const p1 = await ok('POST', 'runs/search', { ...request, max_results: 2 });
    expect(shape(p1)).toEqual(shape(REAL.searchRunsPage));
    const seen: string[] = [];
    let page = p1;
    for (let i = 0; i < 5 && page.runs; i++) {
      seen.push(...page.runs.map((r: { info: { run_id: string } }) => r.info.run_id));
      if (!page.next_page_token) break;
      page = await ok('POST', 'runs/search', {
        ...request,
        max_results: 2,
        page_token: page.next_page_token,
      });
    }
    expect(seen).toEqual([ids[2], ids[0], ids[1], ids[4], ids[3]]);
    const filtered = { ...request, filter: "params.lr = '0.01' and metrics.acc > 0.5" };
    const full = await ok('POST', 'runs/search', { ...filtered, max_results: 3 });
    expect(full.runs).toHaveLength(3);
    expect(typeof full.next_page_token).toBe('string');
    const after = await ok('POST', 'runs/search', {
      ...filtered,
      max_results: 3,
      page_token: full.next_page_token,
    });
    expect(after).toEqual({});
    const all = await ok('POST', 'runs/search', { experiment_ids: [eid], max_results: 100 });
    expect(all.runs).toHaveLength(5);
    expect(all).not.toHaveProperty('next_page_token');
  });

  it('filters by view type and refuses bad filters and tokens', async () => {
    const { eid, ids } = await fixture();
    await ok('POST', 'runs/delete', { run_id: ids[0] });
    const deleted = await ok('POST', 'runs/search', { experiment_ids: [eid], run_view_type: 'DELETED_ONLY' });
    expect(deleted.runs.map((r: { info: { run_id: string } }) => r.info.run_id)).toEqual([ids[0]]);
    expect((await ok('POST', 'runs/search', { experiment_ids: [eid], run_view_type: 3 })).runs).toHaveLength(
      5,
    );
    expect(await ok('POST', 'runs/search', { experiment_ids: [eid], filter: "params.lr = 'nope'" })).toEqual(
      {},
    );
    for (const bad of [
      { experiment_ids: [eid], filter: 'metrics.acc >> 1' },
      { experiment_ids: [eid], page_token: 'not-a-token' },
      { experiment_ids: eid },
      { experiment_ids: [eid], max_results: 50001 },
    ]) {
      const res = await call('POST', 'runs/search', bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE');
    }
  });
});
