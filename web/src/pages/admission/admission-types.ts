/* Answers of the admission API (admission.md): policies, clusters, the policy check, the decisions log. */
export type PolicyMode = 'enforce' | 'warn' | 'audit';
export interface PolicyRules {
  deny_severity?: string;
  fixable_only?: boolean;
  require_scan?: boolean;
  require_digest?: boolean;
  allowed_repositories?: string[];
  ignore_vulnerabilities?: string[];
}
export interface PolicyView { name: string; environments: string[]; mode: PolicyMode; rules: PolicyRules; created_at: string; updated_at: string }
export interface ClusterView { name: string; fail_closed: boolean; created_at: string }
export interface ClusterWithSecret extends ClusterView { webhook_url: string; secret: string }
export interface AdmissionDecision { cluster: string | null; environment: string; image: string; result: string; messages: string[]; at: string }
export interface DecisionsPage { decisions: AdmissionDecision[]; limit: number; next_cursor: string | null }
export interface PolicyCheck {
  image: string; environment: string; digest: string | null; resolved_from: 'digest' | 'tag' | null; allowed: boolean;
  result: 'allowed' | 'warned' | 'refused'; decisions: Array<{ policy: string; mode: string; rule: string; message: string }>; warnings: string[];
}

/** A policy's rules in words, for the list. */
export function rulesSummary(r: PolicyRules): string {
  const parts: string[] = [];
  if (r.deny_severity) parts.push(`deny ${r.fixable_only ? 'fixable ' : ''}${r.deny_severity} or worse`);
  if (r.require_scan) parts.push('require a scan');
  if (r.require_digest) parts.push('require a digest');
  if (r.allowed_repositories?.length) parts.push(`only from ${r.allowed_repositories.join(', ')}`);
  if (r.ignore_vulnerabilities?.length) parts.push(`ignoring ${r.ignore_vulnerabilities.join(', ')}`);
  return parts.join('; ') || 'no rule';
}
