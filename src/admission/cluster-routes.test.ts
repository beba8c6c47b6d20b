/*
 * admission.md "Clusters": the clusters API — the secret shown once and kept only as a hash, rotation, delete, 404,
 * 409, name rules and roles.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { findClusterBySecretHash } from './cluster-queries.js';
import { hashClusterSecret, newClusterSecret } from './cluster-secret.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

test('a cluster secret is long, URL-safe and hashed with SHA-256', () => {
  const a = newClusterSecret();
  const b = newClusterSecret();
  assert.notEqual(a, b);
  assert.match(a, /^twk_[A-Za-z0-9_-]{43}$/);
  assert.equal(hashClusterSecret(a), sha256(a));
});

describeEachEngine('clusters API', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const create = (body: unknown, token = t.tokens.admin) => t.call('POST', '/api/v1/clusters', { token, body });

  test('create shows the secret once, in the webhook URL; only its hash is stored; the list shows no secret', async () => {
    const res = await create({ name: 'prod-eu' });
    assert.equal(res.statusCode, 201, res.body);
    const made = res.json();
    assert.deepEqual(Object.keys(made).sort(), ['created_at', 'fail_closed', 'name', 'secret', 'webhook_url']);
    assert.equal(made.name, 'prod-eu');
    assert.equal(made.fail_closed, false);
    assert.equal(made.webhook_url, `http://tidewatch.test/api/v1/admission/${made.secret}`);

    const row = await storage.db.selectFrom('clusters').selectAll().where('name', '=', 'prod-eu').executeTakeFirstOrThrow();
    assert.equal(row.secret_hash, sha256(made.secret));
    for (const value of Object.values(row)) assert.notEqual(value, made.secret);
    const found = await findClusterBySecretHash(storage.db, hashClusterSecret(made.secret));
    assert.deepEqual(found && { name: found.name, workspaceId: found.workspaceId, failClosed: found.failClosed }, { name: 'prod-eu', workspaceId: t.workspaceId, failClosed: false });

    const listed = await t.call('GET', '/api/v1/clusters');
    assert.equal(listed.statusCode, 200);
    const entry = listed.json().clusters.find((c: { name: string }) => c.name === 'prod-eu');
    assert.deepEqual(entry, { name: 'prod-eu', fail_closed: false, created_at: made.created_at });
    assert.ok(!listed.body.includes(made.secret) && !listed.body.includes(row.secret_hash), 'neither the secret nor its hash is listed');
  });

  test('fail_closed is kept and shown', async () => {
    const res = await create({ name: 'payments', fail_closed: true });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().fail_closed, true);
    assert.equal((await findClusterBySecretHash(storage.db, hashClusterSecret(res.json().secret)))?.failClosed, true);
  });

  test('rotate gives a new secret; the old one stops working at once', async () => {
    const old = (await create({ name: 'rotating' })).json();
    const res = await t.call('POST', '/api/v1/clusters/rotating/rotate');
    assert.equal(res.statusCode, 200, res.body);
    const fresh = res.json();
    assert.notEqual(fresh.secret, old.secret);
    assert.equal(fresh.webhook_url, `http://tidewatch.test/api/v1/admission/${fresh.secret}`);
    assert.equal(fresh.name, 'rotating');
    assert.equal(fresh.created_at, old.created_at);
    assert.equal(await findClusterBySecretHash(storage.db, hashClusterSecret(old.secret)), undefined);
    assert.equal((await findClusterBySecretHash(storage.db, hashClusterSecret(fresh.secret)))?.name, 'rotating');
  });

  test('delete removes the cluster and its secret; a second delete, a rotate or a missing name is 404', async () => {
    const made = (await create({ name: 'short-lived' })).json();
    assert.equal((await t.call('DELETE', '/api/v1/clusters/short-lived')).statusCode, 204);
    assert.equal(await findClusterBySecretHash(storage.db, hashClusterSecret(made.secret)), undefined);
    for (const [method, url] of [['DELETE', '/api/v1/clusters/short-lived'], ['POST', '/api/v1/clusters/short-lived/rotate'], ['DELETE', '/api/v1/clusters/never-was']] as const) {
      const res = await t.call(method, url);
      assert.equal(res.statusCode, 404, `${method} ${url}`);
      assert.deepEqual(res.json(), { error: { code: 'TW_NOT_FOUND', message: `cluster ${url.split('/')[4]} not found` } });
    }
    assert.ok(!(await t.call('GET', '/api/v1/clusters')).json().clusters.some((c: { name: string }) => c.name === 'short-lived'));
  });

  test('a duplicate name is 409 TW_CONFLICT and stores nothing', async () => {
    assert.equal((await create({ name: 'twice' })).statusCode, 201);
    const res = await create({ name: 'twice', fail_closed: true });
    assert.equal(res.statusCode, 409);
    assert.deepEqual(res.json(), { error: { code: 'TW_CONFLICT', message: 'a cluster named twice already exists', field: 'name' } });
    const rows = await storage.db.selectFrom('clusters').select('fail_closed').where('name', '=', 'twice').execute();
    assert.deepEqual(rows, [{ fail_closed: 0 }]);
  });

  test('create, rotate and delete are audited', async () => {
    await create({ name: 'audited' });
    await t.call('POST', '/api/v1/clusters/audited/rotate');
    await t.call('DELETE', '/api/v1/clusters/audited');
    const rows = await storage.db.selectFrom('audit_log').select(['action', 'target']).where('target', '=', 'audited').orderBy('id').execute();
    assert.deepEqual(rows.map((r) => r.action), ['cluster.create', 'cluster.rotate', 'cluster.delete']);
  });

  const badBodies: Array<[string, unknown, string]> = [
    ['no name', {}, 'name'],
    ['empty name', { name: '' }, 'name'],
    ['upper case', { name: 'Prod' }, 'name'],
    ['a slash (it would split the environment)', { name: 'prod/eu' }, 'name'],
    ['leading dash', { name: '-prod' }, 'name'],
    ['trailing dash', { name: 'prod-' }, 'name'],
    ['64 characters', { name: 'a'.repeat(64) }, 'name'],
    ['a number', { name: 7 }, 'name'],
    ['fail_closed as a string', { name: 'ok-name', fail_closed: 'yes' }, 'fail_closed'],
    ['an unknown field', { name: 'ok-name', secret: 'mine' }, 'secret'],
    ['not an object', ['prod'], 'body'],
  ];
  for (const [label, body, field] of badBodies) {
    test(`create refuses ${label}: 400 naming ${field}`, async () => {
      const res = await create(body);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'TW_VALIDATION');
      assert.equal(res.json().error.field, field);
      assert.match(res.json().error.message, new RegExp(`^${field} `));
    });
  }

  test('63 characters is a valid name', async () => {
    assert.equal((await create({ name: `a${'-'.repeat(61)}b` })).statusCode, 201);
  });

  test('every cluster route needs an admin token: 401 without one, 403 for read and write', async () => {
    await create({ name: 'guarded' });
    const routes: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/clusters', { name: 'sneaky' }],
      ['GET', '/api/v1/clusters'],
      ['POST', '/api/v1/clusters/guarded/rotate'],
      ['DELETE', '/api/v1/clusters/guarded'],
    ];
    for (const [method, url, body] of routes) {
      const none = await t.call(method, url, { token: null, ...(body ? { body } : {}) });
      assert.equal(none.statusCode, 401, `${method} ${url} without a token`);
      for (const role of ['read', 'write'] as const) {
        const res = await t.call(method, url, { token: t.tokens[role], ...(body ? { body } : {}) });
        assert.equal(res.statusCode, 403, `${method} ${url} as ${role}`);
        assert.match(res.json().error.message, /role admin/);
      }
    }
    assert.equal((await storage.db.selectFrom('clusters').select('id').where('name', '=', 'sneaky').execute()).length, 0);
    assert.equal((await t.call('GET', '/api/v1/clusters')).json().clusters.filter((c: { name: string }) => c.name === 'guarded').length, 1);
  });

  test('an admin token limited to some repositories cannot create, rotate or delete a cluster', async () => {
    await create({ name: 'wide' });
    const scoped = (await tokensFor(storage, 'default', 'ghcr.io/acme/**')).tokens.admin;
    for (const [method, url, body] of [['POST', '/api/v1/clusters', { name: 'narrow' }], ['POST', '/api/v1/clusters/wide/rotate', undefined], ['DELETE', '/api/v1/clusters/wide', undefined]] as const) {
      const res = await t.call(method, url, { token: scoped, ...(body ? { body } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.match(res.json().error.message, /limited to repositories matching ghcr\.io\/acme\/\*\*/);
    }
  });

  test('another workspace neither sees nor touches the clusters, and may reuse a name', async () => {
    await create({ name: 'shared-name' });
    const other = (await tokensFor(storage, 'other-team')).tokens.admin;
    assert.ok(!(await t.call('GET', '/api/v1/clusters', { token: other })).json().clusters.some((c: { name: string }) => c.name === 'shared-name'));
    assert.equal((await t.call('DELETE', '/api/v1/clusters/shared-name', { token: other })).statusCode, 404);
    assert.equal((await t.call('POST', '/api/v1/clusters/shared-name/rotate', { token: other })).statusCode, 404);
    assert.equal((await create({ name: 'shared-name' }, other)).statusCode, 201);
  });
});
