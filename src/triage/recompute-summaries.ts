import type { Db } from '../core/db/database.js';
import { summarise } from '../scans/scan-summary.js';
import { currentScansWith, findingKeysOfScan, repositoriesHolding, updateSummary } from '../scans/scan-queries.js';
import { environmentsRunning } from '../trend/exposure-queries.js';
import { recordTrendPoints } from '../trend/trend-points.js';
import { decisionsForRepositories } from './triage-queries.js';
import { suppressionOf } from './suppression.js';

/**
 * After a triage change (ingest.md: "every change recomputes the counts it touches and writes a trend point, like a
 * scan"): the summary of every current scan holding one of the vulnerabilities, then the trend of the environments
 * running those digests. Call it in the transaction of the change.
 */
export async function recomputeSummaries(trx: Db, workspaceId: string, vulnerabilityIds: readonly string[], at: string): Promise<{ scans: number }> {
  const scans = await currentScansWith(trx, workspaceId, vulnerabilityIds);
  if (scans.length === 0) return { scans: 0 };
  const digests = scans.map((s) => s.digest);
  const holders = await repositoriesHolding(trx, workspaceId, digests);
  const repositoryIds = [...holders.values()].flatMap((list) => list.map((h) => h.id));
  const suppression = suppressionOf(await decisionsForRepositories(trx, workspaceId, repositoryIds));
  let changed = 0;
  for (const scan of scans) {
    const ids = (holders.get(scan.digest) ?? []).map((h) => h.id);
    const summary = summarise(await findingKeysOfScan(trx, scan.id), (f) => suppression.isSuppressedInAll(ids, f));
    await updateSummary(trx, scan.id, summary);
    changed++;
  }
  const environments = await environmentsRunning(trx, workspaceId, digests);
  if (environments.length > 0) await recordTrendPoints(trx, workspaceId, environments, at);
  return { scans: changed };
}
