/**
 * Opens the one better-sqlite3 connection of a SQLite store, with the durability pragmas and a
 * prepared-statement cache shared by Kysely and the store's hand-written hot paths.
 */
import { closeSync, fdatasync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';
import { SQLITE_MEMORY } from './sql-uri.js';

/** A native connection plus its statement cache; also what Kysely's SqliteDialect executes through. */
export class SqliteStatementCache implements SqliteDatabase {
  /** Insertion-ordered, so the first key is the least recently used. */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private walFd: number | undefined;

  constructor(
    readonly native: BetterSqlite3.Database,
    private readonly capacity = 512,
  ) {}

  /**
   * Flushes the write-ahead log to stable storage on libuv's thread pool, so the event loop keeps
   * serving requests while the disk works. fdatasync acts on the file, not the descriptor, so it
   * covers every frame SQLite wrote before the call. No-op for in-memory databases.
   */
  syncWal(): Promise<void> {
    if (this.native.memory) return Promise.resolve();
    // SQLite creates the -wal file when the database is opened in WAL mode and keeps it while open.
    const fd = (this.walFd ??= openSync(`${this.native.name}-wal`, 'r+'));
    return new Promise((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));
  }

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

  /** Closes the WAL descriptor and the native connection (synchronously: Kysely does not await it). */
  close(): void {
    this.statements.clear();
    if (this.walFd !== undefined) closeSync(this.walFd);
    this.walFd = undefined;
    this.native.close();
  }
}

/**
 * Opens `filename` (creating its directory) in WAL mode with synchronous=NORMAL. NORMAL keeps the
 * database consistent across power loss (SQLite still syncs around every checkpoint) but does not
 * sync the WAL at COMMIT; the group committer does that itself with `syncWal()` before it
 * acknowledges a write, off the event loop, so an acknowledged write is still durable.
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
  native.pragma('synchronous = NORMAL');
  native.pragma('foreign_keys = ON');
  // Other processes (CLI tools, backups) may hold the lock briefly.
  native.pragma('busy_timeout = 5000');
  // Search joins and sorts over thousands of runs; keep their pages and temp b-trees in memory.
  native.pragma('cache_size = -65536');
  native.pragma('temp_store = MEMORY');
}
