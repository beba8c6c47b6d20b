/*
 * SARIF 2.1.0 from Trivy or Grype (ingest.md "Scan reports"). SARIF has no fields for package, versions or fix state,
 * so they come from the text the scanners write ("SARIF keeps them only in the message text: parse it").
 *  - Trivy: ruleId = vulnerability id, one rule per vulnerability; each result's message holds "Package: …\n
 *    Installed Version: …\nVulnerability …\nSeverity: …\nFixed Version: …\nLink: [id](url)".
 *  - Grype: ruleId = "<vulnId>-<package>", one rule per (vulnerability, package); the result message is a sentence
 *    ("A low vulnerability in rpm package: package-1, version 1.1.1 was found in image …"), and the rule's help text
 *    holds "Severity: …\nPackage: …\nVersion: …\nFix Version: …" lines.
 */
import { isSha256Digest } from '../../registry/image-reference.js';
import { ReportError, type FixState, type ParsedFinding, type ParsedReport, type Severity } from './report-types.js';
import { normaliseSeverity, severityOfScore } from './severity.js';
import { isObject, objects, text, type JsonObject } from './json-reading.js';

type Json = JsonObject;
/** child(x, 'a', '0', 'b') = x.a[0].b, or undefined when any step is missing. */
const child = (v: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>((o, k) => (typeof o === 'object' && o !== null ? (o as Json)[k] : undefined), v);

/**
 * Used only when a result has neither a "Severity:" line nor a rule security-severity score. The level is a coarse
 * signal (Trivy writes error for CRITICAL and HIGH, note for LOW and UNKNOWN), so each maps to the lower severity.
 */
const severityOfLevel = new Map<string, Severity>([
  ['error', 'High'],
  ['warning', 'Medium'],
  ['note', 'Low'],
  ['none', 'Unknown'],
]);

export function parseSarif(json: unknown): ParsedReport {
  if (!isObject(json)) throw new ReportError('A SARIF report must be a JSON object.');
  if (json.version !== '2.1.0') {
    throw new ReportError(`Not a SARIF 2.1.0 log: version is ${JSON.stringify(json.version)}, expected "2.1.0".`);
  }
  if (!Array.isArray(json.runs)) throw new ReportError('A SARIF log needs a "runs" array.');
  const runs = json.runs.map((run, i) => {
    if (!isObject(run) || !isObject(child(run, 'tool', 'driver'))) {
      throw new ReportError(`SARIF runs[${i}] has no tool.driver.`);
    }
    return run;
  });
  const findings = runs.flatMap((run, i) => runFindings(run, `SARIF runs[${i}]`));
  const driver = runs[0] ? child(runs[0], 'tool', 'driver') : undefined;
  const scanner = { name: text(child(driver, 'name')) ?? 'sarif', version: text(child(driver, 'version')) };
  return { format: 'sarif', scanner, image: imageOf(runs), findings, triage: [] };
}

function runFindings(run: Json, where: string): ParsedFinding[] {
  const driver = child(run, 'tool', 'driver');
  const rules = objects(child(driver, 'rules'));
  const rulesById = new Map(rules.map((r) => [text(r.id), r] as const));
  const informationUri = text(child(driver, 'informationUri'));
  // SARIF lets a run omit results (or set null) when it did not run; that is no findings.
  if (run.results != null && !Array.isArray(run.results)) throw new ReportError(`${where}.results must be an array.`);
  const results: unknown[] = Array.isArray(run.results) ? run.results : [];
  const findings: ParsedFinding[] = [];
  results.forEach((result, j) => {
    const at = `${where}.results[${j}]`;
    if (!isObject(result)) throw new ReportError(`${at} is not an object.`);
    const ruleId = text(result.ruleId) ?? text(child(result, 'rule', 'id'));
    if (ruleId === null) throw new ReportError(`${at} has no ruleId.`);
    const indexed = typeof result.ruleIndex === 'number' ? rules[result.ruleIndex] : undefined;
    const rule = indexed && indexed.id === ruleId ? indexed : rulesById.get(ruleId);
    // Trivy's misconfiguration and secret results share the log; only vulnerabilities are findings.
    const tags = child(rule, 'properties', 'tags');
    if (Array.isArray(tags) && tags.length > 0 && !tags.includes('vulnerability')) return;
    findings.push(toFinding(result, ruleId, rule, informationUri));
  });
  return findings;
}

function toFinding(result: Json, ruleId: string, rule: Json | undefined, informationUri: string | null): ParsedFinding {
  const message = text(child(result, 'message', 'text')) ?? '';
  const own = fieldsOf(message);
  // Trivy's rule is shared by every package with that vulnerability, so its help text is used only for Grype, whose
  // result message is a sentence and whose rule is per package.
  const help = fieldsOf(child(rule, 'help', 'text'));
  const facts = own.has('package') ? own : new Map([...grypeSentence(message), ...help]);
  const pkg = facts.get('package') ?? '';
  const fixed = facts.get('fixed version') ?? facts.get('fix version');
  const properties = child(rule, 'properties');
  const securitySeverity = score(child(properties, 'security-severity'));
  const level = text(result.level) ?? text(child(rule, 'defaultConfiguration', 'level'));
  const severityWord = facts.get('severity') || undefined;
  const severity: Severity =
    severityWord !== undefined
      ? normaliseSeverity(severityWord)
      : securitySeverity !== null
        ? severityOfScore(securitySeverity)
        : (severityOfLevel.get(level ?? '') ?? 'Unknown');
  // Grype's fullDescription is its fix sentence when it has no description; that is not a description.
  const fullDescription = text(child(rule, 'fullDescription', 'text'));
  const description = fullDescription?.match(/^Version .+ is affected with/) ? null : fullDescription;
  return {
    vulnerabilityId: facts.get('vulnerability') || stripPackage(ruleId, pkg),
    package: pkg,
    installedVersion: facts.get('installed version') || facts.get('version') || null,
    location: text(child(result, 'locations', '0', 'physicalLocation', 'artifactLocation', 'uri')),
    fixedVersion: fixed ? fixed.split(/\s*,\s*/).join(', ') : null,
    fixState: fixStateOf(fixed),
    severity,
    cvss: score(child(properties, 'cvssv3_baseScore')) ?? securitySeverity,
    link: linkOf(facts.get('link'), text(child(rule, 'helpUri')), informationUri),
    description,
  };
}

/** "Key: value" lines (first wins) plus Trivy's "Vulnerability CVE-…" line, keys lower-cased. */
function fieldsOf(value: unknown): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of (text(value) ?? '').split('\n')) {
    const pair = line.match(/^([A-Za-z][A-Za-z ]*?):(?: (.*))?$/);
    const vuln = line.match(/^Vulnerability (\S+)$/);
    const key = pair ? pair[1]!.toLowerCase() : vuln ? 'vulnerability' : undefined;
    const val = pair ? (pair[2] ?? '').trim() : vuln?.[1];
    if (key !== undefined && val !== undefined && !fields.has(key)) fields.set(key, val);
  }
  return fields;
}

/** Grype's result sentence, for when its rule (and the help text) is missing. */
function grypeSentence(message: string): Map<string, string> {
  const m = message.match(/^An? (\w+) vulnerability in \S+ package: (.+?), version (.+?) was found in /);
  return m ? new Map([['severity', m[1]!], ['package', m[2]!], ['version', m[3]!]]) : new Map();
}

/** Grype's ruleId is "<vulnId>-<package>". */
function stripPackage(ruleId: string, pkg: string): string {
  return pkg !== '' && ruleId.endsWith(`-${pkg}`) ? ruleId.slice(0, -pkg.length - 1) : ruleId;
}

/**
 * A "Fixed Version:" line with a value is a fix; an empty one is the scanner saying it knows no fix (not_fixed: the
 * text cannot tell "will not fix" apart); no line at all says nothing.
 */
function fixStateOf(fixed: string | undefined): FixState {
  if (fixed === undefined) return 'unknown';
  return fixed !== '' ? 'fixed' : 'not_fixed';
}

/** A positive score; Trivy writes security-severity "0.0" for UNKNOWN, which is no score. */
function score(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}

/** Trivy: "Link: [CVE-…](url)"; Grype writes a bare id there and the tool's home page as helpUri, neither a link. */
function linkOf(line: string | undefined, helpUri: string | null, informationUri: string | null): string | null {
  const url = line?.match(/\]\((\S+)\)$/)?.[1] ?? (line && /^https?:\/\//.test(line) ? line : undefined);
  if (url) return url;
  return helpUri !== null && helpUri !== informationUri ? helpUri : null;
}

/** Trivy ≥0.4x writes run.properties {imageName, repoDigests, …}; older Trivy and Grype write nothing. */
function imageOf(runs: Json[]): ParsedReport['image'] {
  const image: ParsedReport['image'] = { reference: null, digests: [], repoDigests: [] };
  for (const run of runs) {
    image.reference ??= text(child(run, 'properties', 'imageName'));
    const repoDigests = child(run, 'properties', 'repoDigests');
    for (const repoDigest of Array.isArray(repoDigests) ? repoDigests : []) {
      const value = text(repoDigest);
      const digest = value?.slice(value.lastIndexOf('@') + 1) ?? '';
      if (value === null || !isSha256Digest(digest)) continue;
      if (!image.repoDigests.includes(value)) image.repoDigests.push(value);
      if (!image.digests.includes(digest)) image.digests.push(digest);
    }
  }
  return image;
}
