import { newId, newIds } from '../core/ids.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { insertRows } from '../core/db/multi-row-insert.js';
import type { Db } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';
import { fanOutEvents } from '../notifications/notification-fanout.js';
import { openVulnerabilitiesOf } from '../notifications/match-context-queries.js';
import type { EventKind } from './event-kinds.js';

export { eventKinds, type EventKind } from './event-kinds.js';

export interface NewEvent {
  workspaceId: string;
  repositoryId: string | null;
  kind: EventKind;
  /** The event's data: what notifications match on, and what events.data holds unless `storedJson` is given. */
  data: Record<string, unknown>;
  /** events.data as JSON text, in recordEvents, when it leaves out what delivery reads back (scans/vulnerability-events.ts). */
  storedJson?: string;
  dedupeKey?: string | null;
}

/** dedupe_key prefix of the events the notification test endpoint stores (never fanned out, never a real change). */
export const TEST_EVENT_KEY_PREFIX = 'notification-test:';

/**
 * Writes an event in the caller's transaction (the outbox), and the deliveries of the notifications it matches: if
 * the change that caused it rolls back, so do the event and its deliveries (notifications.md "Nothing lost").
 */
export async function recordEvent(trx: Db, event: NewEvent): Promise<{ id: number; uuid: string }> {
  const uuid = newId();
  const at = nowIso();
  const data = await withEventContext(trx, event);
  const row = await trx.insertInto('events').values({
    uuid,
    workspace_id: event.workspaceId,
    repository_id: event.repositoryId,
    kind: event.kind,
    data: JSON.stringify(data),
    dedupe_key: event.dedupeKey ?? null,
    created_at: at,
  }).returning('id').executeTakeFirstOrThrow();
  const id = Number(row.id);
  await fanOutEvents(trx, [{ ...event, data, id, uuid }], at, async () => new Map());
  return { id, uuid };
}

/**
 * image_deployed carries the deployed image's open vulnerabilities (notifications.md: `vulnerabilities{Critical,
 * High,…}`), as its current scan counts them at the time of the deployment; an image nobody scanned has none.
 */
async function withEventContext(trx: Db, event: NewEvent): Promise<Record<string, unknown>> {
  if (event.kind !== 'image_deployed' || typeof event.data.digest !== 'string' || event.data.vulnerabilities !== undefined) {
    return event.data;
  }
  const counts = await openVulnerabilitiesOf(trx, event.workspaceId, event.data.digest);
  return counts === undefined ? event.data : { ...event.data, vulnerabilities: counts };
}

const eventColumns = ['uuid', 'workspace_id', 'repository_id', 'kind', 'data', 'dedupe_key', 'created_at'] as const;

/**
 * Many events in the caller's transaction, in multi-row INSERTs: a first scan of an image is hundreds of
 * vulnerability_found events, and an INSERT each was half the ingest time. Same rows as recordEvent writes, and the
 * same fan-out, with one notifications query for the whole batch.
 */
export async function recordEvents(trx: Db, engine: EngineCapabilities, events: readonly NewEvent[], at = nowIso()): Promise<number> {
  const uuids = newIds(events.length);
  const rows = events.map((e, i) => ({
    uuid: uuids[i]!,
    workspace_id: e.workspaceId,
    repository_id: e.repositoryId,
    kind: e.kind,
    data: e.storedJson ?? JSON.stringify(e.data),
    dedupe_key: e.dedupeKey ?? null,
    created_at: at,
  }));
  // A batch is usually one scan's events: one workspace, kind and time, and mostly one repository.
  await insertRows(trx, engine, 'events', eventColumns, rows, { oftenSame: ['workspace_id', 'repository_id', 'kind', 'dedupe_key', 'created_at'] });
  await fanOutEvents(trx, events.map((e, i) => ({ ...e, uuid: uuids[i]! })), at, (wanted) => eventIdsByUuid(trx, wanted));
  return rows.length;
}

/** events.id of events written without RETURNING (the multi-row INSERTs), by uuid. */
export async function eventIdsByUuid(trx: Db, uuids: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (let i = 0; i < uuids.length; i += 500) {
    const rows = await trx.selectFrom('events').select(['id', 'uuid']).where('uuid', 'in', uuids.slice(i, i + 500)).execute();
    for (const r of rows) out.set(r.uuid, Number(r.id));
  }
  return out;
}

/**
 * The event behind a notification test (POST …/notifications/{uuid}/test): the sample data, stored like an event so
 * the delivery goes through the normal pipeline, but marked — `test: true` in its data and a dedupe key of its own —
 * and fanned out to nobody: it is not a change of the repository.
 */
export async function recordTestEvent(
  trx: Db, event: { workspaceId: string; repositoryId: string; kind: EventKind; data: Record<string, unknown> },
): Promise<{ id: number; uuid: string; at: string }> {
  const uuid = newId();
  const at = nowIso();
  const row = await trx.insertInto('events').values({
    uuid,
    workspace_id: event.workspaceId,
    repository_id: event.repositoryId,
    kind: event.kind,
    data: JSON.stringify({ ...event.data, test: true }),
    dedupe_key: TEST_EVENT_KEY_PREFIX + uuid,
    created_at: at,
  }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), uuid, at };
}

/** Recent events of a workspace, newest first; notification tests are not events of the repository and are left out. */
export async function listEvents(db: Db, workspaceId: string, options: { kind?: string; limit?: number } = {}) {
  let q = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId)
    .where((eb) => eb.or([eb('dedupe_key', 'is', null), eb('dedupe_key', 'not like', `${TEST_EVENT_KEY_PREFIX}%`)]));
  if (options.kind) q = q.where('kind', '=', options.kind);
  return q.orderBy('id', 'desc').limit(options.limit ?? 100).execute();
}
