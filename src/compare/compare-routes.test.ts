import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { insertScan } from '../../test/support/test-scans.js';

/** deployments.md "Comparing": which instances differ, which vulnerabilities are added, removed, unchanged. */
describeEachEngine('GET /api/v1/compare', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const W1 = digest('d1');
  const W2 = digest('d2');
  const A1 = digest('d3');
  const K1 = digest('d4');
  const N1 = digest('d5');
  const X1 = digest('d6');
  const q = (base: string, head: string) => `/api/v1/compare?base=${encodeURIComponent(base)}&head=${encodeURIComponent(head)}`;
  const keys = (list: any[]) => list.map((e) => `${e.vulnerability_id}/${e.package}/${e.severity}${e.fixable ? '/fixable' : ''}`);

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const ws = t.workspaceId;
    for (const [url, env] of [
      [`ghcr.io/acme/web@${W1}`, 'production'], [`ghcr.io/acme/api@${A1}`, 'production'], [`ghcr.io/acme/old-svc@${X1}`, 'production'],
      [`ghcr.io/acme/web@${W2}`, 'staging'], [`ghcr.io/acme/api@${A1}`, 'staging'], [`ghcr.io/acme/worker@${K1}`, 'staging'],
      [`ghcr.io/acme/new-svc@${N1}`, 'staging'],
    ] as const) {
      const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url }, environment: { name: env } } });
      assert.equal(res.statusCode, 201, res.body);
    }
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: W1 }, [
      { id: 'CVE-A', package: 'p1', severity: 'Critical', fixed: '2' },
      { id: 'CVE-B', package: 'p2', severity: 'High' },
      { id: 'CVE-C', package: 'p3', severity: 'Medium', fixed: '2' },
    ]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: W2 }, [
      { id: 'CVE-B', package: 'p2', severity: 'High' },
      { id: 'CVE-D', package: 'p4', severity: 'Critical' },
      { id: 'CVE-C', package: 'p3b', severity: 'Medium' },
      // The same package at two paths is one key.
      { id: 'CVE-C', package: 'p3b', severity: 'Medium', location: '/other' },
    ]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/api', digest: A1 }, [{ id: 'CVE-E', package: 'p5', severity: 'Low' }]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/new-svc', digest: N1 }, [{ id: 'CVE-F', package: 'p6', severity: 'High', fixed: '1.1' }]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/old-svc', digest: X1 }, [{ id: 'CVE-G', package: 'p7', severity: 'Medium' }]);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('environment against environment: instances by name, vulnerabilities added, removed and unchanged', async () => {
    const res = await t.call('GET', q('env:production', 'env:staging'), { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const b = res.json();
    assert.deepEqual(b.instances.map((i: any) => [i.name, i.change, i.base?.digest ?? null, i.head?.digest ?? null]), [
      ['ghcr.io/acme/new-svc', 'added', null, N1],
      ['ghcr.io/acme/old-svc', 'removed', X1, null],
      ['ghcr.io/acme/web', 'changed', W1, W2],
      ['ghcr.io/acme/worker', 'added', null, K1],
    ]);
    assert.equal(b.instances_unchanged, 1);
    assert.equal(b.instances[3].head.scanned, false);
    assert.deepEqual(keys(b.vulnerabilities.added), ['CVE-D/p4/Critical', 'CVE-F/p6/High/fixable', 'CVE-C/p3b/Medium']);
    assert.deepEqual(keys(b.vulnerabilities.removed), ['CVE-A/p1/Critical/fixable', 'CVE-C/p3/Medium/fixable', 'CVE-G/p7/Medium']);
    assert.deepEqual(keys(b.vulnerabilities.unchanged), ['CVE-B/p2/High', 'CVE-E/p5/Low']);
    assert.deepEqual(b.counts.added, {
      by_severity: { Critical: 1, High: 1, Medium: 1, Low: 0, Negligible: 0, Unknown: 0 },
      fixable: { Critical: 0, High: 1, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 },
      total: 3,
      fixable_total: 1,
    });
    assert.deepEqual([b.counts.removed.total, b.counts.removed.fixable_total, b.counts.unchanged.total], [3, 2, 2]);
    assert.deepEqual(b.base, {
      given: 'env:production', kind: 'env', environment: 'production', repository: null, digest: null,
      images: 3, scanned_images: 3, unscanned_images: 0, unscanned: [], status: 'scanned', suppressed: 0,
    });
    assert.deepEqual([b.head.images, b.head.scanned_images, b.head.unscanned, b.head.status], [4, 3, [K1], 'partially_scanned']);
  });

  test('an image against an environment: the instances of its repository there, and what it would change', async () => {
    const b = (await t.call('GET', q('env:production', `ghcr.io/acme/web@${W2}`))).json();
    assert.deepEqual(b.instances.map((i: any) => [i.name, i.change, i.base.digest, i.head.digest]), [['ghcr.io/acme/web', 'changed', W1, W2]]);
    assert.equal(b.instances_unchanged, 0);
    assert.deepEqual(keys(b.vulnerabilities.added), ['CVE-D/p4/Critical', 'CVE-C/p3b/Medium']);
    assert.deepEqual(keys(b.vulnerabilities.removed), ['CVE-A/p1/Critical/fixable', 'CVE-C/p3/Medium/fixable']);
    assert.deepEqual(keys(b.vulnerabilities.unchanged), ['CVE-B/p2/High']);
    assert.deepEqual([b.head.kind, b.head.repository, b.head.digest, b.base.images], ['image', 'ghcr.io/acme/web', W2, 1]);

    const same = (await t.call('GET', q('env:staging', `ghcr.io/acme/web@${W2}`))).json();
    assert.deepEqual([same.instances, same.instances_unchanged, same.vulnerabilities.added, same.counts.unchanged.total], [[], 1, [], 3]);

    const fresh = (await t.call('GET', q('env:production', `ghcr.io/acme/new-svc@${N1}`))).json();
    assert.deepEqual(fresh.instances.map((i: any) => [i.name, i.change, i.base]), [['ghcr.io/acme/new-svc', 'added', null]]);
    assert.equal(fresh.base.status, 'empty');
    assert.deepEqual(keys(fresh.vulnerabilities.added), ['CVE-F/p6/High/fixable']);

    const reverse = (await t.call('GET', q(`ghcr.io/acme/web@${W2}`, 'env:production'))).json();
    assert.deepEqual(keys(reverse.vulnerabilities.added), ['CVE-A/p1/Critical/fixable', 'CVE-C/p3/Medium/fixable']);
  });

  test('image against image, and an unscanned side reported as such', async () => {
    const b = (await t.call('GET', q(`ghcr.io/acme/web:1@${W1}`, `ghcr.io/acme/web@${W2}`))).json();
    assert.deepEqual(b.instances.map((i: any) => [i.name, i.change]), [['ghcr.io/acme/web', 'changed']]);
    assert.equal(b.base.given, `ghcr.io/acme/web:1@${W1}`);
    assert.equal(b.counts.added.total, 2);
    const unscanned = (await t.call('GET', q('env:production', `ghcr.io/acme/worker@${K1}`))).json();
    assert.deepEqual([unscanned.head.status, unscanned.head.unscanned, unscanned.vulnerabilities.added], ['unscanned', [K1], []]);
  });

  test('a suppressing triage decision takes a vulnerability out of the comparison', async () => {
    const res = await t.call('POST', '/api/v1/triage', { body: { vulnerability: 'CVE-D', state: 'false_positive' } });
    assert.equal(res.statusCode, 201, res.body);
    const b = (await t.call('GET', q('env:production', `ghcr.io/acme/web@${W2}`))).json();
    assert.deepEqual(keys(b.vulnerabilities.added), ['CVE-C/p3b/Medium']);
    assert.equal(b.head.suppressed, 1);
    await t.call('POST', '/api/v1/triage', { body: { vulnerability: 'CVE-D', state: 'exploitable' } });
    const again = (await t.call('GET', q('env:production', `ghcr.io/acme/web@${W2}`))).json();
    assert.deepEqual(keys(again.vulnerabilities.added), ['CVE-D/p4/Critical', 'CVE-C/p3b/Medium']);
  });

  test('bad sides are 400 with the rule; unknown environments and images 404; outside a scope 403', async () => {
    const cases: Array<[string, number, RegExp]> = [
      ['/api/v1/compare?head=env:staging', 400, /query.base is required/],
      [q('env:production', ''), 400, /query.head is required/],
      [q('env:bad name', 'env:staging'), 400, /query.base names an environment that is not valid/],
      [q('env:production', 'ghcr.io/acme/web:latest'), 400, /query.head must be pinned by digest/],
      [q('env:production', 'Not A Reference'), 400, /query.head is neither env:<environment> nor a valid image reference/],
      [q('env:nowhere', 'env:staging'), 404, /environment nowhere not found/],
      [q('env:production', `ghcr.io/acme/web@${digest('df')}`), 404, /image ghcr.io\/acme\/web@sha256:0+df not found/],
    ];
    for (const [url, status, message] of cases) {
      const res = await t.call('GET', url);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      assert.match(res.json().error.message, message);
    }
    const scoped = await tokensFor(storage, 'default', 'ghcr.io/acme/api');
    assert.equal((await t.call('GET', q('env:production', `ghcr.io/acme/web@${W2}`), { token: scoped.tokens.read })).statusCode, 403);
    const envs = (await t.call('GET', q('env:production', 'env:staging'), { token: scoped.tokens.read })).json();
    assert.deepEqual([envs.instances, envs.instances_unchanged, keys(envs.vulnerabilities.unchanged)], [[], 1, ['CVE-E/p5/Low']]);
    const other = await tokensFor(storage, 'another');
    assert.equal((await t.call('GET', q('env:production', 'env:staging'), { token: other.tokens.read })).statusCode, 404);
  });
});
