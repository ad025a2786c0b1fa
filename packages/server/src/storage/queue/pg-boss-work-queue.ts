/**
 * The scale-out work queue on PostgreSQL, built on pg-boss in a schema of its own, for `slipway
 * worker` processes on many hosts. pg-boss keeps the lease: each job carries `heartbeatSeconds`,
 * the worker heartbeats while the handler runs, and pg-boss's supervisor fails a job whose
 * heartbeat stops (its worker died), which retries it like a thrown handler. Items out of
 * retries move to a dead-letter queue, whose worker calls `onDead`.
 *
 * pg-boss 12 declares Node >= 22.12; on Node 20 this uses only what works there: createQueue with
 * a dead letter, insert with per-job retry/heartbeat/expiry options, work() with
 * localConcurrency/batchSize 1/includeMetadata, offWork({ wait }), and stop({ graceful }).
 */
import { SlipwayError } from '@slipway/contracts';
import { PgBoss, type JobInsert, type JobWithMetadata, type QueueOptions, type WorkOptions } from 'pg-boss';
import type {
  ConsumeOptions,
  DeliveryPolicy,
  WorkConsumer,
  WorkHandler,
  WorkItem,
  WorkQueue,
} from '../../jobs/work-queue.js';
import { checkConsumeOptions, checkDeliveryPolicy } from './delivery-checks.js';

/** Default schema of pg-boss's tables. */
export const DEFAULT_PG_BOSS_SCHEMA = 'slipway_queue';

/** pg-boss refuses heartbeats under this many seconds. */
export const MIN_HEARTBEAT_SECONDS = 10;

/** How a throwing `onDead` is retried: every 30 s for about an hour. */
const DEAD_LETTER_RETRIES = { retryLimit: 120, retryDelay: 30 };

/** pg-boss's longest expiry (24 h); jobs carry their own timeouts, so the queue's is the widest. */
const EXPIRE_IN_SECONDS = 24 * 60 * 60;

/** Options of the pg-boss queue. */
export interface PgBossWorkQueueOptions {
  connectionString: string;
  /** Schema of pg-boss's tables (default `slipway_queue`). */
  schema?: string;
  /** Queue name (default `jobs`); its dead letters go to `<queue>__dead`. */
  queue?: string;
  /**
   * How often pg-boss looks for jobs whose heartbeat stopped, in seconds (default 10, the
   * shortest lease it supports): a dead worker's item is redelivered within lease + this.
   */
  superviseIntervalSeconds?: number;
  /** How often an idle worker polls, in seconds (>= 0.5; default 1). */
  pollingIntervalSeconds?: number;
  /** Told about pg-boss's background errors (it retries them itself). Logs to stderr by default. */
  onError?: (error: unknown) => void;
}

/** pg-boss's options for a job under `policy`. */
export function pgBossJobOptions(policy: DeliveryPolicy): Omit<JobInsert, 'data'> {
  return {
    retryLimit: policy.maxAttempts - 1,
    retryDelay: Math.ceil(policy.retryDelayMs / 1000),
    ...(policy.maxRetryDelayMs === undefined
      ? {}
      : { retryBackoff: true, retryDelayMax: Math.ceil(policy.maxRetryDelayMs / 1000) }),
    heartbeatSeconds: Math.max(MIN_HEARTBEAT_SECONDS, Math.ceil(policy.leaseMs / 1000)),
    expireInSeconds: EXPIRE_IN_SECONDS,
  };
}

/** The work queue on pg-boss. `close()` stops its workers gracefully and ends its pool. */
export class PgBossWorkQueue implements WorkQueue {
  private readonly boss: PgBoss;
  private readonly queue: string;
  private readonly deadQueue: string;
  private readonly pollingIntervalSeconds: number;
  private started: Promise<void> | undefined;
  private readonly consumers = new Set<WorkConsumer>();
  private closed = false;

  constructor(options: PgBossWorkQueueOptions) {
    const supervise = options.superviseIntervalSeconds ?? MIN_HEARTBEAT_SECONDS;
    this.boss = new PgBoss({
      connectionString: options.connectionString,
      schema: options.schema ?? DEFAULT_PG_BOSS_SCHEMA,
      superviseIntervalSeconds: supervise,
      monitorIntervalSeconds: supervise,
      // Cron schedules are not used; their worker would only poll.
      schedule: false,
    });
    const onError = options.onError ?? ((error: unknown) => console.error('pg-boss work queue error', error));
    // An EventEmitter throws an 'error' event nobody listens to.
    this.boss.on('error', onError);
    this.queue = options.queue ?? 'jobs';
    this.deadQueue = `${this.queue}__dead`;
    this.pollingIntervalSeconds = options.pollingIntervalSeconds ?? 1;
  }

  /** See the port. */
  async enqueue(items: readonly WorkItem[], policy: DeliveryPolicy): Promise<void> {
    checkDeliveryPolicy(policy);
    await this.ready();
    if (items.length === 0) return;
    const options = { ...pgBossJobOptions(policy), deadLetter: this.deadQueue };
    await this.boss.insert(
      this.queue,
      items.map((item) => ({ ...options, data: { ...item } })),
    );
  }

  /** See the port; the consumer also works the dead-letter queue to call `onDead`. */
  async consume(handler: WorkHandler, options: ConsumeOptions): Promise<WorkConsumer> {
    checkConsumeOptions(options);
    await this.ready();
    const polling = { pollingIntervalSeconds: this.pollingIntervalSeconds };
    const workId = await this.boss.work<WorkItem, void, WorkOpts>(
      this.queue,
      { ...polling, localConcurrency: options.concurrency, batchSize: 1, includeMetadata: true },
      async ([job]) => {
        if (job === undefined) return;
        await handler({
          item: toWorkItem(job.data),
          attempt: job.retryCount + 1,
          maxAttempts: job.retryLimit + 1,
          workerId: options.workerId,
        });
      },
    );
    const deadWorkId = await this.boss.work<WorkItem, void, WorkOpts>(
      this.deadQueue,
      { ...polling, batchSize: 1, includeMetadata: true },
      async ([job]) => {
        if (job !== undefined) await options.onDead(toWorkItem(job.data), deadLetterError(job));
      },
    );
    const consumer: WorkConsumer = {
      stop: async () => {
        this.consumers.delete(consumer);
        await Promise.all([
          this.boss.offWork(this.queue, { id: workId, wait: true }),
          this.boss.offWork(this.deadQueue, { id: deadWorkId, wait: true }),
        ]);
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  /** Stops every consumer (waiting for their handlers), then pg-boss and its pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    if (this.started !== undefined) {
      await this.started.catch(() => undefined);
      await this.boss.stop({ graceful: true, close: true });
    }
  }

  /** Starts pg-boss (installing its schema) and creates both queues, once. */
  private ready(): Promise<void> {
    if (this.closed) {
      return Promise.reject(new SlipwayError('FAILED_PRECONDITION', 'The work queue is closed.'));
    }
    this.started ??= this.start();
    return this.started;
  }

  private async start(): Promise<void> {
    await this.boss.start();
    // The dead-letter queue first: createQueue checks that a queue's dead letter exists. Its jobs
    // are `onDead` calls, retried for a while when `onDead` throws (a store outage, say).
    await this.createQueueOnce(this.deadQueue, DEAD_LETTER_RETRIES);
    await this.createQueueOnce(this.queue, { deadLetter: this.deadQueue });
  }

  private async createQueueOnce(
    name: string,
    options: QueueOptions & { deadLetter?: string },
  ): Promise<void> {
    if ((await this.boss.getQueue(name)) !== null) return;
    await this.boss.createQueue(name, options);
  }
}

type WorkOpts = WorkOptions & { includeMetadata: true };

/** The item a job carries; pg-boss hands back the JSON it stored. */
function toWorkItem(data: WorkItem): WorkItem {
  return { jobId: data.jobId, kind: data.kind, step: data.step, partition: data.partition };
}

/**
 * The error a dead-lettered job failed with, from its source's final output: a thrown Error is
 * stored serialized (`message`), pg-boss's own failures as `{ value: { message } }`.
 */
export function deadLetterError(job: Pick<JobWithMetadata, 'sourceOutput' | 'sourceRetryCount'>): string {
  const output = job.sourceOutput as { message?: unknown; value?: { message?: unknown } } | null;
  const message = output?.message ?? output?.value?.message;
  if (message === 'job heartbeat timeout') {
    const attempt = (job.sourceRetryCount ?? 0) + 1;
    return `The lease lapsed during attempt ${attempt} (the worker stopped heartbeating).`;
  }
  if (typeof message === 'string') return message;
  return output === null ? 'Out of attempts.' : JSON.stringify(output);
}
