/**
 * Evaluation use cases: score registered model versions on a dataset, judge an optional gate, log
 * the result to a tracking run and store it. A report is stored only once it is complete and
 * logged, so a failure at any step leaves no result that looks finished.
 */
import { randomUUID } from 'node:crypto';
import {
  definedFields,
  invalidArgument,
  notFound,
  type CreateEvaluationRequest,
  type EvaluatedModelRef,
  type Evaluation,
  type ListEvaluationsQuery,
  type PromotionOutcome,
  type ScoringSettings,
} from '@slipway/contracts';
import type { RegistryService } from '../registry/registry-service.js';
import { resolveVersion } from '../registry/version-loader.js';
import type { ArtifactStore } from '../tracking/artifact-store.js';
import type { RunArtifacts } from '../tracking/run-artifacts.js';
import type { TrackingService } from '../tracking/tracking-service.js';
import type { DatasetReader } from './dataset-reader.js';
import { loadDataset, type DatasetSourceDeps } from './dataset-source.js';
import { evaluateModels, judgeGate } from './evaluate.js';
import { logEvaluation, openEvaluationRun } from './evaluation-run.js';
import type { EvaluationStore } from './evaluation-store.js';
import type { LoadedModel } from '../runtimes/runtime.js';
import { requireMetricName } from './metrics.js';
import { closeModels, loadModels } from './model-loader.js';

/** What the evaluation service needs. */
export interface EvaluationServiceDeps {
  store: EvaluationStore;
  registry: RegistryService;
  tracking: TrackingService;
  artifacts: ArtifactStore;
  runArtifacts: RunArtifacts;
  datasets: DatasetReader;
  /** ms since epoch; injected so tests control time. */
  now?: () => number;
  newId?: () => string;
  /**
   * Told about every evaluated dataset (monitoring keeps a profile of it as the candidates'
   * reference). Awaited; a failure is reported to `onHookError` and never fails the evaluation.
   */
  onEvaluated?: (evaluated: EvaluatedData) => Promise<void>;
  onHookError?: (error: unknown) => void;
}

/** An evaluation's candidates and the feature columns of its dataset. */
export interface EvaluatedData {
  /** Each candidate with its scalar outputs per row (`label`, `prediction`, ...), in row order. */
  candidates: { name: string; version: string; outputs: readonly Record<string, unknown>[] }[];
  rows: readonly Record<string, unknown>[];
  /** The columns the candidates read (their contracts' inputs), else every column but the label. */
  columns: string[];
}

/** Listing bounds of `GET /evaluations`. */
export const EVALUATION_PAGE = { default: 100, max: 1000 } as const;

/** Evaluation use cases. */
export class EvaluationService {
  private readonly deps: EvaluationServiceDeps;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(deps: EvaluationServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => randomUUID().replaceAll('-', ''));
  }

  /** The registry this service loads models from (promotion moves aliases through it). */
  get registry(): RegistryService {
    return this.deps.registry;
  }

  /** The dataset dependencies, shared with baseline fitting. */
  get datasetDeps(): DatasetSourceDeps {
    return { artifacts: this.deps.artifacts, tracking: this.deps.tracking, reader: this.deps.datasets };
  }

  /**
   * Evaluates, logs and stores; returns the stored evaluation. `id` names it (an evaluation job
   * passes one derived from the job, so a retried attempt finds the evaluation it already stored).
   */
  async evaluate(request: CreateEvaluationRequest, actor: string, id?: string): Promise<Evaluation> {
    const evaluation = await this.run(request, actor, id);
    await this.save(evaluation);
    return evaluation;
  }

  /**
   * The request checked as far as it can be without data, with every model alias pinned to the
   * version it names now: a detached evaluation evaluates what the caller saw when submitting.
   */
  async pin(request: CreateEvaluationRequest): Promise<CreateEvaluationRequest> {
    checkRequest(request);
    const models: EvaluatedModelRef[] = [];
    for (const [i, ref] of request.models.entries()) {
      const version = await resolveVersion(this.deps.registry, ref, `models[${i}]`);
      models.push({ name: version.name, version: version.version, ...definedFields({ role: ref.role }) });
    }
    return { ...request, models };
  }

  /** A stored evaluation, or undefined. */
  find(id: string): Promise<Evaluation | undefined> {
    return this.deps.store.getEvaluation(id);
  }

  /**
   * Evaluates and logs to a run, without storing: promotion decides what the evaluation led to
   * before it is saved (see `save`).
   */
  async run(request: CreateEvaluationRequest, actor: string, id = this.newId()): Promise<Evaluation> {
    checkRequest(request);
    const settings = scoringSettings(request);
    const dataset = await loadDataset(this.datasetDeps, request.dataset, 'dataset');
    const models = await loadModels(this.deps.registry, request.models, 'models');
    // With a hook to tell, candidates' outputs are kept (their scalar fields only) for its profile.
    const outputs = new Map<string, Record<string, unknown>[]>();
    if (this.deps.onEvaluated !== undefined) {
      for (const m of models) {
        if (m.role === 'candidate') m.model = recordingOutputs(m.model, outputs, m.id, dataset.rows.length);
      }
    }
    let report;
    try {
      report = await evaluateModels({
        ...settings,
        rows: dataset.rows,
        models: models.map(({ id, model, role }) => ({ id, model, role })),
      });
    } finally {
      await closeModels(models);
    }
    await this.reportEvaluated(models, dataset.rows, settings.labelColumn, outputs);
    const evaluation: Evaluation = {
      id,
      createdAt: this.now(),
      createdBy: actor,
      settings,
      dataset: dataset.description,
      models: models.map(({ id, name, version, role }) => ({ id, name, version, role })),
      report,
      ...(request.gate === undefined ? {} : { gate: request.gate, verdict: judgeGate(request.gate, report) }),
    };
    return this.logToRun(evaluation, request, actor);
  }

  private async reportEvaluated(
    models: readonly {
      id: string;
      name: string;
      version: string;
      role: string;
      model: { contract?: { inputs: { fields: { name: string }[] } } };
    }[],
    rows: readonly Record<string, unknown>[],
    labelColumn: string,
    outputs: ReadonlyMap<string, readonly Record<string, unknown>[]>,
  ): Promise<void> {
    const hook = this.deps.onEvaluated;
    if (hook === undefined) return;
    const candidates = models.filter((m) => m.role === 'candidate');
    const declared = candidates.flatMap((m) => m.model.contract?.inputs.fields.map((f) => f.name) ?? []);
    const columns =
      declared.length > 0
        ? [...new Set(declared)]
        : Object.keys(rows[0] ?? {}).filter((c) => c !== labelColumn);
    try {
      await hook({
        candidates: candidates.map(({ id, name, version }) => ({
          name,
          version,
          outputs: outputs.get(id) ?? [],
        })),
        rows,
        columns,
      });
    } catch (err) {
      this.deps.onHookError?.(err);
    }
  }

  /** Stores a finished evaluation, with what it led to when it was a promotion attempt. */
  async save(evaluation: Evaluation, promotion?: PromotionOutcome): Promise<Evaluation> {
    const stored = promotion === undefined ? evaluation : { ...evaluation, promotion };
    await this.deps.store.saveEvaluation(stored);
    return stored;
  }

  /** A stored evaluation; NOT_FOUND when absent. */
  async get(id: string): Promise<Evaluation> {
    const found = await this.deps.store.getEvaluation(id);
    if (found === undefined) throw notFound(`No evaluation with id '${id}'`, { field: 'id' });
    return found;
  }

  /** Stored evaluations, newest first. */
  async list(query: ListEvaluationsQuery): Promise<Evaluation[]> {
    if (query.version !== undefined && query.model === undefined) {
      throw invalidArgument('version', 'version filters need a model');
    }
    return this.deps.store.listEvaluations({
      ...definedFields({ model: query.model, version: query.version, promotions: query.promotions }),
      limit: Math.min(query.limit ?? EVALUATION_PAGE.default, EVALUATION_PAGE.max),
    });
  }

  /** Logs into the caller's run or a new one; a run this created is finished, or failed if logging fails. */
  private async logToRun(
    evaluation: Evaluation,
    request: CreateEvaluationRequest,
    actor: string,
  ): Promise<Evaluation> {
    const { tracking, runArtifacts } = this.deps;
    const run = await openEvaluationRun(tracking, {
      ...definedFields({ runId: request.runId, experimentId: request.experimentId }),
      actor,
      runName: `evaluation-${evaluation.id.slice(0, 8)}`,
    });
    const logged = { ...evaluation, runId: run.runId };
    try {
      await logEvaluation(tracking, runArtifacts, run.runId, logged);
    } catch (error) {
      if (run.created) await tracking.updateRun(run.runId, { status: 'FAILED', endTime: this.now() });
      throw error;
    }
    if (run.created) await tracking.updateRun(run.runId, { status: 'FINISHED', endTime: this.now() });
    return logged;
  }
}

/** Refusals that need no data: they come before minutes of reading and predicting. */
function checkRequest(request: CreateEvaluationRequest): void {
  if (request.models.length === 0) throw invalidArgument('models', 'no models to evaluate');
  if (request.runId !== undefined && request.experimentId !== undefined) {
    throw invalidArgument('experimentId', 'give runId or experimentId, not both');
  }
  if (request.gate === undefined) return;
  requireMetricName(request.task, request.gate.metric, 'gate.metric');
  const count = (role: string): number =>
    request.models.filter((m) => (m.role ?? 'candidate') === role).length;
  if (count('candidate') !== 1 || count('baseline') !== 1) {
    throw invalidArgument(
      'gate',
      `a gate compares one candidate with one baseline; the request has ${count('candidate')} and ${count('baseline')}`,
    );
  }
}

/** The scoring settings of a request, as stored with its evaluation. */
export function scoringSettings(source: ScoringSettings): ScoringSettings {
  return {
    task: source.task,
    labelColumn: source.labelColumn,
    ...definedFields({
      predictionField: source.predictionField,
      scoreField: source.scoreField,
      queryColumn: source.queryColumn,
      k: source.k,
      positiveLabel: source.positiveLabel,
      slices: source.slices,
      minSliceRows: source.minSliceRows,
      bootstrap: source.bootstrap,
      threshold: source.threshold,
      optimizeThresholdFor: source.optimizeThresholdFor,
      calibrationBins: source.calibrationBins,
    }),
  };
}

/**
 * The model, keeping each output row's scalar fields (arrays such as probabilities are left out:
 * a profile compares columns of scalars) under `id`, in row order.
 */
function recordingOutputs(
  model: LoadedModel,
  into: Map<string, Record<string, unknown>[]>,
  id: string,
  expected: number,
): LoadedModel {
  const kept: Record<string, unknown>[] = [];
  into.set(id, kept);
  return {
    ...(model.contract === undefined ? {} : { contract: model.contract }),
    async predict(rows) {
      const out = await model.predict(rows);
      // The evaluation predicts each row once, in order; anything past that is not the dataset's.
      for (const row of out) {
        if (kept.length >= expected) break;
        const scalars: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(row)) {
          if (value === null || typeof value !== 'object') scalars[key] = value;
        }
        kept.push(scalars);
      }
      return out;
    },
    close: () => model.close(),
  };
}
