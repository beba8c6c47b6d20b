/*
 * Which image a scan report is about (ingest.md "Scan reports"): `?image=` wins; otherwise the report's own words.
 * Pure: no database, so every rule here is tested without one.
 */
import { ApiError, invalid } from '../core/errors.js';
import { parseImageReference } from '../registry/image-reference.js';
import type { ParsedReport } from './parsers/report-types.js';

export interface ScanImage {
  repository: string;
  digest: string;
  /** Digests the report names besides the one recorded (a mirror's copy, a platform manifest), as sentences. */
  warnings: string[];
}

export const noDigestMessage =
  'the report does not name its image by digest; pass ?image=<repository>@sha256:<digest>';

/**
 * `?image=` when given (a scan is often run on a local or mirrored copy); else a repository-qualified digest of the
 * report (`repo@sha256:…`: Grype's and Trivy's RepoDigests are the registry's digest, while Grype's manifestDigest
 * may be a platform manifest of an index); else a digest the report names plus its reference for the repository.
 */
export function chooseScanImage(report: ParsedReport['image'], query: string | undefined): ScanImage {
  const chosen = query !== undefined ? fromQuery(query) : fromReport(report);
  const others = report.digests.filter((d) => d !== chosen.digest);
  return {
    ...chosen,
    warnings: others.map((d) => `the report also names digest ${d}; the scan was recorded for ${chosen.digest}`),
  };
}

function fromQuery(query: string): { repository: string; digest: string } {
  const parsed = parseImageReference(query);
  if (!parsed.ok) throw invalid('query.image', `query.image is not a valid image reference: ${parsed.reason}`);
  if (!parsed.ref.digest) {
    throw invalid('query.image', `query.image must name the image by digest: <repository>@sha256:<64 hex> (got "${truncate(query)}")`);
  }
  return { repository: parsed.ref.repository, digest: parsed.ref.digest };
}

function fromReport(image: ParsedReport['image']): { repository: string; digest: string } {
  for (const repoDigest of image.repoDigests) {
    const parsed = parseImageReference(repoDigest);
    if (parsed.ok && parsed.ref.digest) return { repository: parsed.ref.repository, digest: parsed.ref.digest };
  }
  const reference = image.reference === null ? null : parseImageReference(image.reference);
  const named = reference?.ok ? reference.ref : null;
  // A reference pinned by digest (Grype's userInput "alpine@sha256:…") names both.
  if (named?.digest) return { repository: named.repository, digest: named.digest };
  const digest = image.digests[0];
  if (digest === undefined) throw new ApiError('TW_VALIDATION', noDigestMessage, { field: 'query.image' });
  if (named === null) {
    throw new ApiError('TW_VALIDATION',
      `the report names digest ${digest} but not its repository; pass ?image=<repository>@${digest}`, { field: 'query.image' });
  }
  return { repository: named.repository, digest };
}

function truncate(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}
