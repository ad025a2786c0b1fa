/**
 * The job store contract: every JobStore implementation must pass it. Each test gets a fresh
 * database; the clock is the `now` every call takes, so nothing sleeps.
 */
import { Buffer } from 'node:buffer';
import type { Job, JobDetails, JobPartition } from '@slipway/contracts';
import { describe, expect, test } from 'vitest';
import type { AttemptStart, ChunkCommit, JobStore, NewJob } from '../../src/jobs/job-store.js';
import { expectError } from './contract/harness.js';
import { useFreshStore, type StoreFactory, type StoreFixture as Fixture } from './store-fixture.js';

/** What the job store contract needs from an implementation. */
export type JobStoreFactory = StoreFactory<JobStore>;
type StoreFixture = Fixture<JobStore>;

const LEASE_MS = 30_000;

/** A queued partition of 100 rows starting at `index * 100`. */
function partition(jobId: string, index: number): JobPartition {
  return {
    jobId,
    index,
    state: 'queued',
    rowStart: index * 100,
    rowEnd: index * 100 + 100,
    attempts: 0,
    committedChunks: 0,
    rowsDone: 0,
    rowsRejected: 0,
  };
}

/** A queued batch scoring job with `partitions` partitions, created at `createdAt`. */
function newJob(id: string, options: { createdAt?: number; partitions?: number } = {}): NewJob {
  const createdAt = options.createdAt ?? 1_000;
  const count = options.partitions ?? 2;
  const job: Job = {
    id,
    kind: 'batch_score',
    state: 'queued',
    payload: {
      model: { name: 'fraud', version: '3' },
      input: '/data/in.csv',
      output: '/data/out.parquet',
      passthrough: ['id', 'région'],
      chunkRows: 50,
    },
    createdAt,
    updatedAt: createdAt,
    maxAttempts: 3,
    cancelRequested: false,
    progress: {
      rowsTotal: count * 100,
      rowsDone: 0,
      rowsRejected: 0,
      partitionsTotal: count,
      partitionsDone: 0,
    },
  };
  return { job, partitions: Array.from({ length: count }, (_, i) => partition(id, i)) };
}

function attempt(token: string, now: number, worker = 'w1'): AttemptStart {
  return { worker, token, now, leaseMs: LEASE_MS };
}

function chunk(n: number, rows = 50, rejected = 0): ChunkCommit {
  return {
    chunk: n,
    rows,
    rejected,
    file: `/tmp/part-${n}.parquet`,
    ...(rejected > 0 ? { rejectsFile: `/tmp/part-${n}.rejects.jsonl` } : {}),
  };
}

async function requireJob(store: JobStore, id: string): Promise<JobDetails> {
  const job = await store.getJob(id);
  if (job === undefined) throw new Error(`job ${id} is missing`);
  return job;
}

async function states(store: JobStore, id: string): Promise<string[]> {
  return (await requireJob(store, id)).partitions.map((p) => p.state);
}

/** Registers the whole job store contract for `factory`. */
export function jobStoreContract(factory: JobStoreFactory): void {
  describe(`JobStore contract (${factory.name})`, () => {
    const fx = useFreshStore(factory);
    createGetList(fx);
    attempts(fx);
    chunks(fx);
    finishing(fx, factory);
    failing(fx);
    cancelling(fx);
    completing(fx);
    retrying(fx);
  });
}

function createGetList(fx: StoreFixture): void {
  describe('create, get, list', () => {
    test('round-trips a job with its partitions; progress is summed from them', async () => {
      const created = newJob('j1', { partitions: 3 });
      await fx.store.createJob(created);
      const expected: JobDetails = { ...created.job, partitions: created.partitions };
      expect(await fx.store.getJob('j1')).toStrictEqual(expected);
      expect(await (await fx.another()).getJob('j1')).toStrictEqual(expected);
      expect(await fx.store.getJob('nope')).toBeUndefined();
    });

    test('a taken id is ALREADY_EXISTS and leaves the first job as it was', async () => {
      await fx.store.createJob(newJob('j1', { partitions: 1 }));
      await expectError(fx.store.createJob(newJob('j1', { partitions: 4 })), 'ALREADY_EXISTS', 'id');
      expect((await requireJob(fx.store, 'j1')).partitions).toHaveLength(1);
    });

    test('lists newest first, ties by id, paged without overlap', async () => {
      for (const [id, createdAt] of [
        ['a', 1_000],
        ['c', 3_000],
        ['b', 3_000],
        ['d', 2_000],
        ['e', 5_000],
      ] as const) {
        await fx.store.createJob(newJob(id, { createdAt }));
      }
      const seen: string[][] = [];
      let pageToken: string | undefined;
      do {
        const page = await fx.store.listJobs({ limit: 2, ...(pageToken ? { pageToken } : {}) });
        seen.push(page.jobs.map((j) => j.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== undefined);
      expect(seen).toStrictEqual([['e', 'b'], ['c', 'd'], ['a']]);

      const exact = await fx.store.listJobs({ limit: 5 });
      expect(exact.jobs.map((j) => j.id)).toStrictEqual(['e', 'b', 'c', 'd', 'a']);
      expect(exact.nextPageToken).toBeUndefined();
      const { partitions: _partitions, ...jobOnly } = await requireJob(fx.store, 'e');
      expect(exact.jobs[0]).toStrictEqual(jobOnly);
    });

    test('filters by kind and state, and sums each listed job from its partitions', async () => {
      await fx.store.createJob(newJob('queued', { createdAt: 1_000 }));
      await fx.store.createJob(newJob('running', { createdAt: 2_000 }));
      await fx.store.createJob(newJob('cancelled', { createdAt: 3_000 }));
      await fx.store.startAttempt('running', 1, attempt('t', 2_100));
      await fx.store.commitChunk('running', 1, 't', chunk(0, 50, 7), 2_200);
      await fx.store.requestCancel('cancelled', 3_100);

      const running = await fx.store.listJobs({ limit: 10, state: 'running' });
      expect(running.jobs.map((j) => j.id)).toStrictEqual(['running']);
      expect(running.jobs[0]?.progress).toStrictEqual({
        rowsTotal: 200,
        rowsDone: 50,
        rowsRejected: 7,
        partitionsTotal: 2,
        partitionsDone: 0,
      });
      const cancelled = await fx.store.listJobs({ limit: 10, state: 'cancelled', kind: 'batch_score' });
      expect(cancelled.jobs.map((j) => j.id)).toStrictEqual(['cancelled']);
      const all = await fx.store.listJobs({ limit: 10, kind: 'batch_score' });
      expect(all.jobs.map((j) => j.id)).toStrictEqual(['cancelled', 'running', 'queued']);
      expect((await fx.store.listJobs({ limit: 10, state: 'failed' })).jobs).toStrictEqual([]);
    });

    test('a bad page token or limit is INVALID_ARGUMENT naming the field', async () => {
      await expectError(
        fx.store.listJobs({ limit: 10, pageToken: 'not a token!' }),
        'INVALID_ARGUMENT',
        'pageToken',
      );
      const garbage = Buffer.from('{"offset": 3}').toString('base64url');
      await expectError(
        fx.store.listJobs({ limit: 10, pageToken: garbage }),
        'INVALID_ARGUMENT',
        'pageToken',
      );
      await expectError(fx.store.listJobs({ limit: 0 }), 'INVALID_ARGUMENT', 'limit');
      await expectError(fx.store.listJobs({ limit: 1001 }), 'INVALID_ARGUMENT', 'limit');
    });
  });
}

function attempts(fx: StoreFixture): void {
  describe('attempts', () => {
    test('startAttempt runs a queued partition and the job, startedAt set once', async () => {
      await fx.store.createJob(newJob('j'));
      const started = await fx.store.startAttempt('j', 0, attempt('t0', 5_000));
      expect(started).toStrictEqual({
        ...partition('j', 0),
        state: 'running',
        attempts: 1,
        worker: 'w1',
        leaseExpiresAt: 5_000 + LEASE_MS,
      });
      await fx.store.startAttempt('j', 1, attempt('t1', 6_000, 'w2'));
      const job = await requireJob(fx.store, 'j');
      expect(job.state).toBe('running');
      expect(job.startedAt).toBe(5_000);
      expect(job.updatedAt).toBe(6_000);
      expect(job.partitions[1]).toMatchObject({ state: 'running', worker: 'w2', attempts: 1 });
    });

    test('startAttempt is refused for done and cancelled partitions and unknown ones', async () => {
      await fx.store.createJob(newJob('j', { partitions: 3 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 5_000));
      await fx.store.finishPartition('j', 0, 't0', 5_100);
      expect(await fx.store.startAttempt('j', 0, attempt('again', 5_200))).toBeUndefined();
      await fx.store.startAttempt('j', 1, attempt('t1', 5_000));
      await fx.store.requestCancel('j', 5_300);
      expect(await states(fx.store, 'j')).toStrictEqual(['done', 'running', 'cancelled']);
      // Cancel-requested but still running: no partition may start, not even a redelivery.
      expect(await fx.store.startAttempt('j', 2, attempt('t2', 5_400))).toBeUndefined();
      expect(await fx.store.startAttempt('j', 1, attempt('t1b', 5_400))).toBeUndefined();
      expect(await fx.store.startAttempt('j', 7, attempt('t7', 5_400))).toBeUndefined();
      expect(await fx.store.startAttempt('missing', 0, attempt('t', 5_400))).toBeUndefined();
      expect((await requireJob(fx.store, 'j')).partitions[1]?.attempts).toBe(1);
    });

    test('startAttempt is refused once the job is terminal', async () => {
      await fx.store.createJob(newJob('j'));
      expect(await fx.store.failJob('j', { code: 'INTERNAL', message: 'boom' }, 2_000)).toBe(true);
      expect(await fx.store.startAttempt('j', 0, attempt('t', 3_000))).toBeUndefined();
      expect(await states(fx.store, 'j')).toStrictEqual(['cancelled', 'cancelled']);
    });

    test('a redelivery takes over; the old token changes nothing', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 0, attempt('old', 1_000, 'w-old'));
      await fx.store.commitChunk('j', 0, 'old', chunk(0), 1_100);
      const taken = await fx.store.startAttempt('j', 0, attempt('new', 40_000, 'w-new'));
      expect(taken).toMatchObject({ state: 'running', attempts: 2, committedChunks: 1, worker: 'w-new' });
      const before = await requireJob(fx.store, 'j');

      const stale = { held: false, cancelRequested: false };
      expect(await fx.store.renewLease('j', 0, 'old', 41_000, LEASE_MS)).toStrictEqual(stale);
      expect(await fx.store.commitChunk('j', 0, 'old', chunk(1), 41_000)).toStrictEqual(stale);
      expect(await fx.store.finishPartition('j', 0, 'old', 41_000)).toStrictEqual({
        ...stale,
        allDone: false,
      });
      expect(
        await fx.store.failPartition('j', 0, 'old', { code: 'X', message: 'x' }, true, 41_000),
      ).toStrictEqual(stale);
      expect(await fx.store.cancelPartition('j', 0, 'old', 41_000)).toStrictEqual(stale);
      expect(await fx.store.getJob('j')).toStrictEqual(before);
      expect(await fx.store.listChunks('j')).toHaveLength(1);

      expect(await fx.store.renewLease('j', 0, 'new', 50_000, LEASE_MS)).toStrictEqual({
        held: true,
        cancelRequested: false,
      });
      expect((await requireJob(fx.store, 'j')).partitions[0]?.leaseExpiresAt).toBe(50_000 + LEASE_MS);
    });
  });
}

function chunks(fx: StoreFixture): void {
  describe('chunks', () => {
    test('commitChunk takes only the next chunk number and adds its counts', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      expect(await fx.store.commitChunk('j', 0, 't', chunk(0, 50, 2), 1_100)).toStrictEqual({
        held: true,
        cancelRequested: false,
      });
      await expectError(fx.store.commitChunk('j', 0, 't', chunk(0), 1_200), 'INVALID_ARGUMENT', 'chunk');
      await expectError(fx.store.commitChunk('j', 0, 't', chunk(2), 1_200), 'INVALID_ARGUMENT', 'chunk');
      await expectError(
        fx.store.commitChunk('j', 0, 't', chunk(1, 10, 11), 1_200),
        'INVALID_ARGUMENT',
        'rejected',
      );
      await fx.store.commitChunk('j', 0, 't', chunk(1, 30, 0), 1_300);
      const job = await requireJob(fx.store, 'j');
      expect(job.partitions[0]).toMatchObject({ committedChunks: 2, rowsDone: 80, rowsRejected: 2 });
      expect(job.progress).toStrictEqual({
        rowsTotal: 200,
        rowsDone: 80,
        rowsRejected: 2,
        partitionsTotal: 2,
        partitionsDone: 0,
      });
    });

    test('two commits of the same chunk by its holder count once', async () => {
      const other = await fx.another();
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      const results = await Promise.allSettled([
        fx.store.commitChunk('j', 0, 't', chunk(0), 1_100),
        other.commitChunk('j', 0, 't', chunk(0), 1_100),
      ]);
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect((await requireJob(fx.store, 'j')).partitions[0]).toMatchObject({
        committedChunks: 1,
        rowsDone: 50,
      });
      expect(await fx.store.listChunks('j')).toHaveLength(1);
    });

    test('listChunks is in partition then chunk order', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 1, attempt('t1', 1_000));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      await fx.store.commitChunk('j', 1, 't1', chunk(0, 40, 1), 1_100);
      await fx.store.commitChunk('j', 0, 't0', chunk(0), 1_200);
      await fx.store.commitChunk('j', 1, 't1', chunk(1), 1_300);
      await fx.store.commitChunk('j', 0, 't0', chunk(1), 1_400);
      expect(await fx.store.listChunks('j')).toStrictEqual([
        { partition: 0, ...chunk(0) },
        { partition: 0, ...chunk(1) },
        { partition: 1, ...chunk(0, 40, 1) },
        { partition: 1, ...chunk(1) },
      ]);
      expect(await fx.store.listChunks('other')).toStrictEqual([]);
    });
  });
}

function finishing(fx: StoreFixture, factory: JobStoreFactory): void {
  describe('finishing', () => {
    test('allDone is true only for the finish that leaves every partition done', async () => {
      await fx.store.createJob(newJob('j', { partitions: 3 }));
      for (const i of [0, 1, 2]) await fx.store.startAttempt('j', i, attempt(`t${i}`, 1_000));
      const done = { held: true, cancelRequested: false };
      expect(await fx.store.finishPartition('j', 2, 't2', 2_000)).toStrictEqual({ ...done, allDone: false });
      expect(await fx.store.finishPartition('j', 0, 't0', 2_100)).toStrictEqual({ ...done, allDone: false });
      expect(await fx.store.finishPartition('j', 1, 't1', 2_200)).toStrictEqual({ ...done, allDone: true });
      // The token is spent: a repeated finish is not held and never reports allDone again.
      expect(await fx.store.finishPartition('j', 1, 't1', 2_300)).toStrictEqual({
        held: false,
        cancelRequested: false,
        allDone: false,
      });
      const job = await requireJob(fx.store, 'j');
      expect(job.state).toBe('running');
      expect(job.progress.partitionsDone).toBe(3);
      expect(job.partitions[1]).toStrictEqual({
        ...partition('j', 1),
        state: 'done',
        attempts: 1,
        worker: 'w1',
      });
    });

    test('two workers finishing the last two partitions at once: exactly one allDone', async () => {
      const other = await fx.another();
      const rounds = factory.parallelWriters ? 25 : 5;
      for (let round = 0; round < rounds; round++) {
        const id = `j${round}`;
        await fx.store.createJob(newJob(id, { partitions: 3 }));
        for (const i of [0, 1, 2]) await fx.store.startAttempt(id, i, attempt(`t${i}`, 1_000));
        await fx.store.finishPartition(id, 0, 't0', 1_500);
        const outcomes = await Promise.all([
          fx.store.finishPartition(id, 1, 't1', 2_000),
          other.finishPartition(id, 2, 't2', 2_000),
        ]);
        expect(outcomes.map((o) => o.held)).toStrictEqual([true, true]);
        expect(outcomes.filter((o) => o.allDone)).toHaveLength(1);
      }
    });
  });
}

function failing(fx: StoreFixture): void {
  describe('failing', () => {
    const error = { code: 'MODEL_ERROR', message: 'shape mismatch' };

    test('a non-final failure queues the partition again for the next delivery', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      await fx.store.commitChunk('j', 0, 't', chunk(0), 1_100);
      expect(await fx.store.failPartition('j', 0, 't', error, false, 1_200)).toStrictEqual({
        held: true,
        cancelRequested: false,
      });
      const job = await requireJob(fx.store, 'j');
      expect(job.state).toBe('running');
      expect(job.error).toBeUndefined();
      expect(job.partitions[0]).toStrictEqual({
        ...partition('j', 0),
        worker: 'w1',
        attempts: 1,
        committedChunks: 1,
        rowsDone: 50,
        error,
      });
      expect(await fx.store.commitChunk('j', 0, 't', chunk(1), 1_300)).toMatchObject({ held: false });
      expect(await fx.store.startAttempt('j', 0, attempt('t2', 1_400))).toMatchObject({
        state: 'running',
        attempts: 2,
        committedChunks: 1,
      });
    });

    test('a final failure fails the job with its error and cancels the unfinished partitions', async () => {
      await fx.store.createJob(newJob('j', { partitions: 4 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      await fx.store.finishPartition('j', 0, 't0', 1_100);
      await fx.store.startAttempt('j', 1, attempt('t1', 1_000));
      await fx.store.startAttempt('j', 2, attempt('t2', 1_000));
      expect(await fx.store.failPartition('j', 1, 't1', error, true, 2_000)).toStrictEqual({
        held: true,
        cancelRequested: false,
      });
      const job = await requireJob(fx.store, 'j');
      expect(job).toMatchObject({ state: 'failed', error, finishedAt: 2_000, updatedAt: 2_000 });
      expect(job.partitions.map((p) => p.state)).toStrictEqual(['done', 'failed', 'cancelled', 'cancelled']);
      expect(job.partitions[1]?.error).toStrictEqual(error);
      // The other running holder learns at its next call that it no longer holds its partition.
      expect(await fx.store.commitChunk('j', 2, 't2', chunk(0), 2_100)).toMatchObject({ held: false });
    });

    test('failJob fails a non-terminal job only', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      expect(await fx.store.failJob('j', error, 2_000)).toBe(true);
      const job = await requireJob(fx.store, 'j');
      expect(job).toMatchObject({ state: 'failed', error, finishedAt: 2_000 });
      expect(job.partitions.map((p) => p.state)).toStrictEqual(['cancelled', 'cancelled']);
      // The worker of the last attempt stays on record; its lease does not.
      expect(job.partitions[0]).toMatchObject({ worker: 'w1' });
      expect(job.partitions[0]?.leaseExpiresAt).toBeUndefined();
      expect(await fx.store.failJob('j', { code: 'OTHER', message: 'later' }, 3_000)).toBe(false);
      expect((await requireJob(fx.store, 'j')).error).toStrictEqual(error);
      expect(await fx.store.failJob('missing', error, 3_000)).toBe(false);
    });
  });
}

function cancelling(fx: StoreFixture): void {
  describe('cancelling', () => {
    test('with no partition running the job is cancelled at once; done partitions stay done', async () => {
      await fx.store.createJob(newJob('j', { partitions: 3 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      await fx.store.finishPartition('j', 0, 't0', 1_100);
      const job = await fx.store.requestCancel('j', 2_000);
      expect(job).toMatchObject({
        state: 'cancelled',
        cancelRequested: true,
        finishedAt: 2_000,
        updatedAt: 2_000,
      });
      expect(job?.partitions.map((p) => p.state)).toStrictEqual(['done', 'cancelled', 'cancelled']);
      expect(await fx.store.getJob('j')).toStrictEqual(job);
    });

    test('with a partition running the holder stops at its next chunk, then the job is cancelled', async () => {
      await fx.store.createJob(newJob('j', { partitions: 2 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      const job = await fx.store.requestCancel('j', 2_000);
      expect(job).toMatchObject({ state: 'running', cancelRequested: true });
      expect(job?.finishedAt).toBeUndefined();
      expect(job?.partitions.map((p) => p.state)).toStrictEqual(['running', 'cancelled']);

      const told = { held: true, cancelRequested: true };
      expect(await fx.store.commitChunk('j', 0, 't0', chunk(0), 2_100)).toStrictEqual(told);
      expect(await fx.store.renewLease('j', 0, 't0', 2_100, LEASE_MS)).toStrictEqual(told);
      expect(await fx.store.cancelPartition('j', 0, 't0', 2_200)).toStrictEqual(told);
      const after = await requireJob(fx.store, 'j');
      expect(after).toMatchObject({ state: 'cancelled', finishedAt: 2_200 });
      expect(after.partitions.map((p) => p.state)).toStrictEqual(['cancelled', 'cancelled']);
      expect(after.progress.rowsDone).toBe(50);
    });

    test('the last running partition finishing under a cancel request cancels the job', async () => {
      await fx.store.createJob(newJob('j', { partitions: 2 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      await fx.store.requestCancel('j', 2_000);
      expect(await fx.store.finishPartition('j', 0, 't0', 2_100)).toStrictEqual({
        held: true,
        cancelRequested: true,
        allDone: false,
      });
      expect(await requireJob(fx.store, 'j')).toMatchObject({ state: 'cancelled', finishedAt: 2_100 });
    });

    test('a terminal job is returned unchanged; an unknown one is undefined', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.failJob('j', { code: 'X', message: 'x' }, 2_000);
      const before = await requireJob(fx.store, 'j');
      expect(await fx.store.requestCancel('j', 3_000)).toStrictEqual(before);
      expect(await fx.store.requestCancel('missing', 3_000)).toBeUndefined();
    });
  });
}

function completing(fx: StoreFixture): void {
  describe('completing', () => {
    const result = {
      output: '/data/out.parquet',
      rows: 200,
      rejected: 3,
      rejects: '/data/r.jsonl',
      modelVersion: '3',
    };

    test('completeJob takes a running job to succeeded with its result, once', async () => {
      await fx.store.createJob(newJob('j', { partitions: 1 }));
      expect(await fx.store.completeJob('j', result, 1_500)).toBe(false);
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      await fx.store.finishPartition('j', 0, 't', 2_000);
      expect(await fx.store.completeJob('j', result, 3_000)).toBe(true);
      expect(await requireJob(fx.store, 'j')).toMatchObject({
        state: 'succeeded',
        result,
        finishedAt: 3_000,
        updatedAt: 3_000,
        startedAt: 1_000,
      });
      expect(await fx.store.completeJob('j', { ...result, rows: 1 }, 4_000)).toBe(false);
      expect((await requireJob(fx.store, 'j')).result).toStrictEqual(result);
      expect(await fx.store.failJob('j', { code: 'X', message: 'x' }, 4_000)).toBe(false);
      expect(await fx.store.completeJob('missing', result, 4_000)).toBe(false);
    });
  });
}

function retrying(fx: StoreFixture): void {
  describe('retrying', () => {
    test('a failed job is queued again, keeping committed chunks and resetting attempts', async () => {
      await fx.store.createJob(newJob('j', { partitions: 3 }));
      await fx.store.startAttempt('j', 0, attempt('t0', 1_000));
      await fx.store.finishPartition('j', 0, 't0', 1_100);
      await fx.store.startAttempt('j', 1, attempt('t1', 1_000));
      await fx.store.commitChunk('j', 1, 't1', chunk(0, 50, 5), 1_200);
      await fx.store.failPartition('j', 1, 't1', { code: 'E', message: 'first' }, false, 1_300);
      await fx.store.startAttempt('j', 1, attempt('t1b', 1_400));
      await fx.store.failPartition('j', 1, 't1b', { code: 'E', message: 'last' }, true, 1_500);

      const requeued = await fx.store.retryJob('j', 9_000);
      expect(requeued).toStrictEqual([
        { ...partition('j', 1), worker: 'w1', committedChunks: 1, rowsDone: 50, rowsRejected: 5 },
        partition('j', 2),
      ]);
      const job = await requireJob(fx.store, 'j');
      expect(job).toMatchObject({
        state: 'queued',
        cancelRequested: false,
        updatedAt: 9_000,
        startedAt: 1_000,
      });
      expect(job.error).toBeUndefined();
      expect(job.finishedAt).toBeUndefined();
      expect(job.partitions.map((p) => p.state)).toStrictEqual(['done', 'queued', 'queued']);
      expect(await fx.store.listChunks('j')).toHaveLength(1);
      expect(await fx.store.startAttempt('j', 1, attempt('t1c', 9_100))).toMatchObject({
        state: 'running',
        attempts: 1,
        committedChunks: 1,
      });
      expect(await fx.store.commitChunk('j', 1, 't1c', chunk(1), 9_200)).toMatchObject({ held: true });
    });

    test('a cancelled job is queued again with its cancel request cleared', async () => {
      await fx.store.createJob(newJob('j'));
      await fx.store.requestCancel('j', 2_000);
      expect(await fx.store.retryJob('j', 3_000)).toStrictEqual([partition('j', 0), partition('j', 1)]);
      const job = await requireJob(fx.store, 'j');
      expect(job).toMatchObject({ state: 'queued', cancelRequested: false });
      expect(await fx.store.startAttempt('j', 0, attempt('t', 3_100))).toMatchObject({ state: 'running' });
    });

    test('a job whose partitions were all done is running again, for its final step', async () => {
      await fx.store.createJob(newJob('j', { partitions: 1 }));
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      await fx.store.finishPartition('j', 0, 't', 1_100);
      await fx.store.failJob('j', { code: 'E', message: 'finalize failed' }, 1_200);
      expect(await fx.store.retryJob('j', 2_000)).toStrictEqual([]);
      const job = await requireJob(fx.store, 'j');
      expect(job).toMatchObject({ state: 'running', updatedAt: 2_000 });
      expect(job.error).toBeUndefined();
      expect(job.partitions.map((p) => p.state)).toStrictEqual(['done']);
      expect(
        await fx.store.completeJob('j', { output: 'o', rows: 100, rejected: 0, modelVersion: '3' }, 2_100),
      ).toBe(true);
    });

    test('running, queued and succeeded jobs are FAILED_PRECONDITION; unknown ones NOT_FOUND', async () => {
      await fx.store.createJob(newJob('j', { partitions: 1 }));
      await expectError(fx.store.retryJob('j', 2_000), 'FAILED_PRECONDITION', 'id');
      await fx.store.startAttempt('j', 0, attempt('t', 1_000));
      await expectError(fx.store.retryJob('j', 2_000), 'FAILED_PRECONDITION', 'id');
      await fx.store.finishPartition('j', 0, 't', 1_100);
      await fx.store.completeJob('j', { output: 'o', rows: 100, rejected: 0, modelVersion: '3' }, 1_200);
      await expectError(fx.store.retryJob('j', 2_000), 'FAILED_PRECONDITION', 'id');
      expect((await requireJob(fx.store, 'j')).state).toBe('succeeded');
      await expectError(fx.store.retryJob('missing', 2_000), 'NOT_FOUND', 'id');
    });
  });
}
