import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Spec, Validation } from '@cyclonedx/cyclonedx-library';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';

/*
 * ingest.md: "GET /api/v1/vex?repository=host/path returns the decisions as a CycloneDX 1.6 VEX document". Checked
 * against the CycloneDX 1.6 JSON schema that @cyclonedx/cyclonedx-library bundles (offline), then posted back to
 * our own VEX import: the same decisions come back.
 */

type Check = (json: string) => Promise<unknown[] | null>;

/**
 * The library's strict 1.6 validator. It needs the optional peers ajv, ajv-formats and ajv-formats-draft2019; when
 * the last is missing (as in this repository: it is not installed), the same bundled schema files are compiled here
 * with the project's ajv and ajv-formats, with the library's own options — ajv-formats-draft2019 supplies only the
 * `idn-email` format, which no document of ours carries.
 */
async function cycloneDx16(): Promise<{ check: Check; how: string }> {
  const library = new Validation.JsonStrictValidator(Spec.Version.v1dot6);
  try {
    await library.validate('{}');
    return { check: async (json) => await library.validate(json) as unknown[] | null, how: 'the library\'s JsonStrictValidator' };
  } catch (error) {
    if (!(error instanceof Validation.MissingOptionalDependencyError)) throw error;
    const root = path.dirname(createRequire(import.meta.url).resolve('@cyclonedx/cyclonedx-library/package.json'));
    const schema = (name: string) => JSON.parse(readFileSync(path.join(root, 'res', 'schema', name), 'utf8'));
    const ajv = new Ajv({
      useDefaults: false, strict: false, strictSchema: false, addUsedSchema: false,
      schemas: {
        'http://cyclonedx.org/schema/spdx.SNAPSHOT.schema.json': schema('spdx.SNAPSHOT.schema.json'),
        'http://cyclonedx.org/schema/cryptography-defs.SNAPSHOT.schema.json': schema('cryptography-defs.SNAPSHOT.schema.json'),
        'http://cyclonedx.org/schema/jsf-0.82.SNAPSHOT.schema.json': schema('jsf-0.82.SNAPSHOT.schema.json'),
      },
      loadSchema: (uri: string) => { throw new Error(`remote schemas are disabled: ${uri}`); },
    });
    ((addFormatsModule as any).default ?? addFormatsModule)(ajv);
    ajv.addFormat('idn-email', /^[^\s@]+@[^\s@]+$/);
    ajv.addFormat('iri-reference', true);
    const validate = ajv.compile(schema('bom-1.6.SNAPSHOT.schema.json'));
    return {
      check: async (json) => (validate(JSON.parse(json)) ? null : validate.errors ?? []),
      how: `the library's bundled bom-1.6.SNAPSHOT.schema.json through ajv + ajv-formats (${(error as Error).message.replace(/\s+/g, ' ')})`,
    };
  }
}

const REPO = 'ghcr.io/acme/shop';
const COPY = 'ghcr.io/acme/shop-copy';
const D = digest('f1');

describeEachEngine('GET /api/v1/vex: CycloneDX 1.6, and read back by our VEX import', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let validator: { check: Check; how: string };

  before(async () => {
    validator = await cycloneDx16();
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const scan = await t.call('POST', `/api/v1/scans?image=${REPO}@${D}`, { token: t.tokens.write, body: {
      SchemaVersion: 2, ArtifactName: 'shop', Results: [{ Target: 'shop', Vulnerabilities: [
        { VulnerabilityID: 'CVE-2024-1000', PkgName: 'openssl', InstalledVersion: '3.0', Severity: 'CRITICAL' },
        { VulnerabilityID: 'GHSA-jfh8-c2jp-5v3q', PkgName: 'log4j-core', InstalledVersion: '2.14.1', Severity: 'HIGH' },
      ] }],
    } });
    assert.equal(scan.statusCode, 201, scan.body);
    const decisions: Array<Record<string, unknown>> = [
      // Every state, every scope, a justification, and detail text with what JSON and XML writers trip over.
      { vulnerability: 'CVE-2024-1000', state: 'not_affected', justification: 'code_not_reachable', detail: 'TLS off: "quoted" <tag> & ünïcödé\nsecond line', repository: REPO, package: 'openssl' },
      { vulnerability: 'CVE-2024-1000', state: 'exploitable', detail: 'the other packages', repository: REPO },
      { vulnerability: 'GHSA-jfh8-c2jp-5v3q', state: 'resolved', repository: REPO, package: 'log4j-core' },
      { vulnerability: 'CVE-2024-2000', state: 'false_positive' },
      { vulnerability: 'CVE-2024-3000', state: 'in_triage', package: 'zlib' },
      { vulnerability: 'CVE-2024-4000', state: 'not_affected', justification: 'protected_by_mitigating_control' },
      { vulnerability: 'CVE-2024-5000', state: 'resolved_with_pedigree', repository: REPO },
    ];
    for (const body of decisions) {
      const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const vex = async (query: string) => {
    const res = await t.call('GET', `/api/v1/vex${query}`, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    return res.body;
  };
  const valid = async (json: string, what: string) => {
    const errors = await validator.check(json);
    assert.equal(errors, null, `${what} is CycloneDX 1.6: ${JSON.stringify(errors)?.slice(0, 800)}`);
  };

  test('the VEX of a repository, of the workspace, with BOM-Links, and an empty one are valid CycloneDX 1.6', async (ctx) => {
    ctx.diagnostic(`validated with ${validator.how}`);
    await valid(await vex(`?repository=${REPO}`), 'the repository\'s VEX');
    await valid(await vex(''), 'the workspace\'s VEX');
    await valid(await vex(`?repository=${REPO}&sbom=urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79&sbom_version=3`), 'the VEX with BOM-Links');
    await valid(await vex('?repository=ghcr.io/nobody/none'), 'a repository with only workspace-wide decisions');
    const doc = JSON.parse(await vex(`?repository=${REPO}`));
    assert.equal(doc.vulnerabilities.length, 7);
  });

  test('the check is real: a document breaking the 1.6 schema fails it', async () => {
    const doc = JSON.parse(await vex(`?repository=${REPO}`));
    for (const [what, broken] of [
      ['an unknown state', { ...doc, vulnerabilities: [{ ...doc.vulnerabilities[0], analysis: { state: 'ignored' } }] }],
      ['an unknown justification', { ...doc, vulnerabilities: [{ ...doc.vulnerabilities[0], analysis: { state: 'not_affected', justification: 'trust_me' } }] }],
      ['a bad serial number', { ...doc, serialNumber: 'not-a-urn' }],
      ['a field 1.6 does not have', { ...doc, triage: [] }],
    ] as const) {
      const errors = await validator.check(JSON.stringify(broken));
      assert.ok(errors !== null && errors.length > 0, `${what} must fail`);
    }
  });

  test('posted back to /api/v1/scans, it records the same decisions (state, justification, detail, package)', async () => {
    const exported = JSON.parse(await vex(`?repository=${REPO}`));
    const res = await t.call('POST', `/api/v1/scans?repository=${COPY}`, {
      token: t.tokens.write, body: exported, headers: { 'content-type': 'application/vnd.cyclonedx+json' },
    });
    assert.equal(res.statusCode, 201, res.body);
    const shape = (d: any) => [d.vulnerability, d.package, d.state, d.justification, d.detail].join(' | ');
    const theirs = (await t.call('GET', `/api/v1/triage?repository=${REPO}`, { token: t.tokens.read })).json().decisions
      .filter((d: any) => inExport(exported, d));
    const copied = (await t.call('GET', `/api/v1/triage?repository=${COPY}`, { token: t.tokens.read })).json().decisions
      .filter((d: any) => d.repository === COPY);
    // resolved_with_pedigree reads back as resolved: the import (scans/parsers/cyclonedx-parser.ts) knows five states.
    const expected = theirs.map((d: any) => shape({ ...d, state: d.state === 'resolved_with_pedigree' ? 'resolved' : d.state })).sort();
    assert.deepEqual(copied.map(shape).sort(), expected);
    assert.equal(copied.length, 7);

    // And the copy's own VEX says what the original's said, entry for entry.
    const again = JSON.parse(await vex(`?repository=${COPY}`));
    await valid(JSON.stringify(again), 'the copy\'s VEX');
    const entries = (d: any) => d.vulnerabilities.map((v: any) => JSON.stringify([v.id, v.affects ?? null, v.analysis.state === 'resolved_with_pedigree' ? 'resolved' : v.analysis.state, v.analysis.justification ?? null, v.analysis.detail ?? null])).sort();
    assert.deepEqual(entries(again), entries(exported));
  });
});

/** Whether the exported VEX carries this decision (a workspace-wide one is left out where the repository overrides it). */
function inExport(exported: { vulnerabilities: Array<{ id: string; affects?: Array<{ ref: string }>; analysis: { state: string } }> }, d: { vulnerability: string; package: string | null; state: string }): boolean {
  return exported.vulnerabilities.some((v) => v.id === d.vulnerability && v.analysis.state === d.state
    && (v.affects?.[0]?.ref ?? null) === (d.package === null ? null : `package:${d.package}`));
}
