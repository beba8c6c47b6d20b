import type { Db } from '../core/db/database.js';
import { severities } from '../scans/parsers/report-types.js';
import { severityRank } from '../images/image-findings.js';

/*
 * The (vulnerability, package) keys of a scan, compactly, for comparing sets of images. A scan's findings never change
 * once stored (a newer scan replaces the scan, and triage is applied at read time), so a scan's keys are read from the
 * database once and kept: comparing two environments of hundreds of digests then reads no findings rows at all.
 * Strings are interned into one table per database, so a key is two integers.
 */

export interface ScanKeys {
  /** Dense id of the (vulnerability, package) pair: an index into Interned.pairVulnerability / pairPackage. */
  pair: Int32Array;
  vulnerability: Int32Array;
  package: Int32Array;
  /** Index into severities (Critical = 0 … Unknown = 5): the highest the scan gives the key. */
  severity: Uint8Array;
  /** 1 when any finding of the key has a fix. */
  fixable: Uint8Array;
  /** Interned fixed version, -1 for none. */
  fixedVersion: Int32Array;
}

export interface Interned {
  strings: string[];
  ids: Map<string, number>;
  /** Pair id → interned vulnerability id and package. */
  pairVulnerability: number[];
  pairPackage: number[];
  pairIds: Map<number, number>;
}

interface Cache {
  interned: Interned;
  scans: Map<string, ScanKeys>;
}

/** Enough for every current scan of a large workspace; the oldest read are dropped first beyond it. */
const MAX_SCANS = 20_000;
const CHUNK = 200;
const caches = new WeakMap<Db, Cache>();

function cacheOf(db: Db): Cache {
  let cache = caches.get(db);
  if (!cache) {
    cache = { interned: { strings: [], ids: new Map(), pairVulnerability: [], pairPackage: [], pairIds: new Map() }, scans: new Map() };
    caches.set(db, cache);
  }
  return cache;
}

/** Room for 2^24 distinct packages per vulnerability index, within safe integers. */
function internPair(table: Interned, vulnerability: number, pkg: number): number {
  const key = vulnerability * 16_777_216 + pkg;
  let id = table.pairIds.get(key);
  if (id === undefined) {
    id = table.pairVulnerability.length;
    table.pairVulnerability.push(vulnerability);
    table.pairPackage.push(pkg);
    table.pairIds.set(key, id);
  }
  return id;
}

export function intern(table: Interned, s: string): number {
  let id = table.ids.get(s);
  if (id === undefined) {
    id = table.strings.length;
    table.strings.push(s);
    table.ids.set(s, id);
  }
  return id;
}

/** The keys of each scan, read from findings only for scans not seen before. */
export async function scanKeys(db: Db, scanIds: readonly string[]): Promise<{ keys: Map<string, ScanKeys>; interned: Interned }> {
  const cache = cacheOf(db);
  const keys = new Map<string, ScanKeys>();
  const missing: string[] = [];
  for (const id of new Set(scanIds)) {
    const hit = cache.scans.get(id);
    if (hit) keys.set(id, hit);
    else missing.push(id);
  }
  for (let i = 0; i < missing.length; i += CHUNK) {
    const chunk = missing.slice(i, i + CHUNK);
    const rows = await db.selectFrom('findings')
      .select(['scan_id', 'vulnerability_id', 'package', 'severity', 'fix_state', 'fixed_version'])
      .where('scan_id', 'in', chunk).execute();
    const grouped = new Map<string, typeof rows>(chunk.map((id) => [id, []]));
    for (const r of rows) grouped.get(r.scan_id)!.push(r);
    for (const [id, list] of grouped) {
      const compact = compactKeys(cache.interned, list);
      if (cache.scans.size >= MAX_SCANS) cache.scans.delete(cache.scans.keys().next().value!);
      cache.scans.set(id, compact);
      keys.set(id, compact);
    }
  }
  return { keys, interned: cache.interned };
}

function compactKeys(
  table: Interned,
  rows: Array<{ vulnerability_id: string; package: string; severity: string; fix_state: string; fixed_version: string | null }>,
): ScanKeys {
  const at = new Map<string, number>();
  const pair: number[] = [];
  const v: number[] = [];
  const p: number[] = [];
  const sev: number[] = [];
  const fix: number[] = [];
  const fixed: number[] = [];
  for (const r of rows) {
    const k = `${r.vulnerability_id}\u0000${r.package}`;
    const i = at.get(k);
    // A severity outside Quay's names counts as Unknown, as in the stored summaries (scan-summary.ts).
    const rank = Math.min(severityRank(r.severity), severities.length - 1);
    if (i === undefined) {
      at.set(k, v.length);
      v.push(intern(table, r.vulnerability_id));
      p.push(intern(table, r.package));
      pair.push(internPair(table, v[v.length - 1]!, p[p.length - 1]!));
      sev.push(rank);
      fix.push(r.fix_state === 'fixed' ? 1 : 0);
      fixed.push(r.fixed_version === null ? -1 : intern(table, r.fixed_version));
      continue;
    }
    // One package at several paths is one key: the highest severity, fixable if any is.
    if (rank < sev[i]!) sev[i] = rank;
    if (r.fix_state === 'fixed') fix[i] = 1;
    if (fixed[i] === -1 && r.fixed_version !== null) fixed[i] = intern(table, r.fixed_version);
  }
  return {
    pair: Int32Array.from(pair),
    vulnerability: Int32Array.from(v),
    package: Int32Array.from(p),
    severity: Uint8Array.from(sev),
    fixable: Uint8Array.from(fix),
    fixedVersion: Int32Array.from(fixed),
  };
}
