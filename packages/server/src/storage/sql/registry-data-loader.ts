/**
 * Loads what a page of registered models or model versions carries besides its own row (tags,
 * aliases, latest version per stage) in a fixed handful of queries, whatever the page size.
 */
import type { ModelAlias, ModelVersion, RegisteredModel, StringMap } from '@slipway/contracts';
import { sql } from 'kysely';
import {
  modelFromRow,
  VERSION_COLUMNS,
  versionFromRow,
  versionKey,
  type ModelRow,
  type VersionRow,
} from './registry-row-mappers.js';
import { groupBy, groupKeyValues } from './row-groups.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

/** Builds full registered models for model rows, in the rows' order. */
export async function loadModels(
  backend: SqlBackend,
  conn: SqlConn,
  rows: readonly ModelRow[],
): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((row) => Number(row.model_id));
  const [tags, aliases, latestRows] = await Promise.all([
    loadModelTags(backend, conn, ids),
    loadAliases(backend, conn, ids),
    loadLatestVersionRows(backend, conn, ids),
  ]);
  const latest = await loadVersions(backend, conn, latestRows, aliases);
  const latestByModel = groupBy(
    latestRows.map((row, i) => ({ modelId: String(row.model_id), version: latest[i] as ModelVersion })),
    (entry) => entry.modelId,
    (): ModelVersion[] => [],
    (bucket, entry) => bucket.push(entry.version),
  );
  return rows.map((row) => {
    const id = String(row.model_id);
    return modelFromRow(row, tags.get(id) ?? {}, aliases.get(id) ?? [], latestByModel.get(id) ?? []);
  });
}

/**
 * Builds full versions for version rows, in the rows' order. `aliases` (by model id) may be passed
 * when the caller already loaded them for these models.
 */
export async function loadVersions(
  backend: SqlBackend,
  conn: SqlConn,
  rows: readonly VersionRow[],
  aliases?: Map<string, ModelAlias[]>,
): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const modelIds = [...new Set(rows.map((row) => Number(row.model_id)))];
  const [tags, modelAliases] = await Promise.all([
    loadVersionTags(backend, conn, rows),
    aliases ?? loadAliases(backend, conn, modelIds),
  ]);
  return rows.map((row) => {
    const onVersion = (modelAliases.get(String(row.model_id)) ?? [])
      .filter((alias) => alias.version === String(row.version))
      .map((alias) => alias.alias);
    return versionFromRow(row, tags.get(versionKey(row.model_id, row.version)) ?? {}, onVersion);
  });
}

/** Tags of models, by model id. */
async function loadModelTags(
  backend: SqlBackend,
  conn: SqlConn,
  ids: number[],
): Promise<Map<string, StringMap>> {
  const rows = await conn
    .selectFrom('registered_model_tags')
    .select(['model_id', 'key', 'value'])
    .where(backend.inList(sql.ref('model_id'), ids))
    .execute();
  return groupKeyValues(rows, (row) => String(row.model_id));
}

/** Aliases of models by model id, each list sorted by alias (code point order). */
async function loadAliases(
  backend: SqlBackend,
  conn: SqlConn,
  ids: number[],
): Promise<Map<string, ModelAlias[]>> {
  const rows = await conn
    .selectFrom('registered_model_aliases')
    .select(['model_id', 'alias', 'version'])
    .where(backend.inList(sql.ref('model_id'), ids))
    .orderBy(backend.sortableText(sql.ref('alias')))
    .execute();
  return groupBy(
    rows,
    (row) => String(row.model_id),
    (): ModelAlias[] => [],
    (bucket, row) => bucket.push({ alias: row.alias, version: String(row.version) }),
  );
}

/**
 * The highest version in each stage of each model. Stages come in the order of their oldest
 * version, the order MLflow's latest_versions has (it fills a dict walking versions upwards).
 */
async function loadLatestVersionRows(
  backend: SqlBackend,
  conn: SqlConn,
  ids: number[],
): Promise<VersionRow[]> {
  const { rows } = await sql<VersionRow>`SELECT ${VERSION_COLUMNS}
    FROM (SELECT model_id, MAX(version) AS latest, MIN(version) AS oldest FROM model_versions
      WHERE ${backend.inList(sql.ref('model_id'), ids)} GROUP BY model_id, current_stage) l
    JOIN model_versions v ON v.model_id = l.model_id AND v.version = l.latest
    JOIN registered_models m ON m.model_id = v.model_id
    ORDER BY v.model_id, l.oldest`.execute(conn);
  return rows;
}

/**
 * Tags of versions, by versionKey. One query for the whole page: it selects the (model, version)
 * cross product of the page, a small superset, and keeps the page's pairs.
 */
async function loadVersionTags(
  backend: SqlBackend,
  conn: SqlConn,
  versions: readonly VersionRow[],
): Promise<Map<string, StringMap>> {
  const wanted = new Set(versions.map((row) => versionKey(row.model_id, row.version)));
  const rows = await conn
    .selectFrom('model_version_tags')
    .select(['model_id', 'version', 'key', 'value'])
    .where(backend.inList(sql.ref('model_id'), [...new Set(versions.map((row) => Number(row.model_id)))]))
    .where(backend.inList(sql.ref('version'), [...new Set(versions.map((row) => Number(row.version)))]))
    .execute();
  return groupKeyValues(
    rows.filter((row) => wanted.has(versionKey(row.model_id, row.version))),
    (row) => versionKey(row.model_id, row.version),
  );
}
