/**
 * Registry reads shared by the store's operations: whole models and versions by name, and the
 * existence checks that open every write (the model first, locked; then the version it names).
 */
import type { ModelVersion, RegisteredModel } from '@slipway/contracts';
import { sql } from 'kysely';
import { loadModels, loadVersions } from './registry-data-loader.js';
import {
  MODEL_COLUMNS,
  parseVersion,
  VERSION_COLUMNS,
  type ModelRow,
  type VersionRow,
} from './registry-row-mappers.js';
import { modelVersionNotFound, registeredModelNotFound } from './registry-store-errors.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

/** A model a write transaction holds the lock of: its id and current name. */
export interface LockedModel {
  model_id: number;
  name: string;
}

/** The model with its tags, aliases and latest versions, or undefined. */
export async function findModel(
  backend: SqlBackend,
  conn: SqlConn,
  name: string,
): Promise<RegisteredModel | undefined> {
  const { rows } = await sql<ModelRow>`SELECT ${MODEL_COLUMNS} FROM registered_models m
    WHERE m.name = ${name}`.execute(conn);
  const [model] = await loadModels(backend, conn, rows);
  return model;
}

/** The version with its tags and aliases, or undefined (also for a string that is no version number). */
export async function findVersion(
  backend: SqlBackend,
  conn: SqlConn,
  name: string,
  version: string,
): Promise<ModelVersion | undefined> {
  const number = parseVersion(version);
  if (number === undefined) return undefined;
  const { rows } = await sql<VersionRow>`SELECT ${VERSION_COLUMNS}
    FROM model_versions v JOIN registered_models m ON m.model_id = v.model_id
    WHERE m.name = ${name} AND v.version = ${number}`.execute(conn);
  const [found] = await loadVersions(backend, conn, rows);
  return found;
}

/**
 * The model, locked until the transaction ends; NOT_FOUND (field `name`) when missing. Every
 * registry write that touches an existing model takes this lock first: on PostgreSQL (READ
 * COMMITTED) that serializes the writers of one model, so read-then-write sequences (alias
 * compare-and-set, version deletes) see what they change, and all writers take their row locks in
 * the same order (no deadlocks). SQLite already runs one writer at a time.
 */
export async function requireModel(backend: SqlBackend, conn: SqlConn, name: string): Promise<LockedModel> {
  const row = await conn
    .selectFrom('registered_models')
    .select(['model_id', 'name'])
    .where('name', '=', name)
    // NO KEY UPDATE excludes other writers but not the foreign-key checks of inserts into child tables.
    .$if(backend.dialect === 'postgres', (qb) => qb.forNoKeyUpdate())
    .executeTakeFirst();
  if (row === undefined) throw registeredModelNotFound(name);
  return { model_id: Number(row.model_id), name: row.name };
}

/** The stored number of an existing version of `model`; NOT_FOUND (field `version`) otherwise. */
export async function requireVersion(conn: SqlConn, model: LockedModel, version: string): Promise<number> {
  const number = parseVersion(version);
  const row =
    number === undefined
      ? undefined
      : await conn
          .selectFrom('model_versions')
          .select('version')
          .where('model_id', '=', model.model_id)
          .where('version', '=', number)
          .executeTakeFirst();
  if (row === undefined || number === undefined) throw modelVersionNotFound(model.name, version);
  return number;
}

/** The version an alias of `model` points at, or undefined when unset. */
export async function aliasVersion(
  conn: SqlConn,
  model: LockedModel,
  alias: string,
): Promise<number | undefined> {
  const row = await conn
    .selectFrom('registered_model_aliases')
    .select('version')
    .where('model_id', '=', model.model_id)
    .where('alias', '=', alias)
    .executeTakeFirst();
  return row?.version;
}
