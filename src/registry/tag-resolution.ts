import type { Db } from '../core/db/database.js';

/**
 * The digest a tag points at now, as Tidewatch last saw it pushed (admission.md: "the digest Tidewatch last saw pushed
 * for that repository and tag"); null when the tag is unknown or was deleted. `repository` is canonical
 * (`docker.io/library/nginx`).
 */
export async function currentDigestOfTag(db: Db, workspaceId: string, repository: string, tag: string): Promise<string | null> {
  const row = await db.selectFrom('tags')
    .innerJoin('repositories', 'repositories.id', 'tags.repository_id')
    .select('tags.digest')
    .where('repositories.workspace_id', '=', workspaceId)
    .where('repositories.name', '=', repository)
    .where('tags.name', '=', tag)
    .executeTakeFirst();
  return row?.digest ?? null;
}
