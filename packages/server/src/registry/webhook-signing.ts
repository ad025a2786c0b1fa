/**
 * Webhook signatures and retry timing, pure. Signatures follow Stripe's scheme: HMAC-SHA256 keyed
 * with the webhook secret over `<unix seconds>.<raw body>`, sent as `t=<seconds>,v1=<hex>`; signing
 * the timestamp lets receivers reject replays of old requests.
 */
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Default age (and clock skew) a receiver accepts, in seconds. */
export const DEFAULT_SIGNATURE_TOLERANCE_SEC = 300;

/** How deliveries are retried and timed out. */
export interface WebhookRetryPolicy {
  /** Attempts per delivery round, the first one included. */
  maxAttempts: number;
  /** Upper bound of the first retry's delay (ms); it doubles per attempt. */
  baseDelayMs: number;
  /** Largest delay bound (ms). */
  maxDelayMs: number;
  /** Per-request timeout (ms), response headers included. */
  timeoutMs: number;
}

/**
 * 6 attempts, retried after at most 1, 2, 4, 8 and 16 s (so within 31 s; the 5 min cap only binds
 * with more attempts), 10 s per request.
 */
export const DEFAULT_RETRY_POLICY: Readonly<WebhookRetryPolicy> = {
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 10_000,
};

/** Hex HMAC-SHA256 of `<timestampSec>.<body>` keyed with the secret's UTF-8 bytes. */
export function computeWebhookSignature(secret: string, timestampSec: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestampSec}.${body}`).digest('hex');
}

/** The `slipway-signature` header value for `body` sent at `nowMs`. */
export function signWebhookPayload(secret: string, body: string, nowMs: number): string {
  const timestampSec = Math.floor(nowMs / 1000);
  return `t=${timestampSec},v1=${computeWebhookSignature(secret, timestampSec, body)}`;
}

/**
 * For receivers: true when `header` carries a v1 signature of the raw `body` under `secret` whose
 * timestamp is within `toleranceSec` of `nowMs` (either way, allowing for clock skew). Several v1
 * entries are accepted (any may match), so a sender can sign with an old and a new secret at once.
 */
export function verifyWebhookSignature(
  secret: string,
  header: string,
  body: string,
  nowMs: number,
  toleranceSec = DEFAULT_SIGNATURE_TOLERANCE_SEC,
): boolean {
  const parsed = parseSignatureHeader(header);
  if (parsed === undefined) return false;
  if (Math.abs(nowMs / 1000 - parsed.timestampSec) > toleranceSec) return false;
  const expected = Buffer.from(computeWebhookSignature(secret, parsed.timestampSec, body), 'hex');
  // Every candidate is compared (no early exit), and in constant time: timing reveals nothing.
  let matched = false;
  for (const candidate of parsed.signatures) {
    const given = Buffer.from(candidate, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}

/** The timestamp and v1 signatures of a header, or undefined when it is malformed. */
function parseSignatureHeader(header: string): { timestampSec: number; signatures: string[] } | undefined {
  let timestampSec: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d{1,15}$/.test(value)) timestampSec = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value);
  }
  return timestampSec === undefined || signatures.length === 0 ? undefined : { timestampSec, signatures };
}

/**
 * Delay (ms) before the attempt after attempt number `attempt` failed, or undefined when the
 * round's `maxAttempts` are used up. Full jitter (uniform in [0, min(cap, base·2^(attempt-1))))
 * spreads retries of many deliveries that failed together, so a recovering receiver is not hit
 * by all of them at once. `random` returns values in [0, 1), like Math.random.
 */
export function nextAttemptDelay(
  attempt: number,
  policy: Pick<WebhookRetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  // The exponent is capped so 2^n stays finite long after the cap has taken over.
  const bound = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt - 1, 52));
  return Math.floor(random() * bound);
}
