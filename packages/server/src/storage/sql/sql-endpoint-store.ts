/**
 * The SQL implementation of the endpoint store port, for SQLite and PostgreSQL. An endpoint is one
 * JSON body keyed by name; updates are compare-and-set on the `revision` column, one UPDATE that
 * matches name and expected revision, so of two concurrent updates from the same revision exactly
 * one wins on either dialect.
 */
import { invalidArgument, SlipwayError, type Endpoint } from '@slipway/contracts';
import { sql, type Insertable } from 'kysely';
import type { EndpointStore } from '../../serving/endpoint-store.js';
import type { EndpointsTable } from './endpoint-schema.js';
import type { SqlBackend } from './sql-backend.js';

/** Endpoint store over SQLite or PostgreSQL (shares the tracking store's backend and database). */
export class SqlEndpointStore implements EndpointStore {
  constructor(private readonly backend: SqlBackend) {}

  /** Inserts the endpoint as given; ALREADY_EXISTS when the name is taken. */
  createEndpoint(endpoint: Endpoint): Promise<void> {
    const row: Insertable<EndpointsTable> = {
      name: endpoint.name,
      revision: endpoint.revision,
      created_at: endpoint.createdAt,
      updated_at: endpoint.updatedAt,
      body: JSON.stringify(endpoint),
    };
    return this.backend.write(async (conn) => {
      try {
        await conn.insertInto('endpoints').values(row).execute();
      } catch (err) {
        if (!this.backend.isUniqueViolation(err)) throw err;
        throw new SlipwayError('ALREADY_EXISTS', `Endpoint ${endpoint.name} already exists.`, {
          field: 'name',
        });
      }
    });
  }

  /** The endpoint as last stored, or undefined. */
  async getEndpoint(name: string): Promise<Endpoint | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('endpoints').select('body').where('name', '=', name).executeTakeFirst(),
    );
    return row === undefined ? undefined : parseBody(row.body);
  }

  /** Every endpoint, by name in code-point order on both dialects. */
  listEndpoints(): Promise<Endpoint[]> {
    return this.backend.read(async (conn) => {
      const rows = await conn
        .selectFrom('endpoints')
        .select('body')
        .orderBy(this.backend.sortableText(sql.ref('name')))
        .execute();
      return rows.map((r) => parseBody(r.body));
    });
  }

  /**
   * Replaces the endpoint when its stored revision is still `expectedRevision`. When no row
   * matched, a read in the same transaction tells a deleted endpoint (NOT_FOUND) from a stale
   * revision (false).
   */
  updateEndpoint(next: Endpoint, expectedRevision: number): Promise<boolean> {
    if (next.revision !== expectedRevision + 1) {
      return Promise.reject(
        invalidArgument(
          'revision',
          `Endpoint ${next.name} revision must be ${expectedRevision + 1}, got ${next.revision}.`,
        ),
      );
    }
    return this.backend.write(async (conn) => {
      const result = await conn
        .updateTable('endpoints')
        .set({ revision: next.revision, updated_at: next.updatedAt, body: JSON.stringify(next) })
        .where('name', '=', next.name)
        .where('revision', '=', expectedRevision)
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) return true;
      const current = await conn
        .selectFrom('endpoints')
        .select('name')
        .where('name', '=', next.name)
        .executeTakeFirst();
      if (current === undefined) throw endpointNotFound(next.name);
      return false;
    });
  }

  /** Deletes the endpoint; NOT_FOUND when absent. */
  deleteEndpoint(name: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const result = await conn.deleteFrom('endpoints').where('name', '=', name).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw endpointNotFound(name);
    });
  }
}

function endpointNotFound(name: string): SlipwayError {
  return new SlipwayError('NOT_FOUND', `Endpoint ${name} not found.`, { field: 'name' });
}

function parseBody(body: string): Endpoint {
  return JSON.parse(body) as Endpoint;
}
