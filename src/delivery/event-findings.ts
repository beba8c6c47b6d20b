import type { Db } from '../core/db/database.js';
import { findingRefKey, findingsOfRefs, type FindingRef, type RefFinding } from '../scans/finding-refs.js';
import { findingFields } from '../scans/vulnerability-events.js';
import { isObject, str, type JsonObject } from '../notifications/json-values.js';

/**
 * Puts back into each `vulnerability_found` event's data what its row leaves to the finding it names (notifications.md:
 * `vulnerability{id, description, link, priority, has_fix}`, `fixed_version`, `digest`; scans/vulnerability-events.ts
 * says why they are not stored). One query for the whole batch. Fields the data has are kept: sample events and rows
 * written before (which held all but the description) come out as they were stored.
 */
export async function withFindingFields<W extends { event_kind: string; event_data: string }>(db: Db, works: W[]): Promise<W[]> {
  const pending: Array<{ work: W; data: JsonObject; ref: FindingRef }> = [];
  for (const work of works) {
    if (work.event_kind !== 'vulnerability_found') continue;
    let data: unknown;
    try {
      data = JSON.parse(work.event_data);
    } catch {
      continue; // rendering refuses it with its own message
    }
    const ref = isObject(data) ? refOf(data) : undefined;
    if (ref) pending.push({ work, data: data as JsonObject, ref });
  }
  if (pending.length === 0) return works;
  const findings = await findingsOfRefs(db, pending.map((p) => p.ref));
  for (const { work, data, ref } of pending) {
    const finding = findings.get(findingRefKey(ref, ref.location));
    if (finding !== undefined) work.event_data = JSON.stringify(withFinding(data, finding));
  }
  return works;
}

function refOf(data: JsonObject): FindingRef | undefined {
  const v = data.vulnerability;
  if (!isObject(v) || typeof v.id !== 'string' || typeof data.scan_id !== 'string' || typeof data.package !== 'string') return undefined;
  return {
    scanId: data.scan_id,
    vulnerabilityId: v.id,
    package: data.package,
    installedVersion: str(data.installed_version) ?? null,
    ...(typeof data.location === 'string' ? { location: data.location } : {}),
  };
}

/**
 * The data with the finding's fields where it has none, the vulnerability's keys in the seed's order (id, description,
 * link, priority, has_fix).
 */
export function withFinding(data: JsonObject, finding: RefFinding): JsonObject {
  const { vulnerability: fields, fixed_version, level } = findingFields(finding);
  const { id, ...stored } = data.vulnerability as JsonObject;
  const description = finding.description !== null ? { description: finding.description } : {};
  return {
    ...data,
    digest: data.digest ?? finding.digest,
    vulnerability: { id, ...description, ...fields, ...stored },
    ...(data.fixed_version === undefined && fixed_version !== undefined ? { fixed_version } : {}),
    level: data.level ?? level,
  };
}
