/**
 * The tracking store contract: every TrackingStore implementation must pass it. Call
 * `trackingStoreContract(factory)` inside a test file; each test gets a fresh database.
 */
import { describe } from 'vitest';
import { concurrencyContract } from './contract/concurrency.contract.js';
import { experimentContract } from './contract/experiments.contract.js';
import type { TrackingStoreFactory } from './contract/harness.js';
import { runSearchContract } from './contract/run-search.contract.js';
import { runContract } from './contract/runs.contract.js';

export type { ContractDatabase, TrackingStoreFactory } from './contract/harness.js';

/** Registers the whole contract suite for the implementation `factory` creates. */
export function trackingStoreContract(factory: TrackingStoreFactory): void {
  describe(`TrackingStore contract (${factory.name})`, () => {
    experimentContract(factory);
    runContract(factory);
    runSearchContract(factory);
    concurrencyContract(factory);
  });
}
