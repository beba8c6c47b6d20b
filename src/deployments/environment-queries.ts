import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { DeploymentRow } from './deployment-queries.js';

export interface EnvironmentSummaryRow {
  id: string;
  name: string;
  created_at: string;
  last_change_at: string;
  instances: number;
  images: number;
}

/**
 * Every environment with its running instance and distinct image counts, and its last change: the newest start or
 * end of a deployment there. Derived rather than stored, so recording a deployment does not update (and, on
 * PostgreSQL, lock) the environment's row — every deployment to one environment would queue on that lock.
 */
export async function listEnvironmentSummaries(db: Db, workspaceId: string): Promise<EnvironmentSummaryRow[]> {
  const rows = await db.selectFrom('environments as e')
    .leftJoin('deployments as d', (j) => j.onRef('d.environment_id', '=', 'e.id'))
    .select((eb) => [
      'e.id', 'e.name', 'e.created_at',
      eb.fn.count<number>(sql`case when d.undeployed_at is null then d.id end`).as('instances'),
      eb.fn.count<number>(sql`case when d.undeployed_at is null then d.digest end`).distinct().as('images'),
      lastChange().as('last_change_at'),
    ])
    .where('e.workspace_id', '=', workspaceId)
    .groupBy(['e.id', 'e.name', 'e.created_at'])
    .orderBy('e.name')
    .execute();
  return rows.map((r) => ({ ...r, last_change_at: r.last_change_at ?? r.created_at, instances: Number(r.instances), images: Number(r.images) }));
}

/** max(deployed_at, undeployed_at) over the grouped deployments, written so both engines read it (no greatest()). */
function lastChange() {
  return sql<string | null>`case when max(d.undeployed_at) > max(d.deployed_at) then max(d.undeployed_at) else max(d.deployed_at) end`;
}

/** The last change of one environment (see listEnvironmentSummaries). */
export async function lastChangeOf(db: Db, environmentId: string): Promise<string | null> {
  const row = await db.selectFrom('deployments as d').select(lastChange().as('at'))
    .where('d.environment_id', '=', environmentId).executeTakeFirst();
  return row?.at ?? null;
}

/**
 * Running (environment, repository, digest) triples of the workspace: for callers that filter by a token's repository
 * scope, and for the vulnerability counts of every environment.
 */
export async function listRunningWithRepository(db: Db, workspaceId: string) {
  return db.selectFrom('deployments as d')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .innerJoin('repositories as r', 'r.id', 'd.repository_id')
    .select(['e.name as environment', 'r.name as repository', 'd.digest'])
    .where('d.workspace_id', '=', workspaceId).where('d.undeployed_at', 'is', null)
    .execute();
}

export type InstanceRow = Pick<DeploymentRow,
  'id' | 'instance_name' | 'repository_id' | 'digest' | 'tag' | 'os' | 'architecture' | 'variant' | 'deployed_at' | 'last_seen_at' | 'source'
> & { repository: string };

/** The running instances of one environment, ordered by instance name. */
export async function listInstances(db: Db, environmentId: string): Promise<InstanceRow[]> {
  return db.selectFrom('deployments as d')
    .innerJoin('repositories as r', 'r.id', 'd.repository_id')
    .select([
      'd.id', 'd.instance_name', 'd.repository_id', 'r.name as repository', 'd.digest', 'd.tag', 'd.os',
      'd.architecture', 'd.variant', 'd.deployed_at', 'd.last_seen_at', 'd.source',
    ])
    .where('d.environment_id', '=', environmentId).where('d.undeployed_at', 'is', null)
    .orderBy('d.instance_name')
    .execute();
}

/** Tags currently pointing at the digests that run in an environment: repository id → digest → tag names. */
export async function tagsOfRunningDigests(db: Db, environmentId: string): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('tags as t')
    .innerJoin('deployments as d', (j) => j.onRef('d.repository_id', '=', 't.repository_id').onRef('d.digest', '=', 't.digest'))
    .select(['t.repository_id', 't.digest', 't.name'])
    .where('d.environment_id', '=', environmentId).where('d.undeployed_at', 'is', null)
    .distinct()
    .orderBy('t.name')
    .execute();
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = `${r.repository_id}@${r.digest}`;
    const list = out.get(key) ?? [];
    list.push(r.name);
    out.set(key, list);
  }
  return out;
}

export interface HistoryRow {
  change: 'deployed' | 'undeployed';
  at: string;
  id: string;
  instance_name: string;
  repository: string;
  digest: string;
  tag: string | null;
  replaced_digest: string | null;
  source: string;
}

/**
 * Deployments started and ended in an environment, newest first. At the same instant a start sorts before the end it
 * caused, since it is the newer fact.
 */
export async function listHistory(db: Db, environmentId: string, page?: { limit: number; offset: number }): Promise<HistoryRow[]> {
  const base = () => db.selectFrom('deployments as d').innerJoin('repositories as r', 'r.id', 'd.repository_id')
    .where('d.environment_id', '=', environmentId);
  const started = base().select([
    sql<HistoryRow['change']>`'deployed'`.as('change'), 'd.deployed_at as at', 'd.id', 'd.instance_name', 'r.name as repository',
    'd.digest', 'd.tag', 'd.replaced_digest', 'd.source',
  ]);
  const ended = base().where('d.undeployed_at', 'is not', null).select([
    sql<HistoryRow['change']>`'undeployed'`.as('change'), sql<string>`d.undeployed_at`.as('at'), 'd.id', 'd.instance_name',
    'r.name as repository', 'd.digest', 'd.tag', sql<string | null>`null`.as('replaced_digest'), 'd.source',
  ]);
  let q = db.selectFrom(started.unionAll(ended).as('h'))
    .selectAll()
    .orderBy('at', 'desc').orderBy('change', 'asc').orderBy('id', 'asc');
  if (page) q = q.limit(page.limit).offset(page.offset);
  return (await q.execute()) as HistoryRow[];
}

export async function countHistory(db: Db, environmentId: string): Promise<number> {
  const row = await db.selectFrom('deployments')
    .select((eb) => [eb.fn.countAll<number>().as('started'), eb.fn.count<number>('undeployed_at').as('ended')])
    .where('environment_id', '=', environmentId).executeTakeFirstOrThrow();
  return Number(row.started) + Number(row.ended);
}

/** The running instances of one repository, by environment then instance name. */
export async function listRunningOfRepository(db: Db, repositoryId: string) {
  return db.selectFrom('deployments as d').innerJoin('environments as e', 'e.id', 'd.environment_id')
    .select(['e.name as environment', 'd.instance_name', 'd.repository_id', 'd.digest', 'd.tag', 'd.os', 'd.architecture', 'd.variant', 'd.deployed_at'])
    .where('d.repository_id', '=', repositoryId).where('d.undeployed_at', 'is', null)
    .orderBy('e.name').orderBy('d.instance_name').execute();
}

/** The repository's most recently pushed tags. */
export async function listRecentTags(db: Db, repositoryId: string, limit: number) {
  return db.selectFrom('tags').select(['name', 'digest', 'updated_at'])
    .where('repository_id', '=', repositoryId).orderBy('updated_at', 'desc').orderBy('name').limit(limit).execute();
}

/** The repository's newest builds, newest first (UUIDv7 ids break ties within a millisecond). */
export async function listRecentBuilds(db: Db, repositoryId: string, limit: number) {
  return db.selectFrom('builds')
    .select(['id', 'phase', 'build_name', 'docker_tags', 'commit_sha', 'manifest_digests', 'created_at', 'finished_at'])
    .where('repository_id', '=', repositoryId).orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
