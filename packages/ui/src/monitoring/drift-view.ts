/**
 * What the monitoring pages draw, computed from monitor runs and alerts: the columns × runs heat
 * map of a drift figure, its cell colours, realized performance per bucket, a column's reference and current histograms from a drift
 * statistic's evidence, the columns an alert is about, and the latest run's checks. Pure.
 */
import type {
  AggregateBucket,
  Alert,
  MonitorCheckKind,
  MonitorRun,
  MonitorStatistic,
} from '@slipway/contracts';

/** Which figure of a column's drift statistic a heat map shows. */
export type HeatFigure = 'pValue' | 'value' | 'drifted';

/** The figures offered, in the order of the picker. */
export const HEAT_FIGURES: readonly { key: HeatFigure; label: string }[] = [
  { key: 'pValue', label: 'p-value' },
  { key: 'value', label: 'statistic' },
  { key: 'drifted', label: 'drifted' },
];

/** The figure named in `?figure=`, else p-value. */
export function heatFigureOf(key: string | null): HeatFigure {
  return HEAT_FIGURES.find((f) => f.key === key)?.key ?? 'pValue';
}

/** One cell: a column's drift statistic in one run. */
export interface HeatCell {
  /** The figure shown; undefined when the statistic has none (no p-value for a distance). */
  figure: number | undefined;
  flagged: boolean;
  method: string;
  statistic: MonitorStatistic;
}

/** Columns × runs, runs oldest first. */
export interface HeatMap {
  runs: MonitorRun[];
  columns: string[];
  /** `cells[column][i]` for `runs[i]`; undefined where the run has no statistic for the column. */
  cells: Record<string, (HeatCell | undefined)[]>;
}

/** A column's drift statistic (not the dataset-level share) of a run. */
export function isColumnDrift(s: MonitorStatistic): s is MonitorStatistic & { column: string } {
  return s.check === 'drift' && s.column !== undefined && s.name !== 'dataset_drift_share';
}

/** The heat map of succeeded runs (given newest first, as the API lists them); columns in first-seen order. */
export function heatMap(runsNewestFirst: readonly MonitorRun[], figure: HeatFigure): HeatMap {
  const runs = runsNewestFirst.filter((r) => r.state === 'succeeded').reverse();
  const columns: string[] = [];
  const cells: Record<string, (HeatCell | undefined)[]> = {};
  runs.forEach((run, i) => {
    for (const s of run.statistics.filter(isColumnDrift)) {
      if (cells[s.column] === undefined) {
        columns.push(s.column);
        cells[s.column] = new Array<HeatCell | undefined>(runs.length).fill(undefined);
      }
      cells[s.column]![i] = { figure: figureOf(s, figure), flagged: s.flagged, method: s.name, statistic: s };
    }
  });
  return { runs, columns, cells };
}

/** The figure of a statistic: its p-value, its value, or 1/0 for drifted or not. */
export function figureOf(s: MonitorStatistic, figure: HeatFigure): number | undefined {
  if (figure === 'drifted') return s.flagged ? 1 : 0;
  if (figure === 'value') return s.value;
  const p = s.details?.['pValue'];
  return typeof p === 'number' ? p : undefined;
}

/**
 * A cell's background: red for drift, green for none. For p-values the shade follows −log10 p (so
 * 0.05 is pale and 1e-6 deep red); for the statistic, its value over the largest in the map.
 */
export function heatColor(cell: HeatCell | undefined, figure: HeatFigure, largest: number): string {
  if (cell === undefined || cell.figure === undefined) return '#f0f2f5';
  if (!cell.flagged)
    return figure === 'value' ? shade(0.1 + 0.3 * ratio(cell.figure, largest), false) : '#dcfce7';
  if (figure === 'pValue')
    return shade(0.35 + 0.65 * Math.min(1, -Math.log10(Math.max(cell.figure, 1e-12)) / 6), true);
  if (figure === 'value') return shade(0.35 + 0.65 * ratio(cell.figure, largest), true);
  return shade(0.8, true);
}

/** Largest finite |figure| of the map (for the statistic's scale); 0 when none. */
export function largestFigure(map: HeatMap): number {
  let largest = 0;
  for (const column of map.columns) {
    for (const cell of map.cells[column] ?? []) {
      const v = cell?.figure;
      if (v !== undefined && Number.isFinite(v)) largest = Math.max(largest, Math.abs(v));
    }
  }
  return largest;
}

function ratio(value: number, largest: number): number {
  return largest > 0 && Number.isFinite(value) ? Math.min(1, Math.abs(value) / largest) : 1;
}

/** Red (drift) or slate (no drift) at an intensity in [0, 1], as an rgba colour. */
function shade(intensity: number, drifted: boolean): string {
  const alpha = Math.round(intensity * 100) / 100;
  return drifted ? `rgba(220, 38, 38, ${alpha})` : `rgba(100, 116, 139, ${alpha})`;
}

/** One bin of a histogram pair: a label and each side's share of its values. */
export interface HistogramBin {
  label: string;
  reference: number;
  current: number;
}

/** Reference and current distributions of a column, as shares of each side's values. */
export interface HistogramPair {
  kind: 'numeric' | 'categorical';
  bins: HistogramBin[];
  referenceTotal: number;
  currentTotal: number;
}

/**
 * The histograms in a drift statistic's evidence: numeric `histogram {edges, reference, current}`
 * (counts with an open bin on either side of the edges) or categorical `categories` with the
 * other-values counts. Undefined when the details hold neither.
 */
export function histogramPair(details: Record<string, unknown> | undefined): HistogramPair | undefined {
  const histogram = details?.['histogram'];
  if (isRecord(histogram)) return numericPair(histogram);
  const categories = details?.['categories'];
  if (Array.isArray(categories)) {
    return categoricalPair(
      categories,
      numberOr0(details?.['referenceOther']),
      numberOr0(details?.['currentOther']),
    );
  }
  return undefined;
}

function numericPair(h: Record<string, unknown>): HistogramPair | undefined {
  const edges = numbers(h['edges']);
  const ref = numbers(h['reference']);
  const cur = numbers(h['current']);
  if (edges === undefined || ref === undefined || cur === undefined || edges.length === 0) return undefined;
  if (ref.length !== edges.length + 1 || cur.length !== edges.length + 1) return undefined;
  const labels = [
    `< ${edgeText(edges[0]!)}`,
    ...edges.slice(1).map((e, i) => `${edgeText(edges[i]!)} – ${edgeText(e)}`),
    `> ${edgeText(edges[edges.length - 1]!)}`,
  ];
  return shares('numeric', labels, ref, cur);
}

function categoricalPair(entries: readonly unknown[], refOther: number, curOther: number): HistogramPair {
  const labels: string[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  for (const e of entries) {
    if (!isRecord(e)) continue;
    labels.push(String(e['value']));
    ref.push(numberOr0(e['reference']));
    cur.push(numberOr0(e['current']));
  }
  if (refOther > 0 || curOther > 0) {
    labels.push('(other)');
    ref.push(refOther);
    cur.push(curOther);
  }
  return shares('categorical', labels, ref, cur);
}

function shares(kind: HistogramPair['kind'], labels: string[], ref: number[], cur: number[]): HistogramPair {
  const referenceTotal = ref.reduce((a, b) => a + b, 0);
  const currentTotal = cur.reduce((a, b) => a + b, 0);
  return {
    kind,
    referenceTotal,
    currentTotal,
    bins: labels.map((label, i) => ({
      label,
      reference: referenceTotal === 0 ? 0 : ref[i]! / referenceTotal,
      current: currentTotal === 0 ? 0 : cur[i]! / currentTotal,
    })),
  };
}

function edgeText(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

function numbers(v: unknown): number[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined;
}

function numberOr0(v: unknown): number {
  return typeof v === 'number' ? v : 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The columns an alert's evidence names among drift statistics, each once, in evidence order. */
export function driftColumnsOf(alert: Alert): string[] {
  return [...new Set(alert.evidence.filter(isColumnDrift).map((s) => s.column))];
}

/** A run's statistics of one check, in the run's order. */
export function statisticsOf(run: MonitorRun | undefined, check: MonitorCheckKind): MonitorStatistic[] {
  return run?.statistics.filter((s) => s.check === check) ?? [];
}

/** The newest succeeded run of a list given newest first. */
export function latestSucceeded(runsNewestFirst: readonly MonitorRun[]): MonitorRun | undefined {
  return runsNewestFirst.find((r) => r.state === 'succeeded');
}

/** Realized performance per bucket of a window, with constant reference and threshold lines. */
export interface RealizedSeries {
  /** Every bucket start of the window, in seconds. */
  x: number[];
  /** The metric per bucket; null for a bucket without labelled predictions. */
  values: (number | null)[];
  reference?: number[];
  threshold?: number[];
  /** Labelled predictions over the window. */
  labelled: number;
}

/**
 * The metric of each bucket of `[from, to)` from an aggregate with a prediction field, and the
 * yardsticks as flat lines across the window.
 */
export function realizedSeries(
  buckets: readonly AggregateBucket[],
  window: { from: number; to: number },
  bucketMs: number,
  metric: 'accuracy' | 'mae',
  yardsticks: { reference?: number; threshold?: number },
): RealizedSeries {
  const byStart = new Map(buckets.map((b) => [b.start, b]));
  const x: number[] = [];
  const values: (number | null)[] = [];
  let labelled = 0;
  for (let start = window.from; start < window.to; start += bucketMs) {
    const b = byStart.get(start);
    x.push(start / 1000);
    values.push(b?.[metric] ?? null);
    labelled += b?.[metric] === undefined ? 0 : b.labelled;
  }
  const flat = (v: number | undefined): number[] | undefined =>
    v === undefined ? undefined : x.map(() => v);
  const reference = flat(yardsticks.reference);
  const threshold = flat(yardsticks.threshold);
  return {
    x,
    values,
    labelled,
    ...(reference === undefined ? {} : { reference }),
    ...(threshold === undefined ? {} : { threshold }),
  };
}
