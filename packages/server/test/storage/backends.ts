/**
 * SQL backends for store tests: SQLite always (a file in a fresh temp dir), PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (a fresh randomly named schema per database, dropped after, so
 * concurrent test runs on the same server never see each other).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import {
  openSqlBackend,
  openSqlTrackingStore,
  type OpenSqlTrackingStoreOptions,
  type SqlTrackingStore,
} from '../../src/storage/sql/sql-tracking-store.js';

/** Connection URL of the PostgreSQL server to test against, if any. */
export const TEST_POSTGRES_URL = process.env['SLIPWAY_TEST_POSTGRES_URL'];

/** One empty database: open stores on it (again and again), then dispose of it. */
export interface TestDatabase {
  /** What openSqlTrackingStore receives. */
  readonly options: OpenSqlTrackingStoreOptions;
  /** Opens a store on this database; close it before disposing. */
  open(): Promise<SqlTrackingStore>;
  /** Opens a bare migrated backend on this database (for the registry and webhook stores); close it before disposing. */
  openBackend(): Promise<SqlBackend>;
  /** Deletes the database (file or schema). */
  dispose(): Promise<void>;
}

/** A kind of database the tests can create. */
export interface TestBackend {
  readonly name: 'sqlite' | 'postgres';
  /** Creates a fresh, empty database. */
  createDatabase(): Promise<TestDatabase>;
}

/** SQLite: a database file in its own temp directory. */
export const sqliteTestBackend: TestBackend = {
  name: 'sqlite',
  async createDatabase() {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-store-'));
    const options = { uri: `sqlite:${join(dir, 'tracking.db')}` };
    return {
      options,
      open: () => openSqlTrackingStore(options),
      openBackend: () => openSqlBackend(options.uri),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  },
};

/** PostgreSQL on `url`: a fresh schema named `slipway_test_<random>`. */
export function postgresTestBackend(url: string): TestBackend {
  return {
    name: 'postgres',
    async createDatabase() {
      const schema = `slipway_test_${randomBytes(6).toString('hex')}`;
      const options = { uri: url, schema };
      return {
        options,
        open: () => whileMigrationsAllowed(url, () => openSqlTrackingStore(options)),
        openBackend: () => whileMigrationsAllowed(url, () => openSqlBackend(url, schema)),
        dispose: () => dropTestSchema(url, schema),
      };
    },
  };
}

/**
 * Kysely's migrator introspects every schema of the database, and fails when another test file drops
 * its schema mid-scan. Migrations (opening a store) hold this advisory lock shared, drops hold it
 * exclusively, so parallel test files on one server never see each other's schemas vanish.
 */
const SCHEMA_LOCK = 7_314_001;

async function withPgClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `open` (which migrates a schema) while no other test file may drop one. */
export function whileMigrationsAllowed<T>(url: string, open: () => Promise<T>): Promise<T> {
  return withPgClient(url, async (client) => {
    await client.query('SELECT pg_advisory_lock_shared($1)', [SCHEMA_LOCK]);
    return open();
  });
}

/** Drops a test schema once no other test file is migrating. */
export function dropTestSchema(url: string, schema: string): Promise<void> {
  return withPgClient(url, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
}

/** The backends to run store suites against: SQLite, plus PostgreSQL when configured. */
export function testBackends(): TestBackend[] {
  return TEST_POSTGRES_URL
    ? [sqliteTestBackend, postgresTestBackend(TEST_POSTGRES_URL)]
    : [sqliteTestBackend];
}
