/**
 * The job catalog: every kind of job with its payload schema, how long one delivery may run and
 * how it is retried. The runner and the service read policies only from here, so a kind's rules
 * are stated once.
 */
import { BatchScorePayloadSchema, MonitorRunPayloadSchema, type JobKind } from '@slipway/contracts';
import type { TSchema } from 'typebox';
import type { DeliveryPolicy } from './work-queue.js';

/** What the platform knows about one kind of job. */
export interface JobKindDefinition {
  kind: JobKind;
  /** Validates a submitted payload (the API body). */
  payloadSchema: TSchema;
  /** Longest one delivery (a partition or the final step) may run before it counts as failed. */
  timeoutMs: number;
  /** Attempts, retry delay and lease of each delivery. */
  policy: DeliveryPolicy;
  /**
   * The work queue its deliveries go through. Monitor runs have their own, so that only processes
   * that read the platform's prediction log take them (a worker with a DuckDB file of its own would
   * compute a monitor over the wrong data).
   */
  queue: JobQueueName;
}

/** The work queues jobs go through. */
export const JOB_QUEUES = ['jobs', 'monitors'] as const;
/** One work queue. */
export type JobQueueName = (typeof JOB_QUEUES)[number];

/** Every job kind, by kind. */
export const JOB_CATALOG: Readonly<Record<JobKind, JobKindDefinition>> = {
  batch_score: {
    kind: 'batch_score',
    payloadSchema: BatchScorePayloadSchema,
    // A partition is 1M rows by default: minutes on one core, far inside six hours.
    timeoutMs: 6 * 3_600_000,
    // A lease of 30 s: a dead worker's partition moves on within a minute, and a live one renews
    // every 10 s, which costs one small UPDATE.
    policy: { maxAttempts: 3, retryDelayMs: 2_000, leaseMs: 30_000 },
    queue: 'jobs',
  },
  monitor_run: {
    kind: 'monitor_run',
    payloadSchema: MonitorRunPayloadSchema,
    // A run reads one window of the log page by page: minutes at the most.
    timeoutMs: 15 * 60_000,
    policy: { maxAttempts: 2, retryDelayMs: 5_000, leaseMs: 30_000 },
    queue: 'monitors',
  },
};

/** The definition of `kind`. */
export function jobKind(kind: JobKind): JobKindDefinition {
  return JOB_CATALOG[kind];
}

/** The catalog with every kind's lease replaced (an operator's `--job-lease`). */
export function catalogWithLease(leaseMs: number): Readonly<Record<JobKind, JobKindDefinition>> {
  const entries = Object.values(JOB_CATALOG).map((definition) => [
    definition.kind,
    { ...definition, policy: { ...definition.policy, leaseMs } },
  ]);
  return Object.fromEntries(entries) as Record<JobKind, JobKindDefinition>;
}
