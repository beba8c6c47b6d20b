/*
 * admission.md "Policies": each rule alone and together, the three modes, the strictest of several policies, triage
 * and ignore_vulnerabilities, the messages — through GET /api/v1/policies/check over scans stored as ingest stores
 * them (and one real Trivy report ingested through the API).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { fixtureFolder } from '../../test/support/fixtures.js';
import { insertScan, pushTag } from '../../test/support/test-scans.js';
import { checkImages } from './policy-check.js';

const REPO = 'registry.example.com/acme/web';
const SCANNED = digest('a1');
const UNSCANNED = digest('b2');
const OTHER_REPO = 'ghcr.io/elsewhere/tool';
const trivy = fixtureFolder('trivy');
const JUICE = 'securecodebox_juice-shop-v10.2.0.json.gz';

let envs = 0;
/** A fresh environment per test, so the policies of one test never apply to another's checks. */
const freshEnv = () => `check-${++envs}`;

describeEachEngine('policy check', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    // Three Critical ids (one fixable id found in two packages), one High, one Low.
    await insertScan(storage.db, t.workspaceId, { repository: REPO, digest: SCANNED }, [
      { id: 'CVE-2024-0001', severity: 'Critical', fixed: '1.1', package: 'openssl' },
      { id: 'CVE-2024-0002', severity: 'Critical', fixed: '2.1', package: 'zlib' },
      { id: 'CVE-2024-0002', severity: 'Critical', fixed: '2.1', package: 'zlib-dev' },
      { id: 'CVE-2024-0003', severity: 'Critical', fixed: null, package: 'glibc' },
      { id: 'CVE-2024-0004', severity: 'High', fixed: '4.1', package: 'curl' },
      { id: 'CVE-2024-0005', severity: 'Low', fixed: null, package: 'bash' },
    ]);
    await pushTag(storage.db, t.workspaceId, REPO, 'v1', SCANNED);
    await pushTag(storage.db, t.workspaceId, REPO, 'v2', UNSCANNED);
    await insertScan(storage.db, t.workspaceId, { repository: OTHER_REPO, digest: digest('c3') }, []);
  });
  after(async () => { await t.close(); await storage.dispose(); });

  const policy = async (environment: string, mode: string, rules: Record<string, unknown>, name = `p-${environment}-${mode}`) => {
    const res = await t.call('POST', '/api/v1/policies', { body: { name, environments: [environment], mode, rules } });
    assert.equal(res.statusCode, 201, res.body);
    return name;
  };
  const check = async (image: string, environment: string, token = t.tokens.read) => {
    const res = await t.call('GET', `/api/v1/policies/check?image=${encodeURIComponent(image)}&environment=${encodeURIComponent(environment)}`, { token });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const pinned = `${REPO}@${SCANNED}`;

  test('no policy for the environment: allowed, no decisions', async () => {
    const answer = await check(pinned, freshEnv());
    assert.equal(answer.allowed, true);
    assert.equal(answer.result, 'allowed');
    assert.deepEqual(answer.decisions, []);
    assert.deepEqual(answer.warnings, []);
    assert.equal(answer.digest, SCANNED);
    assert.equal(answer.resolved_from, 'digest');
    assert.equal(answer.image, pinned);
  });

  test('deny_severity Critical counts distinct open Critical ids, fixable or not, and names them', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { deny_severity: 'Critical' });
    const answer = await check(pinned, env);
    assert.equal(answer.allowed, false);
    assert.equal(answer.result, 'refused');
    assert.deepEqual(answer.decisions, [{
      policy: name, mode: 'enforce', rule: 'deny_severity',
      message: `${name}: ${pinned} has 3 Critical vulnerabilities (CVE-2024-0001, CVE-2024-0002, CVE-2024-0003)`,
    }]);
  });

  test('deny_severity High counts High or worse', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { deny_severity: 'high' });
    const [decision] = (await check(pinned, env)).decisions;
    assert.equal(decision.message, `${name}: ${pinned} has 4 High or worse vulnerabilities (CVE-2024-0001, CVE-2024-0002, CVE-2024-0003, CVE-2024-0004)`);
  });

  test('fixable_only counts only the fixable ones (Docker Scout\'s "no fixable critical")', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { deny_severity: 'Critical', fixable_only: true });
    const answer = await check(pinned, env);
    assert.equal(answer.decisions[0].message, `${name}: ${pinned} has 2 fixable Critical vulnerabilities (CVE-2024-0001, CVE-2024-0002)`);
  });

  test('deny_severity passes an image with nothing that bad', async () => {
    const env = freshEnv();
    await policy(env, 'enforce', { deny_severity: 'Critical' });
    const answer = await check(`${OTHER_REPO}@${digest('c3')}`, env);
    assert.equal(answer.allowed, true);
    assert.deepEqual(answer.decisions, []);
  });

  test('ignore_vulnerabilities: those ids never count, in any case', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { deny_severity: 'Critical', ignore_vulnerabilities: ['cve-2024-0003', 'CVE-2024-0001'] });
    assert.equal((await check(pinned, env)).decisions[0].message, `${name}: ${pinned} has 1 Critical vulnerability (CVE-2024-0002)`);
    const all = freshEnv();
    await policy(all, 'enforce', { deny_severity: 'Critical', ignore_vulnerabilities: ['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003'] });
    assert.equal((await check(pinned, all)).allowed, true);
  });

  test('require_scan: a digest without a scan, or a tag with no known digest, is refused; a scanned one passes', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { require_scan: true });
    assert.equal((await check(pinned, env)).allowed, true);
    const unscanned = await check(`${REPO}@${UNSCANNED}`, env);
    assert.deepEqual(unscanned.decisions, [{ policy: name, mode: 'enforce', rule: 'require_scan', message: `${name}: ${REPO}@${UNSCANNED} has no scan` }]);
    const unknownTag = await check(`${REPO}:nightly`, env);
    assert.equal(unknownTag.digest, null);
    assert.equal(unknownTag.resolved_from, null);
    assert.deepEqual(unknownTag.decisions.map((d: { message: string }) => d.message), [`${name}: ${REPO}:nightly has no scan (no digest is known for it)`]);
  });

  test('require_digest: a tag Tidewatch can pin passes (resolved from the tag history), one it cannot is refused', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { require_digest: true });
    const resolved = await check(`${REPO}:v1`, env);
    assert.equal(resolved.allowed, true);
    assert.equal(resolved.digest, SCANNED);
    assert.equal(resolved.resolved_from, 'tag');
    assert.equal(resolved.image, `${REPO}:v1@${SCANNED}`);
    const refused = await check(`${REPO}:nightly`, env);
    assert.deepEqual(refused.decisions, [{ policy: name, mode: 'enforce', rule: 'require_digest', message: `${name}: ${REPO}:nightly is a tag Tidewatch cannot pin to a digest` }]);
    // An image without a tag is `latest`, as the runtime pulls it.
    assert.equal((await check(REPO, env)).image, `${REPO}:latest`);
    assert.equal((await check(pinned, env)).allowed, true);
  });

  test('allowed_repositories: an image from none of the globs is refused', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { allowed_repositories: ['registry.example.com/acme/*'] });
    assert.equal((await check(pinned, env)).allowed, true);
    const other = await check(`${OTHER_REPO}@${digest('c3')}`, env);
    assert.deepEqual(other.decisions, [{
      policy: name, mode: 'enforce', rule: 'allowed_repositories',
      message: `${name}: ${OTHER_REPO}@${digest('c3')} is not from an allowed repository (registry.example.com/acme/*)`,
    }]);
    // Docker Hub short names are canonical before they are matched.
    const hub = freshEnv();
    await policy(hub, 'enforce', { allowed_repositories: ['docker.io/library/*'] });
    assert.equal((await check('nginx:1.25', hub)).allowed, true);
  });

  test('all rules together: each broken rule is a decision, in the order of the rules table', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', {
      deny_severity: 'Critical', require_scan: true, require_digest: true, allowed_repositories: ['ghcr.io/acme/**'],
    });
    const scanned = await check(pinned, env);
    assert.deepEqual(scanned.decisions.map((d: { rule: string }) => d.rule), ['deny_severity', 'allowed_repositories']);
    const unknown = await check(`${REPO}:nightly`, env);
    assert.deepEqual(unknown.decisions.map((d: { rule: string }) => d.rule), ['require_scan', 'require_digest', 'allowed_repositories']);
    assert.ok(unknown.decisions.every((d: { message: string; policy: string }) => d.policy === name && d.message.startsWith(`${name}: ${REPO}:nightly `)));
  });

  test('modes: enforce refuses, warn allows with a warning, audit allows and only records', async () => {
    const rules = { deny_severity: 'Critical' };
    const [enforce, warn, audit] = [freshEnv(), freshEnv(), freshEnv()];
    await policy(enforce, 'enforce', rules);
    const warnName = await policy(warn, 'warn', rules);
    const auditName = await policy(audit, 'audit', rules);
    const e = await check(pinned, enforce);
    assert.deepEqual([e.allowed, e.result, e.warnings], [false, 'refused', []]);
    const w = await check(pinned, warn);
    assert.deepEqual([w.allowed, w.result], [true, 'warned']);
    assert.deepEqual(w.warnings, [`${warnName}: ${pinned} has 3 Critical vulnerabilities (CVE-2024-0001, CVE-2024-0002, CVE-2024-0003)`]);
    const a = await check(pinned, audit);
    assert.deepEqual([a.allowed, a.result, a.warnings], [true, 'allowed', []]);
    assert.deepEqual(a.decisions.map((d: { policy: string; mode: string }) => [d.policy, d.mode]), [[auditName, 'audit']]);
  });

  test('several policies match through their globs: all apply and the strictest wins', async () => {
    const env = `${freshEnv()}/payments`;
    const cluster = env.split('/')[0];
    const post = (name: string, environments: string[], mode: string, rules: Record<string, unknown>) =>
      t.call('POST', '/api/v1/policies', { body: { name, environments, mode, rules } });
    assert.equal((await post(`${cluster}-audit`, [`${cluster}/**`], 'audit', { require_digest: true, deny_severity: 'Low' })).statusCode, 201);
    assert.equal((await post(`${cluster}-warn`, [`${cluster}/*`], 'warn', { deny_severity: 'High' })).statusCode, 201);
    assert.equal((await post(`${cluster}-gate`, ['nowhere', env], 'enforce', { deny_severity: 'Critical', fixable_only: true })).statusCode, 201);
    assert.equal((await post(`${cluster}-other`, [`${cluster}`], 'enforce', { require_scan: true })).statusCode, 201);
    const answer = await check(pinned, env);
    assert.equal(answer.result, 'refused');
    assert.equal(answer.allowed, false);
    assert.deepEqual(answer.decisions.map((d: { policy: string }) => d.policy).sort(), [`${cluster}-audit`, `${cluster}-gate`, `${cluster}-warn`]);
    assert.deepEqual(answer.warnings, [`${cluster}-warn: ${pinned} has 4 High or worse vulnerabilities (CVE-2024-0001, CVE-2024-0002, CVE-2024-0003, CVE-2024-0004)`]);
    // Without the enforce one, the warning is the strictest.
    assert.equal((await t.call('DELETE', `/api/v1/policies/${cluster}-gate`)).statusCode, 204);
    const warned = await check(pinned, env);
    assert.deepEqual([warned.result, warned.allowed], ['warned', true]);
    // The environment of the cluster itself is matched only by the policy naming it exactly.
    assert.deepEqual((await check(pinned, cluster!)).decisions, []);
  });

  test('triage: a not_affected decision for the repository or the workspace takes a finding out; one for another repository does not', async () => {
    const env = freshEnv();
    const name = await policy(env, 'enforce', { deny_severity: 'Critical' });
    const triage = async (body: Record<string, unknown>) => {
      const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body: { state: 'not_affected', justification: 'code_not_reachable', ...body } });
      assert.equal(res.statusCode, 201, res.body);
      return res.json().id as string;
    };
    const elsewhere = await triage({ vulnerability: 'CVE-2024-0001', repository: OTHER_REPO });
    assert.match((await check(pinned, env)).decisions[0].message, /has 3 Critical/);
    const here = await triage({ vulnerability: 'CVE-2024-0001', repository: REPO });
    assert.equal((await check(pinned, env)).decisions[0].message, `${name}: ${pinned} has 2 Critical vulnerabilities (CVE-2024-0002, CVE-2024-0003)`);
    // A decision limited to one of the two packages leaves the other package's finding open.
    const onePackage = await triage({ vulnerability: 'CVE-2024-0002', package: 'zlib' });
    assert.match((await check(pinned, env)).decisions[0].message, /has 2 Critical/);
    const otherPackage = await triage({ vulnerability: 'CVE-2024-0002', package: 'zlib-dev' });
    assert.equal((await check(pinned, env)).decisions[0].message, `${name}: ${pinned} has 1 Critical vulnerability (CVE-2024-0003)`);
    const workspace = await triage({ vulnerability: 'CVE-2024-0003' });
    assert.deepEqual((await check(pinned, env)).decisions, []);
    // in_triage suppresses nothing: replacing the workspace-wide decision brings the finding back.
    await triage({ vulnerability: 'CVE-2024-0003', state: 'in_triage', justification: undefined });
    assert.match((await check(pinned, env)).decisions[0].message, /has 1 Critical vulnerability \(CVE-2024-0003\)/);
    for (const id of [elsewhere, here, onePackage, otherPackage, workspace]) await t.call('DELETE', `/api/v1/triage/${id}`, { token: t.tokens.write });
    await storage.db.deleteFrom('triage').where('workspace_id', '=', t.workspaceId).execute();
  });

  test('a real Trivy report ingested through the API: the count is the report\'s distinct Critical ids', trivy.needs(JUICE), async () => {
    const raw = JSON.parse(gunzipSync(trivy.bytes(JUICE)).toString('utf8'));
    const image = `docker.io/${raw.Metadata.RepoDigests[0]}`;
    const res = await t.call('POST', '/api/v1/scans', { token: t.tokens.write, body: trivy.bytes(JUICE), headers: { 'content-encoding': 'gzip' } });
    assert.equal(res.statusCode, 201, res.body);
    const vulns: Array<{ VulnerabilityID: string; Severity: string; Status?: string; FixedVersion?: string }> =
      raw.Results.flatMap((r: { Vulnerabilities?: unknown[] }) => r.Vulnerabilities ?? []);
    const critical = new Set(vulns.filter((v) => v.Severity === 'CRITICAL').map((v) => v.VulnerabilityID));
    const fixable = new Set(vulns.filter((v) => v.Severity === 'CRITICAL' && v.Status === 'fixed').map((v) => v.VulnerabilityID));
    const env = freshEnv();
    const all = await policy(env, 'enforce', { deny_severity: 'Critical' }, 'juice-all');
    const fixed = await policy(env, 'warn', { deny_severity: 'CRITICAL', fixable_only: true }, 'juice-fixable');
    const answer = await check(image, env);
    assert.equal(answer.result, 'refused');
    const byPolicy = new Map(answer.decisions.map((d: { policy: string; message: string }) => [d.policy, d.message]));
    assert.match(byPolicy.get(all) as string, new RegExp(`^${all}: docker\\.io/bkimminich/juice-shop@sha256:[0-9a-f]{64} has ${critical.size} Critical vulnerabilities \\(`));
    assert.match(byPolicy.get(fixed) as string, new RegExp(` has ${fixable.size} fixable Critical vulnerabilities \\(.*, …\\)$`));
  });

  test('checkImages answers each image in order, with one evaluation per image', async () => {
    const env = freshEnv();
    await policy(env, 'enforce', { deny_severity: 'Critical', require_scan: true });
    const subject = (d: string | null, reference: string) => ({ repository: REPO, digest: d, reference, pinned: d !== null, resolvedFromTag: false });
    const results = await checkImages(storage.db, t.workspaceId, env, [
      subject(UNSCANNED, 'b'), subject(SCANNED, 'a'), subject(null, 'c'), { ...subject(digest('c3'), 'd'), repository: OTHER_REPO },
    ]);
    assert.deepEqual(results.map((r) => r.decisions.map((d) => d.rule)), [['require_scan'], ['deny_severity'], ['require_scan'], []]);
    assert.deepEqual(await checkImages(storage.db, t.workspaceId, env, []), []);
  });

  test('checkImages reads little: one query with no policy for the environment, at most three whatever the number of images', async () => {
    let queries = 0;
    const counting = storage.db.withPlugin({
      transformQuery: (args) => { queries++; return args.node; },
      transformResult: async (args) => args.result,
    });
    const images = Array.from({ length: 5 }, (_, i) => ({
      repository: REPO, digest: i % 2 === 0 ? SCANNED : UNSCANNED, reference: `img-${i}`, pinned: true, resolvedFromTag: false,
    }));
    const count = async (environment: string) => {
      queries = 0;
      await checkImages(counting, t.workspaceId, environment, images);
      return queries;
    };
    assert.equal(await count(freshEnv()), 1, 'no policy applies: only the policies are read');
    const digestOnly = freshEnv();
    await policy(digestOnly, 'enforce', { require_digest: true, allowed_repositories: ['**'] });
    assert.equal(await count(digestOnly), 1, 'rules that need no facts read none');
    const scanOnly = freshEnv();
    await policy(scanOnly, 'enforce', { require_scan: true });
    assert.equal(await count(scanOnly), 2, 'require_scan alone: the policies and the scans');
    const severe = freshEnv();
    await policy(severe, 'enforce', { deny_severity: 'Critical', require_scan: true });
    await policy(severe, 'warn', { deny_severity: 'High' }, `${severe}-second`);
    assert.equal(await count(severe), 3, 'the policies, scans with their findings, and triage');
  });

  test('bad queries are 400 naming the field', async () => {
    const rows: Array<[string, string]> = [
      ['environment=production', 'query.image'],
      [`image=${encodeURIComponent(pinned)}`, 'query.environment'],
      [`image=${encodeURIComponent('Not A Ref')}&environment=production`, 'query.image'],
      [`image=${encodeURIComponent(`${REPO}@sha256:abc`)}&environment=production`, 'query.image'],
      [`image=${encodeURIComponent(pinned)}&environment=${encodeURIComponent('prod eu')}`, 'query.environment'],
      [`image=${encodeURIComponent(pinned)}&environment=${'e'.repeat(129)}`, 'query.environment'],
      [`image=${encodeURIComponent(pinned)}&environment=production&extra=1`, 'query.extra'],
    ];
    for (const [query, field] of rows) {
      const res = await t.call('GET', `/api/v1/policies/check?${query}`, { token: t.tokens.read });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(res.json().error.code, 'TW_VALIDATION');
      assert.equal(res.json().error.field, field, query);
    }
  });

  test('the check needs a token; a token limited to other repositories is refused for this image', async () => {
    assert.equal((await t.call('GET', `/api/v1/policies/check?image=${encodeURIComponent(pinned)}&environment=x`, { token: null })).statusCode, 401);
    const scoped = (await tokensFor(storage, 'default', 'ghcr.io/**')).tokens.read;
    const res = await t.call('GET', `/api/v1/policies/check?image=${encodeURIComponent(pinned)}&environment=x`, { token: scoped });
    assert.equal(res.statusCode, 403);
    assert.equal((await check(`${OTHER_REPO}@${digest('c3')}`, 'x', scoped)).allowed, true);
  });
});
