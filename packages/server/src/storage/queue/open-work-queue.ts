/**
 * Opens the work queue a URI names: none means the embedded queue on the metadata store, a
 * `postgresql://` URI the pg-boss queue. pg-boss is imported only then, so SQLite deployments
 * never load it.
 */
import { invalidArgument } from '@slipway/contracts';
import type { WorkQueue } from '../../jobs/work-queue.js';
import type { SqlBackend } from '../sql/sql-backend.js';
import { SqlWorkQueue } from './sql-work-queue.js';

/** The pg-boss target a queue URI names. */
export interface PgBossTarget {
  connectionString: string;
  schema?: string;
}

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Parses `postgresql://...` or `postgres://...` with an optional `?schema=<name>` (taken out of
 * the connection string, which pg would otherwise pass on to the server).
 */
export function parsePgBossUri(uri: string): PgBossTarget {
  if (!/^postgres(ql)?:\/\//.test(uri)) {
    throw invalidArgument('work-queue-uri', `Unsupported work queue URI '${uri}': use postgresql://...`);
  }
  const url = new URL(uri);
  const schema = url.searchParams.get('schema');
  if (schema === null) return { connectionString: uri };
  if (!SCHEMA_NAME.test(schema)) {
    throw invalidArgument('work-queue-uri', `Work queue schema '${schema}' is not a plain SQL identifier.`);
  }
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

/**
 * The work queue named `queue` for `uri`: the embedded SQL queue on `backend` when undefined, else
 * pg-boss. Queues of different names share the backend, never items.
 */
export async function openWorkQueue(
  uri: string | undefined,
  backend: SqlBackend,
  queue = 'jobs',
): Promise<WorkQueue> {
  if (uri === undefined) return new SqlWorkQueue(backend, { queue });
  const target = parsePgBossUri(uri);
  const { PgBossWorkQueue } = await import('./pg-boss-work-queue.js');
  return new PgBossWorkQueue({ ...target, queue });
}
