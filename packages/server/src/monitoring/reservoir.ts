/**
 * A bounded uniform sample of a column (Vitter's algorithm R), mergeable: two reservoirs combine into a
 * uniform sample of the union by drawing each slot from either side in proportion to the rows it still
 * stands for (sampling without replacement), all from a seeded xoshiro128** stream. While a column has
 * no more values than the capacity the reservoir holds all of them, and KS and Wasserstein are exact.
 */
import { invalidArgument } from '@slipway/contracts';
import type { Xoshiro128 } from '../stats/random.js';

/** The reservoir as stored in a profile: plain JSON. */
export interface ReservoirState {
  /** Maximum number of values kept. */
  capacity: number;
  /** Number of values the sample stands for. */
  seen: number;
  /** The sample, in no particular order. */
  values: number[];
}

/** Default capacity: large enough that KS and Wasserstein are exact on typical evaluation sets. */
export const DEFAULT_RESERVOIR_SIZE = 5000;

/** An empty reservoir. */
export function emptyReservoir(capacity = DEFAULT_RESERVOIR_SIZE): ReservoirState {
  if (!Number.isInteger(capacity) || capacity < 1) {
    throw invalidArgument('reservoirSize', `reservoir size must be a positive integer, got ${capacity}`);
  }
  return { capacity, seen: 0, values: [] };
}

/** True when the reservoir holds every value it stands for. */
export function reservoirIsComplete(r: ReservoirState): boolean {
  return r.values.length === r.seen;
}

/** Offers values to the reservoir in place (algorithm R). */
export function reservoirUpdate(r: ReservoirState, values: Iterable<number>, rng: Xoshiro128): void {
  for (const v of values) {
    r.seen++;
    if (r.values.length < r.capacity) {
      r.values.push(v);
    } else {
      const j = r.seen <= 0x1_0000_0000 ? rng.nextInt(r.seen) : Math.floor(rng.nextFloat() * r.seen);
      if (j < r.capacity) r.values[j] = v;
    }
  }
}

/** `count` values drawn uniformly without replacement from `values` (a partial Fisher-Yates shuffle). */
function drawWithoutReplacement(values: readonly number[], count: number, rng: Xoshiro128): number[] {
  const pool = [...values];
  for (let i = 0; i < count; i++) {
    const j = i + rng.nextInt(pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

/**
 * A uniform sample of the union of what `a` and `b` stand for, of size min(capacity, a.seen + b.seen).
 * Both must share a capacity. Each slot comes from a with probability (a's rows not yet drawn) / (rows
 * not yet drawn), so the split follows the hypergeometric law a uniform sample of the union would.
 */
export function reservoirMerge(a: ReservoirState, b: ReservoirState, rng: Xoshiro128): ReservoirState {
  if (a.capacity !== b.capacity) {
    throw invalidArgument(
      'reservoir.capacity',
      `cannot merge reservoirs of size ${a.capacity} and ${b.capacity}`,
    );
  }
  const seen = a.seen + b.seen;
  if (a.values.length + b.values.length <= a.capacity) {
    return { capacity: a.capacity, seen, values: [...a.values, ...b.values] };
  }
  const size = Math.min(a.capacity, seen);
  let restA = a.seen;
  let restB = b.seen;
  let fromA = 0;
  for (let i = 0; i < size; i++) {
    if (rng.nextFloat() * (restA + restB) < restA) {
      fromA++;
      restA--;
    } else {
      restB--;
    }
  }
  const values = [
    ...drawWithoutReplacement(a.values, fromA, rng),
    ...drawWithoutReplacement(b.values, size - fromA, rng),
  ];
  return { capacity: a.capacity, seen, values };
}
