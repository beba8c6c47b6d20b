import type { Db } from '../core/db/database.js';
import type { TrendPointTable } from '../core/db/schema.js';

/** A stored point of a security-debt series (trend-points.ts writes them). */
export type TrendPointRow = Omit<TrendPointTable, 'id'> & { id: number };

/** One series: an environment's, or the workspace's as a whole (environment_id null). */
export interface SeriesKey {
  workspaceId: string;
  environmentId: string | null;
}

function series(db: Db, key: SeriesKey) {
  const q = db.selectFrom('trend_points').selectAll().where('workspace_id', '=', key.workspaceId);
  return key.environmentId === null ? q.where('environment_id', 'is', null) : q.where('environment_id', '=', key.environmentId);
}

/** Points at or after `since`, oldest first (ties in time by insertion order). */
export async function pointsSince(db: Db, key: SeriesKey, since: string): Promise<TrendPointRow[]> {
  return series(db, key).where('at', '>=', since).orderBy('at').orderBy('id').execute() as Promise<TrendPointRow[]>;
}

/** The last point before `since`: the series' value when the window opens. */
export async function lastPointBefore(db: Db, key: SeriesKey, since: string): Promise<TrendPointRow | undefined> {
  return series(db, key).where('at', '<', since).orderBy('at', 'desc').orderBy('id', 'desc').limit(1)
    .executeTakeFirst() as Promise<TrendPointRow | undefined>;
}

export async function firstPointSince(db: Db, key: SeriesKey, since: string): Promise<TrendPointRow | undefined> {
  return series(db, key).where('at', '>=', since).orderBy('at').orderBy('id').limit(1)
    .executeTakeFirst() as Promise<TrendPointRow | undefined>;
}

export async function latestPoint(db: Db, key: SeriesKey): Promise<TrendPointRow | undefined> {
  return series(db, key).orderBy('at', 'desc').orderBy('id', 'desc').limit(1)
    .executeTakeFirst() as Promise<TrendPointRow | undefined>;
}
