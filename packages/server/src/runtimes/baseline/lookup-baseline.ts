/**
 * `lookup` baselines: "the value this key had one lag earlier" (same hour last week, yesterday's
 * value). Fitting indexes a history of rows by key and exact timestamp; predicting looks up the
 * row's key at exactly its timestamp minus the lag, else returns the declared fallback. Matching is
 * exact on purpose: a tolerance would make the answer depend on which neighbour happened to exist,
 * so callers bucket their timestamps (truncate to the hour, the day) before fitting and predicting.
 */
import { invalidArgument } from '@slipway/contracts';
import type { InputRow, LoadedModel, OutputRow } from '../runtime.js';
import { mean } from './constant-baseline.js';

/** A key column's value as the index stores it. */
export type KeyValue = string | number | boolean | null;

/** One fitted history point. */
export interface LookupEntry {
  key: KeyValue[];
  /** Milliseconds since the Unix epoch, UTC. */
  time: number;
  value: number;
}

/** What to return when the lagged value is absent: the mean of the history, nothing, or a number. */
export type LookupFallback = 'mean' | 'none' | number;

/** How to fit a lookup baseline. */
export interface FitLookupOptions {
  /** Columns that identify a series (may be empty: one global series). */
  key: string[];
  /** The timestamp column. */
  time: string;
  /** ISO 8601 duration of weeks, days, hours, minutes and seconds, e.g. `P7D` or `PT1H`. */
  lag: string;
  /** The numeric column to predict. */
  target: string;
  /** Default `mean`. */
  fallback?: LookupFallback;
}

/** A fitted lookup baseline: its definition, the resolved fallback and the indexed history. */
export interface LookupBaselineSpec {
  kind: 'lookup';
  key: string[];
  time: string;
  lag: string;
  target: string;
  /** The resolved fallback value (`null`: predict null). */
  fallback: number | null;
  entries: LookupEntry[];
}

const MS_PER_UNIT = { W: 604_800_000, D: 86_400_000, H: 3_600_000, M: 60_000, S: 1000 } as const;
const DURATION =
  /^P(?:(\d{1,9})W)?(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9}(?:\.\d{1,3})?)S)?)?$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Milliseconds in an ISO 8601 duration. Days are exactly 24 hours (timestamps are UTC instants);
 * years and months are refused because their length varies.
 */
export function parseDuration(text: string, field: string): number {
  const match = text.length <= 64 ? DURATION.exec(text) : null;
  if (!match || text === 'P' || text.endsWith('T')) {
    const hint = /^P\d+[YM]/.test(text) ? '; years and months are not fixed lengths, use days or weeks' : '';
    throw invalidArgument(
      field,
      `${field} must be an ISO 8601 duration of weeks, days, hours, minutes or seconds such as P7D or PT1H, ` +
        `got ${JSON.stringify(text)}${hint}`,
    );
  }
  const [, w, d, h, m, s] = match;
  const ms =
    Number(w ?? 0) * MS_PER_UNIT.W +
    Number(d ?? 0) * MS_PER_UNIT.D +
    Number(h ?? 0) * MS_PER_UNIT.H +
    Number(m ?? 0) * MS_PER_UNIT.M +
    Math.round(Number(s ?? 0) * MS_PER_UNIT.S);
  if (ms === 0) throw invalidArgument(field, `${field} must be longer than zero`);
  return ms;
}

/**
 * Reads a timestamp: epoch milliseconds, a Date, or an ISO 8601 string that is a date (UTC
 * midnight) or a date-time with `Z` or an offset. Local times are refused: their instant would
 * depend on the server's time zone.
 */
export function parseTimestamp(value: unknown, field: string): number {
  let ms = Number.NaN;
  if (typeof value === 'number') ms = value;
  else if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'string' && TIMESTAMP.test(value)) ms = Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw invalidArgument(
      field,
      `${field} must be epoch milliseconds or an ISO 8601 timestamp with Z or an offset, got ${preview(value)}`,
    );
  }
  return ms;
}

/** Indexes `history` by key and time; refuses duplicate (key, time) points, naming both rows. */
export function fitLookupBaseline(
  options: FitLookupOptions,
  history: readonly InputRow[],
): LookupBaselineSpec {
  parseDuration(options.lag, 'lag');
  const seen = new Map<string, number>();
  const entries: LookupEntry[] = [];
  history.forEach((row, i) => {
    const field = `history[${i}]`;
    const value = row[options.target];
    if (value === null || value === undefined) return;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw invalidArgument(
        `${field}.${options.target}`,
        `${field}.${options.target} must be a finite number`,
      );
    }
    const key = keyOf(row, options.key, field);
    const time = parseTimestamp(row[options.time], `${field}.${options.time}`);
    const id = indexKey(key, time);
    const earlier = seen.get(id);
    if (earlier !== undefined) {
      throw invalidArgument(field, `${field} repeats the key and time of history[${earlier}]`);
    }
    seen.set(id, i);
    entries.push({ key, time, value });
  });
  const fallback = resolveFallback(options.fallback ?? 'mean', entries);
  const { key, time, lag, target } = options;
  return { kind: 'lookup', key: [...key], time, lag, target, fallback, entries };
}

/** A model predicting `{ prediction }`: the lagged value for the row's key, else the fallback. */
export function loadLookupBaseline(spec: LookupBaselineSpec): LoadedModel {
  const lagMs = parseDuration(spec.lag, 'lag');
  const index = new Map<string, number>();
  for (const entry of spec.entries) index.set(indexKey(entry.key, entry.time), entry.value);
  const predictOne = (row: InputRow, i: number): OutputRow => {
    const field = `rows[${i}]`;
    const key = keyOf(row, spec.key, field);
    const time = parseTimestamp(row[spec.time], `${field}.${spec.time}`);
    return { prediction: index.get(indexKey(key, time - lagMs)) ?? spec.fallback };
  };
  return {
    predict: async (rows) => rows.map(predictOne),
    close: async () => {},
  };
}

function resolveFallback(fallback: LookupFallback, entries: readonly LookupEntry[]): number | null {
  if (fallback === 'none') return null;
  if (fallback === 'mean') return entries.length === 0 ? null : mean(entries.map((e) => e.value));
  if (typeof fallback !== 'number' || !Number.isFinite(fallback)) {
    throw invalidArgument('fallback', `fallback must be 'mean', 'none' or a finite number`);
  }
  return fallback;
}

// A missing key column reads as null, so rows without it form their own series.
function keyOf(row: InputRow, columns: readonly string[], field: string): KeyValue[] {
  return columns.map((column) => {
    const value = row[column];
    if (value === undefined || value === null) return null;
    if (typeof value === 'number') return Number.isNaN(value) ? null : value;
    if (typeof value === 'string' || typeof value === 'boolean') return value;
    throw invalidArgument(
      `${field}.${column}`,
      `${field}.${column} must be a string, number, boolean or null`,
    );
  });
}

// JSON keeps types apart: key 1 and key '1' are different series.
function indexKey(key: readonly KeyValue[], time: number): string {
  return `${JSON.stringify(key)}@${time}`;
}

function preview(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
