import { newId, newIds } from '../core/ids.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { insertRows } from '../core/db/multi-row-insert.js';
import type { Db } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';

export const eventKinds = [
  'repo_push', 'build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled',
  'vulnerability_found', 'image_deployed',
] as const;
export type EventKind = (typeof eventKinds)[number];

export interface NewEvent {
  workspaceId: string;
  repositoryId: string | null;
  kind: EventKind;
  data: Record<string, unknown>;
  dedupeKey?: string | null;
}

/**
 * Writes an event in the caller's transaction (the outbox): if the change that caused it rolls back, so does the
 * event, and so do the deliveries later issues fan out from it.
 */
export async function recordEvent(trx: Db, event: NewEvent): Promise<{ id: number; uuid: string }> {
  const uuid = newId();
  const row = await trx.insertInto('events').values({
    uuid,
    workspace_id: event.workspaceId,
    repository_id: event.repositoryId,
    kind: event.kind,
    data: JSON.stringify(event.data),
    dedupe_key: event.dedupeKey ?? null,
    created_at: nowIso(),
  }).returning('id').executeTakeFirstOrThrow();
  return { id: Number(row.id), uuid };
}

const eventColumns = ['uuid', 'workspace_id', 'repository_id', 'kind', 'data', 'dedupe_key', 'created_at'] as const;

/**
 * Many events in the caller's transaction, in multi-row INSERTs: a first scan of an image is hundreds of
 * vulnerability_found events, and an INSERT each was half the ingest time. Same rows as recordEvent writes.
 */
export async function recordEvents(trx: Db, engine: EngineCapabilities, events: readonly NewEvent[], at = nowIso()): Promise<number> {
  const uuids = newIds(events.length);
  const rows = events.map((e, i) => ({
    uuid: uuids[i]!,
    workspace_id: e.workspaceId,
    repository_id: e.repositoryId,
    kind: e.kind,
    data: JSON.stringify(e.data),
    dedupe_key: e.dedupeKey ?? null,
    created_at: at,
  }));
  await insertRows(trx, engine, 'events', eventColumns, rows);
  return rows.length;
}

export async function listEvents(db: Db, workspaceId: string, options: { kind?: string; limit?: number } = {}) {
  let q = db.selectFrom('events').selectAll().where('workspace_id', '=', workspaceId);
  if (options.kind) q = q.where('kind', '=', options.kind);
  return q.orderBy('id', 'desc').limit(options.limit ?? 100).execute();
}
