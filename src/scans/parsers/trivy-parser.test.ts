import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ReportError, type FixState, type ParsedReport } from './report-types.js';
import { parseTrivy } from './trivy-parser.js';
import { mutations } from '../../../test/support/mutations.js';
import { fixtureFolder, countBy } from '../../../test/support/fixtures.js';
const { files, skip, needs, load } = fixtureFolder('trivy');

// The raw shape, only as far as the expectations below read it.
interface RawVuln {
  VulnerabilityID: string;
  PkgName: string;
  PkgPath?: string;
  InstalledVersion?: string;
  FixedVersion?: string;
  Status?: string;
  Severity?: string;
  CVSS?: Record<string, { V2Score?: number; V3Score?: number; V40Score?: number }>;
  PrimaryURL?: string;
  References?: string[];
}
interface RawTrivy {
  ArtifactName?: string;
  ArtifactType?: string;
  Trivy?: { Version?: string };
  Metadata?: { RepoTags?: string[] | null; RepoDigests?: string[] | null; ImageID?: string };
  Results?: Array<{ Target: string; Vulnerabilities?: RawVuln[] }>;
}


const counts = (report: ParsedReport, key: 'severity' | 'fixState') => countBy(report.findings.map((f) => f[key]));

// The brief's Status table, written out again so the test does not borrow the parser's.
const fixOfStatus: Record<string, FixState> = {
  fixed: 'fixed', affected: 'not_fixed', under_investigation: 'not_fixed', fix_deferred: 'not_fixed',
  will_not_fix: 'wont_fix', end_of_life: 'wont_fix', not_affected: 'unknown', unknown: 'unknown',
};
const expectedFix = (v: RawVuln): FixState =>
  v.Status === undefined ? (v.FixedVersion ? 'fixed' : 'unknown') : (fixOfStatus[v.Status] ?? 'unknown');
// "MEDIUM" → "Medium"; Trivy's words are Quay's, upper-cased.
const expectedSeverity = (v: RawVuln): string =>
  v.Severity ? v.Severity[0] + v.Severity.slice(1).toLowerCase() : 'Unknown';
const expectedCvss = (v: RawVuln): number | null => {
  const scores = Object.values(v.CVSS ?? {}).flatMap((c) => [c.V2Score, c.V3Score, c.V40Score]);
  const numbers = scores.filter((s): s is number => typeof s === 'number');
  return numbers.length > 0 ? Math.max(...numbers) : null;
};

// Figures from SOURCES.md, checked on top of the ones computed from each file.
const documented: Record<string, { total: number; fix?: Partial<Record<FixState, number>> }> = {
  'trivy-golden_alpine-310.json': { total: 4, fix: { fixed: 4 } },
  'trivy-golden_debian-stretch.json': { total: 5, fix: { fixed: 4, wont_fix: 1 } },
  'trivy-golden_ubi-7-comprehensive.json': { total: 2, fix: { fixed: 1, wont_fix: 1 } },
  'trivy-golden_fluentd-gems.json': { total: 2 },
  'trivy-golden_sl-micro-rancher5.4_no-vulns.json': { total: 0 },
  'securecodebox_juice-shop-v10.2.0.json.gz': { total: 236, fix: { fixed: 227, not_fixed: 9 } },
  'defectdojo_all_statuses.json': { total: 8, fix: { fixed: 1, not_fixed: 3, wont_fix: 2, unknown: 2 } },
  'defectdojo_cvssv4_severity_source.json': { total: 3 },
};

if (skip) test('Trivy fixtures', { skip }, () => {});

for (const file of files) {
  test(`parseTrivy reads ${file}`, () => {
    const raw = load(file) as RawTrivy;
    const report = parseTrivy(raw);
    const pairs = (raw.Results ?? []).flatMap((r) => (r.Vulnerabilities ?? []).map((v) => ({ target: r.Target, v })));
    const vulns = pairs.map((p) => p.v);

    assert.equal(report.format, 'trivy');
    assert.equal(report.findings.length, vulns.length);
    assert.deepEqual(counts(report, 'severity'), countBy(vulns.map(expectedSeverity)));
    assert.deepEqual(counts(report, 'fixState'), countBy(vulns.map(expectedFix)));
    assert.deepEqual(
      report.findings.map((f) => `${f.vulnerabilityId} ${f.package} ${f.location}`),
      pairs.map(({ target, v }) => `${v.VulnerabilityID} ${v.PkgName} ${v.PkgPath || target}`),
    );
    assert.deepEqual(report.scanner, { name: 'trivy', version: raw.Trivy?.Version ?? null });
    assert.deepEqual(report.triage, []);

    const repoDigests = (raw.Metadata?.RepoDigests ?? []).filter((d) => d !== '');
    assert.deepEqual(report.image.repoDigests, repoDigests);
    const digests = repoDigests.map((d) => d.split('@')[1] ?? '').filter((d) => /^sha256:[a-f0-9]{64}$/.test(d));
    assert.deepEqual(report.image.digests, [...new Set(digests)]);
    const imageId = raw.Metadata?.ImageID;
    if (imageId) assert.ok(!report.image.digests.includes(imageId), 'ImageID is a config digest');

    const first = pairs[0];
    const found = report.findings[0];
    if (first && found) {
      const { v } = first;
      assert.equal(found.vulnerabilityId, v.VulnerabilityID);
      assert.equal(found.package, v.PkgName);
      assert.equal(found.installedVersion, v.InstalledVersion ?? null);
      assert.equal(found.fixedVersion, v.FixedVersion || null);
      assert.equal(found.fixState, expectedFix(v));
      assert.equal(found.cvss, expectedCvss(v));
      assert.equal(found.link, v.PrimaryURL ?? v.References?.[0] ?? null);
    }

    const expected = documented[file];
    if (expected) {
      assert.equal(report.findings.length, expected.total);
      for (const [state, n] of Object.entries(expected.fix ?? {})) assert.equal(counts(report, 'fixState')[state], n);
    }
  });
}

test('all_statuses: one vulnerability per Trivy Status, each mapped', needs('defectdojo_all_statuses.json'), () => {
  const raw = load('defectdojo_all_statuses.json') as RawTrivy;
  const vulns = raw.Results?.[0]?.Vulnerabilities ?? [];
  assert.deepEqual(vulns.map((v) => v.Status).sort(), Object.keys(fixOfStatus).sort());
  const report = parseTrivy(raw);
  for (const [i, v] of vulns.entries()) assert.equal(report.findings[i]?.fixState, fixOfStatus[v.Status ?? '']);
  // DefectDojo blanked the name and digests: nothing usable is left, and "" must not become a reference.
  assert.deepEqual(report.image, { reference: null, digests: [], repoDigests: [] });
  // Its "fixed" vulnerability lost its FixedVersion: Status still says fixed.
  const fixed = report.findings.find((f) => f.vulnerabilityId === 'CVE-2018-1000876');
  assert.deepEqual([fixed?.fixState, fixed?.fixedVersion], ['fixed', null]);
});

const juiceShop = 'securecodebox_juice-shop-v10.2.0.json.gz';
test('juice-shop: image named by its tag and pinned by its RepoDigest', needs(juiceShop), () => {
  const report = parseTrivy(load(juiceShop));
  assert.deepEqual(report.image, {
    reference: 'bkimminich/juice-shop:v10.2.0',
    digests: ['sha256:b1802758946aa40549b98ee6b8f93e9b92d0a6bf7aed139284893466be9c5065'],
    repoDigests: ['bkimminich/juice-shop@sha256:b1802758946aa40549b98ee6b8f93e9b92d0a6bf7aed139284893466be9c5065'],
  });
  assert.equal(report.scanner.version, null);
});

const cvssv4 = 'defectdojo_cvssv4_severity_source.json';
test('cvssv4: a V40Score counts, and a filesystem scan names no image', needs(cvssv4), () => {
  const report = parseTrivy(load(cvssv4));
  assert.equal(report.findings[0]?.cvss, 6.3); // ghsa V40Score 6.3 over redhat V3Score 5.3
  assert.equal(report.findings[0]?.location, 'catalina.jar');
  assert.deepEqual(report.image, { reference: null, digests: [], repoDigests: [] });
});

const vuln = (extra: Record<string, unknown> = {}) => ({
  VulnerabilityID: 'CVE-2024-0001',
  PkgName: 'openssl',
  ...extra,
});
const report = (...vulns: unknown[]) => ({ SchemaVersion: 2, Results: [{ Target: 't', Vulnerabilities: vulns }] });

test('older Trivy without Status: a FixedVersion means fixed, none means unknown', () => {
  const parsed = parseTrivy(
    report(vuln({ FixedVersion: '1.2' }), vuln({ FixedVersion: '' }), vuln({ Status: 'constructor' })),
  );
  assert.deepEqual(
    parsed.findings.map((f) => [f.fixState, f.fixedVersion]),
    [['fixed', '1.2'], ['unknown', null], ['unknown', null]],
  );
});

test('a report without Results, or a Result without Vulnerabilities, has no findings', () => {
  assert.equal(parseTrivy({ SchemaVersion: 2 }).findings.length, 0);
  assert.equal(parseTrivy({ SchemaVersion: 2, Results: [{ Target: 'x', Class: 'secret' }] }).findings.length, 0);
});

test('Metadata.RepoTags[0] names the image when ArtifactName does not', () => {
  const parsed = parseTrivy({
    SchemaVersion: 2,
    ArtifactName: '',
    ArtifactType: 'container_image',
    Metadata: { RepoTags: ['a/b:1'], RepoDigests: ['a/b@sha256:nothex', ''] },
  });
  assert.deepEqual(parsed.image, { reference: 'a/b:1', digests: [], repoDigests: ['a/b@sha256:nothex'] });
});

const malformed: Array<[input: unknown, message: RegExp]> = [
  [null, /^Trivy report: the document must be a JSON object, but it is null\.$/],
  [[], /JSON object, but it is an array/],
  ['x', /JSON object, but it is the string "x"/],
  [{}, /SchemaVersion must be 2, but it is missing/],
  [{ SchemaVersion: 1, Results: [] }, /SchemaVersion must be 2, but it is 1/],
  [{ SchemaVersion: 2, Results: 'x' }, /^Trivy report: Results must be an array, but it is the string "x"\.$/],
  [{ SchemaVersion: 2, Results: [null] }, /Results\[0\] must be an object, but it is null/],
  [{ SchemaVersion: 2, Results: [{ Vulnerabilities: {} }] }, /Results\[0\]\.Vulnerabilities must be an array/],
  [report(7), /Results\[0\]\.Vulnerabilities\[0\] must be an object, but it is 7/],
  [report({ PkgName: 'x' }), /Vulnerabilities\[0\]\.VulnerabilityID must be a non-empty string, but it is missing/],
  [report(vuln(), { VulnerabilityID: 'CVE-1', PkgName: '' }), /Vulnerabilities\[1\]\.PkgName must be a non-empty/],
];

test('malformed input is refused with a ReportError naming what is wrong', () => {
  for (const [input, message] of malformed) {
    const refused = (e: unknown) => e instanceof ReportError && message.test(e.message);
    assert.throws(() => parseTrivy(input), refused, JSON.stringify(input));
  }
});

test('any field replaced by a value of another type gives findings or a ReportError, never a TypeError', () => {
  const sample = {
    SchemaVersion: 2,
    ArtifactName: 'a:1',
    ArtifactType: 'container_image',
    Trivy: { Version: '0.50.0' },
    Metadata: { RepoTags: ['a:1'], RepoDigests: [`a@sha256:${'0'.repeat(64)}`] },
    Results: [
      { Target: 't', Vulnerabilities: [vuln({ Status: 'fixed', CVSS: { nvd: { V3Score: 5 } }, References: ['u'] })] },
    ],
  };
  for (const mutated of mutations(sample)) {
    try {
      parseTrivy(mutated);
    } catch (e) {
      assert.ok(e instanceof ReportError, `${JSON.stringify(mutated)}: ${String(e)}`);
    }
  }
});
