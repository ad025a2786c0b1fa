/**
 * The job catalog: every kind of job with its payload schema, how long one delivery may run and
 * how it is retried. The runner and the service read policies only from here, so a kind's rules
 * are stated once.
 */
import {
  BatchScorePayloadSchema,
  EvaluationJobPayloadSchema,
  MonitorRunPayloadSchema,
  WebhookDeliveryPayloadSchema,
  invalidArgument,
  type JobKind,
} from '@slipway/contracts';
import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
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
  /**
   * Set: the kind also runs on its own every `everyMs`. The catalog says how often; the process
   * that schedules (the platform) supplies what a tick queues, and one JobScheduler drives them all.
   */
  schedule?: JobSchedule;
}

/** How often a kind's scheduled tick runs. */
export interface JobSchedule {
  everyMs: number;
  /** What a tick does, for the docs and the operator. */
  description: string;
}

/** The work queues jobs go through. */
export const JOB_QUEUES = ['jobs', 'monitors', 'deliveries'] as const;
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
    schedule: { everyMs: 5_000, description: 'queues a run of every monitor whose next run is due' },
  },
  webhook_delivery: {
    kind: 'webhook_delivery',
    payloadSchema: WebhookDeliveryPayloadSchema,
    // One POST: a receiver is told to answer within 10 s and do slow work afterwards.
    timeoutMs: 10_000,
    // Retried after 0.5-1, 1-2, 2-4, 4-8 and 8-16 s (the upper half of each doubling bound), so a
    // delivery is given up within about 90 s, timeouts included; the 5 min cap binds only with more attempts.
    policy: { maxAttempts: 6, retryDelayMs: 1_000, maxRetryDelayMs: 300_000, leaseMs: 30_000 },
    // A queue of its own, so a notification never waits behind a six-hour batch partition.
    queue: 'deliveries',
  },
  evaluation: {
    kind: 'evaluation',
    payloadSchema: EvaluationJobPayloadSchema,
    // An evaluation loads its dataset whole and scores it in memory: minutes, bootstraps included.
    timeoutMs: 3_600_000,
    policy: { maxAttempts: 2, retryDelayMs: 10_000, leaseMs: 30_000 },
    queue: 'jobs',
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

/**
 * Throws INVALID_ARGUMENT naming the first field of `payload` that the kind's schema refuses
 * (`request.models[0].name`), for payloads that do not come through an HTTP route's validation.
 */
export function checkJobPayload(definition: JobKindDefinition, payload: unknown): void {
  const [first] = Value.Errors(definition.payloadSchema, payload);
  if (first === undefined) return;
  const parts = first.instancePath.split('/').filter(Boolean);
  const required = (first.params as { requiredProperties?: unknown }).requiredProperties;
  if (first.keyword === 'required' && Array.isArray(required) && typeof required[0] === 'string') {
    parts.push(required[0]);
  }
  const field = parts.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
  const message = first.keyword === 'boolean' ? 'is not a known field' : first.message;
  throw invalidArgument(
    field || 'payload',
    `Invalid ${definition.kind} payload: '${field || 'payload'}' ${message}.`,
  );
}
