/**
 * Job tables: Kysely types and DDL (migration 0006). Booleans are smallint 0/1, JSON is text and
 * times are bigint ms on both dialects, so rows read back identically from SQLite and PostgreSQL.
 */
import { sql, type Kysely } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column, NullableInt64Column } from './tracking-schema.js';

/** `jobs`: one row per job; progress is summed from its partitions, not stored here. */
export interface JobsTable {
  id: string;
  kind: string;
  state: string;
  /** The kind's payload as JSON. */
  payload: string;
  created_at: Int64Column;
  updated_at: Int64Column;
  started_at: NullableInt64Column;
  finished_at: NullableInt64Column;
  max_attempts: number;
  cancel_requested: number;
  error_code: string | null;
  error_message: string | null;
  /** The job's result as JSON, once it succeeded. */
  result: string | null;
  rows_total: NullableInt64Column;
}

/** `job_partitions`: one row range of a job, primary key (job_id, idx). */
export interface JobPartitionsTable {
  job_id: string;
  idx: number;
  state: string;
  row_start: Int64Column;
  row_end: Int64Column;
  attempts: number;
  committed_chunks: number;
  rows_done: Int64Column;
  rows_rejected: Int64Column;
  /** Set while running, with the attempt's token and lease; null otherwise. */
  worker: string | null;
  attempt_token: string | null;
  lease_expires_at: NullableInt64Column;
  error_code: string | null;
  error_message: string | null;
}

/** `job_chunks`: the chunks partitions committed, primary key (job_id, partition, chunk). */
export interface JobChunksTable {
  job_id: string;
  partition: number;
  chunk: number;
  rows: Int64Column;
  rejected: Int64Column;
  file: string;
  rejects_file: string | null;
}

/** Every job table, as Kysely sees the database. */
export interface JobTables {
  jobs: JobsTable;
  job_partitions: JobPartitionsTable;
  job_chunks: JobChunksTable;
}

/** Migration 0006: creates the job tables (the same DDL on both dialects). */
export async function createJobSchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  await createJobs(db);
  // Both tables are read by their composite key prefix (job_id); on SQLite storing them as that
  // key's b-tree saves the rowid indirection.
  const compact = dialect === 'sqlite' ? sql`without rowid` : sql``;
  await db.schema
    .createTable('job_partitions')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
    .addColumn('idx', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('row_start', 'bigint', (c) => c.notNull())
    .addColumn('row_end', 'bigint', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('committed_chunks', 'integer', (c) => c.notNull())
    .addColumn('rows_done', 'bigint', (c) => c.notNull())
    .addColumn('rows_rejected', 'bigint', (c) => c.notNull())
    .addColumn('worker', 'text')
    .addColumn('attempt_token', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addPrimaryKeyConstraint('job_partitions_pk', ['job_id', 'idx'])
    .modifyEnd(compact)
    .execute();
  await db.schema
    .createTable('job_chunks')
    .addColumn('job_id', 'text', (c) => c.notNull().references('jobs.id'))
    .addColumn('partition', 'integer', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addColumn('rows', 'bigint', (c) => c.notNull())
    .addColumn('rejected', 'bigint', (c) => c.notNull())
    .addColumn('file', 'text', (c) => c.notNull())
    .addColumn('rejects_file', 'text')
    .addPrimaryKeyConstraint('job_chunks_pk', ['job_id', 'partition', 'chunk'])
    .modifyEnd(compact)
    .execute();
}

async function createJobs(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('cancel_requested', 'smallint', (c) => c.notNull())
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('result', 'text')
    .addColumn('rows_total', 'bigint')
    .execute();
  // The listing walks jobs newest first (created_at DESC, id) and stops at the page size; a
  // kind or state filter walks its own index in the same order.
  await db.schema.createIndex('jobs_created_idx').on('jobs').columns(['created_at desc', 'id']).execute();
  for (const column of ['kind', 'state']) {
    await db.schema
      .createIndex(`jobs_${column}_created_idx`)
      .on('jobs')
      .columns([column, 'created_at desc', 'id'])
      .execute();
  }
}
