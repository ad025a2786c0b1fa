/**
 * The PostgreSQL prediction log: `predictions` partitioned by day on the prediction timestamp
 * (`predictions_YYYYMMDD`, created on demand before a write that needs one), and `labels`, joined
 * at read time by the port's rule (see predictions/prediction-store.ts) in one LATERAL subquery.
 *
 * Many serving replicas may write at once: the schema and each partition are created in a short
 * transaction of their own under a per-schema advisory lock, never inside a write's transaction.
 * A write is one INSERT ... SELECT FROM unnest(arrays) statement (no bind-parameter limit, one
 * transaction, durable once it resolves). Every statement is parameterised; identifiers are
 * quoted with `quoteIdent`, and the only literals in SQL are partition bounds this file formats.
 */
import {
  DISTRIBUTION_TOP,
  EXPORT_FORMATS,
  invalidArgument,
  SlipwayError,
  type AggregateBucket,
  type AggregateRequest,
  type DistributionEntry,
  type LabelRecord,
  type LabelValue,
  type LabelWriteResult,
  type LoggedPrediction,
  type PredictionFilter,
  type PredictionPage,
  type PredictionError,
  type PredictionPageRequest,
  type PredictionRecord,
  type ServingProtocol,
  type TrafficArm,
  type UnmatchedLabelPage,
} from '@slipway/contracts';
import type { Pool, PoolClient } from 'pg';
import type {
  ExportRequest,
  PredictionStore,
  UnmatchedLabelRequest,
} from '../../predictions/prediction-store.js';
import { writeExport, type ExportRow } from './export-writer.js';

/** Options of `PostgresPredictionStore.open`. */
export interface PostgresPredictionStoreOptions {
  connectionString: string;
  /** Schema holding the tables (created if missing); default `public`. */
  schema?: string;
  /** Maximum pool size (default 10). */
  maxConnections?: number;
}

/** Quotes an SQL identifier (doubling embedded quotes). */
export function quoteIdent(name: string): string {
  if (name.length === 0 || name.includes('\u0000')) throw invalidArgument('schema', 'Invalid identifier.');
  return `"${name.replace(/"/g, '""')}"`;
}

const DAY_MS = 86_400_000;
/** Partition days we can name `predictions_YYYYMMDD`: years 1 to 9999. */
const MIN_TS = new Date('0001-01-01T00:00:00Z').getTime();
const MAX_TS = new Date('9999-12-31T00:00:00Z').getTime();
const PARTITION_NAME = /^predictions_(\d{8})$/;
const MAX_PAGE = 1000;
/** Per-store lock key space for DDL: hashtext of this prefix plus the schema. */
const DDL_LOCK_PREFIX = 'slipway.prediction-store:';
/** Cursor timestamps: UTC with microseconds, exactly as PostgreSQL stores them. */
const CURSOR_TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** SQL rendering of a timestamptz as the cursor's exact UTC text. */
const tsText = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
/** SQL rendering of a timestamptz as ms since the epoch (double). */
const tsMs = (col: string) => `(extract(epoch FROM ${col}) * 1000)::float8`;

/** Day start (ms) of `ts` and its `YYYYMMDD` / `YYYY-MM-DD` forms. */
function dayOf(ts: number): { start: number; compact: string; iso: string } {
  const start = Math.floor(ts / DAY_MS) * DAY_MS;
  const iso = new Date(start).toISOString().slice(0, 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(iso)) throw new Error(`Unexpected day ${iso}`);
  return { start, compact: iso.replace(/-/g, ''), iso };
}

function pgCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error
    ? String((error as { code: unknown }).code)
    : undefined;
}

function checkLimit(limit: unknown): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw invalidArgument('limit', `limit must be an integer from 1 to ${MAX_PAGE}.`);
  }
  return limit;
}

function encodeCursor(ts: string, id: string): string {
  return Buffer.from(JSON.stringify([ts, id]), 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): { ts: string; id: string } {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === 2 &&
      typeof parsed[0] === 'string' &&
      CURSOR_TS.test(parsed[0]) &&
      !Number.isNaN(Date.parse(parsed[0])) &&
      typeof parsed[1] === 'string'
    ) {
      return { ts: parsed[0], id: parsed[1] };
    }
  } catch {
    // fall through
  }
  throw invalidArgument('cursor', 'Invalid cursor.');
}

const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

function validateLabel(label: LabelRecord, i: number): void {
  const f = (name: string) => `labels[${i}].${name}`;
  if (!isNonEmptyString(label.labelId))
    throw invalidArgument(f('labelId'), 'labelId must be a non-empty string.');
  if (!isNonEmptyString(label.endpoint))
    throw invalidArgument(f('endpoint'), 'endpoint must be a non-empty string.');
  const hasPrediction = label.predictionId !== undefined;
  const hasEntity = label.entityId !== undefined;
  if (hasPrediction === hasEntity) {
    throw invalidArgument(
      f(hasPrediction ? 'entityId' : 'predictionId'),
      'A label names exactly one of predictionId or entityId.',
    );
  }
  if (hasPrediction && !isNonEmptyString(label.predictionId)) {
    throw invalidArgument(f('predictionId'), 'predictionId must be a non-empty string.');
  }
  if (hasEntity && !isNonEmptyString(label.entityId)) {
    throw invalidArgument(f('entityId'), 'entityId must be a non-empty string.');
  }
  if (label.from !== undefined && !isFiniteNumber(label.from)) {
    throw invalidArgument(f('from'), 'from must be a finite number (ms).');
  }
  if (label.to !== undefined && !isFiniteNumber(label.to)) {
    throw invalidArgument(f('to'), 'to must be a finite number (ms).');
  }
  if (label.from !== undefined && label.to !== undefined && !(label.from < label.to)) {
    throw invalidArgument(f('to'), 'The window must have from < to.');
  }
  if (!isFiniteNumber(label.receivedAt)) {
    throw invalidArgument(f('receivedAt'), 'receivedAt must be a finite number (ms).');
  }
  const v: unknown = label.value;
  if (!(typeof v === 'string' || typeof v === 'boolean' || isFiniteNumber(v))) {
    throw invalidArgument(f('value'), 'A label value is a string, a finite number or a boolean.');
  }
  if (label.source !== undefined && typeof label.source !== 'string') {
    throw invalidArgument(f('source'), 'source must be a string.');
  }
}

/** The `error` column of a failed request's record: exactly `{code, message}`. */
function errorJson(record: PredictionRecord): string {
  return JSON.stringify({ code: record.error?.code, message: record.error?.message });
}

function validateRecord(record: PredictionRecord, i: number): void {
  if (
    record.error !== undefined &&
    (typeof record.error?.code !== 'string' || typeof record.error?.message !== 'string')
  ) {
    throw invalidArgument(`records[${i}].error`, 'error must have a string code and message.');
  }
  if (!isFiniteNumber(record.timestamp) || record.timestamp < MIN_TS || record.timestamp >= MAX_TS) {
    throw invalidArgument(`records[${i}].timestamp`, 'timestamp must be a finite ms time in years 1-9999.');
  }
}

/** Rows fetched from the export cursor at a time. */
const EXPORT_FETCH = 5000;

/** pg gives bigint as text and times in `tsText`'s form; the export wants numbers and ms ISO times. */
function exportRow(row: ExportRow): ExportRow {
  const delay = row.label_delay_ms;
  return {
    ...row,
    timestamp: isoOf(row.timestamp),
    label_received_at: isoOf(row.label_received_at),
    label_delay_ms: delay === null ? null : Number(delay),
  };
}

/** `tsText`'s microsecond ISO form as JavaScript's millisecond one (the form the other backends write). */
function isoOf(text: string | number | null): string | null {
  return text === null ? null : new Date(String(text)).toISOString();
}

/** Collects positional parameters for one statement. */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

interface PredictionRow {
  prediction_id: string;
  endpoint: string;
  model_name: string;
  model_version: string;
  arm: string;
  protocol: string;
  ts_ms: number;
  ts_text: string;
  latency_ms: number;
  request_id: string;
  input: Record<string, unknown>;
  output: Record<string, unknown>;
  shadow_of: string | null;
  entity_id: string | null;
  tags: Record<string, string> | null;
  api_version: string | null;
  job_id: string | null;
  error: PredictionError | null;
  label_id: string | null;
  label_value: LabelValue | null;
  label_received_ms: number | null;
}

interface LabelRow {
  label_id: string;
  endpoint: string;
  prediction_id: string | null;
  entity_id: string | null;
  from_ms: number | null;
  to_ms: number | null;
  value: LabelValue;
  received_ms: number;
  received_text: string;
  source: string | null;
}

/** The prediction log on PostgreSQL; open one with `PostgresPredictionStore.open`. */
export class PostgresPredictionStore implements PredictionStore {
  /** Day starts (ms) whose partition is known to exist. */
  private readonly partitions = new Set<number>();
  private closed = false;
  private readonly predictions: string;
  private readonly labels: string;

  private constructor(
    private readonly pool: Pool,
    private readonly schema: string,
  ) {
    this.predictions = `${quoteIdent(schema)}.predictions`;
    this.labels = `${quoteIdent(schema)}.labels`;
  }

  /** Opens a pool on `connectionString` and creates the schema and tables when missing. */
  static async open(options: PostgresPredictionStoreOptions): Promise<PostgresPredictionStore> {
    const schema = options.schema ?? 'public';
    quoteIdent(schema);
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
    });
    // An idle client losing its connection emits 'error' on the pool; the pool discards it.
    pool.on('error', () => undefined);
    const store = new PostgresPredictionStore(pool, schema);
    try {
      await store.migrate();
      await store.loadPartitions();
      return store;
    } catch (error) {
      await pool.end();
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  // ---- writes ----

  async write(records: readonly PredictionRecord[]): Promise<void> {
    if (records.length === 0) return;
    records.forEach(validateRecord);
    try {
      await this.ensurePartitions(records);
      await this.insertPredictions(records);
    } catch (error) {
      // Another process dropped a partition we thought existed (deleteBefore): recreate, retry once.
      if (pgCode(error) !== '23514') throw error;
      this.partitions.clear();
      await this.loadPartitions();
      await this.ensurePartitions(records);
      await this.insertPredictions(records);
    }
  }

  async writeLabels(labels: readonly LabelRecord[]): Promise<LabelWriteResult> {
    labels.forEach(validateLabel);
    if (labels.length === 0) return { stored: 0, matched: 0, unmatched: 0 };
    const col = <T>(pick: (l: LabelRecord) => T | undefined) => labels.map((l) => pick(l) ?? null);
    return this.transaction(async (client) => {
      try {
        await client.query(
          `INSERT INTO ${this.labels}
             (label_id, endpoint, prediction_id, entity_id, window_from, window_to, value, received_at, source)
           SELECT u.label_id, u.endpoint, u.prediction_id, u.entity_id,
                  to_timestamp(u.from_ms / 1000.0), to_timestamp(u.to_ms / 1000.0),
                  u.value::jsonb, to_timestamp(u.received_ms / 1000.0), u.source
           FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[],
                       $7::text[], $8::float8[], $9::text[])
             AS u(label_id, endpoint, prediction_id, entity_id, from_ms, to_ms, value, received_ms, source)`,
          [
            col((l) => l.labelId),
            col((l) => l.endpoint),
            col((l) => l.predictionId),
            col((l) => l.entityId),
            col((l) => l.from),
            col((l) => l.to),
            labels.map((l) => JSON.stringify(l.value)),
            col((l) => l.receivedAt),
            col((l) => l.source),
          ],
        );
      } catch (error) {
        if (pgCode(error) === '23505') {
          throw new SlipwayError('ALREADY_EXISTS', 'A label with one of these labelIds is already stored.', {
            field: 'labels',
          });
        }
        throw error;
      }
      const result = await client.query<{ matched: string }>(
        `SELECT count(*) AS matched FROM ${this.labels} l
         WHERE l.label_id = ANY($1::text[]) AND (${this.labelMatchesSql('l')})`,
        [labels.map((l) => l.labelId)],
      );
      const matched = Number(result.rows[0]?.matched ?? 0);
      return { stored: labels.length, matched, unmatched: labels.length - matched };
    });
  }

  async deleteBefore(before: number): Promise<number> {
    if (!isFiniteNumber(before)) throw invalidArgument('before', 'before must be a finite number (ms).');
    const deleted = await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_PREFIX + this.schema]);
      let count = 0;
      for (const { name, start } of await this.listPartitions(client)) {
        if (start + DAY_MS > before) continue;
        const rows = await client.query<{ n: string }>(
          `SELECT count(*) AS n FROM ${quoteIdent(this.schema)}.${quoteIdent(name)}`,
        );
        count += Number(rows.rows[0]?.n ?? 0);
        await client.query(`DROP TABLE ${quoteIdent(this.schema)}.${quoteIdent(name)}`);
        this.partitions.delete(start);
      }
      const boundary = await client.query(
        `DELETE FROM ${this.predictions} WHERE ts < to_timestamp($1::float8 / 1000.0)`,
        [before],
      );
      count += boundary.rowCount ?? 0;
      await client.query(`DELETE FROM ${this.labels} WHERE received_at < to_timestamp($1::float8 / 1000.0)`, [
        before,
      ]);
      return count;
    });
    return deleted;
  }

  // ---- reads ----

  async queryPredictions(request: PredictionPageRequest): Promise<PredictionPage> {
    const limit = checkLimit(request.limit);
    const params = new Params();
    const where = this.filterSql(request, params);
    if (request.cursor !== undefined) {
      const cursor = decodeCursor(request.cursor);
      where.push(
        `(p.ts, p.prediction_id) < (${params.add(cursor.ts)}::timestamptz, ${params.add(cursor.id)})`,
      );
    }
    const sql = `SELECT p.prediction_id, p.endpoint, p.model_name, p.model_version, p.arm, p.protocol,
        ${tsMs('p.ts')} AS ts_ms, ${tsText('p.ts')} AS ts_text, p.latency_ms, p.request_id, p.input, p.output,
        p.shadow_of, p.entity_id, p.tags, p.api_version, p.job_id, p.error,
        lb.label_id, lb.value AS label_value, ${tsMs('lb.received_at')} AS label_received_ms
      FROM ${this.predictions} p ${this.lateralLabelSql()}
      WHERE ${where.join(' AND ')}
      ORDER BY p.ts DESC, p.prediction_id DESC
      LIMIT ${params.add(limit + 1)}`;
    const { rows } = await this.pool.query<PredictionRow>(sql, params.values);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      predictions: page.map(toLoggedPrediction),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.ts_text, last.prediction_id) } : {}),
    };
  }

  /**
   * Streams the joined log oldest first through a server-side cursor (bounded memory however
   * large the window) into the export writer, all in one read-only transaction (one snapshot).
   */
  async exportWindow(request: ExportRequest): Promise<{ rows: number }> {
    if (!(EXPORT_FORMATS as readonly string[]).includes(request.format)) {
      throw invalidArgument('format', `format must be one of ${EXPORT_FORMATS.join(', ')}`);
    }
    const params = new Params();
    const where = this.filterSql(request, params);
    const sql = `SELECT p.prediction_id, p.endpoint, p.model_name, p.model_version, p.arm, p.protocol,
        ${tsText('p.ts')} AS timestamp, p.latency_ms, p.request_id, p.entity_id, p.shadow_of,
        p.api_version, p.job_id, p.tags::text AS tags, p.input::text AS input, p.output::text AS output,
        p.error::text AS error, lb.value::text AS label, ${tsText('lb.received_at')} AS label_received_at,
        (${tsMs('lb.received_at')} - ${tsMs('p.ts')})::bigint AS label_delay_ms
      FROM ${this.predictions} p ${this.lateralLabelSql()}
      WHERE ${where.join(' AND ')}
      ORDER BY p.ts, p.prediction_id`;
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN READ ONLY');
      await client.query(`DECLARE slipway_export NO SCROLL CURSOR FOR ${sql}`, params.values);
      const batches = async function* (): AsyncGenerator<ExportRow[]> {
        for (;;) {
          const { rows } = await client.query<ExportRow>(`FETCH ${EXPORT_FETCH} FROM slipway_export`);
          if (rows.length === 0) return;
          yield rows.map(exportRow);
        }
      };
      const rows = await writeExport(batches(), request.format, request.path);
      await client.query('COMMIT');
      return { rows };
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async unmatchedLabels(request: UnmatchedLabelRequest): Promise<UnmatchedLabelPage> {
    const limit = checkLimit(request.limit);
    const params = new Params();
    const where = [`l.endpoint = ${params.add(request.endpoint)}`, `NOT (${this.labelMatchesSql('l')})`];
    const totalSql = `SELECT count(*) AS n FROM ${this.labels} l WHERE ${where.join(' AND ')}`;
    const totalParams = [...params.values];
    if (request.cursor !== undefined) {
      const cursor = decodeCursor(request.cursor);
      where.push(
        `(l.received_at, l.label_id) < (${params.add(cursor.ts)}::timestamptz, ${params.add(cursor.id)})`,
      );
    }
    const pageSql = `SELECT l.label_id, l.endpoint, l.prediction_id, l.entity_id,
        ${tsMs('l.window_from')} AS from_ms, ${tsMs('l.window_to')} AS to_ms, l.value,
        ${tsMs('l.received_at')} AS received_ms, ${tsText('l.received_at')} AS received_text, l.source
      FROM ${this.labels} l WHERE ${where.join(' AND ')}
      ORDER BY l.received_at DESC, l.label_id DESC
      LIMIT ${params.add(limit + 1)}`;
    const [pageResult, totalResult] = await Promise.all([
      this.pool.query<LabelRow>(pageSql, params.values),
      this.pool.query<{ n: string }>(totalSql, totalParams),
    ]);
    const rows = pageResult.rows;
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      labels: page.map(toLabelRecord),
      total: Number(totalResult.rows[0]?.n ?? 0),
      ...(rows.length > limit && last ? { nextCursor: encodeCursor(last.received_text, last.label_id) } : {}),
    };
  }

  async aggregate(request: AggregateRequest): Promise<AggregateBucket[]> {
    if (!isFiniteNumber(request.from)) throw invalidArgument('from', 'from must be a finite number (ms).');
    if (!isFiniteNumber(request.to)) throw invalidArgument('to', 'to must be a finite number (ms).');
    if (!isFiniteNumber(request.bucketMs) || request.bucketMs <= 0) {
      throw invalidArgument('bucketMs', 'bucketMs must be a positive number.');
    }
    const groupBy = request.groupBy ?? [];
    for (const [i, g] of groupBy.entries()) {
      if (g !== 'modelVersion' && g !== 'arm') {
        throw invalidArgument(`groupBy[${i}]`, "groupBy takes 'modelVersion' and 'arm'.");
      }
    }
    if (request.predictionField !== undefined && typeof request.predictionField !== 'string') {
      throw invalidArgument('predictionField', 'predictionField must be a string.');
    }
    if (request.from >= request.to) return [];
    const byVersion = groupBy.includes('modelVersion');
    const byArm = groupBy.includes('arm');
    const params = new Params();
    const where = this.filterSql(request, params);
    // Failed requests are never joined to labels: they count as unlabelled, so `labelled` is not theirs.
    const failedWhere = this.filterSql({ ...request, labelled: undefined }, params);
    const servedCut = request.status !== 'error' ? '' : 'AND false';
    const failedCut = request.status !== 'ok' && request.labelled !== true ? '' : 'AND false';
    const bucket = params.add(String(request.bucketMs));
    const field = request.predictionField !== undefined ? params.add(request.predictionField) : undefined;
    // Ungrouped keys are '' rather than NULL, so the joins on the keys below match them.
    const keysOf = (alias: string): string =>
      `floor((extract(epoch FROM ${alias}.ts) * 1000) / ${bucket}::numeric) * ${bucket}::numeric AS start,
          ${byVersion ? `${alias}.model_version` : "''::text"} AS model_version,
          ${byArm ? `${alias}.arm` : "''::text"} AS arm`;
    const sql = `WITH j AS (
        SELECT ${keysOf('p')},
          p.latency_ms,
          lb.label_id IS NOT NULL AS labelled,
          ((extract(epoch FROM lb.received_at) - extract(epoch FROM p.ts)) * 1000)::float8 AS delay_ms,
          lb.value AS lv,
          ${field ? `p.output -> ${field}` : 'NULL::jsonb'} AS pv
        FROM ${this.predictions} p ${this.lateralLabelSql()}
        WHERE ${where.join(' AND ')} AND p.error IS NULL ${servedCut}
      ),
      served AS (
        SELECT start, model_version, arm,
          count(*) AS count,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
          percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
          percentile_cont(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99,
          count(*) FILTER (WHERE labelled) AS labelled,
          percentile_cont(0.5) WITHIN GROUP (ORDER BY delay_ms) FILTER (WHERE labelled) AS delay_p50,
          count(*) FILTER (WHERE jsonb_typeof(pv) = 'number') AS numeric_count,
          count(*) FILTER (WHERE pv IS NOT NULL AND jsonb_typeof(pv) <> 'number') AS other_count,
          avg((pv)::float8) FILTER (WHERE jsonb_typeof(pv) = 'number') AS prediction_mean,
          percentile_cont(ARRAY[0.05, 0.5, 0.95]::float8[]) WITHIN GROUP (ORDER BY (pv)::float8)
            FILTER (WHERE jsonb_typeof(pv) = 'number') AS prediction_quantiles,
          avg(abs((pv)::float8 - (lv)::float8))
            FILTER (WHERE labelled AND jsonb_typeof(pv) = 'number' AND jsonb_typeof(lv) = 'number') AS mae,
          (avg(CASE WHEN pv IS NOT NULL AND pv = lv THEN 1.0 ELSE 0.0 END) FILTER (WHERE labelled))::float8 AS accuracy
        FROM j
        GROUP BY start, model_version, arm
      ),
      failed AS (
        SELECT ${keysOf('p')}, count(*) AS errors
        FROM ${this.predictions} p
        WHERE ${failedWhere.join(' AND ')} AND p.error IS NOT NULL ${failedCut}
        GROUP BY 1, 2, 3
      ),
      value_counts AS (
        SELECT start, model_version, arm, pv #>> '{}' AS value, count(*) AS n
        FROM j WHERE jsonb_typeof(pv) IN ('string', 'boolean')
        GROUP BY 1, 2, 3, 4
      ),
      distribution AS (
        SELECT start, model_version, arm,
          json_agg(json_build_object('value', value, 'count', n) ORDER BY n DESC, value COLLATE "C") AS dist
        FROM (
          SELECT *, row_number() OVER (PARTITION BY start, model_version, arm ORDER BY n DESC, value COLLATE "C") AS rank
          FROM value_counts
        ) ranked
        WHERE rank <= ${DISTRIBUTION_TOP}
        GROUP BY 1, 2, 3
      )
      SELECT start::float8 AS start, model_version, arm, s.count, coalesce(f.errors, 0) AS errors, s.p50, s.p95,
        s.p99, s.labelled, s.delay_p50, s.numeric_count, s.other_count, s.prediction_mean,
        s.prediction_quantiles, s.mae, s.accuracy, d.dist
      FROM served s FULL JOIN failed f USING (start, model_version, arm)
        LEFT JOIN distribution d USING (start, model_version, arm)
      ORDER BY start, model_version, arm`;
    const { rows } = await this.pool.query<{
      start: number;
      model_version: string;
      arm: string;
      count: string | null;
      errors: string;
      p50: number | null;
      p95: number | null;
      p99: number | null;
      labelled: string | null;
      delay_p50: number | null;
      numeric_count: string | null;
      other_count: string | null;
      prediction_mean: number | null;
      prediction_quantiles: number[] | null;
      mae: number | null;
      accuracy: number | null;
      dist: DistributionEntry[] | null;
    }>(sql, params.values);
    return rows.map((row) => {
      const count = Number(row.count ?? 0);
      const errors = Number(row.errors);
      const labelled = Number(row.labelled ?? 0);
      const numeric = Number(row.numeric_count ?? 0) > 0;
      const out: AggregateBucket = {
        start: Number(row.start),
        ...(byVersion ? { modelVersion: row.model_version } : {}),
        ...(byArm ? { arm: row.arm as TrafficArm } : {}),
        count,
        errors,
        errorRate: errors / (errors + count),
        labelled,
      };
      if (count > 0 && row.p50 !== null && row.p95 !== null && row.p99 !== null) {
        out.latencyP50 = row.p50;
        out.latencyP95 = row.p95;
        out.latencyP99 = row.p99;
      }
      if (labelled > 0 && row.delay_p50 !== null) out.labelDelayP50 = row.delay_p50;
      if (field !== undefined && count > 0) {
        if (numeric) {
          if (row.prediction_mean !== null) out.predictionMean = row.prediction_mean;
          const [p05, p50, p95] = row.prediction_quantiles ?? [];
          if (p05 !== undefined && p50 !== undefined && p95 !== undefined) {
            out.predictionP05 = p05;
            out.predictionP50 = p50;
            out.predictionP95 = p95;
          }
          if (labelled > 0 && row.mae !== null) out.mae = row.mae;
          if (labelled > 0 && row.accuracy !== null) out.accuracy = row.accuracy;
        } else {
          const other = Number(row.other_count ?? 0);
          if (other > 0) {
            const top = (row.dist ?? []).map((e) => ({ value: String(e.value), count: Number(e.count) }));
            out.distribution = top;
            out.distributionOther = other - top.reduce((sum, e) => sum + e.count, 0);
          }
          if (labelled > 0 && row.accuracy !== null) out.accuracy = row.accuracy;
        }
      }
      return out;
    });
  }

  // ---- SQL pieces ----

  /** WHERE conjuncts of a prediction filter over `p` (and the lateral label `lb`). */
  private filterSql(filter: PredictionFilter, params: Params): string[] {
    if (typeof filter.endpoint !== 'string') throw invalidArgument('endpoint', 'endpoint is required.');
    const where = [`p.endpoint = ${params.add(filter.endpoint)}`];
    if (filter.from !== undefined) {
      if (!isFiniteNumber(filter.from)) throw invalidArgument('from', 'from must be a finite number (ms).');
      where.push(`p.ts >= to_timestamp(${params.add(filter.from)}::float8 / 1000.0)`);
    }
    if (filter.to !== undefined) {
      if (!isFiniteNumber(filter.to)) throw invalidArgument('to', 'to must be a finite number (ms).');
      where.push(`p.ts < to_timestamp(${params.add(filter.to)}::float8 / 1000.0)`);
    }
    if (filter.modelVersion !== undefined) where.push(`p.model_version = ${params.add(filter.modelVersion)}`);
    if (filter.arm !== undefined) where.push(`p.arm = ${params.add(filter.arm)}`);
    if (filter.excludeShadows === true) where.push("p.arm <> 'shadow'");
    if (filter.entityId !== undefined) where.push(`p.entity_id = ${params.add(filter.entityId)}`);
    if (filter.status === 'ok') where.push('p.error IS NULL');
    else if (filter.status === 'error') where.push('p.error IS NOT NULL');
    else if (filter.status !== undefined) throw invalidArgument('status', "status must be 'ok' or 'error'.");
    if (filter.tag !== undefined) {
      where.push(`p.tags ->> ${params.add(filter.tag.key)}::text = ${params.add(filter.tag.value)}::text`);
    }
    if (filter.labelled === true) where.push('lb.label_id IS NOT NULL');
    if (filter.labelled === false) where.push('lb.label_id IS NULL');
    return where;
  }

  /** The winning label of each prediction `p`, as `lb` (all columns NULL when none). */
  private lateralLabelSql(): string {
    return `LEFT JOIN LATERAL (
        SELECT l.label_id, l.value, l.received_at FROM ${this.labels} l
        WHERE l.endpoint = p.endpoint AND (
          l.prediction_id = p.prediction_id
          OR l.prediction_id = p.shadow_of
          OR (l.entity_id = p.entity_id
              AND (l.window_from IS NULL OR l.window_from <= p.ts)
              AND (l.window_to IS NULL OR p.ts < l.window_to)))
        ORDER BY l.received_at DESC, l.label_id DESC
        LIMIT 1
      ) lb ON true`;
  }

  /** True when label `alias` matches at least one logged prediction. */
  private labelMatchesSql(alias: string): string {
    return `(${alias}.prediction_id IS NOT NULL AND (EXISTS (
          SELECT 1 FROM ${this.predictions} p
          WHERE p.endpoint = ${alias}.endpoint AND p.prediction_id = ${alias}.prediction_id)
        OR EXISTS (
          SELECT 1 FROM ${this.predictions} p
          WHERE p.endpoint = ${alias}.endpoint AND p.shadow_of = ${alias}.prediction_id)))
        OR (${alias}.entity_id IS NOT NULL AND EXISTS (
          SELECT 1 FROM ${this.predictions} p
          WHERE p.endpoint = ${alias}.endpoint AND p.entity_id = ${alias}.entity_id
            AND (${alias}.window_from IS NULL OR p.ts >= ${alias}.window_from)
            AND (${alias}.window_to IS NULL OR p.ts < ${alias}.window_to)))`;
  }

  // ---- DDL and plumbing ----

  private async migrate(): Promise<void> {
    const s = quoteIdent(this.schema);
    const exists = await this.pool.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_PREFIX + this.schema]);
      if (exists.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.predictions} (
          prediction_id text COLLATE "C" NOT NULL,
          endpoint text NOT NULL,
          model_name text NOT NULL,
          model_version text NOT NULL,
          arm text NOT NULL,
          protocol text NOT NULL,
          ts timestamptz NOT NULL,
          latency_ms double precision NOT NULL,
          request_id text NOT NULL,
          input jsonb NOT NULL,
          output jsonb NOT NULL,
          shadow_of text COLLATE "C",
          entity_id text,
          tags jsonb,
          api_version text,
          job_id text,
          error jsonb
        ) PARTITION BY RANGE (ts)`);
      // Tables created before failed requests were logged; the parent's new column reaches every partition.
      await client.query(`ALTER TABLE ${this.predictions} ADD COLUMN IF NOT EXISTS error jsonb`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS predictions_endpoint_ts ON ${this.predictions} (endpoint, ts)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS predictions_prediction_id ON ${this.predictions} (prediction_id)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS predictions_endpoint_entity ON ${this.predictions} (endpoint, entity_id)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS predictions_endpoint_shadow_of ON ${this.predictions} (endpoint, shadow_of)`,
      );
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.labels} (
          label_id text COLLATE "C" PRIMARY KEY,
          endpoint text NOT NULL,
          prediction_id text COLLATE "C",
          entity_id text,
          window_from timestamptz,
          window_to timestamptz,
          value jsonb NOT NULL,
          received_at timestamptz NOT NULL,
          source text
        )`);
      await client.query(
        `CREATE INDEX IF NOT EXISTS labels_endpoint_prediction ON ${this.labels} (endpoint, prediction_id)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS labels_endpoint_entity ON ${this.labels} (endpoint, entity_id)`,
      );
      await client.query(
        `CREATE INDEX IF NOT EXISTS labels_endpoint_received ON ${this.labels} (endpoint, received_at)`,
      );
    });
  }

  /** The day partitions of `predictions` (by our naming), with their day start. */
  private async listPartitions(client: Pool | PoolClient): Promise<{ name: string; start: number }[]> {
    const { rows } = await client.query<{ relname: string }>(
      `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
       WHERE i.inhparent = to_regclass($1)`,
      [this.predictions],
    );
    const out: { name: string; start: number }[] = [];
    for (const { relname } of rows) {
      const m = PARTITION_NAME.exec(relname);
      if (!m?.[1]) continue;
      const d = m[1];
      const start = Date.parse(`${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6, 8)}T00:00:00Z`);
      if (!Number.isNaN(start)) out.push({ name: relname, start });
    }
    return out;
  }

  private async loadPartitions(): Promise<void> {
    for (const { start } of await this.listPartitions(this.pool)) this.partitions.add(start);
  }

  /** Creates the missing day partitions `records` need, each in a short locked transaction. */
  private async ensurePartitions(records: readonly PredictionRecord[]): Promise<void> {
    const needed = new Map<number, ReturnType<typeof dayOf>>();
    for (const r of records) {
      const day = dayOf(r.timestamp);
      if (!this.partitions.has(day.start)) needed.set(day.start, day);
    }
    for (const day of needed.values()) {
      const next = new Date(day.start + DAY_MS).toISOString().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(next)) throw new Error(`Unexpected day ${next}`);
      const name = `${quoteIdent(this.schema)}.${quoteIdent(`predictions_${day.compact}`)}`;
      try {
        await this.transaction(async (client) => {
          await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [DDL_LOCK_PREFIX + this.schema]);
          // Partition bounds cannot be parameters; both are dates this function formatted.
          await client.query(
            `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${this.predictions}
               FOR VALUES FROM ('${day.iso} 00:00:00+00') TO ('${next} 00:00:00+00')`,
          );
        });
      } catch (error) {
        // A creator that does not take our lock won the race: the partition exists.
        if (pgCode(error) !== '42P07' && pgCode(error) !== '23505') throw error;
      }
      this.partitions.add(day.start);
    }
  }

  private async insertPredictions(records: readonly PredictionRecord[]): Promise<void> {
    const col = <T>(pick: (r: PredictionRecord) => T | undefined) => records.map((r) => pick(r) ?? null);
    await this.pool.query(
      `INSERT INTO ${this.predictions}
         (prediction_id, endpoint, model_name, model_version, arm, protocol, ts, latency_ms, request_id,
          input, output, shadow_of, entity_id, tags, api_version, job_id, error)
       SELECT u.prediction_id, u.endpoint, u.model_name, u.model_version, u.arm, u.protocol,
              to_timestamp(u.ts_ms / 1000.0), u.latency_ms, u.request_id, u.input::jsonb, u.output::jsonb,
              u.shadow_of, u.entity_id, u.tags::jsonb, u.api_version, u.job_id, u.error::jsonb
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::float8[],
                   $8::float8[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
                   $15::text[], $16::text[], $17::text[])
         AS u(prediction_id, endpoint, model_name, model_version, arm, protocol, ts_ms, latency_ms,
              request_id, input, output, shadow_of, entity_id, tags, api_version, job_id, error)`,
      [
        col((r) => r.predictionId),
        col((r) => r.endpoint),
        col((r) => r.modelName),
        col((r) => r.modelVersion),
        col((r) => r.arm),
        col((r) => r.protocol),
        col((r) => r.timestamp),
        col((r) => r.latencyMs),
        col((r) => r.requestId),
        records.map((r) => JSON.stringify(r.input ?? {})),
        records.map((r) => JSON.stringify(r.output ?? {})),
        col((r) => r.shadowOf),
        col((r) => r.entityId),
        records.map((r) => (r.tags === undefined ? null : JSON.stringify(r.tags))),
        col((r) => r.apiVersion),
        col((r) => r.jobId),
        records.map((r) => (r.error === undefined ? null : errorJson(r))),
      ],
    );
  }

  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }
}

function toLoggedPrediction(row: PredictionRow): LoggedPrediction {
  const out: LoggedPrediction = {
    predictionId: row.prediction_id,
    endpoint: row.endpoint,
    modelName: row.model_name,
    modelVersion: row.model_version,
    arm: row.arm as TrafficArm,
    protocol: row.protocol as ServingProtocol,
    timestamp: row.ts_ms,
    latencyMs: row.latency_ms,
    requestId: row.request_id,
    input: row.input,
    output: row.output,
  };
  if (row.shadow_of !== null) out.shadowOf = row.shadow_of;
  if (row.entity_id !== null) out.entityId = row.entity_id;
  if (row.tags !== null) out.tags = row.tags;
  if (row.api_version !== null) out.apiVersion = row.api_version;
  if (row.job_id !== null) out.jobId = row.job_id;
  if (row.error !== null) out.error = { code: row.error.code, message: row.error.message };
  if (row.label_id !== null && row.label_value !== null && row.label_received_ms !== null) {
    out.label = {
      value: row.label_value,
      receivedAt: row.label_received_ms,
      delayMs: row.label_received_ms - row.ts_ms,
      labelId: row.label_id,
    };
  }
  return out;
}

function toLabelRecord(row: LabelRow): LabelRecord {
  const out: LabelRecord = {
    labelId: row.label_id,
    endpoint: row.endpoint,
    value: row.value,
    receivedAt: row.received_ms,
  };
  if (row.prediction_id !== null) out.predictionId = row.prediction_id;
  if (row.entity_id !== null) out.entityId = row.entity_id;
  if (row.from_ms !== null) out.from = row.from_ms;
  if (row.to_ms !== null) out.to = row.to_ms;
  if (row.source !== null) out.source = row.source;
  return out;
}
