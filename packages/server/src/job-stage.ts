/**
 * Composition of the jobs stage, shared by the platform process and `slipway worker`: the job
 * store and the work queues (`jobs`, `monitors`, `deliveries`) on the metadata database or on
 * pg-boss, the batch engine's file I/O, the job service, the scheduler of the scheduled kinds and,
 * when this process runs jobs itself, one runner per queue.
 */
import type {
  CreateEvaluationRequest,
  Evaluation,
  JobKind,
  MonitorRun,
  WebhookSigning,
} from '@slipway/contracts';
import type { JobKindDefinition, JobQueueName } from './jobs/job-catalog.js';
import { BatchScoreExecutor, type BatchPredictionLog } from './jobs/batch-score-executor.js';
import { EvaluationExecutor } from './jobs/evaluation-executor.js';
import { MonitorRunExecutor } from './jobs/monitor-run-executor.js';
import { JobRunner, type RunnerEvent } from './jobs/job-runner.js';
import { JobScheduler, type ScheduledTick } from './jobs/job-scheduler.js';
import { JobService } from './jobs/job-service.js';
import { WebhookDeliveryExecutor, type DeliveryFetch } from './jobs/webhook-delivery-executor.js';
import type { MonitoringStore } from './monitoring/monitoring-store.js';
import type { WorkQueue } from './jobs/work-queue.js';
import type { RegistryService } from './registry/registry-service.js';
import { DuckDbBatchIo } from './storage/batch/duckdb-batch-io.js';
import type { MetadataStores } from './storage/open-stores.js';
import { openWorkQueue } from './storage/queue/open-work-queue.js';

/** The jobs stage of one process. */
export interface JobStage {
  service: JobService;
  /** Starts the scheduler of the scheduled kinds given (the platform does, once it is built). */
  schedule(ticks: Partial<Record<JobKind, ScheduledTick>>): void;
  /** Stops the scheduler and the runners (deliveries in flight settle), then the queues and executors. */
  close(): Promise<void>;
}

/** Monitoring as the jobs stage runs it: only a process reading the platform's log may. */
export interface JobStageMonitoring {
  /** The monitor's id, from an id or a name; NOT_FOUND when unknown. */
  monitorId: (idOrName: string) => Promise<string>;
  run: (monitorId: string) => Promise<MonitorRun>;
  getRun: (runId: string) => Promise<MonitorRun>;
  /** False: this process queues monitor runs but does not take them (its log is not the platform's). */
  runsHere: boolean;
}

/** Evaluation as the jobs stage runs it (EvaluationService's methods). */
export interface JobStageEvaluation {
  pin: (request: CreateEvaluationRequest) => Promise<CreateEvaluationRequest>;
  evaluate: (request: CreateEvaluationRequest, actor: string, id: string) => Promise<Evaluation>;
  find: (id: string) => Promise<Evaluation | undefined>;
}

/** What the jobs stage is built from. */
export interface JobStageParts {
  stores: MetadataStores;
  registry: RegistryService;
  /** `postgresql://...` for pg-boss; absent: the embedded queues in the metadata store. */
  queueUri: string | undefined;
  /** Deliveries this process runs at once per queue; 0 builds no runner. */
  workers: number;
  workerId: string;
  /** DuckDB memory limit of batch scoring's file I/O (`--batch-memory`); its default when absent. */
  batchMemory?: string | undefined;
  /** Where batch predictions are logged (absent: jobs asking to log fail). */
  predictions?: BatchPredictionLog;
  monitoring?: JobStageMonitoring;
  evaluation?: JobStageEvaluation;
  /** The fetch webhook deliveries POST with (tests inject a failing one). */
  fetch?: DeliveryFetch;
  /** Kind definitions, when a test shortens leases or timeouts. */
  catalog?: Readonly<Record<string, JobKindDefinition>>;
}

/** Builds the jobs stage and starts its runners. */
export async function openJobStage(parts: JobStageParts): Promise<JobStage> {
  const queues: Record<JobQueueName, WorkQueue> = {
    jobs: await openWorkQueue(parts.queueUri, parts.stores.backend, 'jobs'),
    monitors: await openWorkQueue(parts.queueUri, parts.stores.backend, 'monitors'),
    deliveries: await openWorkQueue(parts.queueUri, parts.stores.backend, 'deliveries'),
  };
  const io = new DuckDbBatchIo(parts.batchMemory === undefined ? {} : { memoryLimit: parts.batchMemory });
  const catalog = parts.catalog === undefined ? {} : { catalog: parts.catalog };
  const service = new JobService({
    store: parts.stores.jobs,
    queues,
    registry: parts.registry,
    io,
    ...(parts.monitoring === undefined ? {} : { monitorId: parts.monitoring.monitorId }),
    ...(parts.evaluation === undefined ? {} : { pinEvaluation: parts.evaluation.pin }),
    ...catalog,
  });
  const batch = new BatchScoreExecutor({
    registry: parts.registry,
    io,
    ...(parts.predictions === undefined ? {} : { predictions: parts.predictions }),
  });
  const runners: JobRunner[] = [];
  if (parts.workers > 0) {
    const common = {
      store: parts.stores.jobs,
      workerId: parts.workerId,
      concurrency: parts.workers,
      onEvent: logRunnerEvent,
      ...catalog,
    };
    const evaluation = parts.evaluation;
    runners.push(
      new JobRunner({
        ...common,
        queue: queues.jobs,
        executors: {
          batch_score: batch,
          ...(evaluation === undefined ? {} : { evaluation: new EvaluationExecutor(evaluation) }),
        },
      }),
    );
    const delivery = new WebhookDeliveryExecutor({
      secretOf: (signing) => channelSecret(parts.stores.monitoring, signing),
      ...(parts.fetch === undefined ? {} : { fetch: parts.fetch }),
    });
    runners.push(
      new JobRunner({ ...common, queue: queues.deliveries, executors: { webhook_delivery: delivery } }),
    );
    const monitoring = parts.monitoring;
    if (monitoring?.runsHere === true) {
      const executor = new MonitorRunExecutor({ run: monitoring.run, getRun: monitoring.getRun });
      runners.push(
        new JobRunner({ ...common, queue: queues.monitors, executors: { monitor_run: executor } }),
      );
    }
  }
  for (const runner of runners) await runner.start();
  let scheduler: JobScheduler | undefined;
  return {
    service,
    schedule(ticks) {
      if (scheduler !== undefined) throw new Error('The jobs stage is already scheduling.');
      scheduler = new JobScheduler({
        ticks,
        ...catalog,
        onError: (kind, err) =>
          console.error(`scheduled ${kind} failed:`, err instanceof Error ? err.message : err),
      });
      scheduler.start();
    },
    async close() {
      await scheduler?.stop();
      for (const runner of runners) await runner.stop();
      for (const queue of Object.values(queues)) await queue.close();
      await batch.close();
      await io.close();
    },
  };
}

/** The secret of an alert rule's webhook channel as it is now (rotations sign the next attempt). */
async function channelSecret(store: MonitoringStore, signing: WebhookSigning): Promise<string | undefined> {
  const channel = (await store.getAlertRule(signing.alertRule))?.channels[signing.channel];
  return channel?.kind === 'webhook' ? channel.secret : undefined;
}

/** Failures the runner handled, on stderr for the operator. */
function logRunnerEvent(event: RunnerEvent): void {
  if (event.type === 'job-succeeded') return;
  const where = event.partition === undefined ? '' : ` partition ${event.partition}`;
  console.error(`job ${event.jobId}${where}: ${event.type}${event.message ? `: ${event.message}` : ''}`);
}
