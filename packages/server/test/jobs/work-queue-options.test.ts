/**
 * The pure parts of the queue backends: how a work queue URI is read, how a delivery policy maps
 * to pg-boss's job options, and how a dead letter's error is told.
 */
import { describe, expect, test } from 'vitest';
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
