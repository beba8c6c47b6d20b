/*
 * SQL of deliveries outside the worker's hot path: the fan-out's inserts (in the caller's transaction, the outbox),
 * the delivery log, redelivery and removal. The worker's own operations are in claim-deliveries.ts and
 * complete-delivery.ts.
 */
import type { Insertable, Selectable } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { DeliveryAttemptTable, DeliveryTable } from '../core/db/schema.js';
import { markDeliveriesWritten } from './delivery-wakeup.js';

export type DeliveryRow = Selectable<DeliveryTable>;
export type AttemptRow = Selectable<DeliveryAttemptTable>;

/** pending → delivering → succeeded | failed (attempts used up, or 410), back to pending between attempts; skipped. */
export type DeliveryStatus = 'pending' | 'delivering' | 'succeeded' | 'failed' | 'skipped';

const CHUNK = 500;

/** New deliveries, due at once; marks the transaction so the worker is woken when it commits. */
export async function insertDeliveries(trx: Db, rows: ReadonlyArray<Insertable<DeliveryTable>>): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await trx.insertInto('deliveries').values(rows.slice(i, i + CHUNK)).execute();
  if (rows.length > 0) markDeliveriesWritten(trx);
}

/** A disabled notification sends nothing more: what waits for a first attempt or a retry is skipped. */
export async function skipPendingDeliveries(trx: Db, notificationId: string, at: string): Promise<void> {
  await trx.updateTable('deliveries').set({ status: 'skipped', completed_at: at })
    .where('notification_id', '=', notificationId).where('status', '=', 'pending').execute();
}

export async function findDelivery(db: Db, notificationId: string, id: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('notification_id', '=', notificationId).where('id', '=', id).executeTakeFirst();
}

/**
 * Redelivery sends the same delivery again, so the receiver sees the same webhook-id (Standard Webhooks: a message
 * sent again keeps its id): the row is re-armed with a fresh schedule. A delivery in flight is left alone (false).
 */
export async function rearmDelivery(trx: Db, notificationId: string, id: string, at: string): Promise<boolean> {
  const result = await trx.updateTable('deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: at, completed_at: null, lease_owner: null, lease_until: null })
    .where('notification_id', '=', notificationId).where('id', '=', id).where('status', '<>', 'delivering')
    .executeTakeFirst();
  const rearmed = Number(result.numUpdatedRows) > 0;
  if (rearmed) markDeliveriesWritten(trx);
  return rearmed;
}

export interface LoggedDelivery extends DeliveryRow {
  event_uuid: string;
  event_kind: string;
  event_created_at: string;
  event_dedupe_key: string | null;
}

/** A page of a notification's delivery log, newest first (ids are time-ordered UUIDv7, so they break ties). */
export async function listDeliveries(db: Db, notificationId: string, page: { limit: number; offset: number }): Promise<LoggedDelivery[]> {
  return db.selectFrom('deliveries as d').innerJoin('events as e', 'e.id', 'd.event_id')
    .selectAll('d')
    .select(['e.uuid as event_uuid', 'e.kind as event_kind', 'e.created_at as event_created_at', 'e.dedupe_key as event_dedupe_key'])
    .where('d.notification_id', '=', notificationId)
    .orderBy('d.created_at', 'desc').orderBy('d.id', 'desc')
    .limit(page.limit).offset(page.offset).execute();
}

export async function countDeliveries(db: Db, notificationId: string): Promise<number> {
  const row = await db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('notification_id', '=', notificationId).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** The attempts of some deliveries, oldest first. */
export async function attemptsOf(db: Db, deliveryIds: string[]): Promise<AttemptRow[]> {
  if (deliveryIds.length === 0) return [];
  return db.selectFrom('delivery_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('id').execute();
}

/** The newest delivery of a notification (its read-back view's `last_delivery`). */
export async function lastDelivery(db: Db, notificationId: string): Promise<DeliveryRow | undefined> {
  return db.selectFrom('deliveries').selectAll().where('notification_id', '=', notificationId)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}
