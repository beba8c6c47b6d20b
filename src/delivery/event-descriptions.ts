import type { Db } from '../core/db/database.js';
import { findingDescriptions, findingRefKey, type FindingRef } from '../scans/finding-descriptions.js';

interface StoredVulnerabilityFound {
  scan_id?: unknown;
  package?: unknown;
  installed_version?: unknown;
  vulnerability?: { id?: unknown; description?: unknown };
}

/**
 * Puts each `vulnerability_found` event's description back into its data (notifications.md: `vulnerability{id,
 * description, …}`), read from the finding the event names (scans/finding-descriptions.ts says why it is not
 * stored in the event). One query for the whole batch; data that already has one (sample events) is left as it is.
 */
export async function withEventDescriptions<W extends { event_kind: string; event_data: string }>(db: Db, works: W[]): Promise<W[]> {
  const pending: Array<{ work: W; data: StoredVulnerabilityFound; ref: FindingRef }> = [];
  for (const work of works) {
    if (work.event_kind !== 'vulnerability_found') continue;
    let data: StoredVulnerabilityFound;
    try {
      data = JSON.parse(work.event_data) as StoredVulnerabilityFound;
    } catch {
      continue; // rendering refuses it with its own message
    }
    const v = data.vulnerability;
    if (typeof v !== 'object' || v === null || v.description !== undefined) continue;
    if (typeof data.scan_id !== 'string' || typeof v.id !== 'string' || typeof data.package !== 'string') continue;
    const installedVersion = typeof data.installed_version === 'string' ? data.installed_version : null;
    pending.push({ work, data, ref: { scanId: data.scan_id, vulnerabilityId: v.id, package: data.package, installedVersion } });
  }
  if (pending.length === 0) return works;
  const descriptions = await findingDescriptions(db, pending.map((p) => p.ref));
  for (const { work, data, ref } of pending) {
    const description = descriptions.get(findingRefKey(ref));
    if (description !== undefined) work.event_data = JSON.stringify(withDescription(data, description));
  }
  return works;
}

/** The stored data with the description in its place (the seed's order: id, description, link, priority, has_fix). */
export function withDescription<D extends { vulnerability?: unknown }>(data: D, description: string): D {
  const { id, ...rest } = data.vulnerability as Record<string, unknown>;
  return { ...data, vulnerability: { id, description, ...rest } };
}
