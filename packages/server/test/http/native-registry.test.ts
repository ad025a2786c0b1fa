import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CompatibilityReport,
  ModelContract,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
} from '@slipway/contracts';
import { nativeApi, type NativeReply as Reply } from '../helpers/native-api.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform.close();
});

const api = nativeApi(() => platform.app);

interface ErrorShape {
  code: string;
  message: string;
  details?: { field?: string; reason?: string; breaks?: unknown[] };
}

function errorOf(reply: Reply): ErrorShape {
  return reply.body['error'] as ErrorShape;
}

/** Asserts an error status, code and field. */
function expectError(reply: Reply, status: number, code: string, field?: string): ErrorShape {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  const error = errorOf(reply);
  expect(error.code).toBe(code);
  if (field !== undefined) expect(error.details?.field).toBe(field);
  return error;
}

const m = (name: string): string => `/models/${encodeURIComponent(name)}`;

async function createModel(name: string, extra: Record<string, unknown> = {}): Promise<RegisteredModel> {
  const res = await api('POST', '/models', { name, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body['registeredModel'] as RegisteredModel;
}

async function createVersion(name: string, body: Record<string, unknown>): Promise<ModelVersion> {
  const res = await api('POST', `${m(name)}/versions`, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body['modelVersion'] as ModelVersion;
}

async function createRun(): Promise<string> {
  const res = await api('POST', '/runs', { experimentId: '0' });
  expect(res.status).toBe(201);
  return (res.body['run'] as { info: { runId: string } }).info.runId;
}

async function upload(runId: string, path: string, content: string): Promise<void> {
  const res = await platform.app.inject({
    method: 'PUT',
    url: `/api/v1/runs/${runId}/artifacts/${path}`,
    payload: content,
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(res.statusCode, res.body).toBe(201);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The contract versions start with. */
const CONTRACT_V1: ModelContract = {
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount', type: 'float32', nullable: false },
      { name: 'country', type: 'string', nullable: false },
    ],
  },
  outputs: { kind: 'columns', fields: [{ name: 'score', type: 'float64', nullable: false }] },
  source: 'declared',
};

/** Backward compatible with V1 (wider input type, a new optional input), not forward compatible. */
const CONTRACT_V2: ModelContract = {
  ...CONTRACT_V1,
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount', type: 'float64', nullable: false },
      { name: 'country', type: 'string', nullable: false },
      { name: 'channel', type: 'string', nullable: true },
    ],
  },
};

/** Breaks V1's and V2's callers (backward): a new required input they never send. */
const CONTRACT_BREAKING: ModelContract = {
  ...CONTRACT_V2,
  inputs: {
    kind: 'columns',
    fields: [...CONTRACT_V2.inputs.fields, { name: 'merchant', type: 'string', nullable: false }],
  },
};

const BASELINE_MANIFEST = `format_version: 1
runtime: baseline
entry_point: baseline.json
contract:
  inputs:
    fields: [{ name: amount, type: float64 }]
  outputs:
    fields: [{ name: label, type: int64, categories: [0, 1] }]
`;

describe('POST /models', () => {
  it('creates a model with description and tags', async () => {
    const model = await createModel('create-ok', { description: 'fraud scorer', tags: { team: 'risk' } });
    expect(model).toMatchObject({
      name: 'create-ok',
      description: 'fraud scorer',
      tags: { team: 'risk' },
      aliases: [],
      latestVersions: [],
    });
    expect(model.creationTime).toBeGreaterThan(0);
    expect(model.lastUpdatedTime).toBe(model.creationTime);
  });

  it('answers 409 ALREADY_EXISTS for a taken name', async () => {
    await createModel('dup-model');
    expectError(await api('POST', '/models', { name: 'dup-model' }), 409, 'ALREADY_EXISTS');
  });

  it("answers 400 naming 'name' for a missing, empty, or '/'/'@'-containing name", async () => {
    expect(expectError(await api('POST', '/models', {}), 400, 'INVALID_ARGUMENT', 'name').message).toBe(
      "Missing required field 'name'.",
    );
    expectError(await api('POST', '/models', { name: '' }), 400, 'INVALID_ARGUMENT', 'name');
    const slash = expectError(
      await api('POST', '/models', { name: 'team/fraud' }),
      400,
      'INVALID_ARGUMENT',
      'name',
    );
    expect(slash.message).toContain("'/' and '@' are reserved");
    expectError(await api('POST', '/models', { name: 'fraud@x' }), 400, 'INVALID_ARGUMENT', 'name');
  });

  it('answers 400 naming unknown fields and bad tag values', async () => {
    const unknown = expectError(
      await api('POST', '/models', { name: 'x', latest_versions: [] }),
      400,
      'INVALID_ARGUMENT',
      'latest_versions',
    );
    expect(unknown.message).toBe("Unknown field 'latest_versions'.");
    expectError(
      await api('POST', '/models', { name: 'x', tags: { a: { nested: true } } }),
      400,
      'INVALID_ARGUMENT',
      'tags.a',
    );
    expectError(
      await api('POST', '/models', { name: 'x', tags: { 'slipway.contract_compatibility': 'sideways' } }),
      400,
      'INVALID_ARGUMENT',
      'tags.slipway.contract_compatibility',
    );
  });
});

describe('GET, PATCH and DELETE /models/:name', () => {
  it('round-trips a name with percent-encoded reserved characters', async () => {
    const name = 'fraud detector %v1? #eu';
    const created = await createModel(name);
    const res = await api('GET', m(name));
    expect(res.status).toBe(200);
    expect(res.body['registeredModel']).toEqual(created);
  });

  it('answers 404 naming name for an unknown model, and 400 for an encoded slash', async () => {
    const missing = expectError(await api('GET', m('no-such-model')), 404, 'NOT_FOUND', 'name');
    expect(missing.message).toContain('no-such-model');
    expectError(await api('GET', '/models/a%2Fb'), 400, 'INVALID_ARGUMENT', 'name');
  });

  it('replaces the description, renames, and does both at once', async () => {
    await createModel('patch-me', { tags: { keep: 'yes' } });
    const described = await api('PATCH', m('patch-me'), { description: 'v2 scorer' });
    expect(described.status).toBe(200);
    expect(described.body['registeredModel']).toMatchObject({ name: 'patch-me', description: 'v2 scorer' });
    const renamed = await api('PATCH', m('patch-me'), { name: 'patched' });
    expect(renamed.body['registeredModel']).toMatchObject({ name: 'patched', tags: { keep: 'yes' } });
    expectError(await api('GET', m('patch-me')), 404, 'NOT_FOUND');
    const both = await api('PATCH', m('patched'), { name: 'patched-again', description: 'both' });
    expect(both.body['registeredModel']).toMatchObject({ name: 'patched-again', description: 'both' });
    const same = await api('PATCH', m('patched-again'), {});
    expect(same.body['registeredModel']).toMatchObject({ name: 'patched-again' });
  });

  it('answers 409 renaming onto a taken name and 400 naming name for an invalid new name', async () => {
    await createModel('rename-a');
    await createModel('rename-b');
    expectError(await api('PATCH', m('rename-a'), { name: 'rename-b' }), 409, 'ALREADY_EXISTS');
    const bad = expectError(
      await api('PATCH', m('rename-a'), { name: 'x/y' }),
      400,
      'INVALID_ARGUMENT',
      'name',
    );
    expect(bad.message).not.toContain('new_name');
    expectError(await api('PATCH', m('rename-nope'), { description: 'x' }), 404, 'NOT_FOUND', 'name');
    expectError(await api('PATCH', m('rename-a'), { newName: 'z' }), 400, 'INVALID_ARGUMENT', 'newName');
  });

  it('deletes with 204, then answers 404', async () => {
    await createModel('delete-me');
    const res = await api('DELETE', m('delete-me'));
    expect(res.status).toBe(204);
    expectError(await api('GET', m('delete-me')), 404, 'NOT_FOUND');
    expectError(await api('DELETE', m('delete-me')), 404, 'NOT_FOUND');
  });
});

describe('PUT and DELETE /models/:name/tags/:key', () => {
  it('sets, replaces and deletes a tag (keys with slashes encoded)', async () => {
    await createModel('tagged');
    expect((await api('PUT', `${m('tagged')}/tags/team%2Fowner`, { value: 'risk' })).status).toBe(204);
    expect((await api('PUT', `${m('tagged')}/tags/stage`, { value: 'a' })).status).toBe(204);
    expect((await api('PUT', `${m('tagged')}/tags/stage`, { value: 'b' })).status).toBe(204);
    const got = (await api('GET', m('tagged'))).body['registeredModel'] as RegisteredModel;
    expect(got.tags).toEqual({ 'team/owner': 'risk', stage: 'b' });
    expect((await api('DELETE', `${m('tagged')}/tags/stage`)).status).toBe(204);
    expectError(await api('DELETE', `${m('tagged')}/tags/stage`), 404, 'NOT_FOUND');
    expectError(await api('PUT', `${m('tagged')}/tags/x`, {}), 400, 'INVALID_ARGUMENT', 'value');
    expectError(await api('PUT', `${m('nope-tags')}/tags/x`, { value: 'v' }), 404, 'NOT_FOUND');
  });
});

describe('GET /models', () => {
  beforeAll(async () => {
    for (const name of ['list-b', 'list-a', 'list-c']) await createModel(name, { tags: { group: 'list' } });
  });

  it('filters and orders (orderBy repeated or comma-separated)', async () => {
    const filter = encodeURIComponent("tags.group = 'list'");
    const res = await api('GET', `/models?filter=${filter}&orderBy=name%20DESC`);
    expect(res.status).toBe(200);
    expect((res.body['registeredModels'] as RegisteredModel[]).map((x) => x.name)).toEqual([
      'list-c',
      'list-b',
      'list-a',
    ]);
    expect(res.body['nextPageToken']).toBeUndefined();
    const comma = await api('GET', `/models?filter=${filter}&orderBy=name%20ASC,creation_timestamp`);
    expect((comma.body['registeredModels'] as RegisteredModel[]).map((x) => x.name)).toEqual([
      'list-a',
      'list-b',
      'list-c',
    ]);
  });

  it('pages with maxResults and pageToken', async () => {
    const filter = encodeURIComponent("name LIKE 'list-%'");
    const first = await api('GET', `/models?filter=${filter}&maxResults=2`);
    expect((first.body['registeredModels'] as RegisteredModel[]).map((x) => x.name)).toEqual([
      'list-a',
      'list-b',
    ]);
    const token = first.body['nextPageToken'] as string;
    expect(token).toBeTypeOf('string');
    const second = await api(
      'GET',
      `/models?filter=${filter}&maxResults=2&pageToken=${encodeURIComponent(token)}`,
    );
    expect((second.body['registeredModels'] as RegisteredModel[]).map((x) => x.name)).toEqual(['list-c']);
  });

  it('answers 400 naming the query parameter', async () => {
    expectError(await api('GET', '/models?maxResults=0'), 400, 'INVALID_ARGUMENT', 'maxResults');
    expectError(await api('GET', '/models?maxResults=1001'), 400, 'INVALID_ARGUMENT', 'maxResults');
    expectError(await api('GET', '/models?max_results=5'), 400, 'INVALID_ARGUMENT', 'max_results');
    expectError(
      await api('GET', `/models?filter=${encodeURIComponent('run_id = 1')}`),
      400,
      'INVALID_ARGUMENT',
      'filter',
    );
    expectError(await api('GET', '/models?orderBy=metrics.acc'), 400, 'INVALID_ARGUMENT', 'orderBy[0]');
    expectError(await api('GET', '/models?pageToken=%%%'), 400, 'INVALID_ARGUMENT', 'pageToken');
  });
});

describe('model versions', () => {
  let runId: string;

  beforeAll(async () => {
    runId = await createRun();
    await createModel('versions');
  });

  it('registers numbered versions with lineage, tags and a declared contract', async () => {
    const v1 = await createVersion('versions', {
      source: 's3://bucket/fraud/1',
      runId,
      description: 'first',
      tags: { data: 'march' },
      contract: CONTRACT_V1,
    });
    expect(v1).toMatchObject({
      name: 'versions',
      version: '1',
      source: 's3://bucket/fraud/1',
      runId,
      description: 'first',
      tags: { data: 'march' },
      status: 'READY',
      currentStage: 'None',
      aliases: [],
      contract: CONTRACT_V1,
    });
    expect(v1.package).toBeUndefined();
    const v2 = await createVersion('versions', { source: 's3://bucket/fraud/2' });
    expect(v2.version).toBe('2');
    expect(v2.contract).toBeUndefined();
    const model = (await api('GET', m('versions'))).body['registeredModel'] as RegisteredModel;
    expect(model.latestVersions.map((v) => v.version)).toEqual(['2']);
  });

  it('records the caller from x-slipway-user as the version user', async () => {
    const res = await api(
      'POST',
      `${m('versions')}/versions`,
      { source: 's3://b/3' },
      { 'x-slipway-user': 'ana' },
    );
    expect((res.body['modelVersion'] as ModelVersion).userId).toBe('ana');
  });

  it('answers 404 for an unknown model or run and 400 for a missing source or a bad contract', async () => {
    expectError(
      await api('POST', `${m('no-model')}/versions`, { source: 's3://x' }),
      404,
      'NOT_FOUND',
      'name',
    );
    expectError(
      await api('POST', `${m('versions')}/versions`, { source: 's3://x', runId: 'f'.repeat(32) }),
      404,
      'NOT_FOUND',
      'runId',
    );
    expectError(await api('POST', `${m('versions')}/versions`, {}), 400, 'INVALID_ARGUMENT', 'source');
    const badType = {
      ...CONTRACT_V1,
      inputs: { kind: 'columns', fields: [{ name: 'a', type: 'float', nullable: false }] },
    };
    expectError(
      await api('POST', `${m('versions')}/versions`, { source: 's3://x', contract: badType }),
      400,
      'INVALID_ARGUMENT',
      'contract.inputs.fields[0].type',
    );
    expectError(
      await api('POST', `${m('versions')}/versions`, { source: 'runs:/' }),
      400,
      'INVALID_ARGUMENT',
      'source',
    );
  });

  it('gets, describes and deletes a version', async () => {
    const v = await createVersion('versions', { source: 's3://b/del' });
    const url = `${m('versions')}/versions/${v.version}`;
    expect((await api('GET', url)).body['modelVersion']).toEqual(v);
    const patched = await api('PATCH', url, { description: 'patched' });
    expect(patched.status).toBe(200);
    expect(patched.body['modelVersion']).toMatchObject({ version: v.version, description: 'patched' });
    expectError(await api('PATCH', url, {}), 400, 'INVALID_ARGUMENT', 'description');
    expect((await api('DELETE', url)).status).toBe(204);
    expectError(await api('GET', url), 404, 'NOT_FOUND', 'version');
  });

  it('answers 400 naming version for a malformed version and 404 for an unknown one', async () => {
    expectError(await api('GET', `${m('versions')}/versions/abc`), 400, 'INVALID_ARGUMENT', 'version');
    expectError(await api('GET', `${m('versions')}/versions/0`), 400, 'INVALID_ARGUMENT', 'version');
    const missing = expectError(
      await api('GET', `${m('versions')}/versions/999`),
      404,
      'NOT_FOUND',
      'version',
    );
    expect(missing.message).toContain('version=999');
  });

  it('sets and deletes version tags', async () => {
    const url = `${m('versions')}/versions/1/tags/reviewed%20by`;
    expect((await api('PUT', url, { value: 'bo' })).status).toBe(204);
    const got = (await api('GET', `${m('versions')}/versions/1`)).body['modelVersion'] as ModelVersion;
    expect(got.tags).toEqual({ data: 'march', 'reviewed by': 'bo' });
    expect((await api('DELETE', url)).status).toBe(204);
    expectError(await api('DELETE', url), 404, 'NOT_FOUND');
    expectError(await api('PUT', `${m('versions')}/versions/77/tags/x`, { value: 'v' }), 404, 'NOT_FOUND');
  });
});

describe('POST /models/register', () => {
  it('creates the model when missing, then adds versions', async () => {
    const first = await api('POST', '/models/register', { name: 'registered', source: 's3://r/1' });
    expect(first.status).toBe(201);
    expect(first.body['modelVersion']).toMatchObject({ name: 'registered', version: '1' });
    const second = await api('POST', '/models/register', { name: 'registered', source: 's3://r/2' });
    expect(second.body['modelVersion']).toMatchObject({ version: '2' });
    expectError(await api('POST', '/models/register', { source: 's3://r' }), 400, 'INVALID_ARGUMENT', 'name');
    expectError(
      await api('POST', '/models/register', { name: 'a/b', source: 's3://r' }),
      400,
      'INVALID_ARGUMENT',
      'name',
    );
  });
  it('still routes a model literally named "register" to the per-model routes', async () => {
    await createModel('register');
    const version = await createVersion('register', { source: 's3://r/x' });
    expect(version).toMatchObject({ name: 'register', version: '1' });
    expect(((await api('GET', '/models/register')).body['registeredModel'] as RegisteredModel).name).toBe(
      'register',
    );
  });
});

describe('packages and download URIs', () => {
  it('copies a package found at a runs:/ source, with its declared contract and digest', async () => {
    const runId = await createRun();
    await upload(runId, 'model/slipway.yaml', BASELINE_MANIFEST);
    await upload(
      runId,
      'model/baseline.json',
      '{"kind":"constant","task":"classification","strategy":"majority","label":0,"probabilities":{"0":0.7,"1":0.3}}',
    );
    const res = await api('POST', '/models/register', {
      name: 'packaged',
      source: `runs:/${runId}/model`,
      runId,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const version = res.body['modelVersion'] as ModelVersion;
    expect(version.package).toMatchObject({
      manifest: 'slipway.yaml',
      runtime: 'baseline',
      entryPoint: 'baseline.json',
    });
    expect(version.package?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(version.package?.files.map((f) => f.path).sort()).toEqual(['baseline.json', 'slipway.yaml']);
    expect(version.contract?.source).toBe('declared');
    expect(version.contract?.outputs.fields[0]).toMatchObject({ name: 'label', categories: [0, 1] });
    const uri = await api('GET', `${m('packaged')}/versions/1/download-uri`);
    expect(uri.status).toBe(200);
    expect(uri.body).toEqual({ artifactUri: `mlflow-artifacts:/${version.package?.storagePath ?? ''}` });
  });

  it('refuses a bad package with 400 naming source', async () => {
    const runId = await createRun();
    await upload(
      runId,
      'model/slipway.yaml',
      'format_version: 1\nruntime: baseline\nentry_point: missing.json\n',
    );
    const res = await api('POST', '/models/register', {
      name: 'bad-package',
      source: `runs:/${runId}/model`,
    });
    expectError(res, 400, 'INVALID_ARGUMENT', 'source');
  });

  it('answers the source for versions without a package (runs:/ resolved to the run artifact URI)', async () => {
    const runId = await createRun();
    await createModel('unpackaged');
    await createVersion('unpackaged', { source: 's3://elsewhere/model' });
    await createVersion('unpackaged', { source: `runs:/${runId}/plain` });
    const s3 = await api('GET', `${m('unpackaged')}/versions/1/download-uri`);
    expect(s3.body).toEqual({ artifactUri: 's3://elsewhere/model' });
    const run = await api('GET', `${m('unpackaged')}/versions/2/download-uri`);
    expect(run.body['artifactUri']).toMatch(new RegExp(`^mlflow-artifacts:/.*${runId}.*/plain$`));
    expectError(await api('GET', `${m('unpackaged')}/versions/9/download-uri`), 404, 'NOT_FOUND');
  });
});

describe('GET /model-versions', () => {
  beforeAll(async () => {
    for (const name of ['search-x', 'search-y']) {
      await createModel(name);
      for (let i = 0; i < 3; i++)
        await createVersion(name, { source: `s3://s/${name}/${i}`, tags: { i: String(i) } });
    }
  });

  it('filters by name and version_number, default order name ASC, version DESC', async () => {
    const filter = encodeURIComponent("name LIKE 'search-%' AND version_number > 1");
    const res = await api('GET', `/model-versions?filter=${filter}`);
    expect(res.status).toBe(200);
    expect((res.body['modelVersions'] as ModelVersion[]).map((v) => `${v.name}/${v.version}`)).toEqual([
      'search-x/3',
      'search-x/2',
      'search-y/3',
      'search-y/2',
    ]);
  });

  it('orders, pages and filters by tag', async () => {
    const filter = encodeURIComponent("name = 'search-y'");
    const first = await api(
      'GET',
      `/model-versions?filter=${filter}&orderBy=version_number%20ASC&maxResults=2`,
    );
    expect((first.body['modelVersions'] as ModelVersion[]).map((v) => v.version)).toEqual(['1', '2']);
    const token = encodeURIComponent(first.body['nextPageToken'] as string);
    const second = await api(
      'GET',
      `/model-versions?filter=${filter}&orderBy=version_number%20ASC&maxResults=2&pageToken=${token}`,
    );
    expect((second.body['modelVersions'] as ModelVersion[]).map((v) => v.version)).toEqual(['3']);
    const byTag = await api(
      'GET',
      `/model-versions?filter=${encodeURIComponent("tags.i = '0' AND name LIKE 'search-%'")}`,
    );
    expect((byTag.body['modelVersions'] as ModelVersion[]).map((v) => `${v.name}/${v.version}`)).toEqual([
      'search-x/1',
      'search-y/1',
    ]);
  });

  it('answers 400 naming filter, orderBy or maxResults', async () => {
    expectError(
      await api('GET', `/model-versions?filter=${encodeURIComponent('metrics.a > 1')}`),
      400,
      'INVALID_ARGUMENT',
      'filter',
    );
    expectError(await api('GET', '/model-versions?orderBy=stage'), 400, 'INVALID_ARGUMENT', 'orderBy[0]');
    expectError(await api('GET', '/model-versions?maxResults=200001'), 400, 'INVALID_ARGUMENT', 'maxResults');
  });
});

describe('aliases', () => {
  const name = 'fraud';
  const alias = (a: string): string => `${m(name)}/aliases/${a}`;

  beforeAll(async () => {
    await createModel(name);
    await createVersion(name, { source: 's3://f/1', contract: CONTRACT_V1 });
    await createVersion(name, { source: 's3://f/2', contract: CONTRACT_V2 });
    await createVersion(name, { source: 's3://f/3', contract: CONTRACT_BREAKING });
    await createVersion(name, { source: 's3://f/4' });
  });

  it('sets an alias for the first time without a contract check, naming the caller', async () => {
    const res = await api(
      'PUT',
      alias('champion'),
      { version: '1', reason: 'launch' },
      { 'x-slipway-user': 'ana' },
    );
    expect(res.status).toBe(200);
    expect(res.body['compatibility']).toBeUndefined();
    const event = res.body['event'] as RegistryEvent;
    expect(event).toMatchObject({
      type: 'alias.set',
      modelName: name,
      alias: 'champion',
      toVersion: '1',
      reason: 'launch',
      actor: 'ana',
    });
    expect(event.fromVersion).toBeUndefined();
    const got = await api('GET', alias('champion'));
    expect((got.body['modelVersion'] as ModelVersion).version).toBe('1');
    expect((got.body['modelVersion'] as ModelVersion).aliases).toEqual(['champion']);
  });

  it('moves to a compatible version with the check in the response and a gate in the event', async () => {
    const gate = { passed: true, metric: 'auc', value: 0.91, baseline: 0.9 };
    const res = await api('PUT', alias('champion'), { version: '2', gate });
    expect(res.status).toBe(200);
    const compatibility = res.body['compatibility'] as CompatibilityReport;
    expect(compatibility).toMatchObject({ mode: 'backward', compatible: true });
    expect(compatibility.changes.map((c) => c.kind).sort()).toEqual(['field-added', 'type-widened']);
    expect(res.body['event']).toMatchObject({ fromVersion: '1', toVersion: '2', gate, actor: 'anonymous' });
  });

  it('refuses a breaking move with 409 FAILED_PRECONDITION listing each break in details.breaks', async () => {
    const res = await api('PUT', alias('champion'), { version: '3' });
    const error = expectError(res, 409, 'FAILED_PRECONDITION', 'version');
    expect(error.details?.reason).toBe('contract-breaking');
    expect(error.details?.breaks).toEqual([
      expect.objectContaining({ side: 'inputs', field: 'merchant', kind: 'field-added', breaking: true }),
    ]);
    expect(error.message).toContain('inputs.merchant');
    expect(error.message).toContain('Pass force to override');
    expect(((await api('GET', alias('champion'))).body['modelVersion'] as ModelVersion).version).toBe('2');
  });

  it('refuses a move to a version without a contract, and forces one through with the breaks audited', async () => {
    expectError(await api('PUT', alias('champion'), { version: '4' }), 409, 'FAILED_PRECONDITION');
    const res = await api('PUT', alias('champion'), { version: '3', force: true, reason: 'hotfix' });
    expect(res.status).toBe(200);
    expect((res.body['compatibility'] as CompatibilityReport).compatible).toBe(false);
    const event = res.body['event'] as RegistryEvent;
    expect(event).toMatchObject({ forced: true, fromVersion: '2', toVersion: '3', reason: 'hotfix' });
    expect(event.details?.['breaks']).toEqual([expect.objectContaining({ field: 'merchant' })]);
  });

  it('skips the check when the model tag says none', async () => {
    await createModel('unchecked', { tags: { 'slipway.contract_compatibility': 'none' } });
    await createVersion('unchecked', { source: 's3://u/1', contract: CONTRACT_V1 });
    await createVersion('unchecked', { source: 's3://u/2', contract: CONTRACT_BREAKING });
    await api('PUT', `${m('unchecked')}/aliases/prod`, { version: '1' });
    const res = await api('PUT', `${m('unchecked')}/aliases/prod`, { version: '2' });
    expect(res.status).toBe(200);
    expect(res.body['compatibility']).toBeUndefined();
  });

  it('answers 400 for reserved or malformed aliases and versions, 404 for unknown ones', async () => {
    expectError(await api('PUT', alias('latest'), { version: '1' }), 400, 'INVALID_ARGUMENT', 'alias');
    expectError(await api('PUT', alias('v2'), { version: '1' }), 400, 'INVALID_ARGUMENT', 'alias');
    expectError(await api('PUT', alias('has%20space'), { version: '1' }), 400, 'INVALID_ARGUMENT', 'alias');
    expectError(await api('PUT', alias('x'), { version: 'one' }), 400, 'INVALID_ARGUMENT', 'version');
    expectError(await api('PUT', alias('x'), {}), 400, 'INVALID_ARGUMENT', 'version');
    expectError(
      await api('PUT', alias('x'), { version: '1', force: 'yes' }),
      400,
      'INVALID_ARGUMENT',
      'force',
    );
    expectError(
      await api('PUT', alias('x'), { version: '1', gate: { metric: 'auc' } }),
      400,
      'INVALID_ARGUMENT',
      'gate.passed',
    );
    expectError(await api('PUT', alias('x'), { version: '99' }), 404, 'NOT_FOUND', 'version');
    expectError(await api('PUT', `${m('no-model')}/aliases/x`, { version: '1' }), 404, 'NOT_FOUND');
    expectError(await api('GET', alias('unset')), 404, 'NOT_FOUND', 'alias');
  });

  it('deletes an alias with the reason from the query or the body, returning the event', async () => {
    await api('PUT', alias('staging'), { version: '1' });
    const byQuery = await api('DELETE', `${alias('staging')}?reason=retired`, undefined, {
      'x-slipway-user': 'bo',
    });
    expect(byQuery.status).toBe(200);
    expect(byQuery.body['event']).toMatchObject({
      type: 'alias.deleted',
      alias: 'staging',
      fromVersion: '1',
      reason: 'retired',
      actor: 'bo',
    });
    expect((byQuery.body['event'] as RegistryEvent).toVersion).toBeUndefined();
    expectError(await api('GET', alias('staging')), 404, 'NOT_FOUND', 'alias');
    await api('PUT', alias('staging'), { version: '2' });
    const byBody = await api('DELETE', alias('staging'), { reason: 'again' });
    expect(byBody.body['event']).toMatchObject({ fromVersion: '2', reason: 'again' });
    expectError(await api('DELETE', alias('staging')), 404, 'NOT_FOUND', 'alias');
    expectError(await api('DELETE', alias('staging'), { why: 'x' }), 400, 'INVALID_ARGUMENT');
  });
});

describe('GET /resolve', () => {
  beforeAll(async () => {
    await createModel('resolvable');
    await createVersion('resolvable', { source: 's3://r/1' });
    await createVersion('resolvable', { source: 's3://r/2' });
    await api('PUT', `${m('resolvable')}/aliases/champion`, { version: '1' });
  });

  it.each([
    ['models:/resolvable/2', '2'],
    ['models:/resolvable@champion', '1'],
    ['models:/resolvable/latest', '2'],
  ])('resolves %s to version %s', async (uri, version) => {
    const res = await api('GET', `/resolve?uri=${encodeURIComponent(uri)}`);
    expect(res.status).toBe(200);
    expect(res.body['modelVersion']).toMatchObject({ name: 'resolvable', version });
  });

  it('answers 400 naming uri for a malformed URI, 404 for an unknown target', async () => {
    expectError(
      await api('GET', `/resolve?uri=${encodeURIComponent('runs:/x/model')}`),
      400,
      'INVALID_ARGUMENT',
      'uri',
    );
    expectError(
      await api('GET', `/resolve?uri=${encodeURIComponent('models:/resolvable')}`),
      400,
      'INVALID_ARGUMENT',
      'uri',
    );
    expectError(await api('GET', '/resolve'), 400, 'INVALID_ARGUMENT', 'uri');
    expectError(
      await api('GET', `/resolve?uri=${encodeURIComponent('models:/resolvable/7')}`),
      404,
      'NOT_FOUND',
    );
    expectError(
      await api('GET', `/resolve?uri=${encodeURIComponent('models:/resolvable@gone')}`),
      404,
      'NOT_FOUND',
    );
  });
});

describe('history and aliases-at', () => {
  const name = 'audited';
  const times: number[] = [];

  beforeAll(async () => {
    await createModel(name, {});
    await createVersion(name, { source: 's3://a/1' });
    await createVersion(name, { source: 's3://a/2' });
    for (const [version, user] of [
      ['1', 'ana'],
      ['2', 'bo'],
    ] as const) {
      await sleep(5);
      const res = await api(
        'PUT',
        `${m(name)}/aliases/champion`,
        { version, reason: `to ${version}` },
        { 'x-slipway-user': user },
      );
      times.push((res.body['event'] as RegistryEvent).time);
      await sleep(5);
    }
    await api('PUT', `${m(name)}/aliases/challenger`, { version: '2' });
  });

  it('lists every event oldest first, with actors', async () => {
    const res = await api('GET', `${m(name)}/history`);
    expect(res.status).toBe(200);
    const events = res.body['events'] as RegistryEvent[];
    expect(events.map((e) => e.type)).toEqual([
      'registered_model.created',
      'model_version.created',
      'model_version.created',
      'alias.set',
      'alias.set',
      'alias.set',
    ]);
    const seqs = events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(events.filter((e) => e.alias === 'champion').map((e) => e.actor)).toEqual(['ana', 'bo']);
  });

  it('filters by alias and pages with afterSeq and limit', async () => {
    const champion = (await api('GET', `${m(name)}/history?alias=champion`)).body[
      'events'
    ] as RegistryEvent[];
    expect(champion.map((e) => [e.fromVersion, e.toVersion])).toEqual([
      [undefined, '1'],
      ['1', '2'],
    ]);
    const first = (await api('GET', `${m(name)}/history?limit=2`)).body['events'] as RegistryEvent[];
    expect(first).toHaveLength(2);
    const rest = (await api('GET', `${m(name)}/history?afterSeq=${first[1]?.seq ?? 0}`)).body[
      'events'
    ] as RegistryEvent[];
    expect(rest).toHaveLength(4);
  });

  it('answers 404 for an unknown model and 400 naming bad query parameters', async () => {
    expectError(await api('GET', `${m('never-existed')}/history`), 404, 'NOT_FOUND', 'name');
    expectError(await api('GET', `${m(name)}/history?limit=0`), 400, 'INVALID_ARGUMENT', 'limit');
    expectError(await api('GET', `${m(name)}/history?afterSeq=x`), 400, 'INVALID_ARGUMENT', 'afterSeq');
    expectError(await api('GET', `${m(name)}/history?alias=latest`), 400, 'INVALID_ARGUMENT', 'alias');
  });

  it('answers what every alias pointed at, at a moment in ms', async () => {
    const [first = 0, second = 0] = times;
    const before = await api('GET', `${m(name)}/aliases-at?at=${first - 1}`);
    expect(before.status).toBe(200);
    expect(before.body).toEqual({ at: first - 1, aliases: [] });
    const between = await api('GET', `${m(name)}/aliases-at?at=${first}`);
    expect(between.body['aliases']).toEqual([
      { alias: 'champion', version: '1', since: expect.objectContaining({ actor: 'ana', toVersion: '1' }) },
    ]);
    const now = (await api('GET', `${m(name)}/aliases-at?at=${Date.now()}`)).body['aliases'] as {
      alias: string;
      version: string;
    }[];
    expect(now.map((a) => [a.alias, a.version])).toEqual([
      ['challenger', '2'],
      ['champion', '2'],
    ]);
    expect(second).toBeGreaterThan(first);
  });

  it('accepts ISO 8601 times (zone-less is UTC) and one alias', async () => {
    const [first = 0] = times;
    const iso = new Date(first).toISOString();
    const zoned = await api('GET', `${m(name)}/aliases-at?at=${encodeURIComponent(iso)}&alias=champion`);
    expect(zoned.body).toMatchObject({ at: first, aliases: [{ alias: 'champion', version: '1' }] });
    const zoneless = await api('GET', `${m(name)}/aliases-at?at=${encodeURIComponent(iso.slice(0, -1))}`);
    expect(zoneless.body['at']).toBe(first);
    const offset = new Date(first + 3_600_000).toISOString().replace('Z', '+01:00');
    expect((await api('GET', `${m(name)}/aliases-at?at=${encodeURIComponent(offset)}`)).body['at']).toBe(
      first,
    );
    const unset = await api('GET', `${m(name)}/aliases-at?at=2001-01-01&alias=champion`);
    expect(unset.body).toEqual({ at: Date.UTC(2001, 0, 1), aliases: [{ alias: 'champion' }] });
  });

  it('answers 400 naming at for a time it cannot read', async () => {
    for (const at of ['yesterday', '2024-02-30', '2024-13-01T00:00:00Z', '-5', '2024-03-03T25:00:00Z']) {
      const error = expectError(
        await api('GET', `${m(name)}/aliases-at?at=${encodeURIComponent(at)}`),
        400,
        'INVALID_ARGUMENT',
        'at',
      );
      expect(error.message).toContain('ISO 8601');
    }
    expectError(await api('GET', `${m(name)}/aliases-at`), 400, 'INVALID_ARGUMENT', 'at');
  });
});

describe('GET /models/:name/contract-diff', () => {
  const name = 'diffed';
  const diff = (query: string): Promise<Reply> => api('GET', `${m(name)}/contract-diff?${query}`);

  beforeAll(async () => {
    await createModel(name);
    await createVersion(name, { source: 's3://d/1', contract: CONTRACT_V1 });
    await createVersion(name, { source: 's3://d/2', contract: CONTRACT_V2 });
    await createVersion(name, { source: 's3://d/3', contract: CONTRACT_BREAKING });
    await createVersion(name, { source: 's3://d/4' });
  });

  it('reports a compatible change in backward mode (the default)', async () => {
    const res = await diff('from=1&to=2');
    expect(res.status).toBe(200);
    const report = res.body['compatibility'] as CompatibilityReport;
    expect(report).toMatchObject({ mode: 'backward', compatible: true });
    expect(report.changes.every((c) => !c.breaking)).toBe(true);
  });

  it('reports breaks per mode', async () => {
    const forward = (await diff('from=1&to=2&mode=forward')).body['compatibility'] as CompatibilityReport;
    expect(forward).toMatchObject({ mode: 'forward', compatible: false });
    expect(forward.changes.find((c) => c.breaking)).toMatchObject({ field: 'amount', kind: 'type-widened' });
    const full = (await diff('from=1&to=3&mode=full')).body['compatibility'] as CompatibilityReport;
    expect(full.compatible).toBe(false);
    const backward = (await diff('from=1&to=3')).body['compatibility'] as CompatibilityReport;
    expect(backward.changes.filter((c) => c.breaking)).toEqual([
      expect.objectContaining({ side: 'inputs', field: 'merchant', kind: 'field-added', breaking: true }),
    ]);
    const same = (await diff('from=2&to=2')).body['compatibility'] as CompatibilityReport;
    expect(same).toEqual({ mode: 'backward', compatible: true, changes: [] });
  });

  it('answers 409 when a version has no contract, 400 naming from/to/mode, 404 for unknown versions', async () => {
    expectError(await diff('from=1&to=4'), 409, 'FAILED_PRECONDITION', 'version');
    expectError(await diff('from=x&to=2'), 400, 'INVALID_ARGUMENT', 'from');
    expectError(await diff('from=1&to=0'), 400, 'INVALID_ARGUMENT', 'to');
    expectError(await diff('from=1'), 400, 'INVALID_ARGUMENT', 'to');
    const mode = expectError(await diff('from=1&to=2&mode=sideways'), 400, 'INVALID_ARGUMENT', 'mode');
    expect(mode.message).toContain('"backward", "forward", "full"');
    expectError(await diff('from=1&to=9'), 404, 'NOT_FOUND', 'version');
  });
});

describe('OpenAPI document', () => {
  const ROUTES: [string, string][] = [
    ['post', '/api/v1/models'],
    ['get', '/api/v1/models'],
    ['post', '/api/v1/models/register'],
    ['get', '/api/v1/models/{name}'],
    ['patch', '/api/v1/models/{name}'],
    ['delete', '/api/v1/models/{name}'],
    ['put', '/api/v1/models/{name}/tags/{key}'],
    ['delete', '/api/v1/models/{name}/tags/{key}'],
    ['post', '/api/v1/models/{name}/versions'],
    ['get', '/api/v1/models/{name}/versions/{version}'],
    ['patch', '/api/v1/models/{name}/versions/{version}'],
    ['delete', '/api/v1/models/{name}/versions/{version}'],
    ['put', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
    ['delete', '/api/v1/models/{name}/versions/{version}/tags/{key}'],
    ['get', '/api/v1/models/{name}/versions/{version}/download-uri'],
    ['get', '/api/v1/model-versions'],
    ['put', '/api/v1/models/{name}/aliases/{alias}'],
    ['get', '/api/v1/models/{name}/aliases/{alias}'],
    ['delete', '/api/v1/models/{name}/aliases/{alias}'],
    ['get', '/api/v1/resolve'],
    ['get', '/api/v1/models/{name}/history'],
    ['get', '/api/v1/models/{name}/aliases-at'],
    ['get', '/api/v1/models/{name}/contract-diff'],
  ];
  type Operation = {
    tags?: string[];
    responses?: Record<string, unknown>;
    parameters?: { name: string; description?: string }[];
  };
  let doc: {
    info: { title: string };
    tags: { name: string }[];
    paths: Record<string, Record<string, Operation>>;
  };

  beforeAll(async () => {
    const res = await platform.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    doc = JSON.parse(res.body) as typeof doc;
  });

  it.each(ROUTES)('documents %s %s under the models tag', (method, path) => {
    const operation = doc.paths[path]?.[method];
    expect(operation).toBeDefined();
    expect(operation?.tags).toEqual(['models']);
    expect(Object.keys(operation?.responses ?? {})).toEqual(expect.arrayContaining(['4XX', '5XX']));
  });

  it('is titled for the whole API, declares the models tag and explains model names', () => {
    expect(doc.info.title).toBe('Slipway API');
    expect(doc.tags.map((t) => t.name)).toContain('models');
    const params = doc.paths['/api/v1/models/{name}']?.['get']?.parameters ?? [];
    expect(params.find((p) => p.name === 'name')?.description).toContain("'/' and '@' are not allowed");
  });

  it('describes the breaking-move refusal and the contract schema', () => {
    const put = doc.paths['/api/v1/models/{name}/aliases/{alias}']?.['put'] as Operation & {
      description?: string;
    };
    expect(put.description).toContain('details.breaks');
    const create = doc.paths['/api/v1/models/{name}/versions']?.['post'] as Operation & {
      requestBody?: unknown;
    };
    expect(JSON.stringify(create.requestBody)).toContain('"float64"');
  });
});
