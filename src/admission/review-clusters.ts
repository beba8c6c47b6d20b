/*
 * Which cluster a webhook URL belongs to (admission.md "Clusters"). Every review looks the secret's hash up in the
 * database, so a rotated or deleted secret stops working at once. What a lookup found is also kept in memory, used
 * only when the database cannot be asked: a known cluster then still gets the answer its fail_closed setting asks
 * for (admission.md "Limits") instead of an error the API server would have to interpret.
 */
import type { Db } from '../core/db/database.js';
import { hashClusterSecret } from './cluster-secret.js';
import { findClusterBySecretHash } from './cluster-queries.js';

export interface ReviewCluster {
  id: string;
  workspaceId: string;
  name: string;
  failClosed: boolean;
}

export type ClusterLookup =
  | { found: ReviewCluster; stale: false }
  | { found: null; stale: false }
  /** The database failed; `found` is the last answer for this secret, from memory. */
  | { found: ReviewCluster; stale: true; error: unknown }
  | { found: null; stale: true; error: unknown };

// Bounded: a caller trying random secrets fills it with nothing (only found clusters are kept).
const MAX_REMEMBERED = 1000;
// After an hour without a successful lookup the memory may be out of date (a rotation, a changed setting) for longer
// than an outage should be bridged.
const REMEMBER_MS = 60 * 60 * 1000;

export function clusterLookup(db: Db): (secret: string) => Promise<ClusterLookup> {
  const remembered = new Map<string, { cluster: ReviewCluster; at: number }>();
  return async (secret) => {
    const hash = hashClusterSecret(secret);
    try {
      const row = await findClusterBySecretHash(db, hash);
      if (!row) {
        remembered.delete(hash);
        return { found: null, stale: false };
      }
      const cluster = { id: row.id, workspaceId: row.workspaceId, name: row.name, failClosed: row.failClosed };
      remembered.delete(hash); // re-inserted last: the Map's order is then least recently seen first
      if (remembered.size >= MAX_REMEMBERED) remembered.delete(remembered.keys().next().value!);
      remembered.set(hash, { cluster, at: Date.now() });
      return { found: cluster, stale: false };
    } catch (error) {
      const hit = remembered.get(hash);
      if (hit && Date.now() - hit.at < REMEMBER_MS) return { found: hit.cluster, stale: true, error };
      return { found: null, stale: true, error };
    }
  };
}
