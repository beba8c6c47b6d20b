import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { insertBuild, insertScan, pushTag, type TestFinding } from '../../test/support/test-scans.js';

/** ui.md `/images/{repository}@{digest}`: tags, platforms, builds, deployments, scan, findings (paged, filtered). */
describeEachEngine('GET /api/v1/images/{repository}@{digest}', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const repo = 'ghcr.io/acme/shop';
  const I = digest('b1'); // an index
  const other = digest('b2');
  const arm = digest('b3');
  const amd = digest('b4');
  const url = (d = I, query = '') => `/api/v1/images/${repo}@${d}${query}`;

  // 12 findings: 2 Critical, 3 High, 4 Medium, 2 Low, 1 Unknown; fixable: 5.
  const findings: TestFinding[] = [
    { id: 'CVE-1', severity: 'Critical', package: 'openssl', fixed: '3.0.1' },
    { id: 'CVE-2', severity: 'Critical', package: 'glibc' },
    { id: 'CVE-3', severity: 'High', package: 'curl', fixed: '8.0' },
    { id: 'CVE-4', severity: 'High', package: 'zlib' },
    { id: 'CVE-5', severity: 'High', package: 'libxml2', fixed: '2.9' },
    { id: 'CVE-6', severity: 'Medium', package: 'a' },
    { id: 'CVE-6', severity: 'Medium', package: 'b', fixed: '1.1' },
    { id: 'CVE-7', severity: 'Medium', package: 'c' },
    { id: 'CVE-8', severity: 'Medium', package: 'd' },
    { id: 'CVE-9', severity: 'Low', package: 'e', fixed: '0.2' },
    { id: 'CVE-10', severity: 'Low', package: 'f' },
    { id: 'CVE-11', severity: 'Unknown', package: 'g' },
  ];

  const post = async (path: string, body: unknown) => {
    const res = await t.call('POST', path, { body });
    assert.ok([200, 201].includes(res.statusCode), `${path}: ${res.body}`);
    return res.json();
  };

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const ws = t.workspaceId;
    const at = new Date(Date.now() - 3600_000).toISOString();
    await pushTag(storage.db, ws, repo, 'latest', I, at);
    await pushTag(storage.db, ws, repo, 'v1', I, at);
    await pushTag(storage.db, ws, repo, 'latest', other);
    const image = await storage.db.selectFrom('images').select('id').where('digest', '=', I).executeTakeFirstOrThrow();
    await storage.db.updateTable('images').set({ is_index: 1, media_type: 'application/vnd.oci.image.index.v1+json' }).where('id', '=', image.id).execute();
    await storage.db.insertInto('image_children').values([
      { image_id: image.id, child_digest: amd, os: 'linux', architecture: 'amd64', variant: null },
      { image_id: image.id, child_digest: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]).execute();
    await insertBuild(storage.db, ws, repo, { digests: [I], commit: 'c0ffee1', ref: 'refs/tags/v1', tags: ['v1', 'latest'], name: 'shop-7' });
    await post('/api/v1/deployments', { image: { url: `${repo}:v1@${I}`, name: 'shop' }, environment: { name: 'production' } });
    await post('/api/v1/deployments', { image: { url: `${repo}:v1@${I}`, name: 'shop' }, environment: { name: 'staging' } });
    await post('/api/v1/deployments', { image: { url: `${repo}:latest@${other}`, name: 'shop' }, environment: { name: 'staging' } });
    await insertScan(storage.db, ws, { repository: repo, digest: I }, findings, { scanner: 'Trivy' });
    await post('/api/v1/triage', { vulnerability: 'CVE-2', state: 'not_affected', justification: 'code_not_present' });
    await post('/api/v1/triage', { vulnerability: 'CVE-6', state: 'false_positive', package: 'a', repository: repo });
    await post('/api/v1/triage', { vulnerability: 'CVE-7', state: 'in_triage' });
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('tags, platforms, builds, deployments now and before, and the current scan', async () => {
    const res = await t.call('GET', url(), { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const b = res.json();
    assert.equal(b.image, `${repo}@${I}`);
    assert.equal(b.is_index, true);
    assert.deepEqual(b.tags.map((x: any) => x.name), ['v1']);
    assert.deepEqual(b.former_tags.map((x: any) => [x.name, x.digest_now]), [['latest', other]]);
    assert.deepEqual(b.platforms, [
      { digest: amd, os: 'linux', architecture: 'amd64', variant: null },
      { digest: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    assert.deepEqual(b.builds.map((x: any) => [x.commit, x.ref, x.build_name, x.phase, x.docker_tags]), [['c0ffee1', 'refs/tags/v1', 'shop-7', 'success', ['v1', 'latest']]]);
    assert.deepEqual(b.deployments.running.map((d: any) => [d.environment, d.name, d.tag]), [['production', 'shop', 'v1']]);
    assert.deepEqual(b.deployments.previous.map((d: any) => [d.environment, d.name, d.replaced_by]), [['staging', 'shop', other]]);
    assert.equal(b.deployments.previous_total, 1);
    assert.equal(b.scan.scanner.name, 'Trivy');
    assert.equal(b.scan.findings_count, 12);
    // CVE-2 (Critical) and CVE-6/a (Medium) are suppressed; in_triage is not.
    assert.deepEqual(b.scan.vulnerabilities.by_severity, { Critical: 1, High: 3, Medium: 3, Low: 2, Negligible: 0, Unknown: 1 });
    assert.equal(b.scan.vulnerabilities.suppressed, 2);
    assert.equal(b.findings.total, 12, 'suppressed findings stay visible');
  });

  test('findings are paged, most severe first, each with its triage state', async () => {
    const p1 = (await t.call('GET', url(I, '?limit=5'))).json().findings;
    assert.deepEqual([p1.total, p1.limit, p1.offset, p1.next_offset, p1.items.length], [12, 5, 0, 5, 5]);
    assert.deepEqual(p1.items.map((f: any) => f.vulnerability_id), ['CVE-1', 'CVE-2', 'CVE-3', 'CVE-4', 'CVE-5']);
    const cve2 = p1.items[1];
    assert.equal(cve2.suppressed, true);
    assert.deepEqual([cve2.triage.state, cve2.triage.justification, cve2.triage.repository, cve2.triage.package], ['not_affected', 'code_not_present', null, null]);
    assert.equal(p1.items[0].triage, null);
    assert.equal(p1.items[0].fixed_version, '3.0.1');
    const last = (await t.call('GET', url(I, '?limit=5&offset=10'))).json().findings;
    assert.deepEqual([last.items.map((f: any) => f.vulnerability_id), last.next_offset], [['CVE-10', 'CVE-11'], null]);
  });

  test('filters: severity, fix state, triage', async () => {
    const get = async (q: string) => (await t.call('GET', url(I, q))).json().findings;
    const high = await get('?severity=critical,High');
    assert.deepEqual(high.items.map((f: any) => f.vulnerability_id), ['CVE-1', 'CVE-2', 'CVE-3', 'CVE-4', 'CVE-5']);
    const fixed = await get('?fix_state=fixed');
    assert.deepEqual(fixed.items.map((f: any) => `${f.vulnerability_id}/${f.package}`), ['CVE-1/openssl', 'CVE-3/curl', 'CVE-5/libxml2', 'CVE-6/b', 'CVE-9/e']);
    const suppressed = await get('?triage=suppressed');
    assert.deepEqual(suppressed.items.map((f: any) => `${f.vulnerability_id}/${f.package}/${f.triage.state}/${f.triage.repository}`),
      ['CVE-2/glibc/not_affected/null', `CVE-6/a/false_positive/${repo}`]);
    const open = await get('?triage=open&severity=Medium');
    assert.deepEqual(open.items.map((f: any) => `${f.vulnerability_id}/${f.package}/${f.triage?.state ?? '-'}`), ['CVE-6/b/-', 'CVE-7/c/in_triage', 'CVE-8/d/-']);
    assert.equal(open.total, 3);
    const none = await get('?severity=Negligible');
    assert.deepEqual([none.total, none.items, none.next_offset], [0, [], null]);
  });

  test('a platform manifest of an index is found through the index; %40 works for @', async () => {
    const res = await t.call('GET', `/api/v1/images/${repo}%40${arm}`);
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().indexes, [{ digest: I, os: 'linux', architecture: 'arm64', variant: 'v8' }]);
    assert.equal(res.json().scan, null);
    assert.equal(res.json().findings.total, 0);
  });

  test('bad references and filters are 400; unknown images and other workspaces\' are 404; outside a scope 403', async () => {
    const cases: Array<[string, number, RegExp]> = [
      [`/api/v1/images/${repo}:v1`, 400, /must be pinned by digest/],
      [`/api/v1/images/${repo}@sha256:abc`, 400, /invalid image reference in path: invalid digest/],
      [`/api/v1/images/Ghcr.io/Acme/Shop@${I}`, 400, /invalid image reference/],
      [url(I, '?severity=Severe'), 400, /query.severity must be a comma-separated list of Critical/],
      [url(I, '?fix_state=maybe'), 400, /query.fix_state/],
      [url(I, '?triage=ignored'), 400, /triage/],
      [url(I, '?limit=0'), 400, /limit/],
      [url(digest('bf')), 404, /not found/],
      [`/api/v1/images/ghcr.io/nobody/none@${I}`, 404, /not found/],
    ];
    for (const [u, status, message] of cases) {
      const res = await t.call('GET', u);
      assert.equal(res.statusCode, status, `${u}: ${res.body}`);
      assert.match(res.json().error.message, message, u);
    }
    const b = await tokensFor(storage, 'other-ws');
    const foreign = await t.call('GET', url(), { token: b.tokens.admin });
    const never = await t.call('GET', url(digest('bf')), { token: b.tokens.admin });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.body.split(I).join('<d>'), never.body.split(digest('bf')).join('<d>'));
    const scoped = await tokensFor(storage, 'default', 'ghcr.io/other/*');
    assert.equal((await t.call('GET', url(), { token: scoped.tokens.read })).statusCode, 403);
    assert.equal((await t.call('GET', url(), { token: null })).statusCode, 401);
  });
});
