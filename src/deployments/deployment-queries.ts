import { newId } from '../core/ids.js';
import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import type { DeploymentTable } from '../core/db/schema.js';

export type DeploymentRow = DeploymentTable;

/** The environment's id, creating it on first deployment (environments exist by being deployed to). */
export async function ensureEnvironment(trx: Db, workspaceId: string, name: string, at: string): Promise<string> {
  const found = await findEnvironment(trx, workspaceId, name);
  if (found) return found.id;
  const id = newId();
  await trx.insertInto('environments')
    .values({ id, workspace_id: workspaceId, name, created_at: at })
    .onConflict((oc) => oc.columns(['workspace_id', 'name']).doNothing()).execute();
  return (await findEnvironment(trx, workspaceId, name))?.id ?? id;
}

export async function findEnvironment(db: Db, workspaceId: string, name: string) {
  return db.selectFrom('environments').selectAll()
    .where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
}

/** The instance's running deployment, if any (at most one: a partial unique index guarantees it). */
export async function findRunningDeployment(db: Db, environmentId: string, instanceName: string) {
  return db.selectFrom('deployments').selectAll()
    .where('environment_id', '=', environmentId).where('instance_name', '=', instanceName)
    .where('undeployed_at', 'is', null).executeTakeFirst();
}

export async function insertDeployment(trx: Db, row: DeploymentRow): Promise<void> {
  await trx.insertInto('deployments').values(row).execute();
}

export async function endDeployment(trx: Db, id: string, at: string): Promise<void> {
  await trx.updateTable('deployments').set({ undeployed_at: at }).where('id', '=', id).execute();
}

export async function refreshDeployment(trx: Db, id: string, at: string): Promise<void> {
  await trx.updateTable('deployments').set({ last_seen_at: at }).where('id', '=', id).execute();
}

/**
 * Serialises writers of one instance key until the transaction ends. Without it, concurrent posts for one instance on
 * PostgreSQL race on the running-instance unique index, and under heavy contention some lose every retry.
 */
export async function lockInstanceKey(trx: Db, engine: EngineCapabilities, environmentId: string, instanceName: string): Promise<void> {
  if (!engine.advisoryLocks) return;
  await sql`select pg_advisory_xact_lock(hashtext(${`${environmentId}/${instanceName}`}))`.execute(trx);
}
