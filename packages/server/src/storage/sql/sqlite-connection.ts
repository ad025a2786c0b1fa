/**
 * Opens the one better-sqlite3 connection of a SQLite store, with the durability pragmas and a
 * prepared-statement cache shared by Kysely and the store's hand-written hot paths.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { SQLITE_MEMORY } from './sql-uri.js';

/** A native connection plus its statement cache; also what Kysely's SqliteDialect executes through. */
export class SqliteStatementCache implements SqliteDatabase {
  /** Insertion-ordered, so the first key is the least recently used. */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  constructor(
    readonly native: BetterSqlite3.Database,
    private readonly capacity = 512,
  ) {}

  /** Returns a prepared statement for `sql`, preparing it on first use (preparing costs ~10 µs). */
  prepare(sql: string): BetterSqlite3.Statement {
    const cached = this.statements.get(sql);
    if (cached) {
      this.statements.delete(sql);
      this.statements.set(sql, cached);
      return cached;
    }
    const statement = this.native.prepare(sql);
    this.statements.set(sql, statement);
    if (this.statements.size > this.capacity) {
      const oldest = this.statements.keys().next().value;
      if (oldest !== undefined) this.statements.delete(oldest);
    }
    return statement;
  }

  /** Closes the native connection. */
  close(): void {
    this.statements.clear();
    this.native.close();
  }
}

/**
 * Opens `filename` (creating its directory) in WAL mode with synchronous=FULL: in WAL mode NORMAL
 * only syncs at checkpoints, so a commit acknowledged just before a power loss could vanish; FULL
 * syncs the WAL on every commit, and group commit keeps that affordable.
 */
export async function openSqliteConnection(filename: string): Promise<SqliteStatementCache> {
  // Loaded lazily so a PostgreSQL deployment never loads the native SQLite addon.
  const { default: Database } = await import('better-sqlite3');
  if (filename !== SQLITE_MEMORY) mkdirSync(dirname(filename), { recursive: true });
  const native = new Database(filename);
  try {
    applyPragmas(native, filename === SQLITE_MEMORY);
  } catch (err) {
    native.close();
    throw err;
  }
  return new SqliteStatementCache(native);
}

function applyPragmas(native: BetterSqlite3.Database, inMemory: boolean): void {
  if (!inMemory) {
    const mode: unknown = native.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`SQLite refused WAL mode (journal_mode=${String(mode)}).`);
  }
  native.pragma('synchronous = FULL');
  native.pragma('foreign_keys = ON');
  // Other processes (CLI tools, backups) may hold the lock briefly.
  native.pragma('busy_timeout = 5000');
  // Search joins and sorts over thousands of runs; keep their pages and temp b-trees in memory.
  native.pragma('cache_size = -65536');
  native.pragma('temp_store = MEMORY');
}
