/**
 * A small seeded PRNG for resampling: xoshiro128** 1.1 (Blackman & Vigna, https://prng.di.unimi.it/),
 * its 128-bit state filled from a 64-bit seed by splitmix64, as the authors recommend.
 * Pure and deterministic: the same seed gives the same stream on every platform and Node version.
 * Not cryptographic.
 */
import { invalidArgument } from '@slipway/contracts';

const MASK64 = (1n << 64n) - 1n;
const TWO_POW_32 = 0x1_0000_0000;

/** One splitmix64 step (Vigna's reference constants); returns the new state and its output. */
export function splitmix64(state: bigint): { state: bigint; value: bigint } {
  const next = (state + 0x9e3779b97f4a7c15n) & MASK64;
  let z = next;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return { state: next, value: z ^ (z >> 31n) };
}

/** Rotates a 32-bit word left (int32 in, int32 out). */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** xoshiro128**: 32-bit operations only, so it runs on plain numbers (Math.imul) with no BigInt per draw. */
export class Xoshiro128 {
  // State lives in an Int32Array: storing 32-bit words into object fields would box each one (a heap
  // number per draw) and make a million-row resample ~10x slower.
  private readonly s = new Int32Array(4);

  /** Seeds from an integer (any safe integer or a bigint, taken mod 2^64) through splitmix64. */
  static fromSeed(seed: number | bigint): Xoshiro128 {
    if (typeof seed === 'number' && !Number.isSafeInteger(seed)) {
      throw invalidArgument('seed', `seed must be a safe integer, got ${seed}`);
    }
    let state = BigInt(seed) & MASK64;
    const words: number[] = [];
    for (let i = 0; i < 2; i++) {
      const step = splitmix64(state);
      state = step.state;
      words.push(Number(step.value & 0xffffffffn), Number(step.value >> 32n));
    }
    return new Xoshiro128(words as [number, number, number, number]);
  }

  /** Takes the raw 128-bit state as four 32-bit words; all-zero is the one state that never leaves zero. */
  constructor(state: readonly [number, number, number, number]) {
    this.s.set(state.map((w) => w | 0));
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) {
      throw invalidArgument('state', 'xoshiro128** state must not be all zero');
    }
  }

  /** The next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!;
    const s1 = s[1]!;
    const s2 = s[2]! ^ s0;
    const s3 = s[3]! ^ s1;
    s[0] = s0 ^ s3;
    s[1] = s1 ^ s2;
    s[2] = s2 ^ (s1 << 9);
    s[3] = rotl(s3, 11);
    return Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
  }

  /** A uniform double in [0, 1) with 53 random bits (two draws), like most libraries' `random()`. */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5;
    const lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), unbiased: draws from the tail that `% n` would over-represent are rejected. */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw invalidArgument('n', `n must be an integer in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let u = this.nextUint32();
    while (u >= limit) u = this.nextUint32();
    return u % n;
  }

  /** Fills `out` with uniform indices in [0, n): one bootstrap resample, with no allocation. */
  fillIndices(out: Int32Array, n: number): void {
    if (!Number.isInteger(n) || n < 1 || n > 0x7fffffff) {
      throw invalidArgument('n', `n must be an integer in [1, 2^31 - 1], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (let i = 0; i < out.length; i++) {
      let u = this.nextUint32();
      while (u >= limit) u = this.nextUint32();
      out[i] = u % n;
    }
  }
}
