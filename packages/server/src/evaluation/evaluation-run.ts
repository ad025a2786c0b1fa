/**
 * Logs an evaluation to a tracking run, so it shows up wherever MLflow users look: one metric per
 * model and metric (`<name>/<version>/<metric>`), the dataset as a run input, the full report as an
 * artifact, and the evaluation id as a tag that links the run back to the stored evaluation.
 */
import { Readable } from 'node:stream';
import { SlipwayError, type Evaluation, type Metric, type StringMap } from '@slipway/contracts';
import type { RunArtifacts } from '../tracking/run-artifacts.js';
import { LIMITS } from '../tracking/tracking-limits.js';
import type { TrackingService } from '../tracking/tracking-service.js';

/** The experiment evaluation runs go to when the caller names neither a run nor an experiment. */
export const EVALUATION_EXPERIMENT = 'slipway-evaluations';

/** Tag linking a run to the evaluation it logged. */
export const EVALUATION_ID_TAG = 'slipway.evaluation_id';

/** Where the run is: given by the caller, or created for this evaluation. */
export interface EvaluationRun {
  runId: string;
  created: boolean;
}

type Tracking = Pick<
  TrackingService,
  | 'createRun'
  | 'getRunInfo'
  | 'getExperimentByName'
  | 'createExperiment'
  | 'logBatch'
  | 'logInputs'
  | 'updateRun'
>;

/** Uses `runId` when given (it must exist), else creates a run in `experimentId` or the evaluations experiment. */
export async function openEvaluationRun(
  tracking: Tracking,
  options: { runId?: string; experimentId?: string; actor: string; runName: string },
): Promise<EvaluationRun> {
  if (options.runId !== undefined) {
    await tracking.getRunInfo(options.runId);
    return { runId: options.runId, created: false };
  }
  const experimentId = options.experimentId ?? (await evaluationExperiment(tracking));
  const run = await tracking.createRun({ experimentId, runName: options.runName, userId: options.actor });
  return { runId: run.info.runId, created: true };
}

/** The evaluations experiment, created on first use (a concurrent creator may win the race). */
async function evaluationExperiment(tracking: Tracking): Promise<string> {
  try {
    return (await tracking.getExperimentByName(EVALUATION_EXPERIMENT)).experimentId;
  } catch (error) {
    if (!(error instanceof SlipwayError && error.code === 'NOT_FOUND')) throw error;
  }
  try {
    return (await tracking.createExperiment({ name: EVALUATION_EXPERIMENT })).experimentId;
  } catch (error) {
    if (!(error instanceof SlipwayError && error.code === 'ALREADY_EXISTS')) throw error;
    return (await tracking.getExperimentByName(EVALUATION_EXPERIMENT)).experimentId;
  }
}

/** Metric keys allow fewer characters than model names: anything else becomes `_`. */
function metricKey(parts: string[]): string {
  return parts
    .join('/')
    .replace(/[^A-Za-z0-9_\-. /]/g, '_')
    .slice(0, LIMITS.maxEntityKeyLength);
}

/** Whole-dataset metrics and headline intervals as tracking metrics. */
export function evaluationMetrics(evaluation: Evaluation): Metric[] {
  const timestamp = evaluation.createdAt;
  const metric = (parts: string[], value: number): Metric => ({
    key: metricKey(parts),
    value,
    timestamp,
    step: 0,
  });
  const byId = new Map(evaluation.models.map((m) => [m.id, m]));
  const out: Metric[] = [];
  for (const model of evaluation.report.models) {
    const name = byId.get(model.id);
    const prefix = name === undefined ? [model.id] : [name.name, name.version];
    for (const [key, value] of Object.entries(model.metrics)) {
      if (value !== null && Number.isFinite(value)) out.push(metric([...prefix, key], value));
    }
  }
  const boot = evaluation.report.bootstrap;
  for (const d of boot?.differences ?? []) {
    const parts = [`${d.candidate}-vs-${d.baseline}`, `${boot?.headline ?? ''}_difference`];
    out.push(metric([...parts, 'lower'], d.lower), metric([...parts, 'upper'], d.upper));
  }
  return out;
}

/** Writes the evaluation into its run: params, metrics (in MLflow-sized batches), input, report. */
export async function logEvaluation(
  tracking: Tracking,
  artifacts: RunArtifacts,
  runId: string,
  evaluation: Evaluation,
): Promise<void> {
  // Tags, not params: params are immutable, and a run may log several evaluations.
  const tags: StringMap = {
    [EVALUATION_ID_TAG]: evaluation.id,
    task: evaluation.settings.task,
    label_column: evaluation.settings.labelColumn,
    dataset_rows: String(evaluation.dataset.rows),
    dataset_digest: evaluation.dataset.digest,
    models: evaluation.models
      .map((m) => `${m.id}:${m.role}`)
      .join(',')
      .slice(0, LIMITS.maxTagValueLength),
  };
  if (evaluation.verdict !== undefined) tags.gate_passed = String(evaluation.verdict.passed);
  await tracking.logBatch(runId, { metrics: [], params: {}, tags: namespaced(tags) });
  const metrics = evaluationMetrics(evaluation);
  for (let i = 0; i < metrics.length; i += LIMITS.maxMetricsPerBatch) {
    await tracking.logBatch(runId, {
      metrics: metrics.slice(i, i + LIMITS.maxMetricsPerBatch),
      params: {},
      tags: {},
    });
  }
  await tracking.logInputs(runId, [
    {
      dataset: {
        name: evaluation.dataset.uri ?? 'inline-rows',
        digest: evaluation.dataset.digest.replace(/^sha256:/, '').slice(0, LIMITS.maxDatasetDigestLength),
        sourceType: evaluation.dataset.uri === undefined ? 'inline' : 'artifact',
        source: JSON.stringify({ uri: evaluation.dataset.uri ?? null, rows: evaluation.dataset.rows }),
      },
      tags: { 'mlflow.data.context': 'evaluation' },
    },
  ]);
  const body = Buffer.from(JSON.stringify(evaluation, null, 2));
  await artifacts.upload(runId, `evaluations/${evaluation.id}.json`, Readable.from([body]));
}

/** Keys are namespaced so an evaluation logged into a training run does not collide with its own tags. */
function namespaced(tags: StringMap): StringMap {
  return Object.fromEntries(
    Object.entries(tags).map(([k, v]) => [k.startsWith('slipway.') ? k : `slipway.evaluation.${k}`, v]),
  );
}
