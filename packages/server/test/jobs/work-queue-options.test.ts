/**
 * The pure parts of the queue backends: how a work queue URI is read, how a delivery policy maps
 * to pg-boss's job options, and how a dead letter's error is told.
 */
import { describe, expect, test } from 'vitest';
import { retryDelayAfter } from '../../src/jobs/work-queue.js';
import { parsePgBossUri } from '../../src/storage/queue/open-work-queue.js';
import { deadLetterError, pgBossJobOptions } from '../../src/storage/queue/pg-boss-work-queue.js';
import { expectError } from '../storage/contract/harness.js';

describe('parsePgBossUri', () => {
  test('takes the schema out of the connection string', () => {
    expect(parsePgBossUri('postgresql://u@db:5432/slipway?schema=q_1&sslmode=disable')).toEqual({
      connectionString: 'postgresql://u@db:5432/slipway?sslmode=disable',
      schema: 'q_1',
    });
  });

  test('leaves a URI without a schema as it is', () => {
    expect(parsePgBossUri('postgres://db/slipway')).toEqual({ connectionString: 'postgres://db/slipway' });
  });

  test('rejects other schemes and schema names that are not plain identifiers', async () => {
    await expectError(
      Promise.resolve().then(() => parsePgBossUri('redis://cache:6379')),
      'INVALID_ARGUMENT',
      'work-queue-uri',
    );
    await expectError(
      Promise.resolve().then(() => parsePgBossUri('postgresql://db/x?schema=a;drop')),
      'INVALID_ARGUMENT',
      'work-queue-uri',
    );
  });
});

describe('pgBossJobOptions', () => {
  test('maps attempts to retries, milliseconds up to whole seconds, and short leases to 10 s', () => {
    expect(pgBossJobOptions({ maxAttempts: 3, retryDelayMs: 1_500, leaseMs: 2_000 })).toEqual({
      retryLimit: 2,
      retryDelay: 2,
      heartbeatSeconds: 10,
      expireInSeconds: 86_400,
    });
    expect(pgBossJobOptions({ maxAttempts: 1, retryDelayMs: 0, leaseMs: 30_001 })).toEqual({
      retryLimit: 0,
      retryDelay: 0,
      heartbeatSeconds: 31,
      expireInSeconds: 86_400,
    });
  });

  test('maps a backoff cap to pg-boss exponential retries capped in whole seconds', () => {
    const policy = { maxAttempts: 6, retryDelayMs: 1_000, maxRetryDelayMs: 300_500, leaseMs: 10_000 };
    expect(pgBossJobOptions(policy)).toMatchObject({ retryDelay: 1, retryBackoff: true, retryDelayMax: 301 });
  });
});

describe('retryDelayAfter', () => {
  const policy = { retryDelayMs: 1_000, maxRetryDelayMs: 5_000 };

  test('doubles the bound per attempt up to the cap and draws from its upper half', () => {
    const low = [1, 2, 3, 4, 5].map((attempt) => retryDelayAfter(policy, attempt, () => 0));
    expect(low).toEqual([500, 1_000, 2_000, 2_500, 2_500]);
    const high = [1, 2, 3, 4].map((attempt) => retryDelayAfter(policy, attempt, () => 0.999_999));
    expect(high).toEqual([999, 1_999, 3_999, 4_999]);
    expect(retryDelayAfter(policy, 10_000, () => 0.5)).toBe(3_750);
  });

  test('is the fixed delay without a cap', () => {
    expect(retryDelayAfter({ retryDelayMs: 2_000 }, 5, () => 0)).toBe(2_000);
  });
});

describe('deadLetterError', () => {
  test('reads a thrown error, a lapsed heartbeat, and anything else', () => {
    expect(deadLetterError({ sourceOutput: { name: 'Error', message: 'boom' }, sourceRetryCount: 2 })).toBe(
      'boom',
    );
    expect(
      deadLetterError({ sourceOutput: { value: { message: 'job heartbeat timeout' } }, sourceRetryCount: 1 }),
    ).toBe('The lease lapsed during attempt 2 (the worker stopped heartbeating).');
    expect(deadLetterError({ sourceOutput: { value: 42 }, sourceRetryCount: 0 })).toBe('{"value":42}');
    expect(deadLetterError({ sourceOutput: null, sourceRetryCount: null })).toBe('Out of attempts.');
  });
});
