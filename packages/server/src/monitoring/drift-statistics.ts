/**
 * The drift check of a monitor: each compared column's drift verdict as a statistic, with the evidence
 * a plot needs (both histograms on the same edges, or both sides' top category counts), and the
 * dataset's share of drifted columns. Built on datasetDrift; computed from profiles alone. Pure. See
 * docs/monitoring.md (Checks).
 */
import { invalidArgument, type MonitorChecks, type MonitorStatistic } from '@slipway/contracts';
import { datasetDrift, type ColumnDriftResult, type DatasetDriftResult } from './drift.js';
import {
  histogramOn,
  type CategoricalColumnProfile,
  type ColumnProfile,
  type DataProfile,
  type NumericColumnProfile,
} from './profile.js';

/** Settings of the drift check. */
export type DriftSettings = NonNullable<MonitorChecks['drift']>;

/** Most categories a categorical drift statistic lists as evidence; the rest are summed as other. */
export const EVIDENCE_CATEGORIES = 20;

/** Both sides' counts on the reference's edges (a window on other edges is re-binned from its reservoir). */
function numericEvidence(
  reference: NumericColumnProfile,
  current: NumericColumnProfile,
): Record<string, unknown> {
  const edges = reference.histogram.edges;
  const same =
    edges.length === current.histogram.edges.length &&
    edges.every((e, i) => e === current.histogram.edges[i]);
  const counts = same ? current.histogram.counts : histogramOn(edges, current.reservoir.values).counts;
  return {
    histogram: { edges: [...edges], reference: [...reference.histogram.counts], current: [...counts] },
  };
}

/**
 * The categories with the most values on both sides together (ties by name) with each side's count,
 * and each side's remaining values (smaller categories and those a profile folded into "other").
 */
function categoricalEvidence(
  reference: CategoricalColumnProfile,
  current: CategoricalColumnProfile,
): Record<string, unknown> {
  const keys = [...new Set([...Object.keys(reference.categories), ...Object.keys(current.categories)])];
  const rows = keys
    .map((value) => ({
      value,
      reference: reference.categories[value] ?? 0,
      current: current.categories[value] ?? 0,
    }))
    .sort(
      (x, y) =>
        y.reference + y.current - (x.reference + x.current) ||
        (x.value < y.value ? -1 : x.value > y.value ? 1 : 0),
    );
  const listed = rows.slice(0, EVIDENCE_CATEGORIES);
  const sum = (side: 'reference' | 'current'): number => listed.reduce((s, r) => s + r[side], 0);
  return {
    categories: listed,
    referenceOther: reference.count - sum('reference'),
    currentOther: current.count - sum('current'),
  };
}

/** The plot evidence of one column. */
function evidence(reference: ColumnProfile, current: ColumnProfile): Record<string, unknown> {
  return reference.kind === 'numeric'
    ? numericEvidence(reference, current as NumericColumnProfile)
    : categoricalEvidence(reference, current as CategoricalColumnProfile);
}

/**
 * One column's statistic: value is the method's statistic (D, χ², z or the distance); for p-value
 * methods the threshold applies to `details.pValue`, for distances to the value itself.
 */
function columnStatistic(
  result: ColumnDriftResult,
  reference: ColumnProfile,
  current: ColumnProfile,
  predictionField: string | undefined,
): MonitorStatistic {
  const details: Record<string, unknown> = { kind: result.kind };
  if (result.pValue !== undefined) details.pValue = result.pValue;
  details.exact = result.exact;
  if (result.autocorrelation !== undefined) details.autocorrelation = result.autocorrelation;
  if (result.column === predictionField) details.prediction = true;
  Object.assign(details, evidence(reference, current));
  return {
    check: 'drift',
    column: result.column,
    name: result.method,
    value: result.statistic,
    threshold: result.threshold,
    flagged: result.drifted,
    details,
  };
}

/** The dataset-level statistic: the share of compared columns that drifted. */
function datasetStatistic(result: DatasetDriftResult): MonitorStatistic {
  return {
    check: 'drift',
    name: 'dataset_drift_share',
    value: result.driftedShare,
    threshold: result.driftShare,
    flagged: result.drifted,
    details: {
      driftedColumns: result.columns.filter((c) => c.drifted).map((c) => c.column),
      compared: result.columns.length,
      skipped: result.skipped,
    },
  };
}

/** The compared columns: the chosen ones (default every reference column) plus the prediction field. */
function columnsToCompare(reference: DataProfile, settings: DriftSettings): string[] {
  const columns = [...(settings.columns ?? Object.keys(reference.columns))];
  const field = settings.predictionField;
  if (field !== undefined) {
    if (!reference.columns[field]) {
      throw invalidArgument(
        'predictionField',
        `prediction field ${field} is not a column of the reference profile`,
      );
    }
    if (!columns.includes(field)) columns.push(field);
  }
  for (const name of Object.keys(settings.perColumn ?? {})) {
    if (!columns.includes(name)) {
      throw invalidArgument(`perColumn.${name}`, `column ${name} has settings but is not compared`);
    }
  }
  return columns;
}

/**
 * Drift of a current window against its reference: one statistic per compared column, named after its
 * method, in the order compared, then `dataset_drift_share`. Columns that cannot be compared (absent
 * from the window, or without values on a side) get no statistic and are listed in the dataset
 * statistic's `skipped`.
 */
export function driftStatistics(
  reference: DataProfile,
  current: DataProfile,
  settings: DriftSettings = {},
): MonitorStatistic[] {
  const columns = columnsToCompare(reference, settings);
  const options: Parameters<typeof datasetDrift>[2] = { columns };
  if (settings.perColumn !== undefined) options.perColumn = settings.perColumn;
  if (settings.driftShare !== undefined) options.driftShare = settings.driftShare;
  if (settings.autocorrelation !== undefined) options.autocorrelation = settings.autocorrelation;
  const result = datasetDrift(reference, current, options);
  const perColumn = result.columns.map((r) =>
    columnStatistic(r, reference.columns[r.column]!, current.columns[r.column]!, settings.predictionField),
  );
  return [...perColumn, datasetStatistic(result)];
}
