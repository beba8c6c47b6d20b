import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';

/** The image row of a digest in a repository, if the workspace knows it. */
export async function findImage(db: Db, repositoryId: string, digest: string) {
  return db.selectFrom('images').selectAll().where('repository_id', '=', repositoryId).where('digest', '=', digest).executeTakeFirst();
}

/** Image indexes of the repository that list the digest as a platform manifest. */
export async function parentIndexes(db: Db, repositoryId: string, digest: string) {
  return db.selectFrom('image_children as c').innerJoin('images as i', 'i.id', 'c.image_id')
    .select(['i.digest', 'c.os', 'c.architecture', 'c.variant'])
    .where('i.repository_id', '=', repositoryId).where('c.child_digest', '=', digest)
    .orderBy('i.first_seen_at', 'desc').execute();
}

/** The platform manifests of an index. */
export async function childrenOf(db: Db, imageId: string) {
  return db.selectFrom('image_children').select(['child_digest as digest', 'os', 'architecture', 'variant'])
    .where('image_id', '=', imageId).orderBy('os').orderBy('architecture').orderBy('variant').execute();
}

/** Tags of the repository pointing at the digest now. */
export async function currentTags(db: Db, repositoryId: string, digest: string) {
  return db.selectFrom('tags').select(['name', 'updated_at'])
    .where('repository_id', '=', repositoryId).where('digest', '=', digest).orderBy('name').execute();
}

/** Tags of the repository that pointed at the digest before and point elsewhere (or nowhere) now. */
export async function formerTags(db: Db, repositoryId: string, digest: string) {
  return db.selectFrom('tag_history as h').innerJoin('tags as t', 't.id', 'h.tag_id')
    .select(['t.name', 't.digest as digest_now', 't.updated_at', sql<string>`max(h.at)`.as('pointed_at')])
    .where('t.repository_id', '=', repositoryId).where('h.digest', '=', digest)
    .where((eb) => eb.or([eb('t.digest', 'is', null), eb('t.digest', '!=', digest)]))
    .groupBy(['t.id', 't.name', 't.digest', 't.updated_at'])
    .orderBy('t.updated_at', 'desc').orderBy('t.name').execute();
}

/** Builds (of any phase, in any repository of the workspace) that pushed the digest, newest first. */
export async function buildsLinking(db: Db, workspaceId: string, digest: string) {
  return db.selectFrom('build_images as bi').innerJoin('builds as b', 'b.id', 'bi.build_id')
    .innerJoin('repositories as r', 'r.id', 'b.repository_id')
    .select([
      'b.id', 'r.name as repository', 'b.phase', 'b.build_name', 'b.docker_tags', 'b.commit_sha', 'b.trigger_kind',
      'b.trigger_metadata', 'b.created_at', 'b.finished_at',
    ])
    .where('bi.workspace_id', '=', workspaceId).where('bi.digest', '=', digest)
    .orderBy('b.created_at', 'desc').orderBy('b.id', 'desc').limit(100).execute();
}

/** Deployments of the digest from this repository: running ones and ended ones, newest first. */
export async function deploymentsOfImage(db: Db, workspaceId: string, repositoryId: string, digest: string, endedLimit: number) {
  const base = () => db.selectFrom('deployments as d').innerJoin('environments as e', 'e.id', 'd.environment_id')
    .select([
      'e.name as environment', 'd.instance_name', 'd.tag', 'd.os', 'd.architecture', 'd.variant', 'd.deployed_at',
      'd.last_seen_at', 'd.undeployed_at', 'd.source',
    ])
    .where('d.workspace_id', '=', workspaceId).where('d.digest', '=', digest).where('d.repository_id', '=', repositoryId);
  const [running, ended, endedTotal] = await Promise.all([
    base().where('d.undeployed_at', 'is', null).orderBy('e.name').orderBy('d.instance_name').execute(),
    // The deployment that ended it, if one did (a replacement starts at the instant the previous one ends).
    base().leftJoin('deployments as n', (j) => j.onRef('n.environment_id', '=', 'd.environment_id')
      .onRef('n.instance_name', '=', 'd.instance_name').onRef('n.deployed_at', '=', 'd.undeployed_at'))
      .select('n.digest as replaced_by')
      .where('d.undeployed_at', 'is not', null).orderBy('d.undeployed_at', 'desc').limit(endedLimit).execute(),
    db.selectFrom('deployments').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('workspace_id', '=', workspaceId).where('digest', '=', digest).where('repository_id', '=', repositoryId)
      .where('undeployed_at', 'is not', null).executeTakeFirstOrThrow(),
  ]);
  return { running, ended, endedTotal: Number(endedTotal.n) };
}
