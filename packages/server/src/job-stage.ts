/**
 * Composition of the jobs stage, shared by the platform process and `slipway worker`: the job
 * store and work queue on the metadata database (or a pg-boss queue), the batch engine's file
 * I/O, the job service and, when this process runs jobs itself, a runner.
 */
import type { JobKindDefinition } from './jobs/job-catalog.js';
import { BatchScoreExecutor, type BatchPredictionLog } from './jobs/batch-score-executor.js';
import { JobRunner, type RunnerEvent } from './jobs/job-runner.js';
import { JobService } from './jobs/job-service.js';
import type { WorkQueue } from './jobs/work-queue.js';
import type { RegistryService } from './registry/registry-service.js';
import { DuckDbBatchIo } from './storage/batch/duckdb-batch-io.js';
import type { MetadataStores } from './storage/open-stores.js';
import { openWorkQueue } from './storage/queue/open-work-queue.js';

/** The jobs stage of one process. */
export interface JobStage {
  service: JobService;
  queue: WorkQueue;
  /** Present when the process runs jobs (workers > 0). */
  runner?: JobRunner;
  /** Stops the runner (deliveries in flight settle), then the queue and the executors. */
  close(): Promise<void>;
}

/** What the jobs stage is built from. */
export interface JobStageParts {
  stores: MetadataStores;
  registry: RegistryService;
  /** `postgresql://...` for pg-boss; absent: the embedded queue in the metadata store. */
  queueUri: string | undefined;
  /** Deliveries this process runs at once; 0 builds no runner. */
  workers: number;
  workerId: string;
  /** Where batch predictions are logged (absent: jobs asking to log fail). */
  predictions?: BatchPredictionLog;
  /** Kind definitions, when a test shortens leases or timeouts. */
  catalog?: Readonly<Record<string, JobKindDefinition>>;
}

/** Builds the jobs stage and starts its runner. */
export async function openJobStage(parts: JobStageParts): Promise<JobStage> {
  const queue = await openWorkQueue(parts.queueUri, parts.stores.backend);
  const io = new DuckDbBatchIo();
  const service = new JobService({
    store: parts.stores.jobs,
    queue,
    registry: parts.registry,
    io,
    ...(parts.catalog === undefined ? {} : { catalog: parts.catalog }),
  });
  const executor = new BatchScoreExecutor({
    registry: parts.registry,
    io,
    ...(parts.predictions === undefined ? {} : { predictions: parts.predictions }),
  });
  const runner =
    parts.workers > 0
      ? new JobRunner({
          store: parts.stores.jobs,
          queue,
          executors: { batch_score: executor },
          workerId: parts.workerId,
          concurrency: parts.workers,
          onEvent: logRunnerEvent,
          ...(parts.catalog === undefined ? {} : { catalog: parts.catalog }),
        })
      : undefined;
  await runner?.start();
  return {
    service,
    queue,
    ...(runner === undefined ? {} : { runner }),
    async close() {
      await runner?.stop();
      await queue.close();
      await executor.close();
      await io.close?.();
    },
  };
}

/** Failures the runner handled, on stderr for the operator. */
function logRunnerEvent(event: RunnerEvent): void {
  if (event.type === 'job-succeeded') return;
  const where = event.partition === undefined ? '' : ` partition ${event.partition}`;
  console.error(`job ${event.jobId}${where}: ${event.type}${event.message ? `: ${event.message}` : ''}`);
}
