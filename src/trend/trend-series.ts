import { Type } from '@sinclair/typebox';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { severityCounts } from './exposure-schemas.js';
import type { TrendPointRow } from './trend-queries.js';

/*
 * Reading a security-debt series back (deployments.md, "Security debt over time"): points, buckets, and the verdict
 * between the start and the end of a window. Pure.
 */

export type Bucket = 'day' | 'hour' | 'none';
export type Verdict = 'increasing' | 'decreasing' | 'flat';

export interface TrendPoint {
  at: string;
  by_severity: Record<Severity, number>;
  fixable: number;
  distinct_vulnerabilities: number;
  risk_score: number;
}

export interface TrendDeltas {
  by_severity: Record<Severity, number>;
  fixable: number;
  distinct_vulnerabilities: number;
  risk_score: number;
}

export const trendPointSchema = Type.Object({
  at: Type.String(),
  by_severity: severityCounts,
  fixable: Type.Integer(),
  distinct_vulnerabilities: Type.Integer(),
  risk_score: Type.Integer(),
});

export const trendDeltasSchema = Type.Object({
  by_severity: severityCounts,
  fixable: Type.Integer(),
  distinct_vulnerabilities: Type.Integer(),
  risk_score: Type.Integer(),
}, { description: 'end minus start' });

export const verdictSchema = Type.Union([Type.Literal('increasing'), Type.Literal('decreasing'), Type.Literal('flat')]);

const columns: Record<Severity, keyof TrendPointRow> = {
  Critical: 'critical', High: 'high', Medium: 'medium', Low: 'low', Negligible: 'negligible', Unknown: 'unknown',
};

export function toPoint(row: TrendPointRow): TrendPoint {
  return {
    at: row.at,
    by_severity: Object.fromEntries(severities.map((s) => [s, Number(row[columns[s]])])) as Record<Severity, number>,
    fixable: Number(row.fixable),
    distinct_vulnerabilities: Number(row.distinct_vulnerabilities),
    risk_score: Number(row.risk_score),
  };
}

/** The last point of each UTC day or hour (times are ISO-8601 UTC text), or every point. Input oldest first. */
export function bucketed(points: readonly TrendPoint[], bucket: Bucket): TrendPoint[] {
  if (bucket === 'none') return [...points];
  const width = bucket === 'day' ? 10 : 13; // "2026-01-31" | "2026-01-31T17"
  const out: TrendPoint[] = [];
  for (const p of points) {
    const last = out[out.length - 1];
    if (last && last.at.slice(0, width) === p.at.slice(0, width)) out[out.length - 1] = p;
    else out.push(p);
  }
  return out;
}

const total = (p: TrendPoint) => severities.reduce((a, s) => a + p.by_severity[s], 0);

/**
 * Between the start and the end of a window: the risk score decides; on a tie, the total count; then flat. No start
 * (nothing recorded) is flat.
 */
export function verdictOf(start: TrendPoint | null, end: TrendPoint | null): { verdict: Verdict; deltas: TrendDeltas } {
  const zero = { by_severity: Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>, fixable: 0, distinct_vulnerabilities: 0, risk_score: 0 };
  if (!start || !end) return { verdict: 'flat', deltas: zero };
  const deltas: TrendDeltas = {
    by_severity: Object.fromEntries(severities.map((s) => [s, end.by_severity[s] - start.by_severity[s]])) as Record<Severity, number>,
    fixable: end.fixable - start.fixable,
    distinct_vulnerabilities: end.distinct_vulnerabilities - start.distinct_vulnerabilities,
    risk_score: end.risk_score - start.risk_score,
  };
  const sign = Math.sign(deltas.risk_score) || Math.sign(total(end) - total(start));
  return { verdict: sign > 0 ? 'increasing' : sign < 0 ? 'decreasing' : 'flat', deltas };
}
