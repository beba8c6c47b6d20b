/*
 * Grype JSON (`-o json`) → ParsedReport (ingest.md "Scan reports"). One finding per match. Reads schemas from grype
 * 0.28 to current; fields a version lacks read as null.
 */
import { isSha256Digest } from '../../registry/image-reference.js';
import { type FixState, type ParsedFinding, type ParsedReport } from './report-types.js';
import { normaliseSeverity } from './severity.js';
import { isObject, text, texts, firstText, kind, requiredText, reportErrors, type JsonObject } from './json-reading.js';


// Grype writes fix.state "" (and older releases "unknown") when the feed does not say.
const fixStateOfGrype = new Map<unknown, FixState>([
  ['fixed', 'fixed'],
  ['not-fixed', 'not_fixed'],
  ['wont-fix', 'wont_fix'],
]);

export function parseGrype(json: unknown): ParsedReport {
  if (!isObject(json)) throw invalid(`the document must be a JSON object, but ${kind(json)}`);
  const descriptor = isObject(json.descriptor) ? json.descriptor : {};
  if (descriptor.name !== 'grype') throw invalid(`descriptor.name must be "grype", but ${kind(descriptor.name)}`);
  const matches = json.matches;
  if (!Array.isArray(matches)) throw invalid(`matches must be an array, but ${kind(matches)}`);

  return {
    format: 'grype',
    scanner: { name: 'grype', version: text(descriptor.version) },
    image: imageOf(json.source),
    findings: matches.map((m: unknown, i) => toFinding(m, `matches[${i}]`)),
    triage: [],
  };
}

function toFinding(match: unknown, where: string): ParsedFinding {
  if (!isObject(match)) throw invalid(`${where} must be an object, but ${kind(match)}`);
  const { vulnerability: vuln, artifact } = match;
  if (!isObject(vuln)) throw invalid(`${where}.vulnerability must be an object, but ${kind(vuln)}`);
  if (!isObject(artifact)) throw invalid(`${where}.artifact must be an object, but ${kind(artifact)}`);
  const related = Array.isArray(match.relatedVulnerabilities) ? match.relatedVulnerabilities.filter(isObject) : [];
  const fix = isObject(vuln.fix) ? vuln.fix : {};
  const fixVersions = texts(fix.versions);
  const firstLocation: unknown = Array.isArray(artifact.locations) ? artifact.locations[0] : undefined;
  return {
    vulnerabilityId: required(vuln, 'id', `${where}.vulnerability`),
    package: required(artifact, 'name', `${where}.artifact`),
    installedVersion: text(artifact.version),
    location: isObject(firstLocation) ? text(firstLocation.path) : null,
    fixedVersion: fixVersions.length > 0 ? fixVersions.join(', ') : null,
    fixState: fixStateOfGrype.get(fix.state) ?? 'unknown',
    severity: normaliseSeverity(vuln.severity),
    // The distro feed often has no CVSS; the NVD record in relatedVulnerabilities does.
    cvss: highestScore([vuln, ...related]),
    link: text(vuln.dataSource) ?? firstText(vuln.urls),
    description: text(vuln.description) ?? (related[0] ? text(related[0].description) : null),
  };
}

function highestScore(records: JsonObject[]): number | null {
  let best: number | null = null;
  for (const record of records) {
    for (const entry of Array.isArray(record.cvss) ? record.cvss : []) {
      const score: unknown = isObject(entry) && isObject(entry.metrics) ? entry.metrics.baseScore : null;
      if (typeof score === 'number' && Number.isFinite(score) && (best === null || score > best)) best = score;
    }
  }
  return best;
}

/** source.target is an object for image scans and a plain string (a path, or "unknown") otherwise. */
function imageOf(source: unknown): ParsedReport['image'] {
  const target = isObject(source) ? source.target : undefined;
  if (!isObject(target)) return { reference: text(target), digests: [], repoDigests: [] };
  const repoDigests = texts(target.repoDigests);
  // Tools that post-process grype output (kubevuln's test data) leave "<<PRESENCE>>" placeholders in place of
  // values: only a well-formed digest counts.
  const digests = [target.manifestDigest, ...repoDigests.map((r) => r.slice(r.lastIndexOf('@') + 1))].filter(
    (d): d is string => typeof d === 'string' && isSha256Digest(d),
  );
  return { reference: text(target.userInput), digests: [...new Set(digests)], repoDigests };
}

const required = (v: JsonObject, key: string, where: string): string => requiredText(v, key, where, invalid);



const invalid = reportErrors('Grype report');
