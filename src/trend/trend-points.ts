import type { Db } from '../core/db/database.js';
import { exposureOf } from './exposure-queries.js';
import type { Exposure } from './exposure.js';

/**
 * Writes a point of the security-debt series (deployments.md, "Security debt over time") for each environment given
 * and for the workspace as a whole, when its numbers differ from its last point: the series changes exactly when a
 * deployment, scan or triage changes what is exposed, never on a timer. Call it in the transaction of that change.
 */
export async function recordTrendPoints(trx: Db, workspaceId: string, environmentIds: string[], at = new Date().toISOString()): Promise<number> {
  let written = 0;
  for (const environmentId of [...new Set(environmentIds), null]) {
    const exposure = await exposureOf(trx, workspaceId, environmentId);
    const last = await lastPoint(trx, workspaceId, environmentId);
    if (last && samePoint(last, exposure)) continue;
    await trx.insertInto('trend_points').values({ workspace_id: workspaceId, environment_id: environmentId, at, ...pointOf(exposure) }).execute();
    written++;
  }
  return written;
}

function pointOf(e: Exposure) {
  return {
    critical: e.by_severity.Critical,
    high: e.by_severity.High,
    medium: e.by_severity.Medium,
    low: e.by_severity.Low,
    negligible: e.by_severity.Negligible,
    unknown: e.by_severity.Unknown,
    fixable: e.fixable_total,
    distinct_vulnerabilities: e.distinct_vulnerabilities,
    risk_score: e.risk_score,
  };
}

type PointValues = ReturnType<typeof pointOf>;

function samePoint(last: PointValues, e: Exposure): boolean {
  const next = pointOf(e);
  return (Object.keys(next) as Array<keyof PointValues>).every((k) => Number(last[k]) === next[k]);
}

async function lastPoint(db: Db, workspaceId: string, environmentId: string | null) {
  let q = db.selectFrom('trend_points').selectAll().where('workspace_id', '=', workspaceId);
  q = environmentId === null ? q.where('environment_id', 'is', null) : q.where('environment_id', '=', environmentId);
  return q.orderBy('at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
}
