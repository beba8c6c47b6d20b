import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isVexOnly, parseCycloneDx } from './cyclonedx-parser.js';
import { ReportError } from './report-types.js';
import { fixtureFolder, countBy } from '../../../test/support/fixtures.js';
const { files, skip, load } = fixtureFolder('cyclonedx');
const count = countBy;

// Raw fixture JSON is walked with plain code, independently of the parser.
type Raw = any;
const rawVulns = (bom: Raw): Raw[] => bom.vulnerabilities ?? [];
const rawTargets = (v: Raw): Raw[] => (v.affects?.length ? v.affects : [null]);

/** The rating from the vulnerability's own source, else NVD's, else the most severe (CVSS score bands for score-only). */
function rawSeverity(v: Raw): string {
  const names = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];
  const words: Record<string, number> = { critical: 0, high: 1, medium: 2, low: 3, info: 4, none: 4 };
  const levelOf = (r: Raw): number => {
    const level = words[String(r.severity).toLowerCase()] ?? 5;
    const s = r.score;
    if (level === 5 && /^CVSS/.test(r.method ?? '') && typeof s === 'number') return s >= 9 ? 0 : s >= 7 ? 1 : s >= 4 ? 2 : s > 0 ? 3 : 4;
    return level;
  };
  const ratings: Raw[] = Array.isArray(v.ratings) ? v.ratings : [];
  for (const source of [v.source?.name, 'nvd']) {
    const own = ratings.filter((x) => typeof source === 'string' && String(x?.source?.name).toLowerCase() === source.toLowerCase());
    const level = Math.min(5, ...own.map(levelOf));
    if (level !== 5) return names[level]!;
  }
  return names[Math.min(5, ...ratings.map(levelOf))]!;
}

const rawFixState = (v: Raw, affect: Raw): string =>
  affect?.versions?.some((x: Raw) => x.status === 'unaffected') || /^Upgrade .+ to version /.test(v.recommendation ?? '')
    ? 'fixed'
    : 'unknown';

function rawComponent(bom: Raw, ref: string): Raw {
  const stack: Raw[] = [...(bom.components ?? []), bom.metadata?.component].filter(Boolean);
  for (let c = stack.pop(); c; c = stack.pop()) {
    if (c['bom-ref'] === ref) return c;
    stack.push(...(c.components ?? []));
  }
  return undefined;
}

// What SOURCES.md says about each file, checked against the raw file and the parser.
const documented: Record<string, { vulns: number; components?: number; scanner?: string }> = {
  'defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json': { vulns: 10, components: 102, scanner: 'trivy 0.48.1' },
  'trivy-golden_fluentd-image-vulns_cdx1.7.json': { vulns: 3, components: 4, scanner: 'trivy dev' },
  'trivy-golden_fluentd-image-sbom-only_cdx1.7.json': { vulns: 0, components: 161, scanner: 'trivy dev' },
  'trivy-golden_npm-repo_cdx1.7.json': { vulns: 1, components: 13, scanner: 'trivy dev' },
  'grype-golden_image_cdx1.7.json': { vulns: 2, scanner: 'grype [not provided]' },
  'defectdojo_grype-0.41.0_log4j_cdx1.4.json': { vulns: 8, scanner: 'grype 0.41.0' },
  'cdx-spec_valid-vulnerability-1.6.json': { vulns: 1, scanner: 'cyclonedx null' },
  'bom-examples_vex-cisa-case-3_cdx1.4.json': { vulns: 19, scanner: 'cyclonedx null' },
};

test('every CycloneDX fixture is described in SOURCES.md', { skip }, () => {
  assert.deepEqual(files, Object.keys(documented).sort());
});

for (const file of files) {
  test(`CycloneDX fixture ${file}`, () => {
    const bom = load(file);
    const report = parseCycloneDx(bom);
    const vulns = rawVulns(bom);
    const doc = documented[file];
    assert.equal(vulns.length, doc?.vulns, 'vulnerability count from SOURCES.md');
    if (doc?.components !== undefined) assert.equal(bom.components.length, doc.components);
    assert.equal(`${report.scanner.name} ${report.scanner.version}`, doc?.scanner);

    // One finding per (vulnerability, affected ref); a vulnerability without affects still counts once.
    const pairs = vulns.flatMap((v) => rawTargets(v).map((a) => [v, a] as const));
    assert.equal(report.format, 'cyclonedx');
    assert.equal(report.findings.length, pairs.length);
    assert.deepEqual(count(report.findings.map((f) => f.severity)), count(pairs.map(([v]) => rawSeverity(v))));
    assert.deepEqual(count(report.findings.map((f) => f.fixState)), count(pairs.map(([v, a]) => rawFixState(v, a))));
    const analysed = vulns.filter((v) => v.analysis?.state);
    assert.equal(report.triage.length, analysed.reduce((n, v) => n + rawTargets(v).length, 0));

    const first = vulns[0];
    if (first === undefined) return;
    const ref = first.affects?.[0]?.ref;
    const component = rawComponent(bom, ref);
    const finding = report.findings.find((f) => f.vulnerabilityId === first.id && f.location === ref);
    assert.ok(finding, `a finding for ${first.id} at ${ref}`);
    assert.equal(finding.severity, rawSeverity(first));
    assert.equal(finding.description, first.description ?? null);
    if (component) {
      const name = component.group ? `${component.group}/${component.name}` : component.name;
      assert.equal(finding.package, name);
      assert.equal(finding.installedVersion, component.version);
    }
  });
}

test('image digests, references and VEX recognition of each fixture', { skip }, () => {
  const ubuntu = '6042500cf4b44023ea1894effe7890666b0c5c7871ed83a97c36c76ae560bb9b';
  const images: Record<string, { digests: string[]; repoDigests: string[]; vex: boolean }> = {};
  for (const file of files) {
    const { image } = parseCycloneDx(load(file));
    images[file] = { digests: image.digests, repoDigests: image.repoDigests, vex: isVexOnly(load(file)) };
  }
  const none = { digests: [], repoDigests: [], vex: false };
  assert.deepEqual(images, {
    'bom-examples_vex-cisa-case-3_cdx1.4.json': { ...none, vex: true },
    'cdx-spec_valid-vulnerability-1.6.json': { ...none, vex: true },
    'defectdojo_grype-0.41.0_log4j_cdx1.4.json': none, // every vuln in_triage, but a Grype scan
    'defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json': {
      digests: [`sha256:${ubuntu}`], // the purl and the RepoDigest property agree: listed once
      repoDigests: [`ubuntu@sha256:${ubuntu}`],
      vex: false,
    },
    'grype-golden_image_cdx1.7.json': {
      digests: ['sha256:ca738abb87a8d58f112d3400ebb079b61ceae7dc290beb34bda735be4b1941d5'],
      repoDigests: [],
      vex: false,
    },
    'trivy-golden_fluentd-image-sbom-only_cdx1.7.json': none,
    'trivy-golden_fluentd-image-vulns_cdx1.7.json': none, // a tarball: ImageID is a config digest, not a manifest
    'trivy-golden_npm-repo_cdx1.7.json': none,
  });
  assert.equal(parseCycloneDx(load('defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json')).image.reference, 'ubuntu:latest');
});

test('fixture details: recommendations, unresolved refs, links, VEX decisions', { skip }, () => {
  const fluentd = parseCycloneDx(load('trivy-golden_fluentd-image-vulns_cdx1.7.json')).findings;
  assert.deepEqual(
    fluentd.map((f) => [f.vulnerabilityId, f.package, f.fixedVersion, f.severity, f.cvss]),
    [
      // As Trivy's own JSON of the same image says (trivy-golden_fluentd-gems.json): NVD's CRITICAL, GHSA's HIGH.
      ['CVE-2019-18224', 'libidn2-0', '2.0.5-1+deb10u1', 'Critical', 9.8],
      ['CVE-2019-18276', 'bash', null, 'Low', 7.8],
      ['CVE-2020-8165', 'activesupport', '6.0.3.1, 5.2.4.3', 'High', 9.8],
    ],
  );
  const ubuntu = parseCycloneDx(load('defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json')).findings;
  // This ref names no component in the file; the package comes from the purl the ref is.
  assert.deepEqual(
    ubuntu.filter((f) => f.vulnerabilityId === 'TEMP-0290435-0B57B5').map((f) => [f.package, f.installedVersion]),
    [['tar', '1.30+dfsg-6']],
  );
  // Trivy's source.url is its data source's home page; the first advisory is the vulnerability's page.
  assert.equal(ubuntu[0]?.link, 'https://avd.aquasec.com/nvd/cve-2016-2781');
  const spec = parseCycloneDx(load('cdx-spec_valid-vulnerability-1.6.json'));
  assert.equal(spec.findings[0]?.fixedVersion, '2.6.7.5, 2.8.11.1, 2.9.5');
  assert.deepEqual(spec.triage, [
    {
      vulnerabilityId: 'SNYK-JAVA-COMFASTERXMLJACKSONCORE-32111',
      state: 'not_affected',
      justification: 'code_not_reachable',
      detail: 'An optional explanation of why the application is not affected by the vulnerable component.',
      package: 'com.fasterxml.jackson.core/jackson-databind',
    },
  ]);
  const vexBom = load('bom-examples_vex-cisa-case-3_cdx1.4.json');
  const vex = parseCycloneDx(vexBom).triage;
  assert.deepEqual(count(vex.map((t) => t.state)), count(rawVulns(vexBom).map((v) => v.analysis.state)));
  const states = Object.keys(count(vex.map((t) => t.state))).sort();
  assert.deepEqual(states, ['exploitable', 'in_triage', 'not_affected', 'resolved']);
  // The VEX is about the product (metadata.component) itself: its decisions hold for every package.
  assert.ok(vex.every((t) => t.package === null));
});

test('synthetic documents: plain SBOM, no affects, nested components, unaffected versions, 1.5 tools', () => {
  const sbom = parseCycloneDx({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [{ name: 'x' }] });
  assert.equal(sbom.findings.length, 0);
  assert.deepEqual(sbom.scanner, { name: 'cyclonedx', version: null });

  const report = parseCycloneDx({
    bomFormat: 'CycloneDX',
    metadata: { tools: { components: [{ name: 'scanner-x', version: '1.2' }] } },
    components: [
      { 'bom-ref': 'app', name: 'app', components: [{ 'bom-ref': 'lib', group: 'org.x', name: 'lib', version: '1.0' }] },
    ],
    vulnerabilities: [
      {
        id: 'CVE-1',
        ratings: [{ score: 7.5, method: 'CVSSv31' }, { score: 0.9, method: 'other' }],
        analysis: { state: 'resolved_with_pedigree' },
      },
      {
        id: 'CVE-2',
        affects: [
          { ref: 'lib', versions: [{ version: '1.0', status: 'affected' }, { version: '1.1', status: 'unaffected' }] },
        ],
      },
    ],
  });
  assert.deepEqual(report.scanner, { name: 'scanner-x', version: '1.2' });
  const [noAffects, nested] = report.findings;
  assert.deepEqual(
    [noAffects?.package, noAffects?.installedVersion, noAffects?.location, noAffects?.severity, noAffects?.cvss],
    ['', null, null, 'High', 7.5],
  );
  assert.deepEqual(
    [nested?.package, nested?.installedVersion, nested?.fixedVersion, nested?.fixState, nested?.severity],
    ['org.x/lib', '1.0', '1.1', 'fixed', 'Unknown'],
  );
  assert.deepEqual(report.triage, [
    { vulnerabilityId: 'CVE-1', state: 'resolved', justification: null, detail: null, package: null },
  ]);
});

test('isVexOnly is false for non-CycloneDX, empty and partly analysed documents', () => {
  for (const json of [null, [], {}, { bomFormat: 'CycloneDX' }, { bomFormat: 'CycloneDX', vulnerabilities: [] }]) {
    assert.equal(isVexOnly(json), false, JSON.stringify(json));
  }
  const vulns = [{ id: 'CVE-1', analysis: { state: 'not_affected' } }, { id: 'CVE-2' }];
  assert.equal(isVexOnly({ bomFormat: 'CycloneDX', vulnerabilities: vulns }), false);
  assert.equal(isVexOnly({ bomFormat: 'CycloneDX', vulnerabilities: vulns.slice(0, 1) }), true);
  const container = { component: { type: 'container', name: 'img' } };
  assert.equal(isVexOnly({ bomFormat: 'CycloneDX', metadata: container, vulnerabilities: vulns.slice(0, 1) }), false);
});

test('malformed input is a ReportError naming the problem', () => {
  const bad: Array<[unknown, RegExp]> = [
    [null, /must be a JSON object/],
    [[], /must be a JSON object/],
    [42, /must be a JSON object/],
    [{}, /bomFormat is undefined/],
    [{ bomFormat: 'SPDX' }, /bomFormat is "SPDX"/],
    [{ bomFormat: 'CycloneDX', components: {} }, /"components" must be an array/],
    [{ bomFormat: 'CycloneDX', vulnerabilities: {} }, /"vulnerabilities" must be an array/],
    [{ bomFormat: 'CycloneDX', vulnerabilities: [1] }, /vulnerabilities\[0\] is not an object/],
    [{ bomFormat: 'CycloneDX', vulnerabilities: [{ ratings: [] }] }, /vulnerabilities\[0\] has no "id"/],
    [{ bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'X', affects: 'a' }] }, /affects must be an array/],
    [{ bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'X', affects: [{}] }] }, /affects\[0\] has no "ref"/],
  ];
  for (const [json, message] of bad) {
    assert.throws(() => parseCycloneDx(json), (e: unknown) => e instanceof ReportError && message.test(e.message));
  }
  // Odd but harmless values are ignored rather than crashing.
  const odd = parseCycloneDx({
    bomFormat: 'CycloneDX',
    metadata: { tools: 'x', component: { properties: 'y' } },
    vulnerabilities: [{ id: 'X', ratings: 'z', advisories: [null], source: 3, analysis: { state: 'maybe' } }],
  });
  assert.deepEqual([odd.findings.length, odd.triage.length, odd.findings[0]?.severity], [1, 0, 'Unknown']);
});
