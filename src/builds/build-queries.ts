import type { Db } from '../core/db/database.js';
import type { BuildTable } from '../core/db/schema.js';
import type { BuildPhase } from './build-phases.js';

/** A stored build with its repository's canonical name. */
export type BuildRow = BuildTable & { repository: string };

export async function insertBuild(trx: Db, row: BuildTable): Promise<void> {
  await trx.insertInto('builds').values(row).execute();
}

/** The build, if it belongs to the workspace (another workspace's id reads as unknown). */
export async function findBuild(db: Db, workspaceId: string, id: string): Promise<BuildRow | undefined> {
  return db.selectFrom('builds as b').innerJoin('repositories as r', 'r.id', 'b.repository_id')
    .selectAll('b').select('r.name as repository')
    .where('b.workspace_id', '=', workspaceId).where('b.id', '=', id.toLowerCase())
    .executeTakeFirst();
}

export type PhaseChange = Pick<BuildTable, 'phase' | 'updated_at'>
  & Partial<Pick<BuildTable, 'started_at' | 'finished_at' | 'image_id' | 'manifest_digests' | 'error_message'>>;

/**
 * Moves a build on only if it is still in `from` (compare-and-set): two reports racing on PostgreSQL cannot both
 * move it. False when another transaction moved it first; the caller reads it again and decides anew.
 */
export async function updateBuildPhase(trx: Db, id: string, from: BuildPhase, change: PhaseChange): Promise<boolean> {
  const result = await trx.updateTable('builds').set(change)
    .where('id', '=', id).where('phase', '=', from).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Links a successful build to the digests it pushed (build_images), so a digest can say which build made it. */
export async function insertBuildImages(trx: Db, workspaceId: string, buildId: string, digests: string[]): Promise<void> {
  if (digests.length === 0) return;
  await trx.insertInto('build_images')
    .values(digests.map((digest) => ({ build_id: buildId, workspace_id: workspaceId, digest })))
    .onConflict((oc) => oc.columns(['build_id', 'digest']).doNothing())
    .execute();
}

export async function buildImageDigests(db: Db, buildId: string): Promise<string[]> {
  const rows = await db.selectFrom('build_images').select('digest').where('build_id', '=', buildId).orderBy('digest').execute();
  return rows.map((r) => r.digest);
}

/** Which builds to list: all of the workspace, or only those of some repositories (a filter, a token's scope). */
export interface BuildFilter {
  workspaceId: string;
  /** null = every repository. */
  repositoryIds: string[] | null;
}

/** Builds newest first (ids are UUIDv7, so they break ties of one millisecond in creation order). */
export async function listBuilds(db: Db, filter: BuildFilter, page: { limit: number; offset: number }): Promise<BuildRow[]> {
  if (filter.repositoryIds?.length === 0) return [];
  let q = db.selectFrom('builds as b').innerJoin('repositories as r', 'r.id', 'b.repository_id')
    .selectAll('b').select('r.name as repository')
    .where('b.workspace_id', '=', filter.workspaceId);
  if (filter.repositoryIds) q = q.where('b.repository_id', 'in', filter.repositoryIds);
  return q.orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').limit(page.limit).offset(page.offset).execute();
}

export async function countBuilds(db: Db, filter: BuildFilter): Promise<number> {
  if (filter.repositoryIds?.length === 0) return 0;
  let q = db.selectFrom('builds').select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', filter.workspaceId);
  if (filter.repositoryIds) q = q.where('repository_id', 'in', filter.repositoryIds);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** Every repository of the workspace, for callers that filter by a token's repository glob. */
export async function listRepositories(db: Db, workspaceId: string): Promise<Array<{ id: string; name: string }>> {
  return db.selectFrom('repositories').select(['id', 'name']).where('workspace_id', '=', workspaceId).execute();
}

/** What a running digest can say about the build that made it. */
export interface BuildOfDigest {
  build_id: string;
  build_name: string | null;
  commit: string | null;
  trigger_kind: string | null;
  ref: string | null;
  finished_at: string | null;
}

// Bound parameters per statement stay far below SQLite's 32,766 and PostgreSQL's 65,535.
const DIGESTS_PER_QUERY = 500;

/**
 * The newest successful build of each digest (spec ingest.md: "every deployed digest can say which commit it came
 * from"), for environment and image views. Digests are bare `sha256:…`; digests no build made are absent from the map.
 */
export async function buildsForDigests(db: Db, workspaceId: string, digests: string[]): Promise<Map<string, BuildOfDigest>> {
  const out = new Map<string, BuildOfDigest>();
  const wanted = [...new Set(digests)];
  for (let i = 0; i < wanted.length; i += DIGESTS_PER_QUERY) {
    const rows = await db.selectFrom('build_images as bi').innerJoin('builds as b', 'b.id', 'bi.build_id')
      .select(['bi.digest', 'b.id', 'b.build_name', 'b.commit_sha', 'b.trigger_kind', 'b.trigger_metadata', 'b.finished_at'])
      .where('bi.workspace_id', '=', workspaceId).where('b.workspace_id', '=', workspaceId)
      .where('bi.digest', 'in', wanted.slice(i, i + DIGESTS_PER_QUERY))
      .where('b.phase', '=', 'success')
      .orderBy('b.finished_at', 'desc').orderBy('b.id', 'desc')
      .execute();
    for (const r of rows) {
      if (out.has(r.digest)) continue;
      out.set(r.digest, {
        build_id: r.id,
        build_name: r.build_name,
        commit: r.commit_sha,
        trigger_kind: r.trigger_kind,
        ref: refOf(r.trigger_metadata),
        finished_at: r.finished_at,
      });
    }
  }
  return out;
}

/** `trigger_metadata.ref` of a stored build, when it is a string. */
export function refOf(triggerMetadata: string | null): string | null {
  if (triggerMetadata === null) return null;
  const ref = (JSON.parse(triggerMetadata) as { ref?: unknown }).ref;
  return typeof ref === 'string' ? ref : null;
}
