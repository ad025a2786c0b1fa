/**
 * The SQL implementation of the registry store port, for SQLite and PostgreSQL. Dialect-specific
 * behaviour lives in the SqlBackend; this class holds the rules: name uniqueness, never-reused
 * version numbers, compare-and-set alias moves, and an event appended in the same transaction as
 * every change to a model's name, versions or aliases.
 */
import type { ModelVersion, RegisteredModel, RegistryEvent } from '@slipway/contracts';
import { sql } from 'kysely';
import type {
  Actor,
  AliasMove,
  ModelVersionPatch,
  ModelVersionSearchQuery,
  NewModelVersion,
  NewRegisteredModel,
  RegisteredModelSearchQuery,
  RegistryEventQuery,
  RegistryStore,
} from '../../registry/registry-store.js';
import { loadModels, loadVersions } from './registry-data-loader.js';
import { aliasVersion, findModel, findVersion, requireModel, requireVersion } from './registry-lookups.js';
import { eventFromRow, parseVersion, versionFromRow } from './registry-row-mappers.js';
import { buildModelSearch, buildVersionSearch } from './registry-search-sql.js';
import {
  aliasMoved,
  aliasNotFound,
  modelTagNotFound,
  registeredModelNameTaken,
  registeredModelNotFound,
  versionTagNotFound,
} from './registry-store-errors.js';
import {
  aliasDeletedEvents,
  appendEvents,
  event,
  touchModel,
  upsertModelTags,
  upsertVersionTags,
  writeAlias,
} from './registry-writes.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

/** Why aliases disappear without an alias move of their own. */
const VERSION_DELETED = 'version deleted';
const MODEL_DELETED = 'model deleted';

/** Registry store over SQLite or PostgreSQL; it does not own the backend (the caller closes it). */
export class SqlRegistryStore implements RegistryStore {
  constructor(private readonly backend: SqlBackend) {}

  // ---- registered models ----------------------------------------------------------------------

  /** Creates a registered model with its tags (event `registered_model.created`). */
  createRegisteredModel(input: NewRegisteredModel): Promise<RegisteredModel> {
    return this.backend.write(async (conn) => {
      await this.assertNameFree(conn, input.name);
      const { model_id } = await this.uniqueOr(registeredModelNameTaken(input.name), () =>
        conn
          .insertInto('registered_models')
          .values({
            name: input.name,
            description: input.description,
            creation_time: input.now,
            last_updated_time: input.now,
            last_version: 0,
          })
          .returning('model_id')
          .executeTakeFirstOrThrow(),
      );
      await upsertModelTags(conn, Number(model_id), input.tags);
      await appendEvents(this.backend, conn, [event('registered_model.created', input, input.name)]);
      return {
        name: input.name,
        creationTime: input.now,
        lastUpdatedTime: input.now,
        description: input.description,
        tags: { ...input.tags },
        aliases: [],
        latestVersions: [],
      };
    });
  }

  /** Returns the model with tags, aliases and latest versions per stage, or undefined. */
  getRegisteredModel(name: string): Promise<RegisteredModel | undefined> {
    return this.backend.read((conn) => findModel(this.backend, conn, name));
  }

  /** Renames a model (a no-op, without event, when the name is unchanged); versions, tags and aliases follow. */
  renameRegisteredModel(name: string, newName: string, by: Actor): Promise<RegisteredModel> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      if (newName !== name) {
        await this.assertNameFree(conn, newName);
        await this.uniqueOr(registeredModelNameTaken(newName), () =>
          conn
            .updateTable('registered_models')
            .set({ name: newName, last_updated_time: by.now })
            .where('model_id', '=', model.model_id)
            .execute(),
        );
        await appendEvents(this.backend, conn, [
          { ...event('registered_model.renamed', by, newName), details: { previousName: name } },
        ]);
      }
      return (await findModel(this.backend, conn, newName)) as RegisteredModel;
    });
  }

  /** Replaces the description. */
  updateRegisteredModel(name: string, description: string, now: number): Promise<RegisteredModel> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      await conn
        .updateTable('registered_models')
        .set({ description, last_updated_time: now })
        .where('model_id', '=', model.model_id)
        .execute();
      return (await findModel(this.backend, conn, name)) as RegisteredModel;
    });
  }

  /** Deletes a model with its versions, tags and aliases; its events stay. */
  deleteRegisteredModel(name: string, by: Actor): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const aliases = await conn
        .deleteFrom('registered_model_aliases')
        .where('model_id', '=', model.model_id)
        .returning(['alias', 'version'])
        .execute();
      for (const table of ['model_version_tags', 'model_versions', 'registered_model_tags'] as const)
        await conn.deleteFrom(table).where('model_id', '=', model.model_id).execute();
      await conn.deleteFrom('registered_models').where('model_id', '=', model.model_id).execute();
      await appendEvents(this.backend, conn, [
        ...aliasDeletedEvents(by, name, aliases, MODEL_DELETED),
        event('registered_model.deleted', by, name),
      ]);
    });
  }

  /** One page of registered models. */
  searchRegisteredModels(query: RegisteredModelSearchQuery): Promise<RegisteredModel[]> {
    return this.backend.read(async (conn) => {
      const { rows } = await buildModelSearch(this.backend, query).execute(conn);
      return loadModels(this.backend, conn, rows);
    });
  }

  /** Upserts a model tag. */
  setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      await upsertModelTags(conn, model.model_id, { [key]: value });
    });
  }

  /** Deletes a model tag; NOT_FOUND (field `key`) when it is not set. */
  deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const result = await conn
        .deleteFrom('registered_model_tags')
        .where('model_id', '=', model.model_id)
        .where('key', '=', key)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw modelTagNotFound(name, key);
    });
  }

  // ---- model versions -------------------------------------------------------------------------

  /**
   * Creates the next version. The number comes from the model row's counter, incremented by the
   * same UPDATE that locks the row, so concurrent creates queue on it and never collide, and a
   * deleted version's number is never handed out again (MLflow never reuses one either).
   */
  createModelVersion(input: NewModelVersion): Promise<ModelVersion> {
    return this.backend.write(async (conn) => {
      // Same lock order as lockModel: the model row before anything else.
      const model = await conn
        .updateTable('registered_models')
        .set((eb) => ({ last_version: eb('last_version', '+', 1), last_updated_time: input.now }))
        .where('name', '=', input.name)
        .returning(['model_id', 'last_version'])
        .executeTakeFirst();
      if (model === undefined) throw registeredModelNotFound(input.name);
      const modelId = Number(model.model_id);
      const version = model.last_version;
      const values = {
        model_id: modelId,
        version,
        creation_time: input.now,
        last_updated_time: input.now,
        current_stage: 'None',
        description: input.description,
        user_id: input.actor,
        source: input.source,
        run_id: input.runId,
        run_link: input.runLink,
        status: input.status,
        status_message: input.statusMessage,
        contract: input.contract === undefined ? null : JSON.stringify(input.contract),
        package: input.package === undefined ? null : JSON.stringify(input.package),
      };
      await conn.insertInto('model_versions').values(values).execute();
      await upsertVersionTags(conn, modelId, version, input.tags);
      await appendEvents(this.backend, conn, [
        { ...event('model_version.created', input, input.name), version: String(version) },
      ]);
      return versionFromRow({ ...values, name: input.name }, { ...input.tags }, []);
    });
  }

  /** Returns a version with tags and aliases, or undefined. */
  getModelVersion(name: string, version: string): Promise<ModelVersion | undefined> {
    return this.backend.read((conn) => findVersion(this.backend, conn, name, version));
  }

  /** Updates the mutable fields; a stage change also touches the model (as MLflow's transition does). */
  updateModelVersion(
    name: string,
    version: string,
    patch: ModelVersionPatch,
    now: number,
  ): Promise<ModelVersion> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const number = await requireVersion(conn, model, version);
      await conn
        .updateTable('model_versions')
        .set({
          last_updated_time: now,
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.status === undefined ? {} : { status: patch.status }),
          ...(patch.statusMessage === undefined ? {} : { status_message: patch.statusMessage }),
          ...(patch.stage === undefined ? {} : { current_stage: patch.stage }),
        })
        .where('model_id', '=', model.model_id)
        .where('version', '=', number)
        .execute();
      if (patch.stage !== undefined) await touchModel(conn, model, now);
      return (await findVersion(this.backend, conn, name, version)) as ModelVersion;
    });
  }

  /** Deletes a version; aliases on it go first, each with an `alias.deleted` event. */
  deleteModelVersion(name: string, version: string, by: Actor): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const number = await requireVersion(conn, model, version);
      const aliases = await conn
        .deleteFrom('registered_model_aliases')
        .where('model_id', '=', model.model_id)
        .where('version', '=', number)
        .returning(['alias', 'version'])
        .execute();
      for (const table of ['model_version_tags', 'model_versions'] as const) {
        await conn
          .deleteFrom(table)
          .where('model_id', '=', model.model_id)
          .where('version', '=', number)
          .execute();
      }
      await touchModel(conn, model, by.now);
      await appendEvents(this.backend, conn, [
        ...aliasDeletedEvents(by, name, aliases, VERSION_DELETED),
        { ...event('model_version.deleted', by, name), version: String(number) },
      ]);
    });
  }

  /** One page of versions. */
  searchModelVersions(query: ModelVersionSearchQuery): Promise<ModelVersion[]> {
    return this.backend.read(async (conn) => {
      const { rows } = await buildVersionSearch(this.backend, query).execute(conn);
      return loadVersions(this.backend, conn, rows);
    });
  }

  /** Upserts a version tag. */
  setModelVersionTag(name: string, version: string, key: string, value: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const number = await requireVersion(conn, model, version);
      await upsertVersionTags(conn, model.model_id, number, { [key]: value });
    });
  }

  /** Deletes a version tag; NOT_FOUND (field `key`) when it is not set. */
  deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, name);
      const number = await requireVersion(conn, model, version);
      const result = await conn
        .deleteFrom('model_version_tags')
        .where('model_id', '=', model.model_id)
        .where('version', '=', number)
        .where('key', '=', key)
        .executeTakeFirst();
      if (result.numDeletedRows === 0n) throw versionTagNotFound(name, version, key);
    });
  }

  // ---- aliases and events ---------------------------------------------------------------------

  /** The version an alias points at, or undefined when unset (NOT_FOUND when the model is missing). */
  getAlias(name: string, alias: string): Promise<string | undefined> {
    return this.backend.read(async (conn) => {
      const row = await conn
        .selectFrom('registered_models as m')
        .leftJoin('registered_model_aliases as a', (join) =>
          join.onRef('a.model_id', '=', 'm.model_id').on('a.alias', '=', alias),
        )
        .select('a.version')
        .where('m.name', '=', name)
        .executeTakeFirst();
      if (row === undefined) throw registeredModelNotFound(name);
      return row.version === null ? undefined : String(row.version);
    });
  }

  /**
   * Compare-and-set alias move. The model lock already serializes movers of one model; the writes
   * are conditional too (UPDATE/DELETE ... WHERE version = current, INSERT ... ON CONFLICT DO
   * NOTHING), so a writer that did not take the lock still cannot be overwritten unnoticed.
   */
  moveAlias(move: AliasMove): Promise<RegistryEvent> {
    return this.backend.write(async (conn) => {
      const model = await requireModel(this.backend, conn, move.name);
      const to = move.to === undefined ? undefined : await requireVersion(conn, model, move.to);
      const current = await aliasVersion(conn, model, move.alias);
      if (to === undefined && current === undefined) throw aliasNotFound(move.name, move.alias);
      const expected = move.expectedFrom === undefined ? undefined : parseVersion(move.expectedFrom);
      const holds = move.expectedFrom === undefined ? current === undefined : current === expected;
      if (!holds || !(await writeAlias(conn, model, move.alias, current, to))) {
        const latest = await aliasVersion(conn, model, move.alias);
        throw aliasMoved(
          move.name,
          move.alias,
          move.expectedFrom,
          latest === undefined ? undefined : String(latest),
        );
      }
      const [appended] = await appendEvents(this.backend, conn, [
        {
          ...event(to === undefined ? 'alias.deleted' : 'alias.set', move, move.name),
          alias: move.alias,
          ...(current === undefined ? {} : { fromVersion: String(current) }),
          ...(to === undefined ? {} : { toVersion: String(to) }),
          ...(move.reason === undefined ? {} : { reason: move.reason }),
          ...(move.gate === undefined ? {} : { gate: move.gate }),
          ...(move.forced === undefined ? {} : { forced: move.forced }),
          ...(move.details === undefined ? {} : { details: move.details }),
        },
      ]);
      return appended as RegistryEvent;
    });
  }

  /** Events matching the query, oldest first. */
  listEvents(query: RegistryEventQuery): Promise<RegistryEvent[]> {
    return this.backend.read(async (conn) => {
      const rows = await conn
        .selectFrom('registry_events')
        .selectAll()
        .$if(query.afterSeq !== undefined, (qb) => qb.where('seq', '>', query.afterSeq as number))
        .$if(query.modelName !== undefined, (qb) => qb.where('model_name', '=', query.modelName as string))
        .$if(query.alias !== undefined, (qb) => qb.where('alias', '=', query.alias as string))
        .$if(query.until !== undefined, (qb) => qb.where('time', '<=', query.until as number))
        .$if(query.types !== undefined, (qb) =>
          qb.where(this.backend.inList(sql.ref('type'), query.types ?? [])),
        )
        .orderBy('seq')
        .limit(query.limit)
        .execute();
      return rows.map(eventFromRow);
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private async assertNameFree(conn: SqlConn, name: string): Promise<void> {
    const taken = await conn
      .selectFrom('registered_models')
      .select('model_id')
      .where('name', '=', name)
      .executeTakeFirst();
    if (taken !== undefined) throw registeredModelNameTaken(name);
  }

  /** Runs `write`, turning a unique violation (a concurrent writer won a race) into `error`. */
  private async uniqueOr<T>(error: Error, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      throw this.backend.isUniqueViolation(err) ? error : err;
    }
  }
}
