import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import type { Role } from './token-service.js';

/*
 * security.md: a token of workspace A can neither read, change nor detect anything of workspace B. Every answer about
 * B's resources must be the 404 that a resource which never existed gets, word for word once the name is masked.
 */

/** B's repository of builds, pushes and scans; A never names it except to probe. */
const BUILDER = 'ghcr.io/bcorp/builder';
/** A vulnerability only B's scan has. */
const B_CVE = 'CVE-2099-0001';

describeEachEngine('workspace isolation', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let b: { workspaceId: string; tokens: Record<Role, string> };
  let bTokenId: string;
  let bTokenClear: string;
  /** Ids of what B made besides deployments and tokens. */
  const bIds: Record<'build' | 'scan' | 'triage' | 'workspaceTriage' | 'hook', string> = { build: '', scan: '', triage: '', workspaceTriage: '', hook: '' };
  /** B's own answers before A tried anything, to compare with afterwards. */
  let bBefore: Record<string, unknown>;

  const asB = (method: string, url: string, body?: unknown) => t.call(method, url, { token: b.tokens.admin, body });
  const asA = (method: string, url: string, body?: unknown) => t.call(method, url, { token: t.tokens.admin, body });

  /** B's view of everything it owns (admin token only, so last_used_at of other tokens does not move). */
  async function bView(): Promise<Record<string, unknown>> {
    const get = async (url: string) => {
      const res = await asB('GET', url);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
      return res.json();
    };
    const tokens = (await get('/api/v1/tokens')).tokens.map((k: any) => ({ id: k.id, name: k.name, revoked: k.revoked, prefix: k.prefix }));
    return {
      builds: await get('/api/v1/builds'),
      build: await get(`/api/v1/builds/${bIds.build}`),
      triage: await get('/api/v1/triage'),
      vex: { ...(await get('/api/v1/vex')), serialNumber: null, metadata: null },
      hooks: await get('/api/v1/hooks'),
      image: await get(`/api/v1/images/${BUILDER}@${digest(104)}`),
      tags: await get(`/api/v1/repositories/${BUILDER}/tags`),
      vulnerability: await get(`/api/v1/vulnerabilities/${B_CVE}`),
      environments: await get('/api/v1/environments'),
      bOnly: await get('/api/v1/environments/b-only'),
      bOnlyHistory: await get('/api/v1/environments/b-only/history'),
      prodEuB: await get('/api/v1/environments/prod-eu%2Fb'),
      prodEuBHistory: await get('/api/v1/environments/prod-eu%2Fb/history'),
      repository: await get('/api/v1/repositories/ghcr.io/bcorp/secret/deployments'),
      worker: await get('/api/v1/repositories/ghcr.io/bcorp/worker/deployments'),
      tokens,
    };
  }

  /** Status and body with the probed name replaced, so an answer about B's resource can be compared with a control. */
  const masked = (res: LightMyRequestResponse, name: string) => ({
    status: res.statusCode,
    contentType: res.headers['content-type'],
    body: res.body.split(name).join('<name>'),
  });

  /** A's answer for B's resource must be 404 and identical to its answer for a resource that exists nowhere. */
  async function assertHidden(method: string, probe: { url: string; name: string }, control: { url: string; name: string }, token = t.tokens.admin, body?: unknown) {
    const res = await t.call(method, probe.url, { token, body });
    assert.equal(res.statusCode, 404, `${method} ${probe.url} answered ${res.statusCode}: ${res.body}`);
    assert.equal(res.json().error.code, 'TW_NOT_FOUND');
    const ctl = await t.call(method, control.url, { token, body });
    assert.equal(ctl.statusCode, 404, `control ${method} ${control.url}: ${ctl.body}`);
    assert.deepEqual(masked(res, probe.name), masked(ctl, control.name), `${method} ${probe.url} differs from a resource that never existed`);
    for (const secret of ['bcorp', digest(101), digest(102), digest(103), digest(104), B_CVE, b.workspaceId, bTokenId, ...Object.values(bIds)]) {
      if (probe.name.includes(secret)) continue;
      assert.ok(!res.body.includes(secret), `${method} ${probe.url} reveals ${secret}`);
    }
    return res;
  }

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    b = await tokensFor(storage, 'other');
    assert.notEqual(b.workspaceId, t.workspaceId);

    // A has something of its own, so "A sees its data, not B's" is not vacuous.
    const a = await asA('POST', '/api/v1/deployments', { image: { url: `ghcr.io/acme/web@${digest(1)}` }, environment: { name: 'a-prod' } });
    assert.equal(a.statusCode, 201, a.body);

    // B: deployments in two environments (one with "/"), a repository, an undeployable instance and a token.
    for (const [url, env, name] of [
      [`ghcr.io/bcorp/secret:1.0@${digest(101)}`, 'b-only', 'secret-api'],
      [`ghcr.io/bcorp/worker@${digest(102)}`, 'b-only', undefined],
      [`ghcr.io/bcorp/secret@${digest(103)}`, 'prod-eu/b', undefined],
    ] as const) {
      const res = await asB('POST', '/api/v1/deployments', { image: { url, ...(name ? { name } : {}) }, environment: { name: env } });
      assert.equal(res.statusCode, 201, res.body);
    }
    const tok = await asB('POST', '/api/v1/tokens', { role: 'write', name: 'b-secret-token' });
    assert.equal(tok.statusCode, 201, tok.body);
    bTokenId = tok.json().id;
    bTokenClear = tok.json().token;

    // B's ingest: a pushed tag, a build, a scan, a triage decision and a hook endpoint, in a repository A never names.
    const made = async (method: string, url: string, body: unknown, status = 201) => {
      const res = await asB(method, url, body);
      assert.equal(res.statusCode, status, `${url}: ${res.body}`);
      return res.json();
    };
    await made('POST', '/api/v1/pushes', { image: `${BUILDER}:1.0@${digest(104)}` });
    bIds.build = (await made('POST', '/api/v1/builds', { repository: BUILDER, build_name: 'b-build', trigger_metadata: { commit: 'b0b0b0b' } })).build_id;
    bIds.scan = (await made('POST', `/api/v1/scans?image=${encodeURIComponent(`${BUILDER}@${digest(104)}`)}`, {
      SchemaVersion: 2, ArtifactName: BUILDER, Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: B_CVE, PkgName: 'b-lib', Severity: 'CRITICAL' }] }],
    })).scan_id;
    bIds.triage = (await made('POST', '/api/v1/triage', { vulnerability: B_CVE, state: 'not_affected', justification: 'code_not_reachable', repository: BUILDER })).id;
    bIds.workspaceTriage = (await made('POST', '/api/v1/triage', { vulnerability: 'CVE-2099-0002', state: 'false_positive' })).id;
    bIds.hook = (await made('POST', '/api/v1/hooks', { kind: 'quay', registry_host: 'quay.io' })).id;
    bBefore = await bView();
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('B really owns what the probes ask for', async () => {
    const env = bBefore.bOnly as any;
    assert.deepEqual(env.instances.map((i: any) => i.name).sort(), ['ghcr.io/bcorp/worker', 'secret-api']);
    assert.equal((bBefore.repository as any).environments.length, 2);
    assert.ok((bBefore.tokens as any[]).some((k) => k.id === bTokenId));
    const view = bBefore as any;
    assert.deepEqual(view.builds.builds.map((x: any) => x.build_id), [bIds.build]);
    assert.equal(view.image.scan.scan_id, bIds.scan);
    assert.equal(view.image.findings.total, 1);
    assert.deepEqual(view.tags.tags.map((x: any) => [x.name, x.digest]), [['1.0', digest(104)]]);
    assert.deepEqual(view.triage.decisions.map((x: any) => x.id).sort(), [bIds.triage, bIds.workspaceTriage].sort());
    assert.deepEqual(view.hooks.hooks.map((x: any) => x.id), [bIds.hook]);
    assert.equal(view.vulnerability.not_running.length, 1);
    const self = await t.call('GET', '/api/v1/environments', { token: bTokenClear });
    assert.equal(self.statusCode, 200);
  });

  test('GET /api/v1/environments lists none of B\'s environments, for any of A\'s roles', async () => {
    for (const token of [t.tokens.read, t.tokens.write, t.tokens.admin]) {
      const res = await t.call('GET', '/api/v1/environments', { token });
      assert.equal(res.statusCode, 200);
      assert.deepEqual(res.json().environments.map((e: any) => e.name), ['a-prod']);
      for (const secret of ['b-only', 'prod-eu/b', 'bcorp']) assert.ok(!res.body.includes(secret), `reveals ${secret}`);
    }
  });

  test('GET of B\'s environments and their history is 404, the same as for an environment that never existed', async () => {
    for (const token of [t.tokens.read, t.tokens.admin]) {
      await assertHidden('GET', { url: '/api/v1/environments/b-only', name: 'b-only' }, { url: '/api/v1/environments/zz-none', name: 'zz-none' }, token);
      await assertHidden('GET', { url: '/api/v1/environments/b-only/history', name: 'b-only' }, { url: '/api/v1/environments/zz-none/history', name: 'zz-none' }, token);
      await assertHidden('GET', { url: '/api/v1/environments/prod-eu%2Fb', name: 'prod-eu/b' }, { url: '/api/v1/environments/prod-eu%2Fz', name: 'prod-eu/z' }, token);
      await assertHidden('GET', { url: '/api/v1/environments/prod-eu%2Fb/history?limit=5', name: 'prod-eu/b' }, { url: '/api/v1/environments/prod-eu%2Fz/history?limit=5', name: 'prod-eu/z' }, token);
    }
  });

  test('GET of B\'s repository is 404, the same as for a repository that never existed', async () => {
    for (const token of [t.tokens.read, t.tokens.admin]) {
      await assertHidden('GET',
        { url: '/api/v1/repositories/ghcr.io/bcorp/secret/deployments', name: 'ghcr.io/bcorp/secret' },
        { url: '/api/v1/repositories/ghcr.io/zzcorp/none/deployments', name: 'ghcr.io/zzcorp/none' }, token);
      await assertHidden('GET',
        { url: '/api/v1/repositories/ghcr.io/bcorp/worker/deployments', name: 'ghcr.io/bcorp/worker' },
        { url: '/api/v1/repositories/ghcr.io/zzcorp/none/deployments', name: 'ghcr.io/zzcorp/none' }, token);
    }
  });

  test('DELETE /api/v1/deployments of B\'s running instances is 404 and undeploys nothing', async () => {
    for (const token of [t.tokens.write, t.tokens.admin]) {
      await assertHidden('DELETE',
        { url: '/api/v1/deployments?environment=b-only&name=secret-api', name: 'b-only' },
        { url: '/api/v1/deployments?environment=zz-none&name=secret-api', name: 'zz-none' }, token);
      // The short-name form too (the instance is keyed by its repository).
      await assertHidden('DELETE',
        { url: '/api/v1/deployments?environment=b-only&name=ghcr.io/bcorp/worker', name: 'b-only' },
        { url: '/api/v1/deployments?environment=zz-none&name=ghcr.io/bcorp/worker', name: 'zz-none' }, token);
      await assertHidden('DELETE',
        { url: '/api/v1/deployments?environment=prod-eu%2Fb&name=ghcr.io%2Fbcorp%2Fsecret', name: 'prod-eu/b' },
        { url: '/api/v1/deployments?environment=prod-eu%2Fz&name=ghcr.io%2Fbcorp%2Fsecret', name: 'prod-eu/z' }, token);
    }
    const running = await storage.db.selectFrom('deployments').select('id')
      .where('workspace_id', '=', b.workspaceId).where('undeployed_at', 'is', null).execute();
    assert.equal(running.length, 3);
  });

  test('DELETE /api/v1/tokens/<B\'s token id> is 404 and B\'s token keeps working', async () => {
    const bIds = (await storage.db.selectFrom('tokens').select('id').where('workspace_id', '=', b.workspaceId).execute()).map((r) => r.id);
    assert.equal(bIds.length, 4);
    const control = randomUUID();
    for (const id of bIds) {
      await assertHidden('DELETE', { url: `/api/v1/tokens/${id}`, name: id }, { url: `/api/v1/tokens/${control}`, name: control });
    }
    // Nor by the visible prefix of B's token.
    const prefix = bTokenClear.slice(0, 10);
    await assertHidden('DELETE', { url: `/api/v1/tokens/${prefix}`, name: prefix }, { url: '/api/v1/tokens/tw_zzzzzzz', name: 'tw_zzzzzzz' });
    const revoked = await storage.db.selectFrom('tokens').select('id').where('workspace_id', '=', b.workspaceId)
      .where('revoked_at', 'is not', null).execute();
    assert.equal(revoked.length, 0);
    assert.equal((await t.call('GET', '/api/v1/environments', { token: bTokenClear })).statusCode, 200);
  });

  test('GET /api/v1/tokens lists only A\'s tokens', async () => {
    const res = await asA('GET', '/api/v1/tokens');
    assert.equal(res.statusCode, 200);
    const bRows = await storage.db.selectFrom('tokens').select(['id', 'prefix', 'name']).where('workspace_id', '=', b.workspaceId).execute();
    const aIds = (await storage.db.selectFrom('tokens').select('id').where('workspace_id', '=', t.workspaceId).execute()).map((r) => r.id);
    assert.deepEqual(res.json().tokens.map((k: any) => k.id).sort(), [...aIds].sort());
    for (const row of bRows) {
      assert.ok(!res.body.includes(row.id), `lists B's token ${row.id}`);
      assert.ok(!res.body.includes(row.prefix), `shows B's prefix ${row.prefix}`);
    }
    assert.ok(!res.body.includes('b-secret-token'));
  });

  test('B\'s builds are 404 to A: read, listed by repository, moved to another phase', async () => {
    const control = randomUUID();
    for (const token of [t.tokens.read, t.tokens.admin]) {
      await assertHidden('GET', { url: `/api/v1/builds/${bIds.build}`, name: bIds.build }, { url: `/api/v1/builds/${control}`, name: control }, token);
      await assertHidden('GET', { url: `/api/v1/builds?repository=${BUILDER}`, name: BUILDER }, { url: '/api/v1/builds?repository=ghcr.io/zzcorp/none', name: 'ghcr.io/zzcorp/none' }, token);
    }
    for (const phase of ['started', 'cancelled']) {
      await assertHidden('POST', { url: `/api/v1/builds/${bIds.build}/phase`, name: bIds.build }, { url: `/api/v1/builds/${control}/phase`, name: control }, t.tokens.write, { phase });
    }
    const listed = await asA('GET', '/api/v1/builds');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().builds, []);
    assert.equal(listed.json().total, 0);
    const row = await storage.db.selectFrom('builds').select('phase').where('id', '=', bIds.build).executeTakeFirstOrThrow();
    assert.equal(row.phase, 'queued');
  });

  test('B\'s scanned image and its tags are 404 to A; its findings are as unknown as a vulnerability nobody has', async () => {
    for (const token of [t.tokens.read, t.tokens.admin]) {
      await assertHidden('GET', { url: `/api/v1/images/${BUILDER}@${digest(104)}`, name: `${BUILDER}@${digest(104)}` },
        { url: `/api/v1/images/ghcr.io/zzcorp/none@${digest(999)}`, name: `ghcr.io/zzcorp/none@${digest(999)}` }, token);
      await assertHidden('GET', { url: `/api/v1/images/${BUILDER}:1.0@${digest(104)}`, name: `${BUILDER}@${digest(104)}` },
        { url: `/api/v1/images/ghcr.io/zzcorp/none:1.0@${digest(999)}`, name: `ghcr.io/zzcorp/none@${digest(999)}` }, token);
      await assertHidden('GET', { url: `/api/v1/repositories/${BUILDER}/tags`, name: BUILDER },
        { url: '/api/v1/repositories/ghcr.io/zzcorp/none/tags', name: 'ghcr.io/zzcorp/none' }, token);
      await assertHidden('GET', { url: `/api/v1/compare?base=${BUILDER}@${digest(104)}&head=env:a-prod`, name: `${BUILDER}@${digest(104)}` },
        { url: `/api/v1/compare?base=ghcr.io/zzcorp/none@${digest(999)}&head=env:a-prod`, name: `ghcr.io/zzcorp/none@${digest(999)}` }, token);
      // The incident question answers "we run it nowhere", word for word as for an id no scan mentions.
      const probe = await t.call('GET', `/api/v1/vulnerabilities/${B_CVE}`, { token });
      const control = await t.call('GET', '/api/v1/vulnerabilities/CVE-2099-9999', { token });
      assert.equal(probe.statusCode, 200, probe.body);
      assert.deepEqual(masked(probe, B_CVE), masked(control, 'CVE-2099-9999'));
      assert.ok(!probe.body.includes('bcorp') && !probe.body.includes('b-lib'));
    }
    const scans = await storage.db.selectFrom('scans').select('workspace_id').execute();
    assert.deepEqual(scans.map((r) => r.workspace_id), [b.workspaceId]);
  });

  test('B\'s triage decisions are 404 to A, and neither listed nor exported as VEX', async () => {
    const control = randomUUID();
    for (const token of [t.tokens.write, t.tokens.admin]) {
      for (const id of [bIds.triage, bIds.workspaceTriage]) {
        await assertHidden('DELETE', { url: `/api/v1/triage/${id}`, name: id }, { url: `/api/v1/triage/${control}`, name: control }, token);
      }
    }
    for (const url of ['/api/v1/triage', `/api/v1/triage?vulnerability=${B_CVE}`, `/api/v1/triage?repository=${BUILDER}`]) {
      const res = await asA('GET', url);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().decisions, [], url);
    }
    for (const url of ['/api/v1/vex', `/api/v1/vex?repository=${BUILDER}`]) {
      const res = await asA('GET', url);
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().vulnerabilities, [], url);
      for (const secret of [B_CVE, 'CVE-2099-0002', bIds.triage]) assert.ok(!res.body.includes(secret), `${url} reveals ${secret}`);
    }
    const left = await storage.db.selectFrom('triage').select('id').where('workspace_id', '=', b.workspaceId).orderBy('id').execute();
    assert.deepEqual(left.map((r) => r.id), [bIds.triage, bIds.workspaceTriage].sort());
  });

  test('B\'s hook endpoints are 404 to A and not listed', async () => {
    const control = randomUUID();
    await assertHidden('DELETE', { url: `/api/v1/hooks/${bIds.hook}`, name: bIds.hook }, { url: `/api/v1/hooks/${control}`, name: control });
    const listed = await asA('GET', '/api/v1/hooks');
    assert.equal(listed.statusCode, 200);
    assert.deepEqual(listed.json().hooks, []);
    const rows = await storage.db.selectFrom('hook_endpoints').select('workspace_id').execute();
    assert.deepEqual(rows.map((r) => r.workspace_id), [b.workspaceId]);
  });

  test('A deploying to an environment named like B\'s gets its own environment; B\'s is untouched', async () => {
    const res = await asA('POST', '/api/v1/deployments', { image: { url: `ghcr.io/acme/web@${digest(2)}` }, environment: { name: 'b-only' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().replaced, null);
    // And A's own repository named like B's: a separate row, A sees only its own deployment of it.
    const same = await asA('POST', '/api/v1/deployments', { image: { url: `ghcr.io/bcorp/secret@${digest(3)}`, name: 'secret-api' }, environment: { name: 'b-only' } });
    assert.equal(same.statusCode, 201, same.body);
    assert.equal(same.json().replaced, null, 'A\'s instance must not replace B\'s instance of the same key');

    const envA = (await asA('GET', '/api/v1/environments/b-only')).json();
    assert.deepEqual(envA.instances.map((i: any) => [i.name, i.digest]), [['ghcr.io/acme/web', digest(2)], ['secret-api', digest(3)]]);
    const historyA = (await asA('GET', '/api/v1/environments/b-only/history')).json();
    assert.equal(historyA.total, 2);
    assert.ok(!JSON.stringify(historyA).includes(digest(101)));
    const repoA = (await asA('GET', '/api/v1/repositories/ghcr.io/bcorp/secret/deployments')).json();
    assert.deepEqual(repoA.environments, [{ environment: 'b-only', instances: [repoA.environments[0].instances[0]] }]);
    assert.equal(repoA.environments[0].instances[0].digest, digest(3));
    const listA = (await asA('GET', '/api/v1/environments')).json();
    assert.deepEqual(listA.environments.map((e: any) => [e.name, e.instances]), [['a-prod', 1], ['b-only', 2]]);

    // A's DELETE reaches its own instance only; B's remains out of reach.
    const del = await asA('DELETE', '/api/v1/deployments?environment=b-only&name=secret-api');
    assert.equal(del.statusCode, 200, del.body);
    assert.equal(del.json().image.digest, digest(3));
    const again = await asA('DELETE', '/api/v1/deployments?environment=b-only&name=secret-api');
    assert.equal(again.statusCode, 404);
    assert.ok(!again.body.includes(digest(101)));

    const rows = await storage.db.selectFrom('environments').select(['workspace_id']).where('name', '=', 'b-only').execute();
    assert.deepEqual(rows.map((r) => r.workspace_id).sort(), [t.workspaceId, b.workspaceId].sort());
    const repos = await storage.db.selectFrom('repositories').select(['workspace_id']).where('name', '=', 'ghcr.io/bcorp/secret').execute();
    assert.equal(repos.length, 2);
  });

  test('afterwards, with B\'s token, all of B\'s data is intact', async () => {
    assert.deepEqual(await bView(), bBefore);
    const bRunning = await storage.db.selectFrom('deployments').select(['instance_name', 'digest'])
      .where('workspace_id', '=', b.workspaceId).where('undeployed_at', 'is', null).orderBy('digest').execute();
    assert.deepEqual(bRunning.map((r) => r.digest), [digest(101), digest(102), digest(103)]);
    const bAudit = await storage.db.selectFrom('audit_log').select(['action', 'token_id']).where('workspace_id', '=', b.workspaceId).execute();
    const bTokenIds = new Set((await storage.db.selectFrom('tokens').select('id').where('workspace_id', '=', b.workspaceId).execute()).map((r) => r.id));
    // Only B's own changes, all by B's tokens.
    assert.deepEqual(bAudit.map((r) => r.action).sort(), [
      'build.create', 'deployment.record', 'deployment.record', 'deployment.record', 'hook.create', 'push.record', 'scan.record', 'token.create',
      'triage.record', 'triage.record',
    ]);
    assert.ok(bAudit.every((r) => r.token_id !== null && bTokenIds.has(r.token_id)));
    // B's token created through the API still works.
    assert.equal((await t.call('GET', '/api/v1/environments/b-only', { token: bTokenClear })).statusCode, 200);
  });
});
