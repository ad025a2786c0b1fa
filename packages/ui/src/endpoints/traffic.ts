/**
 * What the endpoint page draws, computed from the prediction log's aggregates and pages: the time
 * window and its buckets, traffic series, each version's share of the requests, how often a
 * shadow agrees with the prediction it shadowed, and one-line summaries of rows. Pure.
 */
import type { AggregateBucket, LoggedPrediction, ModelVersionRef, TrafficArm } from '@slipway/contracts';

/** A time window the page can show, with the bucket width that gives it about 60 points. */
export interface TimeRange {
  key: string;
  label: string;
  durationMs: number;
  bucketMs: number;
  /** The bucket width as people say it. */
  bucketLabel: string;
}

const MINUTE = 60_000;

/** The windows offered, shortest first; `?range=` holds the key. */
export const TIME_RANGES: readonly TimeRange[] = [
  { key: '15m', label: 'Last 15 minutes', durationMs: 15 * MINUTE, bucketMs: 15_000, bucketLabel: '15 s' },
  { key: '1h', label: 'Last hour', durationMs: 60 * MINUTE, bucketMs: MINUTE, bucketLabel: '1 min' },
  { key: '6h', label: 'Last 6 hours', durationMs: 360 * MINUTE, bucketMs: 5 * MINUTE, bucketLabel: '5 min' },
  {
    key: '24h',
    label: 'Last 24 hours',
    durationMs: 1440 * MINUTE,
    bucketMs: 20 * MINUTE,
    bucketLabel: '20 min',
  },
  {
    key: '7d',
    label: 'Last 7 days',
    durationMs: 7 * 1440 * MINUTE,
    bucketMs: 180 * MINUTE,
    bucketLabel: '3 h',
  },
];

/** The range with this key, else the one-hour default. */
export function timeRangeOf(key: string | null): TimeRange {
  return TIME_RANGES.find((r) => r.key === key) ?? TIME_RANGES[1]!;
}

/** `[from, to)` ending with the bucket that holds `now`, aligned to the server's bucket starts. */
export function windowOf(range: TimeRange, now: number): { from: number; to: number } {
  const to = (Math.floor(now / range.bucketMs) + 1) * range.bucketMs;
  return { from: to - range.durationMs, to };
}

/**
 * Chart columns of the traffic callers sent (live and canary; shadows only mirror it): x in seconds
 * for every bucket of the window, empty buckets as 0 or latency gaps.
 */
export interface TrafficSeries {
  x: number[];
  requestsPerSecond: number[];
  errors: number[];
  /** Latency quantiles of the live arm (quantiles of two arms do not combine). */
  latencyP50: (number | null)[];
  latencyP95: (number | null)[];
  latencyP99: (number | null)[];
  /** The canary's p99, when a canary served in the window. */
  canaryP99?: (number | null)[];
  /** Σ count and Σ errors over the window. */
  served: number;
  failed: number;
}

/**
 * Every bucket start of `[from, to)` from buckets grouped by arm; a bucket the server left out had
 * no traffic, so its rates are 0 and its latencies a gap.
 */
export function trafficSeries(
  buckets: readonly AggregateBucket[],
  window: { from: number; to: number },
  bucketMs: number,
): TrafficSeries {
  const live = new Map<number, AggregateBucket>();
  const canary = new Map<number, AggregateBucket>();
  for (const b of buckets) {
    if (b.arm === 'shadow') continue;
    (b.arm === 'canary' ? canary : live).set(b.start, b);
  }
  const out: TrafficSeries = {
    x: [],
    requestsPerSecond: [],
    errors: [],
    latencyP50: [],
    latencyP95: [],
    latencyP99: [],
    ...(canary.size > 0 ? { canaryP99: [] } : {}),
    served: 0,
    failed: 0,
  };
  for (let start = window.from; start < window.to; start += bucketMs) {
    const l = live.get(start);
    const c = canary.get(start);
    const count = (l?.count ?? 0) + (c?.count ?? 0);
    const errors = (l?.errors ?? 0) + (c?.errors ?? 0);
    out.x.push(start / 1000);
    out.requestsPerSecond.push(count / (bucketMs / 1000));
    out.errors.push(errors);
    out.latencyP50.push(l?.latencyP50 ?? null);
    out.latencyP95.push(l?.latencyP95 ?? null);
    out.latencyP99.push(l?.latencyP99 ?? null);
    out.canaryP99?.push(c?.latencyP99 ?? null);
    out.served += count;
    out.failed += errors;
  }
  return out;
}

/** One model version on one arm, with what it served over the window. */
export interface VersionShare {
  modelVersion: string;
  arm: TrafficArm;
  count: number;
  errors: number;
  /**
   * Of the predictions the callers got (live and canary), the share this one served; for a
   * shadow, its predictions over those, i.e. how much of the traffic it mirrored.
   */
  share: number;
}

/** Sums buckets grouped by model version and arm into one row per (version, arm): live, canary, shadow. */
export function versionShares(buckets: readonly AggregateBucket[]): VersionShare[] {
  const rows = new Map<string, VersionShare>();
  for (const b of buckets) {
    const arm = b.arm ?? 'live';
    const modelVersion = b.modelVersion ?? '';
    const key = `${arm}\u0000${modelVersion}`;
    const row = rows.get(key) ?? { modelVersion, arm, count: 0, errors: 0, share: 0 };
    row.count += b.count;
    row.errors += b.errors;
    rows.set(key, row);
  }
  const list = [...rows.values()];
  const answered = list.filter((r) => r.arm !== 'shadow').reduce((sum, r) => sum + r.count, 0);
  for (const row of list) row.share = answered === 0 ? 0 : row.count / answered;
  const order: Record<TrafficArm, number> = { live: 0, canary: 1, shadow: 2 };
  return list.sort((a, b) => order[a.arm] - order[b.arm] || a.modelVersion.localeCompare(b.modelVersion));
}

/** How one output field of a shadow compares with the prediction it shadowed. */
export interface FieldAgreement {
  field: string;
  /** Pairs where both sides have the field. */
  compared: number;
  /** Of those, pairs with the same value (numbers equal up to a relative 1e-6). */
  agreed: number;
  /** Mean |shadow − primary| when the field is a number on both sides of every compared pair. */
  meanAbsDiff?: number;
}

/** How one shadow version agrees with the predictions callers got. */
export interface ShadowAgreement {
  modelVersion: string;
  /** Shadow predictions whose primary prediction is in the sample. */
  pairs: number;
  /** Pairs whose outputs agree on every field. */
  agreed: number;
  fields: FieldAgreement[];
}

/**
 * Joins shadow predictions to the predictions they shadow (`shadowOf` → `predictionId`) and
 * compares outputs field by field; shadows whose primary is not in `primary` are skipped, so
 * pass pages covering the same time.
 */
export function shadowAgreement(
  primary: readonly LoggedPrediction[],
  shadows: readonly LoggedPrediction[],
): ShadowAgreement[] {
  const byId = new Map(primary.map((p) => [p.predictionId, p]));
  const versions = new Map<string, { pairs: number; agreed: number; fields: Map<string, FieldTally> }>();
  for (const shadow of shadows) {
    const original = shadow.shadowOf === undefined ? undefined : byId.get(shadow.shadowOf);
    if (original === undefined || shadow.error !== undefined || original.error !== undefined) continue;
    const tally = versions.get(shadow.modelVersion) ?? { pairs: 0, agreed: 0, fields: new Map() };
    versions.set(shadow.modelVersion, tally);
    tally.pairs += 1;
    let all = true;
    for (const field of new Set([...Object.keys(original.output), ...Object.keys(shadow.output)])) {
      const a = original.output[field];
      const b = shadow.output[field];
      if (a === undefined || b === undefined) {
        all = false;
        continue;
      }
      const f = tally.fields.get(field) ?? { compared: 0, agreed: 0, absDiff: 0, numeric: true };
      tally.fields.set(field, f);
      f.compared += 1;
      const same = sameValue(a, b);
      if (same) f.agreed += 1;
      else all = false;
      if (typeof a === 'number' && typeof b === 'number') f.absDiff += Math.abs(b - a);
      else f.numeric = false;
    }
    if (all) tally.agreed += 1;
  }
  return [...versions.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([modelVersion, t]) => ({
      modelVersion,
      pairs: t.pairs,
      agreed: t.agreed,
      fields: [...t.fields.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([field, f]) => ({
          field,
          compared: f.compared,
          agreed: f.agreed,
          ...(f.numeric && f.compared > 0 ? { meanAbsDiff: f.absDiff / f.compared } : {}),
        })),
    }));
}

interface FieldTally {
  compared: number;
  agreed: number;
  absDiff: number;
  numeric: boolean;
}

/** Equal values; numbers (also inside arrays and objects) up to a relative 1e-6, since float outputs of two runtimes differ in the last bits. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
    return Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  }
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && sameValue(a[k], b[k]));
  }
  return a === b;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `a=0.12, b=3` for a row, cut to about `max` characters with an ellipsis. */
export function rowSummary(row: Record<string, unknown>, max = 60): string {
  const text = Object.entries(row)
    .map(([k, v]) => `${k}=${valueText(v)}`)
    .join(', ');
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A value in a summary: numbers to 4 significant digits, arrays and objects as short JSON. */
export function valueText(value: unknown): string {
  if (typeof value === 'number')
    return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return `[${value.map(valueText).join(', ')}]`;
  return JSON.stringify(value) ?? String(value);
}

/** `fraud v3` for a model version reference, `fraud@champion` for an alias. */
export function versionText(ref: ModelVersionRef): string {
  return ref.version !== undefined ? `${ref.name} v${ref.version}` : `${ref.name}@${ref.alias ?? ''}`;
}
