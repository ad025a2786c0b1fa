/**
 * Migration 0009: what webhook delivery jobs add to existing tables. Work items may back off
 * exponentially (`retry_delay_max_ms`, null for a fixed delay), and an alert lists the delivery
 * jobs its notifications were queued as (`deliveries`, JSON text, null for none).
 */
import type { Kysely } from 'kysely';

/** Adds `work_items.retry_delay_max_ms` and `alerts.deliveries`. */
export async function addDeliveryColumns(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('work_items').addColumn('retry_delay_max_ms', 'integer').execute();
  await db.schema.alterTable('alerts').addColumn('deliveries', 'text').execute();
}
