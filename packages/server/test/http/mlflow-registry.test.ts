/**
 * MLflow model-registry endpoints end to end (real SQLite platform): the smoke sequence the real
 * MLflow 2.12.2 client runs (ENDPOINTS.md rows 70-89) compared with the bodies a real MLflow server
 * answered (/work/shared/bench/mlflow-api/results/endpoints_with_bodies.json; copied here so the
 * suite is self-contained), then every other endpoint, its errors, search and pagination, and the
 * `models:/name@alias` download over a real socket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linearRegressorOnnx } from '../helpers/onnx-models.js';
import {
  mlflowApi,
  queryOf,
  uniqueName as name,
  type MlflowAnswer,
  type MlflowMethod,
} from '../helpers/mlflow-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/** Responses of the real MLflow 2.12.2 server for the smoke sequence. */
const REAL = {
  createRegisteredModel: {
    registered_model: {
      name: 'smoke-model-4a772fa726',
      creation_timestamp: 1795737582122,
      last_updated_timestamp: 1795737582122,
      description: 'smoke model',
      tags: [{ key: 'k', value: 'v' }],
    },
  },
  duplicate: {
    error_code: 'RESOURCE_ALREADY_EXISTS',
    message: 'Registered Model (name=smoke-model-4a772fa726) already exists.',
  },
  createModelVersion: {
    model_version: {
      name: 'smoke-model-4a772fa726',
      version: '1',
      creation_timestamp: 1795737582136,
      last_updated_timestamp: 1795737582136,
      current_stage: 'None',
      description: 'v1',
      source: 'runs:/56a116e22a024a0ca755a1df66bd7c86/model',
      run_id: '56a116e22a024a0ca755a1df66bd7c86',
      status: 'READY',
      tags: [{ key: 't', value: '1' }],
      run_link: '',
    },
  },
  createModelVersion2: {
    model_version: {
      name: 'smoke-model-4a772fa726',
      version: '2',
      creation_timestamp: 1795737582145,
      last_updated_timestamp: 1795737582145,
      current_stage: 'None',
      description: '',
      source: 'mlflow-artifacts:/1/56a116e22a024a0ca755a1df66bd7c86/artifacts/model',
      run_id: '56a116e22a024a0ca755a1df66bd7c86',
      status: 'READY',
      run_link: '',
    },
  },
  getByAlias: {
    model_version: {
      name: 'smoke-model-4a772fa726',
      version: '1',
      creation_timestamp: 1795737582136,
      last_updated_timestamp: 1795737582136,
      current_stage: 'None',
      description: 'v1',
      source: 'runs:/56a116e22a024a0ca755a1df66bd7c86/model',
      run_id: '56a116e22a024a0ca755a1df66bd7c86',
      status: 'READY',
      tags: [{ key: 't', value: '1' }],
      run_link: '',
      aliases: ['champion'],
    },
  },
  getRegisteredModel: {
    registered_model: {
      name: 'smoke-model-4a772fa726',
      creation_timestamp: 1795737582122,
      last_updated_timestamp: 1795737582164,
      description: 'smoke model',
      latest_versions: [
        {
          name: 'smoke-model-4a772fa726',
          version: '3',
          creation_timestamp: 1795737582164,
          last_updated_timestamp: 1795737582164,
          current_stage: 'None',
          description: '',
          source: 'mlflow-artifacts:/1/0031e04f08534ebcb4dc56eb3d7db914/artifacts/model',
          run_id: '0031e04f08534ebcb4dc56eb3d7db914',
          status: 'READY',
          run_link: '',
        },
      ],
      tags: [{ key: 'k', value: 'v' }],
      aliases: [
        { alias: 'challenger', version: '3' },
        { alias: 'champion', version: '2' },
      ],
    },
  },
  downloadUri: { artifact_uri: 'mlflow-artifacts:/1/56a116e22a024a0ca755a1df66bd7c86/artifacts/model' },
  aliasDeleted: {
    error_code: 'INVALID_PARAMETER_VALUE',
    message: 'Registered model alias challenger not found.',
  },
};

/**
 * Keys Slipway adds to MLflow's messages on purpose (docs/mlflow-compat.md): who registered a
 * version, its package and contract, and aliases on versions in searches and latest_versions.
 */
const EXTRA_KEYS = new Set(['user_id', 'slipway', 'aliases']);

/**
 * The structure of a JSON value with key order kept (MLflow prints fields in proto order): objects
 * as `[key, shape]` pairs, arrays element by element, primitives by type. `extras` keys are dropped.
 */
function ordered(value: unknown, extras: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(value)) return value.map((v) => ordered(v, extras));
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !extras.has(k))
      .map(([k, v]) => [k, ordered(v, extras)]);
  }
  return typeof value;
}

let platform: TestPlatform;
const { call, ok, fails } = mlflowApi(() => platform.app);

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform.close();
});

async function newExperiment(): Promise<string> {
  return (await ok('POST', 'experiments/create', { name: name('reg-exp') })).experiment_id as string;
}

async function newRun(experimentId: string): Promise<string> {
  const body = await ok('POST', 'runs/create', { experiment_id: experimentId, user_id: 'unknown' });
  return body.run.info.run_id as string;
}

/** Uploads one file through the proxied-artifact API, as `log_artifact` does. */
async function upload(path: string, bytes: Buffer | Uint8Array): Promise<void> {
  const res = await platform.app.inject({
    method: 'PUT',
    url: `/api/2.0/mlflow-artifacts/artifacts/${path}`,
    payload: Buffer.from(bytes),
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.statusCode, res.body).toBe(200);
}

/** An MLflow signature column list as MLmodel stores it (a JSON string inside the YAML). */
function columns(...cols: { name: string; type: string }[]): string {
  return JSON.stringify(cols.map((c) => ({ type: c.type, name: c.name, required: true })));
}

/** An MLmodel with a python_function flavor and a column signature (no model file needed). */
function pyfuncMlmodel(inputs: string, outputs: string): string {
  return [
    'artifact_path: model',
    'flavors:',
    '  python_function:',
    '    loader_module: mlflow.pyfunc.model',
    '    python_version: 3.11.2',
    'mlflow_version: 2.12.2',
    'signature:',
    `  inputs: '${inputs}'`,
    `  outputs: '${outputs}'`,
    '',
  ].join('\n');
}

/** An MLmodel for an ONNX file with a tensor signature matching `linearRegressorOnnx([a, b], c)`. */
const ONNX_MLMODEL = [
  'artifact_path: model',
  'flavors:',
  '  onnx:',
  '    data: model.onnx',
  '    onnx_version: 1.16.0',
  '  python_function:',
  '    data: model.onnx',
  '    loader_module: mlflow.onnx',
  'mlflow_version: 2.12.2',
  'signature:',
  `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}, "name": "x"}]'`,
  `  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 1]}, "name": "y"}]'`,
  '',
].join('\n');

/** A logged model: the files uploaded under `<run artifacts>/model`. */
interface LoggedModel {
  experimentId: string;
  runId: string;
  files: Map<string, Buffer>;
}

/** Logs an ONNX model package to a fresh run, as `mlflow.onnx.log_model` would upload it. */
async function logOnnxModel(experimentId: string, weights: number[] = [2, 3]): Promise<LoggedModel> {
  const runId = await newRun(experimentId);
  const files = new Map<string, Buffer>([
    ['MLmodel', Buffer.from(ONNX_MLMODEL)],
    ['model.onnx', Buffer.from(linearRegressorOnnx(weights, 1))],
    ['requirements.txt', Buffer.from('onnx==1.16.0\nonnxruntime==1.17.3\n')],
    ['metadata/notes.txt', Buffer.from('nested file\n')],
  ]);
  for (const [path, bytes] of files) await upload(`${experimentId}/${runId}/artifacts/model/${path}`, bytes);
  return { experimentId, runId, files };
}

/** Logs an MLmodel-only package (python_function flavor + signature) to a fresh run. */
async function logPyfuncModel(experimentId: string, mlmodel: string): Promise<LoggedModel> {
  const runId = await newRun(experimentId);
  const files = new Map([['MLmodel', Buffer.from(mlmodel)]]);
  await upload(`${experimentId}/${runId}/artifacts/model/MLmodel`, files.get('MLmodel') as Buffer);
  return { experimentId, runId, files };
}

/** Lists `dir` recursively through the proxied-artifact API, as the client's download walks it. */
async function listTree(dir: string): Promise<string[]> {
  const res = await platform.app.inject({
    method: 'GET',
    url: `/api/2.0/mlflow-artifacts/artifacts?${new URLSearchParams({ path: dir }).toString()}`,
  });
  expect(res.statusCode).toBe(200);
  const files = (res.json() as { files?: { path: string; is_dir: boolean }[] }).files ?? [];
  const out: string[] = [];
  for (const f of files) {
    if (f.is_dir) for (const sub of await listTree(`${dir}/${f.path}`)) out.push(`${f.path}/${sub}`);
    else out.push(f.path);
  }
  return out.sort();
}

async function downloadFile(path: string): Promise<Buffer> {
  const res = await platform.app.inject({
    method: 'GET',
    url: `/api/2.0/mlflow-artifacts/artifacts/${path}`,
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.rawPayload;
}

/** The store path of an `mlflow-artifacts:/` URI. */
function storePath(uri: string): string {
  expect(uri.startsWith('mlflow-artifacts:/')).toBe(true);
  return uri.slice('mlflow-artifacts:/'.length).replace(/^\/+/, '');
}

/** Creates a registered model and returns its name. */
async function newModel(extra: Record<string, unknown> = {}): Promise<string> {
  const modelName = name('model');
  await ok('POST', 'registered-models/create', { name: modelName, ...extra });
  return modelName;
}

describe('the MLflow 2.12.2 client smoke sequence (ENDPOINTS.md rows 70-89)', () => {
  const state = {} as { model: string; run1: LoggedModel; run2: LoggedModel; eid: string };

  beforeAll(async () => {
    state.eid = await newExperiment();
    state.run1 = await logOnnxModel(state.eid);
    state.run2 = await logOnnxModel(state.eid, [4, 5]);
    state.model = name('smoke-model');
  });

  it('create_registered_model answers the registered model with tags and description', async () => {
    const body = await ok('POST', 'registered-models/create', {
      name: state.model,
      tags: [{ key: 'k', value: 'v' }],
      description: 'smoke model',
    });
    expect(ordered(body)).toEqual(ordered(REAL.createRegisteredModel));
    const rm = body.registered_model;
    expect(rm.name).toBe(state.model);
    expect(rm.description).toBe('smoke model');
    expect(rm.tags).toEqual([{ key: 'k', value: 'v' }]);
    expect(rm.last_updated_timestamp).toBe(rm.creation_timestamp);
  });

  it('create_registered_model(duplicate) is 400 RESOURCE_ALREADY_EXISTS naming the model', async () => {
    const message = await fails(
      'POST',
      'registered-models/create',
      { name: state.model },
      400,
      'RESOURCE_ALREADY_EXISTS',
    );
    expect(message).toContain(`Registered Model (name=${state.model}) already exists`);
  });

  it('create_model_version from runs:/<run>/model with tags and description', async () => {
    const source = `runs:/${state.run1.runId}/model`;
    const body = await ok('POST', 'model-versions/create', {
      name: state.model,
      source,
      run_id: state.run1.runId,
      tags: [{ key: 't', value: '1' }],
      description: 'v1',
    });
    expect(ordered(body, EXTRA_KEYS)).toEqual(ordered(REAL.createModelVersion));
    const mv = body.model_version;
    expect(mv).toMatchObject({
      name: state.model,
      version: '1',
      current_stage: 'None',
      description: 'v1',
      source,
      run_id: state.run1.runId,
      status: 'READY',
      run_link: '',
      tags: [{ key: 't', value: '1' }],
    });
    expect(mv.slipway.package.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(mv.slipway.package.runtime).toBe('onnx');
    expect(mv.slipway.contract.inputs.fields[0].name).toBe('x');
  });

  it('create_model_version(2) from mlflow-artifacts:/ without tags: description and run_link are ""', async () => {
    const source = `mlflow-artifacts:/${state.eid}/${state.run1.runId}/artifacts/model`;
    const body = await ok('POST', 'model-versions/create', {
      name: state.model,
      source,
      run_id: state.run1.runId,
    });
    expect(ordered(body, EXTRA_KEYS)).toEqual(ordered(REAL.createModelVersion2));
    expect(body.model_version.version).toBe('2');
    expect(body.model_version.description).toBe('');
    expect(body.model_version.tags).toBeUndefined();
  });

  it('mlflow.register_model: create answers 400, runs/get, then the version is created', async () => {
    await fails('POST', 'registered-models/create', { name: state.model }, 400, 'RESOURCE_ALREADY_EXISTS');
    const run = await ok('GET', 'runs/get', { run_id: state.run2.runId, run_uuid: state.run2.runId });
    const source = `${run.run.info.artifact_uri as string}/model`;
    const body = await ok('POST', 'model-versions/create', {
      name: state.model,
      source,
      run_id: state.run2.runId,
    });
    expect(body.model_version.version).toBe('3');
    expect(body.model_version.source).toBe(source);
  });

  it('set_registered_model_alias answers {} and get_model_version_by_alias carries the alias', async () => {
    const set = await call('POST', 'registered-models/alias', {
      name: state.model,
      alias: 'champion',
      version: '1',
    });
    expect(set.status).toBe(200);
    expect(set.text).toBe('{}');
    const body = await ok('GET', 'registered-models/alias', { name: state.model, alias: 'champion' });
    expect(ordered(body, new Set(['user_id', 'slipway']))).toEqual(ordered(REAL.getByAlias));
    expect(body.model_version.version).toBe('1');
    expect(body.model_version.aliases).toEqual(['champion']);
  });

  it('reassigning an alias moves it; a second alias points elsewhere', async () => {
    for (const [alias, version] of [
      ['champion', '2'],
      ['challenger', '3'],
    ] as const) {
      const res = await call('POST', 'registered-models/alias', { name: state.model, alias, version });
      expect(res.status, res.text).toBe(200);
      expect(res.text).toBe('{}');
    }
    const body = await ok('GET', 'registered-models/alias', { name: state.model, alias: 'champion' });
    expect(body.model_version.version).toBe('2');
    expect(body.model_version.aliases).toEqual(['champion']);
  });

  it('get_registered_model: latest version per stage, tags and aliases sorted as MLflow', async () => {
    const body = await ok('GET', 'registered-models/get', { name: state.model });
    expect(ordered(body, EXTRA_KEYS)).toEqual(ordered(REAL.getRegisteredModel, EXTRA_KEYS));
    const rm = body.registered_model;
    expect(rm.latest_versions.map((v: { version: string }) => v.version)).toEqual(['3']);
    expect(rm.aliases).toEqual(REAL.getRegisteredModel.registered_model.aliases);
    expect(rm.last_updated_timestamp).toBeGreaterThanOrEqual(rm.creation_timestamp);
  });

  it('get_model_version answers the version with its tags', async () => {
    const body = await ok('GET', 'model-versions/get', { name: state.model, version: '1' });
    expect(ordered(body, EXTRA_KEYS)).toEqual(ordered(REAL.createModelVersion));
    expect(body.model_version.tags).toEqual([{ key: 't', value: '1' }]);
  });

  it('search_model_versions by name: newest first, no token on a short page', async () => {
    const body = await ok('GET', 'model-versions/search', {
      filter: `name = '${state.model}'`,
      max_results: '10000',
    });
    expect(Object.keys(body)).toEqual(['model_versions']);
    expect(body.model_versions.map((v: { version: string }) => v.version)).toEqual(['3', '2', '1']);
    for (const v of body.model_versions) expect(v.slipway).toBeUndefined();
    expect(ordered(body.model_versions[1], EXTRA_KEYS)).toEqual(
      ordered(REAL.createModelVersion2.model_version),
    );
  });

  it('download_artifacts(models:/name@alias): alias, get-download-uri, list, files with identical bytes', async () => {
    const byAlias = await ok('GET', 'registered-models/alias', { name: state.model, alias: 'champion' });
    const uriBody = await ok('GET', 'model-versions/get-download-uri', {
      name: state.model,
      version: byAlias.model_version.version,
    });
    expect(ordered(uriBody)).toEqual(ordered(REAL.downloadUri));
    const root = storePath(uriBody.artifact_uri);
    const paths = await listTree(root);
    expect(paths).toEqual([...state.run1.files.keys()].sort());
    for (const path of paths) {
      expect((await downloadFile(`${root}/${path}`)).equals(state.run1.files.get(path) as Buffer), path).toBe(
        true,
      );
    }
  });

  it('delete_registered_model_alias takes a JSON body; the deleted alias is then 400, not 404', async () => {
    const res = await call('DELETE', 'registered-models/alias', { name: state.model, alias: 'challenger' });
    expect(res.status, res.text).toBe(200);
    expect(res.text).toBe('{}');
    const message = await fails(
      'GET',
      'registered-models/alias',
      { name: state.model, alias: 'challenger' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(message.startsWith(REAL.aliasDeleted.message.slice(0, -1))).toBe(true);
    const rm = await ok('GET', 'registered-models/get', { name: state.model });
    expect(rm.registered_model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
  });
});

describe('registered models', () => {
  it('a model created with only a name has no description, tags, aliases or versions', async () => {
    const modelName = name('bare');
    const body = await ok('POST', 'registered-models/create', { name: modelName });
    expect(Object.keys(body.registered_model)).toEqual([
      'name',
      'creation_timestamp',
      'last_updated_timestamp',
    ]);
    const got = await ok('GET', 'registered-models/get', { name: modelName });
    expect(got).toEqual(body);
  });

  it('get of an unknown model is 404 RESOURCE_DOES_NOT_EXIST naming it', async () => {
    const message = await fails(
      'GET',
      'registered-models/get',
      { name: 'no-such-model' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(message).toBe('Registered Model with name=no-such-model not found');
  });

  it('a missing required field is MLflow`s 400 naming the parameter', async () => {
    const message = await fails('POST', 'registered-models/create', {}, 400, 'INVALID_PARAMETER_VALUE');
    expect(message).toContain("Missing value for required parameter 'name'");
    const rename = await fails(
      'POST',
      'registered-models/rename',
      { name: 'x' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(rename).toContain("'new_name'");
    const typed = await fails(
      'POST',
      'registered-models/create',
      { name: 'x', tags: 'k=v' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(typed).toContain("parameter 'tags'");
  });

  it('rename moves versions and aliases; the old name is gone; a taken name is RESOURCE_ALREADY_EXISTS', async () => {
    const eid = await newExperiment();
    const logged = await logOnnxModel(eid);
    const modelName = await newModel();
    await ok('POST', 'model-versions/create', { name: modelName, source: `runs:/${logged.runId}/model` });
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'prod', version: '1' });
    const newName = name('renamed');
    const body = await ok('POST', 'registered-models/rename', { name: modelName, new_name: newName });
    expect(body.registered_model.name).toBe(newName);
    expect(body.registered_model.aliases).toEqual([{ alias: 'prod', version: '1' }]);
    await fails('GET', 'registered-models/get', { name: modelName }, 404, 'RESOURCE_DOES_NOT_EXIST');
    const byAlias = await ok('GET', 'registered-models/alias', { name: newName, alias: 'prod' });
    expect(byAlias.model_version.name).toBe(newName);
    const other = await newModel();
    await fails(
      'POST',
      'registered-models/rename',
      { name: other, new_name: newName },
      400,
      'RESOURCE_ALREADY_EXISTS',
    );
  });

  it('update is PATCH and replaces the description; POST is not an endpoint', async () => {
    const modelName = await newModel({ description: 'old' });
    const body = await ok('PATCH', 'registered-models/update', { name: modelName, description: 'new' });
    expect(body.registered_model.description).toBe('new');
    const wrong = await call('POST', 'registered-models/update', { name: modelName, description: 'x' });
    expect(wrong.status).toBe(404);
    expect(wrong.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    const cleared = await ok('PATCH', 'registered-models/update', { name: modelName });
    expect(cleared.registered_model.description).toBeUndefined();
  });

  it('delete is DELETE with a JSON body (or a query string); the model is then 404', async () => {
    const first = await newModel();
    expect((await ok('DELETE', 'registered-models/delete', { name: first })) as unknown).toEqual({});
    await fails('GET', 'registered-models/get', { name: first }, 404, 'RESOURCE_DOES_NOT_EXIST');
    const second = await newModel();
    const res = await platform.app.inject({
      method: 'DELETE',
      url: `/api/2.0/mlflow/registered-models/delete?${queryOf({ name: second })}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    await fails('GET', 'registered-models/get', { name: second }, 404, 'RESOURCE_DOES_NOT_EXIST');
    await fails('DELETE', 'registered-models/delete', { name: second }, 404, 'RESOURCE_DOES_NOT_EXIST');
  });

  it('set-tag upserts, delete-tag removes; deleting an unset tag is a no-op as in MLflow', async () => {
    const modelName = await newModel();
    await ok('POST', 'registered-models/set-tag', { name: modelName, key: 'team', value: 'risk' });
    await ok('POST', 'registered-models/set-tag', { name: modelName, key: 'team', value: 'fraud' });
    await ok('POST', 'registered-models/set-tag', { name: modelName, key: 'empty' });
    let rm = (await ok('GET', 'registered-models/get', { name: modelName })).registered_model;
    // Tags come back sorted by key (the store's order); MLflow's SQL store is unordered.
    expect(rm.tags).toEqual([
      { key: 'empty', value: '' },
      { key: 'team', value: 'fraud' },
    ]);
    await ok('DELETE', 'registered-models/delete-tag', { name: modelName, key: 'team' });
    await ok('DELETE', 'registered-models/delete-tag', { name: modelName, key: 'team' });
    rm = (await ok('GET', 'registered-models/get', { name: modelName })).registered_model;
    expect(rm.tags).toEqual([{ key: 'empty', value: '' }]);
    await fails(
      'DELETE',
      'registered-models/delete-tag',
      { name: 'no-such-model', key: 'team' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    await fails(
      'POST',
      'registered-models/set-tag',
      { name: 'no-such-model', key: 'a', value: 'b' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  describe('search', () => {
    const prefix = `search-${process.pid}`;
    const names = ['a', 'b', 'c', 'd', 'e'].map((s) => `${prefix}-${s}`);

    beforeAll(async () => {
      for (const [i, n] of names.entries()) {
        await ok('POST', 'registered-models/create', {
          name: n,
          tags: [{ key: 'parity', value: i % 2 === 0 ? 'even' : 'odd' }],
        });
      }
    });

    it('filters by name LIKE and tags, ordered by name by default', async () => {
      const all = await ok('GET', 'registered-models/search', { filter: `name LIKE '${prefix}-%'` });
      expect(all.registered_models.map((m: { name: string }) => m.name)).toEqual(names);
      expect(all.next_page_token).toBeUndefined();
      const odd = await ok('GET', 'registered-models/search', {
        filter: `name LIKE '${prefix}-%' AND tags.parity = 'odd'`,
      });
      expect(odd.registered_models.map((m: { name: string }) => m.name)).toEqual([names[1], names[3]]);
    });

    it('orders by name DESC (order_by as a repeated query field)', async () => {
      const body = await ok('GET', 'registered-models/search', {
        filter: `name LIKE '${prefix}-%'`,
        order_by: ['name DESC'],
      });
      expect(body.registered_models.map((m: { name: string }) => m.name)).toEqual([...names].reverse());
    });

    it('pages with tokens; a full last page carries a token and the next page is {}', async () => {
      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      let last: MlflowAnswer | undefined;
      do {
        last = await call('GET', 'registered-models/search', {
          filter: `name LIKE '${prefix}-%'`,
          max_results: 1,
          ...(pageToken ? { page_token: pageToken } : {}),
        });
        expect(last.status).toBe(200);
        for (const m of last.body.registered_models ?? []) seen.push(m.name as string);
        pageToken = last.body.next_page_token as string | undefined;
        pages += 1;
      } while (pageToken);
      expect(seen).toEqual(names);
      expect(pages).toBe(names.length + 1);
      expect(last.text).toBe('{}');
    });

    it('an empty result is {}; a bad filter or max_results is 400', async () => {
      const none = await call('GET', 'registered-models/search', { filter: "name = 'nothing-like-this'" });
      expect(none.text).toBe('{}');
      await fails(
        'GET',
        'registered-models/search',
        { filter: 'name ==== x' },
        400,
        'INVALID_PARAMETER_VALUE',
      );
      await fails('GET', 'registered-models/search', { max_results: 'ten' }, 400, 'INVALID_PARAMETER_VALUE');
      await fails('GET', 'registered-models/search', { max_results: 5000 }, 400, 'INVALID_PARAMETER_VALUE');
    });
  });
});

describe('model versions', () => {
  let eid: string;
  let logged: LoggedModel;

  beforeAll(async () => {
    eid = await newExperiment();
    logged = await logOnnxModel(eid);
  });

  async function modelWithVersions(count: number): Promise<string> {
    const modelName = await newModel();
    for (let i = 0; i < count; i++) {
      await ok('POST', 'model-versions/create', {
        name: modelName,
        source: `runs:/${logged.runId}/model`,
        run_id: logged.runId,
      });
    }
    return modelName;
  }

  it('a version for an unknown model is 404 naming the model; an unknown run is 404', async () => {
    const message = await fails(
      'POST',
      'model-versions/create',
      { name: 'no-such-model', source: `runs:/${logged.runId}/model` },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(message).toContain('no-such-model');
    const modelName = await newModel();
    await fails(
      'POST',
      'model-versions/create',
      { name: modelName, source: 'runs:/0123456789abcdef0123456789abcdef/model' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    await fails('POST', 'model-versions/create', { name: modelName }, 400, 'INVALID_PARAMETER_VALUE');
  });

  it('a source outside the artifact store is recorded as given, with no package', async () => {
    const modelName = await newModel();
    const body = await ok('POST', 'model-versions/create', {
      name: modelName,
      source: 's3://bucket/models/fraud/1',
      run_link: 'https://ci.example/run/7',
    });
    expect(body.model_version.source).toBe('s3://bucket/models/fraud/1');
    expect(body.model_version.run_id).toBe('');
    expect(body.model_version.run_link).toBe('https://ci.example/run/7');
    expect(body.model_version.slipway).toBeUndefined();
    const uri = await ok('GET', 'model-versions/get-download-uri', { name: modelName, version: '1' });
    expect(uri).toEqual({ artifact_uri: 's3://bucket/models/fraud/1' });
  });

  it('an MLmodel-only package with a pyfunc signature registers with its column contract', async () => {
    const pyfunc = await logPyfuncModel(
      eid,
      pyfuncMlmodel(columns({ name: 'amount', type: 'double' }), columns({ name: 'score', type: 'double' })),
    );
    const modelName = await newModel();
    const body = await ok('POST', 'model-versions/create', {
      name: modelName,
      source: `mlflow-artifacts:/${eid}/${pyfunc.runId}/artifacts/model`,
      run_id: pyfunc.runId,
    });
    expect(body.model_version.slipway.package.runtime).toBe('python_function');
    expect(body.model_version.slipway.contract.inputs).toMatchObject({
      kind: 'columns',
      fields: [{ name: 'amount', type: 'float64' }],
    });
  });

  it('get of an unknown version is 404 naming model and version; bad version strings are 400', async () => {
    const modelName = await modelWithVersions(1);
    const message = await fails(
      'GET',
      'model-versions/get',
      { name: modelName, version: '9' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    expect(message).toBe(`Model Version (name=${modelName}, version=9) not found`);
    for (const version of ['abc', '0', '-1', 'v1', '1.5']) {
      await fails('GET', 'model-versions/get', { name: modelName, version }, 400, 'INVALID_PARAMETER_VALUE');
    }
    const missing = await fails(
      'GET',
      'model-versions/get',
      { name: modelName },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(missing).toContain("'version'");
    const typed = await fails(
      'PATCH',
      'model-versions/update',
      { name: modelName, version: true },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(typed).toContain("parameter 'version'");
  });

  it('update is PATCH: a description replaces, an absent one leaves it alone', async () => {
    const modelName = await modelWithVersions(1);
    const body = await ok('PATCH', 'model-versions/update', {
      name: modelName,
      version: '1',
      description: 'tuned',
    });
    expect(body.model_version.description).toBe('tuned');
    const again = await ok('PATCH', 'model-versions/update', { name: modelName, version: '1' });
    expect(again.model_version.description).toBe('tuned');
  });

  it('delete is DELETE; the version is then 404 and its aliases are gone', async () => {
    const modelName = await modelWithVersions(2);
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: '2' });
    await ok('DELETE', 'model-versions/delete', { name: modelName, version: '2' });
    await fails(
      'GET',
      'model-versions/get',
      { name: modelName, version: '2' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    await fails(
      'GET',
      'registered-models/alias',
      { name: modelName, alias: 'champion' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    const rm = (await ok('GET', 'registered-models/get', { name: modelName })).registered_model;
    expect(rm.aliases).toBeUndefined();
    await fails(
      'DELETE',
      'model-versions/delete',
      { name: modelName, version: '2' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('version tags: set, overwrite, delete, delete again (no-op); unknown version is 404', async () => {
    const modelName = await modelWithVersions(1);
    await ok('POST', 'model-versions/set-tag', { name: modelName, version: '1', key: 'k', value: 'a' });
    await ok('POST', 'model-versions/set-tag', { name: modelName, version: '1', key: 'k', value: 'b' });
    let mv = (await ok('GET', 'model-versions/get', { name: modelName, version: '1' })).model_version;
    expect(mv.tags).toEqual([{ key: 'k', value: 'b' }]);
    await ok('DELETE', 'model-versions/delete-tag', { name: modelName, version: '1', key: 'k' });
    await ok('DELETE', 'model-versions/delete-tag', { name: modelName, version: '1', key: 'k' });
    mv = (await ok('GET', 'model-versions/get', { name: modelName, version: '1' })).model_version;
    expect(mv.tags).toBeUndefined();
    await fails(
      'POST',
      'model-versions/set-tag',
      { name: modelName, version: '5', key: 'k', value: 'v' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    await fails(
      'DELETE',
      'model-versions/delete-tag',
      { name: modelName, version: '5', key: 'k' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('transition-stage moves stages (case-insensitive) and can archive the others', async () => {
    const modelName = await modelWithVersions(3);
    const staged = await ok('POST', 'model-versions/transition-stage', {
      name: modelName,
      version: '1',
      stage: 'production',
      archive_existing_versions: false,
    });
    expect(staged.model_version.current_stage).toBe('Production');
    await ok('POST', 'model-versions/transition-stage', {
      name: modelName,
      version: '2',
      stage: 'Production',
      archive_existing_versions: false,
    });
    const moved = await ok('POST', 'model-versions/transition-stage', {
      name: modelName,
      version: '3',
      stage: 'Production',
      archive_existing_versions: true,
    });
    expect(moved.model_version.current_stage).toBe('Production');
    const search = await ok('GET', 'model-versions/search', { filter: `name = '${modelName}'` });
    const stages = Object.fromEntries(
      search.model_versions.map((v: { version: string; current_stage: string }) => [
        v.version,
        v.current_stage,
      ]),
    );
    expect(stages).toEqual({ '1': 'Archived', '2': 'Archived', '3': 'Production' });
    const message = await fails(
      'POST',
      'model-versions/transition-stage',
      { name: modelName, version: '1', stage: 'Shipped', archive_existing_versions: false },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(message).toBe(
      'Invalid Model Version stage: Shipped. Value must be one of None, Staging, Production, Archived.',
    );
    await fails(
      'POST',
      'model-versions/transition-stage',
      { name: modelName, version: '1', stage: 'None', archive_existing_versions: true },
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('get-latest-versions: POST with a body and GET with a query, filtered by stages', async () => {
    const modelName = await modelWithVersions(3);
    await ok('POST', 'model-versions/transition-stage', {
      name: modelName,
      version: '1',
      stage: 'Staging',
      archive_existing_versions: false,
    });
    const all = await ok('POST', 'registered-models/get-latest-versions', { name: modelName });
    expect(all.model_versions.map((v: { version: string }) => v.version).sort()).toEqual(['1', '3']);
    const staging = await ok('GET', 'registered-models/get-latest-versions', {
      name: modelName,
      stages: 'staging',
    });
    expect(staging.model_versions.map((v: { version: string }) => v.version)).toEqual(['1']);
    const posted = await ok('POST', 'registered-models/get-latest-versions', {
      name: modelName,
      stages: ['None', 'Production'],
    });
    expect(posted.model_versions.map((v: { version: string }) => v.version)).toEqual(['3']);
    const none = await call('POST', 'registered-models/get-latest-versions', {
      name: modelName,
      stages: ['Archived'],
    });
    expect(none.text).toBe('{}');
    await fails(
      'GET',
      'registered-models/get-latest-versions',
      { name: 'no-such-model' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  describe('search', () => {
    let modelName: string;
    let otherRun: LoggedModel;

    beforeAll(async () => {
      modelName = await modelWithVersions(4);
      otherRun = await logOnnxModel(eid, [7, 8]);
      await ok('POST', 'model-versions/create', {
        name: modelName,
        source: `runs:/${otherRun.runId}/model`,
        run_id: otherRun.runId,
        tags: [{ key: 'flavor', value: 'onnx' }],
      });
    });

    it('filters by run_id, version_number and tags', async () => {
      const byRun = await ok('GET', 'model-versions/search', { filter: `run_id = '${otherRun.runId}'` });
      expect(byRun.model_versions.map((v: { version: string }) => v.version)).toEqual(['5']);
      const byNumber = await ok('GET', 'model-versions/search', {
        filter: `name = '${modelName}' AND version_number > 3`,
      });
      expect(byNumber.model_versions.map((v: { version: string }) => v.version)).toEqual(['5', '4']);
      const byTag = await ok('GET', 'model-versions/search', {
        filter: `name = '${modelName}' AND tags.flavor = 'onnx'`,
      });
      expect(byTag.model_versions.map((v: { version: string }) => v.version)).toEqual(['5']);
    });

    it('orders by version_number ASC and pages with tokens', async () => {
      const seen: string[] = [];
      let pageToken: string | undefined;
      let last: MlflowAnswer;
      do {
        last = await call('GET', 'model-versions/search', {
          filter: `name = '${modelName}'`,
          order_by: 'version_number ASC',
          max_results: 2,
          ...(pageToken ? { page_token: pageToken } : {}),
        });
        expect(last.status, last.text).toBe(200);
        for (const v of last.body.model_versions ?? []) seen.push(v.version as string);
        pageToken = last.body.next_page_token as string | undefined;
      } while (pageToken);
      expect(seen).toEqual(['1', '2', '3', '4', '5']);
    });

    it('refuses a bad filter, order_by, page token or max_results with 400', async () => {
      for (const fields of [
        { filter: 'flavor = 1' },
        { order_by: 'size DESC' },
        { page_token: 'not-a-token' },
        { max_results: 0 },
        { max_results: 200001 },
      ]) {
        await fails('GET', 'model-versions/search', fields, 400, 'INVALID_PARAMETER_VALUE');
      }
    });

    it('is GET only, as in MLflow', async () => {
      const res = await call('POST', 'model-versions/search', { filter: `name = '${modelName}'` });
      expect(res.status).toBe(404);
      expect(res.body.error_code).toBe('ENDPOINT_NOT_FOUND');
    });
  });
});

describe('aliases', () => {
  let eid: string;

  beforeAll(async () => {
    eid = await newExperiment();
  });

  async function pyfuncVersion(modelName: string, inputType: string): Promise<string> {
    const logged = await logPyfuncModel(
      eid,
      pyfuncMlmodel(columns({ name: 'amount', type: inputType }), columns({ name: 'score', type: 'double' })),
    );
    const body = await ok('POST', 'model-versions/create', {
      name: modelName,
      source: `runs:/${logged.runId}/model`,
      run_id: logged.runId,
    });
    return body.model_version.version as string;
  }

  it('setting an alias on an unknown version or model is 404; a bad alias name is 400', async () => {
    const modelName = await newModel();
    await pyfuncVersion(modelName, 'double');
    await fails(
      'POST',
      'registered-models/alias',
      { name: modelName, alias: 'champion', version: '4' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    await fails(
      'POST',
      'registered-models/alias',
      { name: 'no-such-model', alias: 'champion', version: '1' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
    for (const alias of ['latest', 'v3', 'bad alias']) {
      await fails(
        'POST',
        'registered-models/alias',
        { name: modelName, alias, version: '1' },
        400,
        'INVALID_PARAMETER_VALUE',
      );
    }
    await fails(
      'POST',
      'registered-models/alias',
      { name: modelName, version: '1' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('an alias of an unknown model is 400 like a missing alias; deleting an unset alias is a no-op', async () => {
    await fails(
      'GET',
      'registered-models/alias',
      { name: 'no-such-model', alias: 'champion' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    const modelName = await newModel();
    await ok('DELETE', 'registered-models/alias', { name: modelName, alias: 'champion' });
    await fails(
      'DELETE',
      'registered-models/alias',
      { name: 'no-such-model', alias: 'champion' },
      404,
      'RESOURCE_DOES_NOT_EXIST',
    );
  });

  it('DELETE alias also accepts its fields in the query string', async () => {
    const modelName = await newModel();
    await pyfuncVersion(modelName, 'double');
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: '1' });
    const res = await platform.app.inject({
      method: 'DELETE',
      url: `/api/2.0/mlflow/registered-models/alias?${queryOf({ name: modelName, alias: 'champion' })}`,
    });
    expect(res.statusCode, res.body).toBe(200);
    await fails(
      'GET',
      'registered-models/alias',
      { name: modelName, alias: 'champion' },
      400,
      'INVALID_PARAMETER_VALUE',
    );
  });

  it('a contract-breaking move is 400 listing the breaks; the model tag `none` turns the check off', async () => {
    const modelName = await newModel();
    const v1 = await pyfuncVersion(modelName, 'double');
    const v2 = await pyfuncVersion(modelName, 'string');
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: v1 });
    const message = await fails(
      'POST',
      'registered-models/alias',
      { name: modelName, alias: 'champion', version: v2 },
      400,
      'INVALID_PARAMETER_VALUE',
    );
    expect(message).toContain('inputs.amount');
    expect(message).toContain('slipway.contract_compatibility');
    expect(message).not.toContain('Pass force');
    const still = await ok('GET', 'registered-models/alias', { name: modelName, alias: 'champion' });
    expect(still.model_version.version).toBe(v1);

    await ok('POST', 'registered-models/set-tag', {
      name: modelName,
      key: 'slipway.contract_compatibility',
      value: 'none',
    });
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: v2 });
    const moved = await ok('GET', 'registered-models/alias', { name: modelName, alias: 'champion' });
    expect(moved.model_version.version).toBe(v2);
  });

  it('a compatible move (same contract) is allowed without any tag', async () => {
    const modelName = await newModel();
    const v1 = await pyfuncVersion(modelName, 'double');
    const v2 = await pyfuncVersion(modelName, 'double');
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: v1 });
    await ok('POST', 'registered-models/alias', { name: modelName, alias: 'champion', version: v2 });
    const got = await ok('GET', 'registered-models/get', { name: modelName });
    expect(got.registered_model.aliases).toEqual([{ alias: 'champion', version: v2 }]);
  });
});

describe('the /ajax-api/2.0 prefix (MLflow`s web UI)', () => {
  it('serves the same registry endpoints', async () => {
    const modelName = name('ajax');
    const created = await call('POST', 'registered-models/create', { name: modelName }, '/ajax-api/2.0');
    expect(created.status, created.text).toBe(200);
    const got = await call('GET', 'registered-models/get', { name: modelName }, '/ajax-api/2.0');
    expect(got.body.registered_model.name).toBe(modelName);
    const search = await call(
      'GET',
      'registered-models/search',
      { filter: `name = '${modelName}'` },
      '/ajax-api/2.0',
    );
    expect(search.body.registered_models).toHaveLength(1);
    const missing = await call(
      'GET',
      'registered-models/alias',
      { name: modelName, alias: 'x' },
      '/ajax-api/2.0',
    );
    expect(missing.status).toBe(400);
    await call('DELETE', 'registered-models/delete', { name: modelName }, '/ajax-api/2.0');
    const gone = await call('GET', 'registered-models/get', { name: modelName }, '/ajax-api/2.0');
    expect(gone.status).toBe(404);
  });
});

describe('over a real socket', () => {
  let server: TestPlatform;

  beforeAll(async () => {
    server = await startTestPlatform({ listen: true });
  });

  afterAll(async () => {
    await server.close();
  });

  async function http(
    method: MlflowMethod,
    path: string,
    fields?: Record<string, unknown>,
  ): Promise<MlflowAnswer> {
    const url = new URL(`${server.url}/api/2.0/${path}`);
    const init: RequestInit = { method, headers: { 'user-agent': 'mlflow-python-client/2.12.2' } };
    if (method === 'GET' && fields) url.search = queryOf(fields);
    else if (fields) {
      init.body = JSON.stringify(fields);
      init.headers = { ...init.headers, 'content-type': 'application/json' };
    }
    const res = await fetch(url, init);
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined, text };
  }

  it('registers an uploaded ONNX package, then downloads models:/name@alias byte for byte', async () => {
    const eid = (await http('POST', 'mlflow/experiments/create', { name: name('socket') })).body
      .experiment_id;
    const runId = (await http('POST', 'mlflow/runs/create', { experiment_id: eid })).body.run.info.run_id;
    const files = new Map<string, Buffer>([
      ['MLmodel', Buffer.from(ONNX_MLMODEL)],
      ['model.onnx', Buffer.from(linearRegressorOnnx([1, 2], 0))],
    ]);
    for (const [path, bytes] of files) {
      const put = await fetch(
        `${server.url}/api/2.0/mlflow-artifacts/artifacts/${eid}/${runId}/artifacts/model/${path}`,
        {
          method: 'PUT',
          body: bytes,
        },
      );
      expect(put.status).toBe(200);
    }
    const modelName = name('socket-model');
    expect((await http('POST', 'mlflow/registered-models/create', { name: modelName })).status).toBe(200);
    const created = await http('POST', 'mlflow/model-versions/create', {
      name: modelName,
      source: `mlflow-artifacts:/${eid}/${runId}/artifacts/model`,
      run_id: runId,
    });
    expect(created.status, created.text).toBe(200);
    const set = await http('POST', 'mlflow/registered-models/alias', {
      name: modelName,
      alias: 'champion',
      version: '1',
    });
    expect(set.text).toBe('{}');

    const byAlias = await http('GET', 'mlflow/registered-models/alias', {
      name: modelName,
      alias: 'champion',
    });
    const uri = await http('GET', 'mlflow/model-versions/get-download-uri', {
      name: modelName,
      version: byAlias.body.model_version.version,
    });
    const root = storePath(uri.body.artifact_uri);
    const listing = await http('GET', 'mlflow-artifacts/artifacts', { path: root });
    const names = listing.body.files.map((f: { path: string }) => f.path).sort();
    expect(names).toEqual(['MLmodel', 'model.onnx']);
    for (const fileName of names as string[]) {
      const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts/${root}/${fileName}`);
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer()).equals(files.get(fileName) as Buffer)).toBe(true);
    }

    // The client's DELETE carries a JSON body, which must reach the handler over real HTTP too.
    const deleted = await http('DELETE', 'mlflow/registered-models/alias', {
      name: modelName,
      alias: 'champion',
    });
    expect(deleted.status, deleted.text).toBe(200);
    const gone = await http('GET', 'mlflow/registered-models/alias', { name: modelName, alias: 'champion' });
    expect(gone.status).toBe(400);
    expect(gone.body.error_code).toBe('INVALID_PARAMETER_VALUE');
  });
});
