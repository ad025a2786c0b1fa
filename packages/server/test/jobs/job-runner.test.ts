/**
 * The job runner over the real SQL job store and the embedded queue on SQLite, with scripted
 * executors standing in for the work itself: retries resume at the last committed chunk, input
 * errors fail the job at once, used-up attempts fail it with the last error, a cancel stops a
 * running partition at its next chunk, and the final step runs once with every chunk in order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invalidArgument, type Job, type JobDetails, type JobPartition } from '@slipway/contracts';
import { JOB_CATALOG, type JobKindDefinition } from '../../src/jobs/job-catalog.js';
import type { JobExecutor, PartitionAttempt } from '../../src/jobs/job-executor.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import type { CommittedChunk } from '../../src/jobs/job-store.js';
import { SqlWorkQueue } from '../../src/storage/queue/sql-work-queue.js';
import { SqlJobStore } from '../../src/storage/sql/sql-job-store.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';

const CHUNKS = 4;
const CATALOG: Readonly<Record<string, JobKindDefinition>> = {
  batch_score: {
    ...JOB_CATALOG.batch_score,
    policy: { maxAttempts: 3, retryDelayMs: 10, leaseMs: 1_000 },
  },
};

let database: TestDatabase;
let backend: SqlBackend;
let store: SqlJobStore;
let queue: SqlWorkQueue;
let runner: JobRunner | undefined;

beforeEach(async () => {
  database = await sqliteTestBackend.createDatabase();
  backend = await database.openBackend();
  store = new SqlJobStore(backend);
  queue = new SqlWorkQueue(backend, { pollIntervalMs: 20 });
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  await queue.close();
  await backend.close();
  await database.dispose();
});

/** Scripted work: each partition commits CHUNKS chunks; `beforeChunk` may throw or wait. */
class ScriptedExecutor implements JobExecutor {
  readonly attempts: { partition: number; from: number }[] = [];
  readonly finalized: CommittedChunk[][] = [];

  constructor(
    private readonly beforeChunk: (
      partition: number,
      chunk: number,
      attempt: number,
    ) => Promise<void> = async () => undefined,
  ) {}

  async runPartition(attempt: PartitionAttempt): Promise<'done' | 'stopped'> {
    const index = attempt.partition.index;
    this.attempts.push({ partition: index, from: attempt.partition.committedChunks });
    const attemptNumber = this.attempts.filter((a) => a.partition === index).length;
    for (let chunk = attempt.partition.committedChunks; chunk < CHUNKS; chunk++) {
      await this.beforeChunk(index, chunk, attemptNumber);
      attempt.signal.throwIfAborted();
      const outcome = await attempt.commit({
        chunk,
        rows: 10,
        rejected: chunk === 0 ? 1 : 0,
        file: `p${index}-c${chunk}-${attempt.token}`,
      });
      if (!outcome.held || outcome.cancelRequested) return 'stopped';
    }
    return 'done';
  }

  async finalize(job: JobDetails, chunks: readonly CommittedChunk[]): Promise<NonNullable<Job['result']>> {
    this.finalized.push([...chunks]);
    return {
      output: job.kind === 'batch_score' ? job.payload.output : '',
      rows: chunks.reduce((n, c) => n + c.rows - c.rejected, 0),
      rejected: 2,
      modelVersion: '1',
    };
  }

  async close(): Promise<void> {}
}

async function submit(partitions = 2): Promise<string> {
  const id = `job_${Math.random().toString(36).slice(2)}`;
  const now = Date.now();
  const job: Job = {
    id,
    kind: 'batch_score',
    state: 'queued',
    payload: { model: { name: 'm', version: '1' }, input: '/in.csv', output: '/out.csv' },
    createdAt: now,
    updatedAt: now,
    maxAttempts: 3,
    cancelRequested: false,
    progress: {
      rowsTotal: partitions * CHUNKS * 10,
      rowsDone: 0,
      rowsRejected: 0,
      partitionsTotal: partitions,
      partitionsDone: 0,
    },
  };
  const parts: JobPartition[] = Array.from({ length: partitions }, (_, index) => ({
    jobId: id,
    index,
    state: 'queued',
    rowStart: index * 40,
    rowEnd: (index + 1) * 40,
    attempts: 0,
    committedChunks: 0,
    rowsDone: 0,
    rowsRejected: 0,
  }));
  await store.createJob({ job, partitions: parts });
  await queue.enqueue(
    parts.map((p) => ({ jobId: id, kind: 'batch_score', step: 'partition', partition: p.index })),
    CATALOG.batch_score?.policy ?? JOB_CATALOG.batch_score.policy,
  );
  return id;
}

async function startRunner(executor: JobExecutor, concurrency = 2): Promise<void> {
  runner = new JobRunner({
    store,
    queue,
    executors: { batch_score: executor },
    workerId: 'w1',
    concurrency,
    catalog: CATALOG,
  });
  await runner.start();
}

async function settled(id: string, timeoutMs = 15_000): Promise<JobDetails> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await store.getJob(id);
    if (job !== undefined && ['succeeded', 'failed', 'cancelled'].includes(job.state)) return job;
    if (Date.now() > deadline) throw new Error(`job never settled: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('JobRunner', () => {
  it('finishes every partition and finalizes once with the chunks in order', async () => {
    const executor = new ScriptedExecutor();
    await startRunner(executor);
    const job = await settled(await submit(3));
    expect(job.state).toBe('succeeded');
    expect(job.result).toEqual({ output: '/out.csv', rows: 117, rejected: 2, modelVersion: '1' });
    expect(job.progress).toMatchObject({ rowsDone: 120, rowsRejected: 3, partitionsDone: 3 });
    expect(executor.finalized).toHaveLength(1);
    expect(executor.finalized[0]?.map((c) => [c.partition, c.chunk])).toEqual(
      [0, 1, 2].flatMap((p) => [0, 1, 2, 3].map((c) => [p, c])),
    );
  });

  it('retries a failed attempt from its last committed chunk', async () => {
    const executor = new ScriptedExecutor(async (partition, chunk, attempt) => {
      if (partition === 1 && chunk === 2 && attempt === 1) throw new Error('the disk hiccuped');
    });
    await startRunner(executor);
    const job = await settled(await submit(2));
    expect(job.state).toBe('succeeded');
    expect(executor.attempts.filter((a) => a.partition === 1)).toEqual([
      { partition: 1, from: 0 },
      { partition: 1, from: 2 },
    ]);
    expect(job.partitions[1]).toMatchObject({ attempts: 2, committedChunks: CHUNKS, rowsDone: 40 });
  });

  it('fails the job at once when the input itself is wrong', async () => {
    const executor = new ScriptedExecutor(async (partition, chunk) => {
      if (partition === 0 && chunk === 1) throw invalidArgument('input', 'line 12 has 3 fields, expected 4');
    });
    await startRunner(executor, 1);
    const job = await settled(await submit(2));
    expect(job.state).toBe('failed');
    expect(job.error).toEqual({ code: 'INVALID_ARGUMENT', message: 'line 12 has 3 fields, expected 4' });
    expect(job.partitions[0]).toMatchObject({ state: 'failed', attempts: 1 });
    expect(executor.attempts.filter((a) => a.partition === 0)).toHaveLength(1);
    expect(executor.finalized).toHaveLength(0);
  });

  it('fails the job with the last error once the attempts are used up', async () => {
    const executor = new ScriptedExecutor(async (partition) => {
      if (partition === 0) throw new Error('model crashed');
    });
    await startRunner(executor, 1);
    const job = await settled(await submit(1));
    expect(job.state).toBe('failed');
    expect(job.error).toEqual({ code: 'INTERNAL', message: 'model crashed' });
    expect(job.partitions[0]).toMatchObject({ state: 'failed', attempts: 3 });
  });

  it('stops a running partition at its next chunk when the job is cancelled', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let reachedGate: () => void = () => undefined;
    const atGate = new Promise<void>((resolve) => (reachedGate = resolve));
    const executor = new ScriptedExecutor(async (_partition, chunk) => {
      if (chunk === 1) {
        reachedGate();
        await gate;
      }
    });
    await startRunner(executor, 1);
    const id = await submit(1);
    await atGate;
    const asked = await store.requestCancel(id, Date.now());
    expect(asked).toMatchObject({ state: 'running', cancelRequested: true });
    release();
    const job = await settled(id);
    expect(job.state).toBe('cancelled');
    // The heartbeat may see the cancel before the next commit does: either way no chunk after it.
    expect(job.partitions[0]?.state).toBe('cancelled');
    expect([1, 2]).toContain(job.partitions[0]?.committedChunks);
    expect(executor.finalized).toHaveLength(0);
  });
});
