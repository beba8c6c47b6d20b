/*
 * What matching an event against eventConfig needs beyond the event itself (event-config.ts MatchContext), read in
 * the transaction that records the event.
 */
import type { Db } from '../core/db/database.js';
import type { Severity } from '../scans/parsers/report-types.js';
import { currentSummaries } from '../trend/exposure-queries.js';

const CHUNK = 500;

/** Per digest, the names of the environments it runs in now (vulnerability_found `environments`). */
export async function environmentNamesRunning(trx: Db, workspaceId: string, digests: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await trx.selectFrom('deployments as d').innerJoin('environments as e', 'e.id', 'd.environment_id')
      .select(['d.digest', 'e.name']).distinct()
      .where('d.workspace_id', '=', workspaceId).where('d.undeployed_at', 'is', null)
      .where('d.digest', 'in', unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.digest, [...(out.get(r.digest) ?? []), r.name]);
  }
  return out;
}

/** The open, unsuppressed vulnerabilities of a digest by severity (its current scan's summary); undefined unscanned. */
export async function openVulnerabilitiesOf(trx: Db, workspaceId: string, digest: string): Promise<Record<Severity, number> | undefined> {
  return (await currentSummaries(trx, workspaceId, [digest])).get(digest)?.by_severity;
}
