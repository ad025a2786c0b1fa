/**
 * Opens the pg connection pool of a PostgreSQL store, optionally confined to one schema.
 */
import { invalidArgument } from '@slipway/contracts';
import type { Pool } from 'pg';

/** Schema names we accept: plain identifiers, so they need no quoting inside `-c search_path=`. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Options for the pool. */
export interface PostgresPoolOptions {
  /** Schema that holds the tables (created if missing); the connection's default when absent. */
  schema?: string;
  /** Maximum pool size (default 10). */
  maxConnections?: number;
}

/** Opens a pool on `connectionString`; with `schema`, every connection's search_path is that schema. */
export async function openPostgresPool(
  connectionString: string,
  options: PostgresPoolOptions = {},
): Promise<Pool> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw invalidArgument('schema', `Invalid PostgreSQL schema name '${schema}'.`);
  }
  // Loaded lazily so a SQLite deployment never loads pg.
  const { default: pg } = await import('pg');
  const pool = new pg.Pool({
    connectionString,
    max: options.maxConnections ?? 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that
  // would crash the process. The pool already discards the client; the next query reconnects.
  pool.on('error', () => undefined);
  if (schema) {
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } catch (err) {
      await pool.end();
      throw err;
    }
  }
  return pool;
}
