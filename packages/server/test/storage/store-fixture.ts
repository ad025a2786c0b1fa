/**
 * The fixture the store contract suites share: a fresh database per test, the store opened on it,
 * and more stores on the same database (other processes) on demand; plus the factory that opens a
 * SQL store on each test backend.
 */
import { afterEach, beforeEach } from 'vitest';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import type { TestBackend } from './backends.js';

/** One empty database a store can be opened on, as many times as a test needs. */
export interface StoreDatabase<S> {
  /** Opens another store (another connection or pool) on this database. */
  open(): Promise<S>;
  /** Closes every store opened, then deletes the database. */
  dispose(): Promise<void>;
}

/** What a contract needs from an implementation. */
export interface StoreFactory<S> {
  /** Label used in test names. */
  readonly name: string;
  /** True when concurrent calls through different stores really run in parallel (PostgreSQL). */
  readonly parallelWriters: boolean;
  /** A fresh, empty database. */
  createDatabase(): Promise<StoreDatabase<S>>;
}

/** The store of the running test, and a way to open another on its database. */
export interface StoreFixture<S> {
  readonly store: S;
  /** Another store on the same database (another process), kept until the test ends. */
  another(): Promise<S>;
}

/** Registers hooks that give each test a fresh database and a store on it. */
export function useFreshStore<S>(factory: StoreFactory<S>): StoreFixture<S> {
  let database: StoreDatabase<S> | undefined;
  let store: S | undefined;
  beforeEach(async () => {
    database = await factory.createDatabase();
    store = await database.open();
  });
  afterEach(async () => {
    await database?.dispose();
    database = undefined;
    store = undefined;
  });
  return {
    get store(): S {
      if (store === undefined) throw new Error('No store: use the fixture inside a test.');
      return store;
    },
    another(): Promise<S> {
      if (database === undefined) throw new Error('No database: use the fixture inside a test.');
      return database.open();
    },
  };
}

/** A factory opening the SQL store `create` builds, each on its own backend (connection or pool). */
export function sqlStoreFactory<S>(backend: TestBackend, create: (sql: SqlBackend) => S): StoreFactory<S> {
  return {
    name: backend.name,
    parallelWriters: backend.name === 'postgres',
    async createDatabase() {
      const database = await backend.createDatabase();
      const opened: SqlBackend[] = [];
      return {
        async open() {
          const sqlBackend = await database.openBackend();
          opened.push(sqlBackend);
          return create(sqlBackend);
        },
        async dispose() {
          await Promise.all(opened.map((b) => b.close()));
          await database.dispose();
        },
      };
    },
  };
}
