/**
 * The registry store contract: every RegistryStore implementation must pass it. Call
 * `registryStoreContract(factory)` inside a test file; each test gets a fresh database.
 */
import { describe } from 'vitest';
import { registryAliasContract } from './contract/registry-aliases.contract.js';
import { registryConcurrencyContract } from './contract/registry-concurrency.contract.js';
import type { RegistryStoreFactory } from './contract/registry-harness.contract.js';
import { registryModelContract } from './contract/registry-models.contract.js';
import { registrySearchContract } from './contract/registry-search.contract.js';
import { registryVersionContract } from './contract/registry-versions.contract.js';

export type {
  OpenedRegistryStore,
  RegistryContractDatabase,
  RegistryStoreFactory,
} from './contract/registry-harness.contract.js';

/** Registers the whole registry contract suite for the implementation `factory` creates. */
export function registryStoreContract(factory: RegistryStoreFactory): void {
  describe(`RegistryStore contract (${factory.name})`, () => {
    registryModelContract(factory);
    registryVersionContract(factory);
    registrySearchContract(factory);
    registryAliasContract(factory);
    registryConcurrencyContract(factory);
  });
}
