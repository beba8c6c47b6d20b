import { severities, type Severity } from './parsers/report-types.js';

/**
 * What one scan says is open in its image: unsuppressed findings by severity, the fixable ones among them, and the
 * distinct vulnerability ids. Stored with the scan (scans.summary) so that environment views and trends add up
 * summaries instead of counting findings rows; recomputed when triage changes.
 */
export interface ScanSummary {
  by_severity: Record<Severity, number>;
  fixable: Record<Severity, number>;
  /** Findings a triage decision suppresses (not_affected, false_positive, resolved): left out of the counts above. */
  suppressed: number;
  /** Distinct ids of the open findings, sorted. */
  vulnerabilities: string[];
}

export interface SummaryFinding {
  vulnerability_id: string;
  package: string;
  severity: string;
  fix_state: string;
}

export const zeroCounts = (): Record<Severity, number> =>
  Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;

export function summarise(findings: Iterable<SummaryFinding>, isSuppressed: (f: SummaryFinding) => boolean): ScanSummary {
  const summary: ScanSummary = { by_severity: zeroCounts(), fixable: zeroCounts(), suppressed: 0, vulnerabilities: [] };
  const ids = new Set<string>();
  for (const f of findings) {
    if (isSuppressed(f)) {
      summary.suppressed++;
      continue;
    }
    const severity = (severities as readonly string[]).includes(f.severity) ? (f.severity as Severity) : 'Unknown';
    summary.by_severity[severity]++;
    if (f.fix_state === 'fixed') summary.fixable[severity]++;
    ids.add(f.vulnerability_id);
  }
  summary.vulnerabilities = [...ids].sort();
  return summary;
}

export function parseSummary(json: string): ScanSummary {
  return JSON.parse(json) as ScanSummary;
}
