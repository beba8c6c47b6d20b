import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import type { TriageTable } from '../core/db/schema.js';

export type DecisionRow = TriageTable;
/** A decision with its repository's name, as the API shows it. */
export type DecisionView = DecisionRow & { repository: string | null };

const CHUNK = 500;

/**
 * Serialises writers of one scope on PostgreSQL, so two decisions posted at once for the same scope leave one row
 * (SQLite has one writer at a time).
 */
export async function lockDecisionScope(trx: Db, engine: EngineCapabilities, scope: Pick<DecisionRow, 'workspace_id' | 'vulnerability_id' | 'repository_id' | 'package'>): Promise<void> {
  if (!engine.advisoryLocks) return;
  const key = `triage/${scope.workspace_id}/${scope.vulnerability_id}/${scope.repository_id ?? '*'}/${scope.package ?? '*'}`;
  await sql`select pg_advisory_xact_lock(hashtext(${key}))`.execute(trx);
}

/** Stores a decision in place of any earlier one of the same scope (ingest.md: the newer replaces the older). */
export async function replaceDecision(trx: Db, row: DecisionRow): Promise<string[]> {
  let q = trx.deleteFrom('triage').where('workspace_id', '=', row.workspace_id).where('vulnerability_id', '=', row.vulnerability_id);
  q = row.repository_id === null ? q.where('repository_id', 'is', null) : q.where('repository_id', '=', row.repository_id);
  q = row.package === null ? q.where('package', 'is', null) : q.where('package', '=', row.package);
  const replaced = await q.returning('id').execute();
  await trx.insertInto('triage').values(row).execute();
  return replaced.map((r) => r.id);
}

export async function deleteDecision(trx: Db, workspaceId: string, id: string): Promise<void> {
  await trx.deleteFrom('triage').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
}

export async function findDecision(db: Db, workspaceId: string, id: string): Promise<DecisionView | undefined> {
  return db.selectFrom('triage').leftJoin('repositories', 'repositories.id', 'triage.repository_id')
    .selectAll('triage').select('repositories.name as repository')
    .where('triage.workspace_id', '=', workspaceId).where('triage.id', '=', id).executeTakeFirst();
}

/**
 * Decisions of a workspace, newest first. `repositoryId` keeps those that hold for that repository: its own and the
 * workspace-wide ones (null = workspace-wide only); undefined keeps all. `package` likewise keeps that package's and
 * those for every package.
 */
export async function listDecisions(
  db: Db, workspaceId: string,
  filter: { vulnerabilityId?: string; repositoryId?: string | null; package?: string; state?: string } = {},
): Promise<DecisionView[]> {
  let q = db.selectFrom('triage').leftJoin('repositories', 'repositories.id', 'triage.repository_id')
    .selectAll('triage').select('repositories.name as repository')
    .where('triage.workspace_id', '=', workspaceId);
  if (filter.vulnerabilityId !== undefined) q = q.where('triage.vulnerability_id', '=', filter.vulnerabilityId);
  if (filter.state !== undefined) q = q.where('triage.state', '=', filter.state);
  const pkg = filter.package;
  if (pkg !== undefined) q = q.where((eb) => eb.or([eb('triage.package', 'is', null), eb('triage.package', '=', pkg)]));
  const repositoryId = filter.repositoryId;
  if (repositoryId === null) q = q.where('triage.repository_id', 'is', null);
  else if (repositoryId !== undefined) {
    q = q.where((eb) => eb.or([eb('triage.repository_id', 'is', null), eb('triage.repository_id', '=', repositoryId)]));
  }
  return q.orderBy('triage.created_at', 'desc').orderBy('triage.id', 'desc').execute();
}

/** Every decision that can hold for findings of these repositories: theirs and the workspace-wide ones. */
export async function decisionsForRepositories(db: Db, workspaceId: string, repositoryIds: readonly string[]): Promise<DecisionRow[]> {
  const unique = [...new Set(repositoryIds)];
  const base = () => db.selectFrom('triage').selectAll().where('workspace_id', '=', workspaceId);
  const out = await base().where('repository_id', 'is', null).execute();
  for (let i = 0; i < unique.length; i += CHUNK) {
    out.push(...await base().where('repository_id', 'in', unique.slice(i, i + CHUNK)).execute());
  }
  return out;
}
