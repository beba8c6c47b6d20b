import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseClair } from './clair-parser.js';
import { ReportError, type ParsedReport } from './report-types.js';
import { mutations } from '../../../test/support/mutations.js';
import { fixtureFolder, countBy } from '../../../test/support/fixtures.js';
const { files, skip, needs, load } = fixtureFolder('clair');

// The raw shape, only as far as the expectations below read it.
interface RawVuln {
  id: string;
  name?: string;
  links?: string;
  severity?: string;
  normalized_severity?: string;
  fixed_in_version?: string;
}
interface RawClair {
  manifest_hash?: string;
  vulnerabilities: Record<string, RawVuln>;
  packages: Record<string, { name: string; version?: string }>;
  package_vulnerabilities: Record<string, string[]>;
  enrichments?: Record<string, Array<Record<string, Array<{ baseScore?: number }>>>>;
}


const counts = (report: ParsedReport, key: 'severity' | 'fixState') => countBy(report.findings.map((f) => f[key]));

/** Highest clair.cvss baseScore per vulnerability id. */
function scores(raw: RawClair): Map<string, number> {
  const best = new Map<string, number>();
  for (const [type, maps] of Object.entries(raw.enrichments ?? {})) {
    if (!type.includes('clair.cvss')) continue;
    for (const [id, records] of maps.flatMap((m) => Object.entries(m))) {
      for (const { baseScore } of records) {
        if (baseScore !== undefined) best.set(id, Math.max(baseScore, best.get(id) ?? 0));
      }
    }
  }
  return best;
}
// Quay's rule: Clair's normalized severity, and for Unknown the CVSS v3 rating of the enrichment's score.
function expectedSeverity(v: RawVuln, score: number | undefined): string {
  if (v.normalized_severity && v.normalized_severity !== 'Unknown') return v.normalized_severity;
  if (score === undefined) return 'Unknown';
  return score >= 9 ? 'Critical' : score >= 7 ? 'High' : score >= 4 ? 'Medium' : score > 0 ? 'Low' : 'Negligible';
}
// "" is no fix, and so is Debian's "0:0" (claircore matches it as "every version affected").
const expectedFixed = (v: RawVuln): string | null =>
  ['', '0', '0:0'].includes(v.fixed_in_version ?? '') ? null : (v.fixed_in_version ?? null);
const expectedId = (v: RawVuln): string => /CVE-\d{4}-\d+/.exec(v.name ?? '')?.[0] ?? v.name?.split(' ')[0] ?? v.id;

// Figures from SOURCES.md, checked on top of the ones computed from each file.
const documented: Record<string, { total: number; packages: number; vulnerablePackages: number }> = {
  'clair-action_debian-stretch_vulnerability-report.json.gz': { total: 212, packages: 83, vulnerablePackages: 41 },
  'clair-action_report-with-vulns.json.gz': { total: 3, packages: 222, vulnerablePackages: 2 },
};

if (skip) test('Clair fixtures', { skip }, () => {});

for (const file of files) {
  test(`parseClair reads ${file}`, () => {
    const raw = load(file) as RawClair;
    // Decided from the content: a file without manifest_hash is not a report, and must be refused.
    if (typeof raw.manifest_hash !== 'string') {
      assert.throws(() => parseClair(raw), ReportError);
      return;
    }
    const report = parseClair(raw);
    const best = scores(raw);
    const pairs = Object.entries(raw.package_vulnerabilities).flatMap(([pkgId, ids]) =>
      ids.map((id) => ({ pkg: raw.packages[pkgId], vuln: raw.vulnerabilities[id], score: best.get(id) })),
    );

    assert.equal(report.format, 'clair');
    assert.equal(report.findings.length, pairs.length);
    assert.deepEqual(counts(report, 'severity'), countBy(pairs.map((p) => expectedSeverity(p.vuln!, p.score))));
    const fixStates = pairs.map((p) => (expectedFixed(p.vuln!) ? 'fixed' : 'unknown'));
    assert.deepEqual(counts(report, 'fixState'), countBy(fixStates));
    assert.deepEqual(
      report.findings.map((f) => `${f.vulnerabilityId} ${f.package} ${f.installedVersion}`),
      pairs.map((p) => `${expectedId(p.vuln!)} ${p.pkg?.name} ${p.pkg?.version}`),
    );
    assert.deepEqual(report.scanner, { name: 'clair', version: null });
    const digests = /^sha256:[a-f0-9]{64}$/.test(raw.manifest_hash) ? [raw.manifest_hash] : [];
    assert.deepEqual(report.image, { reference: null, digests, repoDigests: [] });
    assert.deepEqual(report.triage, []);

    const [first] = pairs;
    const found = report.findings[0];
    if (first && found) {
      assert.equal(found.vulnerabilityId, expectedId(first.vuln!));
      assert.equal(found.package, first.pkg?.name);
      assert.equal(found.installedVersion, first.pkg?.version);
      assert.equal(found.fixedVersion, expectedFixed(first.vuln!));
      assert.equal(found.cvss, first.score ?? null);
      assert.equal(found.link, first.vuln?.links?.split(' ')[0] || null);
    }

    const expected = documented[file];
    if (expected) {
      assert.equal(report.findings.length, expected.total);
      assert.equal(Object.keys(raw.packages).length, expected.packages);
      assert.equal(Object.keys(raw.package_vulnerabilities).length, expected.vulnerablePackages);
    }
  });
}

const apiExample = 'clair_api-example_vulnerability.json';
test('the API example is one vulnerability, not a report, and is refused', needs(apiExample), () => {
  const message = /^Clair report: manifest_hash is missing: this is a single Clair vulnerability, not a vulnerability/;
  const refused = (e: unknown) => e instanceof ReportError && message.test(e.message);
  assert.throws(() => parseClair(load(apiExample)), refused);
});

const debian = 'clair-action_debian-stretch_vulnerability-report.json.gz';
test('debian stretch: "CVE-… package" names, "0:0" fixes and CVSS-graded severities', needs(debian), () => {
  const report = parseClair(load(debian));
  const finding = report.findings.find((f) => f.vulnerabilityId === 'CVE-2022-23219');
  assert.ok(finding, 'the "CVE-2022-23219 glibc" vulnerability is found by its CVE');
  assert.deepEqual([finding.fixedVersion, finding.fixState, finding.cvss], [null, 'unknown', 9.8]);
  assert.equal(finding.severity, 'Critical');
  assert.equal(finding.location, 'var/lib/dpkg/status');
  assert.equal(finding.link, 'https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2022-23219');
});

const pyup = 'clair-action_report-with-vulns.json.gz';
test('pyup.io: "pyup.io-NNN (CVE-…)" names read as the CVE, empty links as null', needs(pyup), () => {
  const report = parseClair(load(pyup));
  const ids = report.findings.map((f) => f.vulnerabilityId).sort();
  assert.deepEqual(ids, ['CVE-2020-28463', 'CVE-2021-28363', 'CVE-2021-3572']);
  assert.ok(report.findings.every((f) => f.link === null && f.cvss === null && f.severity === 'Unknown'));
  const packages = report.findings.map((f) => `${f.package} ${f.installedVersion}`).sort();
  assert.deepEqual(packages, ['pip 19.3.1', 'pip 19.3.1', 'reportlab 3.5.55']);
});

const HASH = `sha256:${'ab'.repeat(32)}`;
const openssl = { p1: { id: 'p1', name: 'openssl', version: '1.1' } };
const sample = (vuln: Record<string, unknown>, packages: unknown = openssl) => ({
  manifest_hash: HASH,
  packages,
  vulnerabilities: { v1: { id: 'v1', name: 'CVE-2024-0001', ...vuln } },
  package_vulnerabilities: { p1: ['v1'] },
  enrichments: {},
});

test('a named severity wins over the CVSS score; a URL-encoded fixed version is read', () => {
  const type = 'message/vnd.clair.map.vulnerability; enricher=clair.cvss schema=x';
  const vuln = { normalized_severity: 'Low', fixed_in_version: 'fixed=1.2.3&introduced=1.0' };
  const [finding] = parseClair({ ...sample(vuln), enrichments: { [type]: [{ v1: [{ baseScore: 9.8 }] }] } }).findings;
  const read = [finding?.severity, finding?.cvss, finding?.fixedVersion, finding?.fixState];
  assert.deepEqual(read, ['Low', 9.8, '1.2.3', 'fixed']);
});

test('links give their first URL; a package missing from packages comes from the vulnerability', () => {
  const links = 'https://a.example/1 https://b.example/2';
  const input = sample({ links, package: { name: 'glibc', version: '' } }, null);
  const [finding] = parseClair(input).findings;
  const read = [finding?.link, finding?.package, finding?.installedVersion];
  assert.deepEqual(read, ['https://a.example/1', 'glibc', null]);
  assert.deepEqual(parseClair({ ...input, manifest_hash: 'sha256:short' }).image.digests, []);
});

const malformed: Array<[input: unknown, message: RegExp]> = [
  [null, /^Clair report: the document must be a JSON object, but it is null\.$/],
  [[], /JSON object, but it is an array/],
  ['x', /JSON object, but it is the string "x"/],
  [{}, /manifest_hash must be a string, but it is missing/],
  [{ manifest_hash: HASH }, /^Clair report: vulnerabilities must be an object, but it is missing\.$/],
  [{ ...sample({}), packages: [] }, /packages must be an object, but it is an array/],
  [{ ...sample({}), package_vulnerabilities: { p1: 'v1' } }, /package_vulnerabilities\["p1"\] must be an array/],
  [{ ...sample({}), package_vulnerabilities: { p1: ['v2'] } }, /names vulnerability "v2", which is not in vulner/],
  [{ ...sample({}), package_vulnerabilities: { p1: ['__proto__'] } }, /names vulnerability "__proto__", which is not/],
  [sample({}, { p1: { name: '' } }), /package "p1" has no name/],
  [sample({ name: '', id: '' }), /a vulnerability has neither a name nor an id/],
];

test('malformed input is refused with a ReportError naming what is wrong', () => {
  for (const [input, message] of malformed) {
    const refused = (e: unknown) => e instanceof ReportError && message.test(e.message);
    assert.throws(() => parseClair(input), refused, JSON.stringify(input));
  }
});

test('any field replaced by a value of another type gives findings or a ReportError, never a TypeError', () => {
  const input = {
    ...sample({ links: 'u', description: 'd', normalized_severity: 'High', fixed_in_version: '1.2' }),
    environments: { p1: [{ package_db: 'var/lib/dpkg/status' }] },
    enrichments: { 'x; enricher=clair.cvss': [{ v1: [{ baseScore: 5 }] }] },
  };
  for (const mutated of mutations(input)) {
    try {
      parseClair(mutated);
    } catch (e) {
      assert.ok(e instanceof ReportError, `${JSON.stringify(mutated)}: ${String(e)}`);
    }
  }
});
