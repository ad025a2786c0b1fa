/**
 * Runs the job store contract against SQLite, and against PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (each database in a fresh schema, dropped afterwards). Every
 * store of a test has its own backend (its own connection or pool), like separate workers.
 */
import { SqlJobStore } from '../../src/storage/sql/sql-job-store.js';
import { testBackends } from './backends.js';
import { jobStoreContract } from './job-store.contract.js';
import { sqlStoreFactory } from './store-fixture.js';

for (const backend of testBackends())
  jobStoreContract(sqlStoreFactory(backend, (sql) => new SqlJobStore(sql)));
