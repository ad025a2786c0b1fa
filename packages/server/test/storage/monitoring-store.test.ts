/**
 * Runs the monitoring store contract against SQLite, and against PostgreSQL when
 * SLIPWAY_TEST_POSTGRES_URL is set (each database in a fresh schema, dropped afterwards). Every
 * store of a test has its own backend (its own connection or pool), like separate processes. Also
 * checks that the trend query is one index range on both dialects.
 */
import { CompiledQuery, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { SeriesRequest } from '../../src/monitoring/monitoring-store.js';
import type { SqlBackend } from '../../src/storage/sql/sql-backend.js';
import { seriesQuery, SqlMonitoringStore } from '../../src/storage/sql/sql-monitoring-store.js';
import { testBackends, type TestDatabase } from './backends.js';
import { monitoringStoreContract } from './monitoring-store.contract.js';
import { sqlStoreFactory } from './store-fixture.js';

/** The plan of the trend query, one line per plan node. */
async function seriesPlan(backend: SqlBackend, request: SeriesRequest): Promise<string[]> {
  const compiled = seriesQuery(backend.db, 'm1', request).compile();
  if (backend.dialect === 'sqlite') {
    const plan = await backend.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`EXPLAIN QUERY PLAN ${compiled.sql}`, [...compiled.parameters]),
    );
    return plan.rows.map((r) => r.detail);
  }
  // An empty table is cheapest scanned; with scans and sorts priced out, the plan shows whether the index serves.
  return backend.write(async (conn) => {
    await sql`SET LOCAL enable_seqscan = off`.execute(conn);
    await sql`SET LOCAL enable_sort = off`.execute(conn);
    const plan = await conn.executeQuery<{ 'QUERY PLAN': string }>(
      CompiledQuery.raw(`EXPLAIN ${compiled.sql}`, [...compiled.parameters]),
    );
    return plan.rows.map((r) => r['QUERY PLAN']);
  });
}

for (const backend of testBackends()) {
  monitoringStoreContract(sqlStoreFactory(backend, (sql) => new SqlMonitoringStore(sql)));

  describe(`SqlMonitoringStore plans (${backend.name})`, () => {
    let database: TestDatabase | undefined;
    let sqlBackend: SqlBackend | undefined;
    beforeEach(async () => {
      database = await backend.createDatabase();
      sqlBackend = await database.openBackend();
    });
    afterEach(async () => {
      await sqlBackend?.close();
      await database?.dispose();
    });

    test.each<[string, SeriesRequest]>([
      [
        'a column, a check and bounds',
        { name: 'psi', column: 'amount', check: 'drift', from: 1_000, to: 9_000 },
      ],
      ['the dataset-level statistic', { name: 'dataset_drift_share' }],
    ])(
      'the trend query for %s is a range of monitor_statistics_series_idx, without a sort',
      async (_, request) => {
        const plan = (await seriesPlan(sqlBackend as SqlBackend, request)).join('\n');
        expect(plan).toContain('monitor_statistics_series_idx');
        expect(plan).not.toMatch(/TEMP B-TREE|Sort|SCAN|Seq Scan/);
      },
    );
  });
}
