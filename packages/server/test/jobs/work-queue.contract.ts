/**
 * The work queue contract: every WorkQueue backend must pass it. Each test gets fresh storage;
 * queues opened on it are like processes sharing one queue. Time is real (a killed child process
 * cannot share a fake clock), so lease times come from the subject: short for SQL, pg-boss's
 * 10-second minimum for it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type {
  Delivery,
  DeliveryPolicy,
  WorkConsumer,
  WorkItem,
  WorkQueue,
} from '../../src/jobs/work-queue.js';
import { expectError } from '../storage/contract/harness.js';

/** The child worker script; it imports the built dist. */
const DOOMED_WORKER = fileURLToPath(new URL('./fixtures/doomed-worker.mjs', import.meta.url));
const BUILT_QUEUE = fileURLToPath(new URL('../../dist/storage/queue/open-work-queue.js', import.meta.url));

/** Storage for one test: queues opened on it share items. */
export interface QueueWorld {
  open(): Promise<WorkQueue>;
  /** Environment that makes fixtures/doomed-worker.mjs consume this world's queue. */
  readonly childEnv: Record<string, string>;
  /** Deletes the storage; every queue is closed first. */
  dispose(): Promise<void>;
}

/** A backend under test and the timings it supports. */
export interface WorkQueueSubject {
  readonly name: string;
  readonly leaseMs: number;
  /** Long enough past `leaseMs` that a lease without heartbeats would have been redelivered. */
  readonly longHandlerMs: number;
  /** How long to keep watching for deliveries that must not happen (a few poll intervals). */
  readonly quietMs: number;
  /** Bound on any one wait (a lapsed lease's redelivery included). */
  readonly waitMs: number;
  create(): Promise<QueueWorld>;
}

/** Item `partition` of job `job-1`. */
export function workItem(partition: number): WorkItem {
  return { jobId: 'job-1', kind: 'batch_score', step: 'partition', partition };
}

const noDeadItems = (): Promise<void> => Promise.resolve();

/** Resolves once `condition` holds; fails naming `what` after `timeoutMs`. */
async function waitUntil(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(20);
  }
}

/** A gate handlers wait at until the test opens it. */
function gate(): { wait: () => Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { wait: () => opened, open: () => open() };
}

/** Runs the contract against `subject`. */
export function workQueueContract(subject: WorkQueueSubject): void {
  describe(`WorkQueue contract: ${subject.name}`, () => {
    const policy: DeliveryPolicy = { maxAttempts: 3, retryDelayMs: 0, leaseMs: subject.leaseMs };
    let world: QueueWorld | undefined;
    let queues: WorkQueue[] = [];
    let children: ChildProcess[] = [];

    const openQueue = async (): Promise<WorkQueue> => {
      if (world === undefined) throw new Error('No world: open queues inside a test.');
      const queue = await world.open();
      queues.push(queue);
      return queue;
    };

    beforeEach(async () => {
      world = await subject.create();
    });

    afterEach(async () => {
      for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
      await Promise.all(queues.map((queue) => queue.close()));
      await world?.dispose();
      world = undefined;
      queues = [];
      children = [];
    });

    test('delivers every item exactly once across two concurrent consumers', async () => {
      const first = await openQueue();
      const second = await openQueue();
      const seen: string[] = [];
      const handler = async (delivery: Delivery): Promise<void> => {
        seen.push(`${delivery.item.partition}:${delivery.attempt}`);
        await sleep(10);
      };
      await first.consume(handler, { concurrency: 3, workerId: 'w1', onDead: noDeadItems });
      await second.consume(handler, { concurrency: 3, workerId: 'w2', onDead: noDeadItems });
      const items = Array.from({ length: 20 }, (_, i) => workItem(i));
      await first.enqueue(items, policy);

      await waitUntil('20 deliveries', () => seen.length >= 20, subject.waitMs);
      await sleep(subject.quietMs);
      const expected = items.map((item) => `${item.partition}:1`);
      expect([...seen].sort()).toEqual([...expected].sort());
    });

    test('runs at most `concurrency` handlers at once', async () => {
      const queue = await openQueue();
      const release = gate();
      let running = 0;
      let peak = 0;
      let done = 0;
      await queue.consume(
        async () => {
          running += 1;
          peak = Math.max(peak, running);
          await release.wait();
          running -= 1;
          done += 1;
        },
        { concurrency: 2, workerId: 'w1', onDead: noDeadItems },
      );
      await queue.enqueue([0, 1, 2, 3, 4].map(workItem), policy);

      await waitUntil('2 running handlers', () => running === 2, subject.waitMs);
      await sleep(subject.quietMs);
      expect(running).toBe(2);
      release.open();
      await waitUntil('5 handled items', () => done === 5, subject.waitMs);
      expect(peak).toBe(2);
    });

    test('redelivers a throwing handler until its attempts are used up, then reports it dead', async () => {
      const queue = await openQueue();
      const attempts: number[] = [];
      const dead: { item: WorkItem; error: string }[] = [];
      await queue.consume(
        async (delivery) => {
          attempts.push(delivery.attempt);
          expect(delivery.maxAttempts).toBe(3);
          throw new Error(`boom on attempt ${delivery.attempt}`);
        },
        {
          concurrency: 1,
          workerId: 'w1',
          onDead: async (item, error) => {
            dead.push({ item, error });
          },
        },
      );
      await queue.enqueue([workItem(7)], policy);

      await waitUntil('the dead item', () => dead.length === 1, subject.waitMs);
      await sleep(subject.quietMs);
      expect(attempts).toEqual([1, 2, 3]);
      expect(dead).toEqual([{ item: workItem(7), error: 'boom on attempt 3' }]);
    });

    test('stop() waits for the handlers in flight, and what they finished stays acknowledged', async () => {
      const queue = await openQueue();
      let started = false;
      let finished = false;
      const consumer: WorkConsumer = await queue.consume(
        async () => {
          started = true;
          await sleep(300);
          finished = true;
        },
        { concurrency: 1, workerId: 'w1', onDead: noDeadItems },
      );
      await queue.enqueue([workItem(0)], policy);
      await waitUntil('the handler to start', () => started, subject.waitMs);

      await consumer.stop();
      expect(finished).toBe(true);
      const later: Delivery[] = [];
      await queue.consume(async (delivery) => void later.push(delivery), {
        concurrency: 1,
        workerId: 'w2',
        onDead: noDeadItems,
      });
      await sleep(subject.quietMs);
      expect(later).toEqual([]);
    });

    test('keeps the lease of a handler that runs longer than leaseMs', async () => {
      const queue = await openQueue();
      const seen: string[] = [];
      let finished = false;
      await queue.consume(
        async (delivery) => {
          seen.push(`${delivery.workerId}:${delivery.attempt}`);
          await sleep(subject.longHandlerMs);
          finished = true;
        },
        { concurrency: 2, workerId: 'w1', onDead: noDeadItems },
      );
      await queue.enqueue([workItem(0)], policy);

      await waitUntil('the long handler to finish', () => finished, subject.longHandlerMs + subject.waitMs);
      await sleep(subject.quietMs);
      expect(seen).toEqual(['w1:1']);
    });

    test('redelivers the item of a killed worker process once its lease lapses', async () => {
      const queue = await openQueue();
      const child = await startDoomedWorker();
      await queue.enqueue([workItem(3)], policy);
      const taken = await child.nextDelivery();
      expect(taken).toEqual({ item: workItem(3), attempt: 1, maxAttempts: 3, workerId: 'doomed-worker' });
      await child.kill();

      const redelivered: Delivery[] = [];
      await queue.consume(async (delivery) => void redelivered.push(delivery), {
        concurrency: 1,
        workerId: 'survivor',
        onDead: noDeadItems,
      });
      await waitUntil('the redelivery', () => redelivered.length === 1, subject.leaseMs + subject.waitMs);
      expect(redelivered).toEqual([{ item: workItem(3), attempt: 2, maxAttempts: 3, workerId: 'survivor' }]);
    });

    test('reports dead the item of a killed worker on its last attempt', async () => {
      const queue = await openQueue();
      const child = await startDoomedWorker();
      await queue.enqueue([workItem(4)], { ...policy, maxAttempts: 1 });
      expect((await child.nextDelivery()).attempt).toBe(1);
      await child.kill();

      const delivered: Delivery[] = [];
      const dead: { item: WorkItem; error: string }[] = [];
      await queue.consume(async (delivery) => void delivered.push(delivery), {
        concurrency: 1,
        workerId: 'survivor',
        onDead: async (item, error) => void dead.push({ item, error }),
      });
      await waitUntil('the dead item', () => dead.length === 1, subject.leaseMs + subject.waitMs);
      await sleep(subject.quietMs);
      expect(delivered).toEqual([]);
      expect(dead.map((d) => d.item)).toEqual([workItem(4)]);
      expect(dead[0]?.error).toContain('lapsed during attempt 1 (the worker stopped heartbeating).');
    });

    test('rejects a bad policy and bad consumer options naming the field', async () => {
      const queue = await openQueue();
      await expectError(
        queue.enqueue([workItem(0)], { ...policy, maxAttempts: 0 }),
        'INVALID_ARGUMENT',
        'policy.maxAttempts',
      );
      await expectError(
        queue.enqueue([workItem(0)], { ...policy, leaseMs: 1.5 }),
        'INVALID_ARGUMENT',
        'policy.leaseMs',
      );
      await expectError(
        queue.consume(noDeadItems, { concurrency: 0, workerId: 'w1', onDead: noDeadItems }),
        'INVALID_ARGUMENT',
        'options.concurrency',
      );
    });

    /** Starts fixtures/doomed-worker.mjs on this world's queue; resolves once it consumes. */
    async function startDoomedWorker(): Promise<DoomedWorker> {
      if (world === undefined) throw new Error('No world: start workers inside a test.');
      if (!existsSync(BUILT_QUEUE))
        throw new Error(`${BUILT_QUEUE} is missing: run \`npm run build\` first.`);
      const child = spawn(process.execPath, [DOOMED_WORKER], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...world.childEnv },
      });
      children.push(child);
      const worker = new DoomedWorker(child);
      await worker.waitForLine('consuming', subject.waitMs);
      return worker;
    }
  });
}

/** A child worker process that takes items and never finishes them. */
class DoomedWorker {
  private stdout = '';
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
  }

  /** Resolves once the child printed a line starting with `prefix`; returns the rest of it. */
  async waitForLine(prefix: string, timeoutMs: number): Promise<string> {
    const found = (): string | undefined =>
      this.stdout.split('\n').find((line) => line.startsWith(prefix) && this.stdout.includes(`${line}\n`));
    await waitUntil(
      `'${prefix}' from the worker process (stderr: ${this.stderr})`,
      () => {
        if (this.child.exitCode !== null) throw new Error(`The worker process exited: ${this.stderr}`);
        return found() !== undefined;
      },
      timeoutMs,
    );
    return (found() ?? '').slice(prefix.length);
  }

  /** The first delivery the child printed. */
  async nextDelivery(): Promise<Delivery> {
    return JSON.parse(await this.waitForLine('taken ', 30_000)) as Delivery;
  }

  /** SIGKILLs the child (no chance to clean up) and waits for it to exit. */
  async kill(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
