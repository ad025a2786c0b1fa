/**
 * Job use cases: submit a batch scoring job (validated and planned before anything is queued), a
 * monitor run, a webhook delivery or an evaluation; read jobs with their progress, cancel and
 * retry. The job store keeps the record; the work queue carries the partitions to whichever
 * runner takes them.
 */
import { randomUUID } from 'node:crypto';
import { isAbsolute } from 'node:path';
import {
  SlipwayError,
  TERMINAL_JOB_STATES,
  invalidArgument,
  notFound,
  type BatchScorePayload,
  type CreateEvaluationRequest,
  type Job,
  type JobKind,
  type JobPayloads,
  type JobDetails,
  type JobPage,
  type JobPartition,
  type JobProgress,
  type WebhookDeliveryPayload,
} from '@slipway/contracts';
import { validateAlertWebhookUrl } from '../monitoring/alert-channels.js';
import { resolveVersion } from '../registry/version-loader.js';
import type { RegistryService } from '../registry/registry-service.js';
import type { BatchIo } from './batch/batch-io.js';
import { planBatchScore } from './batch/batch-score.js';
import { JOB_CATALOG, checkJobPayload, type JobKindDefinition, type JobQueueName } from './job-catalog.js';
import type { JobListRequest, JobStore } from './job-store.js';
import type { WorkItem, WorkQueue } from './work-queue.js';

/** What the job service needs. */
export interface JobServiceDeps {
  store: JobStore;
  /** The work queue of each name in the catalog (`jobs`, `monitors`, `deliveries`). */
  queues: Readonly<Record<JobQueueName, WorkQueue>>;
  /** The id of a monitor named by id or name; NOT_FOUND when there is none. */
  monitorId?: (idOrName: string) => Promise<string>;
  /** Checks an evaluation request and pins its aliases (EvaluationService.pin); absent: no evaluations. */
  pinEvaluation?: (request: CreateEvaluationRequest) => Promise<CreateEvaluationRequest>;
  registry: Pick<RegistryService, 'getModelVersion' | 'getVersionByAlias'>;
  io: BatchIo;
  catalog?: Readonly<Record<string, JobKindDefinition>>;
  now?: () => number;
  newId?: () => string;
}

/** Most jobs one listing page holds. */
const MAX_PAGE = 1000;

/** Job use cases. */
export class JobService {
  private readonly now: () => number;
  private readonly newId: () => string;
  private readonly catalog: Readonly<Record<string, JobKindDefinition>>;

  constructor(private readonly deps: JobServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.newId = deps.newId ?? (() => `job_${randomUUID().replaceAll('-', '')}`);
    this.catalog = deps.catalog ?? JOB_CATALOG;
  }

  /**
   * Queues a batch scoring job. The model reference is resolved here (an alias once, so every
   * row is scored by one version) and the input is checked against the version's contract, so a
   * job that cannot work is refused now rather than failing on a worker.
   */
  async submitBatchScore(request: BatchScorePayload): Promise<JobDetails> {
    checkAbsolute(request.input, 'input');
    checkAbsolute(request.output, 'output');
    if (request.rejects !== undefined) checkAbsolute(request.rejects, 'rejects');
    const version = await resolveVersion(this.deps.registry as RegistryService, request.model, 'model');
    const payload: BatchScorePayload = {
      ...request,
      model: { name: version.name, version: version.version },
    };
    const plan = await planBatchScore(payload, version.contract, this.deps.io);
    const definition = this.definition('batch_score');
    const now = this.now();
    const job: Job = {
      id: this.newId(),
      kind: 'batch_score',
      state: 'queued',
      payload: { ...payload, inputFormat: plan.inputFormat, outputFormat: plan.outputFormat },
      createdAt: now,
      updatedAt: now,
      maxAttempts: definition.policy.maxAttempts,
      cancelRequested: false,
      progress: {
        rowsTotal: plan.rowsTotal,
        rowsDone: 0,
        rowsRejected: 0,
        partitionsTotal: plan.ranges.length,
        partitionsDone: 0,
      },
    };
    const partitions = plan.ranges.map((range, index) =>
      queuedPartition(job.id, index, range.rowStart, range.rowEnd),
    );
    await this.deps.store.createJob({ job, partitions });
    await this.enqueue(job, partitions);
    return this.get(job.id);
  }

  /** Queues one run of a monitor; the runner that takes it reads the platform's prediction log. */
  async submitMonitorRun(idOrName: string): Promise<JobDetails> {
    if (typeof idOrName !== 'string' || idOrName === '')
      throw invalidArgument('monitorId', 'monitorId is required');
    const resolve = this.deps.monitorId;
    if (resolve === undefined) throw new SlipwayError('UNAVAILABLE', 'This process has no monitoring.');
    return this.submitSingle('monitor_run', { monitorId: await resolve(idOrName) });
  }

  /**
   * Queues one webhook notification (an alert's, for now); the runner POSTs it and retries with
   * backoff until the receiver answers 2xx or the kind's attempts are used up.
   */
  async submitWebhookDelivery(payload: WebhookDeliveryPayload): Promise<JobDetails> {
    checkJobPayload(this.definition('webhook_delivery'), payload);
    validateAlertWebhookUrl(payload.url, 'url');
    return this.submitSingle('webhook_delivery', payload);
  }

  /**
   * Queues an evaluation (the synchronous route's request): checked and its aliases pinned now, so
   * a request that cannot work is refused before it is queued, and run by whichever runner takes it.
   */
  async submitEvaluation(request: CreateEvaluationRequest, actor: string): Promise<JobDetails> {
    const pin = this.deps.pinEvaluation;
    if (pin === undefined) throw new SlipwayError('UNAVAILABLE', 'This process has no evaluation.');
    const payload = { request: await pin(request), actor };
    checkJobPayload(this.definition('evaluation'), payload);
    return this.submitSingle('evaluation', payload);
  }

  /** Creates and queues a job of one partition, the shape of every kind but batch scoring. */
  private async submitSingle<K extends Exclude<JobKind, 'batch_score'>>(
    kind: K,
    payload: JobPayloads[K],
  ): Promise<JobDetails> {
    const definition = this.definition(kind);
    const now = this.now();
    const job = {
      id: this.newId(),
      kind,
      state: 'queued',
      payload,
      createdAt: now,
      updatedAt: now,
      maxAttempts: definition.policy.maxAttempts,
      cancelRequested: false,
      progress: { rowsDone: 0, rowsRejected: 0, partitionsTotal: 1, partitionsDone: 0 },
    } as Job;
    const partitions = [queuedPartition(job.id, 0, 0, 1)];
    await this.deps.store.createJob({ job, partitions });
    await this.enqueue(job, partitions);
    return this.get(job.id);
  }

  /** The job with its partitions and its rate and ETA; NOT_FOUND when unknown. */
  async get(id: string): Promise<JobDetails> {
    const job = await this.deps.store.getJob(checkJobId(id));
    if (job === undefined) throw notFound(`Job ${id} does not exist.`, { field: 'id' });
    return { ...job, progress: withRate(job, this.now()) };
  }

  /** Jobs newest first, filtered by kind and state. */
  async list(request: Partial<JobListRequest>): Promise<JobPage> {
    const limit = request.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw invalidArgument('max_results', `max_results must be an integer between 1 and ${MAX_PAGE}`);
    }
    const page = await this.deps.store.listJobs({ ...request, limit });
    const now = this.now();
    return { ...page, jobs: page.jobs.map((job) => ({ ...job, progress: withRate(job, now) })) };
  }

  /** Asks the job to stop: queued partitions never start, running ones stop at their next chunk. */
  async cancel(id: string): Promise<JobDetails> {
    const job = await this.deps.store.requestCancel(checkJobId(id), this.now());
    if (job === undefined) throw notFound(`Job ${id} does not exist.`, { field: 'id' });
    return this.get(job.id);
  }

  /** Queues a failed or cancelled job again; it resumes after its committed chunks. */
  async retry(id: string): Promise<JobDetails> {
    const job = await this.get(id);
    if (!TERMINAL_JOB_STATES.includes(job.state) || job.state === 'succeeded') {
      throw new SlipwayError(
        'FAILED_PRECONDITION',
        `Job ${id} is ${job.state}; only failed or cancelled jobs can be retried.`,
      );
    }
    const partitions = await this.deps.store.retryJob(job.id, this.now());
    if (partitions.length > 0) await this.enqueue(job, partitions);
    // Every partition was done and only the final step failed: run that step again.
    else {
      const definition = this.definition(job.kind);
      await this.deps.queues[definition.queue].enqueue(
        [{ jobId: job.id, kind: job.kind, step: 'finalize', partition: 0 }],
        definition.policy,
      );
    }
    return this.get(job.id);
  }

  private async enqueue(job: Job, partitions: readonly JobPartition[]): Promise<void> {
    const items: WorkItem[] = partitions.map((p) => ({
      jobId: job.id,
      kind: job.kind,
      step: 'partition',
      partition: p.index,
    }));
    const definition = this.definition(job.kind);
    if (items.length > 0) await this.deps.queues[definition.queue].enqueue(items, definition.policy);
  }

  private definition(kind: string): JobKindDefinition {
    const definition = this.catalog[kind];
    if (definition === undefined) throw invalidArgument('kind', `Unknown job kind '${kind}'.`);
    return definition;
  }
}

/** Paths are read by whichever worker takes the job, so a relative one would mean different files. */
function checkAbsolute(path: string, field: string): void {
  if (!isAbsolute(path))
    throw invalidArgument(field, `${field} must be an absolute path (workers resolve it), got '${path}'.`);
}

/** Job ids are URL path segments: refuse anything else before it reaches a store. */
function checkJobId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(id))
    throw invalidArgument('id', `Invalid job id '${id.slice(0, 100)}'.`);
  return id;
}

/** Progress with the rate since the job started and the time left at that rate. */
function withRate(job: Job, now: number): JobProgress {
  const progress = { ...job.progress };
  if (job.startedAt === undefined) return progress;
  const end = job.finishedAt ?? now;
  const seconds = (end - job.startedAt) / 1000;
  if (seconds <= 0) return progress;
  progress.rowsPerSecond = progress.rowsDone / seconds;
  if (job.finishedAt === undefined && progress.rowsTotal !== undefined && progress.rowsPerSecond > 0) {
    progress.etaMs = Math.round(((progress.rowsTotal - progress.rowsDone) / progress.rowsPerSecond) * 1000);
  }
  return progress;
}

/** A partition not yet started, over rows [rowStart, rowEnd); single-partition kinds use [0, 1). */
export function queuedPartition(
  jobId: string,
  index: number,
  rowStart: number,
  rowEnd: number,
): JobPartition {
  return {
    jobId,
    index,
    state: 'queued',
    rowStart,
    rowEnd,
    attempts: 0,
    committedChunks: 0,
    rowsDone: 0,
    rowsRejected: 0,
  };
}
