import { newId } from '../core/ids.js';
import type { Db } from '../core/db/database.js';
import type { Platform } from './push-record.js';

/**
 * Claims a source event for the workspace: true the first time, false for a redelivery. The primary key settles races
 * (a concurrent claim waits for the first to commit, then finds the row). With a window, a claim older than the window
 * is taken again: for ids that are body hashes, which a later, distinct event can repeat.
 */
export async function claimReceipt(
  trx: Db,
  receipt: { workspaceId: string; source: string; sourceId: string; at: string; windowSeconds?: number | undefined },
): Promise<boolean> {
  const insert = trx.insertInto('ingest_receipts').values({
    workspace_id: receipt.workspaceId, source: receipt.source, source_id: receipt.sourceId, received_at: receipt.at,
  });
  const columns = ['workspace_id', 'source', 'source_id'] as const;
  const windowSeconds = receipt.windowSeconds;
  const row = await (windowSeconds === undefined
    ? insert.onConflict((oc) => oc.columns(columns).doNothing())
    : insert.onConflict((oc) => oc.columns(columns).doUpdateSet({ received_at: receipt.at })
      .where('ingest_receipts.received_at', '<', new Date(Date.parse(receipt.at) - windowSeconds * 1000).toISOString()))
  ).returning('source_id').executeTakeFirst();
  return row !== undefined;
}

export interface PushedImage {
  workspaceId: string;
  repositoryId: string;
  digest: string;
  mediaType: string | null;
  isIndex: boolean;
  platform: Platform | null;
  at: string;
}

/**
 * Records that a digest was pushed: creates the image, or fills in what this push knows that the row lacks and
 * clears a deletion (a pushed manifest exists again). Unlike ensureImage (deployments), which only notes a digest
 * exists and leaves a deleted image deleted. `created` is false when the image was already there and not deleted.
 */
export async function recordPushedImage(trx: Db, image: PushedImage): Promise<{ id: string; created: boolean }> {
  const found = await trx.selectFrom('images').select(['id', 'deleted_at', 'media_type', 'is_index', 'os'])
    .where('repository_id', '=', image.repositoryId).where('digest', '=', image.digest).executeTakeFirst();
  if (!found) {
    const id = newId();
    const inserted = await trx.insertInto('images').values({
      id,
      workspace_id: image.workspaceId,
      repository_id: image.repositoryId,
      digest: image.digest,
      media_type: image.mediaType,
      is_index: image.isIndex ? 1 : 0,
      os: image.platform?.os ?? null,
      architecture: image.platform?.architecture ?? null,
      variant: image.platform?.variant ?? null,
      first_seen_at: image.at,
      deleted_at: null,
    }).onConflict((oc) => oc.columns(['repository_id', 'digest']).doNothing()).returning('id').executeTakeFirst();
    // Lost a race with a concurrent push of the same digest: that one created it.
    if (inserted) return { id, created: true };
    return recordPushedImage(trx, image);
  }
  const fills = {
    ...(found.media_type === null && image.mediaType !== null ? { media_type: image.mediaType } : {}),
    ...(found.is_index === 0 && image.isIndex ? { is_index: 1 } : {}),
    ...(found.os === null && image.platform
      ? { os: image.platform.os, architecture: image.platform.architecture, variant: image.platform.variant }
      : {}),
  };
  const revived = found.deleted_at !== null;
  if (revived || Object.keys(fills).length > 0) {
    await trx.updateTable('images').set({ ...fills, deleted_at: null }).where('id', '=', found.id).execute();
  }
  return { id: found.id, created: revived };
}

/** Links an index to a child manifest; true when the link is new. */
export async function addImageChild(trx: Db, imageId: string, child: { digest: string; platform: Platform | null }): Promise<boolean> {
  const row = await trx.insertInto('image_children').values({
    image_id: imageId,
    child_digest: child.digest,
    os: child.platform?.os ?? null,
    architecture: child.platform?.architecture ?? null,
    variant: child.platform?.variant ?? null,
  }).onConflict((oc) => oc.columns(['image_id', 'child_digest']).doNothing()).returning('id').executeTakeFirst();
  return row !== undefined;
}

/** Marks a manifest deleted by the registry; false when the repository holds no such live image. */
export async function markImageDeleted(trx: Db, repositoryId: string, digest: string, at: string): Promise<boolean> {
  const rows = await trx.updateTable('images').set({ deleted_at: at })
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).where('deleted_at', 'is', null)
    .returning('id').execute();
  return rows.length > 0;
}
