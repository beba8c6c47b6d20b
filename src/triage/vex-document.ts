/*
 * Triage decisions out as a CycloneDX 1.6 VEX document (ingest.md "…and back out as VEX"), for scanners in CI to skip
 * what was already triaged. Pure: the route gathers the decisions and where the packages were found.
 *
 * What `affects[].ref` is, and why:
 * - Grype (`--vex`, grype/vex/cyclonedx) matches a VEX entry by vulnerability id alone and ignores `affects`; it
 *   applies not_affected and resolved. Any ref works for it.
 * - Trivy (`--vex`, pkg/vex/cyclonedx.go) applies CycloneDX VEX only when scanning a CycloneDX SBOM
 *   (`trivy sbom`), and only through BOM-Links: each ref must be `urn:cdx:<SBOM serial>/<SBOM version>#<ref>`, where
 *   the SBOM's serial number and version are those of the SBOM being scanned and `<ref>` is a package's bom-ref or
 *   purl in it. So with `?sbom=urn:uuid:…[&sbom_version=N]` the refs are BOM-Links to that SBOM, `<ref>` being each
 *   place the package was found by the repository's current scans (a CycloneDX report's bom-ref, or a purl); a
 *   package Tidewatch never saw there falls back to its name, which Trivy will not match.
 * - Without `?sbom=`, a decision about one package points at a component of this document (bom-ref
 *   `package:<name>`, named after the package), and a decision about every package has no `affects` — the document
 *   is self-contained, and reads back into the same decisions when posted to /api/v1/scans.
 */
import { randomUUID } from 'node:crypto';
import type { DecisionView } from './triage-queries.js';

export interface SbomLink {
  /** urn:uuid:… of the SBOM the scanner will scan. */
  serialNumber: string;
  version: number;
}

export interface FoundAt {
  vulnerability_id: string;
  package: string;
  location: string | null;
  format: string;
}

/**
 * The decisions that hold for a repository: its own, and the workspace-wide ones no decision of the repository
 * overrides (its (vulnerability, package) or (vulnerability, every package)), as suppression.ts ranks them.
 */
export function effectiveDecisions(decisions: readonly DecisionView[], repositoryId: string | null): DecisionView[] {
  const own = decisions.filter((d) => repositoryId !== null && d.repository_id === repositoryId);
  const ownScopes = new Set(own.map((d) => `${d.vulnerability_id}\u0000${d.package ?? '\u0001'}`));
  const wide = decisions.filter((d) => d.repository_id === null
    && !ownScopes.has(`${d.vulnerability_id}\u0000${d.package ?? '\u0001'}`)
    && !ownScopes.has(`${d.vulnerability_id}\u0000\u0001`));
  return [...own, ...wide].sort((a, b) =>
    a.vulnerability_id.localeCompare(b.vulnerability_id) || (a.package ?? '').localeCompare(b.package ?? ''));
}

export interface VexDocument {
  bomFormat: 'CycloneDX';
  specVersion: string;
  serialNumber: string;
  version: number;
  metadata: Record<string, unknown>;
  components?: Array<Record<string, unknown>>;
  vulnerabilities: Array<Record<string, unknown>>;
}

export function vexDocument(input: {
  decisions: readonly DecisionView[];
  repository: string | null;
  timestamp: string;
  toolVersion: string;
  sbom?: SbomLink;
  foundAt?: readonly FoundAt[];
}): VexDocument {
  const refsOf = foundRefs(input.foundAt ?? []);
  const packages = new Set<string>();
  const vulnerabilities = input.decisions.map((d) => {
    let refs: string[] = [];
    if (input.sbom) {
      const found = refsOf(d.vulnerability_id, d.package);
      refs = (found.length > 0 ? found : d.package !== null ? [d.package] : [])
        .map((ref) => `urn:cdx:${input.sbom!.serialNumber.replace(/^urn:uuid:/, '')}/${input.sbom!.version}#${ref}`);
    } else if (d.package !== null) {
      packages.add(d.package);
      refs = [`package:${d.package}`];
    }
    return {
      id: d.vulnerability_id,
      analysis: {
        state: d.state,
        ...(d.justification !== null ? { justification: d.justification } : {}),
        ...(d.detail !== null ? { detail: d.detail } : {}),
        lastUpdated: d.created_at,
      },
      ...(refs.length > 0 ? { affects: refs.map((ref) => ({ ref })) } : {}),
    };
  });
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    serialNumber: `urn:uuid:${randomUUID()}`,
    version: 1,
    metadata: {
      timestamp: input.timestamp,
      tools: { components: [{ type: 'application', name: 'tidewatch', version: input.toolVersion }] },
      ...(input.repository !== null ? { properties: [{ name: 'tidewatch:repository', value: input.repository }] } : {}),
    },
    ...(packages.size > 0
      ? { components: [...packages].sort().map((name) => ({ type: 'library', 'bom-ref': `package:${name}`, name })) }
      : {}),
    vulnerabilities,
  };
}

/** Where the current scans found a vulnerability in a package (any package for null), as refs a scanner can match. */
function foundRefs(foundAt: readonly FoundAt[]): (vulnerability: string, pkg: string | null) => string[] {
  const byVulnerability = new Map<string, FoundAt[]>();
  for (const f of foundAt) byVulnerability.set(f.vulnerability_id, [...(byVulnerability.get(f.vulnerability_id) ?? []), f]);
  return (vulnerability, pkg) => {
    const refs = (byVulnerability.get(vulnerability) ?? [])
      .filter((f) => (pkg === null || f.package === pkg) && f.location !== null
        && (f.format === 'cyclonedx' || f.location.startsWith('pkg:')))
      .map((f) => f.location as string);
    return [...new Set(refs)].sort();
  };
}
