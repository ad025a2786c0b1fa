/**
 * The job runner: takes deliveries from a work queue and runs them through the kind's executor,
 * with the job store as the record of what is done. Used in-process by the platform (embedded
 * queue) and by `slipway worker` processes (any queue).
 *
 * Per partition delivery: start an attempt under a fresh token (nothing to do when the partition
 * is finished or cancelled), renew its lease every third of the lease while the executor runs,
 * and record the outcome: done (the one finisher of the last partition queues the job's final
 * step), stopped on cancel, or failed. A failure is retried by the queue, unless it was the last
 * attempt or the error says the input itself is wrong (a retry would fail the same way); then
 * the job fails. A lost lease means another worker took over: this attempt ends without writing.
 */
import { randomUUID } from 'node:crypto';
import {
  SlipwayError,
  type ErrorCode,
  type JobDetails,
  type JobError,
  type JobKind,
} from '@slipway/contracts';
import { JOB_CATALOG, type JobKindDefinition } from './job-catalog.js';
import type { JobExecutor, JobExecutors } from './job-executor.js';
import type { JobStore } from './job-store.js';
import type { Delivery, WorkConsumer, WorkItem, WorkQueue } from './work-queue.js';

/** Error codes that describe the job's input: retrying cannot help. */
const PERMANENT_CODES: readonly ErrorCode[] = [
  'INVALID_ARGUMENT',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'FAILED_PRECONDITION',
];

/** What a runner needs. */
export interface JobRunnerDeps {
  store: JobStore;
  queue: WorkQueue;
  executors: JobExecutors;
  /** Names this runner in leases. */
  workerId: string;
  /** Most deliveries run at once. */
  concurrency: number;
  /** Kind definitions (policies, timeouts); the catalog unless a test shortens them. */
  catalog?: Readonly<Record<string, JobKindDefinition>>;
  now?: () => number;
  /** Told about failures the runner handled (a failed attempt, a lost lease); must not throw. */
  onEvent?: (event: RunnerEvent) => void;
}

/** Something a runner did that an operator may want in the log. */
export interface RunnerEvent {
  type: 'attempt-failed' | 'lease-lost' | 'job-failed' | 'job-succeeded';
  jobId: string;
  partition?: number;
  message?: string;
}

/** Why an attempt's signal was aborted. */
type AbortCause = 'lease-lost' | 'cancelled' | 'timeout';

/** Runs job deliveries from a queue until stopped. */
export class JobRunner {
  private consumer: WorkConsumer | undefined;
  private readonly now: () => number;
  private readonly catalog: Readonly<Record<string, JobKindDefinition>>;

  constructor(private readonly deps: JobRunnerDeps) {
    this.now = deps.now ?? Date.now;
    this.catalog = deps.catalog ?? JOB_CATALOG;
  }

  /** Starts consuming the queue. */
  async start(): Promise<void> {
    if (this.consumer !== undefined) return;
    this.consumer = await this.deps.queue.consume((delivery) => this.handle(delivery), {
      concurrency: this.deps.concurrency,
      workerId: this.deps.workerId,
      onDead: (item, error) => this.onDead(item, error),
    });
  }

  /** Stops taking deliveries and waits for those in flight. */
  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    await consumer?.stop();
  }

  /** Runs one delivery; throwing hands it back to the queue for a retry. */
  async handle(delivery: Delivery): Promise<void> {
    if (delivery.item.step === 'finalize') await this.finalize(delivery);
    else await this.runPartition(delivery);
  }

  private async runPartition(delivery: Delivery): Promise<void> {
    const { jobId, partition: index, kind } = delivery.item;
    const definition = this.definition(kind);
    const token = randomUUID();
    const partition = await this.deps.store.startAttempt(jobId, index, {
      worker: this.deps.workerId,
      token,
      now: this.now(),
      leaseMs: definition.policy.leaseMs,
    });
    if (partition === undefined) return;
    const job = await this.deps.store.getJob(jobId);
    if (job === undefined) return;
    const controller = new AbortController();
    let cause: AbortCause | undefined;
    const abort = (why: AbortCause): void => {
      if (cause !== undefined) return;
      cause = why;
      controller.abort(new SlipwayError('UNAVAILABLE', `Attempt stopped: ${why}.`));
    };
    const heartbeat = setInterval(
      () => {
        this.deps.store
          .renewLease(jobId, index, token, this.now(), definition.policy.leaseMs)
          .then((outcome) => {
            if (!outcome.held) abort('lease-lost');
            else if (outcome.cancelRequested) abort('cancelled');
          })
          .catch(() => undefined);
      },
      Math.max(50, Math.floor(definition.policy.leaseMs / 3)),
    );
    const timeout = setTimeout(() => abort('timeout'), definition.timeoutMs);
    try {
      const outcome = await this.executor(kind).runPartition({
        job,
        partition,
        token,
        signal: controller.signal,
        commit: (chunk) => this.deps.store.commitChunk(jobId, index, token, chunk, this.now()),
      });
      if (cause === 'lease-lost') return this.emit({ type: 'lease-lost', jobId, partition: index });
      if (outcome === 'stopped' || cause === 'cancelled') {
        await this.deps.store.cancelPartition(jobId, index, token, this.now());
        return;
      }
      if (cause === 'timeout') throw new SlipwayError('UNAVAILABLE', 'The attempt timed out.');
      const finished = await this.deps.store.finishPartition(jobId, index, token, this.now());
      if (finished.allDone) {
        await this.deps.queue.enqueue([{ jobId, kind, step: 'finalize', partition: 0 }], definition.policy);
      }
    } catch (err) {
      await this.attemptFailed(delivery, token, err, cause);
    } finally {
      clearInterval(heartbeat);
      clearTimeout(timeout);
    }
  }

  /** Records a failed attempt; rethrows when the queue should deliver the partition again. */
  private async attemptFailed(
    delivery: Delivery,
    token: string,
    err: unknown,
    cause: AbortCause | undefined,
  ): Promise<void> {
    const { jobId, partition: index } = delivery.item;
    if (cause === 'lease-lost') return this.emit({ type: 'lease-lost', jobId, partition: index });
    if (cause === 'cancelled') {
      await this.deps.store.cancelPartition(jobId, index, token, this.now());
      return;
    }
    const error = jobErrorOf(
      cause === 'timeout' ? new SlipwayError('UNAVAILABLE', 'The attempt timed out.') : err,
    );
    const final = delivery.attempt >= delivery.maxAttempts || isPermanent(err);
    const recorded = await this.deps.store.failPartition(jobId, index, token, error, final, this.now());
    this.emit({
      type: final ? 'job-failed' : 'attempt-failed',
      jobId,
      partition: index,
      message: error.message,
    });
    if (!final && recorded.held) throw err instanceof Error ? err : new Error(error.message);
  }

  /** The job's final step: build its result from the committed chunks and mark it succeeded. */
  private async finalize(delivery: Delivery): Promise<void> {
    const { jobId, kind } = delivery.item;
    const job = await this.deps.store.getJob(jobId);
    if (job?.state !== 'running') return;
    try {
      const chunks = await this.deps.store.listChunks(jobId);
      const result = await this.executor(kind).finalize(job, chunks);
      if (await this.deps.store.completeJob(jobId, result, this.now())) {
        this.emit({ type: 'job-succeeded', jobId });
      }
    } catch (err) {
      if (delivery.attempt < delivery.maxAttempts && !isPermanent(err)) throw err;
      await this.failJob(job, jobErrorOf(err));
    }
  }

  /** An item out of attempts (its last worker died holding it): its job fails. */
  private async onDead(item: WorkItem, error: string): Promise<void> {
    const job = await this.deps.store.getJob(item.jobId);
    if (job === undefined) return;
    const where = item.step === 'finalize' ? 'its final step' : `partition ${item.partition}`;
    await this.failJob(job, {
      code: 'UNAVAILABLE',
      message: `Gave up on ${where} after ${this.definition(item.kind).policy.maxAttempts} attempts: ${error}`,
    });
  }

  private async failJob(job: JobDetails, error: JobError): Promise<void> {
    if (await this.deps.store.failJob(job.id, error, this.now())) {
      this.emit({ type: 'job-failed', jobId: job.id, message: error.message });
    }
  }

  private executor(kind: JobKind): JobExecutor {
    const executor = this.deps.executors[kind];
    // Each kind has its own queue, so a runner never gets a kind it lacks unless it was wired wrong.
    if (executor === undefined)
      throw new SlipwayError('INTERNAL', `This runner has no executor for ${kind} jobs.`);
    return executor;
  }

  private definition(kind: string): JobKindDefinition {
    const definition = this.catalog[kind];
    if (definition === undefined) throw new SlipwayError('INVALID_ARGUMENT', `Unknown job kind '${kind}'.`);
    return definition;
  }

  private emit(event: RunnerEvent): void {
    try {
      this.deps.onEvent?.(event);
    } catch {
      // An observer's failure must not change what the runner records.
    }
  }
}

/** True for errors a retry would repeat (the input is wrong, not the moment). */
function isPermanent(err: unknown): boolean {
  return err instanceof SlipwayError && PERMANENT_CODES.includes(err.code);
}

/** The stored form of an error: its code (INTERNAL for foreign errors) and message. */
export function jobErrorOf(err: unknown): JobError {
  if (err instanceof SlipwayError) return { code: err.code, message: err.message };
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) };
}
