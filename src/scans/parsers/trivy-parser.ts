/*
 * Trivy JSON (SchemaVersion 2) → ParsedReport (ingest.md "Scan reports"). One finding per Results[].Vulnerabilities[]
 * entry, duplicates across Results kept: they differ by location.
 */
import { isSha256Digest } from '../../registry/image-reference.js';
import { type FixState, type ParsedFinding, type ParsedReport } from './report-types.js';
import { normaliseSeverity } from './severity.js';
import { isObject, text, texts, firstText, kind, requiredText, reportErrors, type JsonObject } from './json-reading.js';


// A Map, not an object literal, so a Status such as "constructor" cannot reach Object.prototype.
const fixStateOfStatus = new Map<unknown, FixState>([
  ['fixed', 'fixed'],
  ['affected', 'not_fixed'],
  ['under_investigation', 'not_fixed'],
  ['fix_deferred', 'not_fixed'],
  ['will_not_fix', 'wont_fix'],
  ['end_of_life', 'wont_fix'],
  ['not_affected', 'unknown'],
  ['unknown', 'unknown'],
]);

export function parseTrivy(json: unknown): ParsedReport {
  if (!isObject(json)) throw invalid(`the document must be a JSON object, but ${kind(json)}`);
  if (json.SchemaVersion !== 2) throw invalid(`SchemaVersion must be 2, but ${kind(json.SchemaVersion)}`);
  // Trivy writes Results with `omitempty`: a scan that found nothing to scan has no Results at all.
  const results = json.Results ?? [];
  if (!Array.isArray(results)) throw invalid(`Results must be an array, but ${kind(results)}`);

  const findings: ParsedFinding[] = [];
  results.forEach((result: unknown, r) => {
    if (!isObject(result)) throw invalid(`Results[${r}] must be an object, but ${kind(result)}`);
    // A Result with nothing vulnerable (or a secret/licence Result) has no Vulnerabilities key.
    const vulnerabilities = result.Vulnerabilities ?? [];
    if (!Array.isArray(vulnerabilities)) {
      throw invalid(`Results[${r}].Vulnerabilities must be an array, but ${kind(vulnerabilities)}`);
    }
    vulnerabilities.forEach((v: unknown, i) => {
      findings.push(toFinding(v, `Results[${r}].Vulnerabilities[${i}]`, text(result.Target)));
    });
  });

  return {
    format: 'trivy',
    scanner: { name: 'trivy', version: isObject(json.Trivy) ? text(json.Trivy.Version) : null },
    image: imageOf(json),
    findings,
    triage: [],
  };
}

function toFinding(v: unknown, where: string, target: string | null): ParsedFinding {
  if (!isObject(v)) throw invalid(`${where} must be an object, but ${kind(v)}`);
  const fixedVersion = text(v.FixedVersion);
  return {
    vulnerabilityId: required(v, 'VulnerabilityID', where),
    package: required(v, 'PkgName', where),
    installedVersion: text(v.InstalledVersion),
    location: text(v.PkgPath) ?? target,
    fixedVersion,
    fixState: fixStateOf(v.Status, fixedVersion),
    severity: normaliseSeverity(v.Severity),
    cvss: highestScore(v.CVSS),
    link: text(v.PrimaryURL) ?? firstText(v.References),
    description: text(v.Description) ?? text(v.Title),
  };
}

function fixStateOf(status: unknown, fixedVersion: string | null): FixState {
  // Trivy releases before Status existed only tell a fix by its version.
  if (status == null) return fixedVersion ? 'fixed' : 'unknown';
  return fixStateOfStatus.get(status) ?? 'unknown';
}

/** Highest score over every source (nvd, redhat, ghsa…) and CVSS version Trivy lists. */
function highestScore(cvss: unknown): number | null {
  if (!isObject(cvss)) return null;
  let best: number | null = null;
  for (const source of Object.values(cvss)) {
    if (!isObject(source)) continue;
    for (const score of [source.V3Score, source.V40Score, source.V2Score]) {
      if (typeof score === 'number' && Number.isFinite(score) && (best === null || score > best)) best = score;
    }
  }
  return best;
}

function imageOf(json: JsonObject): ParsedReport['image'] {
  const metadata = isObject(json.Metadata) ? json.Metadata : {};
  const repoDigests = texts(metadata.RepoDigests);
  const artifact = json.ArtifactType === 'container_image' ? text(json.ArtifactName) : null;
  return {
    reference: artifact ?? firstText(metadata.RepoTags),
    // Metadata.ImageID is the config digest, not a manifest digest: no registry knows the image by it.
    digests: [...new Set(repoDigests.map(digestOf).filter((d): d is string => d !== null))],
    repoDigests,
  };
}

function digestOf(repoDigest: string): string | null {
  const digest = repoDigest.slice(repoDigest.lastIndexOf('@') + 1);
  return isSha256Digest(digest) ? digest : null;
}

const required = (v: JsonObject, key: string, where: string): string => requiredText(v, key, where, invalid);



const invalid = reportErrors('Trivy report');
