/**
 * What only the embedded SQL queue shows: with its clock's `now` moved by hand (timers stay real,
 * polling every 20 ms), retry delays and lapsed leases are checked without waiting them out.
 */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Delivery, WorkItem } from '../../src/jobs/work-queue.js';
import { SqlWorkItems } from '../../src/storage/queue/sql-work-items.js';
import {
  DEFAULT_QUEUE,
  SqlWorkQueue,
  systemClock,
  type QueueClock,
} from '../../src/storage/queue/sql-work-queue.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';
import { workItem } from './work-queue.contract.js';

/** Several polls of a 20 ms poll interval. */
const QUIET_MS = 200;

describe('SqlWorkQueue with a hand-moved clock', () => {
  let database: TestDatabase;
  let backend: SqlBackend;
  let queue: SqlWorkQueue;
  let now = 1_000_000;
  const clock: QueueClock = { ...systemClock, now: () => now };

  beforeEach(async () => {
    now = 1_000_000;
    database = await sqliteTestBackend.createDatabase();
    backend = await database.openBackend();
    queue = new SqlWorkQueue(backend, { clock, pollIntervalMs: 20 });
  });

  afterEach(async () => {
    await queue.close();
    await backend.close();
    await database.dispose();
  });

  test('holds a failed item back until its retry delay has passed', async () => {
    const attempts: number[] = [];
    await queue.consume(
      async (delivery) => {
        attempts.push(delivery.attempt);
        if (delivery.attempt === 1) throw new Error('first try fails');
      },
      { concurrency: 1, workerId: 'w1', onDead: () => Promise.resolve() },
    );
    await queue.enqueue([workItem(0)], { maxAttempts: 2, retryDelayMs: 60_000, leaseMs: 10_000 });
    await waitFor(() => attempts.length === 1);

    now += 59_999;
    await sleep(QUIET_MS);
    expect(attempts).toEqual([1]);
    now += 1;
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
  });

  test('backs off exponentially: each retry waits twice as long as the one before, up to the cap', async () => {
    const attempts: number[] = [];
    const dead: string[] = [];
    const backoff = new SqlWorkQueue(backend, {
      clock,
      pollIntervalMs: 20,
      random: () => 0,
      queue: 'backoff',
    });
    await backoff.consume(
      async (delivery) => {
        attempts.push(delivery.attempt);
        throw new Error(`attempt ${delivery.attempt} fails`);
      },
      { concurrency: 1, workerId: 'w1', onDead: async (_item, error) => void dead.push(error) },
    );
    const policy = { maxAttempts: 4, retryDelayMs: 10_000, maxRetryDelayMs: 30_000, leaseMs: 10_000 };
    await backoff.enqueue([workItem(0)], policy);
    await waitFor(() => attempts.length === 1);
    // With random() = 0 the delays are the lower halves of 10, 20 and (capped) 30 s.
    for (const [i, delay] of [5_000, 10_000, 15_000].entries()) {
      now += delay - 1;
      await sleep(QUIET_MS);
      expect(attempts).toHaveLength(i + 1);
      now += 1;
      await waitFor(() => attempts.length === i + 2);
    }
    await waitFor(() => dead.length === 1);
    await backoff.close();
    expect(attempts).toEqual([1, 2, 3, 4]);
    expect(dead).toEqual(['attempt 4 fails']);
  });

  test('reclaims a lapsed lease, and reports it dead naming the worker once attempts are used up', async () => {
    // A worker that claims and then never renews: a process that died.
    const ghost = new SqlWorkItems(backend, DEFAULT_QUEUE);
    await queue.enqueue([workItem(5)], { maxAttempts: 2, retryDelayMs: 0, leaseMs: 10_000 });
    expect((await ghost.claim(now, 1, 'ghost-1')).map((c) => c.attempt)).toEqual([1]);

    const delivered: Delivery[] = [];
    const dead: { item: WorkItem; error: string }[] = [];
    let unhang!: () => void;
    const hung = new Promise<void>((resolve) => (unhang = resolve));
    await queue.consume(
      async (delivery) => {
        delivered.push(delivery);
        // The second delivery dies too: its handler hangs while the test moves the clock on.
        await hung;
      },
      { concurrency: 1, workerId: 'w1', onDead: async (item, error) => void dead.push({ item, error }) },
    );
    await sleep(QUIET_MS);
    expect(delivered).toEqual([]);

    now += 10_000;
    await waitFor(() => delivered.length === 1);
    expect(delivered).toEqual([{ item: workItem(5), attempt: 2, maxAttempts: 2, workerId: 'w1' }]);
    // w1 renews on a real timer every leaseMs / 3 (3.3 s), so it has not renewed when the clock
    // jumps past its lease: it looks stalled. A second queue object plays the survivor.
    const survivor = new SqlWorkQueue(backend, { clock, pollIntervalMs: 20 });
    await survivor.consume(() => Promise.resolve(), {
      concurrency: 1,
      workerId: 'w2',
      onDead: async (item, error) => void dead.push({ item, error }),
    });
    now += 100_000;
    await waitFor(() => dead.length === 1);
    await survivor.close();
    unhang();
    expect(dead).toEqual([
      {
        item: workItem(5),
        error: 'The lease of worker w1 lapsed during attempt 2 (the worker stopped heartbeating).',
      },
    ]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('Timed out waiting for the queue.');
    await sleep(10);
  }
}
