import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  SlipwayClient,
  SlipwayError,
  type FetchLike,
} from '@slipway/sdk';
import { startServerProcess, type ServerProcess } from '../../server/test/helpers/server-process.js';

let server: ServerProcess;
let experimentId: string;

/** Sizes of one `POST .../log` request body. */
interface BatchSize {
  metrics: number;
  params: number;
  tags: number;
}

/** Requests made through a client, and how many of them have been answered. */
interface Recorder {
  client: SlipwayClient;
  /** Sizes of the `POST .../log` requests sent so far, in order. */
  batches: BatchSize[];
  /** `POST .../log` requests answered so far. */
  logResponses(): number;
  /** Requests whose URL contains `part`. */
  count(part: string): number;
}

function sizeOf(body: unknown): BatchSize {
  const b = JSON.parse(String(body)) as { metrics?: unknown[]; params?: object; tags?: object };
  return {
    metrics: b.metrics?.length ?? 0,
    params: Object.keys(b.params ?? {}).length,
    tags: Object.keys(b.tags ?? {}).length,
  };
}

function recordingClient(): Recorder {
  const urls: string[] = [];
  const batches: BatchSize[] = [];
  let answered = 0;
  const isLog = (url: string, init?: RequestInit): boolean => init?.method === 'POST' && url.endsWith('/log');
  const fetch: FetchLike = async (url, init) => {
    urls.push(`${init?.method ?? 'GET'} ${url}`);
    if (isLog(url, init)) batches.push(sizeOf(init?.body));
    const response = await globalThis.fetch(url, init);
    if (!isLog(url, init)) return response;
    // Buffer the body first: once `answered` moves, only microtasks separate the SDK from its outcome,
    // so any later check (vi.waitFor polls on timers) sees the batch fully settled.
    const body = await response.text();
    answered++;
    const { status, statusText, headers } = response;
    return new Response(body === '' ? null : body, { status, statusText, headers });
  };
  return {
    client: new SlipwayClient({ url: server.url, fetch }),
    batches,
    logResponses: () => answered,
    count: (part) => urls.filter((u) => u.includes(part)).length,
  };
}

// An interval no test waits for: batches in these tests go out only when full or flushed.
const NEVER = 3_600_000;

beforeAll(async () => {
  server = await startServerProcess();
  const client = new SlipwayClient({ url: server.url });
  experimentId = (await client.experiments.create({ name: 'logger-tests' })).experimentId;
});
afterAll(async () => {
  await server?.stop();
});

describe('RunLogger batching', () => {
  it('sends 2500 metrics logged one by one as exactly 3 requests, all points kept in order', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: NEVER });
    const valueAt = (i: number): number => (i % 500 === 7 ? Number.NaN : i * 0.5);
    for (let i = 0; i < 2500; i++) logger.logMetric('loss', valueAt(i), { step: i, timestamp: 1_000 + i });
    // Two full batches left the buffer as soon as they filled up; the rest waits for end().
    expect(logger.pendingCount).toBe(500);
    const run = await logger.end();
    expect(rec.batches.map((b) => b.metrics)).toEqual([1000, 1000, 500]);
    expect(run.info.status).toBe('FINISHED');
    expect(run.info.endTime).toBeTypeOf('number');

    const history = await rec.client.runs.metricHistory(logger.runId, 'loss', { pageSize: 1000 }).collect();
    expect(history).toHaveLength(2500);
    expect(history.map((m) => m.step)).toEqual(Array.from({ length: 2500 }, (_, i) => i));
    expect(history.every((m, i) => Object.is(m.value, valueAt(i)))).toBe(true);
    expect(rec.count('/metrics/loss/history')).toBe(3);
  });

  it('respects the 100 params / 100 tags per request limits', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: NEVER });
    for (let i = 0; i < 250; i++) logger.logParam(`p${i}`, i);
    expect(logger.pendingCount).toBe(50);
    for (let i = 0; i < 150; i++) logger.setTag(`t${i}`, 'v');
    await logger.flush();
    // 100 + 100 params, then 50 params + 100 tags (the tag limit), then the remaining 50 tags.
    expect(rec.batches).toEqual([
      { metrics: 0, params: 100, tags: 0 },
      { metrics: 0, params: 100, tags: 0 },
      { metrics: 0, params: 50, tags: 100 },
      { metrics: 0, params: 0, tags: 50 },
    ]);
    const run = await rec.client.runs.get(logger.runId);
    expect(Object.keys(run.data.params)).toHaveLength(250);
    expect(Object.keys(run.data.tags).filter((k) => k.startsWith('t'))).toHaveLength(150);
  });

  it('respects the 1000 entries per request limit across kinds', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: NEVER });
    for (let i = 0; i < 950; i++) logger.logMetric('m', i, { step: i });
    logger.logMetrics({ a: 1, b: 2 }, { step: 1 });
    for (let i = 0; i < 60; i++) logger.logParam(`p${i}`, 'x');
    expect(logger.pendingCount).toBe(12);
    await logger.flush();
    expect(rec.batches).toEqual([
      { metrics: 952, params: 48, tags: 0 },
      { metrics: 0, params: 12, tags: 0 },
    ]);
    expect(logger.pendingCount).toBe(0);
  });

  it('flushes on its own after the interval', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: 20 });
    logger.logMetric('acc', 0.9);
    logger.setTag('note', 'soon');
    await vi.waitFor(() => expect(rec.logResponses()).toBe(1), { timeout: 10_000 });
    expect(logger.pendingCount).toBe(0);
    const run = await rec.client.runs.get(logger.runId);
    expect(run.data.metrics.map((m) => m.key)).toEqual(['acc']);
    expect(run.data.tags['note']).toBe('soon');
  });

  it('keeps a later value of a tag and sends a changed param separately so the conflict surfaces', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: NEVER });
    logger.setTag('phase', 'a');
    logger.setTag('phase', 'b');
    logger.logParam('lr', 0.1);
    logger.logParam('lr', 0.1);
    expect(logger.pendingCount).toBe(2);
    logger.logParam('lr', 0.2);
    const error = await logger.flush().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).details.field).toBe('params.lr');
    const run = await rec.client.runs.get(logger.runId);
    expect(run.data.tags['phase']).toBe('b');
    expect(run.data.params['lr']).toBe('0.1');
  });
});

describe('RunLogger errors', () => {
  it('surfaces a background send failure on the next logging call, exactly once', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: 10 });
    await rec.client.runs.delete(logger.runId);
    logger.logMetric('m', 1);
    await vi.waitFor(() => expect(rec.logResponses()).toBe(1), { timeout: 10_000 });
    expect(() => logger.logMetric('m', 2)).toThrow(FailedPreconditionError);
    // Reported once: the next call goes through (and its own send will fail later).
    expect(() => logger.logMetric('m', 3)).not.toThrow();
    await expect(logger.flush()).rejects.toBeInstanceOf(FailedPreconditionError);
    await expect(logger.flush()).resolves.toBeUndefined();
  });

  it('end() reports a failed flush without ending the run, and refuses logging after a real end', async () => {
    const rec = recordingClient();
    const logger = await rec.client.startRun({ experimentId, flushIntervalMs: NEVER });
    logger.logMetric('bad key?', 1);
    await expect(logger.end()).rejects.toBeInstanceOf(InvalidArgumentError);
    expect((await rec.client.runs.get(logger.runId)).info.status).toBe('RUNNING');
    const failed = await logger.end('FAILED');
    expect(failed.info.status).toBe('FAILED');
    expect(() => logger.logMetric('m', 1)).toThrow(SlipwayError);
    await expect(logger.end()).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
  });
});
