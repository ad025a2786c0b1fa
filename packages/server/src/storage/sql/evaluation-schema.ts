/**
 * Evaluation tables: Kysely types and DDL (migration 0004). An evaluation is stored whole as JSON
 * text (`body`); the columns beside it exist only to filter and order listings, and
 * `evaluation_models` indexes which model versions each evaluation scored. Booleans are smallint
 * 0/1, so rows read back identically from SQLite and PostgreSQL.
 */
import type { Generated, Kysely } from 'kysely';
import type { SqlDialectName } from './sql-uri.js';
import type { Int64Column } from './tracking-schema.js';

/** `evaluations`: one row per complete evaluation; `seq` orders saves within one millisecond. */
export interface EvaluationsTable {
  seq: Generated<number | string>;
  id: string;
  created_at: Int64Column;
  created_by: string;
  /** 1 when the evaluation is a gated promotion attempt (has a `promotion`). */
  has_promotion: number;
  /** The whole Evaluation as JSON. */
  body: string;
}

/** `evaluation_models`: the model versions an evaluation scored, primary key (evaluation_id, model_name, version). */
export interface EvaluationModelsTable {
  evaluation_id: string;
  model_name: string;
  version: string;
  role: string;
}

/** Every evaluation table, as Kysely sees the database. */
export interface EvaluationTables {
  evaluations: EvaluationsTable;
  evaluation_models: EvaluationModelsTable;
}

/** Migration 0004: creates the evaluation tables. */
export async function createEvaluationSchema(db: Kysely<unknown>, dialect: SqlDialectName): Promise<void> {
  // A database-assigned seq breaks created_at ties: the later saved lists first.
  const table =
    dialect === 'sqlite'
      ? db.schema
          .createTable('evaluations')
          .addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement())
      : db.schema
          .createTable('evaluations')
          .addColumn('seq', 'bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity());
  await table
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('has_promotion', 'smallint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .execute();
  // Serves the listing order (created_at DESC, seq DESC) by a backward scan.
  await db.schema
    .createIndex('evaluations_created_idx')
    .on('evaluations')
    .columns(['created_at', 'seq'])
    .execute();

  await db.schema
    .createTable('evaluation_models')
    .addColumn('evaluation_id', 'text', (c) => c.notNull().references('evaluations.id'))
    .addColumn('model_name', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('evaluation_models_pk', ['evaluation_id', 'model_name', 'version'])
    .execute();
  // Finds the evaluations of a model (and version) for the filtered listings.
  await db.schema
    .createIndex('evaluation_models_model_idx')
    .on('evaluation_models')
    .columns(['model_name', 'version'])
    .execute();
}
