import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  SlipwayClient,
  type ContractChange,
  type ModelContract,
  type SlipwayApiError,
} from '@slipway/sdk';
import { startTestPlatform, type TestPlatform } from '../../server/test/helpers/test-platform.js';

let platform: TestPlatform;
let client: SlipwayClient;

beforeAll(async () => {
  // In-process, on a real socket: every call goes through fetch and the HTTP stack.
  platform = await startTestPlatform({ listen: true });
  client = new SlipwayClient({ url: platform.url, user: 'sdk-tester' });
});
afterAll(async () => {
  await platform?.close();
});

async function caught(promise: Promise<unknown>): Promise<SlipwayApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (error === undefined) throw new Error('expected the call to fail');
  return error as SlipwayApiError;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const V1: ModelContract = {
  inputs: { kind: 'columns', fields: [{ name: 'amount', type: 'float64', nullable: false }] },
  outputs: { kind: 'columns', fields: [{ name: 'score', type: 'float64', nullable: false }] },
  source: 'declared',
};
const V2_COMPATIBLE: ModelContract = {
  ...V1,
  inputs: {
    kind: 'columns',
    fields: [...V1.inputs.fields, { name: 'channel', type: 'string', nullable: true }],
  },
};
/** Breaks V1's and V2's callers: a new required input they never send. */
const V3_BREAKING: ModelContract = {
  ...V2_COMPATIBLE,
  inputs: {
    kind: 'columns',
    fields: [...V2_COMPATIBLE.inputs.fields, { name: 'merchant', type: 'string', nullable: false }],
  },
};

describe('registered models', () => {
  it('create, get, search, update, rename, tag and delete', async () => {
    const created = await client.models.create({
      name: 'sdk model',
      description: 'd',
      tags: { team: 'risk' },
    });
    expect(created).toMatchObject({
      name: 'sdk model',
      description: 'd',
      tags: { team: 'risk' },
      aliases: [],
    });
    expect(await client.models.get('sdk model')).toEqual(created);
    await client.models.create({ name: 'sdk other' });

    const page = await client.models.search({ filter: "name LIKE 'sdk %'", orderBy: ['name DESC'] });
    expect(page.registeredModels.map((x) => x.name)).toEqual(['sdk other', 'sdk model']);
    const first = await client.models.search({ filter: "name LIKE 'sdk %'", maxResults: 1 });
    expect(first.nextPageToken).toBeTypeOf('string');
    const all = await client.models.searchAll({ filter: "name LIKE 'sdk %'", maxResults: 1 }).collect();
    expect(all.map((x) => x.name)).toEqual(['sdk model', 'sdk other']);

    expect((await client.models.update('sdk model', { description: 'new' })).description).toBe('new');
    expect((await client.models.rename('sdk model', 'sdk renamed')).name).toBe('sdk renamed');
    await client.models.setTag('sdk renamed', 'owner/team', 'ana');
    expect((await client.models.get('sdk renamed')).tags).toEqual({ team: 'risk', 'owner/team': 'ana' });
    await client.models.deleteTag('sdk renamed', 'owner/team');
    expect((await client.models.get('sdk renamed')).tags).toEqual({ team: 'risk' });

    await client.models.delete('sdk renamed');
    expect(await caught(client.models.get('sdk renamed'))).toBeInstanceOf(NotFoundError);
  });

  it('throws typed errors with the field in details', async () => {
    await client.models.create({ name: 'sdk-dup' });
    expect(await caught(client.models.create({ name: 'sdk-dup' }))).toBeInstanceOf(AlreadyExistsError);
    const invalid = await caught(client.models.create({ name: 'a/b' }));
    expect(invalid).toBeInstanceOf(InvalidArgumentError);
    expect(invalid).toMatchObject({ status: 400, details: { field: 'name' } });
    const missing = await caught(client.models.get('sdk-missing'));
    expect(missing).toMatchObject({ code: 'NOT_FOUND', status: 404, details: { field: 'name' } });
  });

  it('refuses a user that cannot travel in a header before any request is sent', () => {
    expect(() => new SlipwayClient({ url: platform.url, user: 'zoë' })).toThrow(InvalidArgumentError);
  });
});

describe('versions', () => {
  let runId: string;

  beforeAll(async () => {
    const { experimentId } = await client.experiments.create({ name: 'sdk-registry-runs' });
    runId = (await client.runs.create({ experimentId })).info.runId;
  });

  it('register creates the model; createVersion, getVersion, updateVersion, tags, search and delete', async () => {
    const v1 = await client.models.register({
      name: 'sdk-versions',
      source: 's3://b/1',
      runId,
      contract: V1,
    });
    expect(v1).toMatchObject({
      name: 'sdk-versions',
      version: '1',
      runId,
      userId: 'sdk-tester',
      contract: V1,
    });
    const v2 = await client.models.createVersion('sdk-versions', { source: 's3://b/2', tags: { i: '2' } });
    expect(v2.version).toBe('2');
    expect(await client.models.getVersion('sdk-versions', 2)).toEqual(v2);
    expect((await client.models.updateVersion('sdk-versions', '2', { description: 'two' })).description).toBe(
      'two',
    );

    await client.models.setVersionTag('sdk-versions', 1, 'reviewed', 'yes');
    expect((await client.models.getVersion('sdk-versions', 1)).tags).toEqual({ reviewed: 'yes' });
    await client.models.deleteVersionTag('sdk-versions', 1, 'reviewed');

    const page = await client.models.searchVersions({ filter: "name = 'sdk-versions'" });
    expect(page.modelVersions.map((v) => v.version)).toEqual(['2', '1']);
    const all = await client.models
      .searchVersionsAll({ filter: "name = 'sdk-versions'", orderBy: ['version_number ASC'], maxResults: 1 })
      .collect();
    expect(all.map((v) => v.version)).toEqual(['1', '2']);

    expect(await client.models.downloadUri('sdk-versions', 1)).toBe('s3://b/1');
    await client.models.deleteVersion('sdk-versions', 2);
    expect(await caught(client.models.getVersion('sdk-versions', 2))).toMatchObject({
      code: 'NOT_FOUND',
      details: { field: 'version' },
    });
  });

  it('registers an uploaded package and answers its immutable download URI', async () => {
    const manifest =
      'format_version: 1\nruntime: baseline\nentry_point: baseline.json\n' +
      'contract:\n  inputs:\n    fields: [{ name: amount, type: float64 }]\n' +
      '  outputs:\n    fields: [{ name: score, type: float64 }]\n';
    await client.artifacts.upload(runId, 'model/slipway.yaml', manifest);
    await client.artifacts.upload(
      runId,
      'model/baseline.json',
      '{"kind":"constant","task":"regression","strategy":"mean","prediction":0.5}',
    );
    const version = await client.models.register({
      name: 'sdk-packaged',
      source: `runs:/${runId}/model`,
      runId,
    });
    expect(version.package).toMatchObject({ runtime: 'baseline', manifest: 'slipway.yaml' });
    expect(version.contract?.inputs.fields.map((f) => f.name)).toEqual(['amount']);
    expect(await client.models.downloadUri('sdk-packaged', version.version)).toBe(
      `mlflow-artifacts:/${version.package?.storagePath ?? ''}`,
    );
  });
});

describe('aliases, resolution, history and contracts', () => {
  const name = 'sdk-fraud';
  let firstMove = 0;

  beforeAll(async () => {
    await client.models.create({ name });
    await client.models.createVersion(name, { source: 's3://f/1', contract: V1 });
    await client.models.createVersion(name, { source: 's3://f/2', contract: V2_COMPATIBLE });
    await client.models.createVersion(name, { source: 's3://f/3', contract: V3_BREAKING });
  });

  it('setAlias returns the event (and the check); a breaking move throws with details.breaks; force overrides', async () => {
    const first = await client.models.setAlias(name, 'champion', 1, { reason: 'launch' });
    expect(first.event).toMatchObject({
      type: 'alias.set',
      toVersion: '1',
      actor: 'sdk-tester',
      reason: 'launch',
    });
    expect(first.compatibility).toBeUndefined();
    firstMove = first.event.time;
    await sleep(5);

    const ok = await client.models.setAlias(name, 'champion', '2', { gate: { passed: true, auc: 0.93 } });
    expect(ok.compatibility).toMatchObject({ mode: 'backward', compatible: true });
    expect(ok.event).toMatchObject({ fromVersion: '1', toVersion: '2', gate: { passed: true, auc: 0.93 } });

    const refused = await caught(client.models.setAlias(name, 'champion', 3));
    expect(refused).toBeInstanceOf(FailedPreconditionError);
    expect(refused.status).toBe(409);
    const breaks = refused.details['breaks'] as ContractChange[];
    expect(breaks.map((b) => [b.field, b.kind, b.breaking])).toEqual([['merchant', 'field-added', true]]);

    const forced = await client.models.setAlias(name, 'champion', 3, { force: true, reason: 'hotfix' });
    expect(forced.event).toMatchObject({ forced: true, fromVersion: '2', toVersion: '3' });
    expect(forced.compatibility?.compatible).toBe(false);
  });

  it('getByAlias and resolve find the aliased version', async () => {
    expect((await client.models.getByAlias(name, 'champion')).version).toBe('3');
    expect((await client.models.resolve(`models:/${name}@champion`)).version).toBe('3');
    expect((await client.models.resolve(`models:/${name}/1`)).version).toBe('1');
    expect((await client.models.resolve(`models:/${name}/latest`)).version).toBe('3');
    expect(await caught(client.models.resolve('runs:/x'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'uri' },
    });
  });

  it('deleteAlias returns the audited event with its reason', async () => {
    await client.models.setAlias(name, 'challenger', 2);
    const event = await client.models.deleteAlias(name, 'challenger', { reason: 'done' });
    expect(event).toMatchObject({
      type: 'alias.deleted',
      fromVersion: '2',
      reason: 'done',
      actor: 'sdk-tester',
    });
    expect(await caught(client.models.getByAlias(name, 'challenger'))).toBeInstanceOf(NotFoundError);
    expect(await caught(client.models.deleteAlias(name, 'challenger'))).toBeInstanceOf(NotFoundError);
  });

  it('history lists events, filtered by alias and paged', async () => {
    const all = await client.models.history(name);
    expect(all[0]?.type).toBe('registered_model.created');
    const champion = await client.models.history(name, { alias: 'champion' });
    expect(champion.map((e) => e.toVersion)).toEqual(['1', '2', '3']);
    const firstTwo = await client.models.history(name, { limit: 2 });
    const rest = await client.models.history(name, { afterSeq: firstTwo[1]?.seq ?? 0 });
    expect([...firstTwo, ...rest]).toEqual(all);
  });

  it('aliasesAt accepts a Date, ms or an ISO string', async () => {
    const atFirst = await client.models.aliasesAt(name, new Date(firstMove));
    expect(atFirst).toEqual([
      { alias: 'champion', version: '1', since: expect.objectContaining({ reason: 'launch' }) },
    ]);
    expect((await client.models.aliasesAt(name, firstMove - 1)).map((a) => a.alias)).toEqual([]);
    const now = await client.models.aliasesAt(name, new Date().toISOString(), { alias: 'champion' });
    expect(now.map((a) => a.version)).toEqual(['3']);
    expect(await caught(client.models.aliasesAt(name, 'not a time'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
      details: { field: 'at' },
    });
  });

  it('diffContract reports compatibility per mode', async () => {
    expect(await client.models.diffContract(name, 1, 2)).toMatchObject({
      mode: 'backward',
      compatible: true,
    });
    const full = await client.models.diffContract(name, '1', '3', { mode: 'full' });
    expect(full.compatible).toBe(false);
    expect(full.changes.filter((c) => c.breaking).map((c) => c.field)).toEqual(['merchant']);
  });
});

describe('the user option', () => {
  it('names the caller in the history; without it the actor is anonymous', async () => {
    const anonymous = new SlipwayClient({ url: platform.url });
    await anonymous.models.create({ name: 'sdk-actors' });
    await new SlipwayClient({ url: platform.url, user: 'ci-bot' }).models.createVersion('sdk-actors', {
      source: 's3://a/1',
    });
    const events = await client.models.history('sdk-actors');
    expect(events.map((e) => [e.type, e.actor])).toEqual([
      ['registered_model.created', 'anonymous'],
      ['model_version.created', 'ci-bot'],
    ]);
  });
});
