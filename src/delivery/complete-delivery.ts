/*
 * The end of an attempt, in one short transaction: the attempt's row (a failure is data, not a log line), the
 * delivery's new state, and what it means for the notification (Quay's failure count, 410 Gone). Written only while
 * the claim is still this worker's: if its lease ran out and another worker took the delivery over, that worker
 * records what it does instead.
 */
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { insertRows } from '../core/db/multi-row-insert.js';
import { clearFailuresOf, countFailure, disableNotification } from '../notifications/notification-queries.js';
import { skipPendingDeliveries, type DeliveryStatus } from './delivery-queries.js';

export interface AttemptRecord {
  at: string;
  statusCode: number | null;
  error: string | null;
  latencyMs: number;
  /** The first 4 KiB of the response (or the SMTP server's answer). */
  excerpt: string | null;
}

export interface DeliveryOutcome {
  status: Extract<DeliveryStatus, 'pending' | 'succeeded' | 'failed'>;
  /** When status is pending: when to try again. */
  nextAttemptAt: string | null;
  /** 410 Gone: the receiver asked never to be sent to again. */
  disable: boolean;
}

/** Moves a claimed delivery on; false when the claim is no longer this owner's (nothing was written). */
export async function finishDelivery(
  trx: Db, owner: string, id: string, attempts: number, outcome: DeliveryOutcome, at: string,
): Promise<boolean> {
  const result = await trx.updateTable('deliveries').set({
    status: outcome.status,
    attempts,
    next_attempt_at: outcome.nextAttemptAt ?? at,
    lease_owner: null,
    lease_until: null,
    completed_at: outcome.status === 'pending' ? null : at,
  }).where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'delivering').executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertAttempt(trx: Db, deliveryId: string, attempt: AttemptRecord): Promise<void> {
  await trx.insertInto('delivery_attempts').values({
    delivery_id: deliveryId,
    at: attempt.at,
    status_code: attempt.statusCode,
    error: attempt.error,
    latency_ms: attempt.latencyMs,
    response_excerpt: attempt.excerpt,
  }).execute();
}

/** Marks a claimed delivery skipped without an attempt (its notification was disabled after it was queued). */
export async function skipClaimedDelivery(trx: Db, owner: string, id: string, at: string): Promise<void> {
  await trx.updateTable('deliveries').set({ status: 'skipped', lease_owner: null, lease_until: null, completed_at: at })
    .where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'delivering').execute();
}

/** The whole end of an attempt (run inside storage.transact). */
export async function completeDelivery(
  trx: Db,
  claim: { owner: string; deliveryId: string; notificationId: string; attempts: number },
  attempt: AttemptRecord,
  outcome: DeliveryOutcome,
): Promise<boolean> {
  if (!(await finishDelivery(trx, claim.owner, claim.deliveryId, claim.attempts, outcome, attempt.at))) return false;
  await insertAttempt(trx, claim.deliveryId, attempt);
  if (outcome.status === 'succeeded') {
    await clearFailuresOf(trx, [claim.notificationId]);
    return true;
  }
  if (outcome.status === 'failed') {
    const disabled = await countFailure(trx, claim.notificationId);
    if (outcome.disable) await disableNotification(trx, claim.notificationId);
    if (disabled || outcome.disable) await skipPendingDeliveries(trx, claim.notificationId, attempt.at);
  }
  return true;
}

export interface SucceededAttempt {
  deliveryId: string;
  notificationId: string;
  attempt: AttemptRecord;
}

const CHUNK = 400;

/**
 * The end of many successful attempts at once (the worker's batch): an UPDATE and an INSERT per 400, one commit for
 * all. On PostgreSQL a transaction per delivery was five round trips and a WAL flush each, which held two processes
 * under 500 deliveries/s. Answers the deliveries that were still this owner's (the others were taken over: nothing of
 * them is written).
 */
export async function completeSucceededDeliveries(
  trx: Db, engine: EngineCapabilities, owner: string, items: readonly SucceededAttempt[], at: string,
): Promise<Set<string>> {
  const ours = new Set<string>();
  for (let i = 0; i < items.length; i += CHUNK) {
    const ids = items.slice(i, i + CHUNK).map((item) => item.deliveryId);
    const rows = await trx.updateTable('deliveries')
      .set((eb) => ({
        status: 'succeeded', attempts: eb('attempts', '+', 1), next_attempt_at: at, lease_owner: null, lease_until: null, completed_at: at,
      }))
      .where('id', 'in', ids).where('lease_owner', '=', owner).where('status', '=', 'delivering')
      .returning('id').execute();
    for (const r of rows) ours.add(r.id);
  }
  const recorded = items.filter((item) => ours.has(item.deliveryId));
  await insertRows(trx, engine, 'delivery_attempts', attemptColumns, recorded.map(({ deliveryId, attempt }) => ({
    delivery_id: deliveryId, at: attempt.at, status_code: attempt.statusCode, error: attempt.error,
    latency_ms: attempt.latencyMs, response_excerpt: attempt.excerpt,
  })));
  const notifications = [...new Set(recorded.map((item) => item.notificationId))];
  for (let i = 0; i < notifications.length; i += CHUNK) await clearFailuresOf(trx, notifications.slice(i, i + CHUNK));
  return ours;
}

const attemptColumns = ['delivery_id', 'at', 'status_code', 'error', 'latency_ms', 'response_excerpt'] as const;
