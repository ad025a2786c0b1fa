/**
 * Runs the registry store contract against the SQL store on SQLite, and on PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (each database in a fresh schema, dropped afterwards).
 */
import { SqlRegistryStore } from '../../src/storage/sql/sql-registry-store.js';
import { testBackends } from './backends.js';
import { registryStoreContract } from './registry-store.contract.js';

for (const backend of testBackends()) {
  registryStoreContract({
    name: backend.name,
    async createDatabase() {
      const database = await backend.createDatabase();
      return {
        async open() {
          const sqlBackend = await database.openBackend();
          return { store: new SqlRegistryStore(sqlBackend), close: () => sqlBackend.close() };
        },
        dispose: () => database.dispose(),
      };
    },
  });
}
