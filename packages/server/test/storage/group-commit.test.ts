/**
 * GroupCommitter: same-tick writes share one transaction, a failing caller is isolated by its
 * savepoint, and promises settle only after COMMIT.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, type Kysely as KyselyType } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { GroupCommitter } from '../../src/storage/sql/group-commit.js';
import { SqliteStatementCache } from '../../src/storage/sql/sqlite-connection.js';

interface TestTables {
  parents: { id: number };
  items: { id: number; parent: number | null };
}

/** Counts the transactions the committer opens. */
class CountingStatements extends SqliteStatementCache {
  begins = 0;
  override prepare(sql: string): ReturnType<SqliteStatementCache['prepare']> {
    if (sql === 'begin immediate') this.begins++;
    return super.prepare(sql);
  }
}

let dir = '';
let statements: CountingStatements;
let db: KyselyType<TestTables>;
let committer: GroupCommitter<TestTables>;
/** A second connection: in WAL mode it only ever sees committed data. */
let observer: Database.Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'slipway-group-'));
  const file = join(dir, 'g.db');
  const native = new Database(file);
  native.pragma('journal_mode = WAL');
  native.pragma('foreign_keys = ON');
  native.exec(`CREATE TABLE parents (id INTEGER PRIMARY KEY);
    CREATE TABLE items (id INTEGER PRIMARY KEY,
      parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED)`);
  statements = new CountingStatements(native);
  db = new Kysely<TestTables>({ dialect: new SqliteDialect({ database: statements }) });
  committer = new GroupCommitter(db, (sql) => statements.prepare(sql).run());
  observer = new Database(file, { readonly: true });
});

afterEach(async () => {
  await committer.close();
  observer.close();
  await db.destroy();
  await rm(dir, { recursive: true, force: true });
});

const insert =
  (id: number, parent: number | null = null) =>
  (conn: KyselyType<TestTables>) =>
    conn.insertInto('items').values({ id, parent }).execute();

const committedIds = (): number[] =>
  (observer.prepare('SELECT id FROM items ORDER BY id').all() as { id: number }[]).map((row) => row.id);

describe('GroupCommitter', () => {
  test('work submitted in the same tick shares one transaction', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => committer.submit(insert(i + 1))));
    expect(statements.begins).toBe(1);
    expect(committedIds()).toHaveLength(20);
  });

  test('a failing caller rolls back only its own writes; the others commit', async () => {
    const boom = new Error('boom');
    const results = await Promise.allSettled([
      committer.submit(insert(1)),
      committer.submit(async (conn) => {
        await insert(2)(conn);
        throw boom;
      }),
      committer.submit(async (conn) => {
        await insert(3)(conn);
        return 'three';
      }),
    ]);
    expect(results).toEqual([
      { status: 'fulfilled', value: expect.anything() },
      { status: 'rejected', reason: boom },
      { status: 'fulfilled', value: 'three' },
    ]);
    expect(statements.begins).toBe(1);
    expect(committedIds()).toEqual([1, 3]);
  });

  test('a failing statement (constraint violation) is isolated the same way', async () => {
    const results = await Promise.allSettled([
      committer.submit(insert(1)),
      committer.submit(insert(1)),
      committer.submit(insert(2)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(committedIds()).toEqual([1, 2]);
  });

  test('promises resolve only after COMMIT: another connection already sees the write', async () => {
    const seen = await committer.submit(insert(7)).then(() => committedIds());
    expect(seen).toEqual([7]);
  });

  test('a failing COMMIT rejects every caller of the batch and keeps nothing', async () => {
    // A deferred foreign key is only checked at COMMIT.
    const results = await Promise.allSettled([committer.submit(insert(1)), committer.submit(insert(2, 99))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(committedIds()).toEqual([]);
    await committer.submit(insert(3));
    expect(committedIds()).toEqual([3]);
  });

  test('work submitted while a batch is committing joins the next batch', async () => {
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const first = committer.submit(async (conn) => {
      await insert(1)(conn);
      await gate;
    });
    await new Promise(setImmediate);
    await new Promise(setImmediate);
    const later = [committer.submit(insert(2)), committer.submit(insert(3))];
    expect(committedIds()).toEqual([]);
    open();
    await Promise.all([first, ...later]);
    expect(statements.begins).toBe(2);
    expect(committedIds()).toEqual([1, 2, 3]);
  });

  test('close waits for submitted work, then refuses new work', async () => {
    const pending = committer.submit(insert(5));
    await committer.close();
    await expect(pending).resolves.toBeDefined();
    expect(committedIds()).toEqual([5]);
    await expect(committer.submit(insert(6))).rejects.toThrow(/closed/);
  });
});
