/**
 * Jobs: long-running work (batch scoring, monitor runs, webhook deliveries, evaluations) that the
 * job runner executes in the background, split into partitions that workers claim. Shared by the
 * job store port, the API and the SDK.
 */
import Type, { type Static } from 'typebox';
import { CreateEvaluationRequestSchema, ModelVersionRefSchema } from './evaluation-api.js';
import type { GateVerdict } from './evaluation.js';

/** Every kind of job the catalog knows (each has a payload schema, timeout and retry policy). */
export const JOB_KINDS = ['batch_score', 'monitor_run', 'webhook_delivery', 'evaluation'] as const;
/** One kind of job. */
export type JobKind = (typeof JOB_KINDS)[number];

/**
 * The states of a job. `queued` → `running` → `succeeded` | `failed` | `cancelled`; a failed or
 * cancelled job may be retried, which queues its unfinished partitions again.
 */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
/** One state of a job. */
export type JobState = (typeof JOB_STATES)[number];

/** States a job does not leave on its own. */
export const TERMINAL_JOB_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'];

/** The states of one partition of a job. */
export const PARTITION_STATES = ['queued', 'running', 'done', 'failed', 'cancelled'] as const;
/** One state of a partition. */
export type PartitionState = (typeof PARTITION_STATES)[number];

/** File formats batch scoring reads and writes. */
export const BATCH_FORMATS = ['csv', 'jsonl', 'parquet'] as const;
/** One file format of batch scoring. */
export type BatchFormat = (typeof BATCH_FORMATS)[number];

/** Schema of a batch scoring job's payload (the body of `POST /api/v1/jobs/batch-score`). */
export const BatchScorePayloadSchema = Type.Object(
  {
    model: ModelVersionRefSchema,
    input: Type.String({ minLength: 1, description: 'Path of the input file, as the workers see it.' }),
    inputFormat: Type.Optional(Type.Enum(BATCH_FORMATS, { description: 'Default: from the extension.' })),
    output: Type.String({ minLength: 1, description: 'Path of the output file, as the workers see it.' }),
    outputFormat: Type.Optional(Type.Enum(BATCH_FORMATS, { description: 'Default: from the extension.' })),
    passthrough: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Input columns copied to the output beside the predictions, in this order.',
      }),
    ),
    overwrite: Type.Optional(
      Type.Boolean({ description: 'Replace an existing output file (refused by default).' }),
    ),
    rejects: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Rejected rows (JSON lines); default <output>.rejects.jsonl.',
      }),
    ),
    batchSize: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 100_000, description: 'Rows per model call (default 1024).' }),
    ),
    chunkRows: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000_000,
        description: 'Rows per committed chunk, the unit of resume (default 65536).',
      }),
    ),
    partitions: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 10_000,
        description: 'Partitions workers claim (default: one per 1,000,000 rows, at least one).',
      }),
    ),
    logEndpoint: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'Endpoint name the predictions are logged under (default: the model name).',
      }),
    ),
    logPredictions: Type.Optional(
      Type.Boolean({ description: 'Log every prediction with the job id (default true).' }),
    ),
  },
  { additionalProperties: false },
);
/** What a batch scoring job reads, runs and writes. */
export type BatchScorePayload = Static<typeof BatchScorePayloadSchema>;

/** Schema of a monitor run job's payload (the body of `POST /api/v1/jobs/monitor-run`). */
export const MonitorRunPayloadSchema = Type.Object(
  {
    monitorId: Type.String({ minLength: 1, description: 'The monitor to run over its window (id or name).' }),
  },
  { additionalProperties: false },
);
/** Which monitor a monitor run job runs. */
export type MonitorRunPayload = Static<typeof MonitorRunPayloadSchema>;

/** Schema of what signs a webhook delivery: a secret looked up when each attempt is sent. */
export const WebhookSigningSchema = Type.Object(
  {
    alertRule: Type.String({ minLength: 1, description: 'The alert rule whose channel holds the secret.' }),
    channel: Type.Integer({ minimum: 0, description: "Index of the channel in the rule's channels." }),
  },
  { additionalProperties: false },
);
/** Where a delivery's signing secret lives (never the secret itself: jobs are readable through the API). */
export type WebhookSigning = Static<typeof WebhookSigningSchema>;

/** Schema of a webhook delivery job's payload: one notification, sent until a 2xx or out of attempts. */
export const WebhookDeliveryPayloadSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2048, description: 'Absolute http(s) URL POSTed to.' }),
    event: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The `slipway-event` header, e.g. alert.firing.',
    }),
    deliveryId: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The `slipway-delivery` header: the same on every attempt, for receivers to deduplicate.',
    }),
    body: Type.String({ description: 'The JSON body, sent byte for byte as given (and signed as such).' }),
    signing: Type.Optional(WebhookSigningSchema),
    alertId: Type.Optional(Type.String({ minLength: 1, description: 'The alert this delivery announces.' })),
  },
  { additionalProperties: false },
);
/** One notification to deliver. */
export type WebhookDeliveryPayload = Static<typeof WebhookDeliveryPayloadSchema>;

/** Schema of an evaluation job's payload: the synchronous route's body and who asked. */
export const EvaluationJobPayloadSchema = Type.Object(
  {
    request: CreateEvaluationRequestSchema,
    actor: Type.String({ description: 'Who submitted it (the evaluation records it as createdBy).' }),
  },
  { additionalProperties: false },
);
/** What an evaluation job evaluates. */
export type EvaluationJobPayload = Static<typeof EvaluationJobPayloadSchema>;

/** Payload of each job kind. */
export interface JobPayloads {
  batch_score: BatchScorePayload;
  monitor_run: MonitorRunPayload;
  webhook_delivery: WebhookDeliveryPayload;
  evaluation: EvaluationJobPayload;
}

/** Why a job or partition failed: a stable error code and a message. */
export interface JobError {
  code: string;
  message: string;
}

/** Counters of a job, summed over its partitions. */
export interface JobProgress {
  /** Rows the job will read, when known before it runs. */
  rowsTotal?: number;
  /** Rows read so far (scored plus rejected) in committed chunks. */
  rowsDone: number;
  /** Of those, rows rejected (written to the rejects file with their reason). */
  rowsRejected: number;
  partitionsTotal: number;
  partitionsDone: number;
  /** rowsDone per second since the job started (absent before it starts). */
  rowsPerSecond?: number;
  /** Estimated ms until done at the current rate (absent when unknown). */
  etaMs?: number;
}

/** A batch scoring job's outcome. */
export interface BatchScoreResult {
  output: string;
  /** Rows written to the output. */
  rows: number;
  rejected: number;
  /** Rejected rows' file, when any row was rejected. */
  rejects?: string;
  /** The model version that scored every row (an alias is resolved once, at submit). */
  modelVersion: string;
}

/** A monitor run job's outcome: the stored run (see `GET /api/v1/monitor-runs/{id}`). */
export interface MonitorRunJobResult {
  runId: string;
  /** The run's own state: a run that could not compute (no reference profile) is `failed`. */
  state: 'succeeded' | 'failed';
  statistics: number;
  flagged: number;
}

/** A webhook delivery's outcome: the receiver's answer to the attempt that got through. */
export interface WebhookDeliveryResult {
  /** The 2xx status the receiver answered. */
  statusCode: number;
  /** The attempt that got through (1 when the first did). */
  attempt: number;
  /** When that attempt was sent (ms since the epoch). */
  deliveredAt: number;
}

/** An evaluation job's outcome: the stored evaluation (see `GET /api/v1/evaluations/{id}`). */
export interface EvaluationJobResult {
  evaluationId: string;
  /** The gate's verdict, when the request had a gate. */
  verdict?: GateVerdict;
}

/** Outcome of each job kind. */
export interface JobResults {
  batch_score: BatchScoreResult;
  monitor_run: MonitorRunJobResult;
  webhook_delivery: WebhookDeliveryResult;
  evaluation: EvaluationJobResult;
}

/** What every job has, whatever its kind. */
export interface JobBase {
  id: string;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  startedAt?: number;
  finishedAt?: number;
  /** Attempts any partition may take before the job fails (the kind's retry policy). */
  maxAttempts: number;
  /** Set by `cancel`; workers stop at their next chunk boundary. */
  cancelRequested: boolean;
  progress: JobProgress;
  error?: JobError;
}

/** A job of one kind: its payload and, once it succeeded, its result. */
export interface JobOf<K extends JobKind> extends JobBase {
  kind: K;
  payload: JobPayloads[K];
  result?: JobResults[K];
}

/** A job as the API returns it; `kind` tells its payload and result apart. */
export type Job = { [K in JobKind]: JobOf<K> }[JobKind];

/** One partition of a job: a row range that one worker claims and commits chunk by chunk. */
export interface JobPartition {
  jobId: string;
  index: number;
  state: PartitionState;
  /** First row (inclusive) and end row (exclusive) of the input this partition reads. */
  rowStart: number;
  rowEnd: number;
  /** Attempts started so far. */
  attempts: number;
  /** Chunks committed so far; a resumed attempt starts at this chunk. */
  committedChunks: number;
  rowsDone: number;
  rowsRejected: number;
  /** The worker of the latest attempt (holding it while running, kept after). */
  worker?: string;
  /** When the holder's lease lapses unless renewed (ms since the epoch). */
  leaseExpiresAt?: number;
  error?: JobError;
}

/** A job with its partitions (the `GET /api/v1/jobs/{id}` body). */
export type JobDetails = Job & { partitions: JobPartition[] };

/** A job of one kind with its partitions. */
export type JobDetailsOf<K extends JobKind> = JobOf<K> & { partitions: JobPartition[] };

/** One page of `GET /api/v1/jobs`, newest first. */
export interface JobPage {
  jobs: Job[];
  nextPageToken?: string;
}
