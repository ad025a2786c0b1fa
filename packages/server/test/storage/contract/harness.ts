/**
 * Fixtures and helpers shared by the tracking store contract sections. Written against the port
 * only, so any TrackingStore implementation can run the suite.
 */
import {
  SlipwayError,
  type ErrorCode,
  type Experiment,
  type Metric,
  type Run,
  type StringMap,
} from '@slipway/contracts';
import { afterEach, beforeEach, expect } from 'vitest';
import type {
  ExperimentSearchQuery,
  RunSearchQuery,
  TrackingStore,
} from '../../../src/tracking/tracking-store.js';

/** One empty database a store can be opened on, repeatedly. */
export interface ContractDatabase {
  /** Opens a store on this database (again after a close, to check what survived). */
  open(): Promise<TrackingStore>;
  /** Deletes the database. */
  dispose(): Promise<void>;
}

/** What the contract suite needs from an implementation. */
export interface TrackingStoreFactory {
  /** Label used in test names. */
  readonly name: string;
  /** A fresh, empty database. */
  createDatabase(): Promise<ContractDatabase>;
}

/** The store of the current test, on a database of its own. */
export interface StoreFixture {
  readonly store: TrackingStore;
  /** Closes the store and opens a new one on the same database. */
  reopen(): Promise<TrackingStore>;
}

/** Gives every test of the enclosing describe a fresh database and store. */
export function useFreshStore(factory: TrackingStoreFactory): StoreFixture {
  let database: ContractDatabase | undefined;
  let store: TrackingStore | undefined;
  beforeEach(async () => {
    database = await factory.createDatabase();
    store = await database.open();
  });
  afterEach(async () => {
    await store?.close();
    await database?.dispose();
    store = undefined;
    database = undefined;
  });
  return {
    get store(): TrackingStore {
      if (store === undefined) throw new Error('No store: use the fixture inside a test.');
      return store;
    },
    async reopen(): Promise<TrackingStore> {
      if (store === undefined || database === undefined) throw new Error('No store to reopen.');
      await store.close();
      store = await database.open();
      return store;
    },
  };
}

/** A 32-hex-char run id derived from `n`. */
export function runIdFor(n: number): string {
  return n.toString(16).padStart(32, '0');
}

let nextRun = 1;

/** Creates an experiment with artifact location `loc/<id>` unless given. */
export function createExperiment(
  store: TrackingStore,
  name: string,
  options: { tags?: StringMap; artifactLocation?: string; now?: number } = {},
): Promise<Experiment> {
  return store.createExperiment({
    name,
    ...(options.artifactLocation === undefined ? {} : { artifactLocation: options.artifactLocation }),
    defaultArtifactLocation: (id) => `loc/${id}`,
    tags: options.tags ?? {},
    now: options.now ?? 1_000,
  });
}

/** Creates a run with a fresh id; the name defaults to the id. */
export function createRun(
  store: TrackingStore,
  experimentId: string,
  options: { name?: string; startTime?: number; userId?: string; tags?: StringMap } = {},
): Promise<Run> {
  const runId = runIdFor(nextRun++);
  return store.createRun({
    runId,
    experimentId,
    runName: options.name ?? runId,
    userId: options.userId ?? 'alice',
    startTime: options.startTime ?? 1_000,
    artifactUri: `loc/${experimentId}/${runId}/artifacts`,
    tags: options.tags ?? {},
  });
}

/** A metric observation. */
export function metric(key: string, value: number, step = 0, timestamp = 1_000): Metric {
  return { key, value, step, timestamp };
}

/** A run search over `experimentIds` with defaults: no filter, default order, active runs, first 1000. */
export function runQuery(experimentIds: string[], overrides: Partial<RunSearchQuery> = {}): RunSearchQuery {
  return {
    experimentIds,
    filter: [],
    orderBy: [],
    viewType: 'ACTIVE_ONLY',
    offset: 0,
    limit: 1000,
    ...overrides,
  };
}

/** An experiment search with defaults: no filter, default order, active experiments, first 1000. */
export function experimentQuery(overrides: Partial<ExperimentSearchQuery> = {}): ExperimentSearchQuery {
  return { filter: [], orderBy: [], viewType: 'ACTIVE_ONLY', offset: 0, limit: 1000, ...overrides };
}

/** Names of the runs a search returns, in order. */
export async function searchNames(store: TrackingStore, query: RunSearchQuery): Promise<string[]> {
  return (await store.searchRuns(query)).map((run) => run.info.runName);
}

/** Asserts that `promise` rejects with a SlipwayError of `code` (and `details.field`, when given). */
export async function expectError(
  promise: Promise<unknown>,
  code: ErrorCode,
  field?: string,
): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  const slipwayError = error as SlipwayError;
  expect(slipwayError.code).toBe(code);
  if (field !== undefined) expect(slipwayError.details.field).toBe(field);
  return slipwayError;
}
