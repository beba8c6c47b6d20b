/*
 * CycloneDX JSON 1.4–1.7 with `vulnerabilities` (ingest.md "Scan reports"): scanner output from Trivy and Grype, and
 * VEX documents, whose `analysis` states become triage decisions.
 */
import { isSha256Digest } from '../../registry/image-reference.js';
import {
  ReportError,
  type ParsedFinding,
  type ParsedReport,
  type ParsedTriage,
  type Severity,
  type TriageState,
} from './report-types.js';
import { normaliseSeverity, severityLevel, severityOfScore } from './severity.js';
import { isObject, objects, text, type JsonObject } from './json-reading.js';

type Json = JsonObject;

const triageStates = new Map<string, TriageState>([
  ['resolved', 'resolved'],
  ['resolved_with_pedigree', 'resolved'],
  ['exploitable', 'exploitable'],
  ['in_triage', 'in_triage'],
  ['false_positive', 'false_positive'],
  ['not_affected', 'not_affected'],
]);

/** The package a vulnerability affects; `subject` marks the BOM's own metadata.component (the product or image). */
interface Affected {
  ref: string;
  package: string;
  installedVersion: string | null;
  fixedVersion: string | null;
  subject: boolean;
}

export function parseCycloneDx(json: unknown): ParsedReport {
  const bom = readBom(json);
  const metadata = isObject(bom.metadata) ? bom.metadata : {};
  const subject = isObject(metadata.component) ? metadata.component : null;
  const components = componentsByRef(bom, subject);
  const findings: ParsedFinding[] = [];
  const triage: ParsedTriage[] = [];

  readVulnerabilities(bom).forEach((vuln, i) => {
    const where = `CycloneDX vulnerabilities[${i}]`;
    const id = text(vuln.id);
    if (id === null) throw new ReportError(`${where} has no "id".`);
    const affected = readAffects(vuln, where, components, text(subject?.['bom-ref']));
    const ratings = objects(vuln.ratings);
    const common = {
      vulnerabilityId: id,
      severity: severityOf(ratings, isObject(vuln.source) ? text(vuln.source.name) : null),
      cvss: cvssOf(ratings),
      link: linkOf(vuln, id),
      description: text(vuln.description) ?? text(vuln.detail),
    };
    const recommended = fixFromRecommendation(vuln.recommendation);
    // No `affects`: the report still names a vulnerability; keep it, with no package to pin it to.
    const targets: Array<Affected | null> = affected.length > 0 ? affected : [null];
    for (const a of targets) {
      const fixedVersion = a?.fixedVersion ?? recommended;
      findings.push({
        ...common,
        package: a?.package ?? '',
        installedVersion: a?.installedVersion ?? null,
        location: a?.ref ?? null,
        fixedVersion,
        fixState: fixedVersion !== null ? 'fixed' : 'unknown',
      });
    }
    triage.push(...triageOf(vuln, id, targets));
  });

  return { format: 'cyclonedx', scanner: scannerOf(metadata), image: imageOf(subject), findings, triage };
}

/**
 * A VEX document carries decisions, not a scan: every vulnerability has an analysis state and nothing says an image
 * was scanned. "Nothing says" = no Trivy/Grype in metadata.tools and a metadata.component that is not a container.
 * Analysis states alone do not decide it: Grype 0.41's CycloneDX output (defectdojo log4j fixture) marks every match
 * `in_triage`, yet it is a scan; the CISA VEX example and the spec's 1.6 test vector name no scanner and no image.
 * We key on known scanners rather than "any tool" so a VEX written by a tool (Tidewatch's own export) still counts.
 */
export function isVexOnly(json: unknown): boolean {
  if (!isObject(json) || json.bomFormat !== 'CycloneDX' || !Array.isArray(json.vulnerabilities)) return false;
  const vulns = json.vulnerabilities;
  if (vulns.length === 0) return false;
  const decided = vulns.every((v) => isObject(v) && isObject(v.analysis) && triageStates.has(String(v.analysis.state)));
  if (!decided) return false;
  const metadata = isObject(json.metadata) ? json.metadata : {};
  const subject = isObject(metadata.component) ? metadata.component : null;
  const scanner = toolsOf(metadata).some((t) => /^(trivy|grype)$/i.test(text(t.name) ?? ''));
  return !scanner && subject?.type !== 'container';
}

function readBom(json: unknown): Json {
  if (!isObject(json)) throw new ReportError('A CycloneDX report must be a JSON object.');
  if (json.bomFormat !== 'CycloneDX') {
    const found = JSON.stringify(json.bomFormat);
    throw new ReportError(`Not a CycloneDX document: bomFormat is ${found}, expected "CycloneDX".`);
  }
  if (json.components !== undefined && !Array.isArray(json.components)) {
    throw new ReportError('CycloneDX "components" must be an array.');
  }
  return json;
}

function readVulnerabilities(bom: Json): Json[] {
  const vulns = bom.vulnerabilities;
  if (vulns === undefined) return []; // a plain SBOM: a valid report with nothing found
  if (!Array.isArray(vulns)) throw new ReportError('CycloneDX "vulnerabilities" must be an array.');
  return vulns.map((v, i) => {
    if (!isObject(v)) throw new ReportError(`CycloneDX vulnerabilities[${i}] is not an object.`);
    return v;
  });
}

/** Every component by bom-ref, nested ones too, walked with a stack so a deeply nested BOM cannot overflow. */
function componentsByRef(bom: Json, subject: Json | null): Map<string, Json> {
  const byRef = new Map<string, Json>();
  const stack = [...objects(bom.components), ...(subject ? [subject] : [])];
  for (let c = stack.pop(); c !== undefined; c = stack.pop()) {
    const ref = text(c['bom-ref']);
    if (ref !== null && !byRef.has(ref)) byRef.set(ref, c);
    stack.push(...objects(c.components));
  }
  return byRef;
}

function readAffects(vuln: Json, where: string, components: Map<string, Json>, subjectRef: string | null): Affected[] {
  if (vuln.affects === undefined) return [];
  if (!Array.isArray(vuln.affects)) throw new ReportError(`${where}.affects must be an array.`);
  const seen = new Set<string>();
  const out: Affected[] = [];
  vuln.affects.forEach((entry, j) => {
    const ref = isObject(entry) ? text(entry.ref) : null;
    if (!isObject(entry) || ref === null) throw new ReportError(`${where}.affects[${j}] has no "ref".`);
    if (seen.has(ref)) return;
    seen.add(ref);
    const versions = objects(entry.versions);
    // A ref may name no component (the defectdojo Trivy fixture has one): fall back to the purl the ref usually is.
    const component = components.get(ref);
    const purl = purlParts(text(component?.purl) ?? ref);
    const name = text(component?.name);
    const group = text(component?.group);
    out.push({
      ref,
      package: name !== null ? (group !== null ? `${group}/${name}` : name) : (purl?.name ?? ref),
      installedVersion:
        text(component?.version) ?? versionWithStatus(versions, 'affected') ?? purl?.version ?? null,
      fixedVersion: versionWithStatus(versions, 'unaffected'),
      subject: ref === subjectRef,
    });
  });
  return out;
}

/** Versions of one status, joined like Trivy's FixedVersion ("1.2.3, 1.3.1"); a `vers:` range ">=X" counts as X. */
function versionWithStatus(versions: Json[], status: string): string | null {
  const found = versions
    .filter((v) => v.status === status)
    .map((v) => text(v.version) ?? text(v.range)?.match(/^vers:[^/]+\/>=([^|]+)$/)?.[1] ?? null)
    .filter((v): v is string => v !== null);
  return found.length > 0 ? [...new Set(found)].join(', ') : null;
}

/** "Upgrade X to version Y" (Trivy) or "… to version Y or higher." (the spec's example) → Y. */
function fixFromRecommendation(value: unknown): string | null {
  const match = text(value)?.match(/^Upgrade .+? to version (.+?)(?: or higher)?\.?$/i);
  return match?.[1]?.trim() || null;
}

function purlParts(purl: string): { name: string; version: string | null } | null {
  const match = purl.match(/^pkg:[^/]+\/(?:[^?#@]*\/)?([^/?#@]+)(?:@([^?#]+))?/);
  if (!match?.[1]) return null;
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return { name: decode(match[1]), version: match[2] ? decode(match[2]) : null };
}

function isCvss(rating: Json): boolean {
  return /^CVSS/i.test(text(rating.method) ?? '');
}

/**
 * The rating of the vulnerability's own `source` (the distro's advisory, as Trivy's JSON reports it), else NVD's,
 * else the most severe — so one scan uploaded as Trivy JSON or as CycloneDX gives the same counts. A rating with only
 * a score counts only when it is a CVSS score (EPSS and KEV ones are not).
 */
function severityOf(ratings: Json[], sourceName: string | null): Severity {
  const of = (r: Json): Severity => {
    const s = normaliseSeverity(r.severity);
    return s === 'Unknown' && isCvss(r) && typeof r.score === 'number' ? severityOfScore(r.score) : s;
  };
  // A source may rate twice (NVD: CVSS v2 and v3); its most severe rating is the one Trivy reports.
  const mostSevere = (list: Json[]): Severity =>
    list.map(of).reduce<Severity>((best, s) => (severityLevel(s) < severityLevel(best) ? s : best), 'Unknown');
  const fromSource = (name: string | null) => mostSevere(ratings.filter((r) =>
    name !== null && isObject(r.source) && text(r.source.name)?.toLowerCase() === name.toLowerCase()));
  for (const s of [fromSource(sourceName), fromSource('nvd')]) if (s !== 'Unknown') return s;
  return mostSevere(ratings);
}

function cvssOf(ratings: Json[]): number | null {
  const scores = ratings.filter(isCvss).map((r) => r.score).filter((s): s is number => typeof s === 'number');
  return scores.length > 0 ? Math.max(...scores) : null;
}

/**
 * source.url when it is the vulnerability's own page; Trivy writes its data source's home page there (a tracker, a
 * GHSA search), so then the first advisory is the better link.
 */
function linkOf(vuln: Json, id: string): string | null {
  const source = isObject(vuln.source) ? text(vuln.source.url) : null;
  if (source !== null && source.toLowerCase().includes(id.toLowerCase())) return source;
  const advisory = objects(vuln.advisories).map((a) => text(a.url));
  const reference = objects(vuln.references).map((r) => (isObject(r.source) ? text(r.source.url) : null));
  return advisory.find((u) => u !== null) ?? source ?? reference.find((u) => u !== null) ?? null;
}

/**
 * One decision per affected package. A decision about the BOM's own subject (a VEX naming the product, as the CISA
 * example does) or with no `affects` holds for every package: package null.
 */
function triageOf(vuln: Json, id: string, targets: Array<Affected | null>): ParsedTriage[] {
  const analysis = isObject(vuln.analysis) ? vuln.analysis : null;
  const state = triageStates.get(String(analysis?.state)); // an unknown state is no decision we can record
  if (analysis === null || state === undefined) return [];
  const packages = new Set(targets.map((a) => (a === null || a.subject ? null : a.package)));
  return [...packages].map((pkg) => ({
    vulnerabilityId: id,
    state,
    justification: text(analysis.justification),
    detail: text(analysis.detail),
    package: pkg,
  }));
}

/** 1.4: tools is an array of {vendor,name,version}; 1.5+: {components:[…], services:[…]}. */
function toolsOf(metadata: Json): Json[] {
  const tools = metadata.tools;
  if (Array.isArray(tools)) return objects(tools);
  return isObject(tools) ? [...objects(tools.components), ...objects(tools.services)] : [];
}

function scannerOf(metadata: Json): ParsedReport['scanner'] {
  const tool = toolsOf(metadata).find((t) => text(t.name) !== null);
  return tool ? { name: text(tool.name) as string, version: text(tool.version) } : { name: 'cyclonedx', version: null };
}

function imageOf(subject: Json | null): ParsedReport['image'] {
  const digests: string[] = [];
  const repoDigests: string[] = [];
  const add = (list: string[], value: string | null | undefined): void => {
    if (value && !list.includes(value)) list.push(value);
  };
  // Trivy: pkg:oci/<name>@sha256%3A<hex>?…
  const purl = text(subject?.purl);
  if (purl?.startsWith('pkg:oci/')) {
    const version = purlParts(purl)?.version;
    if (version && isSha256Digest(version)) add(digests, version);
  }
  for (const p of objects(subject?.properties)) {
    const value = text(p.value);
    if (p.name !== 'aquasecurity:trivy:RepoDigest' || value === null) continue;
    const digest = value.slice(value.lastIndexOf('@') + 1);
    if (!isSha256Digest(digest)) continue;
    add(repoDigests, value);
    add(digests, digest);
  }
  // Grype puts the manifest digest in the container component's version.
  const version = text(subject?.version);
  if (subject?.type === 'container' && version !== null && isSha256Digest(version)) add(digests, version);
  return { reference: text(subject?.name), digests, repoDigests };
}
