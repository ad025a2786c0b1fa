/**
 * The SQL implementation of the tracking store port, for SQLite and PostgreSQL. Dialect-specific
 * behaviour (transactions, bulk statements, LIKE, collation) lives in the SqlBackend; this class
 * holds the rules: existence and lifecycle checks, param immutability, latest-metric upkeep and the
 * mirror between a run's name and its `mlflow.runName` tag.
 */
import type {
  DatasetInput,
  Experiment,
  LifecycleStage,
  LogBatch,
  Metric,
  Run,
  RunInfo,
} from '@slipway/contracts';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import {
  type ExperimentSearchQuery,
  type NewExperiment,
  type NewRun,
  type PageRequest,
  type RunPatch,
  type RunSearchQuery,
  type TrackingStore,
  RUN_NAME_TAG,
} from '../../tracking/tracking-store.js';
import { buildExperimentSearch, EXPERIMENT_COLUMNS } from './experiment-search-sql.js';
import { PostgresBackend } from './postgres-backend.js';
import { experimentFromRow, runInfoFromRow, type ExperimentRow, type RunRow } from './row-mappers.js';
import { loadExperimentTags, loadRuns } from './run-data-loader.js';
import { buildRunSearch, isDecimalId, RUN_COLUMNS } from './run-search-sql.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';
import { openSqlDatabase } from './sql-database.js';
import { SqliteBackend } from './sqlite-backend.js';
import {
  experimentAlreadyInStage,
  experimentNameTaken,
  experimentNotActive,
  experimentNotFound,
  runIdTaken,
  runNotActive,
  runNotFound,
  tagNotFound,
} from './store-errors.js';
import {
  datasetIdFor,
  insertInput,
  insertMetrics,
  insertParams,
  upsertExperimentTags,
  upsertRunTags,
} from './tracking-writes.js';

/** Id of the experiment that always exists. */
export const DEFAULT_EXPERIMENT_ID = '0';
/** Name of the experiment that always exists. */
export const DEFAULT_EXPERIMENT_NAME = 'Default';

/** Options for opening a SQL tracking store. */
export interface OpenSqlTrackingStoreOptions {
  /** `sqlite:/abs/path.db`, `sqlite::memory:`, `postgresql://...` or `postgres://...`. */
  uri: string;
  /**
   * Artifact location of the Default experiment, called with "0" when the store creates it (on
   * first open of an empty database). Defaults to `mlflow-artifacts:/<id>`, the server's proxy scheme.
   */
  defaultArtifactLocation?: (experimentId: string) => string;
  /** PostgreSQL only: schema holding the tables (created if missing). */
  schema?: string;
}

/** Opens (and migrates) the database named by `uri` and returns its dialect's backend. */
export async function openSqlBackend(uri: string, schema?: string): Promise<SqlBackend> {
  const database = await openSqlDatabase(uri, schema === undefined ? {} : { schema });
  return database.dialect === 'sqlite' ? new SqliteBackend(database) : new PostgresBackend(database);
}

/** Opens (and migrates) the database named by `options.uri` and returns a store over it. */
export async function openSqlTrackingStore(options: OpenSqlTrackingStoreOptions): Promise<SqlTrackingStore> {
  const store = new SqlTrackingStore(await openSqlBackend(options.uri, options.schema));
  try {
    const location = options.defaultArtifactLocation ?? ((id: string) => `mlflow-artifacts:/${id}`);
    await store.ensureDefaultExperiment(location(DEFAULT_EXPERIMENT_ID), Date.now());
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** Tracking store over SQLite or PostgreSQL. */
export class SqlTrackingStore implements TrackingStore {
  constructor(
    /** The database this store runs on; the other stages' SQL stores share it. */
    readonly backend: SqlBackend,
  ) {}

  /** Which dialect this store runs on. */
  get dialect(): SqlBackend['dialect'] {
    return this.backend.dialect;
  }

  /** Creates experiment "0" named "Default" unless it exists (it is never overwritten). */
  async ensureDefaultExperiment(artifactLocation: string, now: number): Promise<void> {
    await this.backend.write((conn) =>
      conn
        .insertInto('experiments')
        .values({
          experiment_id: Number(DEFAULT_EXPERIMENT_ID),
          name: DEFAULT_EXPERIMENT_NAME,
          artifact_location: artifactLocation,
          lifecycle_stage: 'active',
          creation_time: now,
          last_update_time: now,
        })
        .onConflict((oc) => oc.doNothing())
        .execute(),
    );
  }

  // ---- experiments ----------------------------------------------------------------------------

  /** Creates an experiment; ids come from the database and only ever increase. */
  createExperiment(input: NewExperiment): Promise<Experiment> {
    return this.backend.write(async (conn) => {
      await this.assertNameFree(conn, input.name);
      const inserted = await this.uniqueOr(experimentNameTaken(input.name), () =>
        conn
          .insertInto('experiments')
          .values({
            name: input.name,
            artifact_location: input.artifactLocation ?? '',
            lifecycle_stage: 'active',
            creation_time: input.now,
            last_update_time: input.now,
          })
          .returning('experiment_id')
          .executeTakeFirstOrThrow(),
      );
      const experimentId = String(inserted.experiment_id);
      // MLflow too needs the id before it can name the default location.
      const artifactLocation = input.artifactLocation || input.defaultArtifactLocation(experimentId);
      if (artifactLocation !== input.artifactLocation) {
        await conn
          .updateTable('experiments')
          .set({ artifact_location: artifactLocation })
          .where('experiment_id', '=', Number(experimentId))
          .execute();
      }
      await upsertExperimentTags(conn, Number(experimentId), input.tags);
      return {
        experimentId,
        name: input.name,
        artifactLocation,
        lifecycleStage: 'active' as const,
        creationTime: input.now,
        lastUpdateTime: input.now,
        tags: { ...input.tags },
      };
    });
  }

  /** Returns the experiment with its tags, or undefined. */
  getExperiment(experimentId: string): Promise<Experiment | undefined> {
    if (!isDecimalId(experimentId)) return Promise.resolve(undefined);
    return this.backend.read((conn) =>
      this.findExperiment(conn, sql<SqlBool>`e.experiment_id = ${Number(experimentId)}`),
    );
  }

  /** Returns the experiment with that exact (case-sensitive) name, or undefined. */
  getExperimentByName(name: string): Promise<Experiment | undefined> {
    return this.backend.read((conn) => this.findExperiment(conn, sql<SqlBool>`e.name = ${name}`));
  }

  /** One page of experiments with their tags. */
  searchExperiments(query: ExperimentSearchQuery): Promise<Experiment[]> {
    return this.backend.read(async (conn) => {
      const { rows } = await buildExperimentSearch(this.backend, query).execute(conn);
      const tags = await loadExperimentTags(
        this.backend,
        conn,
        rows.map((row) => row.experiment_id),
      );
      return rows.map((row) => experimentFromRow(row, tags.get(String(row.experiment_id)) ?? {}));
    });
  }

  /** Renames an active experiment (a no-op when the name is unchanged). */
  renameExperiment(experimentId: string, name: string, now: number): Promise<void> {
    return this.backend.write(async (conn) => {
      const current = await this.requireActiveExperiment(conn, experimentId);
      if (current.name === name) return;
      await this.assertNameFree(conn, name);
      await this.uniqueOr(experimentNameTaken(name), () =>
        conn
          .updateTable('experiments')
          .set({ name, last_update_time: now })
          .where('experiment_id', '=', Number(experimentId))
          .execute(),
      );
    });
  }

  /**
   * Deletes or restores an experiment and all its runs (as MLflow: restoring also restores runs
   * that were deleted one by one). FAILED_PRECONDITION when it already is in that stage.
   */
  setExperimentLifecycle(experimentId: string, stage: LifecycleStage, now: number): Promise<void> {
    return this.backend.write(async (conn) => {
      const current = await this.requireExperiment(conn, experimentId);
      if (current.lifecycle_stage === stage) throw experimentAlreadyInStage(experimentId, stage);
      const id = Number(experimentId);
      await conn
        .updateTable('experiments')
        .set({ lifecycle_stage: stage, last_update_time: now })
        .where('experiment_id', '=', id)
        .execute();
      await conn
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
        .where('experiment_id', '=', id)
        .execute();
    });
  }

  /** Upserts a tag of an active experiment. */
  setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    return this.backend.write(async (conn) => {
      await this.requireActiveExperiment(conn, experimentId);
      await upsertExperimentTags(conn, Number(experimentId), { [key]: value });
    });
  }

  /** Deletes a tag of an active experiment; NOT_FOUND when it is not set. */
  deleteExperimentTag(experimentId: string, key: string): Promise<void> {
    return this.backend.write(async (conn) => {
      await this.requireActiveExperiment(conn, experimentId);
      const result = await conn
        .deleteFrom('experiment_tags')
        .where('experiment_id', '=', Number(experimentId))
        .where('key', '=', key)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw tagNotFound(`experiment with id ${experimentId}`, key);
    });
  }

  // ---- runs -----------------------------------------------------------------------------------

  /** Creates a RUNNING run; its `mlflow.runName` tag is set to `runName`. */
  createRun(input: NewRun): Promise<Run> {
    return this.backend.write(async (conn) => {
      await this.requireActiveExperiment(conn, input.experimentId);
      const row = {
        run_id: input.runId,
        experiment_id: Number(input.experimentId),
        name: input.runName,
        user_id: input.userId,
        status: 'RUNNING',
        start_time: input.startTime,
        end_time: null,
        deleted_time: null,
        artifact_uri: input.artifactUri,
        lifecycle_stage: 'active',
      };
      await this.uniqueOr(runIdTaken(input.runId), () => conn.insertInto('runs').values(row).execute());
      const tags = { ...input.tags, [RUN_NAME_TAG]: input.runName };
      await upsertRunTags(conn, input.runId, tags);
      return {
        info: runInfoFromRow(row),
        data: { metrics: [], params: {}, tags },
        inputs: { datasetInputs: [] },
      };
    });
  }

  /** Returns the run with its latest metrics, params, tags and inputs, or undefined. */
  getRun(runId: string): Promise<Run | undefined> {
    return this.backend.read(async (conn) => {
      const row = await this.findRunRow(conn, runId);
      if (row === undefined) return undefined;
      const [run] = await loadRuns(this.backend, conn, [row]);
      return run;
    });
  }

  /** Returns the run's info only, or undefined. */
  async getRunInfo(runId: string): Promise<RunInfo | undefined> {
    const row = await this.findRunRow(this.backend.db, runId);
    return row === undefined ? undefined : runInfoFromRow(row);
  }

  /** Updates an active run; a non-empty `runName` also updates the `mlflow.runName` tag. */
  updateRun(runId: string, patch: RunPatch): Promise<RunInfo> {
    return this.backend.write(async (conn) => {
      const row = await this.requireActiveRun(conn, runId);
      const updated: RunRow = {
        ...row,
        ...(patch.status === undefined ? {} : { status: patch.status }),
        ...(patch.endTime === undefined ? {} : { end_time: patch.endTime }),
        ...(patch.runName ? { name: patch.runName } : {}),
      };
      await conn
        .updateTable('runs')
        .set({
          status: updated.status,
          name: updated.name,
          ...(patch.endTime === undefined ? {} : { end_time: patch.endTime }),
        })
        .where('run_id', '=', runId)
        .execute();
      if (patch.runName) await upsertRunTags(conn, runId, { [RUN_NAME_TAG]: patch.runName });
      return runInfoFromRow(updated);
    });
  }

  /** Deletes or restores a run; setting the stage it already has changes nothing (as MLflow, no error). */
  setRunLifecycle(runId: string, stage: LifecycleStage, now: number): Promise<void> {
    return this.backend.write(async (conn) => {
      const row = await this.requireRun(conn, runId);
      if (row.lifecycle_stage === stage) return;
      await conn
        .updateTable('runs')
        .set({ lifecycle_stage: stage, deleted_time: stage === 'deleted' ? now : null })
        .where('run_id', '=', runId)
        .execute();
    });
  }

  /** Params, metrics and tags of an active run in one transaction: all or nothing. */
  logBatch(runId: string, batch: LogBatch): Promise<void> {
    return this.backend.write(async (conn) => {
      await this.requireActiveRun(conn, runId);
      await insertParams(this.backend, conn, runId, batch.params);
      await insertMetrics(this.backend, conn, runId, batch.metrics);
      await upsertRunTags(conn, runId, batch.tags);
      const newName = batch.tags[RUN_NAME_TAG];
      if (newName)
        await conn.updateTable('runs').set({ name: newName }).where('run_id', '=', runId).execute();
    });
  }

  /** Deletes a tag of an active run; NOT_FOUND when it is not set. */
  deleteRunTag(runId: string, key: string): Promise<void> {
    return this.backend.write(async (conn) => {
      await this.requireActiveRun(conn, runId);
      const result = await conn
        .deleteFrom('tags')
        .where('run_id', '=', runId)
        .where('key', '=', key)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw tagNotFound(`run with id ${runId}`, key);
    });
  }

  /**
   * Records dataset inputs of an active run. Datasets are shared per (experiment, name, digest);
   * an input the run already has is left as it is, tags included (as MLflow).
   */
  logInputs(runId: string, inputs: DatasetInput[]): Promise<void> {
    return this.backend.write(async (conn) => {
      const run = await this.requireActiveRun(conn, runId);
      const experimentId = Number(run.experiment_id);
      const seen = new Set<string>();
      for (const input of inputs) {
        const identity = JSON.stringify([input.dataset.name, input.dataset.digest]);
        if (seen.has(identity)) continue;
        seen.add(identity);
        const datasetId = await datasetIdFor(conn, experimentId, input);
        await insertInput(conn, runId, datasetId, input.tags);
      }
    });
  }

  /** One page of a metric's history ordered by step, timestamp (then value); NOT_FOUND for a missing run. */
  getMetricHistory(runId: string, key: string, page: PageRequest): Promise<Metric[]> {
    return this.backend.read(async (conn) => {
      const metrics = await this.backend.metricHistory(conn, runId, key, page);
      // Checked only when empty: the common case costs one statement.
      if (metrics.length === 0 && (await this.findRunRow(conn, runId)) === undefined)
        throw runNotFound(runId);
      return metrics;
    });
  }

  /** One page of runs; filter, order and paging all run in SQL. */
  searchRuns(query: RunSearchQuery): Promise<Run[]> {
    const search = buildRunSearch(this.backend, query);
    if (search === undefined) return Promise.resolve([]);
    return this.backend.read(async (conn) => {
      const { rows } = await search.execute(conn);
      return loadRuns(this.backend, conn, rows);
    });
  }

  /** Waits for pending writes, then releases connections. */
  close(): Promise<void> {
    return this.backend.close();
  }

  // ---- helpers --------------------------------------------------------------------------------

  private async findExperiment(
    conn: SqlConn,
    condition: RawBuilder<SqlBool>,
  ): Promise<Experiment | undefined> {
    const { rows } =
      await sql<ExperimentRow>`SELECT ${EXPERIMENT_COLUMNS} FROM experiments e WHERE ${condition}`.execute(
        conn,
      );
    const row = rows[0];
    if (row === undefined) return undefined;
    const tags = await loadExperimentTags(this.backend, conn, [row.experiment_id]);
    return experimentFromRow(row, tags.get(String(row.experiment_id)) ?? {});
  }

  private async requireExperiment(
    conn: SqlConn,
    experimentId: string,
  ): Promise<{ name: string; lifecycle_stage: string }> {
    const row = isDecimalId(experimentId)
      ? await conn
          .selectFrom('experiments')
          .select(['name', 'lifecycle_stage'])
          .where('experiment_id', '=', Number(experimentId))
          .executeTakeFirst()
      : undefined;
    if (row === undefined) throw experimentNotFound(experimentId);
    return row;
  }

  private async requireActiveExperiment(conn: SqlConn, experimentId: string): Promise<{ name: string }> {
    const row = await this.requireExperiment(conn, experimentId);
    if (row.lifecycle_stage !== 'active') throw experimentNotActive(experimentId);
    return row;
  }

  private async assertNameFree(conn: SqlConn, name: string): Promise<void> {
    const taken = await conn
      .selectFrom('experiments')
      .select('experiment_id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (taken !== undefined) throw experimentNameTaken(name);
  }

  /** Runs `write`, turning a unique violation (a concurrent writer won a race) into `error`. */
  private async uniqueOr<T>(error: Error, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      throw this.backend.isUniqueViolation(err) ? error : err;
    }
  }

  private async findRunRow(conn: SqlConn, runId: string): Promise<RunRow | undefined> {
    const { rows } = await sql<RunRow>`SELECT ${RUN_COLUMNS} FROM runs r WHERE r.run_id = ${runId}`.execute(
      conn,
    );
    return rows[0];
  }

  private async requireRun(conn: SqlConn, runId: string): Promise<RunRow> {
    const row = await this.findRunRow(conn, runId);
    if (row === undefined) throw runNotFound(runId);
    return row;
  }

  private async requireActiveRun(conn: SqlConn, runId: string): Promise<RunRow> {
    const row = await this.requireRun(conn, runId);
    if (row.lifecycle_stage !== 'active') throw runNotActive(runId);
    return row;
  }
}
