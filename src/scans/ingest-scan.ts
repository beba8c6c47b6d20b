/*
 * Recording a scan report (ingest.md "Scan reports"): the scan and its findings become the digest's current state,
 * new and resolved findings are told apart from the previous current scan in memory, every new one is a
 * `vulnerability_found` event on each repository holding the digest (written where a notification listens), and the
 * security-debt trend moves — all in one transaction, so a failure stores nothing.
 */
import type { Db, Storage } from '../core/db/database.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { recordAudit } from '../audit/audit-queries.js';
import { ensureImage, ensureRepository } from '../registry/repository-queries.js';
import { environmentsRunning } from '../trend/exposure-queries.js';
import { recordTrendPoints } from '../trend/trend-points.js';
import { decisionsForRepositories } from '../triage/triage-queries.js';
import { suppressionOf } from '../triage/suppression.js';
import type { ParsedFinding, ParsedReport, Severity } from './parsers/report-types.js';
import { DescriptionWrites } from './description-store.js';
import { summarise, zeroCounts, type ScanSummary } from './scan-summary.js';
import {
  findCurrentScan, findingKeysOfScan, insertCurrentScan, insertFindings, lockDigest, repositoriesHolding,
  type FindingKeyRow, type FindingRow, type NewFindingRow,
} from './scan-queries.js';
import { holdersListening, recordVulnerabilityEvents, tagContext } from './vulnerability-events.js';

export type Writer = Pick<Storage, 'transact' | 'engine'>;

export interface ScanInput {
  workspaceId: string;
  tokenId: string | null;
  image: { repository: string; digest: string };
  warnings: string[];
  report: ParsedReport;
  /** Each finding's descriptionHash, when the parse worker computed them (report-preparation.ts). */
  descriptionHashes?: ReadonlyArray<string | null>;
}

export interface ScanOutcome {
  scanId: string;
  image: { repository: string; digest: string };
  format: string;
  scanner: { name: string; version: string | null };
  findings: number;
  /** Distinct findings (vulnerability, package, installed version, location) not in the digest's previous scan. */
  new: number;
  /** Distinct findings of the previous scan this one no longer has. */
  resolved: number;
  /** Every finding of the report by severity, whatever its triage. */
  bySeverity: Record<Severity, number>;
  summary: ScanSummary;
  events: number;
  warnings: string[];
}

/** What tells two findings of one digest apart across scans (the scanner's location keeps one package at two paths apart). */
export const findingKey = (f: Pick<FindingKeyRow, 'vulnerability_id' | 'package' | 'installed_version' | 'location'>) =>
  `${f.vulnerability_id}\u0000${f.package}\u0000${f.installed_version ?? ''}\u0000${f.location ?? ''}`;

export async function ingestScan(writer: Writer, input: ScanInput): Promise<ScanOutcome> {
  // Everything that needs no database is done before the transaction: on SQLite, transactions arriving together
  // share one commit (group-commit.ts), and time spent inside delays all of them.
  const at = nowIso();
  const scanId = newId();
  const { workspaceId, image, report } = input;
  const { format, scanner } = report;
  const descriptions = new DescriptionWrites(writer);
  const rows = findingRows(scanId, workspaceId, image.digest, report.findings, descriptions, input.descriptionHashes);
  const bySeverity = zeroCounts();
  for (const f of report.findings) bySeverity[f.severity]++;
  const keys = new Map<string, FindingRow>();
  for (const r of rows) {
    const key = findingKey(r);
    if (!keys.has(key)) keys.set(key, r);
  }

  const outcome = await writer.transact(async (trx): Promise<ScanOutcome> => {
    await lockDigest(trx, writer.engine, workspaceId, image.digest);
    const repositoryId = await ensureRepository(trx, workspaceId, image.repository, at);
    await ensureImage(trx, { workspaceId, repositoryId, digest: image.digest, at });
    const previous = await findCurrentScan(trx, workspaceId, image.digest);
    const before = new Set((previous ? await findingKeysOfScan(trx, previous.id) : []).map(findingKey));
    const found = [...keys].filter(([k]) => !before.has(k)).map(([, r]) => r);
    let resolved = 0;
    for (const k of before) if (!keys.has(k)) resolved++;

    const holders = (await repositoriesHolding(trx, workspaceId, [image.digest])).get(image.digest) ?? [];
    const summary = await summaryOf(trx, workspaceId, holders.map((h) => h.id), rows);
    await insertCurrentScan(trx, {
      id: scanId,
      workspace_id: workspaceId,
      digest: image.digest,
      format,
      scanner_name: scanner.name,
      scanner_version: scanner.version,
      findings_count: rows.length,
      is_current: 1,
      summary: JSON.stringify(summary),
      warnings: input.warnings.length > 0 ? JSON.stringify(input.warnings) : null,
      created_at: at,
    }, previous?.id ?? null);
    await descriptions.write(trx, writer.engine);
    await insertFindings(trx, writer.engine, rows);

    let events = 0;
    const listening = found.length > 0 ? await holdersListening(trx, holders) : [];
    if (listening.length > 0) {
      const context = await tagContext(trx, workspaceId, image.digest, previous === undefined);
      events = await recordVulnerabilityEvents(trx, writer.engine, workspaceId, image.digest, listening, found, at, context);
    }
    // Only environments where the digest runs change; a digest running nowhere moves no series (trend-points.ts).
    const environments = await environmentsRunning(trx, workspaceId, [image.digest]);
    if (environments.length > 0) await recordTrendPoints(trx, workspaceId, environments, at);
    await recordAudit(trx, {
      workspaceId,
      tokenId: input.tokenId,
      action: 'scan.record',
      target: `${image.repository}@${image.digest}`,
      detail: { scan_id: scanId, format, findings: rows.length, new: found.length, resolved },
    });
    return {
      scanId, image, format, scanner, findings: rows.length, new: found.length, resolved,
      bySeverity, summary, events, warnings: input.warnings,
    };
  });
  descriptions.committed();
  return outcome;
}

/** A report's findings as rows of one scan; each description goes to `descriptions` and the row names it. */
export function findingRows(
  scanId: string, workspaceId: string, digest: string, findings: readonly ParsedFinding[], descriptions: DescriptionWrites,
  hashes?: ReadonlyArray<string | null>,
): NewFindingRow[] {
  return findings.map((f, i) => ({
    scan_id: scanId,
    workspace_id: workspaceId,
    digest,
    vulnerability_id: f.vulnerabilityId,
    package: f.package,
    installed_version: f.installedVersion,
    location: f.location,
    fixed_version: f.fixedVersion,
    fix_state: f.fixState,
    severity: f.severity,
    cvss: cvssScore(f.cvss),
    link: f.link,
    description: null,
    description_hash: descriptions.add(f.description, hashes?.[i]),
  }));
}

/**
 * A CVSS base score is 0.0–10.0; anything else a report claims is no score. The column is PostgreSQL `real`, which
 * cannot hold 1e308 (a 500 that stored nothing).
 */
function cvssScore(score: number | null): number | null {
  return score !== null && Number.isFinite(score) && score >= 0 && score <= 10 ? score : null;
}

/** The scan's open counts, honouring the triage decisions that hold for every repository holding the digest. */
async function summaryOf(trx: Db, workspaceId: string, repositoryIds: string[], rows: FindingRow[]): Promise<ScanSummary> {
  const suppression = suppressionOf(await decisionsForRepositories(trx, workspaceId, repositoryIds));
  if (suppression.size === 0) return summarise(rows, () => false);
  return summarise(rows, (f) => suppression.isSuppressedInAll(repositoryIds, f));
}
