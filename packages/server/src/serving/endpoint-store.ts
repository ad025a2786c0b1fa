/**
 * The endpoint store port: durable endpoints that every serving process reads. Updates are
 * compare-and-set on `revision`, so two operators changing traffic at once cannot lose a change.
 */
import type { Endpoint } from '@slipway/contracts';

/** Persists endpoints; implemented on SQLite and PostgreSQL (storage/sql). */
export interface EndpointStore {
  /** Stores a new endpoint (revision 1); ALREADY_EXISTS when the name is taken. */
  createEndpoint(endpoint: Endpoint): Promise<void>;
  /** The endpoint named `name`, if any. */
  getEndpoint(name: string): Promise<Endpoint | undefined>;
  /** Every endpoint, by name. */
  listEndpoints(): Promise<Endpoint[]>;
  /**
   * Replaces the endpoint when its stored revision is still `expectedRevision` (the new one must be
   * expectedRevision + 1); returns false when another update won, NOT_FOUND when it is gone.
   */
  updateEndpoint(next: Endpoint, expectedRevision: number): Promise<boolean>;
  /** Deletes the endpoint; NOT_FOUND when absent. */
  deleteEndpoint(name: string): Promise<void>;
}
