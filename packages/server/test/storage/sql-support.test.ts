/**
 * Small pieces of the SQL storage: URI parsing, LIKE → GLOB translation, and what opening a
 * database guarantees (pragmas, migrations, schemas).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { likeToGlob, normalizeLikePattern } from '../../src/storage/sql/like-patterns.js';
import { openSqlDatabase } from '../../src/storage/sql/sql-database.js';
import { openSqlTrackingStore } from '../../src/storage/sql/sql-tracking-store.js';
import { parseSqlUri } from '../../src/storage/sql/sql-uri.js';
import { dropTestSchema, TEST_POSTGRES_URL, whileMigrationsAllowed } from './backends.js';

describe('parseSqlUri', () => {
  test.each([
    ['sqlite:/abs/path.db', { dialect: 'sqlite', filename: '/abs/path.db' }],
    ['sqlite:relative.db', { dialect: 'sqlite', filename: 'relative.db' }],
    ['sqlite::memory:', { dialect: 'sqlite', filename: ':memory:' }],
    ['sqlite:////abs/path.db', { dialect: 'sqlite', filename: '/abs/path.db' }],
    ['sqlite:///relative.db', { dialect: 'sqlite', filename: 'relative.db' }],
    ['sqlite://', { dialect: 'sqlite', filename: ':memory:' }],
    ['sqlite:/with%20space.db', { dialect: 'sqlite', filename: '/with space.db' }],
    ['postgresql://u@h:5432/db', { dialect: 'postgres', connectionString: 'postgresql://u@h:5432/db' }],
    ['postgres://h/db', { dialect: 'postgres', connectionString: 'postgres://h/db' }],
  ])('%s', (uri, expected) => {
    expect(parseSqlUri(uri)).toEqual(expected);
  });

  test('other schemes and SQLite query strings are INVALID_ARGUMENT', () => {
    expect(() => parseSqlUri('mysql://h/db')).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => parseSqlUri('sqlite:/a.db?mode=ro')).toThrow(
      expect.objectContaining({ code: 'INVALID_ARGUMENT' }),
    );
  });
});

describe('LIKE patterns', () => {
  test.each([
    ['abc', 'abc'],
    ['a%c', 'a*c'],
    ['a_c', 'a?c'],
    ['a*c', 'a[*]c'],
    ['a?c', 'a[?]c'],
    ['a[b]c', 'a[[]b]c'],
    ['50\\%', '50%'],
    ['a\\_b', 'a_b'],
    ['a\\\\b', 'a\\b'],
    ['a\\*', 'a[*]'],
    ['end\\', 'end\\'],
    ['ü_%', 'ü?*'],
  ])('likeToGlob(%j) = %j', (like, glob) => {
    expect(likeToGlob(like)).toBe(glob);
  });

  test('a trailing lone backslash becomes a literal backslash', () => {
    expect(normalizeLikePattern('a\\')).toBe('a\\\\');
    expect(normalizeLikePattern('a\\\\')).toBe('a\\\\');
    expect(normalizeLikePattern('a')).toBe('a');
  });
});

describe('openSqlDatabase (SQLite)', () => {
  test('a file database runs in WAL mode with synchronous=FULL and foreign keys on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'slipway-open-'));
    try {
      const database = await openSqlDatabase(`sqlite:${join(dir, 'nested', 'x.db')}`);
      if (database.dialect !== 'sqlite') throw new Error('expected SQLite');
      const pragma = (name: string): unknown => database.statements.native.pragma(name, { simple: true });
      expect(pragma('journal_mode')).toBe('wal');
      expect(pragma('synchronous')).toBe(2);
      expect(pragma('foreign_keys')).toBe(1);
      expect(database.durable).toBe(true);
      await database.close();
      // Reopening applies no migration twice and keeps the data.
      const store = await openSqlTrackingStore({ uri: `sqlite:${join(dir, 'nested', 'x.db')}` });
      expect((await store.getExperiment('0'))?.name).toBe('Default');
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('sqlite::memory: works (not durable) and names the Default location with the callback', async () => {
    const store = await openSqlTrackingStore({
      uri: 'sqlite::memory:',
      defaultArtifactLocation: (id) => `file:///a/${id}`,
    });
    expect(await store.getExperiment('0')).toMatchObject({
      name: 'Default',
      artifactLocation: 'file:///a/0',
    });
    await store.close();
  });

  test('the default location of the Default experiment is mlflow-artifacts:/0', async () => {
    const store = await openSqlTrackingStore({ uri: 'sqlite::memory:' });
    expect((await store.getExperiment('0'))?.artifactLocation).toBe('mlflow-artifacts:/0');
    await store.close();
  });
});

describe.skipIf(!TEST_POSTGRES_URL)('openSqlDatabase (PostgreSQL)', () => {
  test('the schema option confines the tables to a schema of their own', async () => {
    const url = TEST_POSTGRES_URL as string;
    const schema = `slipway_test_${randomBytes(6).toString('hex')}`;
    const database = await whileMigrationsAllowed(url, () => openSqlDatabase(url, { schema }));
    try {
      if (database.dialect !== 'postgres') throw new Error('expected PostgreSQL');
      const { rows } = await database.pool.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema],
      );
      expect(rows.map((r) => r.table_name)).toEqual([
        'alert_rules',
        'alerts',
        'datasets',
        'endpoints',
        'evaluation_models',
        'evaluations',
        'experiment_tags',
        'experiments',
        'input_tags',
        'inputs',
        'job_chunks',
        'job_partitions',
        'jobs',
        'latest_metrics',
        'metrics',
        'model_version_tags',
        'model_versions',
        'monitor_runs',
        'monitor_statistics',
        'monitors',
        'params',
        'reference_profiles',
        'registered_model_aliases',
        'registered_model_tags',
        'registered_models',
        'registry_events',
        'runs',
        'slipway_migration',
        'slipway_migration_lock',
        'tags',
        'webhook_attempts',
        'webhook_cursors',
        'webhook_deliveries',
        'webhooks',
        'work_items',
      ]);
    } finally {
      await database.close();
      await dropTestSchema(url, schema);
    }
  });

  test('migrates while another session keeps dropping tables of its own (the migrator scans every schema)', async () => {
    const url = TEST_POSTGRES_URL as string;
    const { default: pg } = await import('pg');
    const churn = new pg.Client({ connectionString: url });
    await churn.connect();
    const other = `slipway_test_${randomBytes(6).toString('hex')}`;
    await churn.query(`CREATE SCHEMA ${other}`);
    let stop = false;
    // A table appearing and vanishing five times a second, as a prediction log's partitions do
    // under retention (rarely, in fact): a migration's scan overlaps a drop now and then.
    const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
    const churning = (async () => {
      for (let i = 0; !stop; i++) {
        await churn.query(`CREATE TABLE ${other}.t${i} (a int, b text)`);
        await pause(100);
        await churn.query(`DROP TABLE ${other}.t${i}`);
        await pause(100);
      }
    })();
    const schemas = Array.from({ length: 6 }, () => `slipway_test_${randomBytes(6).toString('hex')}`);
    try {
      for (const schema of schemas) {
        const database = await whileMigrationsAllowed(url, () => openSqlDatabase(url, { schema }));
        await database.close();
      }
    } finally {
      stop = true;
      await churning;
      await churn.end();
      for (const schema of [...schemas, other]) await dropTestSchema(url, schema);
    }
  });

  test('schema names that are not plain identifiers are refused', async () => {
    await expect(openSqlDatabase(TEST_POSTGRES_URL as string, { schema: 'x; drop' })).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });
});
