import type { Db } from '../core/db/database.js';
import { bucketed, toPoint, verdictOf, type Bucket, type TrendDeltas, type TrendPoint, type Verdict } from './trend-series.js';
import { firstPointSince, lastPointBefore, latestPoint, pointsSince, type SeriesKey } from './trend-queries.js';

export interface TrendVerdict {
  verdict: Verdict;
  deltas: TrendDeltas;
  /**
   * The value when the window opens: the last point before it, or — when the series began inside the window — its
   * first point, so that an estate recorded for the first time is not read as debt rising from nothing.
   */
  start: TrendPoint | null;
  end: TrendPoint | null;
}

export interface TrendWindow extends TrendVerdict {
  /** The starting point (when it lies before the window), then the window's points, bucketed. */
  points: TrendPoint[];
}

export const defaultTrendDays = 30;

/**
 * The start of the UTC day 30 days ago: a window that begins at a day boundary (as bucket=day charts do) and reads the
 * same all day, so repeated views agree.
 */
export function defaultSince(now = Date.now()): string {
  const day = 24 * 3600 * 1000;
  return new Date(Math.floor((now - defaultTrendDays * day) / day) * day).toISOString();
}

export async function trendWindow(db: Db, key: SeriesKey, since: string, bucket: Bucket): Promise<TrendWindow> {
  const [before, inside] = await Promise.all([lastPointBefore(db, key, since), pointsSince(db, key, since)]);
  const window = inside.map(toPoint);
  const start = before ? toPoint(before) : window[0] ?? null;
  const end = window[window.length - 1] ?? start;
  return { ...verdictOf(start, end), start, end, points: [...(before ? [start!] : []), ...bucketed(window, bucket)] };
}

/** The verdict alone, from at most three indexed single-row reads (for lists of environments). */
export async function trendVerdict(db: Db, key: SeriesKey, since: string): Promise<TrendVerdict> {
  const [before, first, latest] = await Promise.all([
    lastPointBefore(db, key, since), firstPointSince(db, key, since), latestPoint(db, key),
  ]);
  const start = before ? toPoint(before) : first ? toPoint(first) : null;
  const end = latest ? toPoint(latest) : null;
  return { ...verdictOf(start, end), start, end };
}
