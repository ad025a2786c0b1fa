/**
 * The SQL implementation of the webhook store port, for SQLite and PostgreSQL. Concurrency rests on
 * two things: fan-out locks the cursor row (PostgreSQL; SQLite has a single writer anyway), and a
 * claim takes due rows with FOR UPDATE SKIP LOCKED and pushes their due time past a lease, so two
 * dispatcher processes never claim the same delivery at once.
 */
import { randomUUID } from 'node:crypto';
import {
  SlipwayError,
  notFound,
  type RegistryEvent,
  type RegistryEventType,
  type Webhook,
  type WebhookAttempt,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
} from '@slipway/contracts';
import { sql, type Insertable, type Selectable } from 'kysely';
import type { PageRequest } from '../../tracking/tracking-store.js';
import {
  webhookMatchesEvent,
  type AttemptRecord,
  type ClaimedDelivery,
  type DeliveryPageRequest,
  type NewWebhook,
  type WebhookPatch,
  type WebhookStore,
} from '../../registry/webhook-store.js';
import { toInt64, toNullableInt64 } from './row-mappers.js';
import type { SqlBackend, SqlConn } from './sql-backend.js';
import {
  REGISTRY_CURSOR,
  type WebhookAttemptsTable,
  type WebhookDeliveriesTable,
  type WebhooksTable,
} from './webhook-schema.js';

type WebhookRow = Selectable<WebhooksTable>;
type DeliveryRow = Selectable<WebhookDeliveriesTable>;
type AttemptRow = Selectable<WebhookAttemptsTable>;

/** Deliveries per INSERT: 8 parameters each stays far below either dialect's parameter limit. */
const INSERT_CHUNK = 200;

const WEBHOOK_COLUMNS = [
  'webhook_id',
  'url',
  'events',
  'model_name',
  'description',
  'active',
  'creation_time',
  'last_updated_time',
] as const;

/** Webhook store over SQLite or PostgreSQL (shares the tracking store's backend and database). */
export class SqlWebhookStore implements WebhookStore {
  constructor(private readonly backend: SqlBackend) {}

  // ---- webhooks -------------------------------------------------------------------------------

  /** Inserts the webhook; ALREADY_EXISTS when the id is taken. */
  createWebhook(input: NewWebhook): Promise<Webhook> {
    const row: Insertable<WebhooksTable> = {
      webhook_id: input.id,
      url: input.url,
      events: JSON.stringify(input.events),
      model_name: input.modelName ?? null,
      description: input.description,
      active: input.active ? 1 : 0,
      secret: input.secret,
      creation_time: input.now,
      last_updated_time: input.now,
    };
    return this.backend.write(async (conn) => {
      try {
        await conn.insertInto('webhooks').values(row).execute();
      } catch (err) {
        if (!this.backend.isUniqueViolation(err)) throw err;
        throw new SlipwayError('ALREADY_EXISTS', `Webhook ${input.id} already exists.`, { field: 'id' });
      }
      return this.requireWebhook(conn, input.id);
    });
  }

  /** The webhook without its secret, or undefined. */
  getWebhook(id: string): Promise<Webhook | undefined> {
    return this.backend.read((conn) => this.findWebhook(conn, id));
  }

  /** The only read that selects the secret column. */
  async getWebhookSecret(id: string): Promise<string | undefined> {
    const row = await this.backend.read((conn) =>
      conn.selectFrom('webhooks').select('secret').where('webhook_id', '=', id).executeTakeFirst(),
    );
    return row?.secret;
  }

  /** Oldest first; ties broken by id so pages never overlap. */
  listWebhooks(page: PageRequest): Promise<Webhook[]> {
    return this.backend.read(async (conn) => {
      const rows = await conn
        .selectFrom('webhooks')
        .select(WEBHOOK_COLUMNS)
        .orderBy('creation_time')
        .orderBy('webhook_id')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      return rows.map(webhookFromRow);
    });
  }

  /** Applies the patch; NOT_FOUND for a missing webhook. */
  updateWebhook(id: string, patch: WebhookPatch, now: number): Promise<Webhook> {
    return this.backend.write(async (conn) => {
      const result = await conn
        .updateTable('webhooks')
        .set({ ...webhookChanges(patch), last_updated_time: now })
        .where('webhook_id', '=', id)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) throw webhookNotFound(id);
      return this.requireWebhook(conn, id);
    });
  }

  /** Deletes the webhook, its deliveries and their attempts in one transaction. */
  deleteWebhook(id: string): Promise<void> {
    return this.backend.write(async (conn) => {
      await conn
        .deleteFrom('webhook_attempts')
        .where('delivery_id', 'in', (eb) =>
          eb.selectFrom('webhook_deliveries').select('delivery_id').where('webhook_id', '=', id),
        )
        .execute();
      await conn.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute();
      const result = await conn.deleteFrom('webhooks').where('webhook_id', '=', id).executeTakeFirst();
      if (result.numDeletedRows === 0n) throw webhookNotFound(id);
    });
  }

  // ---- fan-out --------------------------------------------------------------------------------

  /** The registry cursor. */
  async getFanOutCursor(): Promise<number> {
    const row = await this.backend.read((conn) =>
      conn
        .selectFrom('webhook_cursors')
        .select('last_seq')
        .where('name', '=', REGISTRY_CURSOR)
        .executeTakeFirst(),
    );
    return row === undefined ? 0 : toInt64(row.last_seq);
  }

  /** See the port: idempotent, and serialized with other fan-outs by the cursor row lock. */
  fanOut(events: readonly RegistryEvent[], cursorSeq: number, now: number): Promise<number> {
    return this.backend.write(async (conn) => {
      const cursor = await this.lockCursor(conn);
      const fresh = events.filter((event) => event.seq > cursor);
      const inserted = fresh.length === 0 ? 0 : await this.insertDeliveries(conn, fresh, now);
      if (cursorSeq > cursor) {
        await conn
          .updateTable('webhook_cursors')
          .set({ last_seq: cursorSeq })
          .where('name', '=', REGISTRY_CURSOR)
          .execute();
      }
      return inserted;
    });
  }

  /** Reads the cursor; on PostgreSQL locks it until commit, so concurrent fan-outs run one after another. */
  private async lockCursor(conn: SqlConn): Promise<number> {
    const row = await conn
      .selectFrom('webhook_cursors')
      .select('last_seq')
      .where('name', '=', REGISTRY_CURSOR)
      .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate())
      .executeTakeFirst();
    return row === undefined ? 0 : toInt64(row.last_seq);
  }

  private async insertDeliveries(
    conn: SqlConn,
    events: readonly RegistryEvent[],
    now: number,
  ): Promise<number> {
    const hooks = (
      await conn.selectFrom('webhooks').select(WEBHOOK_COLUMNS).where('active', '=', 1).execute()
    ).map(webhookFromRow);
    const rows = events.flatMap((event) =>
      hooks
        .filter((hook) => webhookMatchesEvent(hook, event))
        .map((hook) => newDeliveryRow(hook, event, now)),
    );
    let inserted = 0;
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      const result = await conn
        .insertInto('webhook_deliveries')
        .values(rows.slice(i, i + INSERT_CHUNK))
        .onConflict((oc) => oc.columns(['webhook_id', 'event_seq']).doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
    }
    return inserted;
  }

  // ---- delivery -------------------------------------------------------------------------------

  /** See the port. SKIP LOCKED lets concurrent claimers on PostgreSQL take disjoint rows without waiting. */
  claimDueDeliveries(now: number, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
    return this.backend.write(async (conn) => {
      const due = await conn
        .selectFrom('webhook_deliveries')
        .select('delivery_id')
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .where('webhook_id', 'in', (eb) =>
          eb.selectFrom('webhooks').select('webhook_id').where('active', '=', 1),
        )
        // Among equally due deliveries the older event goes first.
        .orderBy('next_attempt_at')
        .orderBy('event_seq')
        .orderBy('delivery_id')
        .limit(limit)
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .execute();
      if (due.length === 0) return [];
      const leaseToken = randomUUID();
      const claimed = await conn
        .updateTable('webhook_deliveries')
        .set({ next_attempt_at: now + leaseMs, lease_token: leaseToken })
        .where(
          this.backend.inList(
            sql.ref('delivery_id'),
            due.map((row) => row.delivery_id),
          ),
        )
        // Re-checked under the row lock: a row claimed meanwhile no longer qualifies.
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .returning(['delivery_id', 'webhook_id', 'event', 'attempts'])
        .execute();
      const urls = await this.webhookUrls(
        conn,
        claimed.map((row) => row.webhook_id),
      );
      const order = new Map(due.map((row, i) => [row.delivery_id, i]));
      return claimed
        .sort((a, b) => (order.get(a.delivery_id) ?? 0) - (order.get(b.delivery_id) ?? 0))
        .map((row) => ({
          deliveryId: row.delivery_id,
          webhookId: row.webhook_id,
          url: urls.get(row.webhook_id) ?? '',
          event: JSON.parse(row.event) as RegistryEvent,
          attempt: row.attempts + 1,
          leaseToken,
        }));
    });
  }

  private async webhookUrls(conn: SqlConn, ids: string[]): Promise<Map<string, string>> {
    const rows = await conn
      .selectFrom('webhooks')
      .select(['webhook_id', 'url'])
      .where(this.backend.inList(sql.ref('webhook_id'), [...new Set(ids)]))
      .execute();
    return new Map(rows.map((row) => [row.webhook_id, row.url]));
  }

  /** See the port: the lease token guards the update, so a stale attempt changes nothing. */
  recordAttempt(record: AttemptRecord): Promise<boolean> {
    const { outcome } = record;
    return this.backend.write(async (conn) => {
      const updated = await conn
        .updateTable('webhook_deliveries')
        .set({
          status: outcome.status,
          attempts: record.attempt,
          next_attempt_at: outcome.status === 'pending' ? outcome.nextAttemptAt : null,
          lease_token: null,
          last_status_code: record.statusCode ?? null,
          last_error: record.error ?? null,
          last_attempt_time: record.time,
        })
        .where('delivery_id', '=', record.deliveryId)
        .where('lease_token', '=', record.leaseToken)
        .where('status', '=', 'pending')
        .returning('webhook_id')
        .executeTakeFirst();
      if (updated === undefined) return false;
      await conn
        .insertInto('webhook_attempts')
        .values({
          delivery_id: record.deliveryId,
          attempt: record.attempt,
          attempted_at: record.time,
          duration_ms: Math.max(0, Math.round(record.durationMs)),
          status_code: record.statusCode ?? null,
          error: record.error ?? null,
        })
        .execute();
      if (outcome.status === 'failed' && outcome.deactivateWebhook === true) {
        await conn
          .updateTable('webhooks')
          .set({ active: 0, last_updated_time: record.time })
          .where('webhook_id', '=', updated.webhook_id)
          .execute();
      }
      return true;
    });
  }

  /** The delivery with its attempt log, or undefined. */
  getDelivery(id: string): Promise<WebhookDelivery | undefined> {
    return this.backend.read(async (conn) => {
      const row = await conn
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('delivery_id', '=', id)
        .executeTakeFirst();
      return row === undefined ? undefined : (await this.withAttempts(conn, [row]))[0];
    });
  }

  /** Newest event first (the unique (webhook_id, event_seq) index serves this order). */
  listDeliveries(webhookId: string, page: DeliveryPageRequest): Promise<WebhookDelivery[]> {
    return this.backend.read(async (conn) => {
      const rows = await conn
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('webhook_id', '=', webhookId)
        .$if(page.status !== undefined, (q) => q.where('status', '=', page.status ?? 'pending'))
        .orderBy('event_seq', 'desc')
        .limit(page.limit)
        .offset(page.offset)
        .execute();
      return this.withAttempts(conn, rows);
    });
  }

  /** NOT_FOUND for a missing delivery, FAILED_PRECONDITION while it is still pending. */
  resetDelivery(id: string, now: number): Promise<WebhookDelivery> {
    return this.backend.write(async (conn) => {
      const current = await conn
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('delivery_id', '=', id)
        .executeTakeFirst();
      if (current === undefined) throw deliveryNotFound(id);
      if (current.status === 'pending') {
        throw new SlipwayError('FAILED_PRECONDITION', `Delivery ${id} is still pending.`, {
          field: 'deliveryId',
        });
      }
      const row = await conn
        .updateTable('webhook_deliveries')
        .set({ status: 'pending', attempts: 0, next_attempt_at: now, lease_token: null })
        .where('delivery_id', '=', id)
        .returningAll()
        .executeTakeFirstOrThrow();
      const [delivery] = await this.withAttempts(conn, [row]);
      if (delivery === undefined) throw deliveryNotFound(id);
      return delivery;
    });
  }

  // ---- helpers --------------------------------------------------------------------------------

  private async findWebhook(conn: SqlConn, id: string): Promise<Webhook | undefined> {
    const row = await conn
      .selectFrom('webhooks')
      .select(WEBHOOK_COLUMNS)
      .where('webhook_id', '=', id)
      .executeTakeFirst();
    return row === undefined ? undefined : webhookFromRow(row);
  }

  private async requireWebhook(conn: SqlConn, id: string): Promise<Webhook> {
    const webhook = await this.findWebhook(conn, id);
    if (webhook === undefined) throw webhookNotFound(id);
    return webhook;
  }

  /** Attaches each delivery's attempt log (one statement for the whole page). */
  private async withAttempts(conn: SqlConn, rows: DeliveryRow[]): Promise<WebhookDelivery[]> {
    if (rows.length === 0) return [];
    const attempts = await conn
      .selectFrom('webhook_attempts')
      .selectAll()
      .where(
        this.backend.inList(
          sql.ref('delivery_id'),
          rows.map((row) => row.delivery_id),
        ),
      )
      .orderBy('attempt_id')
      .execute();
    const byDelivery = new Map<string, WebhookAttempt[]>();
    for (const attempt of attempts) {
      const log = byDelivery.get(attempt.delivery_id) ?? [];
      log.push(attemptFromRow(attempt));
      byDelivery.set(attempt.delivery_id, log);
    }
    return rows.map((row) => deliveryFromRow(row, byDelivery.get(row.delivery_id) ?? []));
  }
}

// ---- row mapping ------------------------------------------------------------------------------

/** Only the patch's fields, in column spelling. */
function webhookChanges(patch: WebhookPatch): Partial<Insertable<WebhooksTable>> {
  return {
    ...(patch.url === undefined ? {} : { url: patch.url }),
    ...(patch.events === undefined ? {} : { events: JSON.stringify(patch.events) }),
    ...(patch.modelName === undefined ? {} : { model_name: patch.modelName }),
    ...(patch.description === undefined ? {} : { description: patch.description }),
    ...(patch.active === undefined ? {} : { active: patch.active ? 1 : 0 }),
    ...(patch.secret === undefined ? {} : { secret: patch.secret }),
  };
}

function webhookFromRow(row: Omit<WebhookRow, 'secret'>): Webhook {
  return {
    id: row.webhook_id,
    url: row.url,
    events: JSON.parse(row.events) as RegistryEventType[],
    ...(row.model_name === null ? {} : { modelName: row.model_name }),
    description: row.description,
    active: Number(row.active) === 1,
    creationTime: toInt64(row.creation_time),
    lastUpdatedTime: toInt64(row.last_updated_time),
  };
}

function newDeliveryRow(
  hook: Webhook,
  event: RegistryEvent,
  now: number,
): Insertable<WebhookDeliveriesTable> {
  return {
    delivery_id: randomUUID().replaceAll('-', ''),
    webhook_id: hook.id,
    event_seq: event.seq,
    event_type: event.type,
    event: JSON.stringify(event),
    status: 'pending',
    attempts: 0,
    next_attempt_at: now,
    creation_time: now,
  };
}

function deliveryFromRow(row: DeliveryRow, attemptLog: WebhookAttempt[]): WebhookDelivery {
  const status = row.status as WebhookDeliveryStatus;
  const nextAttemptAt = status === 'pending' ? toNullableInt64(row.next_attempt_at) : null;
  const lastAttemptTime = toNullableInt64(row.last_attempt_time);
  return {
    id: row.delivery_id,
    webhookId: row.webhook_id,
    eventSeq: toInt64(row.event_seq),
    eventType: row.event_type as RegistryEventType,
    event: JSON.parse(row.event) as RegistryEvent,
    status,
    attempts: row.attempts,
    ...(nextAttemptAt === null ? {} : { nextAttemptAt }),
    ...(row.last_status_code === null ? {} : { lastStatusCode: row.last_status_code }),
    ...(row.last_error === null ? {} : { lastError: row.last_error }),
    ...(lastAttemptTime === null ? {} : { lastAttemptTime }),
    creationTime: toInt64(row.creation_time),
    attemptLog,
  };
}

function attemptFromRow(row: AttemptRow): WebhookAttempt {
  return {
    attempt: row.attempt,
    time: toInt64(row.attempted_at),
    durationMs: row.duration_ms,
    ...(row.status_code === null ? {} : { statusCode: row.status_code }),
    ...(row.error === null ? {} : { error: row.error }),
  };
}

function webhookNotFound(id: string): SlipwayError {
  return notFound(`No webhook with id=${id} exists.`, { field: 'id' });
}

function deliveryNotFound(id: string): SlipwayError {
  return notFound(`No webhook delivery with id=${id} exists.`, { field: 'deliveryId' });
}
