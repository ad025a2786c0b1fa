/**
 * The statements of the embedded work queue on `work_items`. Every change to a delivered item is
 * fenced by the lease token its claim wrote: a consumer whose lease lapsed and was claimed again
 * changes nothing, so it can never acknowledge or fail its successor's delivery.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Insertable, type Kysely, type UpdateObject } from 'kysely';
import type { DeliveryPolicy, WorkItem } from '../../jobs/work-queue.js';
import type { SqlBackend, SqlConn } from '../sql/sql-backend.js';
import type { TrackingDatabase } from '../sql/tracking-schema.js';
import type { WorkItemsTable, WorkQueueTables } from '../sql/work-queue-schema.js';

/** Rows per INSERT: 14 parameters each stays far below either dialect's parameter limit. */
const INSERT_CHUNK = 200;

/** An item a claim took: to deliver, or (`dying`) to report dead because it is out of attempts. */
export interface ClaimedItem {
  id: string;
  item: WorkItem;
  /** 1-based delivery number (for a dying item: the last delivery it had). */
  attempt: number;
  maxAttempts: number;
  leaseMs: number;
  /** The item's retry timing, as enqueued. */
  retry: Pick<DeliveryPolicy, 'retryDelayMs' | 'maxRetryDelayMs'>;
  leaseToken: string;
  dying: boolean;
  /** The error to report for a dying item. */
  lastError: string | null;
}

/** The fence of one claimed delivery. */
export interface LeaseRef {
  id: string;
  leaseToken: string;
}

/** `work_items` of one named queue. */
export class SqlWorkItems {
  constructor(
    private readonly backend: SqlBackend,
    private readonly queue: string,
  ) {}

  /** Inserts the items, available at `now`. */
  insert(items: readonly WorkItem[], policy: DeliveryPolicy, now: number): Promise<void> {
    const rows: Insertable<WorkItemsTable>[] = items.map((item) => ({
      id: randomUUID(),
      queue: this.queue,
      item: JSON.stringify(item),
      state: 'available',
      attempts: 0,
      max_attempts: policy.maxAttempts,
      retry_delay_ms: policy.retryDelayMs,
      retry_delay_max_ms: policy.maxRetryDelayMs ?? null,
      lease_ms: policy.leaseMs,
      available_at: now,
      lease_owner: null,
      lease_token: null,
      lease_expires_at: null,
      last_error: null,
      created_at: now,
    }));
    return this.backend.write(async (conn) => {
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
        await withQueueTable(conn)
          .insertInto('work_items')
          .values(rows.slice(i, i + INSERT_CHUNK))
          .execute();
      }
    });
  }

  /**
   * Leases up to `limit` due items to `workerId`: available items whose retry delay has passed,
   * and items whose lease lapsed (their worker died). A lapsed item with attempts left is delivered
   * again; one without is handed back as dying, so the caller reports it dead.
   */
  claim(now: number, limit: number, workerId: string): Promise<ClaimedItem[]> {
    return this.backend.write(async (conn) => {
      const due = await withQueueTable(conn)
        .selectFrom('work_items')
        .select(['id', 'state', 'attempts', 'max_attempts'])
        .where('queue', '=', this.queue)
        .where((eb) =>
          eb.or([
            eb.and([eb('state', '=', 'available'), eb('available_at', '<=', now)]),
            eb.and([eb('state', 'in', ['leased', 'dying']), eb('lease_expires_at', '<=', now)]),
          ]),
        )
        .orderBy('available_at')
        .orderBy('id')
        .limit(limit)
        // The row locks hold until commit, so the updates below see these rows as selected.
        .$if(this.backend.dialect === 'postgres', (q) => q.forUpdate().skipLocked())
        .execute();
      if (due.length === 0) return [];
      const leaseToken = randomUUID();
      const exhausted = (row: (typeof due)[number]): boolean =>
        row.state !== 'available' && row.attempts >= row.max_attempts;
      const deliver = due.filter((row) => !exhausted(row)).map((row) => row.id);
      const dying = due.filter(exhausted).map((row) => row.id);
      const lease = { workerId, leaseToken, now };
      const claimed = [
        ...(await this.leaseForDelivery(conn, deliver, lease)),
        ...(await this.leaseForDying(conn, dying, lease)),
      ];
      const order = new Map(due.map((row, i) => [row.id, i]));
      return claimed.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
    });
  }

  private async leaseForDelivery(conn: SqlConn, ids: string[], lease: Lease): Promise<ClaimedItem[]> {
    if (ids.length === 0) return [];
    const rows = await withQueueTable(conn)
      .updateTable('work_items')
      .set({
        state: 'leased',
        attempts: sql<number>`attempts + 1`,
        lease_owner: lease.workerId,
        lease_token: lease.leaseToken,
        lease_expires_at: sql<number>`CAST(${lease.now} AS bigint) + lease_ms`,
      })
      .where(this.backend.inList(sql.ref('id'), ids))
      .returning(RETURNED)
      .execute();
    return rows.map((row) => toClaimed(row, lease.leaseToken, false));
  }

  private async leaseForDying(conn: SqlConn, ids: string[], lease: Lease): Promise<ClaimedItem[]> {
    if (ids.length === 0) return [];
    // A `leased` row here lost its last delivery's worker, which is the error to report; a
    // `dying` row keeps the handler error it was recorded with.
    const lapsed = sql<string>`${'The lease of worker '} || lease_owner || ${' lapsed during attempt '} || attempts || ${' (the worker stopped heartbeating).'}`;
    const rows = await withQueueTable(conn)
      .updateTable('work_items')
      .set({
        state: 'dying',
        last_error: sql<string>`CASE WHEN state = 'leased' THEN ${lapsed} ELSE last_error END`,
        lease_owner: lease.workerId,
        lease_token: lease.leaseToken,
        lease_expires_at: sql<number>`CAST(${lease.now} AS bigint) + lease_ms`,
      })
      .where(this.backend.inList(sql.ref('id'), ids))
      .returning(RETURNED)
      .execute();
    return rows.map((row) => toClaimed(row, lease.leaseToken, true));
  }

  /** Pushes the lease's expiry to `now + leaseMs`; false when the lease is no longer held. */
  renew(ref: LeaseRef, now: number): Promise<boolean> {
    return this.fenced(ref, { lease_expires_at: sql<number>`CAST(${now} AS bigint) + lease_ms` });
  }

  /** Acknowledges the delivery by deleting the item; false when the lease is no longer held. */
  acknowledge(ref: LeaseRef): Promise<boolean> {
    return this.backend.write(async (conn) => {
      const result = await withQueueTable(conn)
        .deleteFrom('work_items')
        .where('id', '=', ref.id)
        .where('lease_token', '=', ref.leaseToken)
        .executeTakeFirst();
      return result.numDeletedRows > 0n;
    });
  }

  /** Makes the item available again `delayMs` after `now`, recording `error`. */
  retryLater(ref: LeaseRef, now: number, delayMs: number, error: string): Promise<boolean> {
    return this.fenced(ref, {
      state: 'available',
      available_at: now + delayMs,
      last_error: error,
      ...NO_LEASE,
    });
  }

  /** Records that the item is out of attempts with `error`, keeping the lease until `bury`. */
  markDying(ref: LeaseRef, error: string): Promise<boolean> {
    return this.fenced(ref, { state: 'dying', last_error: error });
  }

  /** Marks a dying item dead once `onDead` has been told. */
  bury(ref: LeaseRef): Promise<boolean> {
    return this.fenced(ref, { state: 'dead', ...NO_LEASE });
  }

  private fenced(ref: LeaseRef, change: WorkItemChange): Promise<boolean> {
    return this.backend.write(async (conn) => {
      const result = await withQueueTable(conn)
        .updateTable('work_items')
        .set(change)
        .where('id', '=', ref.id)
        .where('lease_token', '=', ref.leaseToken)
        .executeTakeFirst();
      return result.numUpdatedRows > 0n;
    });
  }
}

interface Lease {
  workerId: string;
  leaseToken: string;
  now: number;
}

/** The columns a claim reads back. */
const RETURNED = [
  'id',
  'item',
  'attempts',
  'max_attempts',
  'lease_ms',
  'retry_delay_ms',
  'retry_delay_max_ms',
  'last_error',
] as const;

const NO_LEASE = { lease_owner: null, lease_token: null, lease_expires_at: null } as const;

type QueueDatabase = TrackingDatabase & WorkQueueTables;
type WorkItemChange = UpdateObject<QueueDatabase, 'work_items'>;

/** The connection, typed with the queue's table (which the tracking schema types do not list). */
function withQueueTable(conn: SqlConn): Kysely<QueueDatabase> {
  return conn.withTables<WorkQueueTables>();
}

function toClaimed(
  row: {
    id: string;
    item: string;
    attempts: number;
    max_attempts: number;
    lease_ms: number;
    retry_delay_ms: number;
    retry_delay_max_ms: number | null;
    last_error: string | null;
  },
  leaseToken: string,
  dying: boolean,
): ClaimedItem {
  return {
    id: row.id,
    item: JSON.parse(row.item) as WorkItem,
    attempt: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    leaseMs: Number(row.lease_ms),
    retry: {
      retryDelayMs: Number(row.retry_delay_ms),
      ...(row.retry_delay_max_ms === null ? {} : { maxRetryDelayMs: Number(row.retry_delay_max_ms) }),
    },
    leaseToken,
    dying,
    lastError: row.last_error,
  };
}
