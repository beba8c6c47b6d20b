/*
 * SQL of admission policies (admission.md "Policies"), kept in the `policies` table of migration 001: environments and
 * rules as JSON text, re-checked by validatePolicy on the way in.
 */
import type { Db } from '../core/db/database.js';
import type { Policy, PolicyMode, PolicyRules } from './policy.js';

export interface StoredPolicy extends Policy {
  id: string;
  createdAt: string;
  updatedAt: string;
}

type Row = { id: string; name: string; environments: string; mode: string; rules: string; created_at: string; updated_at: string };

const columns = ['id', 'name', 'environments', 'mode', 'rules', 'created_at', 'updated_at'] as const;

/*
 * Every admission review reads the workspace's policies; parsing their JSON each time is waste, so the parsed policy
 * is kept per row and reused while the stored text is the same (as current-scans.ts does for summaries).
 */
const parsed = new Map<string, { key: string; policy: StoredPolicy }>();
const PARSED_MAX = 10_000;

function toPolicy(row: Row): StoredPolicy {
  const key = `${row.name}\u0000${row.environments}\u0000${row.mode}\u0000${row.rules}\u0000${row.updated_at}`;
  const hit = parsed.get(row.id);
  if (hit && hit.key === key) return hit.policy;
  const policy: StoredPolicy = {
    id: row.id,
    name: row.name,
    environments: JSON.parse(row.environments) as string[],
    mode: row.mode as PolicyMode,
    rules: JSON.parse(row.rules) as PolicyRules,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(row.id, { key, policy });
  return policy;
}

/** All policies of a workspace, by name: one indexed query (the unique workspace_id, name constraint). */
export async function listPolicies(db: Db, workspaceId: string): Promise<StoredPolicy[]> {
  const rows = await db.selectFrom('policies').select(columns).where('workspace_id', '=', workspaceId).orderBy('name').execute();
  return rows.map(toPolicy);
}

export async function findPolicy(db: Db, workspaceId: string, name: string): Promise<StoredPolicy | undefined> {
  const row = await db.selectFrom('policies').select(columns)
    .where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
  return row && toPolicy(row);
}

export async function insertPolicy(db: Db, workspaceId: string, policy: StoredPolicy): Promise<void> {
  await db.insertInto('policies').values({
    id: policy.id,
    workspace_id: workspaceId,
    name: policy.name,
    environments: JSON.stringify(policy.environments),
    mode: policy.mode,
    rules: JSON.stringify(policy.rules),
    created_at: policy.createdAt,
    updated_at: policy.updatedAt,
  }).execute();
}

/** Replaces the policy named `name` (the body may rename it); false when there is none. */
export async function updatePolicy(db: Db, workspaceId: string, name: string, policy: Policy, updatedAt: string): Promise<boolean> {
  const rows = await db.updateTable('policies').set({
    name: policy.name,
    environments: JSON.stringify(policy.environments),
    mode: policy.mode,
    rules: JSON.stringify(policy.rules),
    updated_at: updatedAt,
  }).where('workspace_id', '=', workspaceId).where('name', '=', name).returning('id').execute();
  return rows.length > 0;
}

export async function deletePolicy(db: Db, workspaceId: string, name: string): Promise<boolean> {
  const rows = await db.deleteFrom('policies').where('workspace_id', '=', workspaceId).where('name', '=', name)
    .returning('id').execute();
  return rows.length > 0;
}
