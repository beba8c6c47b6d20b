/*
 * SQL of the notifications table (notifications.md "API"): one function per operation, each taking the database or
 * the caller's transaction.
 */
import type { Selectable } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { NotificationTable } from '../core/db/schema.js';

export type NotificationRow = Selectable<NotificationTable>;

/** Quay's rule (notifications.md "Failures, as Quay"): at this many failed deliveries a notification is disabled. */
export const FAILURES_TO_DISABLE = 3;

export async function insertNotification(trx: Db, row: NotificationRow): Promise<void> {
  await trx.insertInto('notifications').values(row).execute();
}

/** A notification of one repository; undefined when it is of another (or of no repository of this workspace), or deleted. */
export async function findNotification(db: Db, repositoryId: string, id: string): Promise<NotificationRow | undefined> {
  return db.selectFrom('notifications').selectAll().where('repository_id', '=', repositoryId).where('id', '=', id)
    .where('deleted_at', 'is', null).executeTakeFirst();
}

export async function listNotifications(db: Db, repositoryId: string): Promise<NotificationRow[]> {
  return db.selectFrom('notifications').selectAll().where('repository_id', '=', repositoryId).where('deleted_at', 'is', null)
    .orderBy('created_at').orderBy('id').execute();
}

/** The fan-out's one query per batch of events: enabled notifications of these repositories and kinds (deleted ones are disabled). */
export async function enabledNotificationsFor(trx: Db, repositoryIds: string[], kinds: string[]) {
  return trx.selectFrom('notifications').select(['id', 'repository_id', 'event', 'event_config'])
    .where('repository_id', 'in', repositoryIds).where('event', 'in', kinds).where('enabled', '=', 1).execute();
}

/** Quay's reset: no failures counted, enabled again. False when there is no such notification. */
export async function resetNotification(trx: Db, repositoryId: string, id: string): Promise<boolean> {
  const result = await trx.updateTable('notifications').set({ number_of_failures: 0, enabled: 1 })
    .where('repository_id', '=', repositoryId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * Deliveries of these notifications succeeded: their failures start counting from 0 again (written only where there
 * is something to clear). One statement for the delivery worker's whole batch of successes.
 */
export async function clearFailuresOf(trx: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.updateTable('notifications').set({ number_of_failures: 0 })
    .where('id', 'in', ids).where('number_of_failures', '<>', 0).execute();
}

/** A delivery used up its attempts: one more failure, and disabled at FAILURES_TO_DISABLE. Answers whether it is now disabled. */
export async function countFailure(trx: Db, id: string): Promise<boolean> {
  const row = await trx.updateTable('notifications')
    .set((eb) => ({
      number_of_failures: eb('number_of_failures', '+', 1),
      enabled: eb.case().when('number_of_failures', '>=', FAILURES_TO_DISABLE - 1).then(0).else(eb.ref('enabled')).end(),
    }))
    .where('id', '=', id).returning('enabled').executeTakeFirst();
  return row !== undefined && row.enabled === 0;
}

/** A receiver answered 410 Gone: disabled at once, whatever the count (notifications.md "Retries"). */
export async function disableNotification(trx: Db, id: string): Promise<void> {
  await trx.updateTable('notifications').set({ enabled: 0 }).where('id', '=', id).execute();
}

/**
 * DELETE …/notifications/{uuid}: disabled and marked deleted rather than removed. A fan-out that read the notification
 * before this committed may still write a delivery for it; the row being there keeps that insert (and ingest) from
 * failing on the foreign key, and the worker skips the delivery as it skips any of a disabled notification. Nothing
 * has to lock against ingest or the workers. False when there is no such notification.
 */
export async function markNotificationDeleted(trx: Db, repositoryId: string, id: string, at: string): Promise<boolean> {
  const result = await trx.updateTable('notifications').set({ enabled: 0, deleted_at: at })
    .where('repository_id', '=', repositoryId).where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
