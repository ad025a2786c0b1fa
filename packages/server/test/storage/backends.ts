/**
 * SQL backends for store tests: SQLite always (a file in a fresh temp dir), PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (a fresh randomly named schema per database, dropped after, so
 * concurrent test runs on the same server never see each other).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from 'pg';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll } from 'vitest';
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

/**
 * Schemas this test file has finished with, still migrated: the next database reuses one, emptied,
 * instead of migrating a new schema (half a second per test on PostgreSQL, most of the store
 * suites' time). They are dropped when the file ends, with the pristine schema they are reset from.
 */
const spareSchemas: { url: string; schema: string }[] = [];
const pristineSchemas = new Map<string, Promise<Pristine>>();

/** A schema migrated and never written to, and its tables holding rows (the migrations' seeds). */
interface Pristine {
  schema: string;
  seeded: string[];
}

afterAll(async () => {
  for (const { url, schema } of spareSchemas.splice(0)) await dropTestSchema(url, schema);
  for (const [url, pristine] of pristineSchemas) await dropTestSchema(url, (await pristine).schema);
  pristineSchemas.clear();
});

/**
 * PostgreSQL on `url`: a schema named `slipway_test_<random>`, new, or a spare one reset to what a
 * new one holds (every table emptied, identities restarted, the migrations' seed rows copied back
 * from a pristine schema).
 */
export function postgresTestBackend(url: string): TestBackend {
  return {
    name: 'postgres',
    async createDatabase() {
      const spare = spareSchemas.findIndex((s) => s.url === url);
      const schema =
        spare >= 0
          ? (spareSchemas.splice(spare, 1)[0] as { schema: string }).schema
          : `slipway_test_${randomBytes(6).toString('hex')}`;
      if (spare >= 0) await resetSchema(url, schema);
      const options = { uri: url, schema };
      return {
        options,
        open: () => whileMigrationsAllowed(url, () => openSqlTrackingStore(options)),
        openBackend: () => whileMigrationsAllowed(url, () => openSqlBackend(url, schema)),
        dispose: async () => {
          spareSchemas.push({ url, schema });
        },
      };
    },
  };
}

function pristineSchema(url: string): Promise<Pristine> {
  let pristine = pristineSchemas.get(url);
  if (pristine === undefined) {
    pristine = (async () => {
      const schema = `slipway_test_${randomBytes(6).toString('hex')}`;
      const backend = await whileMigrationsAllowed(url, () => openSqlBackend(url, schema));
      await backend.close();
      const seeded = await withPgClient(url, async (client) => {
        const tables = await schemaTables(client, schema);
        const counts = await Promise.all(
          tables.map(
            async (t) => (await client.query(`SELECT 1 FROM ${qualified(schema, t)} LIMIT 1`)).rowCount,
          ),
        );
        return tables.filter((_, i) => (counts[i] ?? 0) > 0);
      });
      return { schema, seeded };
    })();
    pristineSchemas.set(url, pristine);
  }
  return pristine;
}

/** Empties every table of `schema` but the migrator's, then copies the seed rows back in. */
async function resetSchema(url: string, schema: string): Promise<void> {
  const pristine = await pristineSchema(url);
  await withPgClient(url, async (client) => {
    const tables = await schemaTables(client, schema);
    if (tables.length === 0) return;
    await client.query(
      `TRUNCATE ${tables.map((t) => qualified(schema, t)).join(', ')} RESTART IDENTITY CASCADE`,
    );
    for (const table of pristine.seeded) {
      await client.query(
        `INSERT INTO ${qualified(schema, table)} OVERRIDING SYSTEM VALUE SELECT * FROM ${qualified(pristine.schema, table)}`,
      );
    }
  });
}

async function schemaTables(client: Client, schema: string): Promise<string[]> {
  const { rows } = await client.query<{ tablename: string }>(
    "SELECT tablename FROM pg_tables WHERE schemaname = $1 AND tablename NOT LIKE 'slipway_migration%' ORDER BY tablename",
    [schema],
  );
  return rows.map((r) => r.tablename);
}

function qualified(schema: string, table: string): string {
  return `"${schema}"."${table.replaceAll('"', '""')}"`;
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
