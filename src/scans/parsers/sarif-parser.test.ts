import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReportError } from './report-types.js';
import { parseSarif } from './sarif-parser.js';
import { fixtureFolder, countBy } from '../../../test/support/fixtures.js';
const { files, skip, load } = fixtureFolder('sarif');
const count = countBy;

// Raw fixture JSON is walked with plain code, independently of the parser.
type Raw = any;

/** Each result with the text its facts are in: Trivy's message, or Grype's per-package rule help. */
function rawResults(log: Raw): Array<{ result: Raw; rule: Raw; lines: string[] }> {
  return log.runs.flatMap((run: Raw) =>
    (run.results ?? []).map((result: Raw) => {
      const rule = run.tool.driver.rules?.find((r: Raw) => r.id === result.ruleId);
      const message: string = result.message.text;
      const lines = (message.includes('\nPackage: ') || message.startsWith('Package: ') ? message : rule.help.text).split('\n');
      return { result, rule, lines };
    }),
  );
}
const line = (lines: string[], ...keys: string[]): string | undefined =>
  lines.find((l) => keys.some((k) => l.startsWith(`${k}:`)))?.replace(/^[^:]+:\s*/, '');
const rawSeverity = (lines: string[]): string => {
  const word = (line(lines, 'Severity') ?? 'unknown').toLowerCase();
  return word.charAt(0).toUpperCase() + word.slice(1);
};
const rawFixState = (lines: string[]): string => {
  const fixed = line(lines, 'Fixed Version', 'Fix Version');
  return fixed === undefined ? 'unknown' : fixed === '' ? 'not_fixed' : 'fixed';
};

// What SOURCES.md says about each file, checked against the raw file and the parser.
const documented: Record<string, { rules: number; results: number; levels: Record<string, number>; scanner: string }> = {
  'trivy-golden_alpine-310.sarif.json': { rules: 2, results: 4, levels: { warning: 4 }, scanner: 'Trivy dev' },
  'trivy-action_trivy-0.29.2_vuln-image-1.2.3.sarif.json': {
    rules: 54,
    results: 80,
    levels: { error: 51, warning: 26, note: 3 },
    scanner: 'Trivy 0.29.2',
  },
  'trivy-action_trivy-0.43.1_vuln-image-1.2.3_critical.sarif.json': {
    rules: 1,
    results: 1,
    levels: { error: 1 },
    scanner: 'Trivy 0.43.1',
  },
  'grype-golden_image.sarif.json': { rules: 2, results: 2, levels: { note: 1, error: 1 }, scanner: 'grype 0.0.0-dev' },
};

test('every SARIF fixture is described in SOURCES.md', { skip }, () => {
  assert.deepEqual(files, Object.keys(documented).sort());
});

for (const file of files) {
  test(`SARIF fixture ${file}`, () => {
    const log = load(file);
    const report = parseSarif(log);
    const doc = documented[file]!;
    const raw = rawResults(log);
    const driver = log.runs[0].tool.driver;
    assert.equal(driver.rules.length, doc.rules);
    assert.deepEqual(count(raw.map((r) => r.result.level)), doc.levels);

    assert.equal(report.format, 'sarif');
    assert.equal(report.findings.length, doc.results);
    assert.equal(report.findings.length, raw.length);
    assert.deepEqual(count(report.findings.map((f) => f.severity)), count(raw.map((r) => rawSeverity(r.lines))));
    assert.deepEqual(count(report.findings.map((f) => f.fixState)), count(raw.map((r) => rawFixState(r.lines))));
    assert.deepEqual(report.scanner, { name: driver.name, version: driver.version });
    assert.equal(`${driver.name} ${driver.version}`, doc.scanner);

    const repoDigests: string[] = log.runs.flatMap((run: Raw) => run.properties?.repoDigests ?? []);
    assert.deepEqual(report.image.repoDigests, repoDigests);
    assert.deepEqual(report.image.digests, repoDigests.map((d) => d.split('@')[1]));
    assert.equal(report.image.reference, log.runs[0].properties?.imageName ?? null);

    const { result, lines } = raw[0]!;
    const first = report.findings[0]!;
    assert.equal(first.location, result.locations[0].physicalLocation.artifactLocation.uri);
    assert.equal(first.package, line(lines, 'Package'));
    assert.equal(first.installedVersion, line(lines, 'Installed Version', 'Version'));
    assert.ok(result.ruleId.startsWith(first.vulnerabilityId), `${result.ruleId} names ${first.vulnerabilityId}`);
    assert.equal(first.severity, rawSeverity(lines));
  });
}

test('fixture details: ids, fixes, links, scores', { skip }, () => {
  const grype = parseSarif(load('grype-golden_image.sarif.json')).findings;
  assert.deepEqual(
    grype.map((f) => [f.vulnerabilityId, f.package, f.installedVersion, f.fixedVersion, f.fixState, f.severity, f.cvss, f.link]),
    [
      // The help text says "low" while security-severity is 8.2 (synthetic data); the Severity line wins.
      ['CVE-1999-0001', 'package-1', '1.1.1', '1.2.1, 2.1.3, 3.4.0', 'fixed', 'Low', 8.2, null],
      ['CVE-1999-0002', 'package-2', '2.2.2', null, 'not_fixed', 'Critical', 8.5, null],
    ],
  );
  const old = parseSarif(load('trivy-action_trivy-0.29.2_vuln-image-1.2.3.sarif.json')).findings;
  const tempdir = old.find((f) => f.vulnerabilityId === 'RUSTSEC-2018-0017');
  // "Severity: UNKNOWN" and security-severity "0.0": Unknown, and no CVSS score.
  assert.deepEqual(
    [tempdir?.package, tempdir?.severity, tempdir?.cvss, tempdir?.fixState, tempdir?.location, tempdir?.link],
    ['tempdir', 'Unknown', null, 'not_fixed', 'rust-app/Cargo.lock', 'https://osv.dev/vulnerability/RUSTSEC-2018-0017'],
  );
  const alpine = parseSarif(load('trivy-golden_alpine-310.sarif.json')).findings[0];
  assert.deepEqual([alpine?.cvss, alpine?.fixedVersion], [5.3, '1.1.1d-r0']);
  assert.match(alpine?.description ?? '', /^OpenSSL 1\.1\.1 introduced/);
});

const run = (results: unknown[], rules: unknown[] = [], properties?: unknown): unknown => ({
  version: '2.1.0',
  runs: [{ tool: { driver: { name: 'Trivy', version: '0.50.0', rules } }, results, properties }],
});

test('severity falls back to security-severity, then to the level; non-vulnerability results are skipped', () => {
  const rules = [
    { id: 'CVE-1', properties: { 'security-severity': '9.1', tags: ['vulnerability'] } },
    { id: 'CVE-2' },
    { id: 'aws-access-key-id', properties: { tags: ['secret', 'security', 'CRITICAL'] } },
  ];
  const results = ['CVE-1', 'CVE-2', 'aws-access-key-id'].map((ruleId) => ({
    ruleId,
    level: 'warning',
    message: { text: 'Package: p\nInstalled Version: 1' },
  }));
  const noneLevel = { ruleId: 'CVE-3', level: 'none', message: { text: 'Package: q' } };
  const report = parseSarif(run([...results, noneLevel], rules, { imageName: 'x:1', repoDigests: [`x@sha256:${'a'.repeat(64)}`] }));
  assert.deepEqual(
    report.findings.map((f) => [f.vulnerabilityId, f.severity, f.cvss, f.fixState]),
    [
      ['CVE-1', 'Critical', 9.1, 'unknown'],
      ['CVE-2', 'Medium', null, 'unknown'],
      ['CVE-3', 'Unknown', null, 'unknown'],
    ],
  );
  assert.deepEqual(report.image, {
    reference: 'x:1',
    digests: [`sha256:${'a'.repeat(64)}`],
    repoDigests: [`x@sha256:${'a'.repeat(64)}`],
  });
});

test('a Grype result without its rule is read from the sentence', () => {
  const text = 'A high vulnerability in deb package: libfoo, version 1.0-1 was found in image alpine at: /lib/foo';
  const report = parseSarif(run([{ ruleId: 'CVE-9-libfoo', message: { text } }]));
  const f = report.findings[0];
  assert.deepEqual([f?.vulnerabilityId, f?.package, f?.installedVersion, f?.severity], ['CVE-9', 'libfoo', '1.0-1', 'High']);
});

test('empty logs and runs are valid reports with no findings', () => {
  assert.equal(parseSarif({ version: '2.1.0', runs: [] }).findings.length, 0);
  assert.deepEqual(parseSarif({ version: '2.1.0', runs: [] }).scanner, { name: 'sarif', version: null });
  assert.equal(parseSarif(run([])).findings.length, 0);
  assert.equal(parseSarif({ version: '2.1.0', runs: [{ tool: { driver: { name: 'x' } }, results: null }] }).findings.length, 0);
});

test('malformed input is a ReportError naming the problem', () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be a JSON object/],
    ['{}', /must be a JSON object/],
    [{ runs: [] }, /version is undefined/],
    [{ version: '2.0.0', runs: [] }, /version is "2\.0\.0"/],
    [{ version: '2.1.0' }, /needs a "runs" array/],
    [{ version: '2.1.0', runs: {} }, /needs a "runs" array/],
    [{ version: '2.1.0', runs: [1] }, /runs\[0\] has no tool\.driver/],
    [{ version: '2.1.0', runs: [{ tool: {} }] }, /runs\[0\] has no tool\.driver/],
    [{ version: '2.1.0', runs: [{ tool: { driver: {} }, results: {} }] }, /runs\[0\]\.results must be an array/],
    [run([null]), /results\[0\] is not an object/],
    [run([{ message: { text: 'x' } }]), /results\[0\] has no ruleId/],
  ];
  for (const [json, message] of bad) {
    assert.throws(() => parseSarif(json), (e: unknown) => e instanceof ReportError && message.test(e.message));
  }
  // Odd but harmless shapes are read as far as they go.
  const odd = parseSarif(run([{ ruleId: 'X', ruleIndex: 99, message: 5, locations: 'here', level: 7 }], [null]));
  assert.deepEqual([odd.findings[0]?.package, odd.findings[0]?.location, odd.findings[0]?.severity], ['', null, 'Unknown']);
});
