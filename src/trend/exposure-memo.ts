import type { ScanSummary } from '../scans/scan-summary.js';
import { combineSummaries, type Exposure } from './exposure.js';

/*
 * combineSummaries over an environment's few hundred digests unions tens of thousands of vulnerability ids; the list
 * of environments does it once per environment on every view. The result is kept per set of digests and reused while
 * each digest's summary is the very same object — current-scans.ts hands out one object per scan until its stored
 * text changes (a rescan or a triage), so identity is a cheap, exact test that nothing moved.
 */

interface Memo {
  summaries: Array<ScanSummary | undefined>;
  exposure: Exposure;
}

const MAX_ENTRIES = 256;
const memo = new Map<string, Memo>();

export function memoisedExposure(digests: Iterable<string>, summaries: Map<string, ScanSummary>): Exposure {
  const unique = [...new Set(digests)].sort();
  const key = unique.join(',');
  const current = unique.map((d) => summaries.get(d));
  const hit = memo.get(key);
  if (hit && hit.summaries.every((s, i) => s === current[i])) return hit.exposure;
  const exposure = combineSummaries(unique, summaries);
  if (memo.size >= MAX_ENTRIES) memo.delete(memo.keys().next().value!);
  memo.set(key, { summaries: current, exposure });
  return exposure;
}
