import type { Db } from '../core/db/database.js';
import { descriptionText } from './description-store.js';
import type { FindingFields } from './vulnerability-events.js';

/**
 * The findings `vulnerability_found` events name, for the payloads rendered at delivery time: an event row keeps
 * only what identifies its finding (scans/vulnerability-events.ts), and its description, link, priority, fix and
 * digest are read back here, one query for a batch of deliveries.
 */
export interface FindingRef {
  scanId: string;
  vulnerabilityId: string;
  package: string;
  installedVersion: string | null;
  /** Only when the event names it: the same package at several locations of one scan. */
  location?: string | null;
}

export interface RefFinding extends FindingFields {
  digest: string;
  description: string | null;
}

/** The ref's key; with `location`, one that also tells locations apart. */
export const findingRefKey = (f: FindingRef, location?: string | null) =>
  `${f.scanId}\u0000${f.vulnerabilityId}\u0000${f.package}\u0000${f.installedVersion ?? ''}${location === undefined ? '' : `\u0000${location ?? ''}`}`;

const CHUNK = 400;

/** The finding each ref names, by findingRefKey(ref, ref.location); refs whose finding is gone are left out. */
export async function findingsOfRefs(db: Db, refs: readonly FindingRef[]): Promise<Map<string, RefFinding>> {
  const out = new Map<string, RefFinding>();
  const scanIds = [...new Set(refs.map((r) => r.scanId))];
  for (let i = 0; i < scanIds.length; i += CHUNK) {
    const scans = scanIds.slice(i, i + CHUNK);
    const ids = [...new Set(refs.filter((r) => scans.includes(r.scanId)).map((r) => r.vulnerabilityId))];
    for (let j = 0; j < ids.length; j += CHUNK) {
      const rows = await db.selectFrom('findings')
        .innerJoin('scans', 'scans.id', 'findings.scan_id')
        .leftJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
        .select([
          'findings.scan_id', 'findings.vulnerability_id', 'findings.package', 'findings.installed_version', 'findings.location',
          'findings.severity', 'findings.fix_state', 'findings.fixed_version', 'findings.link', 'scans.digest', descriptionText('findings'),
        ])
        .where('findings.scan_id', 'in', scans).where('findings.vulnerability_id', 'in', ids.slice(j, j + CHUNK))
        .orderBy('findings.id')
        .execute();
      for (const r of rows) {
        const ref = { scanId: r.scan_id, vulnerabilityId: r.vulnerability_id, package: r.package, installedVersion: r.installed_version };
        const finding: RefFinding = {
          digest: r.digest, description: r.description, link: r.link, severity: r.severity, fix_state: r.fix_state, fixed_version: r.fixed_version,
        };
        // The first finding of a (vulnerability, package, version) answers a ref without location, as ingest
        // stores one only where findings differ by it.
        for (const key of [findingRefKey(ref), findingRefKey(ref, r.location)]) if (!out.has(key)) out.set(key, finding);
      }
    }
  }
  return out;
}
