/**
 * A small KLL quantile sketch (Karnin, Lang & Liberty 2016, with the DataSketches layout): levels of
 * items where a level-h item stands for 2^h inputs; a full level is sorted and every other item is
 * promoted. Mergeable (level-wise concatenation, then compaction) and JSON-serializable as plain state.
 * With k = 200 the rank error is about 1.7% at 99% confidence. The compaction coin is a hash of
 * (items seen, level), so the same inputs in the same order always give the same sketch.
 */
import { invalidArgument } from '@slipway/contracts';

/** The sketch as stored in a profile: plain JSON. */
export interface QuantileSketchState {
  /** Accuracy parameter: the top level's capacity. */
  k: number;
  /** Number of values summarized. */
  n: number;
  /** Exact extremes (compaction may drop them from the levels); null while empty. */
  min: number | null;
  max: number | null;
  /** levels[h] holds items of weight 2^h. */
  levels: number[][];
}

/** Default accuracy parameter (~1.7% rank error). */
export const DEFAULT_SKETCH_K = 200;
/** Lower levels never shrink below this width, as in DataSketches. */
const MIN_LEVEL_WIDTH = 8;
/** Each level below the top holds 2/3 of the one above. */
const LEVEL_DECAY = 2 / 3;

/** Capacity of level h when there are `height` levels. */
function levelCapacity(k: number, h: number, height: number): number {
  return Math.max(MIN_LEVEL_WIDTH, Math.ceil(k * LEVEL_DECAY ** (height - 1 - h)));
}

/** Every level's capacity for one k and height, computed once: the update loop asks per value. */
const CAPACITIES = new Map<number, { levels: number[]; total: number }>();

function capacitiesOf(k: number, height: number): { levels: number[]; total: number } {
  // Heights stay far below 2^16 (each level halves the weight of 2^h inputs).
  const key = k * 65_536 + height;
  let found = CAPACITIES.get(key);
  if (found === undefined) {
    const levels = Array.from({ length: height }, (_, h) => levelCapacity(k, h, height));
    found = { levels, total: levels.reduce((a, b) => a + b, 0) };
    CAPACITIES.set(key, found);
  }
  return found;
}

/** murmur3's 32-bit finalizer: a cheap, well-mixed hash for the compaction coin. */
function mix32(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** An empty sketch. */
export function emptySketch(k = DEFAULT_SKETCH_K): QuantileSketchState {
  if (!Number.isInteger(k) || k < MIN_LEVEL_WIDTH) {
    throw invalidArgument('sketchK', `sketch k must be an integer >= ${MIN_LEVEL_WIDTH}, got ${k}`);
  }
  return { k, n: 0, min: null, max: null, levels: [[]] };
}

/** Total items held. */
function size(s: QuantileSketchState): number {
  return s.levels.reduce((sum, level) => sum + level.length, 0);
}

/**
 * Halves level h into level h + 1, keeping one item behind when the level's length is odd; returns
 * how many items left the sketch.
 */
function compactLevel(s: QuantileSketchState, h: number): number {
  if (h + 1 === s.levels.length) s.levels.push([]);
  const items = sortedCopy(s.levels[h]!);
  const even = items.length - (items.length % 2);
  const kept = items.length % 2 === 1 ? [items[items.length - 1]!] : [];
  const offset = mix32((s.n % 0x1_0000_0000) ^ Math.imul(h + 1, 0x9e3779b1)) & 1;
  const up = s.levels[h + 1]!;
  for (let i = offset; i < even; i += 2) up.push(items[i]!);
  s.levels[h] = kept;
  return even / 2;
}

/**
 * The level's values in ascending order. Low levels hold a handful of values and are compacted
 * every few inputs, so they are insertion-sorted in place; wider ones go through a typed array,
 * which sorts numerically without a comparator call per pair (values are finite).
 */
function sortedCopy(level: number[]): ArrayLike<number> {
  if (level.length > 32) return Float64Array.from(level).sort();
  for (let i = 1; i < level.length; i++) {
    const v = level[i]!;
    let j = i - 1;
    while (j >= 0 && level[j]! > v) {
      level[j + 1] = level[j]!;
      j--;
    }
    level[j + 1] = v;
  }
  return level;
}

/** Compacts the lowest full level until the sketch fits its capacity. */
function compress(s: QuantileSketchState): void {
  let held = size(s);
  let caps = capacitiesOf(s.k, s.levels.length);
  while (held > caps.total) {
    const height = s.levels.length;
    let h = 0;
    while (h < height - 1 && s.levels[h]!.length < caps.levels[h]!) h++;
    held -= compactLevel(s, h);
    if (s.levels.length !== height) caps = capacitiesOf(s.k, s.levels.length);
  }
}

/** Adds values to the sketch in place. */
export function sketchUpdate(s: QuantileSketchState, values: Iterable<number>): void {
  let level0 = s.levels[0]!;
  let cap0 = capacitiesOf(s.k, s.levels.length).levels[0]!;
  let min = s.min;
  let max = s.max;
  for (const v of values) {
    level0.push(v);
    s.n++;
    if (min === null || v < min) min = v;
    if (max === null || v > max) max = v;
    if (level0.length >= cap0) {
      compress(s);
      level0 = s.levels[0]!;
      cap0 = capacitiesOf(s.k, s.levels.length).levels[0]!;
    }
  }
  s.min = min;
  s.max = max;
}

/** A new sketch summarizing both inputs (which are left untouched); both must share k. */
export function sketchMerge(a: QuantileSketchState, b: QuantileSketchState): QuantileSketchState {
  if (a.k !== b.k) throw invalidArgument('sketch.k', `cannot merge sketches with k ${a.k} and ${b.k}`);
  const height = Math.max(a.levels.length, b.levels.length);
  const levels = Array.from({ length: height }, (_, h) => [...(a.levels[h] ?? []), ...(b.levels[h] ?? [])]);
  const min = a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min);
  const max = a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max);
  const merged: QuantileSketchState = { k: a.k, n: a.n + b.n, min, max, levels };
  compress(merged);
  return merged;
}

/** The sketch's items with their weights, ascending by value. */
export function sketchItems(s: QuantileSketchState): { values: number[]; weights: number[] } {
  const pairs: [number, number][] = [];
  s.levels.forEach((level, h) => {
    for (const v of level) pairs.push([v, 2 ** h]);
  });
  pairs.sort((x, y) => x[0] - y[0]);
  return { values: pairs.map((p) => p[0]), weights: pairs.map((p) => p[1]) };
}

/**
 * Estimated q-quantile: the smallest item whose cumulative weight reaches q·n (q in [0, 1]); q = 0 and
 * q = 1 give the exact minimum and maximum.
 */
export function sketchQuantile(s: QuantileSketchState, q: number): number {
  if (!(q >= 0 && q <= 1)) throw invalidArgument('q', `quantile level must be in [0, 1], got ${q}`);
  if (s.n === 0 || s.min === null || s.max === null) return NaN;
  if (q === 0) return s.min;
  if (q === 1) return s.max;
  const { values, weights } = sketchItems(s);
  const target = q * s.n;
  let cum = 0;
  for (let i = 0; i < values.length; i++) {
    cum += weights[i]!;
    if (cum >= target) return values[i]!;
  }
  return values[values.length - 1]!;
}

/** Estimated share of summarized values <= x. */
export function sketchRank(s: QuantileSketchState, x: number): number {
  if (s.n === 0) return NaN;
  let below = 0;
  s.levels.forEach((level, h) => {
    for (const v of level) if (v <= x) below += 2 ** h;
  });
  return below / s.n;
}
