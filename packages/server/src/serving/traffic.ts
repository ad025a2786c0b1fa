/**
 * Canary traffic splitting (pure). A request carrying a routing key (a user or session id) is
 * sticky: the key hashes to a bucket in [0, 10000) and goes to the canary when its bucket is below
 * `percent * 100`, so the same key always lands on the same arm for a given percent, and raising
 * the percent only ever moves keys from live to canary, never back. A request without a key draws
 * from the injected `random()`.
 */
import { invalidArgument } from '@slipway/contracts';

/** Number of routing buckets: one per 0.01 % of traffic. */
export const ROUTING_BUCKETS = 10_000;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const TWO_POW_32 = 0x1_0000_0000;
const utf8 = new TextEncoder();

/** FNV-1a 32-bit over the UTF-8 bytes of `text`, as an unsigned integer. Stable across platforms. */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of utf8.encode(text)) {
    hash = Math.imul(hash ^ byte, FNV_PRIME);
  }
  return hash >>> 0;
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit (FNV-1a's low bits are weak). */
function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The stable 32-bit hash of a routing key: FNV-1a over UTF-8, then murmur3's fmix32 avalanche. */
export function routingHash(key: string): number {
  return fmix32(fnv1a32(key));
}

/** The key's bucket in [0, ROUTING_BUCKETS): the hash scaled by multiply-shift (high bits, no modulo bias). */
export function routingBucket(key: string): number {
  return Math.floor((routingHash(key) * ROUTING_BUCKETS) / TWO_POW_32);
}

/** What `chooseArm` decides from. */
export interface ChooseArmInput {
  /** Share of requests for the canary, in [0, 100]; fractions allowed down to 0.01. */
  canaryPercent: number;
  /** Sticky routing key; absent or empty means "no key" and the choice is random. */
  routingKey?: string;
  /** Uniform draw in [0, 1), consulted only without a key and only when 0 < percent < 100. */
  random: () => number;
}

/**
 * The arm one request goes to. Percent 0 never picks the canary and 100 always does (without
 * drawing); otherwise a keyed request picks canary when `routingBucket(key) < percent * 100` and an
 * unkeyed one when `random() < percent / 100`. INVALID_ARGUMENT for a percent outside [0, 100].
 */
export function chooseArm(input: ChooseArmInput): 'live' | 'canary' {
  const percent = input.canaryPercent;
  if (!Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw invalidArgument('canary.percent', `canary percent must be in [0, 100], got ${percent}`);
  }
  if (percent === 0) return 'live';
  if (percent === 100) return 'canary';
  const key = input.routingKey;
  if (key !== undefined && key !== '') {
    // Rounded so a percent like 0.29 means buckets [0, 29), not [0, 28.999999999999996); rounding is
    // monotone, so raising the percent still only adds buckets.
    const threshold = Math.round(percent * (ROUTING_BUCKETS / 100) * 1e6) / 1e6;
    return routingBucket(key) < threshold ? 'canary' : 'live';
  }
  return input.random() < percent / 100 ? 'canary' : 'live';
}
