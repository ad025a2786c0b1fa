/**
 * Webhook tables: Kysely types and DDL (migration 0003). Booleans are smallint 0/1 and JSON is
 * text on both dialects, so rows read back identically from SQLite and PostgreSQL.
 */
import { sql, type Generated, type Kysely } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column, NullableInt64Column } from './tracking-schema.js';

/** The one cursor row: the registry event log is fanned out up to this seq. */
export const REGISTRY_CURSOR = 'registry_events';

/** `webhooks`: one row per subscription; `events` is a JSON array (empty = all types). */
export interface WebhooksTable {
  webhook_id: string;
  url: string;
  events: string;
  model_name: string | null;
  description: string;
  active: number;
  secret: string;
  creation_time: Int64Column;
  last_updated_time: Int64Column;
}

/** `webhook_deliveries`: one event for one webhook, unique per (webhook_id, event_seq). */
export interface WebhookDeliveriesTable {
  delivery_id: string;
  webhook_id: string;
  event_seq: Int64Column;
  event_type: string;
  /** The RegistryEvent as JSON. */
  event: string;
  status: string;
  attempts: number;
  /** Due time while pending (pushed forward by a claim's lease); null once finished. */
  next_attempt_at: NullableInt64Column;
  /** Set by a claim; only its holder may record the attempt. */
  lease_token: string | null;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_time: NullableInt64Column;
  creation_time: Int64Column;
}

/** `webhook_attempts`: the attempt log, ordered by `attempt_id`. */
export interface WebhookAttemptsTable {
  attempt_id: Generated<number | string>;
  delivery_id: string;
  attempt: number;
  attempted_at: Int64Column;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
}

/** `webhook_cursors`: named fan-out cursors (one today). */
export interface WebhookCursorsTable {
  name: string;
  last_seq: Int64Column;
}

/** Every webhook table, as Kysely sees the database. */
export interface WebhookTables {
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  webhook_cursors: WebhookCursorsTable;
}

/** Migration 0003: creates the webhook tables and the registry cursor at 0. */
export async function createWebhookSchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  await db.schema
    .createTable('webhooks')
    .addColumn('webhook_id', 'text', (c) => c.primaryKey())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text')
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('active', 'smallint', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .execute();
  await createDeliveries(db);
  await createAttempts(db, dialect);
  await db.schema
    .createTable('webhook_cursors')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .execute();
  // Created here, so fan-out only ever updates it and can lock it on PostgreSQL.
  await sql`INSERT INTO webhook_cursors (name, last_seq) VALUES (${REGISTRY_CURSOR}, 0)`.execute(db);
}

async function createDeliveries(db: Kysely<unknown>): Promise<void> {
  // No foreign key: deleteWebhook removes deliveries itself, in its transaction.
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('delivery_id', 'text', (c) => c.primaryKey())
    .addColumn('webhook_id', 'text', (c) => c.notNull())
    .addColumn('event_seq', 'bigint', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('lease_token', 'text')
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_attempt_time', 'bigint')
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    // Makes fan-out idempotent (ON CONFLICT DO NOTHING) and serves the per-webhook listing by seq.
    .addUniqueConstraint('webhook_deliveries_webhook_event_uq', ['webhook_id', 'event_seq'])
    .execute();
  // The claim scans pending deliveries by due time.
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['status', 'next_attempt_at'])
    .execute();
}

async function createAttempts(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // A database-assigned id orders the log even when two attempts share a millisecond.
  const table =
    dialect === 'sqlite'
      ? db.schema
          .createTable('webhook_attempts')
          .addColumn('attempt_id', 'integer', (c) => c.primaryKey().autoIncrement())
      : db.schema
          .createTable('webhook_attempts')
          .addColumn('attempt_id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  await table
    .addColumn('delivery_id', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('attempted_at', 'bigint', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('webhook_attempts_delivery_idx')
    .on('webhook_attempts')
    .columns(['delivery_id', 'attempt_id'])
    .execute();
}
