/**
 * Runs the endpoint store contract against SQLite, and against PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (each database in a fresh schema, dropped afterwards).
 */
import { testBackends } from './backends.js';
import { endpointStoreContract } from './endpoint-store.contract.js';

for (const backend of testBackends()) endpointStoreContract(backend);
