/**
 * Everything dialect-specific the tracking store needs, behind one interface: how writes and reads
 * are scoped to transactions, the bulk statements of the hot paths, and SQL fragments whose
 * spelling differs between SQLite and PostgreSQL. The store itself is dialect-agnostic.
 */
import type { Metric, StringMap } from '@slipway/contracts';
import type { Expression, Kysely, RawBuilder, SqlBool } from 'kysely';
import type { StringComparator } from '../../tracking/search-types.js';
import type { PageRequest } from '../../tracking/tracking-store.js';
import type { SqlDialectName } from './sql-uri.js';
import type { TrackingDatabase } from './tracking-schema.js';

/** A connection (or transaction) scoped to one unit of work. */
export type SqlConn = Kysely<TrackingDatabase>;

/** A metric observation as stored: NaN is `value = 0, isNan = 1` (SQLite would turn NaN into NULL). */
export interface MetricRow {
  key: string;
  value: number;
  isNan: 0 | 1;
  timestamp: number;
  step: number;
}

/** Dialect-specific behaviour of the SQL tracking store. */
export interface SqlBackend {
  readonly dialect: SqlDialectName;
  /** The database, for statements that are the same on both dialects. */
  readonly db: Kysely<TrackingDatabase>;

  /** Runs `work` in a transaction; resolves only once that transaction is committed and durable. */
  write<T>(work: (conn: SqlConn) => Promise<T>): Promise<T>;
  /** Runs several reads that should see one state of the database. */
  read<T>(work: (conn: SqlConn) => Promise<T>): Promise<T>;

  /** Appends metric observations; identical observations already stored are skipped. */
  insertMetrics(conn: SqlConn, runId: string, rows: readonly MetricRow[]): Promise<void>;
  /** Raises each key's latest metric to `rows` (one per key) where they are later by (step, timestamp, value). */
  upsertLatestMetrics(conn: SqlConn, runId: string, rows: readonly MetricRow[]): Promise<void>;
  /** One page of a metric's history ordered by step, timestamp, value. */
  metricHistory(conn: SqlConn, runId: string, key: string, page: PageRequest): Promise<Metric[]>;

  /** `column <comparator> value`, with LIKE case-sensitive and ILIKE case-insensitive. */
  textMatch(column: Expression<unknown>, comparator: StringComparator, value: string): RawBuilder<SqlBool>;
  /** `column IN (values)` as a statement whose text does not depend on how many values there are. */
  inList(column: Expression<unknown>, values: readonly string[] | readonly number[]): RawBuilder<SqlBool>;
  /**
   * An aggregate of a group's `key`/`value` text columns as one JSON object (keys unique in the
   * group); read it back with `keyValueObjectOf`.
   */
  keyValueObject(key: Expression<unknown>, value: Expression<unknown>): RawBuilder<unknown>;
  /** A `keyValueObject` as the driver returned it (JSON text, or already parsed), as a map. */
  keyValueObjectOf(raw: unknown): StringMap;
  /** A text expression to ORDER BY so both dialects sort by code point, not by locale. */
  sortableText(column: Expression<unknown>): RawBuilder<unknown>;
  /** True when `error` is a unique or primary key violation. */
  isUniqueViolation(error: unknown): boolean;

  /** Waits for pending writes, then releases connections. */
  close(): Promise<void>;
}
