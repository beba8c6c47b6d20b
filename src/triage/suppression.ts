/*
 * Triage decisions and what they suppress (concepts.md "Triage"; ingest.md "Triage by hand"). Pure, so environment
 * views, policies and the scan summary ask the same question the same way: is this finding of this repository
 * suppressed?
 */

/** CycloneDX 1.6 `analysis.state` values (Dependency-Track's triage states are the same words). */
export const triageStates = [
  'resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage', 'false_positive', 'not_affected',
] as const;
export type TriageStateName = (typeof triageStates)[number];

/** CycloneDX 1.6 `analysis.justification` values. */
export const triageJustifications = [
  'code_not_present', 'code_not_reachable', 'requires_configuration', 'requires_dependency', 'requires_environment',
  'protected_by_compiler', 'protected_at_runtime', 'protected_at_perimeter', 'protected_by_mitigating_control',
] as const;

/** The states that take a finding out of the counts (it stays visible): not affected, a false positive, or fixed. */
const suppressing = new Set<string>(['not_affected', 'false_positive', 'resolved', 'resolved_with_pedigree']);

export function isSuppressingState(state: string): boolean {
  return suppressing.has(state);
}

/** What suppression needs of a decision row (the triage table's columns). */
export interface DecisionScope {
  vulnerability_id: string;
  /** null: the whole workspace. */
  repository_id: string | null;
  /** null: every package. */
  package: string | null;
  state: string;
  created_at: string;
}

export interface FindingKey {
  vulnerability_id: string;
  package: string;
}

export interface Suppression<D extends DecisionScope = DecisionScope> {
  /**
   * The decision that holds for a finding in a repository: the most specific scope wins — repository and package,
   * then repository, then package, then the whole workspace — so a repository can override a workspace-wide call.
   */
  decisionFor(repositoryId: string | null, finding: FindingKey): D | undefined;
  isSuppressed(repositoryId: string | null, finding: FindingKey): boolean;
  /**
   * For a digest held by several repositories (a mirror): suppressed only when every one of them suppresses it, so a
   * decision about one repository never hides a finding from another. No repository: the workspace-wide decisions.
   */
  isSuppressedInAll(repositoryIds: readonly string[], finding: FindingKey): boolean;
  readonly size: number;
}

const keyOf = (vulnerability: string, repository: string | null, pkg: string | null) =>
  `${vulnerability}\u0000${repository ?? ''}\u0000${pkg === null ? '\u0001' : pkg}`;

export function suppressionOf<D extends DecisionScope>(decisions: Iterable<D>): Suppression<D> {
  const byScope = new Map<string, D>();
  for (const d of decisions) {
    const key = keyOf(d.vulnerability_id, d.repository_id, d.package);
    const held = byScope.get(key);
    // One decision per scope is stored; should two meet anyway, the newer one holds (ingest.md: it replaces).
    if (!held || held.created_at <= d.created_at) byScope.set(key, d);
  }
  const decisionFor = (repositoryId: string | null, f: FindingKey): D | undefined => {
    if (byScope.size === 0) return undefined;
    const v = f.vulnerability_id;
    return (repositoryId !== null
      ? byScope.get(keyOf(v, repositoryId, f.package)) ?? byScope.get(keyOf(v, repositoryId, null))
      : undefined) ?? byScope.get(keyOf(v, null, f.package)) ?? byScope.get(keyOf(v, null, null));
  };
  const isSuppressed = (repositoryId: string | null, f: FindingKey): boolean => {
    const d = decisionFor(repositoryId, f);
    return d !== undefined && suppressing.has(d.state);
  };
  return {
    decisionFor,
    isSuppressed,
    isSuppressedInAll: (repositoryIds, f) =>
      repositoryIds.length === 0 ? isSuppressed(null, f) : repositoryIds.every((r) => isSuppressed(r, f)),
    size: byScope.size,
  };
}
