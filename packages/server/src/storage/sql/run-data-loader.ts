/**
 * Loads the data of a page of runs (latest metrics, params, tags, dataset inputs) and the tags of a
 * page of experiments in a fixed handful of queries, whatever the page size.
 */
import type { DatasetInput, Metric, Run, StringMap } from '@slipway/contracts';
import { sql } from 'kysely';
import { metricFromRow, runInfoFromRow, type DbInt64, type RunRow } from './row-mappers.js';
import { compareCodePoints, groupBy, groupKeyValues } from './row-groups.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

/** Builds full runs (info, data, inputs) for run rows, in the rows' order. */
export async function loadRuns(backend: SqlBackend, conn: SqlConn, rows: readonly RunRow[]): Promise<Run[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => row.run_id);
  const [metrics, params, tags, inputs] = await Promise.all([
    loadLatestMetrics(backend, conn, ids),
    loadKeyValues(backend, conn, 'params', ids),
    loadKeyValues(backend, conn, 'tags', ids),
    loadInputs(backend, conn, ids),
  ]);
  return rows.map((row) => ({
    info: runInfoFromRow(row),
    data: {
      metrics: metrics.get(row.run_id) ?? [],
      params: params.get(row.run_id) ?? {},
      tags: tags.get(row.run_id) ?? {},
    },
    inputs: { datasetInputs: inputs.get(row.run_id) ?? [] },
  }));
}

async function loadLatestMetrics(
  backend: SqlBackend,
  conn: SqlConn,
  ids: string[],
): Promise<Map<string, Metric[]>> {
  const rows = await conn
    .selectFrom('latest_metrics')
    .select(['run_id', 'key', 'value', 'is_nan', 'timestamp', 'step'])
    .where(backend.inList(sql.ref('run_id'), ids))
    .execute();
  const metrics = groupBy(
    rows,
    (row) => row.run_id,
    (): Metric[] => [],
    (bucket, row) => bucket.push(metricFromRow(row)),
  );
  // Sorted per run here rather than in SQL: sorting a 10,000-run page's 60,000 rows by key cost
  // SQLite more than the query itself, and each run has only a handful of metrics.
  for (const list of metrics.values()) list.sort((a, b) => compareCodePoints(a.key, b.key));
  return metrics;
}

async function loadKeyValues(
  backend: SqlBackend,
  conn: SqlConn,
  table: 'params' | 'tags',
  ids: string[],
): Promise<Map<string, StringMap>> {
  // One row per run holding its map as one JSON object: a page of 10,000 runs made 60,000 row
  // objects per table before, most of the page's garbage.
  const rows = await conn
    .selectFrom(table)
    .select(['run_id', backend.keyValueObject(sql.ref('key'), sql.ref('value')).as('kv')])
    .where(backend.inList(sql.ref('run_id'), ids))
    .groupBy('run_id')
    .execute();
  return new Map(rows.map((row) => [row.run_id, backend.keyValueObjectOf(row.kv)]));
}

async function loadInputs(
  backend: SqlBackend,
  conn: SqlConn,
  ids: string[],
): Promise<Map<string, DatasetInput[]>> {
  const [inputRows, tagRows] = await Promise.all([
    conn
      .selectFrom('inputs as i')
      .innerJoin('datasets as d', 'd.dataset_id', 'i.dataset_id')
      .select([
        'i.run_id',
        'i.input_id',
        'd.name',
        'd.digest',
        'd.source_type',
        'd.source',
        'd.schema',
        'd.profile',
      ])
      .where(backend.inList(sql.ref('i.run_id'), ids))
      .orderBy(backend.sortableText(sql.ref('d.name')))
      .orderBy(backend.sortableText(sql.ref('d.digest')))
      .execute(),
    conn
      .selectFrom('input_tags as t')
      .innerJoin('inputs as i', 'i.input_id', 't.input_id')
      .select(['t.input_id', 't.name', 't.value'])
      .where(backend.inList(sql.ref('i.run_id'), ids))
      .execute(),
  ]);
  const tagsByInput = groupBy(
    tagRows,
    (row) => row.input_id,
    (): StringMap => ({}),
    (bucket, row) => {
      bucket[row.name] = row.value;
    },
  );
  return groupBy(
    inputRows,
    (row) => row.run_id,
    (): DatasetInput[] => [],
    (bucket, row) =>
      bucket.push({
        dataset: {
          name: row.name,
          digest: row.digest,
          sourceType: row.source_type,
          source: row.source,
          ...(row.schema === null ? {} : { schema: row.schema }),
          ...(row.profile === null ? {} : { profile: row.profile }),
        },
        tags: tagsByInput.get(row.input_id) ?? {},
      }),
  );
}

/** Tags of experiments, by experiment id (decimal string). */
export async function loadExperimentTags(
  backend: SqlBackend,
  conn: SqlConn,
  experimentIds: readonly DbInt64[],
): Promise<Map<string, StringMap>> {
  if (experimentIds.length === 0) return new Map();
  const rows = await conn
    .selectFrom('experiment_tags')
    .select(['experiment_id', 'key', 'value'])
    .where(backend.inList(sql.ref('experiment_id'), experimentIds.map(Number)))
    .execute();
  return groupKeyValues(rows, (row) => String(row.experiment_id));
}
