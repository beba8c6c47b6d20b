import type { Db } from '../core/db/database.js';
import { parseSummary, type ScanSummary } from '../scans/scan-summary.js';

export interface CurrentScan {
  id: string;
  digest: string;
  format: string;
  scanner_name: string | null;
  scanner_version: string | null;
  findings_count: number;
  created_at: string;
  summary: ScanSummary;
}

const CHUNK = 500;

/**
 * The current scan of each digest that has one, with its stored summary (never its findings rows: views add up
 * summaries). Digests without a scan are absent from the map.
 */
export async function currentScansOf(db: Db, workspaceId: string, digests: readonly string[]): Promise<Map<string, CurrentScan>> {
  const out = new Map<string, CurrentScan>();
  const unique = [...new Set(digests)];
  for (let i = 0; i < unique.length; i += CHUNK) {
    const rows = await db.selectFrom('scans')
      .select(['id', 'digest', 'format', 'scanner_name', 'scanner_version', 'findings_count', 'created_at', 'summary'])
      .where('workspace_id', '=', workspaceId).where('is_current', '=', 1)
      .where('digest', 'in', unique.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.digest, { ...r, findings_count: Number(r.findings_count), summary: cachedSummary(r.id, r.summary) });
  }
  return out;
}

/*
 * A summary is re-read on every view of an environment, and parsing hundreds of them (each lists its vulnerability
 * ids) was most of such a request. The parsed object is kept per scan and reused while the stored text is the same;
 * triage rewrites the text, which is then parsed anew.
 */
const parsed = new Map<string, { text: string; summary: ScanSummary }>();
const PARSED_MAX = 20_000;

function cachedSummary(scanId: string, text: string): ScanSummary {
  const hit = parsed.get(scanId);
  if (hit && hit.text === text) return hit.summary;
  const summary = parseSummary(text);
  if (parsed.size >= PARSED_MAX) parsed.delete(parsed.keys().next().value!);
  parsed.set(scanId, { text, summary });
  return summary;
}
