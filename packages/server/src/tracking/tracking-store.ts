/**
 * The tracking store port: the domain operations the tracking service needs from persistence.
 * Typed with domain types only; every backend (SQLite, PostgreSQL) passes the same contract suite
 * in test/storage/tracking-store.contract.ts.
 */
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LogBatch,
  Metric,
  Run,
  RunInfo,
  RunStatus,
  StringMap,
  ViewType,
} from '@slipway/contracts';
import type {
  ExperimentFilterClause,
  ExperimentOrderKey,
  RunFilterClause,
  RunOrderKey,
} from './search-types.js';

/**
 * The reserved tag that mirrors a run's name. Stores keep the two in sync atomically in both
 * directions: creating or renaming a run sets the tag, and logging the tag renames the run.
 */
export const RUN_NAME_TAG = 'mlflow.runName';

/** Input for creating an experiment. */
export interface NewExperiment {
  name: string;
  /** Explicit artifact location; when absent the store calls `defaultArtifactLocation` with the new id. */
  artifactLocation?: string;
  defaultArtifactLocation: (experimentId: string) => string;
  tags: StringMap;
  /** ms since epoch; used for creationTime and lastUpdateTime. */
  now: number;
}

/** Input for creating a run (the service has already chosen id, name and artifact URI). */
export interface NewRun {
  runId: string;
  experimentId: string;
  runName: string;
  userId: string;
  startTime: number;
  artifactUri: string;
  tags: StringMap;
}

/** Fields of a run that can be updated after creation. */
export interface RunPatch {
  status?: RunStatus;
  endTime?: number;
  runName?: string;
}

/** A page request: `offset` rows skipped, at most `limit` returned. */
export interface PageRequest {
  offset: number;
  limit: number;
}

/** Run search query; `filter` clauses are ANDed. */
export interface RunSearchQuery extends PageRequest {
  experimentIds: string[];
  filter: RunFilterClause[];
  orderBy: RunOrderKey[];
  viewType: ViewType;
}

/** Experiment search query; `filter` clauses are ANDed. */
export interface ExperimentSearchQuery extends PageRequest {
  filter: ExperimentFilterClause[];
  orderBy: ExperimentOrderKey[];
  viewType: ViewType;
}

/**
 * Persistence for experiments, runs, metrics, params, tags and dataset inputs.
 *
 * Error contract (all errors are `SlipwayError`):
 * - NOT_FOUND when a referenced experiment or run does not exist;
 * - ALREADY_EXISTS when an experiment name is taken (names are unique across lifecycle stages);
 * - FAILED_PRECONDITION when writing to a run or experiment that is deleted (details.field = 'run_id'
 *   or 'experiment_id');
 * - INVALID_ARGUMENT (details.field = `params.<key>`) when a param is logged again with a different value;
 * - NOT_FOUND from getMetricHistory when the run does not exist.
 * A promise that resolves means the write is committed and durable.
 */
export interface TrackingStore {
  /** Creates an experiment and returns it with its new id. */
  createExperiment(input: NewExperiment): Promise<Experiment>;
  /** Returns the experiment, or undefined. */
  getExperiment(experimentId: string): Promise<Experiment | undefined>;
  /** Returns the experiment with that exact name (any lifecycle stage), or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined>;
  /** Returns one page of experiments matching the query. */
  searchExperiments(query: ExperimentSearchQuery): Promise<Experiment[]>;
  /** Renames an experiment (ALREADY_EXISTS if the name is taken). */
  renameExperiment(experimentId: string, name: string, now: number): Promise<void>;
  /** Moves an experiment, and all its runs, to a lifecycle stage. */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void>;
  /** Sets (upserts) an experiment tag. */
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void>;
  /** Deletes an experiment tag (NOT_FOUND if absent). */
  deleteExperimentTag(experimentId: string, key: string): Promise<void>;

  /** Creates a run in an active experiment. */
  createRun(input: NewRun): Promise<Run>;
  /** Returns the run with data and inputs, or undefined. */
  getRun(runId: string): Promise<Run | undefined>;
  /** Returns only the run's info (cheap), or undefined. */
  getRunInfo(runId: string): Promise<RunInfo | undefined>;
  /** Updates status / end time / name of an active run; returns the new info. */
  updateRun(runId: string, patch: RunPatch): Promise<RunInfo>;
  /** Soft-deletes or restores a run. `now` is recorded as the deletion time. */
  setRunLifecycle(runId: string, stage: LifecycleStage, now: number): Promise<void>;
  /** Appends metrics, inserts params and upserts tags of an active run atomically. */
  logBatch(runId: string, batch: LogBatch): Promise<void>;
  /** Deletes a run tag (NOT_FOUND if absent). */
  deleteRunTag(runId: string, key: string): Promise<void>;
  /** Records dataset inputs of an active run (datasets deduplicated by experiment, name and digest). */
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void>;
  /** Returns one page of a metric's full history ordered by step, then timestamp. */
  getMetricHistory(runId: string, key: string, page: PageRequest): Promise<Metric[]>;
  /** Returns one page of runs matching the query, with data and inputs. */
  searchRuns(query: RunSearchQuery): Promise<Run[]>;

  /** Releases connections. */
  close(): Promise<void>;
}
