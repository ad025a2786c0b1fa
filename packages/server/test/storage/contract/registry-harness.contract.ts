/**
 * Fixtures and helpers shared by the registry store contract sections. Written against the port
 * only, so any RegistryStore implementation can run the suite.
 */
import type {
  ModelContract,
  ModelPackage,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
  StringMap,
} from '@slipway/contracts';
import { afterEach, beforeEach } from 'vitest';
import type {
  Actor,
  ModelVersionSearchQuery,
  NewModelVersion,
  RegisteredModelSearchQuery,
  RegistryStore,
} from '../../../src/registry/registry-store.js';

export { expectError } from './harness.js';

/** A store opened on a contract database; the store does not own its connection, so this closes it. */
export interface OpenedRegistryStore {
  readonly store: RegistryStore;
  close(): Promise<void>;
}

/** One empty database a registry store can be opened on, repeatedly. */
export interface RegistryContractDatabase {
  /** Opens a store on this database (again after a close, to check what survived). */
  open(): Promise<OpenedRegistryStore>;
  /** Deletes the database. */
  dispose(): Promise<void>;
}

/** What the registry contract suite needs from an implementation. */
export interface RegistryStoreFactory {
  /** Label used in test names. */
  readonly name: string;
  /** A fresh, empty database. */
  createDatabase(): Promise<RegistryContractDatabase>;
}

/** The registry store of the current test, on a database of its own. */
export interface RegistryFixture {
  readonly store: RegistryStore;
  /** Closes the store and opens a new one on the same database. */
  reopen(): Promise<RegistryStore>;
}

/** Gives every test of the enclosing describe a fresh database and registry store. */
export function useFreshRegistry(factory: RegistryStoreFactory): RegistryFixture {
  let database: RegistryContractDatabase | undefined;
  let opened: OpenedRegistryStore | undefined;
  beforeEach(async () => {
    database = await factory.createDatabase();
    opened = await database.open();
  });
  afterEach(async () => {
    await opened?.close();
    await database?.dispose();
    opened = undefined;
    database = undefined;
  });
  return {
    get store(): RegistryStore {
      if (opened === undefined) throw new Error('No store: use the fixture inside a test.');
      return opened.store;
    },
    async reopen(): Promise<RegistryStore> {
      if (opened === undefined || database === undefined) throw new Error('No store to reopen.');
      await opened.close();
      opened = await database.open();
      return opened.store;
    },
  };
}

/** Who acts, and when. */
export function by(now = 1_000, actor = 'alice'): Actor {
  return { actor, now };
}

/** Creates a registered model with defaults (empty description, no tags, time 1000, actor alice). */
export function createModel(
  store: RegistryStore,
  name: string,
  options: { description?: string; tags?: StringMap; now?: number; actor?: string } = {},
): Promise<RegisteredModel> {
  return store.createRegisteredModel({
    name,
    description: options.description ?? '',
    tags: options.tags ?? {},
    ...by(options.now, options.actor),
  });
}

/** Creates the next version of `name` with defaults (a READY metadata-only version from run r1). */
export function createVersion(
  store: RegistryStore,
  name: string,
  overrides: Partial<Omit<NewModelVersion, 'name'>> = {},
): Promise<ModelVersion> {
  return store.createModelVersion({
    name,
    source: 'runs:/r1/model',
    runId: 'r1',
    runLink: '',
    description: '',
    tags: {},
    status: 'READY',
    statusMessage: '',
    ...by(),
    ...overrides,
  });
}

/** Points the unset alias `alias` of `name` at version `to`, as alice at `now` (default 1000). */
export function setAlias(
  store: RegistryStore,
  name: string,
  alias: string,
  to: string,
  now?: number,
): Promise<RegistryEvent> {
  return store.moveAlias({ ...by(now), name, alias, expectedFrom: undefined, to });
}

/** Creates `count` versions of `name` one after the other. */
export async function createVersions(store: RegistryStore, name: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await createVersion(store, name);
}

/** A registered-model search with defaults: no filter, default order, first 1000. */
export function modelQuery(overrides: Partial<RegisteredModelSearchQuery> = {}): RegisteredModelSearchQuery {
  return { filter: [], orderBy: [], offset: 0, limit: 1000, ...overrides };
}

/** A model-version search with defaults: no filter, default order, first 1000. */
export function versionQuery(overrides: Partial<ModelVersionSearchQuery> = {}): ModelVersionSearchQuery {
  return { filter: [], orderBy: [], offset: 0, limit: 1000, ...overrides };
}

/** A contract exercising every optional field. */
export function sampleContract(): ModelContract {
  return {
    source: 'declared',
    inputs: {
      kind: 'columns',
      fields: [
        { name: 'amount', type: 'float64', nullable: false, range: { min: 0, max: 1e9 }, description: 'EUR' },
        { name: 'country', type: 'string', nullable: true, categories: ['DE', 'FR', 'ünïcode'] },
        { name: 'flags', type: 'int8', nullable: false, categories: [0, 1, -1] },
      ],
    },
    outputs: {
      kind: 'tensors',
      fields: [
        { name: 'p', type: 'float32', shape: [-1, 2], nullable: false, meaning: 'probability of fraud' },
      ],
    },
  };
}

/** A package whose metadata nests objects, arrays, nulls, booleans and awkward numbers and strings. */
export function samplePackage(): ModelPackage {
  return {
    manifest: 'slipway.yaml',
    runtime: 'onnx',
    entryPoint: 'model.onnx',
    digest: `sha256:${'ab'.repeat(32)}`,
    storagePath: 'model-packages/0b8f6c1e',
    files: [
      { path: 'model.onnx', size: 123_456, sha256: 'cd'.repeat(32) },
      { path: 'nested/dir/vocab.txt', size: 0, sha256: 'ef'.repeat(32) },
    ],
    metadata: {
      zeta: 1,
      alpha: { trainingDataset: { digest: 'sha256:00', rows: 9_007_199_254_740_991 } },
      metrics: { auc: 0.1 + 0.2, loss: -1.5e-7, best: [0.9, 0.91, { epoch: 3 }] },
      libraries: ['onnxruntime==1.17', 'numpy'],
      nothing: null,
      flags: { calibrated: true, quantized: false },
      text: 'quote " backslash \\ newline \n emoji 🚀 nul-free',
      empty: {},
      emptyList: [],
    },
  };
}
