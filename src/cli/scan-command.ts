import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Command } from 'commander';
import { parseImageReference } from '../registry/image-reference.js';
import { apiTarget, callApi } from './api-client.js';
import { fail } from './output.js';

/** Over this, a report is sent gzip-compressed (reports compress ~10:1, and the server takes 10 MiB either way). */
const GZIP_OVER_BYTES = 256 * 1024;
const LIMIT_BYTES = 10 * 1024 * 1024;

/** `tidewatch scan upload` for CI: a scanner's report in, the scan's new and resolved findings out. */
export function registerScanCommands(program: Command): void {
  const scan = program.command('scan').description('upload vulnerability scan reports');
  scan.command('upload')
    .description('upload a scan report (Trivy, Grype, CycloneDX/VEX, SARIF, Clair JSON; .gz sent as it is) (uses TIDEWATCH_URL, TIDEWATCH_TOKEN)')
    .argument('<report>', 'the report file (JSON, or gzip-compressed JSON ending in .gz)')
    .option('--image <ref@digest>', 'the image scanned, pinned by digest: [host/]path[:tag]@sha256:<64 hex> (wins over the report)')
    .option('--url <url>', 'Tidewatch URL (overrides TIDEWATCH_URL)')
    .option('--token <token>', 'API token (overrides TIDEWATCH_TOKEN)')
    .option('--json', 'print the answer as JSON')
    .action(async (file: string, flags) => {
      if (flags.image !== undefined) {
        const parsed = parseImageReference(flags.image);
        if (!parsed.ok) fail(`--image "${flags.image}" is not a valid image reference: ${parsed.reason}`, 2);
        if (!parsed.ref.digest) fail(`--image "${flags.image}" must be pinned by digest: …@sha256:<64 hex> (tags move)`, 2);
      }
      const body = readReport(file);
      const target = apiTarget(flags);
      const path = `/api/v1/scans${flags.image !== undefined ? `?image=${encodeURIComponent(flags.image)}` : ''}`;
      const res = await callApi<any>(target, 'POST', path, body.bytes, body.gzipped ? { 'content-encoding': 'gzip' } : {});
      if (flags.json) return void process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
      const a = res.body;
      if (typeof a?.triage === 'number') {
        process.stdout.write(`triage: ${a.triage} decision${a.triage === 1 ? '' : 's'} recorded for ${a.repository ?? 'the whole workspace'}\n`);
        return;
      }
      process.stdout.write(`scan ${a.scan_id}: ${a.findings} findings (new ${a.new}, resolved ${a.resolved}) for ${a.image.repository}@${a.image.digest}\n`);
      for (const warning of a.warnings ?? []) process.stderr.write(`tidewatch: warning: ${warning}\n`);
    });
}

/** The report's bytes as they go on the wire; what is wrong with the file is found here, before anything is sent. */
function readReport(file: string): { bytes: Buffer; gzipped: boolean } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    return fail(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, 2);
  }
  if (file.endsWith('.gz')) {
    if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) fail(`${file} ends in .gz but is not gzip-compressed`, 2);
    if (bytes.length > LIMIT_BYTES) fail(`${file} is ${bytes.length} bytes; Tidewatch takes reports of at most 10 MiB`, 2);
    return { bytes, gzipped: true };
  }
  if (bytes.length > LIMIT_BYTES) fail(`${file} is ${bytes.length} bytes; Tidewatch takes reports of at most 10 MiB`, 2);
  try {
    JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    fail(`${file} is not JSON: ${(error as Error).message}`, 2);
  }
  return bytes.length > GZIP_OVER_BYTES ? { bytes: gzipSync(bytes), gzipped: true } : { bytes, gzipped: false };
}
