/*
 * What every scan-report parser produces: pure data, from unknown JSON to our types (style.md point 9). Parsers do no
 * I/O, read no clock, and throw ReportError (with a sentence naming what is wrong) on input they cannot read.
 */

/** Quay's severity names, in Quay's `level` order 0..5 (concepts.md). */
export const severities = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;
export type Severity = (typeof severities)[number];

/**
 * fixed: a fixed version exists (fixable); not_fixed: affected, no fix yet; wont_fix: the vendor will not fix;
 * unknown: the report does not say.
 */
export type FixState = 'fixed' | 'not_fixed' | 'wont_fix' | 'unknown';

export type ReportFormat = 'trivy' | 'grype' | 'cyclonedx' | 'sarif' | 'clair';

export interface ParsedFinding {
  /** CVE-…, GHSA-…, DSA-…: the report's own id. */
  vulnerabilityId: string;
  /** Package name as the scanner names it. */
  package: string;
  installedVersion: string | null;
  /**
   * Where the package was found (Trivy PkgPath or Target, Grype's first location, the SARIF artifact), so the same
   * package at two paths stays two findings, as the scanner reported them.
   */
  location: string | null;
  fixedVersion: string | null;
  fixState: FixState;
  severity: Severity;
  /** Highest CVSS base score the report gives, if any. */
  cvss: number | null;
  link: string | null;
  description: string | null;
}

/** CycloneDX VEX analysis states (and Dependency-Track's), as triage decisions. */
export type TriageState = 'not_affected' | 'false_positive' | 'resolved' | 'exploitable' | 'in_triage';

export interface ParsedTriage {
  vulnerabilityId: string;
  state: TriageState;
  justification: string | null;
  detail: string | null;
  /** Package the decision is limited to (from `affects`), or null for every package. */
  package: string | null;
}

export interface ParsedReport {
  format: ReportFormat;
  scanner: { name: string; version: string | null };
  /** What the report says about the image it scanned; Tidewatch decides which digest to use. */
  image: {
    /** A repository or reference the report names (RepoTags, userInput, metadata.component.name), if any. */
    reference: string | null;
    /** Manifest digests the report names ("sha256:…"), best first, without duplicates. */
    digests: string[];
    /** Repository-qualified digests (`repo@sha256:…`) when the report has them (RepoDigests). */
    repoDigests: string[];
  };
  findings: ParsedFinding[];
  /** Analysis states found in the report (CycloneDX `analysis`); empty for other formats. */
  triage: ParsedTriage[];
}

export class ReportError extends Error {}
