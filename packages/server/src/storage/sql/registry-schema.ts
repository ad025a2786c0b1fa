/**
 * Registry tables: Kysely types and DDL (migration 0002). See docs/storage.md ("Model registry
 * tables") for the design. Column names are snake_case as in the database.
 */
import { sql, type ColumnType, type Generated, type Kysely } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column } from './tracking-schema.js';

/** A JSON document stored as text (not jsonb: jsonb reorders keys, and documents must round-trip exactly). */
type JsonText = string | null;

/**
 * `registered_models`: an internal `model_id` key, so a rename touches one row. `last_version` is the
 * highest version number ever assigned; version numbers are never reused, even after a delete.
 */
export interface RegisteredModelsTable {
  model_id: Generated<number | string>;
  name: string;
  description: string;
  creation_time: Int64Column;
  last_updated_time: Int64Column;
  last_version: ColumnType<number, number, number>;
}

/** `registered_model_tags`: (model_id, key) primary key. */
export interface RegisteredModelTagsTable {
  model_id: Int64Column;
  key: string;
  value: string;
}

/** `model_versions`: (model_id, version) primary key; `contract` and `package` are JSON text. */
export interface ModelVersionsTable {
  model_id: Int64Column;
  version: number;
  creation_time: Int64Column;
  last_updated_time: Int64Column;
  current_stage: string;
  description: string;
  user_id: string;
  source: string;
  run_id: string;
  run_link: string;
  status: string;
  status_message: string;
  contract: JsonText;
  package: JsonText;
}

/** `model_version_tags`: (model_id, version, key) primary key. */
export interface ModelVersionTagsTable {
  model_id: Int64Column;
  version: number;
  key: string;
  value: string;
}

/** `registered_model_aliases`: (model_id, alias) primary key; the version must exist (foreign key). */
export interface RegisteredModelAliasesTable {
  model_id: Int64Column;
  alias: string;
  version: number;
}

/** `registry_events`: the append-only log; it names the model as it was named then (no foreign key). */
export interface RegistryEventsTable {
  seq: Generated<number | string>;
  type: string;
  time: Int64Column;
  actor: string;
  model_name: string;
  version: number | null;
  alias: string | null;
  from_version: number | null;
  to_version: number | null;
  reason: string | null;
  gate: JsonText;
  /** 1 / 0, NULL when the move did not say. */
  forced: number | null;
  details: JsonText;
}

/** Every registry table, as Kysely sees the database. */
export interface RegistryTables {
  registered_models: RegisteredModelsTable;
  registered_model_tags: RegisteredModelTagsTable;
  model_versions: ModelVersionsTable;
  model_version_tags: ModelVersionTagsTable;
  registered_model_aliases: RegisteredModelAliasesTable;
  registry_events: RegistryEventsTable;
}

/** Migration 0002: creates the registry tables. */
export async function createRegistrySchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // Small rows read by their composite key are cheapest as that key's b-tree on SQLite. Not
  // model_versions: a package's file list can make its rows large, which WITHOUT ROWID handles badly.
  const compact = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await createIdentityTable(db, dialect, 'registered_models', 'model_id')
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .addColumn('last_version', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('registered_model_tags')
    .addColumn('model_id', 'bigint', (c) => c.notNull().references('registered_models.model_id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_tags_pk', ['model_id', 'key'])
    .modifyEnd(compact)
    .execute();

  await db.schema
    .createTable('model_versions')
    .addColumn('model_id', 'bigint', (c) => c.notNull().references('registered_models.model_id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_updated_time', 'bigint', (c) => c.notNull())
    .addColumn('current_stage', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('run_link', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('status_message', 'text', (c) => c.notNull())
    .addColumn('contract', 'text')
    .addColumn('package', 'text')
    .addPrimaryKeyConstraint('model_versions_pk', ['model_id', 'version'])
    .execute();
  // The run page asks which versions came from a run (`run_id = '...'`) across all models.
  await db.schema.createIndex('model_versions_run_id_idx').on('model_versions').column('run_id').execute();

  await db.schema
    .createTable('model_version_tags')
    .addColumn('model_id', 'bigint', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_tags_pk', ['model_id', 'version', 'key'])
    .addForeignKeyConstraint('model_version_tags_version_fk', ['model_id', 'version'], 'model_versions', [
      'model_id',
      'version',
    ])
    .modifyEnd(compact)
    .execute();

  await db.schema
    .createTable('registered_model_aliases')
    .addColumn('model_id', 'bigint', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('registered_model_aliases_pk', ['model_id', 'alias'])
    .addForeignKeyConstraint(
      'registered_model_aliases_version_fk',
      ['model_id', 'version'],
      'model_versions',
      ['model_id', 'version'],
    )
    .modifyEnd(compact)
    .execute();

  await createIdentityTable(db, dialect, 'registry_events', 'seq')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('time', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'integer')
    .addColumn('alias', 'text')
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer')
    .addColumn('reason', 'text')
    .addColumn('gate', 'text')
    .addColumn('forced', 'smallint')
    .addColumn('details', 'text')
    .execute();
  // An alias's history (and, by prefix, a model's) in seq order without a sort.
  await db.schema
    .createIndex('registry_events_model_alias_seq_idx')
    .on('registry_events')
    .columns(['model_name', 'alias', 'seq'])
    .execute();
}

/** A table whose first column is a never-reused id: AUTOINCREMENT on SQLite, an identity on PostgreSQL. */
function createIdentityTable(db: Kysely<unknown>, dialect: SqlDialectName, table: string, id: string) {
  return dialect === 'sqlite'
    ? db.schema.createTable(table).addColumn(id, 'integer', (c) => c.primaryKey().autoIncrement())
    : db.schema
        .createTable(table)
        .addColumn(id, 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
}
