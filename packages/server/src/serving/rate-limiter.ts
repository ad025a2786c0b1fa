/**
 * Per-endpoint request rate limiting: a token bucket per endpoint per serving process. Each
 * replica enforces the whole limit on its own, so a fleet of N replicas admits up to N times the
 * rate; sharing a bucket would put a network round trip on every predict call.
 *
 * Pure: no timers. Tokens are refilled lazily from the injected clock when a request asks, so an
 * idle endpoint costs nothing and tests drive time by hand.
 */
import {
  MAX_REQUESTS_PER_SECOND,
  SlipwayError,
  burstOf,
  invalidArgument,
  type RateLimit,
} from '@slipway/contracts';

/**
 * Float refills drift (0.1 rps for 10s is 0.9999999999 tokens); without slack a request that is
 * exactly on time would be refused with a 1ms Retry-After.
 */
const EPSILON = 1e-9;

/** The same drift in a wait: (1 - 0.996) / 0.004 comes out a hair over 1ms, which must say 1, not 2. */
const EPSILON_MS = 1e-6;

/** Throws INVALID_ARGUMENT naming the `rateLimit.*` field unless the settings make a usable bucket. */
export function assertValidRateLimit(rateLimit: RateLimit): void {
  const { requestsPerSecond: rps, burst } = rateLimit;
  // typeof guards values the HTTP schema never saw (in-process callers, stored JSON).
  if (typeof rps !== 'number' || !Number.isFinite(rps) || rps <= 0 || rps > MAX_REQUESTS_PER_SECOND) {
    throw invalidArgument(
      'rateLimit.requestsPerSecond',
      `rateLimit.requestsPerSecond must be a number above 0 and at most ${MAX_REQUESTS_PER_SECOND}`,
    );
  }
  if (burst !== undefined && (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1)) {
    throw invalidArgument('rateLimit.burst', 'rateLimit.burst must be an integer of at least 1');
  }
}

/** A token bucket: `burst` tokens, refilled at `requestsPerSecond`; each admitted request takes one. */
export class RateLimiter {
  /** The settings this bucket enforces (compare them to decide whether a reload must reset it). */
  readonly settings: Readonly<RateLimit>;
  private readonly now: () => number;
  private readonly capacity: number;
  private readonly tokensPerMs: number;
  private tokens: number;
  private last: number;

  /** A full bucket; `now` is in ms and should be monotonic (the default is `performance.now`). */
  constructor(settings: RateLimit, now: () => number = () => performance.now()) {
    assertValidRateLimit(settings);
    this.settings = { ...settings };
    this.capacity = burstOf(settings);
    this.tokensPerMs = settings.requestsPerSecond / 1000;
    this.now = now;
    this.tokens = this.capacity;
    this.last = now();
  }

  /** 0 when the request is admitted (a token is taken); else the ms until one token is available. */
  take(): number {
    this.refill();
    if (this.tokens >= 1 - EPSILON) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.tokensPerMs - EPSILON_MS));
  }

  private refill(): void {
    const now = this.now();
    // A clock that steps back must not mint tokens later for time already credited, nor stall refills.
    const elapsed = Math.max(0, now - this.last);
    this.last = now;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.tokensPerMs);
  }
}

/**
 * The RESOURCE_EXHAUSTED error for a refused request. `retryAfterSeconds` is what the Retry-After
 * header carries: whole seconds, rounded up and at least 1, since 0 would invite a retry storm.
 * Pass `limit` so the message says which limit was hit.
 */
export function rateLimited(endpoint: string, retryAfterMs: number, limit?: RateLimit): SlipwayError {
  const retryAfterSeconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  const what =
    limit === undefined
      ? 'its rate limit'
      : `its rate limit of ${limit.requestsPerSecond} requests/s (burst ${burstOf(limit)})`;
  return new SlipwayError(
    'RESOURCE_EXHAUSTED',
    `Endpoint '${endpoint}' is over ${what} on this serving process; retry in ${retryAfterSeconds}s`,
    { retryAfterSeconds },
  );
}
