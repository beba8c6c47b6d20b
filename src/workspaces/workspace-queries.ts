import { newId } from '../core/ids.js';
import type { Db } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';

export async function findWorkspaceByName(db: Db, name: string) {
  return db.selectFrom('workspaces').selectAll().where('name', '=', name).executeTakeFirst();
}

/** Returns the workspace, creating it when missing; `created` tells which. */
export async function ensureWorkspace(db: Db, name: string): Promise<{ id: string; name: string; created: boolean }> {
  const found = await findWorkspaceByName(db, name);
  if (found) return { id: found.id, name: found.name, created: false };
  const id = newId();
  await db.insertInto('workspaces').values({ id, name, created_at: nowIso() })
    .onConflict((oc) => oc.column('name').doNothing()).execute();
  const row = await findWorkspaceByName(db, name);
  if (!row) throw new Error(`workspace ${name} could not be created`);
  return { id: row.id, name: row.name, created: row.id === id };
}

export async function listWorkspaces(db: Db) {
  return db.selectFrom('workspaces').selectAll().orderBy('name').execute();
}
