import type { Db } from '../core/db/database.js';
import { parseSummary, type ScanSummary } from '../scans/scan-summary.js';
import { combineSummaries, type Exposure } from './exposure.js';

const CHUNK = 500;

/** The current scan summary of each digest that has one. */
export async function currentSummaries(db: Db, workspaceId: string, digests: string[]): Promise<Map<string, ScanSummary>> {
  const out = new Map<string, ScanSummary>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom('scans').select(['digest', 'summary'])
      .where('workspace_id', '=', workspaceId).where('is_current', '=', 1)
      .where('digest', 'in', unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.digest, parseSummary(r.summary));
  }
  return out;
}

/** Digests running now in one environment, or in the whole workspace when environmentId is null. */
export async function runningDigests(db: Db, workspaceId: string, environmentId: string | null): Promise<string[]> {
  let q = db.selectFrom('deployments').select('digest').distinct()
    .where('workspace_id', '=', workspaceId).where('undeployed_at', 'is', null);
  if (environmentId !== null) q = q.where('environment_id', '=', environmentId);
  return (await q.execute()).map((r) => r.digest);
}

export async function exposureOf(db: Db, workspaceId: string, environmentId: string | null): Promise<Exposure> {
  const digests = await runningDigests(db, workspaceId, environmentId);
  return combineSummaries(digests, await currentSummaries(db, workspaceId, digests));
}

/** Environments where any of the digests runs now (whose numbers a scan or triage of those digests changes). */
export async function environmentsRunning(db: Db, workspaceId: string, digests: string[]): Promise<string[]> {
  const out = new Set<string>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom('deployments').select('environment_id').distinct()
      .where('workspace_id', '=', workspaceId).where('undeployed_at', 'is', null)
      .where('digest', 'in', unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.add(r.environment_id);
  }
  return [...out];
}

/** Which of the digests have a current scan. */
export async function scannedDigests(db: Db, workspaceId: string, digests: string[]): Promise<Set<string>> {
  return new Set((await currentSummaries(db, workspaceId, digests)).keys());
}
