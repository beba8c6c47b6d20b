import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';

/*
 * "Behind the newest push" (deployments.md, "Reading it back"): the tag an instance was deployed with now points at
 * another digest. An instance deployed by digest alone is compared through the tags that pointed at its digest (now or
 * in their history): if one of them has moved on, a newer push of that line exists.
 */

export interface RunningImage {
  repository_id: string;
  digest: string;
  /** The tag given when it was deployed, if any. */
  tag: string | null;
}

export interface TagPointer {
  repository_id: string;
  name: string;
  /** Where the tag points now; null after a delete. */
  digest: string | null;
  updated_at: string;
}

export interface Freshness {
  /** The tag the comparison was made with, or null when no tag is known for the instance. */
  compared_tag: string | null;
  newest_digest_for_tag: string | null;
  behind: boolean;
  /** When the tag was last pushed (moved to newest_digest_for_tag). */
  pushed_at: string | null;
}

export interface TagPointers {
  /** `repository_id/tag` → the tag now. */
  named: Map<string, TagPointer>;
  /** `repository_id@digest` → tags that point or pointed at the digest. */
  holders: Map<string, TagPointer[]>;
}

const CHUNK = 400;
const namedKey = (repositoryId: string, tag: string) => `${repositoryId}/${tag}`;
const digestKey = (repositoryId: string, digest: string) => `${repositoryId}@${digest}`;

/** The tags needed to judge the freshness of the images: at most three indexed queries per chunk. */
export async function tagPointers(db: Db, workspaceId: string, images: readonly RunningImage[]): Promise<TagPointers> {
  const named = new Map<string, TagPointer>();
  const holders = new Map<string, TagPointer[]>();
  const pairs = uniqueBy(images.filter((i) => i.tag !== null), (i) => namedKey(i.repository_id, i.tag!));
  for (let i = 0; i < pairs.length; i += CHUNK) {
    const chunk = pairs.slice(i, i + CHUNK);
    // By repository and name only, so the (repository_id, name) unique index serves it; repository ids are the
    // workspace's own.
    const rows = await db.selectFrom('tags').select(['repository_id', 'name', 'digest', 'updated_at'])
      .where('repository_id', 'in', [...new Set(chunk.map((p) => p.repository_id))])
      .where('name', 'in', [...new Set(chunk.map((p) => p.tag!))])
      .execute();
    // A superset of the pairs (SQLite takes no list of row values after IN); the pairs asked for are kept.
    const asked = new Set(chunk.map((p) => namedKey(p.repository_id, p.tag!)));
    for (const r of rows) if (asked.has(namedKey(r.repository_id, r.name))) named.set(namedKey(r.repository_id, r.name), r);
  }
  // Every image, not only those deployed by digest: a tag given at deploy time that Tidewatch never saw pushed falls
  // back to the tags that held the digest.
  const digests = uniqueBy(images, (i) => digestKey(i.repository_id, i.digest));
  const wanted = new Set(digests.map((d) => digestKey(d.repository_id, d.digest)));
  const add = (key: string, pointer: TagPointer) => {
    if (!wanted.has(key)) return;
    const list = holders.get(key) ?? [];
    if (!list.some((p) => p.name === pointer.name)) list.push(pointer);
    holders.set(key, list);
  };
  for (let i = 0; i < digests.length; i += CHUNK) {
    const chunk = digests.slice(i, i + CHUNK);
    const now = await db.selectFrom('tags').select(['repository_id', 'name', 'digest', 'updated_at'])
      .where('workspace_id', '=', workspaceId).where('digest', 'in', chunk.map((d) => d.digest)).execute();
    for (const r of now) add(digestKey(r.repository_id, r.digest!), r);
    const before = await db.selectFrom('tag_history as h').innerJoin('tags as t', 't.id', 'h.tag_id')
      .select(['t.repository_id', 't.name', 't.digest', 't.updated_at', sql<string>`h.digest`.as('held')])
      .distinct()
      .where('t.workspace_id', '=', workspaceId)
      .where('t.repository_id', 'in', [...new Set(chunk.map((d) => d.repository_id))])
      .where('h.digest', 'in', chunk.map((d) => d.digest))
      .execute();
    for (const r of before) add(digestKey(r.repository_id, r.held), { repository_id: r.repository_id, name: r.name, digest: r.digest, updated_at: r.updated_at });
  }
  return { named, holders };
}

/** Pure: how an image stands against the newest push of its tag. */
export function freshnessOf(image: RunningImage, pointers: TagPointers): Freshness {
  const tag = image.tag === null ? undefined : pointers.named.get(namedKey(image.repository_id, image.tag));
  if (tag) return against(tag, image.digest);
  const held = pointers.holders.get(digestKey(image.repository_id, image.digest)) ?? [];
  const newestFirst = [...held].sort((a, b) => (a.updated_at < b.updated_at ? 1 : a.updated_at > b.updated_at ? -1 : a.name.localeCompare(b.name)));
  const moved = newestFirst.find((t) => t.digest !== null && t.digest !== image.digest);
  if (moved) return against(moved, image.digest);
  const current = newestFirst.find((t) => t.digest === image.digest);
  if (current) return against(current, image.digest);
  return { compared_tag: image.tag, newest_digest_for_tag: null, behind: false, pushed_at: null };
}

function against(tag: TagPointer, digest: string): Freshness {
  return {
    compared_tag: tag.name,
    newest_digest_for_tag: tag.digest,
    behind: tag.digest !== null && tag.digest !== digest,
    pushed_at: tag.digest === null ? null : tag.updated_at,
  };
}

function uniqueBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
