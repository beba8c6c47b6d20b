import type { Db } from '../core/db/database.js';

export const hookKinds = ['distribution', 'harbor', 'dockerhub', 'quay', 'github'] as const;
export type HookKind = (typeof hookKinds)[number];

/** hook_endpoints.config: the kind's options. */
export interface HookConfig {
  /** Registry host that names repositories instead of what the payload says. */
  registry_host: string | null;
  /** GitHub signing secret, sealed (hook-secret.ts); null when deliveries are not signed. */
  signing_secret: string | null;
  /** The creating token's repository scope: deliveries through the endpoint reach no further. */
  repository_glob: string | null;
}

export interface HookEndpoint {
  id: string;
  workspaceId: string;
  kind: HookKind;
  config: HookConfig;
  createdAt: string;
}

type Row = { id: string; workspace_id: string; kind: string; config: string; created_at: string };

function toEndpoint(row: Row): HookEndpoint {
  return { id: row.id, workspaceId: row.workspace_id, kind: row.kind as HookKind, config: JSON.parse(row.config) as HookConfig, createdAt: row.created_at };
}

export async function insertHookEndpoint(db: Db, endpoint: HookEndpoint & { secretHash: string }): Promise<void> {
  await db.insertInto('hook_endpoints').values({
    id: endpoint.id,
    workspace_id: endpoint.workspaceId,
    kind: endpoint.kind,
    secret_hash: endpoint.secretHash,
    config: JSON.stringify(endpoint.config),
    created_at: endpoint.createdAt,
  }).execute();
}

export async function findHookEndpointBySecret(db: Db, secretHash: string): Promise<HookEndpoint | undefined> {
  const row = await db.selectFrom('hook_endpoints').select(['id', 'workspace_id', 'kind', 'config', 'created_at'])
    .where('secret_hash', '=', secretHash).executeTakeFirst();
  return row && toEndpoint(row);
}

export async function listHookEndpoints(db: Db, workspaceId: string): Promise<HookEndpoint[]> {
  const rows = await db.selectFrom('hook_endpoints').select(['id', 'workspace_id', 'kind', 'config', 'created_at'])
    .where('workspace_id', '=', workspaceId).orderBy('created_at').orderBy('id').execute();
  return rows.map(toEndpoint);
}

export async function findHookEndpoint(db: Db, workspaceId: string, id: string): Promise<HookEndpoint | undefined> {
  const row = await db.selectFrom('hook_endpoints').select(['id', 'workspace_id', 'kind', 'config', 'created_at'])
    .where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  return row && toEndpoint(row);
}

export async function deleteHookEndpoint(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db.deleteFrom('hook_endpoints').where('workspace_id', '=', workspaceId).where('id', '=', id)
    .returning('id').execute();
  return rows.length > 0;
}
