/**
 * The executor of batch scoring jobs: loads the job's pinned model version once per worker (a
 * worker usually takes several partitions of the same job) and hands partitions and the final
 * step to the batch engine (batch/batch-score.ts).
 */
import type { BatchScorePayload, JobDetails, PredictionRecord } from '@slipway/contracts';
import type { PredictionPartImport } from '../predictions/prediction-store.js';
import { loadVersion } from '../registry/version-loader.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { LoadedModel } from '../runtimes/runtime.js';
import type { BatchIo } from './batch/batch-io.js';
import { finalizeBatchScore, scoreBatchPartition, type BatchLogSink } from './batch/batch-score.js';
import type { JobExecutor, PartitionAttempt } from './job-executor.js';
import type { CommittedChunk } from './job-store.js';

/** Where batch-scored predictions are logged: awaited per chunk, so back-pressure reaches the job. */
export interface BatchPredictionLog {
  write(records: readonly PredictionRecord[]): Promise<void>;
  /** Stores a part file's predictions in place (the DuckDB log); absent: records are written. */
  importPart?(part: PredictionPartImport): Promise<void>;
}

/** What the batch executor needs. */
export interface BatchScoreExecutorDeps {
  registry: Pick<RegistryService, 'getModelVersion' | 'loadPackage'>;
  io: BatchIo;
  /** Absent: jobs that ask for logging fail rather than silently skip it. */
  predictions?: BatchPredictionLog;
  now?: () => number;
}

/** Models kept loaded at once: the jobs a worker is running, rarely more than one or two. */
const MODEL_CACHE_SIZE = 4;

/** Runs batch scoring partitions and final steps. */
export class BatchScoreExecutor implements JobExecutor {
  private readonly models = new Map<string, Promise<LoadedModel>>();
  private readonly now: () => number;

  constructor(private readonly deps: BatchScoreExecutorDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Scores the partition's remaining chunks. */
  async runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'> {
    const payload = attempt.job.payload as BatchScorePayload;
    const version = pinnedVersion(payload);
    const model = await this.model(payload.model.name, version);
    const logging = payload.logPredictions !== false;
    const predictions = logging ? this.deps.predictions : undefined;
    if (logging && predictions === undefined) {
      throw new Error(
        'This worker has no prediction log; start it with one or submit with logPredictions: false.',
      );
    }
    return scoreBatchPartition(
      {
        jobId: attempt.job.id,
        payload,
        partition: attempt.partition,
        model,
        modelName: payload.model.name,
        modelVersion: version,
        token: attempt.token,
        ...(predictions === undefined ? {} : { predictions: logSink(predictions) }),
        commit: (chunk) => attempt.commit(chunk),
        now: this.now,
        signal: attempt.signal,
      },
      this.deps.io,
    );
  }

  /** Concatenates the committed chunks into the output. */
  finalize(job: JobDetails, chunks: readonly CommittedChunk[]): ReturnType<JobExecutor['finalize']> {
    const payload = job.payload as BatchScorePayload;
    return finalizeBatchScore(
      job as JobDetails & { kind: 'batch_score' },
      chunks,
      pinnedVersion(payload),
      this.deps.io,
    );
  }

  /** Closes every loaded model. */
  async close(): Promise<void> {
    const loaded = [...this.models.values()];
    this.models.clear();
    await Promise.all(loaded.map(async (model) => (await model.catch(() => undefined))?.close()));
  }

  private model(name: string, version: string): Promise<LoadedModel> {
    const key = `${name}/${version}`;
    const cached = this.models.get(key);
    if (cached !== undefined) return cached;
    this.evictOldest();
    const loading = this.deps.registry
      .getModelVersion(name, version)
      .then((found) => loadVersion(this.deps.registry as RegistryService, found, 'model'));
    // A failed load is not cached: the next attempt loads again.
    loading.catch(() => this.models.delete(key));
    this.models.set(key, loading);
    return loading;
  }

  private evictOldest(): void {
    if (this.models.size < MODEL_CACHE_SIZE) return;
    const [oldestKey, oldest] = this.models.entries().next().value ?? [];
    if (oldestKey === undefined || oldest === undefined) return;
    this.models.delete(oldestKey);
    void oldest.then((model) => model.close()).catch(() => undefined);
  }
}

/** The engine's view of the log: `importPart` only when the log has it (bound, as a method). */
function logSink(log: BatchPredictionLog): BatchLogSink {
  const importPart = log.importPart;
  return {
    write: (records) => log.write(records),
    ...(importPart === undefined ? {} : { importPart: (part) => importPart.call(log, part) }),
  };
}

/** The version the service pinned at submit (an alias is resolved once, so every row uses one model). */
function pinnedVersion(payload: BatchScorePayload): string {
  const version = payload.model.version;
  if (version === undefined) throw new Error('Batch job payload has no pinned model version.');
  return version;
}
