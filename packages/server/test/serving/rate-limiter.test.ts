/**
 * Per-endpoint rate limits: the token bucket on a hand-driven clock, the RESOURCE_EXHAUSTED error,
 * `rateLimit` through EndpointService create/update, and the CLI and HTTP edge on a real platform.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  SlipwayError,
  httpStatusForCode,
  type Endpoint,
  type ModelVersion,
  type RateLimit,
} from '@slipway/contracts';
import { InvalidArgumentError, SlipwayClient } from '@slipway/sdk';
import { mlflowErrorResponse } from '../../src/http/compat/mlflow/mlflow-errors.js';
import { EndpointService } from '../../src/serving/endpoint-service.js';
import type { EndpointStore } from '../../src/serving/endpoint-store.js';
import { RateLimiter, rateLimited } from '../../src/serving/rate-limiter.js';
import { runSlipway, type CliResult } from '../helpers/cli-runner.js';
import { LOGISTIC_AB_MANIFEST as MANIFEST, logisticClassifierOnnx } from '../helpers/onnx-models.js';
import { refusal } from '../helpers/refusal.js';
import { startTestPlatform, type TestPlatform } from '../helpers/test-platform.js';

/** A clock the test moves by hand, in ms. */
function fakeClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** How many `take()` calls in a row are admitted right now. */
function drain(limiter: RateLimiter): number {
  let admitted = 0;
  while (limiter.take() === 0) admitted++;
  return admitted;
}

describe('RateLimiter', () => {
  it('admits the burst at once, then refuses', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 3 }, clock.now);
    expect([limiter.take(), limiter.take(), limiter.take()]).toEqual([0, 0, 0]);
    expect(limiter.take()).toBeGreaterThan(0);
  });

  it('defaults the burst to one second of requests, rounded up, at least one', () => {
    expect(drain(new RateLimiter({ requestsPerSecond: 5 }, fakeClock().now))).toBe(5);
    expect(drain(new RateLimiter({ requestsPerSecond: 2.5 }, fakeClock().now))).toBe(3);
    expect(drain(new RateLimiter({ requestsPerSecond: 0.2 }, fakeClock().now))).toBe(1);
  });

  it('refills at the rate and never beyond the burst', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 10, burst: 5 }, clock.now);
    expect(drain(limiter)).toBe(5);
    clock.advance(100);
    expect(drain(limiter)).toBe(1);
    clock.advance(350);
    expect(drain(limiter)).toBe(3);
    // The half token left over from 350ms carries into the next refill.
    clock.advance(50);
    expect(drain(limiter)).toBe(1);
    clock.advance(60_000);
    expect(drain(limiter)).toBe(5);
  });

  it('sustains exactly the rate under steady load', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 100, burst: 1 }, clock.now);
    let admitted = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      if (limiter.take() === 0) admitted++;
      clock.advance(1);
    }
    expect(admitted).toBe(1000);
  });

  it('answers the ms until one token is available', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 4, burst: 1 }, clock.now);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBe(250);
    clock.advance(100);
    expect(limiter.take()).toBe(150);
    clock.advance(149);
    expect(limiter.take()).toBe(1);
    clock.advance(1);
    expect(limiter.take()).toBe(0);
  });

  it('refusals take no token: waiting the retry-after is enough', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1 }, clock.now);
    limiter.take();
    for (let i = 0; i < 50; i++) limiter.take();
    const wait = limiter.take();
    expect(wait).toBe(1000);
    clock.advance(wait);
    expect(limiter.take()).toBe(0);
  });

  it('handles fractional rates: 0.5/s admits one request every 2s', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 0.5 }, clock.now);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBe(2000);
    clock.advance(1999);
    expect(limiter.take()).toBe(1);
    clock.advance(1);
    expect(limiter.take()).toBe(0);
    expect(limiter.take()).toBe(2000);
  });

  it('does not lose an on-time token to float drift', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 0.1, burst: 1 }, clock.now);
    limiter.take();
    for (let i = 0; i < 10; i++) {
      clock.advance(1000);
      if (i < 9) expect(limiter.take()).toBeGreaterThan(0);
    }
    expect(limiter.take()).toBe(0);
  });

  it('mints nothing when the clock steps back, and refills from there', () => {
    const clock = fakeClock();
    const limiter = new RateLimiter({ requestsPerSecond: 1, burst: 1 }, clock.now);
    limiter.take();
    clock.advance(-5000);
    expect(limiter.take()).toBe(1000);
    clock.advance(1000);
    expect(limiter.take()).toBe(0);
  });

  it('keeps a copy of its settings and refuses unusable ones', () => {
    const settings: RateLimit = { requestsPerSecond: 3 };
    const limiter = new RateLimiter(settings, fakeClock().now);
    settings.requestsPerSecond = 1;
    expect(limiter.settings).toEqual({ requestsPerSecond: 3 });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2e6]) {
      expect(refusal(() => new RateLimiter({ requestsPerSecond: bad }))).toMatchObject({
        code: 'INVALID_ARGUMENT',
        details: { field: 'rateLimit.requestsPerSecond' },
      });
    }
    for (const bad of [0, 1.5, -2]) {
      expect(refusal(() => new RateLimiter({ requestsPerSecond: 1, burst: bad }))).toMatchObject({
        details: { field: 'rateLimit.burst' },
      });
    }
  });
});

describe('rateLimited', () => {
  it('is RESOURCE_EXHAUSTED (429) naming the endpoint, with whole retry-after seconds', () => {
    const error = rateLimited('fraud', 250, { requestsPerSecond: 4 });
    expect(error).toBeInstanceOf(SlipwayError);
    expect(error.code).toBe('RESOURCE_EXHAUSTED');
    expect(httpStatusForCode(error.code)).toBe(429);
    expect(error.details).toEqual({ retryAfterSeconds: 1 });
    expect(error.message).toContain("Endpoint 'fraud'");
    expect(error.message).toContain('4 requests/s (burst 4)');
    expect(rateLimited('fraud', 2001).details).toEqual({ retryAfterSeconds: 3 });
    expect(rateLimited('fraud', 0).details).toEqual({ retryAfterSeconds: 1 });
  });

  it('is REQUEST_LIMIT_EXCEEDED (429) under the MLflow tracking compat API', () => {
    expect(mlflowErrorResponse(rateLimited('fraud', 10))).toMatchObject({
      status: 429,
      body: { error_code: 'REQUEST_LIMIT_EXCEEDED' },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// EndpointService
// ---------------------------------------------------------------------------------------------

/** An in-memory EndpointStore with the same compare-and-set contract as the SQL one. */
function memoryStore(): EndpointStore {
  const rows = new Map<string, Endpoint>();
  const copy = (e: Endpoint): Endpoint => structuredClone(e);
  return {
    async createEndpoint(endpoint) {
      if (rows.has(endpoint.name)) throw new SlipwayError('ALREADY_EXISTS', 'taken');
      rows.set(endpoint.name, copy(endpoint));
    },
    async getEndpoint(name) {
      const found = rows.get(name);
      return found === undefined ? undefined : copy(found);
    },
    async listEndpoints() {
      return [...rows.values()].map(copy);
    },
    async updateEndpoint(next, expectedRevision) {
      const current = rows.get(next.name);
      if (current === undefined) throw new SlipwayError('NOT_FOUND', 'gone');
      if (current.revision !== expectedRevision) return false;
      rows.set(next.name, copy(next));
      return true;
    },
    async deleteEndpoint(name) {
      if (!rows.delete(name)) throw new SlipwayError('NOT_FOUND', 'gone');
    },
  };
}

function endpointService(): EndpointService {
  const version = { name: 'm', version: '1' } as ModelVersion;
  return new EndpointService({
    store: memoryStore(),
    registry: {
      getModelVersion: async () => version,
      getVersionByAlias: async () => version,
    },
    now: () => 5_000,
  });
}

async function rejection(promise: Promise<unknown>): Promise<SlipwayError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SlipwayError);
  return error as SlipwayError;
}

describe('EndpointService rateLimit', () => {
  const model = { name: 'm', version: '1' };

  it('stores it on create, replaces it on update, and null clears it', async () => {
    const service = endpointService();
    const created = await service.create(
      { name: 'e', model, rateLimit: { requestsPerSecond: 0.5 } },
      'alice',
    );
    expect(created.rateLimit).toEqual({ requestsPerSecond: 0.5 });
    expect((await service.get('e')).rateLimit).toEqual({ requestsPerSecond: 0.5 });

    const replaced = await service.update('e', { rateLimit: { requestsPerSecond: 20, burst: 40 } });
    expect(replaced).toMatchObject({ revision: 2, rateLimit: { requestsPerSecond: 20, burst: 40 } });

    const untouched = await service.update('e', { maxRows: 10 });
    expect(untouched.rateLimit).toEqual({ requestsPerSecond: 20, burst: 40 });

    const cleared = await service.update('e', { rateLimit: null });
    expect(cleared.revision).toBe(4);
    expect('rateLimit' in cleared).toBe(false);
    expect('rateLimit' in (await service.get('e'))).toBe(false);
  });

  it('refuses bad values naming the field, and stores nothing', async () => {
    const service = endpointService();
    const bad: [RateLimit, string][] = [
      [{ requestsPerSecond: 0 }, 'rateLimit.requestsPerSecond'],
      [{ requestsPerSecond: -3 }, 'rateLimit.requestsPerSecond'],
      [{ requestsPerSecond: Number.NaN }, 'rateLimit.requestsPerSecond'],
      [{ requestsPerSecond: 1_000_001 }, 'rateLimit.requestsPerSecond'],
      [{ requestsPerSecond: '5' as unknown as number }, 'rateLimit.requestsPerSecond'],
      [{ requestsPerSecond: 5, burst: 0 }, 'rateLimit.burst'],
      [{ requestsPerSecond: 5, burst: 2.5 }, 'rateLimit.burst'],
    ];
    for (const [rateLimit, field] of bad) {
      const error = await rejection(service.create({ name: 'bad', model, rateLimit }, 'alice'));
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', details: { field } });
    }
    expect(await service.list()).toEqual([]);

    await service.create({ name: 'ok', model, rateLimit: { requestsPerSecond: 1 } }, 'alice');
    const error = await rejection(service.update('ok', { rateLimit: { requestsPerSecond: 1, burst: 0 } }));
    expect(error.details.field).toBe('rateLimit.burst');
    expect(await service.get('ok')).toMatchObject({ revision: 1, rateLimit: { requestsPerSecond: 1 } });
  });
});

// ---------------------------------------------------------------------------------------------
// HTTP schema and CLI on a real platform
// ---------------------------------------------------------------------------------------------

describe('rateLimit over HTTP and the CLI', () => {
  let platform: TestPlatform;
  let client: SlipwayClient;
  let workDir: string;

  beforeAll(async () => {
    platform = await startTestPlatform({ listen: true });
    client = new SlipwayClient({ url: platform.url });
    workDir = await mkdtemp(join(tmpdir(), 'slipway-rate-limit-'));
    const run = await client.runs.create({ experimentId: '0' });
    const runId = run.info.runId;
    await client.artifacts.upload(runId, 'model/slipway.yaml', new TextEncoder().encode(MANIFEST));
    await client.artifacts.upload(runId, 'model/model.onnx', logisticClassifierOnnx([2, -1], 0));
    await client.models.register({ name: 'fraud', source: `runs:/${runId}/model`, runId });
  });
  afterAll(async () => {
    await platform?.close();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  function cli(args: string[]): Promise<CliResult> {
    return runSlipway(args, { SLIPWAY_URL: platform.url, SLIPWAY_USER: 'cli-user' });
  }

  function endpointOf(result: CliResult): Endpoint {
    expect(result.code, result.err).toBeUndefined();
    return (JSON.parse(result.out) as { endpoint: Endpoint }).endpoint;
  }

  it('the API schema refuses a zero rate and a fractional burst, naming the field', async () => {
    const model = { name: 'fraud', version: '1' };
    const zero = client.endpoints.create({ name: 'z', model, rateLimit: { requestsPerSecond: 0 } });
    await expect(zero).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(zero).rejects.toMatchObject({ details: { field: 'rateLimit.requestsPerSecond' } });
    const burst = client.endpoints.create({
      name: 'z',
      model,
      rateLimit: { requestsPerSecond: 1, burst: 1.5 },
    });
    await expect(burst).rejects.toMatchObject({ details: { field: 'rateLimit.burst' } });
  });

  it('create --rate-limit, update keeps the other half, --no-rate-limit clears', async () => {
    const created = endpointOf(
      await cli(['endpoints', 'create', 'rl', '--model', 'fraud/1', '--rate-limit', '0.5', '--json']),
    );
    expect(created.rateLimit).toEqual({ requestsPerSecond: 0.5 });

    const shown = await cli(['endpoints', 'show', 'rl']);
    expect(shown.out).toMatch(/Rate limit:\s+0\.5 requests\/s per serving process, burst 1/);

    const burst = endpointOf(await cli(['endpoints', 'update', 'rl', '--rate-limit-burst', '10', '--json']));
    expect(burst.rateLimit).toEqual({ requestsPerSecond: 0.5, burst: 10 });
    const rate = endpointOf(await cli(['endpoints', 'update', 'rl', '--rate-limit', '50', '--json']));
    expect(rate.rateLimit).toEqual({ requestsPerSecond: 50, burst: 10 });

    const cleared = endpointOf(await cli(['endpoints', 'update', 'rl', '--no-rate-limit', '--json']));
    expect(cleared.rateLimit).toBeUndefined();
    expect((await cli(['endpoints', 'show', 'rl'])).out).toMatch(/Rate limit:\s+off/);
  });

  it('refuses bad flags and a lone burst without a stored rate', async () => {
    const zero = await cli(['endpoints', 'create', 'x', '--model', 'fraud/1', '--rate-limit', '0']);
    expect(zero.code).not.toBeUndefined();
    expect(zero.err).toContain('Expected requests per second');

    const lone = await cli(['endpoints', 'create', 'x', '--model', 'fraud/1', '--rate-limit-burst', '3']);
    expect(lone.code).not.toBeUndefined();
    expect(lone.err).toContain("'--rate-limit-burst <n>' needs '--rate-limit <rps>'");

    endpointOf(await cli(['endpoints', 'create', 'plain', '--model', 'fraud/1', '--json']));
    const noStored = await cli(['endpoints', 'update', 'plain', '--rate-limit-burst', '3']);
    expect(noStored.code).not.toBeUndefined();
    expect(noStored.err).toContain('no rate limit');

    const both = await cli(['endpoints', 'update', 'plain', '--no-rate-limit', '--rate-limit-burst', '3']);
    expect(both.code).not.toBeUndefined();
    expect(both.err).toContain("'--no-rate-limit' cannot be used with option '--rate-limit-burst <n>'");
  });
});
