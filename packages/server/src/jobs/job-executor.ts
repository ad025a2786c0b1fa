/**
 * What running a job of one kind means, as the runner calls it: score (or otherwise work on) one
 * partition, committing chunk by chunk under the attempt's token, then finish the job once every
 * partition is done. One executor per kind (batch-score-executor.ts for batch scoring).
 */
import type { JobDetails, JobKind, JobPartition } from '@slipway/contracts';
import type { ChunkCommit, CommittedChunk, FencedOutcome } from './job-store.js';

/** One attempt at one partition, as the runner hands it to an executor. */
export interface PartitionAttempt {
  job: JobDetails;
  /** The partition as `startAttempt` left it: resume at its `committedChunks`. */
  partition: JobPartition;
  /** This attempt's token (unique per attempt): name files with it so attempts never collide. */
  token: string;
  /** Commits one chunk under the token; stop when the outcome is not held or asks to cancel. */
  commit(chunk: ChunkCommit): Promise<FencedOutcome>;
  /** Aborted when the lease is lost, the job is cancelled or the delivery timed out. */
  signal: AbortSignal;
}

/** Runs the jobs of one kind. */
export interface JobExecutor {
  /** Works through the partition; 'stopped' when a commit was refused or asked to cancel. */
  runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'>;
  /** Builds the job's result from its committed chunks (called once every partition is done). */
  finalize(job: JobDetails, chunks: readonly CommittedChunk[]): Promise<NonNullable<JobDetails['result']>>;
  /** Releases what the executor holds (loaded models). */
  close(): Promise<void>;
}

/** The executor of each kind a runner takes (its queue carries only those kinds). */
export type JobExecutors = Readonly<Partial<Record<JobKind, JobExecutor>>>;
