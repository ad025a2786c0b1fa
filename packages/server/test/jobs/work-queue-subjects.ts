/**
 * The backends the work queue contract runs against, one test file each so they run in parallel:
 * the embedded SQL queue on SQLite and PostgreSQL, and the pg-boss queue (PostgreSQL ones in a
 * fresh schema, dropped afterwards). The killed-worker tests need `npm run build` first.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkQueue } from '../../src/jobs/work-queue.js';
import { PgBossWorkQueue } from '../../src/storage/queue/pg-boss-work-queue.js';
import { SqlWorkQueue } from '../../src/storage/queue/sql-work-queue.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { dropTestSchema, type TestBackend } from '../storage/backends.js';
import type { WorkQueueSubject } from './work-queue.contract.js';

/** Per-test bounds: the pg-boss lease tests wait out a 10-second heartbeat. */
export const QUEUE_TEST_TIMEOUTS = { testTimeout: 60_000, hookTimeout: 30_000 };

/** The embedded queue on a fresh database of `backend`, with 1-second leases. */
export function sqlSubject(backend: TestBackend): WorkQueueSubject {
  return {
    name: `SqlWorkQueue on ${backend.name}`,
    leaseMs: 1_000,
    longHandlerMs: 2_500,
    quietMs: 500,
    waitMs: 10_000,
    async create() {
      const database = await backend.createDatabase();
      const opened: SqlBackend[] = [];
      return {
        async open(): Promise<WorkQueue> {
          const sqlBackend = await database.openBackend();
          opened.push(sqlBackend);
          return new SqlWorkQueue(sqlBackend);
        },
        childEnv: {
          DOOMED_DB_URI: database.options.uri,
          DOOMED_DB_SCHEMA: database.options.schema ?? '',
        },
        async dispose() {
          await Promise.all(opened.map((sqlBackend) => sqlBackend.close()));
          await database.dispose();
        },
      };
    },
  };
}

/** pg-boss in a fresh schema, supervised every second so lapsed heartbeats show up quickly. */
export function pgBossSubject(url: string): WorkQueueSubject {
  return {
    name: 'PgBossWorkQueue',
    leaseMs: 10_000,
    longHandlerMs: 14_000,
    quietMs: 1_500,
    waitMs: 15_000,
    async create() {
      const schema = `slipway_test_q_${randomBytes(6).toString('hex')}`;
      // The child's factory call wants a metadata store; pg-boss ignores it.
      const dir = await mkdtemp(join(tmpdir(), 'slipway-queue-'));
      const queueUri = new URL(url);
      queueUri.searchParams.set('schema', schema);
      return {
        open: () =>
          Promise.resolve(
            new PgBossWorkQueue({
              connectionString: url,
              schema,
              superviseIntervalSeconds: 1,
              pollingIntervalSeconds: 0.5,
            }),
          ),
        childEnv: {
          DOOMED_DB_URI: `sqlite:${join(dir, 'metadata.db')}`,
          DOOMED_QUEUE_URI: queueUri.toString(),
        },
        async dispose() {
          await dropTestSchema(url, schema);
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
