/*
 * admission.md "Policies": "Every decision is kept: GET /api/v1/admission/decisions?environment=&result=". The rows
 * are written by the review endpoint; here they are inserted as it writes them, so the log is tested on its own.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';

describeEachEngine('admission decisions log', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let euId: string;
  let goneId: string;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const made = await t.call('POST', '/api/v1/clusters', { body: { name: 'prod-eu' } });
    assert.equal(made.statusCode, 201, made.body);
    await t.call('POST', '/api/v1/clusters', { body: { name: 'gone' } });
    const ids = await storage.db.selectFrom('clusters').select(['id', 'name']).execute();
    euId = ids.find((c) => c.name === 'prod-eu')!.id;
    goneId = ids.find((c) => c.name === 'gone')!.id;
    const rows = [
      [euId, 'prod-eu/payments', 'docker.io/library/nginx@sha256:1', 'allowed', []],
      [euId, 'prod-eu/payments', 'docker.io/library/nginx@sha256:2', 'refused', ['prod-gate: docker.io/library/nginx@sha256:2 has 2 fixable Critical vulnerabilities (CVE-1, CVE-2)']],
      [euId, 'prod-eu/web', 'ghcr.io/acme/web:v1', 'warned', ['soft: ghcr.io/acme/web:v1 has no scan']],
      [goneId, 'gone/default', 'ghcr.io/acme/old@sha256:3', 'refused', ['gate: ghcr.io/acme/old@sha256:3 has no scan']],
      [euId, 'prod-eu/payments', 'docker.io/library/nginx@sha256:4', 'allowed', []],
    ] as const;
    let second = 0;
    for (const [clusterId, environment, image, result, messages] of rows) {
      await storage.db.insertInto('admission_decisions').values({
        workspace_id: t.workspaceId, cluster_id: clusterId, environment, image, result,
        messages: JSON.stringify(messages), at: `2026-03-01T10:00:0${second++}.000Z`,
      }).execute();
    }
    // Another workspace's decision, which must never show.
    const other = await tokensFor(storage, 'decisions-other');
    await storage.db.insertInto('admission_decisions').values({
      workspace_id: other.workspaceId, cluster_id: euId, environment: 'prod-eu/payments', image: 'secret/image', result: 'refused', messages: '[]', at: '2026-03-01T10:00:09.000Z',
    }).execute();
    assert.equal((await t.call('DELETE', '/api/v1/clusters/gone')).statusCode, 204);
  });
  after(async () => { await t.close(); await storage.dispose(); });

  const get = async (query = '', token = t.tokens.read) => {
    const res = await t.call('GET', `/api/v1/admission/decisions${query}`, { token });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };

  test('newest first, each with its cluster (null once deleted), environment, image, result, messages and time', async () => {
    const page = await get();
    assert.equal(page.next_cursor, null);
    assert.equal(page.limit, 50);
    assert.deepEqual(page.decisions.map((d: { image: string }) => d.image), [
      'docker.io/library/nginx@sha256:4', 'ghcr.io/acme/old@sha256:3', 'ghcr.io/acme/web:v1', 'docker.io/library/nginx@sha256:2', 'docker.io/library/nginx@sha256:1',
    ]);
    assert.deepEqual(page.decisions[3], {
      cluster: 'prod-eu', environment: 'prod-eu/payments', image: 'docker.io/library/nginx@sha256:2', result: 'refused',
      messages: ['prod-gate: docker.io/library/nginx@sha256:2 has 2 fixable Critical vulnerabilities (CVE-1, CVE-2)'], at: '2026-03-01T10:00:01.000Z',
    });
    assert.equal(page.decisions[1].cluster, null, 'the cluster was deleted');
    assert.ok(!JSON.stringify(page).includes('secret/image'), 'no other workspace\'s decision');
  });

  test('filters by environment and by result, together', async () => {
    assert.deepEqual((await get('?environment=prod-eu/payments')).decisions.map((d: { image: string }) => d.image.slice(-1)), ['4', '2', '1']);
    assert.deepEqual((await get('?result=refused')).decisions.map((d: { environment: string }) => d.environment), ['gone/default', 'prod-eu/payments']);
    assert.deepEqual((await get('?environment=prod-eu%2Fpayments&result=allowed')).decisions.map((d: { image: string }) => d.image.slice(-1)), ['4', '1']);
    assert.deepEqual((await get('?environment=nowhere')).decisions, []);
  });

  test('pages with limit and cursor cover every row once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await get(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.ok(page.decisions.length <= 2);
      seen.push(...page.decisions.map((d: { image: string }) => d.image));
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(seen, (await get()).decisions.map((d: { image: string }) => d.image));
    const filtered = await get('?result=allowed&limit=1');
    assert.equal(filtered.decisions[0].image.slice(-1), '4');
    assert.equal((await get(`?result=allowed&limit=1&cursor=${filtered.next_cursor}`)).decisions[0].image.slice(-1), '1');
  });

  test('needs a token (it is not the token-free review endpoint next to it); read is enough; a scoped token is refused', async () => {
    const none = await t.call('GET', '/api/v1/admission/decisions', { token: null });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().error.code, 'TW_UNAUTHORIZED');
    for (const token of [t.tokens.read, t.tokens.write, t.tokens.admin]) {
      assert.equal((await t.call('GET', '/api/v1/admission/decisions', { token })).statusCode, 200);
    }
    const scoped = (await tokensFor(storage, 'default', 'ghcr.io/acme/**')).tokens.read;
    assert.equal((await t.call('GET', '/api/v1/admission/decisions', { token: scoped })).statusCode, 403);
  });

  test('bad queries are 400 naming the field', async () => {
    const rows: Array<[string, string]> = [
      ['?result=maybe', 'query.result'],
      ['?environment=prod%20eu', 'query.environment'],
      ['?limit=0', 'query.limit'],
      ['?limit=501', 'query.limit'],
      ['?limit=ten', 'query.limit'],
      ['?cursor=abc', 'query.cursor'],
      ['?cursor=0', 'query.cursor'],
      ['?cursor=99999999999999999999', 'query.cursor'],
      ['?page=2', 'query.page'],
    ];
    for (const [query, field] of rows) {
      const res = await t.call('GET', `/api/v1/admission/decisions${query}`, { token: t.tokens.read });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(res.json().error.field, field, query);
    }
  });
});
