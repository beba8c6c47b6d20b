import { Type } from '@sinclair/typebox';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import type { ScanSummary } from '../scans/scan-summary.js';
import { riskScore } from './exposure.js';

/*
 * Response schemas for vulnerability counts, shared by the environment, repository, image, compare and trend views so
 * that every page reads the same shape: counts keyed by Quay's severity names, fixable counts beside them.
 */

export const severityCounts = Type.Object(
  Object.fromEntries(severities.map((s) => [s, Type.Integer()])) as Record<Severity, ReturnType<typeof Type.Integer>>,
  { description: 'Counts keyed by severity: Critical, High, Medium, Low, Negligible, Unknown' },
);

/** trend/exposure.ts Exposure: the open vulnerabilities of a set of digests, each digest counted once. */
export const exposureSchema = Type.Object({
  by_severity: severityCounts,
  fixable: severityCounts,
  fixable_total: Type.Integer(),
  distinct_vulnerabilities: Type.Integer(),
  risk_score: Type.Integer({ description: '10·critical + 5·high + 3·medium + 1·low + 5·unknown' }),
  scanned_images: Type.Integer(),
  unscanned_images: Type.Integer({ description: 'distinct digests without a scan: unknown, not clean' }),
});

/** One digest's current scan, as counts: open (unsuppressed) findings by severity. */
export const digestCountsSchema = Type.Object({
  by_severity: severityCounts,
  fixable: severityCounts,
  total: Type.Integer({ description: 'open findings' }),
  fixable_total: Type.Integer(),
  distinct_vulnerabilities: Type.Integer(),
  suppressed: Type.Integer({ description: 'findings a triage decision takes out of the counts' }),
  risk_score: Type.Integer(),
  scanned_at: Type.String(),
});

export interface DigestCounts {
  by_severity: Record<Severity, number>;
  fixable: Record<Severity, number>;
  total: number;
  fixable_total: number;
  distinct_vulnerabilities: number;
  suppressed: number;
  risk_score: number;
  scanned_at: string;
}

export function digestCounts(summary: ScanSummary, scannedAt: string): DigestCounts {
  const sum = (c: Record<Severity, number>) => severities.reduce((a, s) => a + (c[s] ?? 0), 0);
  return {
    by_severity: summary.by_severity,
    fixable: summary.fixable,
    total: sum(summary.by_severity),
    fixable_total: sum(summary.fixable),
    distinct_vulnerabilities: summary.vulnerabilities.length,
    suppressed: summary.suppressed,
    risk_score: riskScore(summary.by_severity),
    scanned_at: scannedAt,
  };
}
