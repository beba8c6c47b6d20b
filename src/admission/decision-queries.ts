/*
 * Reading the admission decisions log (admission.md "Policies": "Every decision is kept"). The review endpoint writes
 * the rows; this module reads them, newest first, a page at a time.
 */
import type { Db } from '../core/db/database.js';

export interface DecisionFilter {
  environment?: string;
  result?: string;
}

export interface DecisionRow {
  id: number;
  /** null when the cluster was deleted since. */
  cluster: string | null;
  environment: string;
  image: string;
  result: string;
  messages: string;
  at: string;
}

/**
 * A page of decisions, newest first: those before `beforeId` (the cursor: the id of the last row of the previous
 * page), so rows added meanwhile neither shift nor repeat a page as an offset would in a log that keeps growing.
 */
export async function listAdmissionDecisions(
  db: Db, workspaceId: string, filter: DecisionFilter, page: { limit: number; beforeId: number | null },
): Promise<DecisionRow[]> {
  let q = db.selectFrom('admission_decisions as d')
    .leftJoin('clusters as c', (join) => join.onRef('c.id', '=', 'd.cluster_id').onRef('c.workspace_id', '=', 'd.workspace_id'))
    .select(['d.id', 'c.name as cluster', 'd.environment', 'd.image', 'd.result', 'd.messages', 'd.at'])
    .where('d.workspace_id', '=', workspaceId);
  if (filter.environment !== undefined) q = q.where('d.environment', '=', filter.environment);
  if (filter.result !== undefined) q = q.where('d.result', '=', filter.result);
  if (page.beforeId !== null) q = q.where('d.id', '<', page.beforeId);
  const rows = await q.orderBy('d.id', 'desc').limit(page.limit).execute();
  return rows.map((r) => ({ ...r, id: Number(r.id) }));
}
