/*
 * What the policy rules need to know of images (admission.md "Policies"), read for all images of a review at once:
 * this is the admission hot path, so one query for scans and findings together, one for triage, whatever the number
 * of images, and only the findings a rule can count.
 */
import type { Db } from '../core/db/database.js';
import type { Severity } from '../scans/parsers/report-types.js';

export interface CurrentFinding {
  digest: string;
  vulnerability_id: string;
  package: string;
  severity: string;
  fix_state: string;
}

export interface FindingsFilter {
  /** The severities that can count; null reads no findings (only whether a scan exists). */
  severities: readonly Severity[] | null;
  /** Only fixable findings can count (every deny_severity rule in play has fixable_only). */
  fixableOnly: boolean;
}

/**
 * The digests that have a current scan, and the findings of those scans passing the filter. A scanned digest without
 * such findings still comes back (the left join's row with nulls), so one query answers both require_scan and
 * deny_severity; it walks the partial index scans_current_digest and then findings_scan.
 */
export async function currentFindingsOf(
  db: Db, workspaceId: string, digests: readonly string[], filter: FindingsFilter,
): Promise<{ scanned: Set<string>; findings: CurrentFinding[] }> {
  const scanned = new Set<string>();
  const findings: CurrentFinding[] = [];
  if (digests.length === 0) return { scanned, findings };
  const severities = filter.severities;
  if (severities === null || severities.length === 0) {
    const rows = await db.selectFrom('scans').select('digest')
      .where('workspace_id', '=', workspaceId).where('is_current', '=', 1).where('digest', 'in', digests).execute();
    for (const r of rows) scanned.add(r.digest);
    return { scanned, findings };
  }
  const rows = await db.selectFrom('scans')
    .leftJoin('findings', (join) => {
      let on = join.onRef('findings.scan_id', '=', 'scans.id').on('findings.severity', 'in', [...severities]);
      if (filter.fixableOnly) on = on.on('findings.fix_state', '=', 'fixed');
      return on;
    })
    .select(['scans.digest', 'findings.vulnerability_id', 'findings.package', 'findings.severity', 'findings.fix_state'])
    .where('scans.workspace_id', '=', workspaceId).where('scans.is_current', '=', 1).where('scans.digest', 'in', digests)
    .execute();
  for (const r of rows) {
    scanned.add(r.digest);
    if (r.vulnerability_id === null || r.package === null || r.severity === null || r.fix_state === null) continue;
    findings.push({ digest: r.digest, vulnerability_id: r.vulnerability_id, package: r.package, severity: r.severity, fix_state: r.fix_state });
  }
  return { scanned, findings };
}

export interface TriageScope {
  vulnerability_id: string;
  /** The repository's canonical name; null for a workspace-wide decision. */
  repository: string | null;
  package: string | null;
  state: string;
  created_at: string;
}

/**
 * Triage decisions about some vulnerabilities that hold in some repositories (named canonically): theirs and the
 * workspace-wide ones. Uses the triage_vulnerability index; the repository is named, so the caller needs no lookup of
 * repository ids first.
 */
export async function triageOf(
  db: Db, workspaceId: string, vulnerabilityIds: readonly string[], repositories: readonly string[],
): Promise<TriageScope[]> {
  const unique = [...new Set(vulnerabilityIds)];
  const out: TriageScope[] = [];
  // One query for any review of a few images; chunked only so a huge list stays under the engines' parameter limits.
  for (let i = 0; i < unique.length; i += CHUNK) out.push(...await triageChunk(db, workspaceId, unique.slice(i, i + CHUNK), repositories));
  return out;
}

const CHUNK = 5000;

async function triageChunk(db: Db, workspaceId: string, vulnerabilityIds: string[], repositories: readonly string[]): Promise<TriageScope[]> {
  const rows = await db.selectFrom('triage').leftJoin('repositories', 'repositories.id', 'triage.repository_id')
    .select(['triage.vulnerability_id', 'repositories.name as repository', 'triage.repository_id', 'triage.package', 'triage.state', 'triage.created_at'])
    .where('triage.workspace_id', '=', workspaceId).where('triage.vulnerability_id', 'in', vulnerabilityIds)
    .where((eb) => repositories.length === 0
      ? eb('triage.repository_id', 'is', null)
      : eb.or([eb('triage.repository_id', 'is', null), eb('repositories.name', 'in', [...repositories])]))
    .execute();
  return rows.map((r) => ({
    vulnerability_id: r.vulnerability_id,
    repository: r.repository_id === null ? null : r.repository,
    package: r.package,
    state: r.state,
    created_at: r.created_at,
  }));
}
