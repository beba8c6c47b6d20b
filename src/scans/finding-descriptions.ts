import type { Db } from '../core/db/database.js';
import { descriptionText } from './description-store.js';

/**
 * The descriptions of findings, for the `vulnerability_found` payloads rendered at delivery time. The event rows
 * leave the description out: it is the largest field of a finding (a Trivy description is ~500 bytes) and a first
 * scan writes hundreds of events, so storing it twice was a third of the bytes a scan wrote.
 */
export interface FindingRef {
  scanId: string;
  vulnerabilityId: string;
  package: string;
  installedVersion: string | null;
}

export const findingRefKey = (f: FindingRef) =>
  `${f.scanId}\u0000${f.vulnerabilityId}\u0000${f.package}\u0000${f.installedVersion ?? ''}`;

const CHUNK = 400;

/** Description by findingRefKey, for the refs whose finding has one. */
export async function findingDescriptions(db: Db, refs: readonly FindingRef[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const wanted = new Set(refs.map(findingRefKey));
  const scanIds = [...new Set(refs.map((r) => r.scanId))];
  for (let i = 0; i < scanIds.length; i += CHUNK) {
    const scans = scanIds.slice(i, i + CHUNK);
    const ids = [...new Set(refs.filter((r) => scans.includes(r.scanId)).map((r) => r.vulnerabilityId))];
    for (let j = 0; j < ids.length; j += CHUNK) {
      const rows = await db.selectFrom('findings').leftJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
        .select(['scan_id', 'vulnerability_id', 'package', 'installed_version', descriptionText('findings')])
        .where('scan_id', 'in', scans).where('vulnerability_id', 'in', ids.slice(j, j + CHUNK))
        .execute();
      for (const r of rows) {
        const key = findingRefKey({ scanId: r.scan_id, vulnerabilityId: r.vulnerability_id, package: r.package, installedVersion: r.installed_version });
        if (r.description !== null && wanted.has(key) && !out.has(key)) out.set(key, r.description);
      }
    }
  }
  return out;
}
