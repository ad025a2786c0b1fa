/**
 * A reference profile at registration: when a model version is created from a run that logged a
 * training dataset (MLflow log-inputs, input tag `mlflow.data.context` = `training`) stored as a file
 * in this server's artifact store, the file is profiled in the background and kept as the version's
 * reference (source `registration`), so a monitor has a reference before any evaluation. It never
 * fails or slows the registration: every error is logged and the version simply has no profile.
 * See docs/monitoring.md (Monitors and runs).
 */
import type { DatasetInput, ModelVersion, Run } from '@slipway/contracts';
import { loadDataset, type DatasetSourceDeps } from '../evaluation/dataset-source.js';
import type { TrackingService } from '../tracking/tracking-service.js';

/** The input tag MLflow sets on a run's datasets, and the value that marks training data. */
export const DATASET_CONTEXT_TAG = 'mlflow.data.context';
/** The context value of a training dataset. */
export const TRAINING_CONTEXT = 'training';
/**
 * Most rows profiled; a larger training set is thinned to every k-th row (in order), since profiling
 * runs on the server's event loop (bench/monitoring.mjs profiles 1M rows of 25 columns in ~16 s).
 */
export const REGISTRATION_MAX_ROWS = 100_000;

/** Where the profile goes: the monitoring service's reference store. */
export interface RegistrationReferenceSink {
  /** Stores the rows' profile unless the version already has one. */
  captureFromRegistration(
    model: string,
    version: string,
    rows: readonly Record<string, unknown>[],
    columns: readonly string[] | undefined,
  ): Promise<void>;
}

/** What the profiler needs. */
export interface RegistrationProfilerDeps {
  tracking: Pick<TrackingService, 'getRun'>;
  datasets: DatasetSourceDeps;
  references: RegistrationReferenceSink;
  /** Where a failed capture is reported: one line naming the version and the reason. */
  log: (line: string) => void;
}

/**
 * The URI of a run's training dataset when its source names a file in a run's artifacts (`runs:/…`
 * or `mlflow-artifacts:/…`): MLflow writes a dataset's source as JSON, `{"uri": …}` for files.
 */
export function trainingDatasetUri(run: Run): string | undefined {
  const training = run.inputs.datasetInputs.filter(
    (input) => input.tags[DATASET_CONTEXT_TAG] === TRAINING_CONTEXT,
  );
  for (const input of training) {
    const uri = sourceUri(input);
    if (uri !== undefined && /^(runs|mlflow-artifacts):\//.test(uri)) return uri;
  }
  return undefined;
}

/** The `uri` of a dataset's JSON source, if it has one. */
function sourceUri(input: DatasetInput): string | undefined {
  try {
    const parsed = JSON.parse(input.dataset.source) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'uri' in parsed) {
      const uri = (parsed as { uri: unknown }).uri;
      return typeof uri === 'string' ? uri : undefined;
    }
  } catch {
    // A source that is not JSON (a code or table reference) names no file.
  }
  return undefined;
}

/**
 * The columns to profile: the contract's inputs and outputs (an output such as `label` in the
 * training data is the reference for drift on predictions); undefined (every column) without one.
 */
function contractColumns(version: ModelVersion): string[] | undefined {
  const contract = version.contract;
  if (contract === undefined) return undefined;
  return [...contract.inputs.fields, ...contract.outputs.fields].map((f) => f.name);
}

/** Profiles new versions' training data in the background; `drain` waits for those in flight. */
export class RegistrationProfiler {
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly deps: RegistrationProfilerDeps) {}

  /** Starts profiling `version`'s training data; returns at once and never throws. */
  capture(version: ModelVersion): void {
    if (version.runId === '') return;
    const task = this.profile(version).catch((error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      this.deps.log(
        `reference profile of ${version.name}/${version.version} at registration failed: ${message}`,
      );
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Resolves once every capture started so far has finished (successfully or not). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private async profile(version: ModelVersion): Promise<void> {
    const run = await this.deps.tracking.getRun(version.runId);
    const uri = trainingDatasetUri(run);
    if (uri === undefined) return;
    const dataset = await loadDataset(this.deps.datasets, { uri }, 'dataset');
    await this.deps.references.captureFromRegistration(
      version.name,
      version.version,
      thinned(dataset.rows, REGISTRATION_MAX_ROWS),
      contractColumns(version),
    );
  }
}

/** Every k-th row, k = ⌈n / max⌉, so at most `max` rows spread over the whole set in their order. */
export function thinned<T>(rows: readonly T[], max: number): readonly T[] {
  if (rows.length <= max) return rows;
  const step = Math.ceil(rows.length / max);
  return rows.filter((_, i) => i % step === 0);
}
