import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGrype } from './grype-parser.js';
import { ReportError, type FixState, type ParsedReport } from './report-types.js';
import { mutations } from '../../../test/support/mutations.js';
import { fixtureFolder, countBy } from '../../../test/support/fixtures.js';
const { files, skip, needs, load } = fixtureFolder('grype');

// The raw shape, only as far as the expectations below read it.
interface RawCvss {
  metrics?: { baseScore?: number };
}
interface RawMatch {
  vulnerability: {
    id: string;
    severity?: string;
    dataSource?: string;
    urls?: string[];
    cvss?: RawCvss[];
    fix?: { versions?: string[]; state?: string };
  };
  relatedVulnerabilities?: Array<{ cvss?: RawCvss[] }>;
  artifact: { name: string; version?: string; locations?: Array<{ path?: string }> };
}
type RawTarget = string | { userInput?: string; manifestDigest?: string; repoDigests?: string[] };
interface RawGrype {
  matches: RawMatch[];
  source?: { target?: RawTarget };
  descriptor: { name: string; version?: string };
}


const counts = (report: ParsedReport, key: 'severity' | 'fixState') => countBy(report.findings.map((f) => f[key]));
const isDigest = (d: unknown): d is string => typeof d === 'string' && /^sha256:[a-f0-9]{64}$/.test(d);

// Grype's fix.state words; "" and anything else is unknown.
const fixOfState: Record<string, FixState> = { fixed: 'fixed', 'not-fixed': 'not_fixed', 'wont-fix': 'wont_fix' };
const expectedFix = (m: RawMatch): FixState => fixOfState[m.vulnerability.fix?.state ?? ''] ?? 'unknown';
const expectedSeverity = (m: RawMatch): string => m.vulnerability.severity ?? 'Unknown';
const expectedCvss = (m: RawMatch): number | null => {
  const all = [m.vulnerability, ...(m.relatedVulnerabilities ?? [])].flatMap((v) => v.cvss ?? []);
  const scores = all.map((c) => c.metrics?.baseScore).filter((s): s is number => typeof s === 'number');
  return scores.length > 0 ? Math.max(...scores) : null;
};

// Figures from SOURCES.md, checked on top of the ones computed from each file.
const documented: Record<string, { total: number; fix?: Partial<Record<FixState, number>>; unknownSeverity?: number }> =
  {
    'kubevuln_alpine-by-digest.json': { total: 20, fix: { fixed: 20 } },
    'kubevuln_nginx-1.14.1.json.gz': { total: 456, fix: { fixed: 186, not_fixed: 120, wont_fix: 150 } },
    'defectdojo_issue_9618_rhel8-rpm-java.json': { total: 35, unknownSeverity: 1 },
    'defectdojo_busybox-binary-epss.json': { total: 15, fix: { unknown: 14, fixed: 1 } },
    'defectdojo_check_all_fields_debian-python.json': { total: 6 },
    'analysis-model_gitea-alpine-gomod.json': { total: 33, fix: { fixed: 22, unknown: 11 } },
    'grype-golden_TestJsonImgsPresenter.json': { total: 2 },
    'grype-golden_TestEmptyJsonPresenter_no-matches.json': { total: 0 },
  };

if (skip) test('Grype fixtures', { skip }, () => {});

for (const file of files) {
  test(`parseGrype reads ${file}`, () => {
    const raw = load(file) as RawGrype;
    const report = parseGrype(raw);

    assert.equal(report.format, 'grype');
    assert.equal(report.findings.length, raw.matches.length);
    assert.deepEqual(counts(report, 'severity'), countBy(raw.matches.map(expectedSeverity)));
    assert.deepEqual(counts(report, 'fixState'), countBy(raw.matches.map(expectedFix)));
    assert.deepEqual(
      report.findings.map((f) => `${f.vulnerabilityId} ${f.package} ${f.location}`),
      raw.matches.map((m) => `${m.vulnerability.id} ${m.artifact.name} ${m.artifact.locations?.[0]?.path ?? null}`),
    );
    assert.deepEqual(report.scanner, { name: raw.descriptor.name, version: raw.descriptor.version ?? null });
    assert.deepEqual(report.triage, []);

    const target = raw.source?.target;
    if (typeof target === 'object') {
      const repoDigests = target.repoDigests ?? [];
      const digests = [target.manifestDigest, ...repoDigests.map((r) => r.split('@')[1])].filter(isDigest);
      const reference = target.userInput ?? null;
      assert.deepEqual(report.image, { reference, digests: [...new Set(digests)], repoDigests });
    } else {
      assert.deepEqual(report.image, { reference: target ?? null, digests: [], repoDigests: [] });
    }

    const [first] = raw.matches;
    const found = report.findings[0];
    if (first && found) {
      assert.equal(found.vulnerabilityId, first.vulnerability.id);
      assert.equal(found.package, first.artifact.name);
      assert.equal(found.installedVersion, first.artifact.version ?? null);
      assert.equal(found.fixedVersion, first.vulnerability.fix?.versions?.join(', ') || null);
      assert.equal(found.fixState, expectedFix(first));
      assert.equal(found.cvss, expectedCvss(first));
      assert.equal(found.link, first.vulnerability.dataSource || first.vulnerability.urls?.[0] || null);
    }

    const expected = documented[file];
    if (expected) {
      assert.equal(report.findings.length, expected.total);
      for (const [state, n] of Object.entries(expected.fix ?? {})) assert.equal(counts(report, 'fixState')[state], n);
      if (expected.unknownSeverity) assert.equal(counts(report, 'severity').Unknown, expected.unknownSeverity);
    }
  });
}

const issue9618 = 'defectdojo_issue_9618_rhel8-rpm-java.json';
test('issue_9618: the match without a severity key is Unknown', needs(issue9618), () => {
  const raw = load(issue9618) as RawGrype;
  const index = raw.matches.findIndex((m) => !('severity' in m.vulnerability));
  assert.notEqual(index, -1);
  assert.equal(parseGrype(raw).findings[index]?.severity, 'Unknown');
});

const byDigest = 'kubevuln_alpine-by-digest.json';
test('alpine by digest: manifest digest and repo digest are one digest', needs(byDigest), () => {
  const digest = 'sha256:e2e16842c9b54d985bf1ef9242a313f36b856181f188de21313820e177002501';
  assert.deepEqual(parseGrype(load(byDigest)).image, {
    reference: `alpine@${digest}`,
    digests: [digest],
    repoDigests: [`index.docker.io/library/alpine@${digest}`],
  });
});

test('nginx: "<<PRESENCE>>" placeholders do not disturb the report', needs('kubevuln_nginx-1.14.1.json.gz'), () => {
  const report = parseGrype(load('kubevuln_nginx-1.14.1.json.gz'));
  assert.deepEqual(report.image.digests, [
    'sha256:6db649d8a1f720b6c59469c1c61c95fc3d332e437d457106a66b975515e75128',
    'sha256:32fdf92b4e986e109e4db0865758020cb0c3b70d6ba80d02fe87bad5cc3dc228',
  ]);
  assert.ok(!JSON.stringify(report).includes('<<PRESENCE>>'));
});

const golden = 'grype-golden_TestJsonImgsPresenter.json';
test('synthetic golden: empty dataSource falls through, fix versions are joined', needs(golden), () => {
  const [first, second] = parseGrype(load(golden)).findings;
  assert.deepEqual([first?.link, first?.fixedVersion, first?.cvss], [null, '1.2.1, 2.1.3, 3.4.0', 8.2]);
  assert.deepEqual([second?.fixState, second?.fixedVersion], ['unknown', null]);
});

const match = (vulnerability: unknown = { id: 'CVE-2024-0001' }, artifact: unknown = { name: 'openssl' }) => ({
  vulnerability,
  artifact,
});
const report = (...matches: unknown[]) => ({ descriptor: { name: 'grype' }, source: {}, matches });

test('placeholder or malformed digests are ignored, never a crash', () => {
  const target = { userInput: 'x', manifestDigest: '<<PRESENCE>>', repoDigests: ['<<PRESENCE>>', 'x@sha256:ABC'] };
  const parsed = parseGrype({ ...report(), source: { type: 'image', target } });
  assert.deepEqual(parsed.image, { reference: 'x', digests: [], repoDigests: ['<<PRESENCE>>', 'x@sha256:ABC'] });
});

test('a match with no fix, severity or CVSS reads as unknown', () => {
  const [finding] = parseGrype(report(match())).findings;
  assert.deepEqual(finding, {
    vulnerabilityId: 'CVE-2024-0001',
    package: 'openssl',
    installedVersion: null,
    location: null,
    fixedVersion: null,
    fixState: 'unknown',
    severity: 'Unknown',
    cvss: null,
    link: null,
    description: null,
  });
});

const malformed: Array<[input: unknown, message: RegExp]> = [
  [null, /^Grype report: the document must be a JSON object, but it is null\.$/],
  [[], /JSON object, but it is an array/],
  ['x', /JSON object, but it is the string "x"/],
  [{}, /descriptor\.name must be "grype", but it is missing/],
  [{ descriptor: { name: 'syft' }, matches: [] }, /descriptor\.name must be "grype", but it is the string "syft"/],
  [{ descriptor: { name: 'grype' } }, /^Grype report: matches must be an array, but it is missing\.$/],
  [report(null), /matches\[0\] must be an object, but it is null/],
  [report({ artifact: { name: 'x' } }), /matches\[0\]\.vulnerability must be an object, but it is missing/],
  [report(match(), match({ id: 'CVE-1' }, 'x')), /matches\[1\]\.artifact must be an object, but it is the string/],
  [report(match({ severity: 'High' })), /matches\[0\]\.vulnerability\.id must be a non-empty string, but it is/],
  [report(match(undefined, { name: '' })), /matches\[0\]\.artifact\.name must be a non-empty string/],
];

test('malformed input is refused with a ReportError naming what is wrong', () => {
  for (const [input, message] of malformed) {
    const refused = (e: unknown) => e instanceof ReportError && message.test(e.message);
    assert.throws(() => parseGrype(input), refused, JSON.stringify(input));
  }
});

test('any field replaced by a value of another type gives findings or a ReportError, never a TypeError', () => {
  const sample = {
    descriptor: { name: 'grype', version: '0.73.4' },
    source: {
      type: 'image',
      target: { userInput: 'a:1', manifestDigest: `sha256:${'0'.repeat(64)}`, repoDigests: ['a@x'] },
    },
    matches: [
      {
        vulnerability: {
          id: 'CVE-1',
          severity: 'High',
          urls: ['u'],
          cvss: [{ metrics: { baseScore: 5 } }],
          fix: { versions: ['1'], state: 'fixed' },
        },
        relatedVulnerabilities: [{ cvss: [{ metrics: { baseScore: 7 } }], description: 'd' }],
        artifact: { name: 'p', version: '1', locations: [{ path: '/p' }] },
      },
    ],
  };
  for (const mutated of mutations(sample)) {
    try {
      parseGrype(mutated);
    } catch (e) {
      assert.ok(e instanceof ReportError, `${JSON.stringify(mutated)}: ${String(e)}`);
    }
  }
});
