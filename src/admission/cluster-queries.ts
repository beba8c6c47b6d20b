/*
 * SQL of clusters (admission.md "Clusters"): one row per Kubernetes cluster whose API server sends admissions to
 * Tidewatch, found by the hash of the secret in its webhook URL.
 */
import type { Db } from '../core/db/database.js';

export interface Cluster {
  id: string;
  workspaceId: string;
  name: string;
  /** A database error refuses the admission instead of allowing it with a warning (admission.md "Limits"). */
  failClosed: boolean;
  createdAt: string;
}

type Row = { id: string; workspace_id: string; name: string; fail_closed: number; created_at: string };

const columns = ['id', 'workspace_id', 'name', 'fail_closed', 'created_at'] as const;

function toCluster(row: Row): Cluster {
  return { id: row.id, workspaceId: row.workspace_id, name: row.name, failClosed: row.fail_closed !== 0, createdAt: row.created_at };
}

/** The admission hot path: one lookup on the unique secret_hash index. */
export async function findClusterBySecretHash(db: Db, secretHash: string): Promise<Cluster | undefined> {
  const row = await db.selectFrom('clusters').select(columns).where('secret_hash', '=', secretHash).executeTakeFirst();
  return row && toCluster(row);
}

export async function insertCluster(db: Db, cluster: Cluster & { secretHash: string }): Promise<void> {
  await db.insertInto('clusters').values({
    id: cluster.id,
    workspace_id: cluster.workspaceId,
    name: cluster.name,
    secret_hash: cluster.secretHash,
    fail_closed: cluster.failClosed ? 1 : 0,
    created_at: cluster.createdAt,
  }).execute();
}

export async function listClusters(db: Db, workspaceId: string): Promise<Cluster[]> {
  const rows = await db.selectFrom('clusters').select(columns).where('workspace_id', '=', workspaceId).orderBy('name').execute();
  return rows.map(toCluster);
}

export async function findClusterByName(db: Db, workspaceId: string, name: string): Promise<Cluster | undefined> {
  const row = await db.selectFrom('clusters').select(columns)
    .where('workspace_id', '=', workspaceId).where('name', '=', name).executeTakeFirst();
  return row && toCluster(row);
}

/** Replaces the secret: the old webhook URL stops working at once; undefined when no such cluster. */
export async function rotateClusterSecret(db: Db, workspaceId: string, name: string, secretHash: string): Promise<Cluster | undefined> {
  const row = await db.updateTable('clusters').set({ secret_hash: secretHash })
    .where('workspace_id', '=', workspaceId).where('name', '=', name).returning(columns).executeTakeFirst();
  return row && toCluster(row);
}

export async function deleteCluster(db: Db, workspaceId: string, name: string): Promise<Cluster | undefined> {
  const row = await db.deleteFrom('clusters').where('workspace_id', '=', workspaceId).where('name', '=', name)
    .returning(columns).executeTakeFirst();
  return row && toCluster(row);
}
