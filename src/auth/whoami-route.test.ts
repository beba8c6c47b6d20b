import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { createToken } from './token-service.js';
import { hashToken } from './token-secret.js';

/** ui.md: every page shows who is signed in, and does not offer what the token may not do. */
describeEachEngine('GET /api/v1/whoami', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('answers the calling token: name, role, scope, workspace, expiry, what it may do; never the secret or hash', async () => {
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const { token, row } = await createToken(storage.db, {
      workspaceId: t.workspaceId, role: 'write', name: 'ci deploy', repoGlob: 'ghcr.io/acme/*', expiresAt,
    });
    const res = await t.call('GET', '/api/v1/whoami', { token });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.deepEqual({ ...body, token: { ...body.token, last_used_at: undefined } }, {
      token: {
        id: row.id, name: 'ci deploy', role: 'write', repository_glob: 'ghcr.io/acme/*', prefix: row.prefix,
        created_at: row.created_at, expires_at: expiresAt, last_used_at: undefined,
      },
      workspace: { id: t.workspaceId, name: 'default' },
      can: { read: true, write: true, admin: false },
    });
    assert.ok(!res.body.includes(token), 'the token itself is never answered');
    assert.ok(!res.body.includes(hashToken(token)), 'nor its hash');
    assert.ok(!res.body.includes(token.slice(0, 20)), 'nor more of it than the listed prefix');
  });

  test('each role, and a token of another workspace, answers for itself', async () => {
    for (const [role, can] of [['read', [true, false, false]], ['write', [true, true, false]], ['admin', [true, true, true]]] as const) {
      const b = (await t.call('GET', '/api/v1/whoami', { token: t.tokens[role] })).json();
      assert.equal(b.token.role, role);
      assert.deepEqual([b.can.read, b.can.write, b.can.admin], can, role);
      assert.equal(b.token.repository_glob, null);
      assert.equal(b.token.expires_at, null);
    }
    const other = await tokensFor(storage, 'team-b');
    const b = (await t.call('GET', '/api/v1/whoami', { token: other.tokens.read })).json();
    assert.deepEqual(b.workspace, { id: other.workspaceId, name: 'team-b' });
  });

  test('no token, a malformed one or a revoked one: 401', async () => {
    const { token, row } = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'read' });
    assert.equal((await t.call('GET', '/api/v1/whoami', { token })).statusCode, 200);
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${row.id}`)).statusCode, 204);
    for (const bad of [null, 'tw_nope', token]) {
      const res = await t.call('GET', '/api/v1/whoami', { token: bad });
      assert.equal(res.statusCode, 401, `${bad}: ${res.body}`);
      assert.equal(res.json().error.code, 'TW_UNAUTHORIZED');
    }
  });

  test('is in the OpenAPI document with its answer schema', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).json();
    const get = doc.paths['/api/v1/whoami']?.get;
    assert.ok(get, 'GET /api/v1/whoami is documented');
    const schema = get.responses['200'].content['application/json'].schema;
    assert.deepEqual(Object.keys(schema.properties).sort(), ['can', 'token', 'workspace']);
    assert.ok(!('hash' in schema.properties.token.properties));
    assert.ok(get.responses['401']);
  });
});
