import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { detectFormat, parseReport } from './parse-report.js';
import { ReportError, type ReportFormat } from './report-types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');
const skip = existsSync(FIXTURES) ? false : `no fixtures at ${FIXTURES} (set TIDEWATCH_FIXTURES_DIR)`;
if (skip) console.log(`skipping fixture tests: ${skip}`);

type Raw = any;
const load = (dir: string, file: string): Raw => {
  const bytes = readFileSync(path.join(FIXTURES, dir, file));
  return JSON.parse((file.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'));
};
const list = (dir: string): string[] =>
  skip ? [] : readdirSync(path.join(FIXTURES, dir)).filter((f) => /\.json(\.gz)?$/.test(f)).sort();

const UNRECOGNISED =
  'unrecognised report format: expected Trivy JSON, Grype JSON, CycloneDX, SARIF 2.1.0 or a Clair v4 report';
const isUnrecognised = (e: unknown): boolean => e instanceof ReportError && e.message === UNRECOGNISED;
// The OpenAPI example of one Clair Vulnerability object, not a vulnerability report.
const CLAIR_API_EXAMPLE = 'clair_api-example_vulnerability.json';

const formats: ReportFormat[] = ['trivy', 'grype', 'cyclonedx', 'sarif', 'clair'];

test('fixture directories hold files', { skip }, () => {
  for (const dir of [...formats, 'k8s-admission', 'registry-notifications']) assert.ok(list(dir).length > 0, dir);
});

for (const format of formats) {
  for (const file of list(format)) {
    const name =
      file === CLAIR_API_EXAMPLE
        ? `${format}/${file} is one Clair Vulnerability object, not a report`
        : `${format}/${file} is recognised and parsed as ${format}`;
    test(name, () => {
      const json = load(format, file);
      if (file === CLAIR_API_EXAMPLE) {
        assert.equal('manifest_hash' in json, false);
        assert.deepEqual([typeof json.id, typeof json.name, typeof json.normalized_severity], ['string', 'string', 'string']);
        assert.equal(detectFormat(json), null);
        assert.throws(() => parseReport(json), isUnrecognised);
        return;
      }
      assert.equal(detectFormat(json), format);
      const report = parseReport(json);
      assert.equal(report.format, format);
      assert.ok(Array.isArray(report.findings) && Array.isArray(report.triage));
    });
  }
}

test('dispatch gives each format parser its report untouched', { skip }, () => {
  const sarif = parseReport(load('sarif', 'trivy-action_trivy-0.29.2_vuln-image-1.2.3.sarif.json'));
  assert.equal(sarif.findings.length, 80); // SOURCES.md: 80 results
  const cdx = parseReport(load('cyclonedx', 'bom-examples_vex-cisa-case-3_cdx1.4.json'));
  assert.deepEqual([cdx.findings.length, cdx.triage.length], [19, 19]); // SOURCES.md: 19 vulns
  const juice = load('trivy', 'securecodebox_juice-shop-v10.2.0.json.gz');
  const vulns = juice.Results.reduce((n: number, r: Raw) => n + (r.Vulnerabilities?.length ?? 0), 0);
  assert.equal(vulns, 236); // SOURCES.md
  assert.equal(parseReport(juice).findings.length, vulns);
  const nginx = load('grype', 'kubevuln_nginx-1.14.1.json.gz');
  assert.equal(parseReport(nginx).findings.length, nginx.matches.length);
});

for (const dir of ['k8s-admission', 'registry-notifications']) {
  for (const file of list(dir)) {
    test(`${dir}/${file} is not a scan report`, () => {
      const json = load(dir, file);
      assert.equal(detectFormat(json), null);
      assert.throws(() => parseReport(json), isUnrecognised);
    });
  }
}

test('values that are no report at all are unrecognised', () => {
  const values: unknown[] = [{}, [], null, undefined, 42, 'CycloneDX', true, [{ bomFormat: 'CycloneDX' }]];
  const nearMisses: unknown[] = [
    { bomFormat: 'cyclonedx' },
    { version: '2.1.0' },
    { version: '2.1', runs: [] },
    { SchemaVersion: 2 },
    { Results: [] },
    { matches: [] },
    { matches: [], descriptor: { name: 'syft' } },
    { manifest_hash: 'sha256:0' },
    { vulnerabilities: {} },
  ];
  for (const json of [...values, ...nearMisses]) {
    assert.equal(detectFormat(json), null, JSON.stringify(json));
    assert.throws(() => parseReport(json), isUnrecognised, JSON.stringify(json));
  }
});

test('each format is recognised by its markers alone', () => {
  const D = `sha256:${'0'.repeat(64)}`;
  const cases: Array<[unknown, ReportFormat]> = [
    [{ SchemaVersion: 2, Results: [] }, 'trivy'],
    [{ SchemaVersion: 2, ArtifactName: 'scratch' }, 'trivy'], // Results omitted when empty (omitempty)
    [{ matches: [], descriptor: { name: 'grype' } }, 'grype'],
    [{ bomFormat: 'CycloneDX' }, 'cyclonedx'],
    [{ version: '2.1.0', runs: [] }, 'sarif'],
    [{ manifest_hash: D, vulnerabilities: {} }, 'clair'],
  ];
  for (const [json, format] of cases) assert.equal(detectFormat(json), format, JSON.stringify(json));
});

test('a recognised but malformed report is its parser\'s ReportError, never a TypeError', () => {
  const D = `sha256:${'0'.repeat(64)}`;
  const malformed: unknown[] = [
    { SchemaVersion: 2, Results: 'none' },
    { SchemaVersion: 2, Results: [null] },
    { SchemaVersion: 2, Results: [{ Vulnerabilities: [5] }] },
    { matches: 'none', descriptor: { name: 'grype' } },
    { matches: [null], descriptor: { name: 'grype' } },
    { matches: [{}], descriptor: { name: 'grype' } },
    { bomFormat: 'CycloneDX', vulnerabilities: 'none' },
    { bomFormat: 'CycloneDX', vulnerabilities: [{ affects: [] }] },
    { version: '2.1.0', runs: 'none' },
    { version: '2.1.0', runs: [{ tool: { driver: {} }, results: [{}] }] },
    { manifest_hash: D, vulnerabilities: 'none' },
    { manifest_hash: 5, vulnerabilities: {} },
    { manifest_hash: D, vulnerabilities: {}, package_vulnerabilities: { p: ['missing'] } },
  ];
  for (const json of malformed) {
    assert.throws(
      () => parseReport(json),
      (e: unknown) => e instanceof ReportError && e.message.length > 20 && e.message !== UNRECOGNISED,
      JSON.stringify(json),
    );
  }
});
