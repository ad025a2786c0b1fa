/**
 * The job store port: jobs, their partitions and the chunks each partition committed. Typed with
 * domain types only; every backend passes the contract suite in test/storage/job-store.contract.ts.
 *
 * Fencing: a worker works on a partition under an attempt token that `startAttempt` hands out.
 * Only the current token may commit chunks, renew, finish or fail the partition; a newer attempt
 * (the queue redelivered after a lapsed lease) makes every call with the old token return
 * `held: false`, so a worker that was presumed dead can never commit over its successor. The
 * committed chunks are the output: a chunk counts exactly once however many attempts wrote it.
 */
import type { Job, JobDetails, JobError, JobKind, JobPage, JobPartition, JobState } from '@slipway/contracts';

/** A new job with its planned partitions (state `queued`, no attempts yet). */
export interface NewJob {
  job: Job;
  partitions: JobPartition[];
}

/** Filters of a job listing; newest first, paged by an opaque token. */
export interface JobListRequest {
  kind?: JobKind;
  state?: JobState;
  /** Most jobs per page (1..1000). */
  limit: number;
  pageToken?: string;
}

/** Who starts an attempt, under which token, and for how long the lease holds unrenewed. */
export interface AttemptStart {
  worker: string;
  token: string;
  now: number;
  leaseMs: number;
}

/** One chunk a partition's holder has fully written (its files are complete on disk). */
export interface ChunkCommit {
  /** Chunk number within the partition, 0-based; must be the partition's `committedChunks`. */
  chunk: number;
  /** Rows of the chunk (scored plus rejected). */
  rows: number;
  rejected: number;
  /** The chunk's scored rows, as written (a path the finalizer reads). */
  file: string;
  /** The chunk's rejected rows, when any. */
  rejectsFile?: string;
}

/** A committed chunk as stored, with its position in the job. */
export interface CommittedChunk extends ChunkCommit {
  partition: number;
}

/** The answer to a call fenced by an attempt token. */
export interface FencedOutcome {
  /** False when the token no longer holds the partition: the caller must stop without writing. */
  held: boolean;
  /** True once someone asked to cancel the job: the holder stops at this chunk boundary. */
  cancelRequested: boolean;
}

/** What finishing a partition found. */
export interface FinishOutcome extends FencedOutcome {
  /** True for exactly one caller: the one whose finish left every partition of the job done. */
  allDone: boolean;
}

/** Persistence of jobs; the job runner and the job service are its only callers. */
export interface JobStore {
  /** Stores a job and its partitions; ALREADY_EXISTS when the id is taken. */
  createJob(job: NewJob): Promise<void>;
  /** A job with its partitions (by index), progress summed from them; undefined when unknown. */
  getJob(id: string): Promise<JobDetails | undefined>;
  /** Jobs (without partitions), newest first; INVALID_ARGUMENT (`limit`, `pageToken`) for a bad page. */
  listJobs(request: JobListRequest): Promise<JobPage>;
  /**
   * Starts an attempt: when the partition is queued or running (a redelivery after a lapsed
   * lease) and its job is not terminal or cancel-requested, it becomes `running` under the new
   * token (attempts + 1) and the job `running` (startedAt set once). Returns the partition as it
   * now stands (its `committedChunks` is where to resume), or undefined when it is not runnable.
   */
  startAttempt(jobId: string, index: number, attempt: AttemptStart): Promise<JobPartition | undefined>;
  /** Extends the holder's lease to `now + leaseMs`. */
  renewLease(
    jobId: string,
    index: number,
    token: string,
    now: number,
    leaseMs: number,
  ): Promise<FencedOutcome>;
  /**
   * Records one chunk and adds its counts to the partition, in one transaction. INVALID_ARGUMENT
   * (field `chunk`) when the chunk is not the partition's `committedChunks`; a chunk already stored
   * is refused without counting it twice.
   */
  commitChunk(
    jobId: string,
    index: number,
    token: string,
    chunk: ChunkCommit,
    now: number,
  ): Promise<FencedOutcome>;
  /**
   * Marks the partition done and spends the token (a repeated finish is not held). On a
   * cancel-requested job, the job becomes `cancelled` when this leaves no partition running and
   * not every partition done.
   */
  finishPartition(jobId: string, index: number, token: string, now: number): Promise<FinishOutcome>;
  /**
   * Records a failed attempt. `final`: the partition is `failed` and so is the job (with this
   * error; its other queued and running partitions become `cancelled`, so their holders' next
   * calls return `held: false`); otherwise the partition goes back to `queued` for the next
   * delivery, or to `cancelled` when the job is cancel-requested (see `cancelPartition`).
   */
  failPartition(
    jobId: string,
    index: number,
    token: string,
    error: JobError,
    final: boolean,
    now: number,
  ): Promise<FencedOutcome>;
  /** The holder stopped on a cancel request: the partition is `cancelled`; the job too once none runs. */
  cancelPartition(jobId: string, index: number, token: string, now: number): Promise<FencedOutcome>;
  /** Every committed chunk of the job, in partition then chunk order. */
  listChunks(jobId: string): Promise<CommittedChunk[]>;
  /** `running` → `succeeded` with its result; false when the job was not running. */
  completeJob(jobId: string, result: NonNullable<Job['result']>, now: number): Promise<boolean>;
  /** A non-terminal job → `failed` with this error, its unfinished partitions `cancelled`. */
  failJob(jobId: string, error: JobError, now: number): Promise<boolean>;
  /**
   * Asks a job to stop: sets `cancelRequested`; its queued partitions become `cancelled`, and the
   * job itself `cancelled` when no partition is running. Terminal jobs are returned unchanged.
   */
  requestCancel(jobId: string, now: number): Promise<JobDetails | undefined>;
  /**
   * Queues a failed or cancelled job again: `cancelRequested` and the error cleared, every
   * partition not done back to `queued` with its attempts reset (committed chunks are kept, so
   * work resumes). Returns the partitions to deliver, by index. When every partition is already
   * done (the final step failed) none is returned and the job is `running` again, so the caller
   * delivers the final step. FAILED_PRECONDITION for other states, NOT_FOUND for an unknown job.
   */
  retryJob(jobId: string, now: number): Promise<JobPartition[]>;
}
