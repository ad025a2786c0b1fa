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
