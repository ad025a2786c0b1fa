/**
 * The SQL implementation of the job store port, for SQLite and PostgreSQL. Every call that moves a
 * job or partition between states is one transaction that first locks the job row (FOR UPDATE on
 * PostgreSQL; SQLite has a single writer anyway), so transitions of one job never interleave: of
 * two workers finishing the last two partitions at once, exactly one sees every partition done.
 * Calls fenced by an attempt token match it, and the `running` state, in the UPDATE itself, so a
 * stale token changes nothing.
 */
import { Buffer } from 'node:buffer';
import {
  invalidArgument,
  notFound,
  SlipwayError,
  TERMINAL_JOB_STATES,
  type Job,
  type JobDetails,
  type JobError,
  type JobKind,
  type JobPage,
  type JobPartition,
  type JobProgress,
  type JobState,
  type PartitionState,
} from '@slipway/contracts';
import { sql, type Insertable, type Selectable } from 'kysely';
import type {
  AttemptStart,
  ChunkCommit,
  CommittedChunk,
  FencedOutcome,
  FinishOutcome,
  JobListRequest,
  JobStore,
  NewJob,
} from '../../jobs/job-store.js';
import type { JobChunksTable, JobPartitionsTable, JobsTable } from './job-schema.js';
import { toInt64, toNullableInt64, type DbInt64 } from './row-mappers.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

type JobConn = SqlConn;
type JobRow = Selectable<JobsTable>;
type PartitionRow = Selectable<JobPartitionsTable>;
type ChunkRow = Selectable<JobChunksTable>;

/** Partitions per INSERT: 10 parameters each stays far below either dialect's parameter limit. */
const INSERT_CHUNK = 500;
/** Bounds the work spent decoding a hostile page token. */
const MAX_TOKEN_LENGTH = 200;
const MAX_PAGE_SIZE = 1000;

const NOT_HELD: FencedOutcome = { held: false, cancelRequested: false };

/** Partition states that still have work to do. */
const UNFINISHED: readonly PartitionState[] = ['queued', 'running'];

/** Job store over SQLite or PostgreSQL (shares the tracking store's backend and database). */
export class SqlJobStore implements JobStore {
  constructor(private readonly backend: SqlBackend) {}

  // ---- jobs -----------------------------------------------------------------------------------

  /** Inserts the job and its partitions in one transaction; ALREADY_EXISTS when the id is taken. */
  createJob({ job, partitions }: NewJob): Promise<void> {
    return this.write(async (db) => {
      try {
        await db.insertInto('jobs').values(jobToRow(job)).execute();
      } catch (err) {
        if (!this.backend.isUniqueViolation(err)) throw err;
        throw new SlipwayError('ALREADY_EXISTS', `Job ${job.id} already exists.`, { field: 'id' });
      }
      const rows = partitions.map((p) => partitionToRow(job.id, p));
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await db
          .insertInto('job_partitions')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    });
  }

  /** The job with its partitions by index; progress summed from them. */
  getJob(id: string): Promise<JobDetails | undefined> {
    return this.read((db) => this.findDetails(db, id));
  }

  /** Newest first (created_at DESC, id), keyset-paged so a page never repeats or skips a job. */
  listJobs(request: JobListRequest): Promise<JobPage> {
    if (!Number.isInteger(request.limit) || request.limit < 1 || request.limit > MAX_PAGE_SIZE) {
      return Promise.reject(
        invalidArgument('limit', `limit must be an integer in 1..${MAX_PAGE_SIZE}, got ${request.limit}.`),
      );
    }
    let after: PagePosition | undefined;
    try {
      after = decodeJobPageToken(request.pageToken);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.read(async (db) => {
      const rows = await db
        .selectFrom('jobs')
        .selectAll()
        .$if(request.kind !== undefined, (q) => q.where('kind', '=', request.kind ?? ''))
        .$if(request.state !== undefined, (q) => q.where('state', '=', request.state ?? ''))
        .$if(after !== undefined, (q) =>
          q.where((eb) =>
            eb.or([
              eb('created_at', '<', after?.createdAt ?? 0),
              eb.and([eb('created_at', '=', after?.createdAt ?? 0), eb('id', '>', after?.id ?? '')]),
            ]),
          ),
        )
        .orderBy('created_at', 'desc')
        .orderBy('id')
        // One extra row tells whether another page follows.
        .limit(request.limit + 1)
        .execute();
      const page = rows.slice(0, request.limit);
      const progress = await this.progressOf(
        db,
        page.map((row) => row.id),
      );
      const jobs = page.map((row) =>
        jobFromRow(row, { ...rowsTotalOf(row), ...(progress.get(row.id) ?? NO_PARTITIONS) }),
      );
      const last = page.at(-1);
      return rows.length > request.limit && last !== undefined
        ? { jobs, nextPageToken: encodeJobPageToken({ createdAt: toInt64(last.created_at), id: last.id }) }
        : { jobs };
    });
  }

  /** `running` → `succeeded` with the result. */
  completeJob(jobId: string, result: NonNullable<Job['result']>, now: number): Promise<boolean> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job?.state !== 'running') return false;
      await db
        .updateTable('jobs')
        .set({ state: 'succeeded', result: JSON.stringify(result), updated_at: now, finished_at: now })
        .where('id', '=', jobId)
        .execute();
      return true;
    });
  }

  /** A non-terminal job → `failed`; its queued and running partitions become `cancelled`. */
  failJob(jobId: string, error: JobError, now: number): Promise<boolean> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined || isTerminal(job.state)) return false;
      await this.failJobRow(db, jobId, error, now);
      return true;
    });
  }

  /** See the port. A job that is already terminal is returned unchanged. */
  requestCancel(jobId: string, now: number): Promise<JobDetails | undefined> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined) return undefined;
      if (!isTerminal(job.state)) {
        await db
          .updateTable('jobs')
          .set({ cancel_requested: 1, updated_at: now })
          .where('id', '=', jobId)
          .execute();
        await db
          .updateTable('job_partitions')
          .set({ state: 'cancelled' })
          .where('job_id', '=', jobId)
          .where('state', '=', 'queued')
          .execute();
        await this.settleCancelled(db, jobId, now);
      }
      return this.findDetails(db, jobId);
    });
  }

  /** See the port; NOT_FOUND for an unknown job. */
  retryJob(jobId: string, now: number): Promise<JobPartition[]> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined) throw notFound(`No job with id=${jobId} exists.`, { field: 'id' });
      if (job.state !== 'failed' && job.state !== 'cancelled') {
        throw new SlipwayError(
          'FAILED_PRECONDITION',
          `Job ${jobId} is ${job.state}; only a failed or cancelled job can be retried.`,
          { field: 'id', state: job.state },
        );
      }
      // Committed chunks and their counts stay: the next attempt resumes after them.
      const requeued = await db
        .updateTable('job_partitions')
        .set({ ...RELEASED, state: 'queued', attempts: 0, error_code: null, error_message: null })
        .where('job_id', '=', jobId)
        .where('state', '!=', 'done')
        .returningAll()
        .execute();
      await db
        .updateTable('jobs')
        .set({
          // Every partition already done: only the final step is left, and it runs on a running job.
          state: requeued.length === 0 ? 'running' : 'queued',
          cancel_requested: 0,
          error_code: null,
          error_message: null,
          finished_at: null,
          updated_at: now,
        })
        .where('id', '=', jobId)
        .execute();
      return requeued.sort((a, b) => a.idx - b.idx).map(partitionFromRow);
    });
  }

  // ---- attempts -------------------------------------------------------------------------------

  /** See the port; the job row lock orders it against cancel, failure and other attempts. */
  startAttempt(jobId: string, index: number, attempt: AttemptStart): Promise<JobPartition | undefined> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined || isTerminal(job.state) || Number(job.cancel_requested) === 1) return undefined;
      const row = await db
        .updateTable('job_partitions')
        .set((eb) => ({
          state: 'running',
          attempts: eb('attempts', '+', 1),
          worker: attempt.worker,
          attempt_token: attempt.token,
          lease_expires_at: attempt.now + attempt.leaseMs,
        }))
        .where('job_id', '=', jobId)
        .where('idx', '=', index)
        .where('state', 'in', UNFINISHED)
        .returningAll()
        .executeTakeFirst();
      if (row === undefined) return undefined;
      await db
        .updateTable('jobs')
        .set({
          state: 'running',
          started_at: toNullableInt64(job.started_at) ?? attempt.now,
          updated_at: attempt.now,
        })
        .where('id', '=', jobId)
        .execute();
      return partitionFromRow(row);
    });
  }

  /** Extends the lease when the token still holds the partition. */
  renewLease(
    jobId: string,
    index: number,
    token: string,
    now: number,
    leaseMs: number,
  ): Promise<FencedOutcome> {
    return this.write(async (db) => {
      const held = await db
        .updateTable('job_partitions')
        .set({ lease_expires_at: now + leaseMs })
        .where('job_id', '=', jobId)
        .where('idx', '=', index)
        .where('attempt_token', '=', token)
        .where('state', '=', 'running')
        .executeTakeFirst();
      return this.outcome(db, jobId, held.numUpdatedRows > 0n);
    });
  }

  /**
   * Advances `committed_chunks` from exactly `chunk` (the UPDATE's own condition, so two commits
   * of one chunk cannot both count), then inserts the chunk; a chunk row already there rolls the
   * whole transaction back. It leaves the job row alone: locking it here, after the partition row,
   * could deadlock with transitions that lock the job first. (`now` is for the port: the job's
   * updatedAt tracks transitions, not progress.)
   */
  commitChunk(
    jobId: string,
    index: number,
    token: string,
    chunk: ChunkCommit,
    _now: number,
  ): Promise<FencedOutcome> {
    const invalid = invalidChunk(chunk);
    if (invalid !== undefined) return Promise.reject(invalid);
    return this.write(async (db) => {
      const advanced = await db
        .updateTable('job_partitions')
        .set((eb) => ({
          committed_chunks: eb('committed_chunks', '+', 1),
          rows_done: sql<number>`rows_done + ${chunk.rows}`,
          rows_rejected: sql<number>`rows_rejected + ${chunk.rejected}`,
        }))
        .where('job_id', '=', jobId)
        .where('idx', '=', index)
        .where('attempt_token', '=', token)
        .where('state', '=', 'running')
        .where('committed_chunks', '=', chunk.chunk)
        .executeTakeFirst();
      if (advanced.numUpdatedRows === 0n) {
        const current = await this.heldPartition(db, jobId, index, token);
        if (current === undefined) return this.outcome(db, jobId, false);
        throw invalidArgument(
          'chunk',
          `Partition ${index} of job ${jobId} expects chunk ${current.committed_chunks}, got ${chunk.chunk}.`,
        );
      }
      const inserted = await db
        .insertInto('job_chunks')
        .values(chunkToRow(jobId, index, chunk))
        .onConflict((oc) => oc.columns(['job_id', 'partition', 'chunk']).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 0) {
        throw new SlipwayError(
          'FAILED_PRECONDITION',
          `Chunk ${chunk.chunk} of partition ${index} of job ${jobId} is already committed.`,
          { field: 'chunk' },
        );
      }
      return this.outcome(db, jobId, true);
    });
  }

  /** Marks the partition done; a cancel-requested job with nothing left running becomes cancelled. */
  finishPartition(jobId: string, index: number, token: string, now: number): Promise<FinishOutcome> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined) return { ...NOT_HELD, allDone: false };
      const held = await this.leaveRunning(db, jobId, index, token, {
        state: 'done',
        error_code: null,
        error_message: null,
      });
      const cancelRequested = Number(job.cancel_requested) === 1;
      if (!held) return { held, cancelRequested, allDone: false };
      await db.updateTable('jobs').set({ updated_at: now }).where('id', '=', jobId).execute();
      const counts = await this.stateCounts(db, jobId);
      const allDone = counts.done === counts.total;
      if (!allDone && cancelRequested) await this.settleCancelled(db, jobId, now);
      return { held, cancelRequested, allDone };
    });
  }

  /** See the port; a non-final failure of a cancel-requested job cancels the partition instead. */
  failPartition(
    jobId: string,
    index: number,
    token: string,
    error: JobError,
    final: boolean,
    now: number,
  ): Promise<FencedOutcome> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined) return NOT_HELD;
      const cancelRequested = Number(job.cancel_requested) === 1;
      const next: PartitionState = final ? 'failed' : cancelRequested ? 'cancelled' : 'queued';
      const held = await this.leaveRunning(db, jobId, index, token, {
        state: next,
        error_code: error.code,
        error_message: error.message,
      });
      if (!held) return { held, cancelRequested };
      if (final) await this.failJobRow(db, jobId, error, now);
      else if (next === 'cancelled') await this.settleCancelled(db, jobId, now);
      else await db.updateTable('jobs').set({ updated_at: now }).where('id', '=', jobId).execute();
      return { held, cancelRequested };
    });
  }

  /** The partition → `cancelled`; the job → `cancelled` once no partition of it runs. */
  cancelPartition(jobId: string, index: number, token: string, now: number): Promise<FencedOutcome> {
    return this.write(async (db) => {
      const job = await this.lockJob(db, jobId);
      if (job === undefined) return NOT_HELD;
      const held = await this.leaveRunning(db, jobId, index, token, { state: 'cancelled' });
      if (held) await this.settleCancelled(db, jobId, now);
      return { held, cancelRequested: Number(job.cancel_requested) === 1 };
    });
  }

  /** In (partition, chunk) order, the primary key's order. */
  listChunks(jobId: string): Promise<CommittedChunk[]> {
    return this.read(async (db) => {
      const rows = await db
        .selectFrom('job_chunks')
        .selectAll()
        .where('job_id', '=', jobId)
        .orderBy('partition')
        .orderBy('chunk')
        .execute();
      return rows.map(chunkFromRow);
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private write<T>(work: (db: JobConn) => Promise<T>): Promise<T> {
    return this.backend.write((conn) => work(conn));
  }

  private read<T>(work: (db: JobConn) => Promise<T>): Promise<T> {
    return this.backend.read((conn) => work(conn));
  }

  /** Reads the job row; on PostgreSQL locks it until commit, serialising the job's transitions. */
  private lockJob(db: JobConn, jobId: string): Promise<JobRow | undefined> {
    return db
      .selectFrom('jobs')
      .selectAll()
      .where('id', '=', jobId)
      .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
  }

  /** Moves the partition held by `token` out of `running`, dropping its holder; false when not held. */
  private async leaveRunning(
    db: JobConn,
    jobId: string,
    index: number,
    token: string,
    changes: Partial<Insertable<JobPartitionsTable>>,
  ): Promise<boolean> {
    const result = await db
      .updateTable('job_partitions')
      .set({ ...changes, ...RELEASED })
      .where('job_id', '=', jobId)
      .where('idx', '=', index)
      .where('attempt_token', '=', token)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  private heldPartition(
    db: JobConn,
    jobId: string,
    index: number,
    token: string,
  ): Promise<PartitionRow | undefined> {
    return db
      .selectFrom('job_partitions')
      .selectAll()
      .where('job_id', '=', jobId)
      .where('idx', '=', index)
      .where('attempt_token', '=', token)
      .where('state', '=', 'running')
      .executeTakeFirst();
  }

  private async outcome(db: JobConn, jobId: string, held: boolean): Promise<FencedOutcome> {
    const job = await db
      .selectFrom('jobs')
      .select('cancel_requested')
      .where('id', '=', jobId)
      .executeTakeFirst();
    return { held, cancelRequested: Number(job?.cancel_requested) === 1 };
  }

  /** The job → `failed` with `error`; its unfinished partitions are cancelled (their tokens stop holding). */
  private async failJobRow(db: JobConn, jobId: string, error: JobError, now: number): Promise<void> {
    await db
      .updateTable('jobs')
      .set({
        state: 'failed',
        error_code: error.code,
        error_message: error.message,
        updated_at: now,
        finished_at: now,
      })
      .where('id', '=', jobId)
      .execute();
    await db
      .updateTable('job_partitions')
      .set({ ...RELEASED, state: 'cancelled' })
      .where('job_id', '=', jobId)
      .where('state', 'in', UNFINISHED)
      .execute();
  }

  /** A cancel-requested, non-terminal job with no partition running → `cancelled`. */
  private async settleCancelled(db: JobConn, jobId: string, now: number): Promise<void> {
    const counts = await this.stateCounts(db, jobId);
    const changes = counts.running === 0 ? { state: 'cancelled', finished_at: now } : {};
    await db
      .updateTable('jobs')
      .set({ ...changes, updated_at: now })
      .where('id', '=', jobId)
      .where('state', 'not in', TERMINAL_JOB_STATES)
      .execute();
  }

  private async stateCounts(
    db: JobConn,
    jobId: string,
  ): Promise<{ total: number; done: number; running: number }> {
    const row = await db
      .selectFrom('job_partitions')
      .select((eb) => [
        eb.fn.countAll<DbInt64>().as('total'),
        sumWhere('done').as('done'),
        sumWhere('running').as('running'),
      ])
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    return {
      total: toInt64(row.total),
      done: toInt64(row.done ?? 0),
      running: toInt64(row.running ?? 0),
    };
  }

  private async findDetails(db: JobConn, id: string): Promise<JobDetails | undefined> {
    const row = await db.selectFrom('jobs').selectAll().where('id', '=', id).executeTakeFirst();
    if (row === undefined) return undefined;
    const partitions = (
      await db.selectFrom('job_partitions').selectAll().where('job_id', '=', id).orderBy('idx').execute()
    ).map(partitionFromRow);
    return { ...jobFromRow(row, progressFromPartitions(row, partitions)), partitions };
  }

  /** Each listed job's counters, in one statement for the whole page. */
  private async progressOf(db: JobConn, ids: string[]): Promise<Map<string, PartitionCounters>> {
    if (ids.length === 0) return new Map();
    const rows = await db
      .selectFrom('job_partitions')
      .select((eb) => [
        'job_id',
        eb.fn.countAll<DbInt64>().as('total'),
        sumWhere('done').as('done'),
        eb.fn.sum<DbInt64>('rows_done').as('rows_done'),
        eb.fn.sum<DbInt64>('rows_rejected').as('rows_rejected'),
      ])
      .where(this.backend.inList(sql.ref('job_id'), ids))
      .groupBy('job_id')
      .execute();
    return new Map(
      rows.map((row) => [
        row.job_id,
        {
          rowsDone: toInt64(row.rows_done),
          rowsRejected: toInt64(row.rows_rejected),
          partitionsTotal: toInt64(row.total),
          partitionsDone: toInt64(row.done ?? 0),
        },
      ]),
    );
  }
}

/** The progress counters summed from a job's partitions. */
type PartitionCounters = Omit<JobProgress, 'rowsTotal' | 'rowsPerSecond' | 'etaMs'>;

/** The counters of a job with no partitions at all. */
const NO_PARTITIONS: PartitionCounters = {
  rowsDone: 0,
  rowsRejected: 0,
  partitionsTotal: 0,
  partitionsDone: 0,
};

/** What leaving `running` clears: nobody holds the partition any more. */
// The worker stays recorded (who ran the last attempt); only the token and lease go.
const RELEASED = { attempt_token: null, lease_expires_at: null } as const;

/** Rejects counts no chunk can have (the chunk number is checked against the partition). */
function invalidChunk(chunk: ChunkCommit): SlipwayError | undefined {
  if (!Number.isSafeInteger(chunk.chunk) || chunk.chunk < 0) {
    return invalidArgument('chunk', `chunk must be a non-negative integer, got ${chunk.chunk}.`);
  }
  if (!Number.isSafeInteger(chunk.rows) || chunk.rows < 0) {
    return invalidArgument('rows', `rows must be a non-negative integer, got ${chunk.rows}.`);
  }
  if (!Number.isSafeInteger(chunk.rejected) || chunk.rejected < 0 || chunk.rejected > chunk.rows) {
    return invalidArgument('rejected', `rejected must be an integer in 0..rows, got ${chunk.rejected}.`);
  }
  return undefined;
}

function isTerminal(state: string): boolean {
  return (TERMINAL_JOB_STATES as readonly string[]).includes(state);
}

/** How many partitions of the group are in `state` (NULL over no rows). */
function sumWhere(state: PartitionState) {
  return sql<DbInt64 | null>`sum(case when state = ${state} then 1 else 0 end)`;
}

// ---- page tokens ------------------------------------------------------------------------------

/** Where the previous page ended in (created_at DESC, id) order. */
interface PagePosition {
  createdAt: number;
  id: string;
}

function encodeJobPageToken(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

function decodeJobPageToken(token: string | undefined): PagePosition | undefined {
  if (token === undefined || token === '') return undefined;
  const reject = (): never => {
    throw invalidArgument('pageToken', 'Invalid pageToken: pass the token from the previous page.');
  };
  if (token.length > MAX_TOKEN_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) return reject();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return reject();
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return reject();
  const [createdAt, id] = parsed as unknown[];
  if (!Number.isSafeInteger(createdAt) || typeof id !== 'string') return reject();
  return { createdAt: createdAt as number, id };
}

// ---- row mapping ------------------------------------------------------------------------------

function jobToRow(job: Job): Insertable<JobsTable> {
  return {
    id: job.id,
    kind: job.kind,
    state: job.state,
    payload: JSON.stringify(job.payload),
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    started_at: job.startedAt ?? null,
    finished_at: job.finishedAt ?? null,
    max_attempts: job.maxAttempts,
    cancel_requested: job.cancelRequested ? 1 : 0,
    error_code: job.error?.code ?? null,
    error_message: job.error?.message ?? null,
    result: job.result === undefined ? null : JSON.stringify(job.result),
    rows_total: job.progress.rowsTotal ?? null,
  };
}

function jobFromRow(row: JobRow, progress: JobProgress): Job {
  const startedAt = toNullableInt64(row.started_at);
  const finishedAt = toNullableInt64(row.finished_at);
  // The kind column and the JSON it wrote side by side belong together: one cast pairs them.
  return {
    id: row.id,
    kind: row.kind as JobKind,
    state: row.state as JobState,
    payload: JSON.parse(row.payload) as Job['payload'],
    createdAt: toInt64(row.created_at),
    updatedAt: toInt64(row.updated_at),
    ...(startedAt === null ? {} : { startedAt }),
    ...(finishedAt === null ? {} : { finishedAt }),
    maxAttempts: row.max_attempts,
    cancelRequested: Number(row.cancel_requested) === 1,
    progress,
    ...errorOf(row),
    ...(row.result === null ? {} : { result: JSON.parse(row.result) as NonNullable<Job['result']> }),
  } as Job;
}

function errorOf(row: { error_code: string | null; error_message: string | null }): { error?: JobError } {
  return row.error_code === null ? {} : { error: { code: row.error_code, message: row.error_message ?? '' } };
}

function rowsTotalOf(row: JobRow): Pick<JobProgress, 'rowsTotal'> {
  const rowsTotal = toNullableInt64(row.rows_total);
  return rowsTotal === null ? {} : { rowsTotal };
}

function progressFromPartitions(row: JobRow, partitions: JobPartition[]): JobProgress {
  return {
    ...rowsTotalOf(row),
    rowsDone: partitions.reduce((sum, p) => sum + p.rowsDone, 0),
    rowsRejected: partitions.reduce((sum, p) => sum + p.rowsRejected, 0),
    partitionsTotal: partitions.length,
    partitionsDone: partitions.filter((p) => p.state === 'done').length,
  };
}

function partitionToRow(jobId: string, p: JobPartition): Insertable<JobPartitionsTable> {
  return {
    job_id: jobId,
    idx: p.index,
    state: p.state,
    row_start: p.rowStart,
    row_end: p.rowEnd,
    attempts: p.attempts,
    committed_chunks: p.committedChunks,
    rows_done: p.rowsDone,
    rows_rejected: p.rowsRejected,
    worker: p.worker ?? null,
    attempt_token: null,
    lease_expires_at: p.leaseExpiresAt ?? null,
    error_code: p.error?.code ?? null,
    error_message: p.error?.message ?? null,
  };
}

function partitionFromRow(row: PartitionRow): JobPartition {
  const leaseExpiresAt = toNullableInt64(row.lease_expires_at);
  return {
    jobId: row.job_id,
    index: row.idx,
    state: row.state as PartitionState,
    rowStart: toInt64(row.row_start),
    rowEnd: toInt64(row.row_end),
    attempts: row.attempts,
    committedChunks: row.committed_chunks,
    rowsDone: toInt64(row.rows_done),
    rowsRejected: toInt64(row.rows_rejected),
    ...(row.worker === null ? {} : { worker: row.worker }),
    ...(leaseExpiresAt === null ? {} : { leaseExpiresAt }),
    ...errorOf(row),
  };
}

function chunkToRow(jobId: string, partition: number, chunk: ChunkCommit): Insertable<JobChunksTable> {
  return {
    job_id: jobId,
    partition,
    chunk: chunk.chunk,
    rows: chunk.rows,
    rejected: chunk.rejected,
    file: chunk.file,
    rejects_file: chunk.rejectsFile ?? null,
  };
}

function chunkFromRow(row: ChunkRow): CommittedChunk {
  return {
    partition: row.partition,
    chunk: row.chunk,
    rows: toInt64(row.rows),
    rejected: toInt64(row.rejected),
    file: row.file,
    ...(row.rejects_file === null ? {} : { rejectsFile: row.rejects_file }),
  };
}
