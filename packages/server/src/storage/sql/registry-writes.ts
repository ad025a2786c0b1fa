/**
 * The writes the registry store's operations share: tags, the conditional alias write, the model's
 * last-updated time, and building and appending events. Callers run them inside one write transaction.
 */
import type { RegistryEvent, RegistryEventType, StringMap } from '@slipway/contracts';
import { sql } from 'kysely';
import type { Actor } from '../../registry/registry-store.js';
import type { LockedModel } from './registry-lookups.js';
import { eventFromRow, eventToRow, type NewRegistryEvent } from './registry-row-mappers.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';

/** Rows per multi-row INSERT: keeps parameters under SQLite's 32766 and PostgreSQL's 65535 limits. */
const ROWS_PER_INSERT = 1000;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Sets registered-model tags (insert or overwrite). */
export async function upsertModelTags(conn: SqlConn, modelId: number, tags: StringMap): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ model_id: modelId, key, value }));
  for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
    await conn
      .insertInto('registered_model_tags')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['model_id', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
      )
      .execute();
  }
}

/** Sets model-version tags (insert or overwrite). */
export async function upsertVersionTags(
  conn: SqlConn,
  modelId: number,
  version: number,
  tags: StringMap,
): Promise<void> {
  const rows = Object.entries(tags).map(([key, value]) => ({ model_id: modelId, version, key, value }));
  for (const chunk of chunks(rows, ROWS_PER_INSERT)) {
    await conn
      .insertInto('model_version_tags')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['model_id', 'version', 'key']).doUpdateSet((eb) => ({ value: eb.ref('excluded.value') })),
      )
      .execute();
  }
}

/**
 * Appends events in order and returns them with their seq. Call it once per transaction, as its
 * last statement. On PostgreSQL it first takes a self-exclusive lock on the table, held to COMMIT:
 * identity values are handed out at INSERT, not at COMMIT, so without it a transaction could commit
 * seq 6 before another commits seq 5, and a reader paging by `afterSeq` (the webhook outbox) would
 * skip 5 for good. With it seq order is commit order. Taken last, so nothing waits while holding it.
 */
export async function appendEvents(
  backend: SqlBackend,
  conn: SqlConn,
  events: readonly NewRegistryEvent[],
): Promise<RegistryEvent[]> {
  if (events.length === 0) return [];
  if (backend.dialect === 'postgres')
    await sql`LOCK TABLE registry_events IN SHARE ROW EXCLUSIVE MODE`.execute(conn);
  const appended: RegistryEvent[] = [];
  // One INSERT per event: RETURNING of a multi-row INSERT does not promise the VALUES order.
  for (const event of events) {
    const row = eventToRow(event);
    const { seq } = await conn
      .insertInto('registry_events')
      .values(row)
      .returning('seq')
      .executeTakeFirstOrThrow();
    appended.push(eventFromRow({ ...row, seq }));
  }
  return appended;
}

/**
 * Points `alias` at `to` (undefined: unsets it) only if it still points at `from` (undefined:
 * unset); false when it does not. Conditional statements rather than a blind upsert, so even a
 * writer that skipped the model lock cannot overwrite a concurrent move unnoticed: on PostgreSQL a
 * concurrent UPDATE makes ours re-check its WHERE against the committed row, and a concurrent
 * INSERT of the same alias makes ours a no-op.
 */
export async function writeAlias(
  conn: SqlConn,
  model: LockedModel,
  alias: string,
  from: number | undefined,
  to: number | undefined,
): Promise<boolean> {
  if (from === undefined) {
    if (to === undefined) return false;
    const inserted = await conn
      .insertInto('registered_model_aliases')
      .values({ model_id: model.model_id, alias, version: to })
      .onConflict((oc) => oc.columns(['model_id', 'alias']).doNothing())
      .returning('alias')
      .executeTakeFirst();
    return inserted !== undefined;
  }
  if (to === undefined) {
    const deleted = await conn
      .deleteFrom('registered_model_aliases')
      .where('model_id', '=', model.model_id)
      .where('alias', '=', alias)
      .where('version', '=', from)
      .executeTakeFirst();
    return deleted.numDeletedRows === 1n;
  }
  const updated = await conn
    .updateTable('registered_model_aliases')
    .set({ version: to })
    .where('model_id', '=', model.model_id)
    .where('alias', '=', alias)
    .where('version', '=', from)
    .executeTakeFirst();
  return updated.numUpdatedRows === 1n;
}

/** Sets the model's last-updated time (version creates, deletes and stage changes count as model updates, as in MLflow). */
export async function touchModel(conn: SqlConn, model: LockedModel, now: number): Promise<void> {
  await conn
    .updateTable('registered_models')
    .set({ last_updated_time: now })
    .where('model_id', '=', model.model_id)
    .execute();
}

/** The common fields of an event caused by `by`. */
export function event(type: RegistryEventType, by: Actor, modelName: string): NewRegistryEvent {
  return { type, time: by.now, actor: by.actor, modelName };
}

/** One `alias.deleted` event per alias removed along with its version or model, in alias order. */
export function aliasDeletedEvents(
  by: Actor,
  modelName: string,
  aliases: readonly { alias: string; version: number }[],
  reason: string,
): NewRegistryEvent[] {
  return [...aliases]
    .sort((a, b) => (a.alias < b.alias ? -1 : a.alias > b.alias ? 1 : 0))
    .map((a) => ({
      ...event('alias.deleted', by, modelName),
      alias: a.alias,
      fromVersion: String(a.version),
      reason,
    }));
}
