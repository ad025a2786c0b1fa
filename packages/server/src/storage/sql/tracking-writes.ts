/**
 * The multi-row writes of the tracking store: tags, params (with the immutability check), metrics
 * with their latest values, and dataset inputs. Callers run them inside one write transaction.
 */
import { randomUUID } from 'node:crypto';
import type { DatasetInput, Metric, StringMap } from '@slipway/contracts';
import { sql } from 'kysely';
import { metricToRow } from './row-mappers.js';
import type { MetricRow, SqlBackend, SqlConn } from './sql-backend.js';
import { paramChanged } from './store-errors.js';

/** Rows per multi-row INSERT: keeps parameters under SQLite's 32766 and PostgreSQL's 65535 limits. */
const ROWS_PER_INSERT = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Per key, the observation MLflow calls latest: max step, then max timestamp, then max value. */
function latestPerKey(rows: readonly MetricRow[]): MetricRow[] {
  const latest = new Map<string, MetricRow>();
  for (const row of rows) {
    const current = latest.get(row.key);
    if (
      current === undefined ||
      row.step > current.step ||
      (row.step === current.step &&
        (row.timestamp > current.timestamp ||
          (row.timestamp === current.timestamp && row.value > current.value)))
    ) {
      latest.set(row.key, row);
    }
  }
  return [...latest.values()];
}

/** Sets experiment tags (insert or overwrite). */
export async function upsertExperimentTags(
  conn: SqlConn,
  experimentId: number,
  tags: StringMap,
): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ experiment_id: experimentId, key, value }));
  for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
    await conn
      .insertInto('experiment_tags')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['experiment_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
      )
      .execute();
  }
}

/** Sets run tags (insert or overwrite). */
export async function upsertRunTags(conn: SqlConn, runId: string, tags: StringMap): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ run_id: runId, key, value }));
  for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
    await conn
      .insertInto('tags')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['run_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
      )
      .execute();
  }
}

/**
 * Inserts params that are new; a key already logged with the same value is fine, with another
 * value it is INVALID_ARGUMENT naming `params.<key>`. Insert-then-compare (rather than
 * read-then-insert) also catches a concurrent writer on PostgreSQL.
 */
export async function insertParams(
  backend: SqlBackend,
  conn: SqlConn,
  runId: string,
  params: StringMap,
): Promise<void> {
  const rows = Object.entries(params).map(([key, value]) => ({ run_id: runId, key, value }));
  const inserted = new Set<string>();
  for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
    const returned = await conn
      .insertInto('params')
      .values(chunk)
      .onConflict((oc) => oc.columns(['run_id', 'key']).doNothing())
      .returning('key')
      .execute();
    for (const { key } of returned) inserted.add(key);
  }
  const existing = rows.filter((row) => !inserted.has(row.key));
  if (existing.length === 0) return;
  const stored = await conn
    .selectFrom('params')
    .select(['key', 'value'])
    .where('run_id', '=', runId)
    .where(
      backend.inList(
        sql.ref('key'),
        existing.map((row) => row.key),
      ),
    )
    .execute();
  const storedValues = new Map(stored.map((row) => [row.key, row.value]));
  for (const row of existing) {
    const old = storedValues.get(row.key);
    if (old !== undefined && old !== row.value) throw paramChanged(runId, row.key, old, row.value);
  }
}

/** Appends metric observations and raises the latest value of each key. */
export async function insertMetrics(
  backend: SqlBackend,
  conn: SqlConn,
  runId: string,
  metrics: readonly Metric[],
): Promise<void> {
  if (metrics.length === 0) return;
  const rows = metrics.map(metricToRow);
  await backend.insertMetrics(conn, runId, rows);
  await backend.upsertLatestMetrics(conn, runId, latestPerKey(rows));
}

/** The id of the experiment's dataset with this name and digest, creating it if needed. */
export async function datasetIdFor(
  conn: SqlConn,
  experimentId: number,
  input: DatasetInput,
): Promise<string> {
  const { dataset } = input;
  await conn
    .insertInto('datasets')
    .values({
      dataset_id: randomUUID(),
      experiment_id: experimentId,
      name: dataset.name,
      digest: dataset.digest,
      source_type: dataset.sourceType,
      source: dataset.source,
      schema: dataset.schema ?? null,
      profile: dataset.profile ?? null,
    })
    .onConflict((oc) => oc.columns(['experiment_id', 'name', 'digest']).doNothing())
    .execute();
  const row = await conn
    .selectFrom('datasets')
    .select('dataset_id')
    .where('experiment_id', '=', experimentId)
    .where('name', '=', dataset.name)
    .where('digest', '=', dataset.digest)
    .executeTakeFirstOrThrow();
  return row.dataset_id;
}

/** Links a dataset to a run with its input tags, unless the run already has that dataset. */
export async function insertInput(
  conn: SqlConn,
  runId: string,
  datasetId: string,
  tags: StringMap,
): Promise<void> {
  const inserted = await conn
    .insertInto('inputs')
    .values({ input_id: randomUUID(), run_id: runId, dataset_id: datasetId })
    .onConflict((oc) => oc.columns(['run_id', 'dataset_id']).doNothing())
    .returning('input_id')
    .executeTakeFirst();
  if (inserted === undefined) return;
  const rows = Object.entries(tags).map(([name, value]) => ({ input_id: inserted.input_id, name, value }));
  for (const chunk of chunks(rows, ROWS_PER_INSERT))
    await conn.insertInto('input_tags').values(chunk).execute();
}
