/**
 * Slices as index lists: one pass assigns each row a group id, a second fills one Int32Array per
 * group, so a million rows are sliced without copying a single row object.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow } from '../runtimes/runtime.js';
import { compareClasses, isClassValue } from './classes.js';
import type { ClassValue, SliceSpec } from './evaluation-types.js';

/** One slice's key and its rows. */
export interface SliceIndex {
  label: string;
  value?: ClassValue | null;
  range?: { lower: number | null; upper: number | null };
  indices: Int32Array;
}

/** Label of the slice holding rows where the column is null or absent. */
export const MISSING_SLICE = '(missing)';

/** Validates the slice specs against the rows; `slices: []` is refused as it asks for nothing. */
export function checkSliceSpecs(specs: readonly SliceSpec[], rows: readonly InputRow[]): void {
  if (specs.length === 0)
    throw invalidArgument('slices', 'slices is empty; omit it to evaluate without slices');
  specs.forEach((spec, s) => {
    if (!rows.some((row) => Object.hasOwn(row, spec.column))) {
      throw invalidArgument(`slices[${s}].column`, `slice column '${spec.column}' does not exist in any row`);
    }
    if (spec.buckets !== undefined) checkEdges(spec.buckets, `slices[${s}].buckets`);
  });
}

/** Bucket edges must be finite and strictly ascending, else buckets would overlap or be empty by design. */
function checkEdges(edges: readonly number[], field: string): void {
  if (edges.length === 0) throw invalidArgument(field, `${field} is empty`);
  edges.forEach((e, j) => {
    if (!Number.isFinite(e)) throw invalidArgument(field, `${field}[${j}] is ${e}, not a finite number`);
    if (j > 0 && e <= (edges[j - 1] as number)) {
      throw invalidArgument(field, `${field} must be strictly ascending (${field}[${j}] is ${e})`);
    }
  });
}

/** The slices of one spec, in key order (values sorted, buckets by edge, missing last). */
export function sliceIndices(spec: SliceSpec, rows: readonly InputRow[], field: string): SliceIndex[] {
  return spec.buckets === undefined ? valueSlices(spec.column, rows, field) : bucketSlices(spec, rows, field);
}

/** Splits rows by group id (−1 = missing) into index lists: counting first sizes each array exactly. */
function groupIndices(groups: Int32Array, count: number): { lists: Int32Array[]; missing: Int32Array } {
  const sizes = new Int32Array(count + 1);
  for (const g of groups) sizes[g + 1] = (sizes[g + 1] as number) + 1;
  const lists = Array.from(sizes, (size) => new Int32Array(size));
  const fill = new Int32Array(count + 1);
  for (let i = 0; i < groups.length; i++) {
    const g = (groups[i] as number) + 1;
    const at = fill[g] as number;
    (lists[g] as Int32Array)[at] = i;
    fill[g] = at + 1;
  }
  return { lists: lists.slice(1), missing: lists[0] as Int32Array };
}

/** One slice per distinct value of the column. */
function valueSlices(column: string, rows: readonly InputRow[], field: string): SliceIndex[] {
  const ids = new Map<string, number>();
  const values: ClassValue[] = [];
  const groups = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as InputRow)[column];
    if (v === undefined || v === null) {
      groups[i] = -1;
      continue;
    }
    if (!isClassValue(v))
      throw invalidArgument(field, `rows[${i}].${column} is ${String(v)}; slice values must be scalars`);
    const key = `${typeof v}:${String(v)}`;
    let id = ids.get(key);
    if (id === undefined) ids.set(key, (id = values.push(v) - 1));
    groups[i] = id;
  }
  const { lists, missing } = groupIndices(groups, values.length);
  const slices = values
    .map((value, id) => ({ label: String(value), value, indices: lists[id] as Int32Array }))
    .sort((a, b) => compareClasses(a.value, b.value));
  return withMissing(slices, missing, { value: null });
}

/** Appends the missing-value slice when some rows lack the column. */
function withMissing(slices: SliceIndex[], missing: Int32Array, key: Partial<SliceIndex>): SliceIndex[] {
  return missing.length === 0 ? slices : [...slices, { label: MISSING_SLICE, ...key, indices: missing }];
}

/** One slice per bucket between edges; non-empty buckets only. */
function bucketSlices(spec: SliceSpec, rows: readonly InputRow[], field: string): SliceIndex[] {
  const edges = spec.buckets as number[];
  const groups = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const v = (rows[i] as InputRow)[spec.column];
    if (v === undefined || v === null) groups[i] = -1;
    else if (typeof v === 'number' && !Number.isNaN(v)) groups[i] = bucketOf(v, edges);
    else
      throw invalidArgument(field, `rows[${i}].${spec.column} is ${String(v)}; bucketed slices need numbers`);
  }
  const { lists, missing } = groupIndices(groups, edges.length + 1);
  const slices = lists.flatMap((indices, b): SliceIndex[] => {
    if (indices.length === 0) return [];
    const range = {
      lower: b === 0 ? null : (edges[b - 1] as number),
      upper: b === edges.length ? null : (edges[b] as number),
    };
    return [{ label: bucketLabel(range), range, indices }];
  });
  return withMissing(slices, missing, { range: { lower: null, upper: null } });
}

/** The bucket of v: the number of edges ≤ v (binary search, edges ascending). */
function bucketOf(v: number, edges: readonly number[]): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((edges[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** `[10, 20)`, `(-inf, 10)`, `[20, +inf)`. */
function bucketLabel(range: { lower: number | null; upper: number | null }): string {
  const lower = range.lower === null ? '(-inf' : `[${range.lower}`;
  const upper = range.upper === null ? '+inf)' : `${range.upper})`;
  return `${lower}, ${upper}`;
}
