/**
 * Opens a migrated SQL database from a backend store URI: a Kysely instance plus the native handle
 * of its dialect. The driver of the other dialect is never loaded.
 */
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Pool } from 'pg';
import { migrateToLatest } from './migrations.js';
import { openPostgresPool } from './postgres-connection.js';
import { openSqliteConnection, type SqliteStatementCache } from './sqlite-connection.js';
import { parseSqlUri, SQLITE_MEMORY } from './sql-uri.js';
import type { TrackingDatabase } from './tracking-schema.js';

/** Options for opening a database. */
export interface OpenSqlDatabaseOptions {
  /** PostgreSQL only: schema that holds the tables (created if missing). Ignored for SQLite. */
  schema?: string;
}

/** Fields every opened database has. */
interface SqlDatabaseBase {
  /** Query builder and executor. On SQLite it serializes all use of the single connection. */
  readonly db: Kysely<TrackingDatabase>;
  /** Releases the connection(s). */
  close(): Promise<void>;
}

/** An opened SQLite database. */
export interface SqliteSqlDatabase extends SqlDatabaseBase {
  readonly dialect: 'sqlite';
  /**
   * The native connection with its statement cache. Only use it while holding the connection
   * through `db` (inside `db.connection().execute(...)` or a transaction), never on its own.
   */
  readonly statements: SqliteStatementCache;
  /** False for `:memory:` databases, where nothing survives the process. */
  readonly durable: boolean;
}

/** An opened PostgreSQL database. */
export interface PostgresSqlDatabase extends SqlDatabaseBase {
  readonly dialect: 'postgres';
  readonly pool: Pool;
  /** The schema holding the tables (the option, else the connection's current schema). */
  readonly schema: string;
}

/** An opened, migrated database of either dialect. */
export type SqlDatabase = SqliteSqlDatabase | PostgresSqlDatabase;

/** Opens the database named by `uri` (`sqlite:...` or `postgres[ql]://...`) and migrates it to the latest schema. */
export async function openSqlDatabase(
  uri: string,
  options: OpenSqlDatabaseOptions = {},
): Promise<SqlDatabase> {
  const target = parseSqlUri(uri);
  const database: SqlDatabase =
    target.dialect === 'sqlite'
      ? await openSqlite(target.filename)
      : await openPostgres(target.connectionString, options.schema);
  try {
    const schema = database.dialect === 'postgres' ? database.schema : undefined;
    await migrateToLatest(database.db as Kysely<unknown>, database.dialect, schema);
  } catch (err) {
    await database.close();
    throw err;
  }
  return database;
}

async function openSqlite(filename: string): Promise<SqliteSqlDatabase> {
  const statements = await openSqliteConnection(filename);
  const db = new Kysely<TrackingDatabase>({ dialect: new SqliteDialect({ database: statements }) });
  return {
    dialect: 'sqlite',
    db,
    statements,
    durable: filename !== SQLITE_MEMORY,
    close: () => db.destroy(),
  };
}

async function openPostgres(
  connectionString: string,
  schema: string | undefined,
): Promise<PostgresSqlDatabase> {
  const pool = await openPostgresPool(connectionString, schema === undefined ? {} : { schema });
  const db = new Kysely<TrackingDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    const current = schema ?? (await pool.query<{ s: string }>('SELECT current_schema() AS s')).rows[0]?.s;
    if (!current) throw new Error('The PostgreSQL connection has no current schema (check search_path).');
    return { dialect: 'postgres', db, pool, schema: current, close: () => db.destroy() };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}
