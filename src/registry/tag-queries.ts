import { sql } from 'kysely';
import { newId } from '../core/ids.js';
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';

export interface TagMove {
  tagId: string;
  /** The digest the tag pointed at before; null for a new tag. */
  previousDigest: string | null;
  created: boolean;
}

/**
 * Points a tag at a digest (null: the source sent none), creating the tag on first sight. Writers of one tag are
 * serialised first, so two concurrent pushes each see the digest the other left and history stays a chain.
 */
export async function pointTag(
  trx: Db,
  engine: EngineCapabilities,
  tag: { workspaceId: string; repositoryId: string; name: string; digest: string | null; at: string },
): Promise<TagMove> {
  if (engine.advisoryLocks) await sql`select pg_advisory_xact_lock(hashtext(${`tag/${tag.repositoryId}/${tag.name}`}))`.execute(trx);
  const found = await trx.selectFrom('tags').select(['id', 'digest'])
    .where('repository_id', '=', tag.repositoryId).where('name', '=', tag.name).executeTakeFirst();
  if (found) {
    await trx.updateTable('tags').set({ digest: tag.digest, updated_at: tag.at }).where('id', '=', found.id).execute();
    return { tagId: found.id, previousDigest: found.digest, created: false };
  }
  const id = newId();
  await trx.insertInto('tags').values({
    id, workspace_id: tag.workspaceId, repository_id: tag.repositoryId, name: tag.name, digest: tag.digest, updated_at: tag.at,
  }).execute();
  return { tagId: id, previousDigest: null, created: true };
}

/**
 * Points the repository's tags that point at the digest (or only the named tag) to nothing, as the registry deleted
 * the manifest or the tag. Returns the ids of the tags that changed.
 */
export async function clearTags(
  trx: Db,
  target: { repositoryId: string; digest: string | null; tag: string | null; at: string },
): Promise<string[]> {
  let q = trx.updateTable('tags').set({ digest: null, updated_at: target.at })
    .where('repository_id', '=', target.repositoryId).where('digest', 'is not', null);
  if (target.digest !== null) q = q.where('digest', '=', target.digest);
  if (target.tag !== null) q = q.where('name', '=', target.tag);
  const rows = await q.returning('id').execute();
  return rows.map((r) => r.id);
}

export async function addTagHistory(
  trx: Db,
  entry: { tagId: string; digest: string | null; action: 'push' | 'delete'; source: string; at: string },
): Promise<void> {
  await trx.insertInto('tag_history').values({
    tag_id: entry.tagId, digest: entry.digest, action: entry.action, source: entry.source, at: entry.at,
  }).execute();
}

export interface TagWithHistory {
  name: string;
  digest: string | null;
  updated_at: string;
  history: Array<{ digest: string | null; action: string; source: string; at: string }>;
}

/** The repository's tags by name, each with its history newest first (at most `historyLimit` entries per tag). */
export async function listTagsWithHistory(db: Db, repositoryId: string, historyLimit: number): Promise<TagWithHistory[]> {
  const [tags, history] = await Promise.all([
    db.selectFrom('tags').select(['id', 'name', 'digest', 'updated_at'])
      .where('repository_id', '=', repositoryId).orderBy('name').execute(),
    db.selectFrom('tag_history as h').innerJoin('tags as t', 't.id', 'h.tag_id')
      .select(['h.tag_id', 'h.digest', 'h.action', 'h.source', 'h.at'])
      .where('t.repository_id', '=', repositoryId).orderBy('h.id', 'desc').execute(),
  ]);
  const byTag = new Map<string, TagWithHistory['history']>();
  for (const h of history) {
    const list = byTag.get(h.tag_id) ?? [];
    if (list.length < historyLimit) list.push({ digest: h.digest, action: h.action, source: h.source, at: h.at });
    byTag.set(h.tag_id, list);
  }
  return tags.map((t) => ({ name: t.name, digest: t.digest, updated_at: t.updated_at, history: byTag.get(t.id) ?? [] }));
}
