import type { Severity } from '../scans/parsers/report-types.js';
import { zeroCounts, type ScanSummary } from '../scans/scan-summary.js';

/**
 * The open vulnerabilities of a set of images (an environment, the workspace, one side of a compare): each distinct
 * digest counted once, however many instances run it; images with no scan are counted apart, not as clean.
 */
export interface Exposure {
  by_severity: Record<Severity, number>;
  fixable: Record<Severity, number>;
  /** Fixable findings over all severities. */
  fixable_total: number;
  distinct_vulnerabilities: number;
  /** Dependency-Track's inherited risk score: 10·critical + 5·high + 3·medium + 1·low + 5·unknown. */
  risk_score: number;
  scanned_images: number;
  unscanned_images: number;
}

export function riskScore(c: Record<Severity, number>): number {
  return 10 * c.Critical + 5 * c.High + 3 * c.Medium + 1 * c.Low + 5 * c.Unknown;
}

export function combineSummaries(digests: Iterable<string>, summaries: Map<string, ScanSummary>): Exposure {
  const by = zeroCounts();
  const fixable = zeroCounts();
  const ids = new Set<string>();
  let scanned = 0;
  let unscanned = 0;
  for (const digest of new Set(digests)) {
    const s = summaries.get(digest);
    if (!s) {
      unscanned++;
      continue;
    }
    scanned++;
    for (const k of Object.keys(by) as Severity[]) {
      by[k] += s.by_severity[k] ?? 0;
      fixable[k] += s.fixable[k] ?? 0;
    }
    for (const id of s.vulnerabilities) ids.add(id);
  }
  return {
    by_severity: by,
    fixable,
    fixable_total: Object.values(fixable).reduce((a, b) => a + b, 0),
    distinct_vulnerabilities: ids.size,
    risk_score: riskScore(by),
    scanned_images: scanned,
    unscanned_images: unscanned,
  };
}
