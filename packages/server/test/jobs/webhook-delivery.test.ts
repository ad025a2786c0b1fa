/**
 * Webhook delivery jobs end to end below HTTP: the real job runner, SQL job store and embedded
 * queue on SQLite, a real receiver (node:http on port 0), and the queue's clock moved by hand (its
 * timers stay real), so the backoff between attempts is checked without waiting it out: a failing
 * receiver is retried after 0.5 s, then 1 s (the lower halves of 1 and 2 s with the jitter at 0)
 * until it answers; a receiver that keeps failing leaves a failed job saying why; 410, timeouts,
 * refused connections and redirects; the signature is made at send time with the secret as it is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Job, JobDetails, WebhookDeliveryPayload, WebhookSigning } from '@slipway/contracts';
import { JOB_CATALOG, type JobKindDefinition } from '../../src/jobs/job-catalog.js';
import { JobRunner } from '../../src/jobs/job-runner.js';
import { queuedPartition } from '../../src/jobs/job-service.js';
import { WebhookDeliveryExecutor } from '../../src/jobs/webhook-delivery-executor.js';
import { verifyWebhookSignature } from '../../src/registry/webhook-signing.js';
import { SqlWorkQueue, systemClock, type QueueClock } from '../../src/storage/queue/sql-work-queue.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import type { WorkQueueTables } from '../../src/storage/sql/work-queue-schema.js';
import { SqlJobStore } from '../../src/storage/sql/sql-job-store.js';
import { sqliteTestBackend, type TestDatabase } from '../storage/backends.js';
import { closedPortUrl, WebhookReceiver } from '../registry/webhook-receiver.js';

const START = 1_767_225_600_000;
const SECRET = 'whsec_delivery-test-secret-0001';
/** Several polls of the 20 ms poll interval. */
const QUIET_MS = 200;

let database: TestDatabase;
let backend: SqlBackend;
let store: SqlJobStore;
let queue: SqlWorkQueue;
let runner: JobRunner | undefined;
let receiver: WebhookReceiver;
let now = START;
let secret: string | undefined = SECRET;
const clock: QueueClock = { ...systemClock, now: () => now };

beforeEach(async () => {
  now = START;
  secret = SECRET;
  database = await sqliteTestBackend.createDatabase();
  backend = await database.openBackend();
  store = new SqlJobStore(backend);
  // Jitter at 0: every retry waits exactly the lower half of its backoff bound.
  queue = new SqlWorkQueue(backend, { clock, random: () => 0, pollIntervalMs: 20, queue: 'deliveries' });
  receiver = await WebhookReceiver.start();
});
afterEach(async () => {
  await runner?.stop();
  runner = undefined;
  await queue.close();
  await receiver.close();
  await backend.close();
  await database.dispose();
});

/** Starts a runner of the deliveries queue under `definition` (the catalog's unless changed). */
async function startRunner(definition: Partial<JobKindDefinition> = {}): Promise<JobKindDefinition> {
  const effective = { ...JOB_CATALOG.webhook_delivery, ...definition };
  const executor = new WebhookDeliveryExecutor({
    secretOf: async (signing: WebhookSigning) => (signing.alertRule === 'r1' ? secret : undefined),
    now: () => now,
  });
  runner = new JobRunner({
    store,
    queue,
    executors: { webhook_delivery: executor },
    workerId: 'test-worker',
    concurrency: 1,
    catalog: { webhook_delivery: effective },
    now: () => now,
  });
  await runner.start();
  return effective;
}

/** Queues a delivery job as the job service does: one partition, the kind's policy. */
async function submit(
  definition: JobKindDefinition,
  payload: Partial<WebhookDeliveryPayload> = {},
): Promise<string> {
  const id = `job_${Math.random().toString(36).slice(2)}`;
  const job: Job = {
    id,
    kind: 'webhook_delivery',
    state: 'queued',
    payload: {
      url: `${receiver.url}/hooks/T0KEN?team=ml`,
      event: 'alert.firing',
      deliveryId: 'al1.firing',
      body: '{"event":"firing","alert":{"id":"al1"}}',
      signing: { alertRule: 'r1', channel: 0 },
      alertId: 'al1',
      ...payload,
    },
    createdAt: now,
    updatedAt: now,
    maxAttempts: definition.policy.maxAttempts,
    cancelRequested: false,
    progress: { rowsDone: 0, rowsRejected: 0, partitionsTotal: 1, partitionsDone: 0 },
  };
  await store.createJob({ job, partitions: [queuedPartition(id, 0, 0, 1)] });
  await queue.enqueue(
    [{ jobId: id, kind: 'webhook_delivery', step: 'partition', partition: 0 }],
    definition.policy,
  );
  return id;
}

async function jobOf(id: string): Promise<JobDetails> {
  const job = await store.getJob(id);
  if (job === undefined) throw new Error(`job ${id} is gone`);
  return job;
}

async function waitFor(condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('Timed out waiting.');
    await sleep(10);
  }
}

/** When the queue will deliver the item again, once its `attempts`-th delivery has failed. */
async function retryDueAt(attempts: number): Promise<number> {
  let due: number | undefined;
  await waitFor(async () => {
    const row = await backend.read((conn) =>
      conn
        .withTables<WorkQueueTables>()
        .selectFrom('work_items')
        .select(['available_at'])
        .where('state', '=', 'available')
        .where('attempts', '=', attempts)
        .executeTakeFirst(),
    );
    due = row === undefined ? undefined : Number(row.available_at);
    return due !== undefined;
  });
  return due ?? 0;
}

async function settled(id: string): Promise<JobDetails> {
  await waitFor(async () => ['succeeded', 'failed', 'cancelled'].includes((await jobOf(id)).state));
  return jobOf(id);
}

describe('webhook delivery jobs', () => {
  it('POSTs the body as given, signed at send time, and records the receipt', async () => {
    const definition = await startRunner();
    const id = await submit(definition);
    const job = await settled(id);
    expect(job).toMatchObject({
      state: 'succeeded',
      result: { statusCode: 204, attempt: 1, deliveredAt: START },
    });
    const [request] = receiver.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/hooks/T0KEN?team=ml' });
    expect(request?.body).toBe('{"event":"firing","alert":{"id":"al1"}}');
    expect(request?.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Slipway-Alerts/1',
      'slipway-event': 'alert.firing',
      'slipway-delivery': 'al1.firing',
    });
    const signature = String(request?.headers['slipway-signature']);
    expect(signature).toMatch(/^t=1767225600,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, signature, request?.body ?? '', START)).toBe(true);
  });

  it('retries a failing receiver with exponential backoff until it answers, re-signing each attempt', async () => {
    receiver.failNext(2, 503);
    const definition = await startRunner();
    const id = await submit(definition);
    // Attempt 1 failed: the retry is due 500 ms later (half of the 1 s bound), not before.
    expect(await retryDueAt(1)).toBe(START + 500);
    expect((await jobOf(id)).partitions[0]?.error?.message).toBe(`Webhook ${receiver.url} answered 503.`);
    now += 499;
    await sleep(QUIET_MS);
    expect(receiver.requests).toHaveLength(1);
    now += 1;
    // Attempt 2 failed too: the bound doubled, so the next one waits 1 s.
    expect(await retryDueAt(2)).toBe(START + 1_500);
    now += 999;
    await sleep(QUIET_MS);
    expect(receiver.requests).toHaveLength(2);
    // The secret was rotated meanwhile: the next attempt is signed with the new one.
    secret = 'whsec_rotated-secret-000000002';
    now += 1;
    const job = await settled(id);
    expect(job).toMatchObject({
      state: 'succeeded',
      result: { statusCode: 204, attempt: 3, deliveredAt: START + 1_500 },
    });
    expect(job.partitions[0]?.attempts).toBe(3);
    expect(receiver.requests.map((r) => r.headers['slipway-delivery'])).toEqual([
      'al1.firing',
      'al1.firing',
      'al1.firing',
    ]);
    const last = receiver.requests[2];
    const signature = String(last?.headers['slipway-signature']);
    expect(verifyWebhookSignature(secret, signature, last?.body ?? '', START + 1_500)).toBe(true);
    expect(verifyWebhookSignature(SECRET, signature, last?.body ?? '', START + 1_500)).toBe(false);
  });

  it('gives up once the attempts are used up: the job fails with the last answer', async () => {
    receiver.respondWith(500);
    const definition = await startRunner({
      policy: { ...JOB_CATALOG.webhook_delivery.policy, maxAttempts: 3 },
    });
    const id = await submit(definition);
    for (const attempts of [1, 2]) now = await retryDueAt(attempts);
    const job = await settled(id);
    expect(job).toMatchObject({
      state: 'failed',
      error: { code: 'UNAVAILABLE', message: `Webhook ${receiver.url} answered 500.` },
    });
    expect(job.partitions[0]).toMatchObject({ state: 'failed', attempts: 3 });
    await sleep(QUIET_MS);
    expect(receiver.requests).toHaveLength(3);
  });

  it('fails at once on 410 Gone, and when the signing secret no longer exists', async () => {
    receiver.failNext(1, 410);
    const definition = await startRunner();
    const gone = await settled(await submit(definition));
    expect(gone.error).toEqual({
      code: 'FAILED_PRECONDITION',
      message: `Webhook ${receiver.url} answered 410 Gone; not retried.`,
    });
    const orphan = await settled(await submit(definition, { signing: { alertRule: 'deleted', channel: 0 } }));
    expect(orphan.error).toEqual({
      code: 'FAILED_PRECONDITION',
      message: 'The secret of channel 0 of alert rule deleted no longer exists.',
    });
    expect(receiver.requests).toHaveLength(1);
  });

  it('times an attempt out after the kind timeout and retries it', async () => {
    receiver.hangNext(1);
    const definition = await startRunner({ timeoutMs: 150 });
    const id = await submit(definition);
    now = await retryDueAt(1);
    expect((await jobOf(id)).partitions[0]?.error).toEqual({
      code: 'UNAVAILABLE',
      message: 'The attempt timed out.',
    });
    expect(await settled(id)).toMatchObject({ state: 'succeeded', result: { attempt: 2 } });
  });

  it('reports a refused connection and a redirect (never followed) by origin only', async () => {
    const once = await startRunner({ policy: { ...JOB_CATALOG.webhook_delivery.policy, maxAttempts: 1 } });
    const refused = await settled(await submit(once, { url: `${await closedPortUrl()}/secret-path` }));
    expect(refused.error?.message).toMatch(
      /^Webhook http:\/\/127\.0\.0\.1:\d+ failed: fetch failed: .*ECONNREFUSED.*\.$/,
    );
    expect(refused.error?.message).not.toContain('secret-path');
    receiver.failNext(1, 307);
    const redirected = await settled(await submit(once));
    expect(redirected.error?.message).toBe(`Webhook ${receiver.url} answered 307.`);
  });
});
