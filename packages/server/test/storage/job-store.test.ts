/**
 * Runs the job store contract against SQLite, and against PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (each database in a fresh schema, dropped afterwards). Every
 * store of a test has its own backend (its own connection or pool), like separate workers.
 */
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { SqlJobStore } from '../../src/storage/sql/sql-job-store.js';
import { testBackends, type TestBackend } from './backends.js';
import { jobStoreContract, type JobStoreFactory } from './job-store.contract.js';

function sqlJobStoreFactory(backend: TestBackend): JobStoreFactory {
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
          return new SqlJobStore(sqlBackend);
        },
        async dispose() {
          await Promise.all(opened.map((b) => b.close()));
          await database.dispose();
        },
      };
    },
  };
}

for (const backend of testBackends()) jobStoreContract(sqlJobStoreFactory(backend));
