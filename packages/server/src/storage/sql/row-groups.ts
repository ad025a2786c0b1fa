/**
 * Grouping of the rows a page loader fetches for many owners at once (runs, experiments, models,
 * versions) into one bucket per owner, so each page costs a fixed number of queries. Pure.
 */
import type { StringMap } from '@slipway/contracts';

/** Appends each row to its owner's bucket, keeping row order within a bucket. */
export function groupBy<R, V>(
  rows: readonly R[],
  owner: (row: R) => string,
  make: () => V,
  add: (bucket: V, row: R) => void,
): Map<string, V> {
  const buckets = new Map<string, V>();
  for (const row of rows) {
    const id = owner(row);
    let bucket = buckets.get(id);
    if (bucket === undefined) {
      bucket = make();
      buckets.set(id, bucket);
    }
    add(bucket, row);
  }
  return buckets;
}

/**
 * Orders two strings by code point, as the stores' ORDER BY does (SQLite's BINARY, PostgreSQL's
 * `COLLATE "C"` on UTF-8): UTF-16 units compare the same way except that a surrogate (half of a
 * character beyond U+FFFF) must sort after every other unit, U+E000-U+FFFF included.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xSurrogate = x >= 0xd800 && x <= 0xdfff;
    const ySurrogate = y >= 0xd800 && y <= 0xdfff;
    if (xSurrogate !== ySurrogate) return xSurrogate ? 1 : -1;
    return x - y;
  }
  return a.length - b.length;
}

/** Key/value rows (tags, params) as one string map per owner. */
export function groupKeyValues<R extends { key: string; value: string }>(
  rows: readonly R[],
  owner: (row: R) => string,
): Map<string, StringMap> {
  return groupBy(
    rows,
    owner,
    (): StringMap => ({}),
    (bucket, row) => {
      bucket[row.key] = row.value;
    },
  );
}
