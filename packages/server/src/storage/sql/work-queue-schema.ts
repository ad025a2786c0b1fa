/**
 * The embedded work queue's table: Kysely types and DDL (migration 0007). The item is JSON text
 * and times are epoch milliseconds on both dialects, so rows read back identically from SQLite and
 * PostgreSQL.
 */
import type { Kysely } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column, NullableInt64Column } from './tracking-schema.js';

/**
 * The states of a work item row; acknowledged items are deleted, not kept as `done`. `dying` is
 * out of attempts with `onDead` not yet confirmed: it stays leased so that, if the process dies
 * before `onDead` returns, another consumer finds the lapsed lease and calls `onDead` again.
 */
export type WorkItemState = 'available' | 'leased' | 'dying' | 'dead';

/** `work_items`: one row per enqueued item until it is acknowledged. */
export interface WorkItemsTable {
  id: string;
  queue: string;
  /** The WorkItem as JSON. */
  item: string;
  state: WorkItemState;
  /** Deliveries started so far (the claim counts them). */
  attempts: number;
  max_attempts: number;
  retry_delay_ms: number;
  /** Set: delays double per attempt up to this (migration 0009); null: a fixed `retry_delay_ms`. */
  retry_delay_max_ms: number | null;
  lease_ms: number;
  /** When an `available` item may be claimed. */
  available_at: Int64Column;
  lease_owner: string | null;
  /** Set by each claim; only its holder may renew, acknowledge or fail the delivery. */
  lease_token: string | null;
  lease_expires_at: NullableInt64Column;
  last_error: string | null;
  created_at: Int64Column;
}

/** The work queue table, as Kysely sees the database (a type alias: `withTables` needs an index signature). */
export type WorkQueueTables = {
  work_items: WorkItemsTable;
};

/** Migration 0007: creates `work_items` and the index the claim scans. */
export async function createWorkQueueSchema(db: Kysely<unknown>, _dialect: SqlDialectName): Promise<void> {
  // Nothing differs between the dialects yet (ids are UUIDs made by the queue); the dialect is
  // taken like every other schema module's so a later change need not touch the migration list.
  await db.schema
    .createTable('work_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('queue', 'text', (c) => c.notNull())
    .addColumn('item', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('retry_delay_ms', 'integer', (c) => c.notNull())
    .addColumn('lease_ms', 'integer', (c) => c.notNull())
    .addColumn('available_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_token', 'text')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  // The claim looks up one queue's available items by due time and its leased items by expiry.
  await db.schema
    .createIndex('work_items_queue_available_idx')
    .on('work_items')
    .columns(['queue', 'state', 'available_at'])
    .execute();
  await db.schema
    .createIndex('work_items_queue_lease_idx')
    .on('work_items')
    .columns(['queue', 'state', 'lease_expires_at'])
    .execute();
}
