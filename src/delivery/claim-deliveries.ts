/*
 * Claiming work (notifications.md "Scale"): a worker leases due deliveries (status delivering, lease_owner, lease_until)
 * so no other worker sends them while it lives; a lease that ran out — its worker died — is taken over by anyone.
 * On PostgreSQL, FOR UPDATE SKIP LOCKED lets several processes claim from the same rows without waiting on each
 * other; SQLite has one writer and one process, and needs nothing of the kind.
 */
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { withFindingFields } from './event-findings.js';

export interface Claim {
  id: string;
  notification_id: string;
  event_id: number;
  /** Attempts made before this one. */
  attempts: number;
  lease_until: string;
}

export interface ClaimOptions {
  owner: string;
  limit: number;
  now: string;
  leaseUntil: string;
  /** Notifications whose target this worker cannot send to now (its per-target limit is reached): left for later. */
  excludeNotifications: readonly string[];
}

const claimed = ['id', 'notification_id', 'event_id', 'attempts', 'lease_until'] as const;

/**
 * Whether a claim would find anything: a read, so an idle worker polling the table writes nothing (on SQLite every
 * claim is a write transaction in the group commit; on PostgreSQL several processes poll).
 */
export async function claimableExists(db: Db, o: Pick<ClaimOptions, 'now' | 'excludeNotifications'>, expiredToo: boolean): Promise<boolean> {
  const due = await db.selectFrom('deliveries').select('id')
    .where('status', '=', 'pending').where('next_attempt_at', '<=', o.now)
    .$if(o.excludeNotifications.length > 0, (q) => q.where('notification_id', 'not in', o.excludeNotifications))
    .limit(1).executeTakeFirst();
  if (due !== undefined || !expiredToo) return due !== undefined;
  const expired = await db.selectFrom('deliveries').select('id')
    .where('status', '=', 'delivering').where('lease_until', '<', o.now).limit(1).executeTakeFirst();
  return expired !== undefined;
}

/** Due pending deliveries, oldest due first, leased to `owner`. */
export async function claimDueDeliveries(trx: Db, engine: EngineCapabilities, o: ClaimOptions): Promise<Claim[]> {
  const due = trx.selectFrom('deliveries').select('id')
    .where('status', '=', 'pending').where('next_attempt_at', '<=', o.now)
    .$if(o.excludeNotifications.length > 0, (q) => q.where('notification_id', 'not in', o.excludeNotifications))
    .orderBy('next_attempt_at').limit(o.limit)
    .$if(engine.skipLocked, (q) => q.forUpdate().skipLocked());
  const rows = await trx.updateTable('deliveries').set({ status: 'delivering', lease_owner: o.owner, lease_until: o.leaseUntil })
    .where('id', 'in', due).returning(claimed).execute();
  return rows.map(asClaim);
}

/** Deliveries whose lease ran out (their worker died or hung), leased anew to `owner`. */
export async function takeOverExpiredClaims(trx: Db, engine: EngineCapabilities, o: ClaimOptions): Promise<Claim[]> {
  const expired = trx.selectFrom('deliveries').select('id')
    .where('status', '=', 'delivering').where('lease_until', '<', o.now)
    .$if(o.excludeNotifications.length > 0, (q) => q.where('notification_id', 'not in', o.excludeNotifications))
    .limit(o.limit)
    .$if(engine.skipLocked, (q) => q.forUpdate().skipLocked());
  const rows = await trx.updateTable('deliveries').set({ lease_owner: o.owner, lease_until: o.leaseUntil })
    .where('id', 'in', expired).returning(claimed).execute();
  return rows.map(asClaim);
}

/** Gives claims back unsent (a worker stopping, or holding more for one target than it can send soon). */
export async function releaseClaims(trx: Db, owner: string, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await trx.updateTable('deliveries').set({ status: 'pending', lease_owner: null, lease_until: null })
    .where('id', 'in', ids).where('lease_owner', '=', owner).where('status', '=', 'delivering').execute();
}

/** Lengthens a lease before a send that waited for its target; false when the claim is no longer ours. */
export async function extendClaim(trx: Db, owner: string, id: string, leaseUntil: string): Promise<boolean> {
  const result = await trx.updateTable('deliveries').set({ lease_until: leaseUntil })
    .where('id', '=', id).where('lease_owner', '=', owner).where('status', '=', 'delivering').executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/**
 * On an engine only one process uses (SQLite), a claim left at start-up belongs to a process that is gone: released
 * at once rather than after its lease, so a restart after a crash delivers without waiting.
 */
export async function releaseOrphanedClaims(trx: Db, owner: string): Promise<number> {
  const result = await trx.updateTable('deliveries').set({ status: 'pending', lease_owner: null, lease_until: null })
    .where('status', '=', 'delivering').where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_owner', '<>', owner)]))
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

function asClaim(r: { id: string; notification_id: string; event_id: number; attempts: number; lease_until: string | null }): Claim {
  return { id: r.id, notification_id: r.notification_id, event_id: Number(r.event_id), attempts: r.attempts, lease_until: r.lease_until ?? '' };
}

export interface DeliveryWork {
  id: string;
  notification_id: string;
  method: string;
  config: string;
  secret_enc: string | null;
  enabled: number;
  event_kind: string;
  event_data: string;
  event_created_at: string;
}

/** What sending the claimed deliveries needs: the notification's method and config, the event's kind and data. */
export async function loadDeliveryWork(db: Db, ids: readonly string[]): Promise<DeliveryWork[]> {
  if (ids.length === 0) return [];
  const rows = await db.selectFrom('deliveries as d')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .innerJoin('events as e', 'e.id', 'd.event_id')
    .select([
      'd.id', 'd.notification_id', 'n.method', 'n.config', 'n.secret_enc', 'n.enabled',
      'e.kind as event_kind', 'e.data as event_data', 'e.created_at as event_created_at',
    ])
    .where('d.id', 'in', ids).execute();
  return withFindingFields(db, rows);
}
