import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { hashToken } from '../auth/token-secret.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { findingsOfDigest } from '../scans/findings-of-digest.js';
import { parseCycloneDx, isVexOnly } from '../scans/parsers/cyclonedx-parser.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesDir = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');
const ubuntuFixture = path.join(fixturesDir, 'cyclonedx', 'defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json');
const cisaFixture = path.join(fixturesDir, 'cyclonedx', 'bom-examples_vex-cisa-case-3_cdx1.4.json');

/** A Trivy JSON report of the given vulnerabilities (importing scan-ingest.test.ts would run its tests here too). */
function trivyReport(vulns: Array<{ id: string; pkg: string; severity: string; fixed?: string }>) {
  return {
    SchemaVersion: 2,
    ArtifactName: 'shop',
    Results: [{
      Target: 'shop (alpine 3.19)',
      Vulnerabilities: vulns.map((v) => ({
        VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: '1.0', Severity: v.severity,
        ...(v.fixed ? { FixedVersion: v.fixed, Status: 'fixed' } : { Status: 'affected' }),
      })),
    }],
  };
}

const R = 'ghcr.io/acme/shop';
const MIRROR = 'ghcr.io/mirror/shop';
const D = digest('5a');

describeEachEngine('triage: decisions, suppression, VEX', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const scan = await t.call('POST', `/api/v1/scans?image=${R}@${D}`, { token: t.tokens.write, body: trivyReport([
      { id: 'CVE-2024-1000', pkg: 'openssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-1000', pkg: 'libssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-2000', pkg: 'zlib', severity: 'HIGH' },
      { id: 'CVE-2024-3000', pkg: 'curl', severity: 'LOW' },
    ]) });
    assert.equal(scan.statusCode, 201, scan.body);
    const dep = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `${R}@${D}` }, environment: { name: 'production' } } });
    assert.equal(dep.statusCode, 201, dep.body);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const triage = (body: unknown, token = t.tokens.write) => t.call('POST', '/api/v1/triage', { token, body });
  const summary = async () => JSON.parse((await storage.db.selectFrom('scans').select('summary')
    .where('digest', '=', D).where('is_current', '=', 1).executeTakeFirstOrThrow()).summary);
  const production = async () => {
    const env = await storage.db.selectFrom('environments').select('id').where('name', '=', 'production').executeTakeFirstOrThrow();
    const last = await storage.db.selectFrom('trend_points').selectAll().where('environment_id', '=', env.id)
      .orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
    return { critical: Number(last.critical), high: Number(last.high), low: Number(last.low) };
  };
  const findingCount = async () => Number((await storage.db.selectFrom('findings').innerJoin('scans', 'scans.id', 'findings.scan_id')
    .select((eb) => eb.fn.countAll<number>().as('n')).where('scans.digest', '=', D).where('scans.is_current', '=', 1)
    .executeTakeFirstOrThrow()).n);

  // Bad input: triage-bad-input.test.ts.

  test('a suppressing decision leaves the counts and the trend, the finding stays visible', async () => {
    const before = await summary();
    assert.deepEqual([before.by_severity.Critical, before.suppressed], [2, 0]);
    assert.deepEqual(await production(), { critical: 2, high: 1, low: 1 });
    const res = await triage({ vulnerability: 'CVE-2024-1000', state: 'not_affected', justification: 'code_not_reachable', detail: 'TLS is off', repository: R, package: 'openssl' });
    assert.equal(res.statusCode, 201, res.body);
    const d = res.json();
    const token = await storage.db.selectFrom('tokens').select('id').where('hash', '=', hashToken(t.tokens.write)).executeTakeFirstOrThrow();
    assert.match(d.id, /^[0-9a-f-]{36}$/);
    assert.deepEqual({ ...d, id: undefined, created_at: undefined }, {
      id: undefined, created_at: undefined, vulnerability: 'CVE-2024-1000', state: 'not_affected', justification: 'code_not_reachable',
      detail: 'TLS is off', repository: R, package: 'openssl', suppressed: true, token_id: token.id,
    });
    assert.ok(Date.parse(d.created_at) > 0);
    const after = await summary();
    assert.deepEqual([after.by_severity.Critical, after.fixable.Critical, after.suppressed], [1, 1, 1]);
    assert.deepEqual(after.vulnerabilities, ['CVE-2024-1000', 'CVE-2024-2000', 'CVE-2024-3000'], 'libssl still has it');
    assert.equal(await findingCount(), 4, 'findings stay');
    assert.deepEqual(await production(), { critical: 1, high: 1, low: 1 });

    const repositoryId = (await findRepositoryId(storage.db, t.workspaceId, R))!;
    const page = await findingsOfDigest(storage.db, t.workspaceId, D, { limit: 10, offset: 0 });
    assert.equal(page.total, 4);
    assert.deepEqual(page.findings.map((f) => [f.vulnerability_id, f.package, f.severity, f.triage?.state ?? null, f.suppressed]), [
      ['CVE-2024-1000', 'libssl', 'Critical', null, false],
      ['CVE-2024-1000', 'openssl', 'Critical', 'not_affected', true],
      ['CVE-2024-2000', 'zlib', 'High', null, false],
      ['CVE-2024-3000', 'curl', 'Low', null, false],
    ]);
    assert.equal(page.scan?.summary.suppressed, 1);
    const critical = await findingsOfDigest(storage.db, t.workspaceId, D, { severity: 'Critical', fixState: 'fixed', limit: 1, offset: 1, repositoryId });
    assert.equal(critical.total, 2);
    assert.deepEqual(critical.findings.map((f) => f.package), ['openssl']);
  });

  test('a newer decision for the same scope replaces the older one', async () => {
    const res = await triage({ vulnerability: 'CVE-2024-1000', state: 'exploitable', repository: R, package: 'openssl' });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().suppressed, false);
    const rows = await storage.db.selectFrom('triage').selectAll().where('vulnerability_id', '=', 'CVE-2024-1000').execute();
    assert.deepEqual(rows.map((r) => [r.id, r.state]), [[res.json().id, 'exploitable']]);
    assert.deepEqual([(await summary()).by_severity.Critical, (await summary()).suppressed], [2, 0]);
    assert.deepEqual(await production(), { critical: 2, high: 1, low: 1 });
  });

  test('workspace-wide and per-package decisions; the most specific scope wins', async () => {
    const wide = await triage({ vulnerability: 'CVE-2024-2000', state: 'false_positive' });
    assert.equal(wide.statusCode, 201, wide.body);
    assert.equal(wide.json().repository, null);
    assert.equal(wide.json().package, null);
    assert.deepEqual([(await summary()).by_severity.High, (await summary()).suppressed], [0, 1]);
    // The repository says otherwise: for its findings, its own decision holds.
    const own = await triage({ vulnerability: 'CVE-2024-2000', state: 'in_triage', repository: R });
    assert.equal(own.statusCode, 201, own.body);
    assert.deepEqual([(await summary()).by_severity.High, (await summary()).suppressed], [1, 0]);
    // A digest held by a second repository is suppressed only when both suppress it.
    await t.call('POST', `/api/v1/scans?image=${MIRROR}@${D}`, { token: t.tokens.write, body: trivyReport([
      { id: 'CVE-2024-1000', pkg: 'openssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-1000', pkg: 'libssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-2000', pkg: 'zlib', severity: 'HIGH' },
      { id: 'CVE-2024-3000', pkg: 'curl', severity: 'LOW' },
    ]) });
    const curl = await triage({ vulnerability: 'CVE-2024-3000', state: 'resolved', repository: R });
    assert.equal(curl.statusCode, 201);
    assert.equal((await summary()).by_severity.Low, 1, 'the mirror still has it');
    const mirror = await triage({ vulnerability: 'CVE-2024-3000', state: 'resolved', repository: MIRROR, package: 'curl' });
    assert.equal(mirror.statusCode, 201);
    assert.deepEqual([(await summary()).by_severity.Low, (await summary()).suppressed], [0, 1]);
    assert.deepEqual(await production(), { critical: 2, high: 1, low: 0 });
  });

  test('a scan after a decision honours it', async () => {
    const other = digest('5b');
    const res = await t.call('POST', `/api/v1/scans?image=${R}@${other}`, { token: t.tokens.write, body: trivyReport([
      { id: 'CVE-2024-3000', pkg: 'curl', severity: 'LOW' }, { id: 'CVE-2024-4000', pkg: 'git', severity: 'LOW' },
    ]) });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().suppressed, 1);
    assert.equal(res.json().by_severity.Low, 2, 'by_severity is what the report says');
    const s = JSON.parse((await storage.db.selectFrom('scans').select('summary').where('id', '=', res.json().scan_id).executeTakeFirstOrThrow()).summary);
    assert.deepEqual([s.by_severity.Low, s.suppressed, s.vulnerabilities], [1, 1, ['CVE-2024-4000']]);
  });

  test('GET /triage lists decisions, filtered by vulnerability and by repository (its own and workspace-wide)', async () => {
    const all = (await t.call('GET', '/api/v1/triage', { token: t.tokens.read })).json().decisions;
    assert.equal(all.length, 5);
    const one = (await t.call('GET', '/api/v1/triage?vulnerability=CVE-2024-2000', { token: t.tokens.read })).json().decisions;
    assert.deepEqual(one.map((d: any) => [d.repository, d.state]).sort(), [[R, 'in_triage'], [null, 'false_positive']].sort());
    const mirror = (await t.call('GET', `/api/v1/triage?repository=${MIRROR}`, { token: t.tokens.read })).json().decisions;
    assert.deepEqual(mirror.map((d: any) => [d.vulnerability, d.repository]).sort(), [['CVE-2024-2000', null], ['CVE-2024-3000', MIRROR]]);
    const unknown = (await t.call('GET', '/api/v1/triage?repository=ghcr.io/nobody/none', { token: t.tokens.read })).json().decisions;
    assert.deepEqual(unknown.map((d: any) => d.repository), [null]);
    const bad = await t.call('GET', '/api/v1/triage?repository=Bad%20Name', { token: t.tokens.read });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'query.repository');
  });

  test('tokens limited to repositories decide and see only their own; workspaces never meet', async () => {
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const wide = await triage({ vulnerability: 'CVE-2024-9', state: 'not_affected' }, tokens.write);
    assert.equal(wide.statusCode, 403);
    assert.match(wide.json().error.message, /name a repository/);
    const outside = await triage({ vulnerability: 'CVE-2024-9', state: 'not_affected', repository: MIRROR }, tokens.write);
    assert.equal(outside.statusCode, 403);
    const listed = (await t.call('GET', '/api/v1/triage', { token: tokens.read })).json().decisions;
    assert.ok(listed.every((d: any) => d.repository === null || d.repository === R), JSON.stringify(listed));
    const mirrorDecision = (await t.call('GET', `/api/v1/triage?repository=${MIRROR}`)).json().decisions.find((d: any) => d.repository === MIRROR);
    const del = await t.call('DELETE', `/api/v1/triage/${mirrorDecision.id}`, { token: tokens.write });
    assert.equal(del.statusCode, 403);

    const other = await tokensFor(storage, 'other-team');
    const foreign = await t.call('DELETE', `/api/v1/triage/${mirrorDecision.id}`, { token: other.tokens.write });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().error.code, 'TW_NOT_FOUND');
    const theirs = (await t.call('GET', '/api/v1/triage', { token: other.tokens.read })).json().decisions;
    assert.deepEqual(theirs, []);
    const vex = (await t.call('GET', '/api/v1/vex', { token: other.tokens.read })).json();
    assert.deepEqual(vex.vulnerabilities, []);
  });

  test('DELETE withdraws a decision and recomputes what it touched', async () => {
    const decisions = (await t.call('GET', '/api/v1/triage?vulnerability=CVE-2024-2000')).json().decisions;
    const own = decisions.find((d: any) => d.repository === R);
    const res = await t.call('DELETE', `/api/v1/triage/${own.id}`, { token: t.tokens.write });
    assert.equal(res.statusCode, 204, res.body);
    // The workspace-wide false_positive holds again, for both repositories holding the digest.
    assert.equal((await summary()).by_severity.High, 0);
    const again = await t.call('DELETE', `/api/v1/triage/${own.id}`, { token: t.tokens.write });
    assert.equal(again.statusCode, 404);
    const junk = await t.call('DELETE', '/api/v1/triage/not-an-id', { token: t.tokens.write });
    assert.equal(junk.statusCode, 404);
    const audit = await storage.db.selectFrom('audit_log').select('action').where('action', 'like', 'triage.%').execute();
    assert.ok(audit.some((a) => a.action === 'triage.delete'));
  });

  test('GET /vex: a CycloneDX 1.6 VEX document that reads back into the same decisions', async () => {
    const res = await t.call('GET', `/api/v1/vex?repository=${R}`, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^application\/vnd\.cyclonedx\+json/);
    const vex = res.json();
    assert.equal(vex.bomFormat, 'CycloneDX');
    assert.equal(vex.specVersion, '1.6');
    assert.equal(vex.version, 1);
    assert.match(vex.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(Date.parse(vex.metadata.timestamp) > 0);
    assert.deepEqual(vex.metadata.properties, [{ name: 'tidewatch:repository', value: R }]);
    const byId = Object.fromEntries(vex.vulnerabilities.map((v: any) => [`${v.id} ${v.affects?.[0]?.ref ?? '*'}`, v]));
    assert.deepEqual(Object.keys(byId).sort(), ['CVE-2024-1000 package:openssl', 'CVE-2024-2000 *', 'CVE-2024-3000 *']);
    assert.deepEqual(byId['CVE-2024-1000 package:openssl'].analysis.state, 'exploitable');
    assert.equal(byId['CVE-2024-2000 *'].analysis.state, 'false_positive', 'the workspace-wide decision, no longer overridden');
    assert.deepEqual(vex.components, [{ type: 'library', 'bom-ref': 'package:openssl', name: 'openssl' }]);
    for (const v of vex.vulnerabilities) {
      assert.ok(['resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage', 'false_positive', 'not_affected'].includes(v.analysis.state));
    }

    // Back in: the same decisions, for another repository.
    assert.equal(isVexOnly(vex), true);
    const back = await t.call('POST', '/api/v1/scans?repository=ghcr.io/acme/copy', { token: t.tokens.write, body: vex, headers: { 'content-type': 'application/vnd.cyclonedx+json' } });
    assert.equal(back.statusCode, 201, back.body);
    assert.equal(back.json().triage, 3);
    assert.deepEqual(back.json().decisions.map((d: any) => [d.vulnerability, d.package, d.state, d.repository]).sort(), [
      ['CVE-2024-1000', 'openssl', 'exploitable', 'ghcr.io/acme/copy'],
      ['CVE-2024-2000', null, 'false_positive', 'ghcr.io/acme/copy'],
      ['CVE-2024-3000', null, 'resolved', 'ghcr.io/acme/copy'],
    ]);
    const parsed = parseCycloneDx(vex).triage;
    assert.equal(parsed.length, 3);
  });

  test('GET /vex?sbom=: affects refs are BOM-Links into the SBOM Trivy scans', { skip: !existsSync(ubuntuFixture) && `no fixture ${ubuntuFixture}` }, async () => {
    const bom = JSON.parse(readFileSync(ubuntuFixture, 'utf8'));
    const repository = 'ghcr.io/acme/ubuntu';
    const up = await t.call('POST', `/api/v1/scans?image=${repository}@${digest('ab')}`, { token: t.tokens.write, body: bom });
    assert.equal(up.statusCode, 201, up.body);
    const vuln = bom.vulnerabilities[0];
    const ref: string = vuln.affects[0].ref;
    const component = bom.components.find((c: any) => c['bom-ref'] === ref);
    const dec = await triage({ vulnerability: vuln.id, state: 'not_affected', justification: 'code_not_present', repository, package: component.name });
    assert.equal(dec.statusCode, 201, dec.body);
    const serial = 'urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79';
    const res = await t.call('GET', `/api/v1/vex?repository=${repository}&sbom=${serial}&sbom_version=2`, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const entry = res.json().vulnerabilities.find((v: any) => v.id === vuln.id);
    assert.deepEqual(entry.affects, [{ ref: `urn:cdx:3e671687-395b-41f5-a30f-a58921a69b79/2#${ref}` }]);
    assert.equal(entry.analysis.justification, 'code_not_present');
    const bad = await t.call('GET', `/api/v1/vex?repository=${repository}&sbom=not-a-serial`, { token: t.tokens.read });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().error.field, 'query.sbom');
  });

  test('a VEX document limited to a repository; without one it holds for the workspace', { skip: !existsSync(cisaFixture) && `no fixture ${cisaFixture}` }, async () => {
    const doc = readFileSync(cisaFixture);
    const scoped = await t.call('POST', '/api/v1/scans?repository=ghcr.io/acme/ghi', { token: t.tokens.write, body: doc });
    assert.equal(scoped.statusCode, 201, scoped.body);
    assert.equal(scoped.json().triage, 19);
    assert.ok(scoped.json().decisions.every((d: any) => d.repository === 'ghcr.io/acme/ghi' && d.package === null));
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const wide = await t.call('POST', '/api/v1/scans', { token: tokens.write, body: doc });
    assert.equal(wide.statusCode, 403, wide.body);
    const outside = await t.call('POST', '/api/v1/scans?repository=ghcr.io/other/ghi', { token: tokens.write, body: doc });
    assert.equal(outside.statusCode, 403, outside.body);
  });
});
