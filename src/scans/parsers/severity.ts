import { severities, type Severity } from './report-types.js';

const byLowerName = new Map<string, Severity>([
  ...severities.map((s) => [s.toLowerCase(), s] as const),
  // Other scanners' words for the same levels.
  ['moderate', 'Medium'],
  ['important', 'High'],
  ['info', 'Negligible'],
  ['informational', 'Negligible'],
  ['none', 'Negligible'],
  ['minimal', 'Negligible'],
  ['defcon1', 'Critical'],
]);

/** Maps a scanner's severity word to Quay's names; anything unrecognised is Unknown. */
export function normaliseSeverity(value: unknown): Severity {
  if (typeof value !== 'string') return 'Unknown';
  return byLowerName.get(value.trim().toLowerCase()) ?? 'Unknown';
}

/** CVSS v3 qualitative rating of a base score (used where a report gives only a score). */
export function severityOfScore(score: number | null | undefined): Severity {
  if (score == null || Number.isNaN(score)) return 'Unknown';
  if (score >= 9) return 'Critical';
  if (score >= 7) return 'High';
  if (score >= 4) return 'Medium';
  if (score > 0) return 'Low';
  return 'Negligible';
}

/** Quay's level index: 0 = Critical … 5 = Unknown. */
export function severityLevel(severity: Severity): number {
  return severities.indexOf(severity);
}
