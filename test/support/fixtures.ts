import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/*
 * The real tool outputs in ../shared/fixtures (read in place, never copied). TIDEWATCH_FIXTURES_DIR points elsewhere;
 * when the folder is missing, tests skip with this module's reason, printed by the runner.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const fixturesDir = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');

export interface FixtureFolder {
  dir: string;
  /** File names (`*.json`, `*.json.gz`), sorted. */
  files: string[];
  /** `false`, or why the fixture tests of this folder are skipped. */
  skip: string | false;
  /** `skip` for one file: also when that file is not in the folder. */
  needs(file: string): { skip: string | false };
  /** Bytes as stored (gzip for `.gz`). */
  bytes(file: string): Buffer;
  /** Parsed JSON (gunzipped first for `.gz`). */
  load(file: string): any;
}

export function fixtureFolder(name: string): FixtureFolder {
  const dir = path.join(fixturesDir, name);
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.json(\.gz)?$/.test(f)).sort() : [];
  const skip = files.length === 0 ? `fixtures not found at ${dir} (set TIDEWATCH_FIXTURES_DIR)` : false;
  const bytes = (file: string) => readFileSync(path.join(dir, file));
  return {
    dir,
    files,
    skip,
    needs: (file) => ({ skip: skip || (!files.includes(file) && `${file} is not in ${dir}`) }),
    bytes,
    load: (file) => {
      const raw = bytes(file);
      return JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
    },
  };
}

/** How many times each value occurs. */
export function countBy(values: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
