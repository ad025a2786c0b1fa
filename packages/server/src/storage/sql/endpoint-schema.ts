/**
 * Endpoint tables: Kysely types and DDL (migration 0005). An endpoint is stored whole as JSON text
 * (`body`); `revision` beside it is what compare-and-set updates match on, and the times are kept
 * as columns for operators reading the table. Reads take everything from `body`.
 */
import type { Kysely } from 'kysely';
import type { Int64Column } from './tracking-schema.js';

/** `endpoints`: one row per endpoint, primary key `name`. */
export interface EndpointsTable {
  name: string;
  /** Bumped by every update; equals the body's `revision`. */
  revision: number;
  created_at: Int64Column;
  updated_at: Int64Column;
  /** The whole Endpoint as JSON. */
  body: string;
}

/** Every endpoint table, as Kysely sees the database. */
export interface EndpointTables {
  endpoints: EndpointsTable;
}

/** Migration 0005: creates the endpoint table (the same DDL on both dialects). */
export async function createEndpointSchema(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('endpoints')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
}
