/*
 * Clair v4 vulnerability report (GET /matcher/api/v1/vulnerability_report/{digest}) → ParsedReport (ingest.md
 * "Scan reports"). One finding per (package id, vulnerability id) pair of package_vulnerabilities. Where Clair leaves
 * gaps, this reads the report the way Quay's secscan_v4_model does, since Tidewatch speaks Quay's severities.
 */
import { isSha256Digest } from '../../registry/image-reference.js';
import { type ParsedFinding, type ParsedReport } from './report-types.js';
import { normaliseSeverity, severityOfScore } from './severity.js';
import { isObject, text, kind, reportErrors, type JsonObject } from './json-reading.js';

type NamedPackage = JsonObject & { name: string };

const CVE = /\bCVE-\d{4}-\d{4,}\b/;
// "No fixed version": claircore's Debian matcher reads a fixed version of "0" (the report's "0:0" is epoch 0, version
// 0) as "every version is affected", and Quay shows no fix for it.
const NO_FIX = new Set(['0', '0:0']);

export function parseClair(json: unknown): ParsedReport {
  if (!isObject(json)) throw invalid(`the document must be a JSON object, but ${kind(json)}`);
  if (typeof json.manifest_hash !== 'string') {
    throw invalid(
      'fixed_in_version' in json || 'normalized_severity' in json
        ? 'manifest_hash is missing: this is a single Clair vulnerability, not a vulnerability report'
        : `manifest_hash must be a string, but ${kind(json.manifest_hash)}`,
    );
  }
  const vulnerabilities = map(json, 'vulnerabilities');
  const packages = map(json, 'packages');
  const environments = isObject(json.environments) ? json.environments : {};
  const scores = cvssScores(json.enrichments);

  const findings: ParsedFinding[] = [];
  for (const [pkgId, vulnIds] of Object.entries(map(json, 'package_vulnerabilities'))) {
    const where = `package_vulnerabilities[${JSON.stringify(pkgId)}]`;
    if (!Array.isArray(vulnIds)) throw invalid(`${where} must be an array of vulnerability ids, but ${kind(vulnIds)}`);
    for (const vulnId of vulnIds as unknown[]) {
      const known = typeof vulnId === 'string' && Object.hasOwn(vulnerabilities, vulnId);
      const vuln = known ? vulnerabilities[vulnId] : null;
      if (!isObject(vuln)) {
        throw invalid(`${where} names vulnerability ${JSON.stringify(vulnId)}, which is not in vulnerabilities`);
      }
      const pkg = [Object.hasOwn(packages, pkgId) ? packages[pkgId] : null, vuln.package].find(named);
      if (!pkg) throw invalid(`package ${JSON.stringify(pkgId)} has no name, in packages or in its vulnerability`);
      findings.push(toFinding(vuln, pkg, environments[pkgId], scores.get(String(vulnId)) ?? null));
    }
  }

  return {
    format: 'clair',
    scanner: { name: 'clair', version: null },
    // A Clair report names the manifest only: the repository has to come from `?image=`.
    image: { reference: null, digests: [json.manifest_hash].filter(isSha256Digest), repoDigests: [] },
    findings,
    triage: [],
  };
}

function toFinding(vuln: JsonObject, pkg: NamedPackage, environments: unknown, cvss: number | null): ParsedFinding {
  const fixedVersion = fixedVersionOf(vuln.fixed_in_version);
  const named = normaliseSeverity(text(vuln.normalized_severity) ?? vuln.severity);
  const environment: unknown = Array.isArray(environments) ? environments[0] : undefined;
  return {
    vulnerabilityId: idOf(vuln),
    package: pkg.name,
    installedVersion: text(pkg.version),
    location: isObject(environment) ? text(environment.package_db) : null,
    fixedVersion,
    fixState: fixedVersion ? 'fixed' : 'unknown',
    // Quay (util/secscan fetch_vuln_severity) grades an Unknown vulnerability by its CVSS enrichment.
    severity: named === 'Unknown' && cvss !== null ? severityOfScore(cvss) : named,
    cvss,
    link: text(vuln.links)?.split(/\s+/)[0] ?? null,
    description: text(vuln.description),
  };
}

/**
 * Updaters name vulnerabilities their own way: Debian "CVE-2022-23219 glibc", pyup.io "pyup.io-42559 (CVE-2021-3572)",
 * old RHEL "RHSA-2020:1234: openssl security update". The CVE, when there is one, is the id other scanners and VEX
 * documents use.
 */
function idOf(vuln: JsonObject): string {
  const name = text(vuln.name)?.trim();
  if (name) return CVE.exec(name)?.[0] ?? name.split(/\s+/)[0]?.replace(/:$/, '') ?? name;
  const id = text(vuln.id);
  if (id === null) throw invalid('a vulnerability has neither a name nor an id');
  return id;
}

function fixedVersionOf(value: unknown): string | null {
  const version = text(value);
  if (version === null || NO_FIX.has(version)) return null;
  // OSV-based updaters URL-encode it ("fixed=1.2.3&introduced=1.0"); Quay reads the `fixed` key (maybe_urlencoded).
  if (/^[A-Za-z_]+=/.test(version)) return text(new URLSearchParams(version).get('fixed'));
  return version;
}

/** Clair keeps CVSS out of the vulnerability: the clair.cvss enrichment maps vulnerability id → CVSS v3 records. */
function cvssScores(enrichments: unknown): Map<string, number> {
  const scores = new Map<string, number>();
  if (!isObject(enrichments)) return scores;
  for (const [type, maps] of Object.entries(enrichments)) {
    if (!type.includes('enricher=clair.cvss') || !Array.isArray(maps)) continue;
    for (const byVuln of maps.filter(isObject)) {
      for (const [vulnId, records] of Object.entries(byVuln)) {
        for (const record of Array.isArray(records) ? records.filter(isObject) : []) {
          const score = record.baseScore;
          if (typeof score !== 'number' || !Number.isFinite(score)) continue;
          scores.set(vulnId, Math.max(score, scores.get(vulnId) ?? score));
        }
      }
    }
  }
  return scores;
}

/** A Go map Clair always writes (null when empty): absent means this is not a Clair report. */
function map(json: JsonObject, key: string): JsonObject {
  const value = json[key];
  if (value === null) return {};
  if (!isObject(value)) throw invalid(`${key} must be an object, but ${kind(value)}`);
  return value;
}

const named = (v: unknown): v is NamedPackage => isObject(v) && text(v.name) !== null;


const invalid = reportErrors('Clair report');
