/**
 * Portable schema migrations of the metadata store (tracking, registry, webhooks, evaluations, endpoints), run at open. Migrations are history: never edit
 * one that has shipped, append a new one.
 */
import { Migrator, sql, type Kysely, type Migration, type RawBuilder } from 'kysely';
import { addDeliveryColumns } from './delivery-schema.js';
import { createEndpointSchema } from './endpoint-schema.js';
import { createEvaluationSchema } from './evaluation-schema.js';
import { createJobSchema } from './job-schema.js';
import { createMonitoringSchema } from './monitoring-schema.js';
import { createRegistrySchema } from './registry-schema.js';
import type { SqlDialectName } from './sql-uri.js';
import { createWebhookSchema } from './webhook-schema.js';
import { createWorkQueueSchema } from './work-queue-schema.js';

/** Name of the table that records applied migrations. */
export const MIGRATION_TABLE = 'slipway_migration';

/** The ordered migrations for a dialect (names sort in application order). */
export function trackingMigrations(dialect: SqlDialectName): Record<string, Migration> {
  return {
    '0001_tracking_schema': { up: (db) => createTrackingSchema(db, dialect) },
    '0002_registry_schema': { up: (db) => createRegistrySchema(db, dialect) },
    '0003_webhook_schema': { up: (db) => createWebhookSchema(db, dialect) },
    '0004_evaluation_schema': { up: (db) => createEvaluationSchema(db, dialect) },
    '0005_endpoint_schema': { up: (db) => createEndpointSchema(db) },
    '0006_job_schema': { up: (db) => createJobSchema(db, dialect) },
    '0007_work_queue': { up: (db) => createWorkQueueSchema(db, dialect) },
    '0008_monitoring_schema': { up: (db) => createMonitoringSchema(db, dialect) },
    '0009_delivery_columns': { up: (db) => addDeliveryColumns(db) },
  };
}

/**
 * Applies every pending migration; throws the first failure. On PostgreSQL pass the schema the
 * tables live in: without it Kysely's migrator takes a migration table in any other schema of the
 * database for ours.
 */
export async function migrateToLatest(
  db: Kysely<unknown>,
  dialect: SqlDialectName,
  schema?: string,
): Promise<void> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(trackingMigrations(dialect)) },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: `${MIGRATION_TABLE}_lock`,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (error === undefined) return;
    if (attempt >= SCAN_ATTEMPTS || !isVanishedTable(error)) {
      throw error instanceof Error ? error : new Error(String(error));
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
  }
}

/** How often a migration is tried when a table vanished under the migrator's scan. */
const SCAN_ATTEMPTS = 10;

/**
 * PostgreSQL's `undefined_table`. Kysely's migrator lists the tables of every schema of the
 * database to find its own; a table another session drops meanwhile (a prediction log partition
 * past retention, another tenant's schema) fails that scan, though nothing of ours is wrong. The
 * migration is all-or-nothing under the migrator's lock, so trying again is safe.
 */
function isVanishedTable(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '42P01';
}

async function createTrackingSchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // On SQLite a table read by its composite primary key is cheapest stored as that key's
  // b-tree (one lookup instead of index + table).
  const compact = dialect === 'sqlite' ? sql`without rowid` : sql``;

  await createExperiments(db, dialect);
  await db.schema
    .createTable('experiment_tags')
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('experiment_tags_pk', ['experiment_id', 'key'])
    .modifyEnd(compact)
    .execute();

  await db.schema
    .createTable('runs')
    .addColumn('run_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('start_time', 'bigint', (c) => c.notNull())
    .addColumn('end_time', 'bigint')
    .addColumn('deleted_time', 'bigint')
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .execute();
  // Run search scans one experiment's runs of one lifecycle stage; within them this is already
  // the default order (start_time DESC, run_id).
  await db.schema
    .createIndex('runs_experiment_stage_start_idx')
    .on('runs')
    .columns(['experiment_id', 'lifecycle_stage', 'start_time', 'run_id'])
    .execute();

  // Search probes these by (run_id, key) once per candidate run, and needs the value too.
  for (const table of ['params', 'tags']) {
    await db.schema
      .createTable(table)
      .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id'))
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('value', 'text', (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['run_id', 'key'])
      .modifyEnd(compact)
      .execute();
  }

  await createMetricTables(db, compact);
  await createDatasetTables(db, compact);
}

async function createExperiments(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // Ids are never reused: AUTOINCREMENT on SQLite, an identity sequence on PostgreSQL.
  const table =
    dialect === 'sqlite'
      ? db.schema
          .createTable('experiments')
          .addColumn('experiment_id', 'integer', (c) => c.primaryKey().autoIncrement())
      : db.schema
          .createTable('experiments')
          .addColumn('experiment_id', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  await table
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('artifact_location', 'text', (c) => c.notNull())
    .addColumn('lifecycle_stage', 'text', (c) => c.notNull())
    .addColumn('creation_time', 'bigint', (c) => c.notNull())
    .addColumn('last_update_time', 'bigint', (c) => c.notNull())
    .execute();
}

async function createMetricTables(db: Kysely<unknown>, compact: RawBuilder<unknown>): Promise<void> {
  // The primary key is the whole observation: it orders history reads by (run_id, key, step,
  // timestamp) and makes re-logging an identical observation a no-op (ON CONFLICT DO NOTHING).
  // No foreign key: the store checks the run in the same transaction, and per-row FK checks
  // would dominate the cost of a 1000-metric batch on PostgreSQL.
  await db.schema
    .createTable('metrics')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'smallint', (c) => c.notNull())
    .addPrimaryKeyConstraint('metrics_pk', ['run_id', 'key', 'step', 'timestamp', 'value', 'is_nan'])
    .modifyEnd(compact)
    .execute();
  await db.schema
    .createTable('latest_metrics')
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('step', 'bigint', (c) => c.notNull())
    .addColumn('timestamp', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('is_nan', 'smallint', (c) => c.notNull())
    .addPrimaryKeyConstraint('latest_metrics_pk', ['run_id', 'key'])
    .modifyEnd(compact)
    .execute();
  // Lets a search filtered and ordered by one metric walk the values in order and stop at the limit.
  await db.schema
    .createIndex('latest_metrics_key_value_idx')
    .on('latest_metrics')
    .columns(['key', 'value'])
    .execute();
}

async function createDatasetTables(db: Kysely<unknown>, compact: RawBuilder<unknown>): Promise<void> {
  await db.schema
    .createTable('datasets')
    .addColumn('dataset_id', 'text', (c) => c.primaryKey())
    .addColumn('experiment_id', 'bigint', (c) => c.notNull().references('experiments.experiment_id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('source_type', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('schema', 'text')
    .addColumn('profile', 'text')
    .addUniqueConstraint('datasets_experiment_name_digest_uq', ['experiment_id', 'name', 'digest'])
    .execute();
  await db.schema
    .createTable('inputs')
    .addColumn('input_id', 'text', (c) => c.primaryKey())
    .addColumn('run_id', 'text', (c) => c.notNull().references('runs.run_id'))
    .addColumn('dataset_id', 'text', (c) => c.notNull().references('datasets.dataset_id'))
    .addUniqueConstraint('inputs_run_dataset_uq', ['run_id', 'dataset_id'])
    .execute();
  await db.schema
    .createTable('input_tags')
    .addColumn('input_id', 'text', (c) => c.notNull().references('inputs.input_id'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('input_tags_pk', ['input_id', 'name'])
    .modifyEnd(compact)
    .execute();
}
