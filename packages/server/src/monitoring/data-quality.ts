/**
 * The data-quality check of a monitor: per column, how the current window's missing values, wrong-typed
 * values, out-of-range numbers, unseen categories and constancy compare with the reference profile, and
 * the window's row count against an expectation. Computed from profiles alone. Pure. See
 * docs/monitoring.md (Checks).
 */
import { invalidArgument, type MonitorChecks, type MonitorStatistic } from '@slipway/contracts';
import { reservoirIsComplete } from './reservoir.js';
import {
  columnRows,
  histogramOn,
  invalidShare,
  missingShare,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type DataProfile,
  type NumericColumnProfile,
} from './profile.js';

/** Settings of the data-quality check, plus the row count the window is expected to have. */
export type DataQualitySettings = NonNullable<MonitorChecks['dataQuality']> & { expectedRows?: number };

/** Default thresholds of the data-quality check. */
export const DATA_QUALITY_DEFAULTS = {
  missingShareIncrease: 0.05,
  outOfRangeShare: 0.05,
  newCategoryShare: 0.05,
  rowCountChange: 0.5,
} as const;

/** Most new categories a `new_category_share` statistic lists. */
export const NEW_CATEGORIES_LISTED = 20;

/** Float noise allowed at a threshold, so 0.1 + 0.05 still tolerates a share of 0.15. */
const TOLERANCE = 1e-12;

/** Thresholds with defaults filled in. */
type Thresholds = { -readonly [K in keyof typeof DATA_QUALITY_DEFAULTS]: number };

/** Fills defaults and rejects thresholds that cannot be judged. */
function thresholds(settings: DataQualitySettings): Thresholds {
  const t: Thresholds = { ...DATA_QUALITY_DEFAULTS };
  for (const field of ['missingShareIncrease', 'outOfRangeShare', 'newCategoryShare'] as const) {
    const v = settings[field] ?? t[field];
    if (!(v >= 0 && v <= 1)) throw invalidArgument(field, `${field} must be a share in [0, 1], got ${v}`);
    t[field] = v;
  }
  const change = settings.rowCountChange ?? t.rowCountChange;
  if (!(change >= 0 && Number.isFinite(change))) {
    throw invalidArgument(
      'rowCountChange',
      `rowCountChange must be a finite, non-negative number, got ${change}`,
    );
  }
  t.rowCountChange = change;
  const expected = settings.expectedRows;
  if (expected !== undefined && !(expected >= 0 && Number.isFinite(expected))) {
    throw invalidArgument(
      'expectedRows',
      `expectedRows must be a finite, non-negative number, got ${expected}`,
    );
  }
  return t;
}

/** A data-quality statistic. */
function statistic(
  column: string | undefined,
  name: string,
  value: number,
  threshold: number | undefined,
  flagged: boolean,
  details: Record<string, unknown>,
): MonitorStatistic {
  const s: MonitorStatistic = { check: 'data_quality', name, value, flagged, details };
  if (column !== undefined) s.column = column;
  if (threshold !== undefined) s.threshold = threshold;
  return s;
}

/** The window's row count against expectedRows × (1 ± rowCountChange); the threshold is the nearer bound. */
function rowCount(rows: number, expected: number, change: number): MonitorStatistic {
  const min = expected * (1 - change);
  const max = expected * (1 + change);
  const flagged = rows < min - TOLERANCE || rows > max + TOLERANCE;
  return statistic(undefined, 'row_count', rows, rows < expected ? min : max, flagged, {
    expected,
    min,
    max,
    rowCountChange: change,
  });
}

/** Current missing share against the reference's plus the tolerated increase. */
function missingShareStatistic(
  column: string,
  reference: ColumnProfile,
  current: ColumnProfile,
  maxIncrease: number,
): MonitorStatistic {
  const referenceShare = missingShare(reference);
  const value = missingShare(current);
  const threshold = referenceShare + maxIncrease;
  return statistic(column, 'missing_share', value, threshold, value > threshold + TOLERANCE, {
    missing: current.missing,
    rows: columnRows(current),
    referenceShare,
    increase: value - referenceShare,
    maxIncrease,
  });
}

/** A column the reference knows but the window lacks: every one of its rows is missing. */
function absentColumn(
  column: string,
  reference: ColumnProfile,
  rows: number,
  maxIncrease: number,
): MonitorStatistic {
  const referenceShare = missingShare(reference);
  const value = rows === 0 ? 0 : 1;
  const threshold = referenceShare + maxIncrease;
  return statistic(column, 'missing_share', value, threshold, value > threshold + TOLERANCE, {
    missing: rows,
    rows,
    referenceShare,
    increase: value - referenceShare,
    maxIncrease,
    absentInCurrent: true,
  });
}

/**
 * Share of wrong-typed values; flagged when it exceeds the reference's own share (0 for a clean
 * reference, so any wrong-typed value flags).
 */
function typeMismatch(column: string, reference: ColumnProfile, current: ColumnProfile): MonitorStatistic {
  const value = invalidShare(current);
  const threshold = invalidShare(reference);
  return statistic(column, 'type_mismatch_share', value, threshold, value > threshold + TOLERANCE, {
    invalid: current.invalid,
    rows: columnRows(current),
    expectedKind: reference.kind,
  });
}

/** True when two edge lists are identical. */
function sameEdges(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((e, i) => e === b[i]);
}

/**
 * Share of present current values outside the reference's [min, max]: the under- and overflow bins of
 * the current histogram on the reference's edges (whose outer edges are the reference's min and max).
 * A window binned on other edges is re-binned from its reservoir, exactly while it holds every value.
 */
function outOfRange(
  column: string,
  reference: NumericColumnProfile,
  current: NumericColumnProfile,
  threshold: number,
): MonitorStatistic {
  const edges = reference.histogram.edges;
  const same = sameEdges(edges, current.histogram.edges);
  const counts = same ? current.histogram.counts : histogramOn(edges, current.reservoir.values).counts;
  const values = same ? current.count : current.reservoir.values.length;
  const below = counts[0]!;
  const above = counts[counts.length - 1]!;
  const value = (below + above) / values;
  return statistic(column, 'out_of_range_share', value, threshold, value > threshold + TOLERANCE, {
    below,
    above,
    values,
    referenceMin: reference.min,
    referenceMax: reference.max,
    currentMin: current.min,
    currentMax: current.max,
    exact: same || reservoirIsComplete(current.reservoir),
  });
}

/**
 * Share of present current values in categories the reference never listed. It is exact only when
 * neither side folded categories into "other": a category the reference folded looks new (an upper
 * bound), one the window folded is not counted (a lower bound).
 */
function newCategories(
  column: string,
  reference: CategoricalColumnProfile,
  current: CategoricalColumnProfile,
  threshold: number,
): MonitorStatistic {
  const unseen = Object.entries(current.categories)
    .filter(([key]) => !Object.hasOwn(reference.categories, key))
    .sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const newValues = unseen.reduce((s, [, c]) => s + c, 0);
  const value = newValues / current.count;
  return statistic(column, 'new_category_share', value, threshold, value > threshold + TOLERANCE, {
    newValues,
    values: current.count,
    newCategoryCount: unseen.length,
    newCategories: unseen.slice(0, NEW_CATEGORIES_LISTED).map(([v, count]) => ({ value: v, count })),
    exact: reference.otherCount === 0 && current.otherCount === 0,
  });
}

/** Whether a column's present values are all one value (needs two values to tell), and which one. */
function constancy(p: ColumnProfile): { constant: boolean; value?: number | string } {
  if (p.kind === 'numeric') {
    const constant = p.count >= 2 && p.min === p.max;
    return constant ? { constant, value: p.min! } : { constant };
  }
  const keys = Object.keys(p.categories);
  const constant = p.count >= 2 && keys.length === 1 && p.otherCount === 0;
  return constant ? { constant, value: keys[0]! } : { constant };
}

/** 1 (flagged) when a column that varied in the reference holds one value in the window, else 0. */
function constantStatistic(
  column: string,
  reference: ColumnProfile,
  current: ColumnProfile,
): MonitorStatistic {
  const ref = constancy(reference);
  const cur = constancy(current);
  const referenceVaried = reference.count >= 2 && !ref.constant;
  const flagged = referenceVaried && cur.constant;
  const details: Record<string, unknown> = { referenceConstant: ref.constant, currentConstant: cur.constant };
  if (cur.value !== undefined) details.currentValue = cur.value;
  return statistic(column, 'constant', flagged ? 1 : 0, undefined, flagged, details);
}

/** The statistics of one column the window has; those about values are omitted when it has none. */
function columnStatistics(
  column: string,
  reference: ColumnProfile,
  current: ColumnProfile,
  t: Thresholds,
): MonitorStatistic[] {
  if (current.kind !== reference.kind) {
    throw invalidArgument(
      'current',
      `column ${column} is ${reference.kind} in the reference and ${current.kind} in the current window`,
    );
  }
  const out = [
    missingShareStatistic(column, reference, current, t.missingShareIncrease),
    typeMismatch(column, reference, current),
  ];
  if (current.count === 0) return out;
  if (reference.kind === 'numeric' && reference.count > 0) {
    out.push(outOfRange(column, reference, current as NumericColumnProfile, t.outOfRangeShare));
  }
  if (reference.kind === 'categorical') {
    out.push(newCategories(column, reference, current as CategoricalColumnProfile, t.newCategoryShare));
  }
  out.push(constantStatistic(column, reference, current));
  return out;
}

/**
 * Data quality of a current window against its reference: `row_count` first (only with expectedRows),
 * then per reference column, in the reference's order, `missing_share`, `type_mismatch_share`,
 * `out_of_range_share` (numeric) or `new_category_share` (categorical), and `constant`. A column the
 * window lacks yields only `missing_share` (1); one without present values omits the value statistics.
 */
export function dataQuality(
  reference: DataProfile,
  current: DataProfile,
  settings: DataQualitySettings = {},
): MonitorStatistic[] {
  const t = thresholds(settings);
  const out: MonitorStatistic[] = [];
  if (settings.expectedRows !== undefined) {
    out.push(rowCount(current.rowCount, settings.expectedRows, t.rowCountChange));
  }
  for (const [column, ref] of Object.entries(reference.columns)) {
    const cur = current.columns[column];
    if (cur === undefined) out.push(absentColumn(column, ref, current.rowCount, t.missingShareIncrease));
    else out.push(...columnStatistics(column, ref, cur, t));
  }
  return out;
}
