/*
 * One image against the policies of its environment (admission.md "Policies"): each broken rule of each policy is a
 * decision; enforce refuses, warn allows with a warning, audit allows and only records; the strictest wins.
 */
import { matchesGlob } from '../auth/repository-glob.js';
import type { Severity } from '../scans/parsers/report-types.js';
import { severityLevel } from '../scans/parsers/severity.js';
import type { Policy, PolicyMode, PolicyRule } from './policy.js';

export interface ImageUnderPolicy {
  /** Canonical repository, `docker.io/library/nginx`. */
  repository: string;
  /** The digest Tidewatch knows for it (pinned, reported by the kubelet, or resolved from the tag), or null. */
  digest: string | null;
  /** How the image is named in messages, e.g. `docker.io/library/nginx@sha256:…`. */
  reference: string;
  /** The reference itself names a digest. */
  pinned: boolean;
  /** The digest came from Tidewatch's tag history. */
  resolvedFromTag: boolean;
}

export interface ImageFacts {
  /** The digest has a scan. */
  scanned: boolean;
  /** Open findings of the latest scan; `suppressed` when triage says not_affected, false_positive or resolved. */
  findings: Array<{ vulnerabilityId: string; severity: Severity; fixable: boolean; suppressed: boolean }>;
}

export interface PolicyDecision {
  policy: string;
  mode: PolicyMode;
  rule: PolicyRule;
  message: string;
}

export interface PolicyEvaluation {
  allowed: boolean;
  /** The strictest outcome: refused (an enforce rule broke), warned (a warn rule broke), else allowed. */
  result: 'allowed' | 'warned' | 'refused';
  /** Every broken rule of every policy, audit ones included. */
  decisions: PolicyDecision[];
  /** The warn-mode messages, for response.warnings. */
  warnings: string[];
  /** The enforce-mode messages joined, for status.message; null when allowed. */
  message: string | null;
}

const MAX_LISTED = 5;

/** `policies` are those of the image's environment (policiesFor); all of them apply. */
export function evaluate(policies: readonly Policy[], image: ImageUnderPolicy, facts: ImageFacts): PolicyEvaluation {
  const decisions: PolicyDecision[] = [];
  for (const policy of policies) {
    for (const [rule, message] of brokenRules(policy, image, facts)) {
      decisions.push({ policy: policy.name, mode: policy.mode, rule, message: `${policy.name}: ${message}` });
    }
  }
  const refusals = decisions.filter((d) => d.mode === 'enforce').map((d) => d.message);
  const warnings = decisions.filter((d) => d.mode === 'warn').map((d) => d.message);
  const result = refusals.length > 0 ? 'refused' : warnings.length > 0 ? 'warned' : 'allowed';
  return { allowed: result !== 'refused', result, decisions, warnings, message: refusals.length > 0 ? refusals.join('; ') : null };
}

// In the order of admission.md's rules table, so messages come out in a stable order.
function brokenRules(policy: Policy, image: ImageUnderPolicy, facts: ImageFacts): Array<[PolicyRule, string]> {
  const { rules } = policy;
  const broken: Array<[PolicyRule, string]> = [];
  if (rules.deny_severity) {
    const ids = countedIds(rules.deny_severity, rules.fixable_only === true, rules.ignore_vulnerabilities ?? [], facts);
    if (ids.length > 0) {
      const what = `${rules.fixable_only ? 'fixable ' : ''}${rules.deny_severity === 'Critical' ? 'Critical' : `${rules.deny_severity} or worse`}`;
      broken.push(['deny_severity', `${image.reference} has ${ids.length} ${what} ${ids.length === 1 ? 'vulnerability' : 'vulnerabilities'} (${listed(ids)})`]);
    }
  }
  if (rules.require_scan && !facts.scanned) {
    broken.push(['require_scan', `${image.reference} has no scan${image.digest === null ? ' (no digest is known for it)' : ''}`]);
  }
  if (rules.require_digest && !image.pinned && image.digest === null) {
    broken.push(['require_digest', `${image.reference} is a tag Tidewatch cannot pin to a digest`]);
  }
  const allowed = rules.allowed_repositories;
  if (allowed && !allowed.some((glob) => matchesGlob(glob, image.repository))) {
    broken.push(['allowed_repositories', `${image.reference} is not from an allowed repository (${listed(allowed)})`]);
  }
  return broken;
}

/** Distinct ids that count against deny_severity, worst first: a CVE found in two packages is one vulnerability. */
function countedIds(deny: Severity, fixableOnly: boolean, ignored: string[], facts: ImageFacts): string[] {
  // Ids compared case-insensitively: a policy written with cve-2023-1234 still means CVE-2023-1234.
  const ignore = new Set(ignored.map((id) => id.toUpperCase()));
  const limit = severityLevel(deny);
  const worst = new Map<string, number>();
  for (const f of facts.findings) {
    const level = severityLevel(f.severity);
    if (f.suppressed || level > limit || (fixableOnly && !f.fixable) || ignore.has(f.vulnerabilityId.toUpperCase())) continue;
    worst.set(f.vulnerabilityId, Math.min(level, worst.get(f.vulnerabilityId) ?? level));
  }
  return [...worst].sort(([a, la], [b, lb]) => la - lb || (a < b ? -1 : a > b ? 1 : 0)).map(([id]) => id);
}

const listed = (items: readonly string[]) =>
  items.length > MAX_LISTED ? `${items.slice(0, MAX_LISTED).join(', ')}, …` : items.join(', ');
