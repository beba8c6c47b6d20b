import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { FindingTable, ScanTable } from '../core/db/schema.js';
import { decisionsForRepositories, type DecisionRow } from '../triage/triage-queries.js';
import { isSuppressingState, suppressionOf } from '../triage/suppression.js';
import { severities, type FixState, type Severity } from './parsers/report-types.js';
import { parseSummary, type ScanSummary } from './scan-summary.js';
import { repositoriesHolding } from './scan-queries.js';
import { descriptionText } from './description-store.js';

export interface FindingsQuery {
  severity?: Severity;
  fixState?: FixState;
  limit: number;
  offset: number;
  /**
   * Whose triage applies: that repository's decisions and the workspace-wide ones. Omitted: every repository holding
   * the digest, a finding counting as suppressed only when all of them suppress it (as in the scan's summary).
   */
  repositoryId?: string;
}

export interface FindingWithTriage extends Omit<FindingTable, 'id' | 'scan_id' | 'workspace_id' | 'digest' | 'description_hash'> {
  id: number;
  /** The decision that holds for the finding (the most specific scope), if any. */
  triage: Pick<DecisionRow, 'id' | 'state' | 'justification' | 'detail' | 'repository_id' | 'package' | 'created_at'> | null;
  /** A suppressed finding stays listed but leaves the counts (concepts.md "Triage"). */
  suppressed: boolean;
}

export interface DigestFindings {
  scan: (Omit<ScanTable, 'summary' | 'warnings' | 'vulnerabilities_indexed'> & { summary: ScanSummary; warnings: string[] }) | null;
  /** Findings matching the filters, before limit/offset. */
  total: number;
  findings: FindingWithTriage[];
}

// Most severe first, as Quay lists them; then by id and package for a stable page order.
const severityRank = sql<number>`case ${sql.ref('severity')} ${sql.join(
  severities.map((s, i) => sql`when ${sql.lit(s)} then ${sql.lit(i)}`), sql` `,
)} else ${sql.lit(severities.length)} end`;

/** The current scan of a digest and a page of its findings, each with the triage decision that holds for it. */
export async function findingsOfDigest(db: Db, workspaceId: string, digest: string, query: FindingsQuery): Promise<DigestFindings> {
  const scan = await db.selectFrom('scans').selectAll()
    .where('workspace_id', '=', workspaceId).where('digest', '=', digest).where('is_current', '=', 1).executeTakeFirst();
  if (!scan) return { scan: null, total: 0, findings: [] };
  let q = db.selectFrom('findings').where('scan_id', '=', scan.id);
  if (query.severity !== undefined) q = q.where('severity', '=', query.severity);
  if (query.fixState !== undefined) q = q.where('fix_state', '=', query.fixState);
  const counted = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  const rows = await q.leftJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
    .select(['id', 'vulnerability_id', 'package', 'installed_version', 'location', 'fixed_version', 'fix_state', 'severity', 'cvss', 'link', descriptionText('findings')])
    .orderBy(severityRank).orderBy('vulnerability_id').orderBy('package').orderBy('id')
    .limit(query.limit).offset(query.offset).execute();

  const repositoryIds = query.repositoryId !== undefined ? [query.repositoryId]
    : ((await repositoriesHolding(db, workspaceId, [digest])).get(digest) ?? []).map((r) => r.id);
  const suppression = suppressionOf(await decisionsForRepositories(db, workspaceId, repositoryIds));
  const findings = rows.map((f): FindingWithTriage => {
    // With several holders, show the first one's decision (names sorted); `suppressed` asks all of them.
    const decision = suppression.decisionFor(repositoryIds[0] ?? null, f);
    return {
      ...f,
      triage: decision ? {
        id: decision.id, state: decision.state, justification: decision.justification, detail: decision.detail,
        repository_id: decision.repository_id, package: decision.package, created_at: decision.created_at,
      } : null,
      suppressed: decision !== undefined && isSuppressingState(decision.state)
        && suppression.isSuppressedInAll(repositoryIds, f),
    };
  });
  const { summary, warnings, vulnerabilities_indexed: _indexed, ...rest } = scan;
  return {
    scan: { ...rest, summary: parseSummary(summary), warnings: warnings === null ? [] : (JSON.parse(warnings) as string[]) },
    total: Number(counted.n),
    findings,
  };
}
