/**
 * The PostgreSQL backend: a pg pool, one ordinary transaction per write (the server group-commits
 * WAL flushes across connections itself), bulk statements over unnest() of array parameters.
 */
import type { Metric, StringMap } from '@slipway/contracts';
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { StringComparator } from '../../tracking/search-types.js';
import type { PageRequest } from '../../tracking/tracking-store.js';
import { normalizeLikePattern } from './like-patterns.js';
import { metricsFromColumns } from './row-mappers.js';
import type { MetricRow, SqlBackend, SqlConn } from './sql-backend.js';
import type { PostgresSqlDatabase } from './sql-database.js';

/** The history columns as pg returns them (json is parsed by the driver). */
interface HistoryColumns {
  steps: number[];
  timestamps: number[];
  vals: (number | string | null)[];
}

/** Column arrays of metric rows, the parameters of the unnest() statements (constant parameter count). */
function metricArrays(rows: readonly MetricRow[]): [string[], number[], number[], number[], number[]] {
  return [
    rows.map((r) => r.key),
    rows.map((r) => r.step),
    rows.map((r) => r.timestamp),
    rows.map((r) => r.value),
    rows.map((r) => r.isNan),
  ];
}

/** PostgreSQL implementation of the dialect-specific store behaviour. */
export class PostgresBackend implements SqlBackend {
  readonly dialect = 'postgres';

  /** Work started and not yet settled: close() lets it finish before ending the pool. */
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly database: PostgresSqlDatabase) {}

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = (): void => {
      this.inFlight.delete(work);
    };
    work.then(forget, forget);
    return work;
  }

  /** The Kysely instance over the pool. */
  get db(): SqlConn {
    return this.database.db;
  }

  /** One transaction on one pooled connection; COMMIT waits for the WAL flush (synchronous_commit). */
  write<T>(work: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.track(this.database.db.transaction().execute(work));
  }

  /** Reads go straight to the pool (read committed per statement, like MLflow). */
  read<T>(work: (conn: SqlConn) => Promise<T>): Promise<T> {
    return this.track(work(this.database.db));
  }

  /** One statement for the whole batch: arrays travel as single parameters, so no parameter limit applies. */
  async insertMetrics(conn: SqlConn, runId: string, rows: readonly MetricRow[]): Promise<void> {
    const [keys, steps, timestamps, values, nans] = metricArrays(rows);
    await sql`INSERT INTO metrics (run_id, key, step, "timestamp", value, is_nan)
      SELECT ${runId}, * FROM unnest(${keys}::text[], ${steps}::bigint[], ${timestamps}::bigint[],
        ${values}::float8[], ${nans}::smallint[])
      ON CONFLICT DO NOTHING`.execute(conn);
  }

  /** One upsert for all keys; `rows` has one row per key, as ON CONFLICT DO UPDATE requires. */
  async upsertLatestMetrics(conn: SqlConn, runId: string, rows: readonly MetricRow[]): Promise<void> {
    const [keys, steps, timestamps, values, nans] = metricArrays(rows);
    await sql`INSERT INTO latest_metrics (run_id, key, step, "timestamp", value, is_nan)
      SELECT ${runId}, * FROM unnest(${keys}::text[], ${steps}::bigint[], ${timestamps}::bigint[],
        ${values}::float8[], ${nans}::smallint[])
      ON CONFLICT (run_id, key) DO UPDATE SET step = excluded.step, "timestamp" = excluded."timestamp",
        value = excluded.value, is_nan = excluded.is_nan
      WHERE (excluded.step, excluded."timestamp", excluded.value)
          > (latest_metrics.step, latest_metrics."timestamp", latest_metrics.value)`.execute(conn);
  }

  /**
   * History as three JSON arrays: far cheaper than one pg row (with bigint strings) per observation.
   * The aggregates read the ordered, limited subquery in its order (an ORDER BY inside the
   * aggregate would sort all rows a second time on PostgreSQL 15).
   */
  async metricHistory(conn: SqlConn, runId: string, key: string, page: PageRequest): Promise<Metric[]> {
    const { rows } = await sql<HistoryColumns>`SELECT coalesce(json_agg(step), '[]') AS steps,
        coalesce(json_agg("timestamp"), '[]') AS timestamps,
        coalesce(json_agg(CASE WHEN is_nan = 1 THEN NULL ELSE value END), '[]') AS vals
      FROM (SELECT step, "timestamp", value, is_nan FROM metrics WHERE run_id = ${runId} AND key = ${key}
        ORDER BY step, "timestamp", value, is_nan LIMIT ${page.limit} OFFSET ${page.offset}) page`.execute(
      conn,
    );
    const row = rows[0];
    return row === undefined ? [] : metricsFromColumns(key, row.steps, row.timestamps, row.vals);
  }

  /** Native LIKE / ILIKE; their default escape character is already the backslash. */
  textMatch(column: Expression<unknown>, comparator: StringComparator, value: string): RawBuilder<SqlBool> {
    switch (comparator) {
      case '=':
        return sql<SqlBool>`${column} = ${value}`;
      case '!=':
        return sql<SqlBool>`${column} <> ${value}`;
      case 'LIKE':
        return sql<SqlBool>`${column} LIKE ${normalizeLikePattern(value)}`;
      case 'ILIKE':
        return sql<SqlBool>`${column} ILIKE ${normalizeLikePattern(value)}`;
    }
  }

  /** `json_object_agg`, which node-postgres hands back already parsed. */
  keyValueObject(key: Expression<unknown>, value: Expression<unknown>): RawBuilder<unknown> {
    return sql`json_object_agg(${key}, ${value})`;
  }

  keyValueObjectOf(raw: unknown): StringMap {
    return (typeof raw === 'string' ? JSON.parse(raw) : raw) as StringMap;
  }

  /** One array parameter, so the statement text does not depend on the list length. */
  inList(column: Expression<unknown>, values: readonly string[] | readonly number[]): RawBuilder<SqlBool> {
    const arrayType = sql.raw(typeof values[0] === 'number' ? 'bigint[]' : 'text[]');
    return sql<SqlBool>`${column} = ANY(${values}::${arrayType})`;
  }

  /** The "C" collation sorts by code point, as SQLite does, whatever the database locale. */
  sortableText(column: Expression<unknown>): RawBuilder<unknown> {
    return sql`${column} COLLATE "C"`;
  }

  /** SQLSTATE 23505 is unique_violation. */
  isUniqueViolation(error: unknown): boolean {
    return (error as { code?: unknown } | null)?.code === '23505';
  }

  /** Lets started work settle (pool.end() would strand a transaction still waiting for a client), then ends the pool. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
    await this.database.close();
  }
}
