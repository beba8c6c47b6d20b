/*
 * From recorded events to deliveries, in the transaction that records the events (notifications.md "Nothing lost":
 * an event and the deliveries it causes commit together or not at all). One query finds the enabled notifications of
 * the batch's repositories and kinds; events nobody subscribed to cost nothing more.
 */
import type { Db } from '../core/db/database.js';
import { newIds } from '../core/ids.js';
import type { EventKind } from '../events/event-kinds.js';
import { insertDeliveries } from '../delivery/delivery-queries.js';
import { matchesEventConfig, type MatchContext } from './event-config.js';
import { isObject, str, type JsonObject } from './json-values.js';
import { enabledNotificationsFor } from './notification-queries.js';
import { environmentNamesRunning } from './match-context-queries.js';

export interface FannedEvent {
  /** events.id when the caller has it; otherwise it is looked up by uuid, for matched events only. */
  id?: number;
  uuid: string;
  workspaceId: string;
  repositoryId: string | null;
  kind: EventKind;
  data: JsonObject;
}

interface Subscriber {
  id: string;
  config: JsonObject;
}

/** Writes one pending delivery per (event, matching notification); answers how many. */
export async function fanOutEvents(
  trx: Db, events: readonly FannedEvent[], at: string, eventIdsByUuid: (uuids: string[]) => Promise<Map<string, number>>,
): Promise<number> {
  const candidates = events.filter((e): e is FannedEvent & { repositoryId: string } => e.repositoryId !== null);
  if (candidates.length === 0) return 0;
  const repositoryIds = [...new Set(candidates.map((e) => e.repositoryId))];
  const kinds = [...new Set(candidates.map((e) => e.kind))];
  const notifications = await enabledNotificationsFor(trx, repositoryIds, kinds);
  if (notifications.length === 0) return 0;

  const byKey = new Map<string, Subscriber[]>();
  for (const n of notifications) {
    const key = `${n.repository_id}\u0000${n.event}`;
    const list = byKey.get(key) ?? [];
    list.push({ id: n.id, config: parseConfig(n.event_config) });
    byKey.set(key, list);
  }
  const contexts = await matchContexts(trx, candidates, byKey);
  const matches: Array<{ event: FannedEvent; notificationId: string }> = [];
  for (const event of candidates) {
    for (const s of byKey.get(`${event.repositoryId}\u0000${event.kind}`) ?? []) {
      if (matchesEventConfig(event.kind, s.config, event.data, contexts(event))) matches.push({ event, notificationId: s.id });
    }
  }
  if (matches.length === 0) return 0;

  const missing = [...new Set(matches.filter((m) => m.event.id === undefined).map((m) => m.event.uuid))];
  const ids = missing.length > 0 ? await eventIdsByUuid(missing) : new Map<string, number>();
  const deliveryIds = newIds(matches.length);
  await insertDeliveries(trx, matches.map((m, i) => ({
    id: deliveryIds[i]!,
    workspace_id: m.event.workspaceId,
    notification_id: m.notificationId,
    event_id: m.event.id ?? ids.get(m.event.uuid)!,
    status: 'pending',
    attempts: 0,
    next_attempt_at: at,
    lease_until: null,
    lease_owner: null,
    created_at: at,
    completed_at: null,
  })));
  return matches.length;
}

function parseConfig(text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? value : {};
  } catch {
    return {};
  }
}

/**
 * The MatchContext of each event. vulnerability_found `environments` needs where the digest runs: read once per
 * batch, and only when a subscriber filters on environments. image_deployed `min_level` reads the counts recordEvent
 * merged into the data (the matcher's fallback), so it needs nothing here.
 */
async function matchContexts(
  trx: Db, events: ReadonlyArray<FannedEvent & { repositoryId: string }>, subscribers: Map<string, Subscriber[]>,
): Promise<(event: FannedEvent) => MatchContext> {
  const wanting = events.filter((e) => e.kind === 'vulnerability_found'
    && (subscribers.get(`${e.repositoryId}\u0000${e.kind}`) ?? []).some((s) => Array.isArray(s.config.environments)));
  if (wanting.length === 0) return () => ({});
  const running = new Map<string, string[]>();
  // Each digest once: a scan's hundreds of events all name the same one.
  const byWorkspace = new Map<string, Set<string>>();
  for (const e of wanting) {
    const digest = str(e.data.digest);
    if (digest === undefined) continue;
    const digests = byWorkspace.get(e.workspaceId) ?? new Set<string>();
    digests.add(digest);
    byWorkspace.set(e.workspaceId, digests);
  }
  for (const [workspaceId, digests] of byWorkspace) {
    for (const [digest, names] of await environmentNamesRunning(trx, workspaceId, [...digests])) running.set(`${workspaceId}\u0000${digest}`, names);
  }
  return (event) => ({ runningIn: running.get(`${event.workspaceId}\u0000${str(event.data.digest) ?? ''}`) ?? [] });
}
