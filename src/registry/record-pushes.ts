import type { Db, Storage } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';
import { recordEvent } from '../events/event-queries.js';
import { recordAudit } from '../audit/audit-queries.js';
import { ensureRepository, findRepositoryId } from './repository-queries.js';
import { formatImageReference, parseRepositoryName } from './image-reference.js';
import { isIndexMediaType, type PushRecord } from './push-record.js';
import { addImageChild, claimReceipt, markImageDeleted, recordPushedImage } from './push-queries.js';
import { addTagHistory, clearTags, pointTag } from './tag-queries.js';

/** What recording needs of the storage: write transactions, and what the engine can do. */
export type Writer = Pick<Storage, 'transact' | 'engine'>;

export interface PushInput {
  workspaceId: string;
  /** null for hooks authenticated by their URL secret. */
  tokenId: string | null;
  /** distribution | harbor | dockerhub | quay | github | pushes */
  source: string;
  records: PushRecord[];
  /** Items of the body the parser understood and did not record, counted into the outcome. */
  ignored?: number;
  /** The hook endpoint the records came through, for the audit log. */
  hookEndpointId?: string | null;
}

/**
 * recorded: new records stored; duplicate: a redelivered source event, or (records without a source id, the CI
 * endpoint) a push that changes nothing — stored once, notified once (ingest.md).
 */
export type RecordStatus = 'recorded' | 'duplicate';

export interface RecordResult {
  status: RecordStatus;
  /** For tag pushes: the digest the tag pointed at before. */
  previousDigest: string | null;
  /** Whether a repo_push event was written. */
  event: boolean;
}

export interface PushOutcome {
  recorded: number;
  duplicates: number;
  ignored: number;
  events: number;
  results: RecordResult[];
}

/** Records a body's pushes and deletes in one write transaction: all of them, or (on any error) none. */
export async function recordPushes(writer: Writer, input: PushInput): Promise<PushOutcome> {
  // A body of pulls and blob pushes (most of what a registry sends) needs no write transaction.
  const ignored = input.ignored ?? 0;
  if (input.records.length === 0) return { recorded: 0, duplicates: 0, ignored, events: 0, results: [] };
  return writer.transact(async (trx) => {
    const outcome: PushOutcome = { recorded: 0, duplicates: 0, ignored, events: 0, results: [] };
    const at = nowIso();
    for (const record of input.records) {
      const result = await recordOne(trx, writer, input, record, at);
      outcome.results.push(result);
      if (result.status === 'duplicate') outcome.duplicates++;
      else outcome.recorded++;
      if (result.event) outcome.events++;
    }
    return outcome;
  });
}

async function recordOne(trx: Db, writer: Writer, input: PushInput, record: PushRecord, at: string): Promise<RecordResult> {
  const duplicate: RecordResult = { status: 'duplicate', previousDigest: null, event: false };
  if (record.sourceEventId !== null) {
    const fresh = await claimReceipt(trx, {
      workspaceId: input.workspaceId, source: input.source, sourceId: record.sourceEventId, at, windowSeconds: record.dedupeWindowSeconds,
    });
    if (!fresh) return duplicate;
  }
  const result = record.action === 'push' ? await recordPush(trx, writer, input, record, at) : await recordDelete(trx, input, record, at);
  // Unchanged: the tag, if any, already pointed at this digest.
  if (result === 'unchanged') return { ...duplicate, previousDigest: record.tag === null ? null : record.digest };
  await recordAudit(trx, {
    workspaceId: input.workspaceId,
    tokenId: input.tokenId,
    action: record.action === 'push' ? 'push.record' : 'push.delete',
    target: formatImageReference(record),
    detail: { source: input.source, source_event_id: record.sourceEventId, hook_endpoint_id: input.hookEndpointId ?? null },
  });
  return { status: 'recorded' as const, ...result };
}

async function recordPush(trx: Db, writer: Writer, input: PushInput, record: PushRecord, at: string) {
  const repositoryId = await ensureRepository(trx, input.workspaceId, record.repository, at);
  let changed = false;
  if (record.digest !== null) {
    const children = record.children ?? [];
    const image = await recordPushedImage(trx, {
      workspaceId: input.workspaceId,
      repositoryId,
      digest: record.digest,
      mediaType: record.mediaType,
      isIndex: isIndexMediaType(record.mediaType) || children.length > 0,
      platform: record.platform ?? null,
      at,
    });
    changed = image.created;
    for (const child of children) {
      // A child manifest is an image of the same repository too, which deployments may name by its own digest.
      await recordPushedImage(trx, childImage(input, repositoryId, child, at));
      if (await addImageChild(trx, image.id, child)) changed = true;
    }
  }
  if (record.tag === null) {
    // A digest-only push records the image and notifies nobody (ingest.md).
    return changed || record.sourceEventId !== null ? { previousDigest: null, event: false } : 'unchanged';
  }
  const move = await pointTag(trx, writer.engine, {
    workspaceId: input.workspaceId, repositoryId, name: record.tag, digest: record.digest, at,
  });
  // A push without digest (Docker Hub, Quay) may have moved the tag; we cannot tell, so it is history all the same.
  if (move.created || move.previousDigest !== record.digest || record.digest === null) {
    await addTagHistory(trx, { tagId: move.tagId, digest: record.digest, action: 'push', source: input.source, at });
    changed = true;
  }
  if (!changed && record.sourceEventId === null) return 'unchanged';
  await recordEvent(trx, { workspaceId: input.workspaceId, repositoryId, kind: 'repo_push', data: repoPushData(record, input.source) });
  return { previousDigest: move.previousDigest, event: true };
}

function childImage(input: PushInput, repositoryId: string, child: NonNullable<PushRecord['children']>[number], at: string) {
  return { workspaceId: input.workspaceId, repositoryId, digest: child.digest, mediaType: null, isIndex: false, platform: child.platform, at };
}

/** A deleted manifest (every tag on it goes to nothing) or a deleted tag; emits no event. */
async function recordDelete(trx: Db, input: PushInput, record: PushRecord, at: string) {
  const repositoryId = await findRepositoryId(trx, input.workspaceId, record.repository);
  if (repositoryId) {
    if (record.digest !== null) await markImageDeleted(trx, repositoryId, record.digest, at);
    const cleared = await clearTags(trx, { repositoryId, digest: record.digest, tag: record.tag, at });
    for (const tagId of cleared) {
      await addTagHistory(trx, { tagId, digest: null, action: 'delete', source: input.source, at });
    }
  }
  return { previousDigest: null, event: false };
}

/**
 * The repo_push payload fields (notifications.md), Quay-shaped (concepts.md): namespace is the first path segment,
 * name the rest, repository is namespace/name and docker_url host/namespace/name. A one-segment path has no namespace.
 */
export function repoPushData(record: Pick<PushRecord, 'repository' | 'tag' | 'digest'>, source: string): Record<string, unknown> {
  const parsed = parseRepositoryName(record.repository);
  const path = parsed.ok ? parsed.path : record.repository;
  const slash = path.indexOf('/');
  return {
    repository: path,
    namespace: slash === -1 ? '' : path.slice(0, slash),
    name: slash === -1 ? path : path.slice(slash + 1),
    docker_url: record.repository,
    updated_tags: [record.tag],
    digest: record.digest,
    source,
  };
}
