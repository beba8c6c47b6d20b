import type { Db } from '../core/db/database.js';
import { descriptionText } from '../scans/description-store.js';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { decisionsForRepositories } from '../triage/triage-queries.js';
import { isSuppressingState, suppressionOf } from '../triage/suppression.js';

/*
 * The findings of an image's current scan with each one's triage state (ui.md: "findings (filter by severity, fix
 * state, triage)"). An image has at most a few thousand findings: they are read whole, filtered, sorted and cut into
 * a page here, since the triage filter depends on decisions that no single SQL predicate expresses.
 */

export interface FindingFilter {
  severities: Severity[] | null;
  fixStates: string[] | null;
  triage: 'suppressed' | 'open' | null;
}

export interface TriageView {
  id: string;
  state: string;
  justification: string | null;
  detail: string | null;
  /** The repository the decision is limited to; null: the whole workspace. */
  repository: string | null;
  /** The package it is limited to; null: every package. */
  package: string | null;
  created_at: string;
}

export interface FindingView {
  vulnerability_id: string;
  package: string;
  installed_version: string | null;
  fixed_version: string | null;
  fix_state: string;
  severity: string;
  cvss: number | null;
  location: string | null;
  link: string | null;
  description: string | null;
  triage: TriageView | null;
  suppressed: boolean;
}

const rank = new Map<string, number>(severities.map((s, i) => [s, i]));
export const severityRank = (s: string) => rank.get(s) ?? severities.length;

export async function findingsOfScan(db: Db, scanId: string, filter: Pick<FindingFilter, 'severities' | 'fixStates'>) {
  let q = db.selectFrom('findings').leftJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
    .select(['vulnerability_id', 'package', 'installed_version', 'fixed_version', 'fix_state', 'severity', 'cvss', 'location', 'link', descriptionText('findings')])
    .where('scan_id', '=', scanId);
  if (filter.severities) q = q.where('severity', 'in', filter.severities);
  if (filter.fixStates) q = q.where('fix_state', 'in', filter.fixStates);
  return q.execute();
}

/** One page of an image's findings, most severe first, each with the triage decision that holds for it. */
export async function imageFindings(
  db: Db, workspaceId: string, scanId: string, repository: { id: string; name: string }, filter: FindingFilter,
  page: { limit: number; offset: number },
): Promise<{ total: number; items: FindingView[] }> {
  const [rows, decisions] = await Promise.all([
    findingsOfScan(db, scanId, filter), decisionsForRepositories(db, workspaceId, [repository.id]),
  ]);
  const suppression = suppressionOf(decisions);
  const all: FindingView[] = rows.map((f) => {
    const d = suppression.decisionFor(repository.id, f);
    return {
      ...f,
      cvss: f.cvss === null ? null : Number(f.cvss),
      triage: d ? {
        id: d.id, state: d.state, justification: d.justification, detail: d.detail,
        repository: d.repository_id === null ? null : repository.name, package: d.package, created_at: d.created_at,
      } : null,
      suppressed: d !== undefined && isSuppressingState(d.state),
    };
  });
  const kept = filter.triage === null ? all : all.filter((f) => f.suppressed === (filter.triage === 'suppressed'));
  kept.sort((a, b) => severityRank(a.severity) - severityRank(b.severity)
    || (b.cvss ?? -1) - (a.cvss ?? -1)
    || cmp(a.vulnerability_id, b.vulnerability_id) || cmp(a.package, b.package)
    || cmp(a.installed_version ?? '', b.installed_version ?? '') || cmp(a.location ?? '', b.location ?? ''));
  return { total: kept.length, items: kept.slice(page.offset, page.offset + page.limit) };
}

/** CVE-2024-999 before CVE-2024-1000: ids compare with their numbers as numbers. */
export const cmp = new Intl.Collator('en', { numeric: true }).compare;
