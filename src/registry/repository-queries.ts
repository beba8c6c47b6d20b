import { newId } from '../core/ids.js';
import type { Db } from '../core/db/database.js';

/** The repository's id, creating the row on first sight (every ingest path names repositories before using them). */
export async function ensureRepository(trx: Db, workspaceId: string, name: string, at: string): Promise<string> {
  const found = await findRepositoryId(trx, workspaceId, name);
  if (found) return found;
  const id = newId();
  await trx.insertInto('repositories').values({ id, workspace_id: workspaceId, name, created_at: at })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing()).execute();
  return (await findRepositoryId(trx, workspaceId, name)) ?? id;
}

export async function findRepositoryId(db: Db, workspaceId: string, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('repositories').select('id')
    .where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
  return row?.id;
}

/** Records that a digest exists in a repository; platform fields fill in when first known. */
export async function ensureImage(
  trx: Db,
  image: { workspaceId: string; repositoryId: string; digest: string; at: string },
): Promise<void> {
  await trx.insertInto('images').values({
    id: newId(),
    workspace_id: image.workspaceId,
    repository_id: image.repositoryId,
    digest: image.digest,
    media_type: null,
    is_index: 0,
    os: null,
    architecture: null,
    variant: null,
    first_seen_at: image.at,
  }).onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing()).execute();
}

/** Tags of the repository that currently point at the digest. */
export async function tagsPointingAt(db: Db, repositoryId: string, digest: string): Promise<string[]> {
  const rows = await db.selectFrom('tags').select('name')
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).orderBy('name').execute();
  return rows.map((r) => r.name);
}
