import type { Command } from 'commander';
import { parseImageReference } from '../registry/image-reference.js';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { apiTarget, callApi } from './api-client.js';
import { fail } from './output.js';

/** Exit code when --exit-code is given and the head adds a vulnerability at or above --severity. */
export const ADDS_VULNERABILITIES = 3;

interface Entry { vulnerability_id: string; package: string; severity: string; fixable: boolean; fixed_version: string | null }
interface Counts { by_severity: Record<Severity, number>; fixable: Record<Severity, number>; total: number; fixable_total: number }
interface Side { given: string; images: number; scanned_images: number; unscanned: string[]; status: string; suppressed: number }
interface Unit { repository: string; digest: string; tag: string | null; scanned: boolean }
export interface Comparison {
  base: Side;
  head: Side;
  instances: Array<{ name: string; change: string; base: Unit | null; head: Unit | null }>;
  instances_unchanged: number;
  vulnerabilities: { added: Entry[]; removed: Entry[]; unchanged: Entry[] };
  counts: { added: Counts; removed: Counts; unchanged: Counts };
}

/**
 * `tidewatch compare` for CI (deployments.md, "Comparing"): what an image would change in an environment — the image
 * is the head, the environment it would replace things in is the base — or one environment against another.
 */
export function registerCompare(program: Command): void {
  program.command('compare')
    .description('compare an image (or environment) with what runs in an environment (uses TIDEWATCH_URL, TIDEWATCH_TOKEN)')
    .argument('<head>', 'image pinned by digest ([host/]path[:tag]@sha256:<64 hex>) or env:NAME')
    .requiredOption('--to-env <name>', 'environment to compare with (the base)')
    .option('--format <format>', 'table, json or markdown', 'table')
    .option('--exit-code', `exit ${ADDS_VULNERABILITIES} when the head adds vulnerabilities at or above --severity`)
    .option('--severity <level>', 'threshold for --exit-code: critical, high, medium, low, negligible or unknown', 'critical')
    .option('--url <url>', 'Tidewatch URL (overrides TIDEWATCH_URL)')
    .option('--token <token>', 'API token, role read (overrides TIDEWATCH_TOKEN)')
    .addHelpText('after', `
Exit codes:
  0  compared (and, with --exit-code, nothing at or above --severity was added)
  1  Tidewatch refused the request or could not be reached
  2  bad input (reference, environment, --format, --severity, missing settings)
  ${ADDS_VULNERABILITIES}  --exit-code: the head adds vulnerabilities at or above --severity (default critical)

Severity order (Quay's): Critical > High > Medium > Low > Negligible > Unknown.
Example: tidewatch compare ghcr.io/acme/web@sha256:<64 hex> --to-env production --exit-code --severity high`)
    .action(async (head: string, flags: { toEnv: string; format: string; exitCode?: boolean; severity: string; url?: string; token?: string }) => {
      checkSide(head, '<head>');
      checkSide(`env:${flags.toEnv}`, '--to-env');
      if (!['table', 'json', 'markdown'].includes(flags.format)) fail(`--format must be table, json or markdown; got "${flags.format}"`, 2);
      const threshold = severities.find((s) => s.toLowerCase() === flags.severity.toLowerCase());
      if (!threshold) fail(`--severity must be one of ${severities.map((s) => s.toLowerCase()).join(', ')}; got "${flags.severity}"`, 2);
      const target = apiTarget(flags);
      const query = new URLSearchParams({ base: `env:${flags.toEnv}`, head });
      const { body } = await callApi<Comparison>(target, 'GET', `/api/v1/compare?${query}`);
      const render = flags.format === 'json' ? (c: Comparison) => JSON.stringify(c, null, 2) + '\n' : flags.format === 'markdown' ? markdown : table;
      process.stdout.write(render(body));
      if (body.head.status === 'unscanned' || body.head.status === 'partially_scanned') {
        process.stderr.write(`tidewatch: warning: ${body.head.unscanned.length} image(s) of ${body.head.given} have no scan; their vulnerabilities are unknown\n`);
      }
      const rank = severities.indexOf(threshold);
      const over = body.vulnerabilities.added.filter((e) => severityIndex(e.severity) <= rank);
      if (flags.exitCode && over.length > 0) {
        fail(`${body.head.given} adds ${over.length} vulnerabilit${over.length === 1 ? 'y' : 'ies'} at or above ${threshold}`, ADDS_VULNERABILITIES);
      }
    });
}

function checkSide(value: string, what: string): void {
  if (value.startsWith('env:')) {
    if (!/^[A-Za-z0-9._/-]{1,128}$/.test(value.slice(4))) fail(`${what}: the environment must be 1–128 characters of A-Za-z0-9._-/`, 2);
    return;
  }
  const parsed = parseImageReference(value);
  if (!parsed.ok) fail(`"${value}" is not a valid image reference: ${parsed.reason}`, 2);
  if (!parsed.ref.digest) fail(`"${value}" must be pinned by digest: …@sha256:<64 hex> (tags move), or be env:NAME`, 2);
}

const severityIndex = (s: string) => {
  const i = severities.indexOf(s as Severity);
  return i === -1 ? severities.length - 1 : i;
};
const short = (u: Unit | null) => (u ? `${u.digest.slice(0, 19)}${u.tag ? ` (${u.tag})` : ''}${u.scanned ? '' : ' unscanned'}` : '-');
const sideLine = (label: string, s: Side) =>
  `${label}: ${s.given} — ${s.images} image(s), ${s.scanned_images} scanned${s.suppressed ? `, ${s.suppressed} suppressed by triage` : ''}${s.status === 'scanned' || s.status === 'empty' ? '' : ` (${s.status.replace('_', ' ')})`}`;

function countRows(c: Comparison): string[][] {
  return (['added', 'removed', 'unchanged'] as const).map((k) => [
    k, ...severities.map((s) => String(c.counts[k].by_severity[s])), `${c.counts[k].total} (${c.counts[k].fixable_total} fixable)`,
  ]);
}

function entryRows(list: Entry[]): string[][] {
  return list.map((e) => [e.severity, e.vulnerability_id, e.package, e.fixable ? 'yes' : 'no', e.fixed_version ?? '-']);
}

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}

export function table(c: Comparison): string {
  let out = `${sideLine('base', c.base)}\n${sideLine('head', c.head)}\n\n`;
  out += c.instances.length === 0
    ? `no instance differs (${c.instances_unchanged} unchanged)\n`
    : columns([['INSTANCE', 'CHANGE', 'BASE', 'HEAD'], ...c.instances.map((i) => [i.name, i.change, short(i.base), short(i.head)])])
      + (c.instances_unchanged ? `(${c.instances_unchanged} unchanged)\n` : '');
  out += '\n' + columns([['VULNERABILITIES', ...severities, 'TOTAL'], ...countRows(c)]);
  for (const k of ['added', 'removed'] as const) {
    const list = c.vulnerabilities[k];
    if (list.length > 0) out += `\n${k.toUpperCase()}\n` + columns([['SEVERITY', 'VULNERABILITY', 'PACKAGE', 'FIXABLE', 'FIXED IN'], ...entryRows(list)]);
  }
  return out;
}

export function markdown(c: Comparison): string {
  const md = (rows: string[][]) => rows.map((r, i) => `| ${r.map((x) => x.replace(/\|/g, '\\|')).join(' | ')} |${i === 0 ? `\n|${r.map(() => ' --- ').join('|')}|` : ''}`).join('\n') + '\n';
  let out = `### Tidewatch compare\n\n- ${sideLine('**base**', c.base)}\n- ${sideLine('**head**', c.head)}\n\n`;
  out += c.instances.length === 0
    ? `No instance differs (${c.instances_unchanged} unchanged).\n`
    : md([['Instance', 'Change', 'Base', 'Head'], ...c.instances.map((i) => [i.name, i.change, short(i.base), short(i.head)])]);
  out += '\n' + md([['Vulnerabilities', ...severities, 'Total'], ...countRows(c)]);
  for (const k of ['added', 'removed'] as const) {
    const list = c.vulnerabilities[k];
    if (list.length > 0) out += `\n#### ${k[0]!.toUpperCase()}${k.slice(1)} (${list.length})\n\n` + md([['Severity', 'Vulnerability', 'Package', 'Fixable', 'Fixed in'], ...entryRows(list)]);
  }
  return out;
}
