/**
 * RegistryService against real stores: SQLite in a temp dir, artifacts on the filesystem, tracking
 * for runs. Only the clock is injected.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SlipwayError, type ModelContract } from '@slipway/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RegistryService } from '../../src/registry/registry-service.js';
import type { RegistryStore } from '../../src/registry/registry-store.js';
import { COMPATIBILITY_TAG } from '../../src/registry/registry-validation.js';
import { FsArtifactStore } from '../../src/storage/artifacts/fs-artifact-store.js';
import { openMetadataStores, type MetadataStores } from '../../src/storage/open-stores.js';
import { TrackingService } from '../../src/tracking/tracking-service.js';
import { linearRegressorOnnx } from '../helpers/onnx-models.js';
import { ONNX_MLMODEL } from './mlflow-fixtures.js';

const V1_CONTRACT: ModelContract = {
  source: 'declared',
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount', type: 'float64', nullable: false },
      { name: 'country', type: 'string', nullable: false },
    ],
  },
  outputs: { kind: 'columns', fields: [{ name: 'score', type: 'float64', nullable: false }] },
};

/** v1 plus a new optional input: safe for v1's callers. */
const V2_COMPATIBLE: ModelContract = {
  ...V1_CONTRACT,
  inputs: {
    kind: 'columns',
    fields: [...V1_CONTRACT.inputs.fields, { name: 'channel', type: 'string', nullable: true }],
  },
};

/** v1 without `country`, plus a new required input: breaks v1's callers. */
const V3_BREAKING: ModelContract = {
  ...V1_CONTRACT,
  inputs: {
    kind: 'columns',
    fields: [
      { name: 'amount', type: 'float64', nullable: false },
      { name: 'merchant_id', type: 'int64', nullable: false },
    ],
  },
};

let dir: string;
let stores: MetadataStores;
let clock: number;
let registry: RegistryService;
let tracking: TrackingService;
let artifacts: FsArtifactStore;

function service(ttl = 60_000): RegistryService {
  return new RegistryService({
    store: stores.registry,
    tracking,
    artifacts,
    now: () => clock,
    aliasCacheTtlMs: ttl,
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-registry-'));
  stores = await openMetadataStores(`sqlite:${join(dir, 'meta.db')}`);
  artifacts = new FsArtifactStore(join(dir, 'artifacts'));
  clock = 1_000;
  tracking = new TrackingService({
    store: stores.tracking,
    now: () => clock,
    defaultArtifactLocation: (id) => `mlflow-artifacts:/${id}`,
  });
  registry = service();
});

afterEach(async () => {
  await stores.close();
  await rm(dir, { recursive: true, force: true });
});

/** A model with versions 1..n carrying the given contracts (metadata-only sources). */
async function modelWith(name: string, contracts: (ModelContract | undefined)[]): Promise<void> {
  await registry.createRegisteredModel({ name }, 'ana');
  for (const contract of contracts) {
    clock += 10;
    await registry.createModelVersion(
      { name, source: 's3://elsewhere/model', ...(contract ? { contract } : {}) },
      'ana',
    );
  }
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlipwayError);
  return err as SlipwayError;
}

describe('versions', () => {
  it('records a source outside the store as given, without a package', async () => {
    await modelWith('fraud', [V1_CONTRACT]);
    const v1 = await registry.getModelVersion('fraud', '1');
    expect(v1.source).toBe('s3://elsewhere/model');
    expect(v1.package).toBeUndefined();
    expect(v1.contract).toEqual(V1_CONTRACT);
    expect(await registry.getDownloadUri('fraud', '1')).toBe('s3://elsewhere/model');
  });

  it('refuses a version of an unknown model or run, creating nothing', async () => {
    expect(
      (await rejection(registry.createModelVersion({ name: 'nope', source: 's3://x' }, 'ana'))).code,
    ).toBe('NOT_FOUND');
    await registry.createRegisteredModel({ name: 'fraud' }, 'ana');
    const err = await rejection(
      registry.createModelVersion(
        { name: 'fraud', source: 'runs:/0123456789abcdef0123456789abcdef/model' },
        'ana',
      ),
    );
    expect(err.code).toBe('NOT_FOUND');
    expect(err.details.field).toBe('run_id');
    expect((await registry.searchModelVersions({ filter: "name = 'fraud'" })).items).toEqual([]);
  });

  it('resolves runs:/ download URIs through the run', async () => {
    const run = await tracking.createRun({ experimentId: '0' });
    await registry.registerModel(
      { name: 'churn', source: `runs:/${run.info.runId}/model`, runId: run.info.runId },
      'ana',
    );
    expect(await registry.getDownloadUri('churn', '1')).toBe(`${run.info.artifactUri}/model`);
  });

  it('registerModel creates the model once, then adds versions', async () => {
    await registry.registerModel({ name: 'm', source: 's3://a' }, 'ana');
    await registry.registerModel({ name: 'm', source: 's3://b' }, 'ana');
    expect((await registry.getRegisteredModel('m')).latestVersions.map((v) => v.version)).toEqual(['2']);
  });
});

describe('packages', () => {
  /** A run whose artifacts hold an MLflow ONNX model under `model/`. */
  async function runWithModel(onnxBytes: Uint8Array): Promise<string> {
    const run = await tracking.createRun({ experimentId: '0' });
    const root = `0/${run.info.runId}/artifacts/model`;
    await artifacts.put(`${root}/MLmodel`, Buffer.from(ONNX_MLMODEL));
    await artifacts.put(`${root}/model.onnx`, Buffer.from(onnxBytes));
    return run.info.runId;
  }

  it('copies a run package to an immutable location with its digest and contract', async () => {
    const onnxBytes = linearRegressorOnnx([1, 2, 3], 0.5);
    const runId = await runWithModel(onnxBytes);
    const version = await registry.registerModel(
      { name: 'fraud', source: `runs:/${runId}/model`, runId },
      'ana',
    );
    expect(version.package).toMatchObject({ manifest: 'MLmodel', runtime: 'onnx', entryPoint: 'model.onnx' });
    expect(version.package?.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(version.package?.storagePath).toMatch(/^model-packages\/[0-9a-f]{32}$/);
    expect(version.package?.files.map((f) => f.path)).toEqual(['MLmodel', 'model.onnx']);
    expect(version.contract?.source).toBe('mlflow-signature');
    expect(version.contract?.inputs.fields[0]).toMatchObject({ name: 'x', type: 'float32', shape: [-1, 3] });
    expect(await registry.getDownloadUri('fraud', '1')).toBe(
      `mlflow-artifacts:/${version.package?.storagePath}`,
    );
    // The copy does not depend on the run's files any more.
    await artifacts.delete(`0/${runId}/artifacts/model`);
    expect((await registry.loadPackage('fraud', '1')).package.digest).toBe(version.package?.digest);
    const loaded = await registry.loadPackage('fraud', '1', { readEntryPoint: true });
    expect(loaded.entryPoint?.equals(Buffer.from(onnxBytes))).toBe(true);
  });

  it('checks a contract declared in the request against the ONNX graph', async () => {
    const runId = await runWithModel(linearRegressorOnnx([1, 2, 3], 0.5));
    await registry.createRegisteredModel({ name: 'fraud' }, 'ana');
    const source = `runs:/${runId}/model`;
    const err = await rejection(
      registry.createModelVersion({ name: 'fraud', source, contract: V1_CONTRACT }, 'ana'),
    );
    expect(err.details.field).toBe('source');
    expect(err.message).toContain('declared contract');
    expect(await artifacts.list('model-packages')).toEqual([]);
    const fitting: ModelContract = {
      source: 'declared',
      inputs: { kind: 'tensors', fields: [{ name: 'x', type: 'float32', shape: [-1, 3], nullable: false }] },
      outputs: {
        kind: 'tensors',
        fields: [{ name: 'y', type: 'float32', shape: [-1, 1], nullable: false, meaning: 'expected loss' }],
      },
    };
    const version = await registry.createModelVersion({ name: 'fraud', source, contract: fitting }, 'ana');
    expect(version.contract).toEqual(fitting);
  });

  it('refuses to load a package whose stored bytes changed', async () => {
    const runId = await runWithModel(linearRegressorOnnx([1, 2, 3], 0.5));
    const version = await registry.registerModel({ name: 'fraud', source: `runs:/${runId}/model` }, 'ana');
    await artifacts.put(
      `${version.package?.storagePath}/model.onnx`,
      Buffer.from(linearRegressorOnnx([9, 9, 9], 0)),
    );
    const err = await rejection(registry.loadPackage('fraud', '1'));
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.message).toContain('model.onnx');
  });

  it('refuses a corrupt ONNX file at registration and leaves nothing behind', async () => {
    const runId = await runWithModel(new TextEncoder().encode('definitely not protobuf'));
    await registry.createRegisteredModel({ name: 'fraud' }, 'ana');
    const err = await rejection(
      registry.createModelVersion({ name: 'fraud', source: `runs:/${runId}/model` }, 'ana'),
    );
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.details.field).toBe('source');
    expect(err.message).toContain('model.onnx');
    expect((await registry.getRegisteredModel('fraud')).latestVersions).toEqual([]);
    expect(await artifacts.list('model-packages')).toEqual([]);
  });

  it('removes the copy when the store refuses the version', async () => {
    const runId = await runWithModel(linearRegressorOnnx([1, 2, 3], 0.5));
    await registry.createRegisteredModel({ name: 'fraud' }, 'ana');
    const failing = new RegistryService({
      // The real store, except that the final write fails (the database went away mid-registration).
      store: Object.assign(Object.create(stores.registry) as RegistryStore, {
        createModelVersion: () => Promise.reject(new SlipwayError('UNAVAILABLE', 'database went away')),
      }),
      tracking,
      artifacts,
      now: () => clock,
    });
    expect(
      (await rejection(failing.createModelVersion({ name: 'fraud', source: `runs:/${runId}/model` }, 'ana')))
        .code,
    ).toBe('UNAVAILABLE');
    expect(await artifacts.list('model-packages')).toEqual([]);
  });
});

describe('alias moves and contracts', () => {
  it('moves an alias through a compatible contract and reports the check', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    const moved = await registry.setAlias(
      { name: 'fraud', alias: 'champion', version: '2', reason: 'adds channel' },
      'bo',
    );
    expect(moved.event).toMatchObject({
      type: 'alias.set',
      actor: 'bo',
      alias: 'champion',
      fromVersion: '1',
      toVersion: '2',
      reason: 'adds channel',
    });
    expect(moved.compatibility?.compatible).toBe(true);
    expect((await registry.getVersionByAlias('fraud', 'champion')).version).toBe('2');
  });

  it('refuses a breaking move, listing every break, and leaves the alias where it was', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE, V3_BREAKING]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    const err = await rejection(registry.setAlias({ name: 'fraud', alias: 'champion', version: '3' }, 'ana'));
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.details['reason']).toBe('contract-breaking');
    const breaks = err.details['breaks'] as { field: string; breaking: boolean }[];
    expect(breaks.map((b) => b.field).sort()).toEqual(expect.arrayContaining(['merchant_id']));
    expect(breaks.every((b) => b.breaking)).toBe(true);
    expect(err.message).toContain('merchant_id');
    expect((await registry.getVersionByAlias('fraud', 'champion')).version).toBe('1');
  });

  it('lets a forced breaking move through and records what was overridden', async () => {
    await modelWith('fraud', [V1_CONTRACT, V3_BREAKING]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    const forced = await registry.setAlias(
      { name: 'fraud', alias: 'champion', version: '2', force: true, reason: 'callers migrated' },
      'ana',
    );
    expect(forced.event.forced).toBe(true);
    expect((forced.event.details?.['breaks'] as unknown[]).length).toBeGreaterThan(0);
  });

  it('skips the check when the model opts out, and on a first assignment', async () => {
    await modelWith('fraud', [V1_CONTRACT, V3_BREAKING]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '2' }, 'ana');
    await registry.setAlias({ name: 'fraud', alias: 'challenger', version: '1' }, 'ana');
    await expect(
      registry.setAlias({ name: 'fraud', alias: 'challenger', version: '2' }, 'ana'),
    ).rejects.toThrow(/breaks backward compatibility/);
    await registry.setRegisteredModelTag('fraud', COMPATIBILITY_TAG, 'none');
    const moved = await registry.setAlias({ name: 'fraud', alias: 'challenger', version: '2' }, 'ana');
    expect(moved.compatibility).toBeUndefined();
  });

  it('treats a move onto a version without a contract as breaking', async () => {
    await modelWith('fraud', [V1_CONTRACT, undefined]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    const err = await rejection(registry.setAlias({ name: 'fraud', alias: 'champion', version: '2' }, 'ana'));
    expect(err.message).toContain('declares no contract');
  });

  it('serializes concurrent moves: every move is in the history and the chain is unbroken', async () => {
    await modelWith(
      'fraud',
      Array.from({ length: 5 }, () => V1_CONTRACT),
    );
    const moves = Array.from({ length: 20 }, (_, i) =>
      registry.setAlias(
        { name: 'fraud', alias: 'champion', version: String((i % 5) + 1), reason: `move ${i}` },
        'ana',
      ),
    );
    await Promise.all(moves);
    const events = await registry.history('fraud', { alias: 'champion' });
    expect(events).toHaveLength(20);
    expect(new Set(events.map((e) => e.reason)).size).toBe(20);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]?.fromVersion).toBe(events[i - 1]?.toVersion);
    }
    expect(events[0]?.fromVersion).toBeUndefined();
  });

  it('deletes an alias with an audited event and refuses to delete an unset one', async () => {
    await modelWith('fraud', [V1_CONTRACT]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    const event = await registry.deleteAlias(
      { name: 'fraud', alias: 'champion', reason: 'incident 42' },
      'bo',
    );
    expect(event).toMatchObject({
      type: 'alias.deleted',
      fromVersion: '1',
      actor: 'bo',
      reason: 'incident 42',
    });
    expect(event.toVersion).toBeUndefined();
    const err = await rejection(registry.getVersionByAlias('fraud', 'champion'));
    expect(err.details.field).toBe('alias');
    expect((await rejection(registry.deleteAlias({ name: 'fraud', alias: 'champion' }, 'bo'))).code).toBe(
      'NOT_FOUND',
    );
  });
});

describe('history', () => {
  it('answers what was live at any moment', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE, V2_COMPATIBLE]);
    clock = 10_000;
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    clock = 20_000;
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '2' }, 'ana');
    await registry.setAlias({ name: 'fraud', alias: 'challenger', version: '3' }, 'ana');
    clock = 30_000;
    await registry.deleteAlias({ name: 'fraud', alias: 'challenger' }, 'ana');

    expect(await registry.aliasesAt('fraud', 9_999, 'champion')).toEqual([{ alias: 'champion' }]);
    expect((await registry.aliasesAt('fraud', 15_000, 'champion'))[0]?.version).toBe('1');
    const at25 = await registry.aliasesAt('fraud', 25_000);
    expect(at25.map((a) => [a.alias, a.version])).toEqual([
      ['challenger', '3'],
      ['champion', '2'],
    ]);
    const at30 = await registry.aliasesAt('fraud', 30_000);
    expect(at30.map((a) => [a.alias, a.version])).toEqual([
      ['challenger', undefined],
      ['champion', '2'],
    ]);
  });

  it('keeps the history of a deleted model, and of one renamed since', async () => {
    await modelWith('fraud', [V1_CONTRACT]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    await registry.deleteRegisteredModel('fraud', 'ana');
    const types = (await registry.history('fraud')).map((e) => e.type);
    expect(types).toEqual([
      'registered_model.created',
      'model_version.created',
      'alias.set',
      'alias.deleted',
      'registered_model.deleted',
    ]);
    expect((await rejection(registry.history('never-existed'))).code).toBe('NOT_FOUND');
  });
});

describe('resolution', () => {
  it('resolves every models:/ form', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    await registry.transitionStage('fraud', '1', 'Production');
    expect((await registry.resolveModelUri('models:/fraud/2')).version).toBe('2');
    expect((await registry.resolveModelUri('models:/fraud@champion')).version).toBe('1');
    expect((await registry.resolveModelUri('models:/fraud/latest')).version).toBe('2');
    expect((await registry.resolveModelUri('models:/fraud/Production')).version).toBe('1');
    expect((await rejection(registry.resolveModelUri('models:/fraud/Staging'))).code).toBe('NOT_FOUND');
  });

  it('serves alias resolution from cache, invalidated by moves made here', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    expect((await registry.getVersionByAlias('fraud', 'champion')).version).toBe('1');
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '2' }, 'ana');
    expect((await registry.getVersionByAlias('fraud', 'champion')).version).toBe('2');
  });

  it('serves the version as it is now after its tags or description change', async () => {
    await modelWith('fraud', [V1_CONTRACT]);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    await registry.getVersionByAlias('fraud', 'champion');
    await registry.setModelVersionTag('fraud', '1', 'validated', 'yes');
    expect((await registry.getVersionByAlias('fraud', 'champion')).tags).toEqual({ validated: 'yes' });
    await registry.updateModelVersion('fraud', '1', 'after review');
    expect((await registry.getVersionByAlias('fraud', 'champion')).description).toBe('after review');
    await registry.deleteModelVersionTag('fraud', '1', 'validated');
    expect((await registry.getVersionByAlias('fraud', 'champion')).tags).toEqual({});
  });

  it('sees a move made by another replica once the TTL has passed', async () => {
    await modelWith('fraud', [V1_CONTRACT, V2_COMPATIBLE]);
    const replica = service(1_000);
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '1' }, 'ana');
    expect((await replica.getVersionByAlias('fraud', 'champion')).version).toBe('1');
    await registry.setAlias({ name: 'fraud', alias: 'champion', version: '2' }, 'ana');
    clock += 999;
    expect((await replica.getVersionByAlias('fraud', 'champion')).version).toBe('1');
    clock += 1;
    expect((await replica.getVersionByAlias('fraud', 'champion')).version).toBe('2');
  });
});

describe('contract diff', () => {
  it('reports field-level breaks between two versions', async () => {
    await modelWith('fraud', [V1_CONTRACT, V3_BREAKING, undefined]);
    const report = await registry.diffContracts('fraud', '1', '2', 'backward');
    expect(report.compatible).toBe(false);
    expect(report.changes.some((c) => c.field === 'merchant_id' && c.breaking)).toBe(true);
    expect((await rejection(registry.diffContracts('fraud', '1', '3'))).code).toBe('FAILED_PRECONDITION');
  });
});
