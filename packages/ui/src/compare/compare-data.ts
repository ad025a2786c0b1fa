/**
 * The compare page's model: which runs the URL names, one aligned table of x values for several
 * runs' curves, the param diff, and the points of a metric-against-param scatter. Pure.
 */
import type { Run } from '@slipway/contracts';
import type { Series } from '../charts/chart-data.js';

/** Fewer runs are no comparison. */
export const MIN_COMPARED = 2;
/** More runs than this make overlaid curves and a diff table unreadable. */
export const MAX_COMPARED = 20;

/**
 * One color per compared run, far enough apart to tell 20 lines apart on white (Tableau 10
 * followed by darker variants).
 */
export const RUN_COLORS: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
  '#0b3d91',
  '#a34700',
  '#146614',
  '#8b0000',
  '#5b2c83',
  '#4e342e',
  '#ad1457',
  '#37474f',
  '#827717',
  '#006064',
];

/** The color of the run at `index` in the comparison. */
export function colorOf(index: number): string {
  return RUN_COLORS[index % RUN_COLORS.length]!;
}

/** Run ids from the URL's `runs=a,b,c`: trimmed, without blanks or repeats, in the given order. */
export function parseRunIds(raw: string | null): string[] {
  if (raw === null) return [];
  const ids = raw
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id !== '');
  return [...new Set(ids)];
}

/** The compare page's address for these runs. */
export function compareUrl(runIds: readonly string[]): string {
  return `/compare?runs=${runIds.map(encodeURIComponent).join(',')}`;
}

/** Columns uPlot draws: the shared x, then one y column per run (null where that run has no point). */
export interface AlignedSeries {
  x: number[];
  ys: (number | null)[][];
}

/**
 * Merges several runs' series onto one ascending x column. A run with several points at one x (as
 * a bucket's first/min/max/last can be) keeps all of them: that x repeats as often as the run with
 * the most points there needs.
 */
export function alignSeries(series: readonly Series[]): AlignedSeries {
  const points: { x: number; run: number; y: number | null }[] = [];
  series.forEach((s, run) => s.x.forEach((x, i) => points.push({ x, run, y: s.y[i] ?? null })));
  // Array.prototype.sort is stable, so each run's points at one x keep their drawing order.
  points.sort((a, b) => a.x - b.x);
  const out: AlignedSeries = { x: [], ys: series.map(() => []) };
  for (let start = 0; start < points.length;) {
    let end = start;
    while (end < points.length && points[end]!.x === points[start]!.x) end++;
    const byRun = series.map(() => [] as (number | null)[]);
    for (let i = start; i < end; i++) byRun[points[i]!.run]!.push(points[i]!.y);
    const rows = Math.max(...byRun.map((values) => values.length));
    for (let row = 0; row < rows; row++) {
      out.x.push(points[start]!.x);
      byRun.forEach((values, run) => out.ys[run]!.push(row < values.length ? values[row]! : null));
    }
    start = end;
  }
  return out;
}

/** One row of a diff table: a key and each run's value (undefined where a run has none). */
export interface DiffRow<T> {
  key: string;
  values: (T | undefined)[];
  /** True when not every run has the same value (a missing value differs from any value). */
  differs: boolean;
}

/** The params of the runs side by side, keys sorted. */
export function paramDiff(runs: readonly Run[]): DiffRow<string>[] {
  return diffRows(runs.map((r) => new Map(Object.entries(r.data.params))));
}

/** The latest metric values of the runs side by side, keys sorted. */
export function metricDiff(runs: readonly Run[]): DiffRow<number>[] {
  return diffRows(runs.map((r) => new Map(r.data.metrics.map((m) => [m.key, m.value]))));
}

/** Every metric key any of the runs logged, sorted. */
export function metricKeysOf(runs: readonly Run[]): string[] {
  return [...new Set(runs.flatMap((r) => r.data.metrics.map((m) => m.key)))].sort();
}

/** Every param key any of the runs has, sorted. */
export function paramKeysOf(runs: readonly Run[]): string[] {
  return [...new Set(runs.flatMap((r) => Object.keys(r.data.params)))].sort();
}

/** One run's point in the scatter: x is the param (its number, or its category's position). */
export interface ScatterPoint {
  run: number;
  x: number;
  y: number;
  param: string;
}

/** What the scatter draws. */
export interface Scatter {
  points: ScatterPoint[];
  /** Set when the param is not numeric in every run: x is then the index into these, sorted. */
  categories: string[] | undefined;
  /** Runs left out because they lack the metric or the param, or the metric is not finite. */
  missing: number;
}

/**
 * The latest value of `metricKey` against `paramKey` for each run having both. A param whose every
 * value is a number is placed on a number line; otherwise each distinct value gets a column.
 */
export function scatterOf(runs: readonly Run[], metricKey: string, paramKey: string): Scatter {
  const found: { run: number; param: string; y: number }[] = [];
  runs.forEach((r, run) => {
    const param = r.data.params[paramKey];
    const y = r.data.metrics.find((m) => m.key === metricKey)?.value;
    if (param !== undefined && y !== undefined && Number.isFinite(y)) found.push({ run, param, y });
  });
  const numeric = found.every((p) => asNumber(p.param) !== undefined);
  const categories = numeric ? undefined : [...new Set(found.map((p) => p.param))].sort();
  const points = found.map((p) => ({
    ...p,
    x: categories === undefined ? asNumber(p.param)! : categories.indexOf(p.param),
  }));
  return { points, categories, missing: runs.length - found.length };
}

/** About `count` round tick values covering [min, max] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(min: number, max: number, count: number): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough) ?? 10 * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(min / step) * step; t <= max + step * 1e-9; t += step) {
    // Rounding to the step's decimals keeps 0.30000000000000004 out of the labels.
    ticks.push(Number(t.toFixed(Math.max(0, -Math.floor(Math.log10(step))))));
  }
  return ticks;
}

function diffRows<T>(maps: readonly Map<string, T>[]): DiffRow<T>[] {
  const keys = [...new Set(maps.flatMap((m) => [...m.keys()]))].sort();
  return keys.map((key) => {
    const values = maps.map((m) => m.get(key));
    const differs = values.some((v) => !Object.is(v, values[0]));
    return { key, values, differs };
  });
}

function asNumber(text: string): number | undefined {
  const value = text.trim() === '' ? Number.NaN : Number(text);
  return Number.isFinite(value) ? value : undefined;
}
