import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { createToken, type Role } from './token-service.js';
import { hashToken } from './token-secret.js';

/*
 * security.md "Tokens and roles": every route's least role, 401/403 answers, repository scopes, the token API, rate
 * limits and the audit log.
 */

type Caller = 'none' | Role;
type Need = 'public' | Role;
const rank: Record<Caller, number> = { none: 0, read: 1, write: 2, admin: 3 };

interface RouteCase {
  method: string;
  /** The route's pattern, for test names. */
  path: string;
  /** Built per call, so a route that consumes something (undeploy, revoke) gets a fresh target each time. */
  url: (t: TestApp, n: number) => Promise<string> | string;
  body?: (n: number) => unknown;
  headers?: Record<string, string>;
  need: Need;
  ok: number;
}

let seq = 0;
const next = () => ++seq;

/** Made in `before`: one hook endpoint of each kind, by its URL secret. */
const hookSecrets: Record<string, string> = {};

const json = async (t: TestApp, method: string, url: string, body: unknown, status: number) => {
  const res = await t.call(method, url, { body });
  assert.equal(res.statusCode, status, res.body);
  return res.json();
};
const newBuild = async (t: TestApp, n: number): Promise<string> =>
  (await json(t, 'POST', '/api/v1/builds', { repository: 'ghcr.io/acme/web', build_name: `role-table-${n}` }, 201)).build_id;
const trivy = (n: number) => ({
  SchemaVersion: 2, ArtifactName: 'ghcr.io/acme/web', Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: `CVE-2024-${1000 + n}`, PkgName: 'openssl', Severity: 'HIGH' }] }],
});
const REGISTRY = 'registry.example.com';

/** A body of each registry kind that records one push (a fresh tag or digest each time). */
const hookBodies: Record<string, (n: number) => unknown> = {
  distribution: (n) => ({ events: [{
    id: `role-table-${n}`, action: 'push', request: { host: REGISTRY },
    target: { repository: 'acme/web', mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: digest(5000 + n), tag: `d${n}`, url: `https://${REGISTRY}/v2/acme/web/manifests/x` },
  }] }),
  harbor: (n) => ({ type: 'PUSH_ARTIFACT', occur_at: n, operator: 'admin', event_data: {
    resources: [{ digest: digest(6000 + n), tag: `h${n}`, resource_url: `${REGISTRY}/acme/web:h${n}` }], repository: { namespace: 'acme', name: 'web', repo_full_name: 'acme/web' },
  } }),
  dockerhub: (n) => ({ callback_url: `https://registry.hub.docker.com/u/acme/web/hook/${n}/`, push_data: { tag: `dh${n}`, pushed_at: n }, repository: { repo_name: 'acme/web' } }),
  quay: (n) => ({ repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: 'quay.io/acme/web', updated_tags: [`q${n}`] }),
  github: (n) => ({ action: 'published', package: {
    name: 'web', namespace: 'acme', package_type: 'CONTAINER', package_version: { name: digest(7000 + n), container_metadata: { tag: { name: `g${n}`, digest: digest(7000 + n) } } },
  } }),
};
const hookKindsInTable = Object.keys(hookBodies);

/** Every route the app serves, with the least role it needs. */
const routes: RouteCase[] = [
  { method: 'GET', path: '/healthz', url: () => '/healthz', need: 'public', ok: 200 },
  { method: 'GET', path: '/readyz', url: () => '/readyz', need: 'public', ok: 200 },
  { method: 'GET', path: '/metrics', url: () => '/metrics', need: 'public', ok: 200 },
  { method: 'GET', path: '/api/v1/openapi.json', url: () => '/api/v1/openapi.json', need: 'public', ok: 200 },
  { method: 'GET', path: '/api/v1/environments', url: () => '/api/v1/environments', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/environments/:env', url: () => '/api/v1/environments/production', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/environments/:env (with /)', url: () => '/api/v1/environments/prod-eu%2Fpayments', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/environments/:env/history', url: () => '/api/v1/environments/production/history', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/repositories/:repository/deployments', url: () => '/api/v1/repositories/ghcr.io/acme/web/deployments', need: 'read', ok: 200 },
  {
    method: 'POST', path: '/api/v1/deployments', url: () => '/api/v1/deployments', need: 'write', ok: 201,
    body: (n) => ({ image: { url: `ghcr.io/acme/web@${digest(1000 + n)}` }, environment: { name: 'role-table' } }),
  },
  {
    method: 'DELETE', path: '/api/v1/deployments?environment&name', need: 'write', ok: 200,
    url: async (t, n) => {
      const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/web@${digest(2000 + n)}`, name: `undeploy-${n}` }, environment: { name: 'role-table' } } });
      assert.equal(res.statusCode, 201, res.body);
      return `/api/v1/deployments?environment=role-table&name=undeploy-${n}`;
    },
  },
  { method: 'GET', path: '/api/v1/tokens', url: () => '/api/v1/tokens', need: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/tokens', url: () => '/api/v1/tokens', need: 'admin', ok: 201, body: (n) => ({ role: 'read', name: `role-table ${n}` }) },
  {
    method: 'DELETE', path: '/api/v1/tokens/:id', need: 'admin', ok: 204,
    url: async (t) => {
      const res = await t.call('POST', '/api/v1/tokens', { body: { role: 'read', name: 'to revoke' } });
      assert.equal(res.statusCode, 201, res.body);
      return `/api/v1/tokens/${res.json().id}`;
    },
  },
  // Reads.
  { method: 'GET', path: '/api/v1/environments/:env/trend', url: () => '/api/v1/environments/production/trend?bucket=day', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/trend', url: () => '/api/v1/trend', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/images/:repository@:digest', url: () => `/api/v1/images/ghcr.io/acme/web@${digest(1)}`, need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/vulnerabilities/:id', url: () => '/api/v1/vulnerabilities/CVE-2021-44228', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/compare', url: () => '/api/v1/compare?base=env:production&head=env:prod-eu%2Fpayments', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/builds', url: () => '/api/v1/builds?repository=ghcr.io/acme/web', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/builds/:id', url: async (t, n) => `/api/v1/builds/${await newBuild(t, n)}`, need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/triage', url: () => '/api/v1/triage?repository=ghcr.io/acme/web', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/vex', url: () => '/api/v1/vex?repository=ghcr.io/acme/web', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/repositories/:repository/tags', url: () => '/api/v1/repositories/ghcr.io/acme/web/tags', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/repositories/:repository/<unknown sub-path>', url: () => '/api/v1/repositories/ghcr.io/acme/web/nothing-here', need: 'read', ok: 404 },
  // Ingest.
  { method: 'POST', path: '/api/v1/pushes', url: () => '/api/v1/pushes', need: 'write', ok: 201, body: (n) => ({ image: `ghcr.io/acme/web:p${n}@${digest(3000 + n)}` }) },
  { method: 'POST', path: '/api/v1/builds', url: () => '/api/v1/builds', need: 'write', ok: 201, body: (n) => ({ repository: 'ghcr.io/acme/web', build_name: `b${n}` }) },
  { method: 'POST', path: '/api/v1/builds/:id/phase', url: async (t, n) => `/api/v1/builds/${await newBuild(t, n)}/phase`, need: 'write', ok: 200, body: () => ({ phase: 'started' }) },
  { method: 'POST', path: '/api/v1/scans', url: (_t, n) => `/api/v1/scans?image=${encodeURIComponent(`ghcr.io/acme/web@${digest(4000 + n)}`)}`, need: 'write', ok: 201, body: trivy },
  {
    method: 'POST', path: '/api/v1/scans (a VEX document)', url: () => '/api/v1/scans?repository=ghcr.io/acme/web', need: 'write', ok: 201,
    body: (n) => ({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1, vulnerabilities: [{ id: `CVE-2024-${2000 + n}`, analysis: { state: 'not_affected', justification: 'code_not_reachable' } }] }),
  },
  { method: 'POST', path: '/api/v1/triage', url: () => '/api/v1/triage', need: 'write', ok: 201, body: (n) => ({ vulnerability: `CVE-2024-${n}`, state: 'not_affected', repository: 'ghcr.io/acme/web' }) },
  {
    method: 'DELETE', path: '/api/v1/triage/:id', need: 'write', ok: 204,
    url: async (t, n) => `/api/v1/triage/${(await json(t, 'POST', '/api/v1/triage', { vulnerability: `CVE-2023-${n}`, state: 'in_triage' }, 201)).id}`,
  },
  ...hookKindsInTable.map((kind): RouteCase => ({ method: 'POST', path: `/api/v1/hooks/${kind}`, url: () => `/api/v1/hooks/${kind}`, need: 'write', ok: 202, body: hookBodies[kind]! })),
  // Hook URLs with a secret take no token: the secret is the credential, and an unknown one is a 404 for everybody.
  ...hookKindsInTable.map((kind): RouteCase => ({ method: 'POST', path: `/api/v1/hooks/${kind}/:secret`, url: () => `/api/v1/hooks/${kind}/${hookSecrets[kind]}`, need: 'public', ok: 202, body: hookBodies[kind]! })),
  ...hookKindsInTable.map((kind): RouteCase => ({ method: 'POST', path: `/api/v1/hooks/${kind}/:unknown-secret`, url: () => `/api/v1/hooks/${kind}/not-a-secret-${kind}`, need: 'public', ok: 404, body: hookBodies[kind]! })),
  // Hook endpoints hand out credentials: admin.
  { method: 'GET', path: '/api/v1/hooks', url: () => '/api/v1/hooks', need: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/hooks', url: () => '/api/v1/hooks', need: 'admin', ok: 201, body: () => ({ kind: 'quay', registry_host: 'quay.io' }) },
  {
    method: 'DELETE', path: '/api/v1/hooks/:id', need: 'admin', ok: 204,
    url: async (t) => `/api/v1/hooks/${(await json(t, 'POST', '/api/v1/hooks', { kind: 'dockerhub' }, 201)).id}`,
  },
  { method: 'GET', path: '/api/v1/whoami', url: () => '/api/v1/whoami', need: 'read', ok: 200 },
  // Admission (admission.md): clusters hand out webhook credentials and policies gate clusters: admin to change.
  { method: 'GET', path: '/api/v1/clusters', url: () => '/api/v1/clusters', need: 'admin', ok: 200 },
  { method: 'POST', path: '/api/v1/clusters', url: () => '/api/v1/clusters', need: 'admin', ok: 201, body: (n) => ({ name: `role-table-${n}` }) },
  { method: 'POST', path: '/api/v1/clusters/:name/rotate', need: 'admin', ok: 200, url: async (t, n) => `/api/v1/clusters/${await newCluster(t, n)}/rotate` },
  { method: 'DELETE', path: '/api/v1/clusters/:name', need: 'admin', ok: 204, url: async (t, n) => `/api/v1/clusters/${await newCluster(t, n)}` },
  { method: 'GET', path: '/api/v1/policies', url: () => '/api/v1/policies', need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/policies/:name', need: 'read', ok: 200, url: async (t, n) => `/api/v1/policies/${await newPolicy(t, n)}` },
  { method: 'POST', path: '/api/v1/policies', url: () => '/api/v1/policies', need: 'admin', ok: 201, body: (n) => policy(`role-table-${n}`) },
  { method: 'PUT', path: '/api/v1/policies/:name', need: 'admin', ok: 200, url: async (t, n) => `/api/v1/policies/${await newPolicy(t, n)}`, body: (n) => policy(`gate-${n}`) },
  { method: 'DELETE', path: '/api/v1/policies/:name', need: 'admin', ok: 204, url: async (t, n) => `/api/v1/policies/${await newPolicy(t, n)}` },
  { method: 'GET', path: '/api/v1/policies/check', url: () => `/api/v1/policies/check?image=ghcr.io/acme/web@${digest(1)}&environment=production`, need: 'read', ok: 200 },
  { method: 'GET', path: '/api/v1/admission/decisions', url: () => '/api/v1/admission/decisions', need: 'read', ok: 200 },
  // The API server sends no token: the cluster's secret in the URL is the credential.
  { method: 'POST', path: '/api/v1/admission/:secret', url: () => `/api/v1/admission/${clusterSecret.value}`, need: 'public', ok: 200, body: roleReview },
  { method: 'POST', path: '/api/v1/admission/:unknown-secret', url: () => '/api/v1/admission/twk_not-a-secret', need: 'public', ok: 404, body: roleReview },
];

const newCluster = async (t: TestApp, n: number): Promise<string> => (await json(t, 'POST', '/api/v1/clusters', { name: `c-${n}` }, 201)).name;
const policy = (name: string) => ({ name, environments: ['production'], mode: 'audit', rules: { require_scan: true } });
const newPolicy = async (t: TestApp, n: number): Promise<string> => (await json(t, 'POST', '/api/v1/policies', policy(`p-${n}`), 201)).name;
/** Made in `before`: a cluster's webhook secret. */
const clusterSecret = { value: '' };
/** A review of a kind Tidewatch does not read: allowed, nothing recorded. */
function roleReview(n: number) {
  return {
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: `role-table-${n}`, kind: { group: 'rbac.authorization.k8s.io', version: 'v1', kind: 'Role' },
      resource: { group: 'rbac.authorization.k8s.io', version: 'v1', resource: 'roles' }, operation: 'CREATE',
      namespace: 'default', name: 'r', userInfo: { username: 'admin' }, object: { kind: 'Role', metadata: { name: 'r' } },
    },
  };
}


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describeEachEngine('roles and tokens', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const tokenOf = (caller: Caller): string | null => (caller === 'none' ? null : t.tokens[caller]);
  const idOf = async (token: string) => (await storage.db.selectFrom('tokens').select('id').where('hash', '=', hashToken(token)).executeTakeFirstOrThrow()).id;

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    for (const [url, env] of [[`ghcr.io/acme/web:1@${digest(1)}`, 'production'], [`ghcr.io/acme/pay@${digest(2)}`, 'prod-eu/payments']] as const) {
      const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url }, environment: { name: env } } });
      assert.equal(res.statusCode, 201, res.body);
    }
    clusterSecret.value = (await json(t, 'POST', '/api/v1/clusters', { name: 'role-table' }, 201)).secret;
    for (const kind of hookKindsInTable) {
      hookSecrets[kind] = (await json(t, 'POST', '/api/v1/hooks', { kind, ...(kind === 'dockerhub' || kind === 'github' ? {} : { registry_host: REGISTRY }) }, 201)).secret;
    }
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  describe('every route answers each role as its least role says', () => {
    for (const route of routes) {
      for (const caller of ['none', 'read', 'write', 'admin'] as const) {
        const expected = route.need === 'public' || rank[caller] >= rank[route.need]
          ? route.ok
          : caller === 'none' ? 401 : 403;
        test(`${route.method} ${route.path} (${route.need}) as ${caller === 'none' ? 'no token' : caller} → ${expected}`, async () => {
          const n = next();
          const url = await route.url(t, n);
          const res = await t.call(route.method, url, { token: tokenOf(caller), ...(route.body ? { body: route.body(n) } : {}), ...(route.headers ? { headers: route.headers } : {}) });
          assert.equal(res.statusCode, expected, `${route.method} ${url} as ${caller}: ${res.body}`);
          if (expected === 401) {
            assert.equal(res.json().error.code, 'TW_UNAUTHORIZED');
          } else if (expected === 403) {
            assert.equal(res.json().error.code, 'TW_FORBIDDEN');
            assert.match(res.json().error.message, new RegExp(`role ${route.need}`));
          }
        });
      }
    }
  });

  test('a refused request changes nothing: no deployment, no token, no audit row', async () => {
    const count = async () => ({
      deployments: (await storage.db.selectFrom('deployments').select('id').execute()).length,
      tokens: (await storage.db.selectFrom('tokens').select('id').execute()).length,
      audit: (await storage.db.selectFrom('audit_log').select('id').execute()).length,
    });
    const before = await count();
    const body = { image: { url: `ghcr.io/acme/web@${digest(3)}` }, environment: { name: 'refused' } };
    assert.equal((await t.call('POST', '/api/v1/deployments', { token: t.tokens.read, body })).statusCode, 403);
    assert.equal((await t.call('POST', '/api/v1/deployments', { token: null, body })).statusCode, 401);
    assert.equal((await t.call('POST', '/api/v1/tokens', { token: t.tokens.write, body: { role: 'admin' } })).statusCode, 403);
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${await idOf(t.tokens.admin)}`, { token: t.tokens.write })).statusCode, 403);
    assert.equal((await t.call('DELETE', '/api/v1/deployments?environment=production&name=ghcr.io/acme/web', { token: t.tokens.read })).statusCode, 403);
    assert.deepEqual(await count(), before);
    assert.equal((await t.call('GET', '/api/v1/environments/refused')).statusCode, 404);
  });

  test('missing, malformed, unknown, revoked and expired tokens get the identical 401', async () => {
    const revoked = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'admin' });
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${revoked.row.id}`)).statusCode, 204);
    const expired = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'admin', expiresAt: new Date(Date.now() - 1000).toISOString() });
    const unknown = `tw_${randomBytes(32).toString('base64url')}`;
    const answers = new Map<string, { status: number; body: string }>();
    const ask = async (label: string, headers: Record<string, string>) => {
      const res = await t.app.inject({ method: 'GET', url: '/api/v1/environments', headers });
      answers.set(label, { status: res.statusCode, body: res.body });
    };
    await ask('missing', {});
    await ask('unknown', { authorization: `Bearer ${unknown}` });
    await ask('revoked', { authorization: `Bearer ${revoked.token}` });
    await ask('expired', { authorization: `Bearer ${expired.token}` });
    await ask('not bearer', { authorization: `Basic ${Buffer.from(`x:${t.tokens.admin}`).toString('base64')}` });
    await ask('empty bearer', { authorization: 'Bearer ' });
    await ask('hash as token', { authorization: `Bearer ${hashToken(t.tokens.admin)}` });
    await ask('prefix only', { authorization: `Bearer ${t.tokens.admin.slice(0, 10)}` });
    const missing = answers.get('missing')!;
    assert.equal(missing.status, 401);
    assert.equal(JSON.parse(missing.body).error.code, 'TW_UNAUTHORIZED');
    for (const [label, answer] of answers) assert.deepEqual(answer, missing, `${label} differs from missing`);
    // The same on a write and an admin route, with a body.
    for (const [method, url, body] of [['POST', '/api/v1/deployments', { image: { url: `nginx@${digest(4)}` } }], ['POST', '/api/v1/tokens', { role: 'read' }]] as const) {
      for (const token of [null, unknown, revoked.token, expired.token]) {
        const res = await t.call(method, url, { token, body });
        assert.deepEqual({ status: res.statusCode, body: res.body }, missing);
      }
    }
  });

  test('the token API: shown once, listed by prefix only, revoked with DELETE', async () => {
    const created = await t.call('POST', '/api/v1/tokens', { body: { role: 'write', name: 'ci pipeline', repository_glob: 'ghcr.io/acme/**', expires_in: '30d' } });
    assert.equal(created.statusCode, 201, created.body);
    const made = created.json();
    assert.match(made.token, /^tw_[A-Za-z0-9_-]{43,}$/);
    assert.equal(made.name, 'ci pipeline');
    assert.equal(made.role, 'write');
    assert.equal(made.repository_glob, 'ghcr.io/acme/**');
    assert.equal(made.revoked, false);
    assert.ok(Date.parse(made.expires_at) > Date.now() + 29 * 86_400_000);
    assert.ok(made.token.startsWith(made.prefix));
    assert.ok(made.prefix.length < made.token.length / 2, 'the prefix must be far too short to guess the rest');
    assert.equal(made.hash, undefined);

    const clear: string = made.token;
    const hex = sha256(clear);
    const stored = await storage.db.selectFrom('tokens').selectAll().where('id', '=', made.id).executeTakeFirstOrThrow();
    assert.equal(stored.hash, hex, 'stored as its SHA-256 only');
    for (const value of Object.values(stored)) assert.notEqual(value, clear);

    const listed = await t.call('GET', '/api/v1/tokens');
    assert.equal(listed.statusCode, 200);
    const tokens: Record<string, unknown>[] = listed.json().tokens;
    const mine = tokens.find((k) => k.id === made.id);
    assert.ok(mine);
    assert.equal(mine.prefix, made.prefix);
    // No listed token exposes a clear token or a hash: neither this one's nor any other's.
    const secrets = [clear, hex, ...Object.values(t.tokens), ...Object.values(t.tokens).map(sha256)];
    for (const k of tokens) {
      assert.ok(!('token' in k) && !('hash' in k), `listed token ${String(k.id)} has a token or hash field`);
      for (const [field, value] of Object.entries(k)) {
        for (const s of secrets) assert.ok(!String(value).includes(s), `field ${field} of ${String(k.id)} holds a secret`);
      }
    }
    for (const s of secrets) assert.ok(!listed.body.includes(s));

    // The new token works, within its scope.
    assert.equal((await t.call('POST', '/api/v1/deployments', { token: clear, body: { image: { url: `ghcr.io/acme/x/y@${digest(5)}` }, environment: { name: 'token-api' } } })).statusCode, 201);
    assert.equal((await t.call('GET', '/api/v1/tokens', { token: clear })).statusCode, 403);

    const revoke = await t.call('DELETE', `/api/v1/tokens/${made.id}`);
    assert.equal(revoke.statusCode, 204);
    assert.equal(revoke.body, '');
    const refused = await t.call('GET', '/api/v1/environments', { token: clear });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error.code, 'TW_UNAUTHORIZED');
    const again = await t.call('DELETE', `/api/v1/tokens/${made.id}`);
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'TW_NOT_FOUND');
    const after = (await t.call('GET', '/api/v1/tokens')).json().tokens.find((k: any) => k.id === made.id);
    assert.equal(after.revoked, true);
    assert.notEqual(after.revoked_at, null);
  });

  test('POST /api/v1/tokens refuses a bad role, glob or expiry with 400', async () => {
    for (const [body, field] of [
      [{ role: 'owner' }, 'role'],
      [{ role: 'read', repository_glob: 'ghcr.io/acme/$(x)' }, 'repository_glob'],
      [{ role: 'read', expires_in: 'soon' }, 'expires_in'],
    ] as const) {
      const res = await t.call('POST', '/api/v1/tokens', { body });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'TW_VALIDATION');
      assert.equal(res.json().error.field, field);
    }
  });

  test('an expired token gets 401; one expiring later still works', async () => {
    const expired = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'admin', expiresAt: new Date(Date.now() - 60_000).toISOString() });
    const res = await t.call('GET', '/api/v1/environments', { token: expired.token });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'TW_UNAUTHORIZED');
    const valid = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'read', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    assert.equal((await t.call('GET', '/api/v1/environments', { token: valid.token })).statusCode, 200);
  });

  describe('repository scope', () => {
    let one: Record<Role, string>;
    let deep: Record<Role, string>;
    const deploy = (token: string, url: string, env = 'scoped') =>
      t.call('POST', '/api/v1/deployments', { token, body: { image: { url }, environment: { name: env } } });

    before(async () => {
      one = (await tokensFor(storage, 'default', 'ghcr.io/acme/*')).tokens;
      deep = (await tokensFor(storage, 'default', 'ghcr.io/acme/**')).tokens;
    });

    test('ghcr.io/acme/* may deploy ghcr.io/acme/web but not ghcr.io/other/web nor ghcr.io/acme/team/web', async () => {
      assert.equal((await deploy(one.write, `ghcr.io/acme/web@${digest(10)}`)).statusCode, 201);
      for (const url of [`ghcr.io/other/web@${digest(11)}`, `ghcr.io/acme/team/web@${digest(12)}`, `ghcr.io/acmex/web@${digest(13)}`, `docker.io/library/nginx@${digest(14)}`, `nginx@${digest(14)}`]) {
        const res = await deploy(one.write, url);
        assert.equal(res.statusCode, 403, `${url}: ${res.body}`);
        assert.equal(res.json().error.code, 'TW_FORBIDDEN');
      }
      // The admin role does not widen the scope.
      assert.equal((await deploy(one.admin, `ghcr.io/other/web@${digest(11)}`)).statusCode, 403);
      const recorded = await storage.db.selectFrom('repositories').select('name').where('name', 'in', ['ghcr.io/other/web', 'ghcr.io/acme/team/web', 'ghcr.io/acmex/web']).execute();
      assert.deepEqual(recorded, []);
    });

    test('ghcr.io/acme/** crosses "/" but not out of ghcr.io/acme/', async () => {
      assert.equal((await deploy(deep.write, `ghcr.io/acme/team/web@${digest(15)}`)).statusCode, 201);
      assert.equal((await deploy(deep.write, `ghcr.io/acme/web@${digest(16)}`, 'scoped-deep')).statusCode, 201);
      for (const url of [`ghcr.io/other/web@${digest(17)}`, `ghcr.io/acmex/team/web@${digest(17)}`, `quay.io/ghcr.io/acme/web@${digest(17)}`]) {
        assert.equal((await deploy(deep.write, url)).statusCode, 403, url);
      }
    });

    test('a scoped token gets 403 reading another repository and 200 on its own', async () => {
      const out = await t.call('GET', '/api/v1/repositories/ghcr.io/other/x/deployments', { token: one.read });
      assert.equal(out.statusCode, 403, out.body);
      assert.equal(out.json().error.code, 'TW_FORBIDDEN');
      assert.equal((await t.call('GET', '/api/v1/repositories/ghcr.io/acme/team/web/deployments', { token: one.read })).statusCode, 403);
      assert.equal((await t.call('GET', '/api/v1/repositories/ghcr.io/acme/web/deployments', { token: one.read })).statusCode, 200);
      assert.equal((await t.call('GET', '/api/v1/repositories/ghcr.io/acme/team/web/deployments', { token: deep.read })).statusCode, 200);
    });

    test('a scoped token cannot undeploy outside its scope', async () => {
      const res = await t.call('DELETE', '/api/v1/deployments?environment=scoped&name=ghcr.io/acme/team/web', { token: one.write });
      assert.equal(res.statusCode, 403, res.body);
      const env = (await t.call('GET', '/api/v1/environments/scoped')).json();
      assert.ok(env.instances.some((i: any) => i.name === 'ghcr.io/acme/team/web'), 'the instance still runs');
    });

    test('a scoped admin cannot mint a token that reaches further than its own scope', async () => {
      const create = (token: string, body: Record<string, unknown>) => t.call('POST', '/api/v1/tokens', { token, body: { role: 'admin', ...body } });
      for (const glob of [undefined, 'ghcr.io/**', 'ghcr.io/acme/**', 'ghcr.io/other/*', 'ghcr.io/acme/team/web', 'ghcr.io/*/web']) {
        const res = await create(one.admin, glob === undefined ? {} : { repository_glob: glob });
        if (glob === undefined) {
          // Omitted, the new token inherits the creator's scope rather than getting none.
          assert.equal(res.statusCode, 201, res.body);
          assert.equal(res.json().repository_glob, 'ghcr.io/acme/*');
          continue;
        }
        assert.equal(res.statusCode, 403, `${glob}: ${res.body}`);
        assert.equal(res.json().error.code, 'TW_FORBIDDEN');
      }
      for (const glob of ['ghcr.io/acme/*', 'ghcr.io/acme/web']) {
        const res = await create(one.admin, { repository_glob: glob });
        assert.equal(res.statusCode, 201, `${glob}: ${res.body}`);
        assert.equal(res.json().repository_glob, glob);
      }
      for (const glob of ['ghcr.io/acme/team/*', 'ghcr.io/acme/team/**', 'ghcr.io/acme/*']) {
        assert.equal((await create(deep.admin, { repository_glob: glob })).statusCode, 201, glob);
      }
      assert.equal((await create(deep.admin, { repository_glob: 'ghcr.io/acm*' })).statusCode, 403);
      // Unscoped admins are not restricted.
      assert.equal((await create(t.tokens.admin, { repository_glob: 'quay.io/**' })).statusCode, 201);
      assert.equal((await create(t.tokens.admin, {})).json().repository_glob, null);
    });

    test('a scoped admin cannot revoke a token that reaches further than its own scope', async () => {
      const unscoped = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'admin' });
      const wider = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'read', repoGlob: 'ghcr.io/**' });
      const same = await createToken(storage.db, { workspaceId: t.workspaceId, role: 'read', repoGlob: 'ghcr.io/acme/*' });
      for (const target of [unscoped, wider]) {
        const res = await t.call('DELETE', `/api/v1/tokens/${target.row.id}`, { token: one.admin });
        assert.equal(res.statusCode, 403, res.body);
        assert.equal((await t.call('GET', '/api/v1/environments', { token: target.token })).statusCode, 200, 'still valid');
      }
      assert.equal((await t.call('DELETE', `/api/v1/tokens/${same.row.id}`, { token: one.admin })).statusCode, 204);
      assert.equal((await t.call('DELETE', `/api/v1/tokens/${wider.row.id}`, { token: t.tokens.admin })).statusCode, 204);
    });

    test('a scoped read token sees only in-scope instances, in an environment and in the counts', async () => {
      // scoped: ghcr.io/acme/web (digest 10) and ghcr.io/acme/team/web (digest 15); add one out of every scope.
      assert.equal((await deploy(t.tokens.write, `ghcr.io/other/web@${digest(18)}`)).statusCode, 201);
      const full = (await t.call('GET', '/api/v1/environments/scoped', { token: t.tokens.read })).json();
      assert.deepEqual(full.instances.map((i: any) => i.repository), ['ghcr.io/acme/team/web', 'ghcr.io/acme/web', 'ghcr.io/other/web']);

      const env = await t.call('GET', '/api/v1/environments/scoped', { token: one.read });
      assert.equal(env.statusCode, 200);
      assert.deepEqual(env.json().instances.map((i: any) => i.repository), ['ghcr.io/acme/web']);
      assert.equal(env.json().total, 1);
      assert.ok(!env.body.includes('ghcr.io/other') && !env.body.includes('team/web'));
      const envDeep = (await t.call('GET', '/api/v1/environments/scoped', { token: deep.read })).json();
      assert.deepEqual(envDeep.instances.map((i: any) => i.repository), ['ghcr.io/acme/team/web', 'ghcr.io/acme/web']);

      const counts = async (token: string) => Object.fromEntries((await t.call('GET', '/api/v1/environments', { token })).json()
        .environments.map((e: any) => [e.name, [e.instances, e.images]]));
      const all = await counts(t.tokens.read);
      assert.deepEqual(all.scoped, [3, 3]);
      const mine = await counts(one.read);
      assert.deepEqual(mine.scoped, [1, 1]);
      assert.deepEqual(mine['prod-eu/payments'], [1, 1]);
      const deepCounts = await counts(deep.read);
      assert.deepEqual(deepCounts.scoped, [2, 2]);

      const history = (await t.call('GET', '/api/v1/environments/scoped/history', { token: one.read })).json();
      assert.ok(history.entries.every((e: any) => e.repository === 'ghcr.io/acme/web'));
      assert.ok(history.entries.length >= 1);
    });
  });

  describe('rate limit', () => {
    let limited: TestApp;
    before(async () => { limited = await startTestApp(storage, { rateLimitPerSecond: 5 }); });
    after(async () => { await limited?.close(); });

    test('20 quick requests with one token: some get 429 with Retry-After; another token is not limited', async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => limited.call('GET', '/api/v1/environments', { token: limited.tokens.read })));
      const statuses = answers.map((r) => r.statusCode);
      const ok = statuses.filter((s) => s === 200).length;
      const limitedCount = statuses.filter((s) => s === 429).length;
      assert.equal(ok + limitedCount, 20, `unexpected statuses ${statuses.join(',')}`);
      assert.ok(ok >= 1 && ok <= 7, `${ok} requests passed a limit of 5 per second`);
      assert.ok(limitedCount >= 13);
      for (const res of answers.filter((r) => r.statusCode === 429)) {
        assert.equal(res.json().error.code, 'TW_RATE_LIMITED');
        const retry = res.headers['retry-after'];
        assert.match(String(retry), /^\d+$/);
        assert.ok(Number(retry) >= 1);
      }
      const other = await limited.call('GET', '/api/v1/environments', { token: limited.tokens.write });
      assert.equal(other.statusCode, 200);
      // The limit is per token, not per workspace or process: the first app's tokens are unaffected too.
      assert.equal((await t.call('GET', '/api/v1/environments', { token: t.tokens.read })).statusCode, 200);

      await sleep(Number(answers.find((r) => r.statusCode === 429)!.headers['retry-after']) * 1000 + 50);
      assert.equal((await limited.call('GET', '/api/v1/environments', { token: limited.tokens.read })).statusCode, 200);
    });

    test('requests without a token are refused with 401, not counted against anyone', async () => {
      for (let i = 0; i < 10; i++) assert.equal((await limited.call('GET', '/api/v1/environments', { token: null })).statusCode, 401);
      assert.equal((await limited.call('GET', '/healthz', { token: null })).statusCode, 200);
    });
  });

  test('the audit log records token create, token revoke and deployments with the acting token\'s id', async () => {
    const adminId = await idOf(t.tokens.admin);
    const writeId = await idOf(t.tokens.write);
    const rows = async () => storage.db.selectFrom('audit_log').selectAll().where('workspace_id', '=', t.workspaceId).orderBy('id').execute();
    const start = (await rows()).length;

    const created = await t.call('POST', '/api/v1/tokens', { token: t.tokens.admin, body: { role: 'read', name: 'audited' } });
    assert.equal(created.statusCode, 201);
    const id = created.json().id;
    assert.equal((await t.call('DELETE', `/api/v1/tokens/${id}`, { token: t.tokens.admin })).statusCode, 204);
    const dep = await t.call('POST', '/api/v1/deployments', { token: t.tokens.write, body: { image: { url: `ghcr.io/acme/audit@${digest(30)}` }, environment: { name: 'audit' } } });
    assert.equal(dep.statusCode, 201);
    assert.equal((await t.call('DELETE', '/api/v1/deployments?environment=audit&name=ghcr.io/acme/audit', { token: t.tokens.admin })).statusCode, 200);

    const added = (await rows()).slice(start);
    assert.deepEqual(added.map((r) => [r.action, r.token_id, r.target]), [
      ['token.create', adminId, id],
      ['token.revoke', adminId, id],
      ['deployment.record', writeId, 'audit/ghcr.io/acme/audit'],
      ['deployment.undeploy', adminId, 'audit/ghcr.io/acme/audit'],
    ]);
    for (const r of added) {
      assert.ok(Math.abs(Date.parse(r.at) - Date.now()) < 60_000, `audit time ${r.at}`);
      assert.ok(!JSON.stringify(r).includes(created.json().token), 'the audit log must not hold the clear token');
    }
  });
});
