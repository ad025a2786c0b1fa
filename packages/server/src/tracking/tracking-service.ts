/**
 * Tracking use cases: experiments, runs and their logged data. Every API surface (native REST,
 * MLflow compat, CLI) goes through this service, so rules live in exactly one place.
 */
import { randomUUID } from 'node:crypto';
import {
  type SlipwayError,
  invalidArgument,
  notFound,
  type DatasetInput,
  type Experiment,
  type LogBatch,
  type Metric,
  type MetricAxis,
  type MetricBuckets,
  type Run,
  type RunInfo,
  type RunStatus,
  type StringMap,
  type ViewType,
} from '@slipway/contracts';
import { bucketMetricHistory } from './metric-buckets.js';
import { generateRunName } from './run-names.js';
import {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseRunFilter,
  parseRunOrderBy,
} from './search-grammar.js';
import { decodePageToken, encodePageToken } from './page-token.js';
import { RUN_NAME_TAG, type TrackingStore } from './tracking-store.js';
import { LIMITS } from './tracking-limits.js';
import {
  resolveMaxResults,
  validateArtifactLocation,
  validateDatasetInputs,
  validateExperimentId,
  validateExperimentName,
  validateKey,
  validateLength,
  validateLogBatch,
  validateRunId,
} from './tracking-validation.js';

/** The reserved tag naming the user who created a run. */
export const USER_TAG = 'mlflow.user';

/** What the service needs from the outside world. */
export interface TrackingServiceDeps {
  store: TrackingStore;
  /** ms since epoch; injected so tests control time. */
  now?: () => number;
  /** New run ids (32 lowercase hex chars by default). */
  newRunId?: () => string;
  /** Artifact location for a new experiment without one, e.g. `mlflow-artifacts:/<id>`. */
  defaultArtifactLocation: (experimentId: string) => string;
}

/** Input for creating an experiment. */
export interface CreateExperimentInput {
  name: string;
  artifactLocation?: string;
  tags?: StringMap;
}

/** Input for creating a run. */
export interface CreateRunInput {
  experimentId: string;
  runName?: string;
  userId?: string;
  startTime?: number;
  tags?: StringMap;
}

/** Search request shared by runs and experiments (strings are parsed here, not by callers). */
export interface SearchInput {
  filter?: string;
  orderBy?: string[];
  maxResults?: number;
  pageToken?: string;
  viewType?: ViewType;
}

/** A page of results plus the token for the next one (present whenever the page is full, as MLflow). */
export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** Tracking use cases. */
export class TrackingService {
  private readonly store: TrackingStore;
  private readonly now: () => number;
  private readonly newRunId: () => string;
  private readonly defaultArtifactLocation: (experimentId: string) => string;

  constructor(deps: TrackingServiceDeps) {
    this.store = deps.store;
    this.now = deps.now ?? Date.now;
    this.newRunId = deps.newRunId ?? (() => randomUUID().replaceAll('-', ''));
    this.defaultArtifactLocation = deps.defaultArtifactLocation;
  }

  /** Creates an experiment; ALREADY_EXISTS if the name is taken. */
  async createExperiment(input: CreateExperimentInput): Promise<Experiment> {
    const name = validateExperimentName(input.name);
    const tags = input.tags ?? {};
    this.validateExperimentTags(tags);
    return this.store.createExperiment({
      name,
      ...(input.artifactLocation
        ? { artifactLocation: validateArtifactLocation(input.artifactLocation) }
        : {}),
      defaultArtifactLocation: this.defaultArtifactLocation,
      tags,
      now: this.now(),
    });
  }

  /** Returns an experiment; NOT_FOUND if absent. */
  async getExperiment(experimentId: string): Promise<Experiment> {
    validateExperimentId(experimentId);
    const experiment = await this.store.getExperiment(experimentId);
    if (!experiment)
      throw notFound(`No Experiment with id=${experimentId} exists`, { field: 'experiment_id' });
    return experiment;
  }

  /** Returns the experiment with this exact name; NOT_FOUND if absent. */
  async getExperimentByName(name: string): Promise<Experiment> {
    validateExperimentName(name, 'experiment_name');
    const experiment = await this.store.getExperimentByName(name);
    if (!experiment)
      throw notFound(`Could not find experiment with name '${name}'`, { field: 'experiment_name' });
    return experiment;
  }

  /** Searches experiments with MLflow's filter grammar. */
  async searchExperiments(input: SearchInput): Promise<Page<Experiment>> {
    const limit = resolveMaxResults(input.maxResults);
    const offset = decodePageToken(input.pageToken);
    const items = await this.store.searchExperiments({
      filter: parseExperimentFilter(input.filter),
      orderBy: parseExperimentOrderBy(input.orderBy),
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      offset,
      limit,
    });
    return pageOf(items, offset, limit);
  }

  /** Renames an experiment. */
  async renameExperiment(experimentId: string, newName: string): Promise<void> {
    validateExperimentId(experimentId);
    validateExperimentName(newName, 'new_name');
    await this.store.renameExperiment(experimentId, newName, this.now());
  }

  /** Soft-deletes an experiment and its runs. */
  async deleteExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    await this.store.setExperimentLifecycle(experimentId, 'deleted', this.now());
  }

  /** Restores a soft-deleted experiment and its runs. */
  async restoreExperiment(experimentId: string): Promise<void> {
    validateExperimentId(experimentId);
    await this.store.setExperimentLifecycle(experimentId, 'active', this.now());
  }

  /** Sets an experiment tag. */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateExperimentId(experimentId);
    this.validateExperimentTags({ [key]: value });
    await this.store.setExperimentTag(experimentId, key, value);
  }

  /** Deletes an experiment tag. */
  async deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    validateExperimentId(experimentId);
    validateKey('tag', key, 'key');
    await this.store.deleteExperimentTag(experimentId, key);
  }

  /** Creates a run, reconciling `runName` with the `mlflow.runName` tag as MLflow does. */
  async createRun(input: CreateRunInput): Promise<Run> {
    const experimentId = validateExperimentId(input.experimentId);
    const tags = { ...(input.tags ?? {}) };
    validateLogBatch({ metrics: [], params: {}, tags });
    const runName = resolveRunName(input.runName, tags[RUN_NAME_TAG]);
    tags[RUN_NAME_TAG] = runName;
    const userId = input.userId ?? tags[USER_TAG] ?? 'unknown';
    const experiment = await this.getExperiment(experimentId);
    const runId = this.newRunId();
    return this.store.createRun({
      runId,
      experimentId,
      runName,
      userId,
      startTime: input.startTime ?? this.now(),
      artifactUri: `${experiment.artifactLocation.replace(/\/+$/, '')}/${runId}/artifacts`,
      tags,
    });
  }

  /** Returns a run with its data; NOT_FOUND if absent. */
  async getRun(runId: string): Promise<Run> {
    validateRunId(runId);
    const run = await this.store.getRun(runId);
    if (!run) throw runNotFound(runId);
    return run;
  }

  /** Returns only a run's info; NOT_FOUND if absent. */
  async getRunInfo(runId: string): Promise<RunInfo> {
    validateRunId(runId);
    const info = await this.store.getRunInfo(runId);
    if (!info) throw runNotFound(runId);
    return info;
  }

  /** Updates status, end time and/or name of a run (the store mirrors a new name into `mlflow.runName`). */
  async updateRun(
    runId: string,
    patch: { status?: RunStatus; endTime?: number; runName?: string },
  ): Promise<RunInfo> {
    validateRunId(runId);
    if (patch.endTime !== undefined && (!Number.isSafeInteger(patch.endTime) || patch.endTime < 0)) {
      throw invalidArgument(
        'end_time',
        `Invalid end_time ${patch.endTime}: must be a non-negative integer (ms).`,
      );
    }
    if (patch.runName !== undefined) validateLength('run_name', patch.runName, LIMITS.maxTagValueLength);
    return this.store.updateRun(runId, patch);
  }

  /** Soft-deletes a run. */
  async deleteRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.store.setRunLifecycle(runId, 'deleted', this.now());
  }

  /** Restores a soft-deleted run. */
  async restoreRun(runId: string): Promise<void> {
    validateRunId(runId);
    await this.store.setRunLifecycle(runId, 'active', this.now());
  }

  /** Logs one metric observation. */
  async logMetric(runId: string, metric: Metric): Promise<void> {
    await this.logBatch(runId, { metrics: [metric], params: {}, tags: {} });
  }

  /** Logs one param (immutable once set). */
  async logParam(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { metrics: [], params: { [key]: value }, tags: {} });
  }

  /** Sets one run tag; `mlflow.runName` also renames the run. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    await this.logBatch(runId, { metrics: [], params: {}, tags: { [key]: value } });
  }

  /** Deletes one run tag. */
  async deleteTag(runId: string, key: string): Promise<void> {
    validateRunId(runId);
    validateKey('tag', key, 'key');
    await this.store.deleteRunTag(runId, key);
  }

  /** Logs metrics, params and tags atomically after validating all of them. */
  async logBatch(runId: string, batch: LogBatch): Promise<void> {
    validateRunId(runId);
    validateLogBatch(batch);
    await this.store.logBatch(runId, batch);
  }

  /**
   * Appends a logged model's metadata (an MLmodel file as a dict) to the run's
   * `mlflow.log-model.history` tag, as MLflow does for `mlflow.<flavor>.log_model`. The fields MLflow
   * requires must be present; the history must stay within the tag value limit.
   */
  async logModel(runId: string, model: Record<string, unknown>): Promise<void> {
    const missing = LOGGED_MODEL_FIELDS.filter((field) => !(field in model));
    if (missing.length > 0) {
      throw invalidArgument('model_json', `Model json is missing mandatory fields: ${missing.join(', ')}.`);
    }
    const run = await this.getRun(runId);
    const previous = run.data.tags[LOGGED_MODELS_TAG];
    const history = [...parseModelHistory(previous), model];
    await this.logBatch(runId, {
      metrics: [],
      params: {},
      tags: { [LOGGED_MODELS_TAG]: JSON.stringify(history) },
    });
  }

  /** Records dataset inputs of a run. */
  async logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    validateRunId(runId);
    validateDatasetInputs(inputs);
    await this.store.logInputs(runId, inputs);
  }

  /**
   * Returns a metric's history ordered by step then timestamp. Without `maxResults` the whole history
   * comes back in one page (MLflow's SQL store does the same, and its client expects it).
   */
  async getMetricHistory(
    runId: string,
    key: string,
    page: { maxResults?: number; pageToken?: string } = {},
  ): Promise<Page<Metric>> {
    validateRunId(runId);
    validateKey('metric', key, 'metric_key');
    const offset = decodePageToken(page.pageToken);
    const limit =
      page.maxResults === undefined ? Number.MAX_SAFE_INTEGER : resolveMaxResults(page.maxResults);
    const items = await this.store.getMetricHistory(runId, key, { offset, limit });
    return page.maxResults === undefined ? { items } : pageOf(items, offset, limit);
  }

  /**
   * Returns a metric's history reduced to at most `buckets` slices of the step or time axis, each
   * keeping its first, last, lowest and highest observation, so charts of long histories stay
   * small on the wire without losing spikes.
   */
  async getMetricBuckets(
    runId: string,
    key: string,
    query: { buckets?: number; axis?: MetricAxis; from?: number; to?: number } = {},
  ): Promise<MetricBuckets> {
    validateRunId(runId);
    validateKey('metric', key, 'metric_key');
    const { from, to } = query;
    if (from !== undefined && to !== undefined && from > to) {
      throw invalidArgument('from', `from (${from}) must not be greater than to (${to}).`);
    }
    const history = await this.store.getMetricHistory(runId, key, {
      offset: 0,
      limit: Number.MAX_SAFE_INTEGER,
    });
    const request = { buckets: query.buckets ?? DEFAULT_METRIC_BUCKETS, axis: query.axis ?? 'step' };
    return bucketMetricHistory(key, history, { ...request, ...definedRange(from, to) });
  }

  /** Searches runs of the given experiments with MLflow's filter and order_by grammar. */
  async searchRuns(input: SearchInput & { experimentIds: string[] }): Promise<Page<Run>> {
    input.experimentIds.forEach((id, i) => validateExperimentId(id, `experiment_ids[${i}]`));
    const limit = resolveMaxResults(input.maxResults);
    const offset = decodePageToken(input.pageToken);
    const items = await this.store.searchRuns({
      experimentIds: input.experimentIds,
      filter: parseRunFilter(input.filter),
      orderBy: parseRunOrderBy(input.orderBy),
      viewType: input.viewType ?? 'ACTIVE_ONLY',
      offset,
      limit,
    });
    return pageOf(items, offset, limit);
  }

  private validateExperimentTags(tags: StringMap): void {
    for (const [key, value] of Object.entries(tags)) {
      validateKey('tag', key, 'tags.key');
      validateLength(`tags.${key}`, value, LIMITS.maxExperimentTagValueLength);
    }
  }
}

/** Buckets a chart gets when it does not say: about one per pixel column of a wide chart. */
const DEFAULT_METRIC_BUCKETS = 1000;

function definedRange(from: number | undefined, to: number | undefined): { from?: number; to?: number } {
  return { ...(from === undefined ? {} : { from }), ...(to === undefined ? {} : { to }) };
}

/** The run tag holding the JSON list of models logged to a run. */
export const LOGGED_MODELS_TAG = 'mlflow.log-model.history';
const LOGGED_MODEL_FIELDS = ['artifact_path', 'flavors', 'utc_time_created', 'run_id'] as const;

/** A history tag written by anything other than this service is treated as empty, not as an error. */
function parseModelHistory(tag: string | undefined): unknown[] {
  if (tag === undefined) return [];
  try {
    const parsed: unknown = JSON.parse(tag);
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

/** A page of `items` fetched at `offset` with `limit`: a full page carries the next page's token. */
export function pageOf<T>(items: T[], offset: number, limit: number): Page<T> {
  return items.length === limit ? { items, nextPageToken: encodePageToken(offset + limit) } : { items };
}

function runNotFound(runId: string): SlipwayError {
  return notFound(`Run with id=${runId} not found`, { field: 'run_id' });
}

function resolveRunName(fromField: string | undefined, fromTag: string | undefined): string {
  if (fromField && fromTag && fromField !== fromTag) {
    throw invalidArgument(
      'run_name',
      `Both 'run_name' argument and '${RUN_NAME_TAG}' tag are specified, but with different values (run_name='${fromField}', ${RUN_NAME_TAG}='${fromTag}').`,
    );
  }
  return fromField || fromTag || generateRunName();
}
