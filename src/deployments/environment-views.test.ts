import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { insertBuild, insertScan, pushTag } from '../../test/support/test-scans.js';

/*
 * deployments.md "Reading it back": environment views carry vulnerability counts (each distinct digest once, unscanned
 * apart, triage-suppressed findings out), builds and "behind the newest push".
 */
describeEachEngine('environment views with vulnerabilities, builds and freshness', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const D = { web: digest('a1'), api: digest('a2'), worker: digest('a3'), stagingWeb: digest('a4'), web2: digest('a5'), api2: digest('a6') };
  const hoursAgo = (h: number) => new Date(Date.now() - h * 3600_000).toISOString();
  const pushedAt = hoursAgo(1);

  const deploy = async (url: string, env: string, name?: string) => {
    const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url, ...(name ? { name } : {}) }, environment: { name: env } } });
    assert.ok([200, 201].includes(res.statusCode), res.body);
  };

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const ws = t.workspaceId;
    // Pushes first, as a registry would have made them.
    await pushTag(storage.db, ws, 'ghcr.io/acme/web', '1.0', D.web, hoursAgo(10));
    await pushTag(storage.db, ws, 'ghcr.io/acme/api', 'latest', D.api, hoursAgo(10));
    await pushTag(storage.db, ws, 'ghcr.io/acme/worker', '2.0', D.worker, hoursAgo(10));
    await deploy(`ghcr.io/acme/web:1.0@${D.web}`, 'production');
    await deploy(`ghcr.io/acme/web:1.0@${D.web}`, 'production', 'web-canary');
    await deploy(`ghcr.io/acme/api@${D.api}`, 'production');
    await deploy(`ghcr.io/acme/worker:2.0@${D.worker}`, 'production');
    await deploy(`ghcr.io/acme/web:1.1@${D.stagingWeb}`, 'staging');
    // Newer pushes: web's 1.0 and api's latest move on; worker's 2.0 stays.
    await pushTag(storage.db, ws, 'ghcr.io/acme/web', '1.0', D.web2, pushedAt);
    await pushTag(storage.db, ws, 'ghcr.io/acme/api', 'latest', D.api2, hoursAgo(1));
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: D.web }, [
      { id: 'CVE-2024-0001', severity: 'Critical', fixed: '1.2.3', package: 'openssl' },
      { id: 'CVE-2024-0002', severity: 'High', package: 'zlib' },
      { id: 'CVE-2024-0003', severity: 'Medium', fixed: '2.0', package: 'curl' },
      { id: 'CVE-2024-0004', severity: 'Low', package: 'a' },
      { id: 'CVE-2024-0004', severity: 'Low', package: 'b' },
    ]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/api', digest: D.api }, [
      { id: 'CVE-2024-0002', severity: 'High', package: 'zlib' },
      { id: 'CVE-2024-0005', severity: 'Unknown', package: 'x' },
    ]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: D.stagingWeb }, [
      { id: 'CVE-2024-0001', severity: 'Critical', fixed: '1.2.3', package: 'openssl' },
    ]);
    // Builds of web's digest: an older success, the newest success, and a newer failure that must not count.
    await insertBuild(storage.db, ws, 'ghcr.io/acme/web', { digests: [D.web], commit: 'old0001', ref: 'refs/heads/main', tags: ['1.0'], at: hoursAgo(12) });
    await insertBuild(storage.db, ws, 'ghcr.io/acme/web', { digests: [D.web], commit: 'abc1234', ref: 'refs/heads/main', tags: ['1.0'], name: 'web-42', at: hoursAgo(11) });
    await insertBuild(storage.db, ws, 'ghcr.io/acme/web', { digests: [D.web], commit: 'bad9999', phase: 'failure', tags: ['1.0'], at: hoursAgo(9) });
    await insertBuild(storage.db, ws, 'ghcr.io/acme/web', { digests: [D.web2], commit: 'new5678', tags: ['1.0'], at: hoursAgo(2) });
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const zero = { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 };

  test('GET /environments: counts per environment, each distinct digest once, unscanned apart', async () => {
    const res = await t.call('GET', '/api/v1/environments', { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const prod = res.json().environments.find((e: any) => e.name === 'production');
    assert.equal(prod.instances, 4);
    assert.equal(prod.images, 3);
    assert.deepEqual(prod.vulnerabilities, {
      by_severity: { ...zero, Critical: 1, High: 2, Medium: 1, Low: 2, Unknown: 1 },
      fixable: { ...zero, Critical: 1, Medium: 1 },
      fixable_total: 2,
      distinct_vulnerabilities: 5,
      risk_score: 10 + 2 * 5 + 3 + 2 + 5,
      scanned_images: 2,
      unscanned_images: 1,
    });
    assert.ok(['increasing', 'decreasing', 'flat'].includes(prod.trend.verdict));
    assert.equal(prod.trend.since, new Date(Date.now() - 30 * 86400_000).toISOString().slice(0, 10) + 'T00:00:00.000Z');
    const staging = res.json().environments.find((e: any) => e.name === 'staging');
    assert.deepEqual(staging.vulnerabilities.by_severity, { ...zero, Critical: 1 });
    assert.equal(staging.vulnerabilities.unscanned_images, 0);
  });

  test('GET /environments/{env}: instance counts, build, behind flags, and the environment\'s exposure', async () => {
    const res = await t.call('GET', '/api/v1/environments/production', { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.vulnerabilities.risk_score, 30);
    assert.equal(body.vulnerabilities.unscanned_images, 1);
    const by = Object.fromEntries(body.instances.map((i: any) => [i.name, i]));
    assert.deepEqual(Object.keys(by).sort(), ['ghcr.io/acme/api', 'ghcr.io/acme/web', 'ghcr.io/acme/worker', 'web-canary']);

    const web = by['ghcr.io/acme/web'];
    assert.deepEqual(web.vulnerabilities.by_severity, { ...zero, Critical: 1, High: 1, Medium: 1, Low: 2 });
    assert.deepEqual(web.vulnerabilities.fixable, { ...zero, Critical: 1, Medium: 1 });
    assert.equal(web.vulnerabilities.total, 5);
    assert.equal(web.vulnerabilities.fixable_total, 2);
    assert.equal(web.vulnerabilities.distinct_vulnerabilities, 4);
    assert.equal(web.vulnerabilities.suppressed, 0);
    assert.equal(web.vulnerabilities.risk_score, 20);
    assert.deepEqual(web.build, { build_id: web.build.build_id, commit: 'abc1234', build_name: 'web-42', ref: 'refs/heads/main' });
    assert.deepEqual([web.compared_tag, web.newest_digest_for_tag, web.behind], ['1.0', D.web2, true]);
    assert.equal(web.pushed_at, pushedAt);
    assert.deepEqual(by['web-canary'].vulnerabilities, web.vulnerabilities);

    // Deployed by digest alone: judged through the tag that pointed at the digest, which has moved on.
    const api = by['ghcr.io/acme/api'];
    assert.deepEqual([api.tag, api.compared_tag, api.newest_digest_for_tag, api.behind], [null, 'latest', D.api2, true]);
    assert.equal(api.build, null);
    assert.equal(api.vulnerabilities.risk_score, 10);

    const worker = by['ghcr.io/acme/worker'];
    assert.equal(worker.vulnerabilities, null, 'unscanned is null, not zero');
    assert.deepEqual([worker.compared_tag, worker.newest_digest_for_tag, worker.behind], ['2.0', D.worker, false]);

    const staging = (await t.call('GET', '/api/v1/environments/staging')).json().instances[0];
    assert.deepEqual([staging.tag, staging.compared_tag, staging.newest_digest_for_tag, staging.behind, staging.pushed_at], ['1.1', '1.1', null, false, null]);
  });

  test('the repository view: per instance counts and behind flags, per tag the newest push and build', async () => {
    const res = await t.call('GET', '/api/v1/repositories/ghcr.io/acme/web/deployments', { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    const prod = body.environments.find((e: any) => e.environment === 'production');
    const web = prod.instances.find((i: any) => i.name === 'ghcr.io/acme/web');
    assert.deepEqual([web.behind, web.newest_digest_for_tag, web.build.commit, web.vulnerabilities.risk_score], [true, D.web2, 'abc1234', 20]);
    const tag = body.tags.find((x: any) => x.tag === '1.0');
    assert.equal(tag.digest, D.web2);
    assert.equal(tag.running_instances, 0);
    assert.deepEqual([tag.newest_build.commit, tag.newest_build.pushed_this_digest], ['new5678', true]);
    assert.equal(body.builds[0].commit, 'new5678');
    assert.equal(body.builds.find((b: any) => b.commit === 'abc1234').running_instances, 2);
  });

  test('a triage decision that suppresses lowers the counts everywhere; the finding stays visible', async () => {
    const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body: { vulnerability: 'CVE-2024-0002', state: 'not_affected', justification: 'code_not_reachable' } });
    assert.equal(res.statusCode, 201, res.body);
    const env = (await t.call('GET', '/api/v1/environments/production')).json();
    assert.deepEqual(env.vulnerabilities.by_severity, { ...zero, Critical: 1, Medium: 1, Low: 2, Unknown: 1 });
    assert.equal(env.vulnerabilities.distinct_vulnerabilities, 4);
    assert.equal(env.vulnerabilities.risk_score, 20);
    const web = env.instances.find((i: any) => i.name === 'ghcr.io/acme/web');
    assert.deepEqual([web.vulnerabilities.total, web.vulnerabilities.suppressed, web.vulnerabilities.by_severity.High], [4, 1, 0]);
    const listed = (await t.call('GET', '/api/v1/environments')).json().environments.find((e: any) => e.name === 'production');
    assert.equal(listed.vulnerabilities.risk_score, 20);
  });

  test('a scoped token counts only its repositories and gets no trend', async () => {
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/worker');
    const list = (await t.call('GET', '/api/v1/environments', { token: tokens.read })).json();
    const prod = list.environments.find((e: any) => e.name === 'production');
    assert.deepEqual([prod.instances, prod.images, prod.vulnerabilities.scanned_images, prod.vulnerabilities.unscanned_images, prod.trend], [1, 1, 0, 1, null]);
    const env = (await t.call('GET', '/api/v1/environments/production', { token: tokens.read })).json();
    assert.deepEqual(env.instances.map((i: any) => i.name), ['ghcr.io/acme/worker']);
    assert.equal(env.vulnerabilities.risk_score, 0);
    assert.equal(env.trend, null);
  });
});
