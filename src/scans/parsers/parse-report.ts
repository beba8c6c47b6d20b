/*
 * Recognises a scan report from its content (ingest.md "Scan reports", the "recognised by" column) and hands it to
 * that format's parser. Recognition looks only at the marker keys, so a report that is recognised but malformed gets
 * its own parser's precise ReportError instead of a vague "unrecognised".
 */
import { parseClair } from './clair-parser.js';
import { parseCycloneDx } from './cyclonedx-parser.js';
import { parseGrype } from './grype-parser.js';
import { ReportError, type ParsedReport, type ReportFormat } from './report-types.js';
import { parseSarif } from './sarif-parser.js';
import { parseTrivy } from './trivy-parser.js';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const parsers: Record<ReportFormat, (json: unknown) => ParsedReport> = {
  trivy: parseTrivy,
  grype: parseGrype,
  cyclonedx: parseCycloneDx,
  sarif: parseSarif,
  clair: parseClair,
};

export function detectFormat(json: unknown): ReportFormat | null {
  if (!isObject(json)) return null;
  if (json.bomFormat === 'CycloneDX') return 'cyclonedx';
  if (json.version === '2.1.0' && 'runs' in json) return 'sarif';
  // Trivy writes Results with `omitempty`, so a scan with nothing to scan (a scratch image) has none; ArtifactName
  // marks it as Trivy's too. The spec's table names Results only.
  if ('SchemaVersion' in json && ('Results' in json || 'ArtifactName' in json)) return 'trivy';
  if ('matches' in json && isObject(json.descriptor) && json.descriptor.name === 'grype') return 'grype';
  if ('manifest_hash' in json && 'vulnerabilities' in json) return 'clair';
  return null;
}

export function parseReport(json: unknown): ParsedReport {
  const format = detectFormat(json);
  if (format === null) {
    throw new ReportError(
      'unrecognised report format: expected Trivy JSON, Grype JSON, CycloneDX, SARIF 2.1.0 or a Clair v4 report',
    );
  }
  return parsers[format](json);
}
