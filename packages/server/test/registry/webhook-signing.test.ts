/** Webhook signatures (a vector computed independently with node:crypto) and the backoff table. */
import { createHmac } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  computeWebhookSignature,
  nextAttemptDelay,
  signWebhookPayload,
  verifyWebhookSignature,
} from '../../src/registry/webhook-signing.js';

const SECRET = 'whsec_test-secret-0123456789';
const BODY = '{"id":"d1","type":"alias.set","data":{"seq":7}}';
const NOW_MS = 1_700_000_000_123;
const T = 1_700_000_000;

describe('signing', () => {
  test('signs "<t>.<body>" with HMAC-SHA256 as t=<unix seconds>,v1=<hex>', () => {
    const expected = createHmac('sha256', Buffer.from(SECRET, 'utf8'))
      .update(Buffer.from(`${T}.${BODY}`, 'utf8'))
      .digest('hex');
    expect(computeWebhookSignature(SECRET, T, BODY)).toBe(expected);
    expect(signWebhookPayload(SECRET, BODY, NOW_MS)).toBe(`t=${T},v1=${expected}`);
  });

  test('a fixed vector (from `openssl dgst -sha256 -hmac`), so the scheme cannot drift', () => {
    // echo -n '1700000000.{}' | openssl dgst -sha256 -hmac 'key-of-sixteen-chars'
    expect(computeWebhookSignature('key-of-sixteen-chars', 1_700_000_000, '{}')).toBe(
      'ddc34df665ef94c5e48d69f87bd2b1614b51a235571d2b77778281d99a94114c',
    );
  });

  test('verify accepts a fresh signature, within the tolerance either way', () => {
    const header = signWebhookPayload(SECRET, BODY, NOW_MS);
    expect(verifyWebhookSignature(SECRET, header, BODY, NOW_MS)).toBe(true);
    // The header carries whole seconds: NOW_MS is 123 ms past T.
    expect(verifyWebhookSignature(SECRET, header, BODY, T * 1000 + 300_000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, T * 1000 - 300_000)).toBe(true);
    expect(verifyWebhookSignature(SECRET, header, BODY, NOW_MS + 10_000, 5)).toBe(false);
  });

  test('verify rejects a tampered body, an old timestamp, a wrong secret and a forged timestamp', () => {
    const header = signWebhookPayload(SECRET, BODY, NOW_MS);
    expect(verifyWebhookSignature(SECRET, header, BODY.replace('7', '8'), NOW_MS)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, `${BODY} `, NOW_MS)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T * 1000 + 300_001)).toBe(false);
    expect(verifyWebhookSignature(SECRET, header, BODY, T * 1000 - 300_001)).toBe(false);
    expect(verifyWebhookSignature('whsec_other-secret-0123456789', header, BODY, NOW_MS)).toBe(false);
    const replayed = header.replace(`t=${T}`, `t=${T + 1000}`);
    expect(verifyWebhookSignature(SECRET, replayed, BODY, NOW_MS + 1_000_000)).toBe(false);
  });

  test('verify rejects malformed headers and accepts any matching v1 among several', () => {
    const good = computeWebhookSignature(SECRET, T, BODY);
    for (const header of ['', 't=,v1=', `v1=${good}`, `t=${T}`, `t=abc,v1=${good}`, `t=${T},v1=${good}x`]) {
      expect(verifyWebhookSignature(SECRET, header, BODY, NOW_MS), header).toBe(false);
    }
    expect(verifyWebhookSignature(SECRET, `t=${T},v1=${'0'.repeat(64)},v1=${good}`, BODY, NOW_MS)).toBe(true);
    expect(verifyWebhookSignature(SECRET, ` t=${T} , v0=zz, v1=${good.toUpperCase()}`, BODY, NOW_MS)).toBe(
      true,
    );
  });
});

describe('nextAttemptDelay', () => {
  const policy = { maxAttempts: 10, baseDelayMs: 1_000, maxDelayMs: 60_000 };

  test.each([
    // attempt, random, delay: the bound doubles per attempt up to the cap; full jitter scales it.
    [1, 0.999, 999],
    [1, 0.5, 500],
    [2, 0.5, 1_000],
    [3, 0.5, 2_000],
    [4, 0.25, 2_000],
    [6, 0.5, 16_000],
    [7, 0.999, 59_940],
    [8, 0.5, 30_000],
    [9, 0, 0],
  ])('attempt %i with random %d waits %i ms', (attempt, random, delay) => {
    expect(nextAttemptDelay(attempt, policy, () => random)).toBe(delay);
  });

  test('gives up once maxAttempts are used', () => {
    expect(nextAttemptDelay(10, policy, () => 0.5)).toBeUndefined();
    expect(nextAttemptDelay(11, policy, () => 0.5)).toBeUndefined();
    expect(nextAttemptDelay(5, DEFAULT_RETRY_POLICY, () => 0.999)).toBe(15_984);
    expect(nextAttemptDelay(6, DEFAULT_RETRY_POLICY, () => 0.5)).toBeUndefined();
  });

  test('a huge attempt count stays at the cap', () => {
    expect(nextAttemptDelay(5_000, { ...policy, maxAttempts: 10_000 }, () => 0.5)).toBe(30_000);
  });
});
