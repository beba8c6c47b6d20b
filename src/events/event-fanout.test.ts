import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { trivyReport } from '../../test/support/test-scans.js';
import { createNotification, deliveriesOf, push } from '../../test/support/notifications.js';
import { recordEvent, recordEvents } from './event-queries.js';

/*
 * The outbox (notifications.md "Nothing lost"): every event kind, recorded through the real APIs, fans out to the
 * notifications it matches — one pending delivery each, in the same transaction — and to none its eventConfig
 * filters out. No worker runs here: what is checked is what the transaction wrote.
 */
describeEachEngine('event fan-out to deliveries', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const receiver = 'http://127.0.0.1:9/hook';
  const notify = (repo: string, event: string, eventConfig: Record<string, unknown> = {}) =>
    createNotification(t, { event, method: 'webhook', config: { url: receiver }, eventConfig }, repo);
  /** Kinds and tags (or other identifying data) of the events a notification's deliveries carry. */
  const delivered = async (notificationId: string) => {
    const rows = await storage.db.selectFrom('deliveries as d').innerJoin('events as e', 'e.id', 'd.event_id')
      .select(['d.status', 'd.next_attempt_at', 'd.created_at', 'e.kind', 'e.data', 'e.created_at as event_at'])
      .where('d.notification_id', '=', notificationId).orderBy('d.created_at').orderBy('d.id').execute();
    for (const r of rows) {
      assert.equal(r.status, 'pending');
      assert.equal(r.next_attempt_at, r.created_at, 'due at once');
      assert.equal(r.created_at, r.event_at, 'written with the event');
    }
    return rows.map((r) => ({ kind: r.kind, data: JSON.parse(r.data) as Record<string, any> }));
  };
  const api = async (method: string, url: string, body: unknown, status = [200, 201]) => {
    const res = await t.call(method, url, { token: t.tokens.write, body });
    assert.ok(status.includes(res.statusCode), `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json();
  };

  test('repo_push: a pushed tag matching the tags globs fires; others do not', async () => {
    const repo = 'registry.example.com/fan/push';
    await push(t, 'seed', 'a0', repo);
    const all = await notify(repo, 'repo_push');
    const releases = await notify(repo, 'repo_push', { tags: ['v*', 'release-?'] });
    await push(t, 'latest', 'a1', repo);
    await push(t, 'v1.2', 'a2', repo);
    await push(t, 'release-7', 'a3', repo);
    assert.deepEqual((await delivered(all.uuid)).map((d) => d.data.updated_tags), [['latest'], ['v1.2'], ['release-7']]);
    assert.deepEqual((await delivered(releases.uuid)).map((d) => d.data.updated_tags), [['v1.2'], ['release-7']]);
  });

  test('build events: each phase fires its own notification; ref-regex filters on trigger_metadata.ref', async () => {
    const repo = 'registry.example.com/fan/build';
    await push(t, 'seed', 'b0', repo);
    const kinds = ['build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled'] as const;
    const any = Object.fromEntries(await Promise.all(kinds.map(async (k) => [k, await notify(repo, k)] as const)));
    const mainOnly = await notify(repo, 'build_success', { 'ref-regex': 'refs/heads/main' });
    const build = async (ref: string | null) => (await api('POST', '/api/v1/builds', {
      repository: repo, trigger_kind: 'github', trigger_metadata: ref === null ? { commit: 'c'.repeat(40) } : { commit: 'c'.repeat(40), ref },
    })).build_id as string;
    const phase = (id: string, body: Record<string, unknown>) => api('POST', `/api/v1/builds/${id}/phase`, body);

    const ok = await build('refs/heads/main');
    await phase(ok, { phase: 'started' });
    await phase(ok, { phase: 'success', image_id: digest('b1'), manifest_digests: [digest('b1')] });
    const dev = await build('refs/heads/dev');
    await phase(dev, { phase: 'started' });
    await phase(dev, { phase: 'success', image_id: digest('b2'), manifest_digests: [digest('b2')] });
    const broken = await build(null);
    await phase(broken, { phase: 'started' });
    await phase(broken, { phase: 'failure', error_message: 'boom' });
    const dropped = await build('refs/heads/main');
    await phase(dropped, { phase: 'cancelled' });

    const ids = async (k: (typeof kinds)[number]) => (await delivered(any[k]!.uuid)).map((d) => d.data.build_id);
    assert.deepEqual(await ids('build_queued'), [ok, dev, broken, dropped]);
    assert.deepEqual(await ids('build_start'), [ok, dev, broken]);
    assert.deepEqual(await ids('build_success'), [ok, dev]);
    assert.deepEqual(await ids('build_failure'), [broken]);
    assert.deepEqual(await ids('build_cancelled'), [dropped]);
    assert.deepEqual((await delivered(mainOnly.uuid)).map((d) => d.data.build_id), [ok], 'the dev build and ref-less builds do not fire');
  });

  test('vulnerability_found: one delivery per new finding at or above the level; environments and fixable_only filter', async () => {
    const repo = 'registry.example.com/fan/vuln';
    await push(t, 'seed', 'c0', repo);
    const everything = await notify(repo, 'vulnerability_found');
    const high = await notify(repo, 'vulnerability_found', { level: 1 });
    const fixable = await notify(repo, 'vulnerability_found', { fixable_only: true });
    const inProduction = await notify(repo, 'vulnerability_found', { environments: ['production'] });
    await api('POST', '/api/v1/deployments', { image: { url: `${repo}@${digest('c2')}` }, environment: { name: 'production' } });
    const scan = (n: string, findings: Parameters<typeof trivyReport>[0]) =>
      api('POST', `/api/v1/scans?image=${encodeURIComponent(`${repo}@${digest(n)}`)}`, trivyReport(findings), [201]);
    await scan('c1', [
      { id: 'CVE-2024-0001', severity: 'Critical', fixed: '1.1' },
      { id: 'CVE-2024-0002', severity: 'Low' },
      { id: 'CVE-2024-0003', severity: 'High', package: 'openssl' },
    ]);
    await scan('c2', [{ id: 'CVE-2024-0004', severity: 'Medium', fixed: '2.0' }]);
    const vulns = async (id: string) => (await delivered(id)).map((d) => d.data.vulnerability.id).sort();
    assert.deepEqual(await vulns(everything.uuid), ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004']);
    assert.deepEqual(await vulns(high.uuid), ['CVE-2024-0001', 'CVE-2024-0003']);
    assert.deepEqual(await vulns(fixable.uuid), ['CVE-2024-0001', 'CVE-2024-0004']);
    assert.deepEqual(await vulns(inProduction.uuid), ['CVE-2024-0004'], 'only the digest running in production');
    // A rescan with nothing new fans out nothing.
    await scan('c2', [{ id: 'CVE-2024-0004', severity: 'Medium', fixed: '2.0' }]);
    assert.equal((await delivered(everything.uuid)).length, 4);
  });

  test('image_deployed: environments and min_level filter; the payload data carries the image\'s open counts', async () => {
    const repo = 'registry.example.com/fan/deploy';
    await push(t, 'seed', 'd0', repo);
    const anywhere = await notify(repo, 'image_deployed');
    const production = await notify(repo, 'image_deployed', { environments: ['production'] });
    const risky = await notify(repo, 'image_deployed', { min_level: 1 });
    await api('POST', `/api/v1/scans?image=${encodeURIComponent(`${repo}@${digest('d1')}`)}`,
      trivyReport([{ id: 'CVE-2024-0101', severity: 'High' }, { id: 'CVE-2024-0102', severity: 'Low' }]), [201]);
    await api('POST', `/api/v1/scans?image=${encodeURIComponent(`${repo}@${digest('d2')}`)}`,
      trivyReport([{ id: 'CVE-2024-0103', severity: 'Low' }]), [201]);
    const deploy = (n: string, env: string) => api('POST', '/api/v1/deployments', { image: { url: `${repo}@${digest(n)}` }, environment: { name: env } });
    await deploy('d1', 'staging');
    await deploy('d2', 'production');
    await deploy('d3', 'production'); // never scanned
    const deployed = async (id: string) => (await delivered(id)).map((d) => `${d.data.environment}:${(d.data.digest as string).slice(-2)}`);
    assert.deepEqual(await deployed(anywhere.uuid), ['staging:d1', 'production:d2', 'production:d3']);
    assert.deepEqual(await deployed(production.uuid), ['production:d2', 'production:d3']);
    assert.deepEqual(await deployed(risky.uuid), ['staging:d1'], 'only the image with an open High');
    const data = (await delivered(anywhere.uuid)).map((d) => d.data.vulnerabilities);
    assert.deepEqual(data, [
      { Critical: 0, High: 1, Medium: 0, Low: 1, Negligible: 0, Unknown: 0 },
      { Critical: 0, High: 0, Medium: 0, Low: 1, Negligible: 0, Unknown: 0 },
      undefined,
    ]);
  });

  test('a disabled notification gets no new deliveries; other repositories\' events reach nobody here', async () => {
    const repo = 'registry.example.com/fan/disabled';
    await push(t, 'seed', 'e0', repo);
    const n = await notify(repo, 'repo_push');
    await storage.db.updateTable('notifications').set({ enabled: 0 }).where('id', '=', n.uuid).execute();
    await push(t, 'v1', 'e1', repo);
    await push(t, 'v1', 'e2', 'registry.example.com/fan/elsewhere');
    assert.equal((await deliveriesOf(storage, n.uuid)).length, 0);
  });

  test('a rolled-back change leaves neither event nor delivery; a committed one has both', async () => {
    const repo = 'registry.example.com/fan/rollback';
    await push(t, 'seed', 'f0', repo);
    const n = await notify(repo, 'repo_push');
    const { id: repositoryId } = await storage.db.selectFrom('repositories').select('id').where('name', '=', repo).executeTakeFirstOrThrow();
    const event = { workspaceId: t.workspaceId, repositoryId, kind: 'repo_push' as const, data: { docker_url: repo, updated_tags: ['x'] } };
    const events = () => storage.db.selectFrom('events').select('id').where('repository_id', '=', repositoryId).execute();
    const before = (await events()).length;
    await assert.rejects(storage.transact(async (trx) => {
      await recordEvent(trx, event);
      await recordEvents(trx, storage.engine, [event, event]);
      throw new Error('the change failed');
    }), /the change failed/);
    assert.equal((await events()).length, before);
    assert.equal((await deliveriesOf(storage, n.uuid)).length, 0);
    await storage.transact(async (trx) => {
      await recordEvent(trx, event);
      await recordEvents(trx, storage.engine, [event, event]);
    });
    assert.equal((await events()).length, before + 3);
    const rows = await deliveriesOf(storage, n.uuid);
    assert.equal(rows.length, 3);
    assert.equal(new Set(rows.map((r) => r.event_id)).size, 3, 'one delivery per event, each pointing at its own event');
  });
});
