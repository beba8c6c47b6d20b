/*
 * admission.md "Policies": the policies API — create, read, list, replace, delete, its validation (400 naming the
 * field and the rule), 404, 409 and roles.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';

const example = {
  name: 'prod-gate', environments: ['prod-eu/*', 'production'], mode: 'enforce',
  rules: {
    deny_severity: 'Critical', fixable_only: true, require_scan: true, require_digest: false,
    allowed_repositories: ['registry.example.com/acme/*'], ignore_vulnerabilities: ['CVE-2023-1234'],
  },
};
const named = (name: string, over: Record<string, unknown> = {}) => ({ ...example, name, ...over });
const withRules = (rules: Record<string, unknown>) => ({ ...example, rules });

describeEachEngine('policies API', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const create = (body: unknown, token = t.tokens.admin) => t.call('POST', '/api/v1/policies', { token, body });

  test('create answers the policy as stored; GET and the list give it back', async () => {
    const res = await create(example);
    assert.equal(res.statusCode, 201, res.body);
    const made = res.json();
    assert.equal(made.created_at, made.updated_at);
    const { created_at: _c, updated_at: _u, ...rest } = made;
    assert.deepEqual(rest, example);
    const one = await t.call('GET', '/api/v1/policies/prod-gate', { token: t.tokens.read });
    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), made);
    const list = await t.call('GET', '/api/v1/policies', { token: t.tokens.read });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().policies.find((p: { name: string }) => p.name === 'prod-gate'), made);
  });

  test('the severity is stored in Quay spelling whatever the case it was sent in', async () => {
    const res = await create(named('case-test', { rules: { deny_severity: 'hIGH' } }));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().rules, { deny_severity: 'High' });
  });

  test('PUT replaces the whole policy and moves updated_at; a new name renames it', async () => {
    const made = (await create(named('replace-me'))).json();
    const next = { name: 'replace-me', environments: ['staging'], mode: 'warn', rules: { require_scan: true } };
    const res = await t.call('PUT', '/api/v1/policies/replace-me', { body: next });
    assert.equal(res.statusCode, 200, res.body);
    const { created_at, updated_at, ...rest } = res.json();
    assert.deepEqual(rest, next);
    assert.equal(created_at, made.created_at);
    assert.ok(updated_at >= made.updated_at);
    assert.deepEqual((await t.call('GET', '/api/v1/policies/replace-me')).json().rules, { require_scan: true });

    const renamed = await t.call('PUT', '/api/v1/policies/replace-me', { body: { ...next, name: 'replaced' } });
    assert.equal(renamed.statusCode, 200, renamed.body);
    assert.equal((await t.call('GET', '/api/v1/policies/replace-me')).statusCode, 404);
    assert.equal((await t.call('GET', '/api/v1/policies/replaced')).json().mode, 'warn');
  });

  test('DELETE removes it; a missing policy is 404 on GET, PUT and DELETE, word for word', async () => {
    await create(named('delete-me'));
    assert.equal((await t.call('DELETE', '/api/v1/policies/delete-me')).statusCode, 204);
    for (const [method, body] of [['GET', undefined], ['PUT', named('delete-me')], ['DELETE', undefined]] as const) {
      const res = await t.call(method, '/api/v1/policies/delete-me', body ? { body } : {});
      assert.equal(res.statusCode, 404, method);
      assert.deepEqual(res.json(), { error: { code: 'TW_NOT_FOUND', message: 'policy delete-me not found' } });
    }
  });

  test('a duplicate name is 409 on create and on a rename onto it', async () => {
    await create(named('dup-a'));
    await create(named('dup-b'));
    const again = await create(named('dup-a', { mode: 'audit' }));
    assert.equal(again.statusCode, 409);
    assert.deepEqual(again.json(), { error: { code: 'TW_CONFLICT', message: 'a policy named dup-a already exists', field: 'name' } });
    const rename = await t.call('PUT', '/api/v1/policies/dup-b', { body: named('dup-a') });
    assert.equal(rename.statusCode, 409);
    assert.equal((await t.call('GET', '/api/v1/policies/dup-a')).json().mode, 'enforce', 'the first stays as it was');
    assert.equal((await t.call('GET', '/api/v1/policies/dup-b')).statusCode, 200, 'the refused rename left dup-b');
  });

  // [what, body, field, message pattern]
  const bad: Array<[string, unknown, string, RegExp]> = [
    ['a bad severity', withRules({ deny_severity: 'Severe' }), 'rules.deny_severity', /must be one of Critical, High, Medium, Low, Negligible, Unknown/],
    ['a severity that is a number', withRules({ deny_severity: 9 }), 'rules.deny_severity', /must be one of/],
    ['a bad repository glob', withRules({ allowed_repositories: ['ghcr.io/acme/{web}'] }), 'rules.allowed_repositories.0', /repository glob/],
    ['an empty allow-list', withRules({ allowed_repositories: [] }), 'rules.allowed_repositories', /must not be empty/],
    ['an unknown rule', withRules({ deny_severity: 'High', max_age_days: 30 }), 'rules.max_age_days', /is not a known field/],
    ['an unknown mode', { ...example, mode: 'block' }, 'mode', /must be one of enforce, warn, audit/],
    ['mode in capitals', { ...example, mode: 'ENFORCE' }, 'mode', /must be one of enforce, warn, audit/],
    ['no rules', { ...example, rules: undefined }, 'rules', /must be an object, but it is missing/],
    ['rules that refuse nothing', withRules({ fixable_only: false, ignore_vulnerabilities: ['CVE-1'] }), 'rules', /must set at least one of/],
    ['fixable_only without deny_severity', withRules({ require_scan: true, fixable_only: true }), 'rules.fixable_only', /needs rules\.deny_severity/],
    ['require_scan as a string', withRules({ require_scan: 'true' }), 'rules.require_scan', /must be true or false/],
    ['require_digest as a number', withRules({ require_digest: 1 }), 'rules.require_digest', /must be true or false/],
    ['ignore_vulnerabilities not a list', withRules({ deny_severity: 'High', ignore_vulnerabilities: 'CVE-2023-1' }), 'rules.ignore_vulnerabilities', /must be an array, but it is the string/],
    ['an ignored id with a space', withRules({ deny_severity: 'High', ignore_vulnerabilities: ['CVE 2023'] }), 'rules.ignore_vulnerabilities.0', /vulnerability id/],
    ['empty environments', { ...example, environments: [] }, 'environments', /must not be empty/],
    ['environments as a string', { ...example, environments: 'production' }, 'environments', /must be an array, but it is the string/],
    ['an environment with a space', { ...example, environments: ['prod eu'] }, 'environments.0', /environment glob/],
    ['an environment of 129 characters', { ...example, environments: ['e'.repeat(129)] }, 'environments.0', /1–128/],
    ['no name', { ...example, name: undefined }, 'name', /1–63 characters/],
    ['an upper-case name', { ...example, name: 'Prod-Gate' }, 'name', /a-z, 0-9 and -/],
    ['a 64-character name', { ...example, name: 'p'.repeat(64) }, 'name', /1–63/],
    ['the name check (the check endpoint)', { ...example, name: 'check' }, 'name', /must not be check/],
    ['an extra top-level field', { ...example, enabled: true }, 'enabled', /is not a known field/],
    ['an array body', [example], 'body', /must be a JSON object, but it is an array/],
    ['a number body', 42, 'body', /must be a JSON object/],
  ];
  for (const [what, body, field, message] of bad) {
    test(`create refuses ${what}: 400 naming ${field}`, async () => {
      const res = await create(body);
      assert.equal(res.statusCode, 400, res.body);
      const { error } = res.json();
      assert.equal(error.code, 'TW_VALIDATION');
      assert.equal(error.field, field);
      assert.ok(error.message.startsWith(`${field} `), error.message);
      assert.match(error.message, message);
    });
  }

  test('PUT validates the same way, and a refused PUT changes nothing', async () => {
    const made = (await create(named('put-check'))).json();
    const res = await t.call('PUT', '/api/v1/policies/put-check', { body: { ...named('put-check'), mode: 'block' } });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error.field, 'mode');
    assert.deepEqual((await t.call('GET', '/api/v1/policies/put-check')).json(), made);
  });

  test('malformed JSON and a wrong content type answer as elsewhere', async () => {
    const broken = await t.call('POST', '/api/v1/policies', { body: '{"name": ', headers: { 'content-type': 'application/json' } });
    assert.equal(broken.statusCode, 400);
    assert.equal(broken.json().error.code, 'TW_MALFORMED_JSON');
    const text = await t.call('POST', '/api/v1/policies', { body: 'name=x', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 415);
  });

  test('reading needs a read token; changing needs admin; a repository-scoped admin cannot change policies', async () => {
    await create(named('roles-p'));
    for (const [method, url] of [['GET', '/api/v1/policies'], ['GET', '/api/v1/policies/roles-p']] as const) {
      assert.equal((await t.call(method, url, { token: null })).statusCode, 401);
      assert.equal((await t.call(method, url, { token: t.tokens.read })).statusCode, 200);
    }
    const writes: Array<[string, string, unknown?]> = [
      ['POST', '/api/v1/policies', named('roles-q')],
      ['PUT', '/api/v1/policies/roles-p', named('roles-p', { mode: 'audit' })],
      ['DELETE', '/api/v1/policies/roles-p'],
    ];
    const scoped = (await tokensFor(storage, 'default', 'ghcr.io/acme/**')).tokens.admin;
    for (const [method, url, body] of writes) {
      assert.equal((await t.call(method, url, { token: null, ...(body ? { body } : {}) })).statusCode, 401);
      for (const token of [t.tokens.read, t.tokens.write]) {
        const res = await t.call(method, url, { token, ...(body ? { body } : {}) });
        assert.equal(res.statusCode, 403, `${method} ${url}`);
        assert.match(res.json().error.message, /role admin/);
      }
      const res = await t.call(method, url, { token: scoped, ...(body ? { body } : {}) });
      assert.equal(res.statusCode, 403, `${method} ${url} as a scoped admin`);
      assert.match(res.json().error.message, /limited to repositories/);
    }
    assert.equal((await t.call('GET', '/api/v1/policies/roles-p')).json().mode, 'enforce');
    assert.equal((await t.call('GET', '/api/v1/policies/roles-q')).statusCode, 404);
  });

  test('policies are per workspace', async () => {
    await create(named('mine-only'));
    const other = (await tokensFor(storage, 'policy-other')).tokens.admin;
    assert.equal((await t.call('GET', '/api/v1/policies/mine-only', { token: other })).statusCode, 404);
    assert.ok(!(await t.call('GET', '/api/v1/policies', { token: other })).json().policies.some((p: { name: string }) => p.name === 'mine-only'));
    assert.equal((await create(named('mine-only'), other)).statusCode, 201);
  });

  test('the OpenAPI document lists the admission routes, with the policy body', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json', { token: null })).json();
    const paths = doc.paths as Record<string, Record<string, any>>;
    for (const [p, methods] of [
      ['/api/v1/policies', ['get', 'post']],
      ['/api/v1/policies/{name}', ['get', 'put', 'delete']],
      ['/api/v1/policies/check', ['get']],
      ['/api/v1/clusters', ['get', 'post']],
      ['/api/v1/clusters/{name}', ['delete']],
      ['/api/v1/clusters/{name}/rotate', ['post']],
      ['/api/v1/admission/decisions', ['get']],
    ] as const) {
      for (const m of methods) assert.ok(paths[p]?.[m], `${m.toUpperCase()} ${p} is documented`);
    }
    const body = paths['/api/v1/policies']!.post.requestBody.content['application/json'].schema;
    assert.deepEqual(Object.keys(body.properties).sort(), ['environments', 'mode', 'name', 'rules']);
    assert.deepEqual(Object.keys(body.properties.rules.properties).sort(), [
      'allowed_repositories', 'deny_severity', 'fixable_only', 'ignore_vulnerabilities', 'require_digest', 'require_scan',
    ]);
  });

  test('create, update and delete are audited', async () => {
    await create(named('audit-p'));
    await t.call('PUT', '/api/v1/policies/audit-p', { body: named('audit-p', { mode: 'warn' }) });
    await t.call('DELETE', '/api/v1/policies/audit-p');
    const rows = await storage.db.selectFrom('audit_log').select('action').where('target', '=', 'audit-p').orderBy('id').execute();
    assert.deepEqual(rows.map((r) => r.action), ['policy.create', 'policy.update', 'policy.delete']);
  });
});
