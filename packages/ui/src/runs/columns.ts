/**
 * The runs table's model: one row per run with its metrics and params by key, the columns it can
 * show, and sorting. Pure, so it is tested without a browser and costs nothing per render.
 */
import type { Run, StringMap } from '@slipway/contracts';

/** A run prepared for the table: latest metric values and params looked up by key. */
export interface RunRow {
  run: Run;
  metrics: Record<string, number>;
  params: StringMap;
  /** End minus start, when the run has ended. */
  durationMs: number | undefined;
}

/** Which part of a run a column shows. */
export type ColumnKind = 'attribute' | 'metric' | 'param';

/** One column: its id (`metrics.<key>`, `params.<key>` or an attribute name), heading and value. */
export interface Column {
  id: string;
  kind: ColumnKind;
  label: string;
  /** Pixel width in the grid. */
  width: number;
  value(row: RunRow): string | number | undefined;
}

/** A sort order: a column id and a direction. */
export interface SortSpec {
  column: string;
  descending: boolean;
}

/** The attribute columns, always available; the run name is always shown first. */
export const ATTRIBUTE_COLUMNS: readonly Column[] = [
  { id: 'name', kind: 'attribute', label: 'Run', width: 220, value: (r) => r.run.info.runName },
  { id: 'status', kind: 'attribute', label: 'Status', width: 100, value: (r) => r.run.info.status },
  { id: 'start', kind: 'attribute', label: 'Started', width: 170, value: (r) => r.run.info.startTime },
  { id: 'duration', kind: 'attribute', label: 'Duration', width: 100, value: (r) => r.durationMs },
  { id: 'user', kind: 'attribute', label: 'User', width: 120, value: (r) => r.run.info.userId },
];

/** Metric and param columns shown before the user picks: enough to be useful, few enough to fit 1280 px. */
const DEFAULT_PER_KIND = 6;

/** Prepares runs for the table. */
export function rowsOf(runs: readonly Run[]): RunRow[] {
  return runs.map((run) => {
    const metrics: Record<string, number> = {};
    for (const m of run.data.metrics) metrics[m.key] = m.value;
    const { startTime, endTime } = run.info;
    return {
      run,
      metrics,
      params: run.data.params,
      durationMs: endTime === null ? undefined : endTime - startTime,
    };
  });
}

/** Every metric and param key any row has, sorted. */
export function keysOf(rows: readonly RunRow[]): { metrics: string[]; params: string[] } {
  const metrics = new Set<string>();
  const params = new Set<string>();
  for (const row of rows) {
    for (const key in row.metrics) metrics.add(key);
    for (const key in row.params) params.add(key);
  }
  return { metrics: [...metrics].sort(), params: [...params].sort() };
}

/** The column of a metric key. */
export function metricColumn(key: string): Column {
  return { id: `metrics.${key}`, kind: 'metric', label: key, width: 120, value: (r) => r.metrics[key] };
}

/** The column of a param key. */
export function paramColumn(key: string): Column {
  return { id: `params.${key}`, kind: 'param', label: key, width: 120, value: (r) => r.params[key] };
}

/** Every column the rows allow: attributes, then metrics, then params. */
export function allColumns(keys: { metrics: string[]; params: string[] }): Column[] {
  return [...ATTRIBUTE_COLUMNS, ...keys.metrics.map(metricColumn), ...keys.params.map(paramColumn)];
}

/** The columns shown before the user chooses: every attribute and the first few metrics and params. */
export function defaultColumnIds(keys: { metrics: string[]; params: string[] }): string[] {
  return [
    ...ATTRIBUTE_COLUMNS.filter((c) => c.id !== 'user').map((c) => c.id),
    ...keys.metrics.slice(0, DEFAULT_PER_KIND).map((k) => `metrics.${k}`),
    ...keys.params.slice(0, DEFAULT_PER_KIND).map((k) => `params.${k}`),
  ];
}

/** The chosen columns in their canonical order; the run name always comes first. */
export function visibleColumns(all: readonly Column[], chosen: ReadonlySet<string>): Column[] {
  return all.filter((c) => c.id === 'name' || chosen.has(c.id));
}

/**
 * Rows in the order of `sort`, stable. Missing values go last in either direction; params compare
 * as numbers when both are numbers (learning rates, depths), as text otherwise.
 */
export function sortRows(rows: readonly RunRow[], column: Column, descending: boolean): RunRow[] {
  const keyed = rows.map((row, index) => ({ row, index, key: sortKey(column.value(row)) }));
  const sign = descending ? -1 : 1;
  keyed.sort((a, b) => {
    if (a.key === undefined || b.key === undefined) {
      return a.key === b.key ? a.index - b.index : a.key === undefined ? 1 : -1;
    }
    return sign * compareKeys(a.key, b.key) || a.index - b.index;
  });
  return keyed.map((k) => k.row);
}

/** Parses `column[:asc|:desc]` from the URL; undefined for an empty value. */
export function parseSort(raw: string | null): SortSpec | undefined {
  if (raw === null || raw === '') return undefined;
  const at = raw.lastIndexOf(':');
  const direction = at < 0 ? '' : raw.slice(at + 1);
  if (direction === 'asc' || direction === 'desc') {
    return { column: raw.slice(0, at), descending: direction === 'desc' };
  }
  return { column: raw, descending: false };
}

/** The URL form of a sort order. */
export function formatSort(sort: SortSpec): string {
  return `${sort.column}:${sort.descending ? 'desc' : 'asc'}`;
}

type SortKey = number | string;

/** NaN sorts with the missing values: it has no place on the number line. */
function sortKey(value: string | number | undefined): SortKey | undefined {
  if (value === undefined || (typeof value === 'number' && Number.isNaN(value))) return undefined;
  if (typeof value === 'number') return value;
  const asNumber = value.trim() === '' ? Number.NaN : Number(value);
  return Number.isNaN(asNumber) ? value : asNumber;
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
