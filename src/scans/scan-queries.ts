import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import { scansHoldingAny } from './vulnerability-index.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import type { FindingTable, ScanTable } from '../core/db/schema.js';
import type { ScanSummary } from './scan-summary.js';
import { insertRows } from '../core/db/multi-row-insert.js';

/** A scan as written and read by ingest (the indexing flag is the vulnerability indexer's). */
export type ScanRow = Omit<ScanTable, 'vulnerabilities_indexed'>;
export type FindingRow = Omit<FindingTable, 'id'>;
/** What new/resolved and the summary need of a stored finding. */
export type FindingKeyRow = Pick<FindingTable, 'vulnerability_id' | 'package' | 'installed_version' | 'location' | 'severity' | 'fix_state'>;

const CHUNK = 500;

/** Serialises scans of one digest on PostgreSQL, so two at once cannot both become current. */
export async function lockDigest(trx: Db, engine: EngineCapabilities, workspaceId: string, digest: string): Promise<void> {
  if (!engine.advisoryLocks) return;
  await sql`select pg_advisory_xact_lock(hashtext(${`scan/${workspaceId}/${digest}`}))`.execute(trx);
}

export async function findCurrentScan(db: Db, workspaceId: string, digest: string): Promise<ScanRow | undefined> {
  return db.selectFrom('scans').selectAll()
    .where('workspace_id', '=', workspaceId).where('digest', '=', digest).where('is_current', '=', 1).executeTakeFirst();
}

/** Makes `scan` the digest's current state; the one it replaces becomes history. */
export async function insertCurrentScan(trx: Db, scan: ScanRow, previousId: string | null): Promise<void> {
  if (previousId !== null) await trx.updateTable('scans').set({ is_current: 0 }).where('id', '=', previousId).execute();
  await trx.insertInto('scans').values(scan).execute();
}

// No `description`: rows are written by ingest's findingRows, which names the text in description_hash (migration
// 004); the column only holds the texts of rows written before, and stays null (its default) in new ones.
const findingColumns = [
  'scan_id', 'workspace_id', 'digest', 'vulnerability_id', 'package', 'installed_version', 'location', 'fixed_version',
  'fix_state', 'severity', 'cvss', 'link', 'description_hash',
] as const satisfies ReadonlyArray<keyof FindingRow>;

/** A finding as ingest writes it: the description named by hash, never in the row. */
export type NewFindingRow = FindingRow & { description: null };

export async function insertFindings(trx: Db, engine: EngineCapabilities, rows: readonly NewFindingRow[]): Promise<void> {
  await insertRows(trx, engine, 'findings', findingColumns, rows, { oftenSame: ['scan_id', 'workspace_id', 'digest'] });
}

export async function findingKeysOfScan(db: Db, scanId: string): Promise<FindingKeyRow[]> {
  return db.selectFrom('findings')
    .select(['vulnerability_id', 'package', 'installed_version', 'location', 'severity', 'fix_state'])
    .where('scan_id', '=', scanId).execute();
}

export async function updateSummary(trx: Db, scanId: string, summary: ScanSummary): Promise<void> {
  await trx.updateTable('scans').set({ summary: JSON.stringify(summary) }).where('id', '=', scanId).execute();
}

/** Current scans that hold any of the vulnerabilities (whose summaries a triage change of them touches). */
export async function currentScansWith(db: Db, workspaceId: string, vulnerabilityIds: readonly string[]): Promise<Array<{ id: string; digest: string }>> {
  const out = new Map<string, { id: string; digest: string }>();
  const unique = [...new Set(vulnerabilityIds)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const ids = unique.slice(i, i + CHUNK);
    const rows = await db.selectFrom('findings').innerJoin('scans', 'scans.id', 'findings.scan_id')
      .select(['scans.id', 'scans.digest']).distinct()
      .where('findings.scan_id', 'in', (eb) => scansHoldingAny(eb, workspaceId, ids))
      .where('findings.vulnerability_id', 'in', ids)
      .where('scans.is_current', '=', 1).execute();
    for (const r of rows) out.set(r.id, r);
  }
  return [...out.values()];
}

/** Repositories (id and name) holding each digest: images rows of the workspace. */
export async function repositoriesHolding(db: Db, workspaceId: string, digests: readonly string[]): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const out = new Map<string, Array<{ id: string; name: string }>>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom('images').innerJoin('repositories', 'repositories.id', 'images.repository_id')
      .select(['images.digest', 'repositories.id', 'repositories.name'])
      .where('images.workspace_id', '=', workspaceId).where('images.digest', 'in', unique.slice(i, i + CHUNK))
      .orderBy('repositories.name').execute();
    for (const r of rows) {
      const list = out.get(r.digest) ?? [];
      list.push({ id: r.id, name: r.name });
      out.set(r.digest, list);
    }
  }
  return out;
}

/** Tags of the workspace pointing at the digest now, with their repository. */
export async function tagsOfDigest(db: Db, workspaceId: string, digest: string): Promise<Array<{ id: string; repository_id: string; name: string }>> {
  return db.selectFrom('tags').select(['id', 'repository_id', 'name'])
    .where('workspace_id', '=', workspaceId).where('digest', '=', digest).orderBy('name').execute();
}

/** The history of some tags, oldest first within each tag. */
export async function tagHistoryOf(db: Db, tagIds: readonly string[]): Promise<Array<{ tag_id: string; digest: string | null }>> {
  const out: Array<{ tag_id: string; digest: string | null }> = [];
  for (let i = 0; i < tagIds.length; i += CHUNK) {
    out.push(...await db.selectFrom('tag_history').select(['tag_id', 'digest'])
      .where('tag_id', 'in', tagIds.slice(i, i + CHUNK)).orderBy('at').orderBy('id').execute());
  }
  return out;
}

/** (vulnerability, package) pairs in the current scans of some digests, by digest. */
export async function currentVulnerablePackages(db: Db, workspaceId: string, digests: readonly string[]): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom('scans').innerJoin('findings', 'findings.scan_id', 'scans.id')
      .select(['scans.digest', 'findings.vulnerability_id', 'findings.package'])
      .where('scans.workspace_id', '=', workspaceId).where('scans.is_current', '=', 1)
      .where('scans.digest', 'in', unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) {
      const set = out.get(r.digest) ?? new Set<string>();
      set.add(vulnerablePackageKey(r.vulnerability_id, r.package));
      out.set(r.digest, set);
    }
  }
  return out;
}

export const vulnerablePackageKey = (vulnerabilityId: string, pkg: string) => `${vulnerabilityId}\u0000${pkg}`;

/**
 * Where the current scans found some vulnerabilities (a repository's digests, or the whole workspace's with null):
 * the package, its location (for CycloneDX reports the component's bom-ref, often a purl) and the report's format.
 */
export async function currentFindingLocations(
  db: Db, workspaceId: string, repositoryId: string | null, vulnerabilityIds: readonly string[],
): Promise<Array<{ vulnerability_id: string; package: string; location: string | null; format: string }>> {
  const out: Array<{ vulnerability_id: string; package: string; location: string | null; format: string }> = [];
  const unique = [...new Set(vulnerabilityIds)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const ids = unique.slice(i, i + CHUNK);
    let q = db.selectFrom('findings').innerJoin('scans', 'scans.id', 'findings.scan_id')
      .select(['findings.vulnerability_id', 'findings.package', 'findings.location', 'scans.format']).distinct()
      .where('findings.scan_id', 'in', (eb) => scansHoldingAny(eb, workspaceId, ids))
      .where('findings.vulnerability_id', 'in', ids)
      .where('scans.is_current', '=', 1);
    if (repositoryId !== null) {
      q = q.where('scans.digest', 'in', (eb) => eb.selectFrom('images').select('images.digest')
        .where('images.repository_id', '=', repositoryId));
    }
    out.push(...await q.execute());
  }
  return out;
}
