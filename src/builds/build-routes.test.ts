import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { buildsForDigests } from './build-queries.js';

describeEachEngine('builds API', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const create = async (body: Record<string, unknown>, token = t.tokens.write) => {
    const res = await t.call('POST', '/api/v1/builds', { token, body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json();
  };
  const phase = async (id: string, body: Record<string, unknown>, token = t.tokens.write) => {
    const res = await t.call('POST', `/api/v1/builds/${id}/phase`, { token, body });
    assert.equal(res.statusCode, 200, res.body);
    return res.json();
  };
  const commit = (c: string) => c.repeat(40);

  test('POST /builds answers 201 with the build: id, queued, defaults, commit and ref from trigger_metadata', async () => {
    const b = await create({
      repository: 'nginx', build_name: '50bc599', trigger_kind: 'github', trigger_id: 't-1',
      trigger_metadata: { commit: commit('A'), ref: 'refs/heads/main', default_branch: 'main', commit_info: { message: 'fix', author: { username: 'dev' } } },
    });
    assert.match(b.build_id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(b.phase, 'queued');
    assert.equal(b.repository, 'docker.io/library/nginx');
    assert.deepEqual(b.docker_tags, ['latest'], 'Quay\'s default tag');
    assert.deepEqual([b.commit, b.ref, b.is_manual, b.manual_user], [commit('a'), 'refs/heads/main', false, null]);
    assert.deepEqual(b.trigger_metadata.commit_info, { message: 'fix', author: { username: 'dev' } });
    assert.deepEqual(b.manifest_digests, []);
    const row = await storage.db.selectFrom('builds').selectAll().where('id', '=', b.build_id).executeTakeFirstOrThrow();
    assert.equal(row.commit_sha, commit('a'));
    assert.deepEqual((await t.call('GET', `/api/v1/builds/${b.build_id}`, { token: t.tokens.read })).json(), b);
    const alt = await create({ repository: 'ghcr.io/acme/web', docker_tags: ['v1', 'v1', 'latest'], trigger_metadata: { commit_sha: commit('b') } });
    assert.deepEqual([alt.commit, alt.ref, alt.docker_tags], [commit('b'), null, ['v1', 'latest']]);
  });

  test('a success links the build to its digests: images, build_images, and buildsForDigests gives the commit', async () => {
    const b = await create({ repository: 'ghcr.io/acme/link', trigger_kind: 'github', trigger_metadata: { commit: commit('c'), ref: 'refs/heads/main' }, build_name: 'ccccccc' });
    await phase(b.build_id, { phase: 'started' });
    const done = await phase(b.build_id, {
      phase: 'success', image_id: digest('1d'),
      manifest_digests: [digest('11'), `ghcr.io/acme/link:1.0@${digest('12')}`, `registry.example.com/mirror/link@${digest('11')}`],
    });
    assert.deepEqual(done.manifest_digests, [
      `ghcr.io/acme/link@${digest('11')}`, `ghcr.io/acme/link@${digest('12')}`, `registry.example.com/mirror/link@${digest('11')}`,
    ]);
    const links = await storage.db.selectFrom('build_images').selectAll().where('build_id', '=', b.build_id).orderBy('digest').execute();
    assert.deepEqual(links.map((l) => [l.digest, l.workspace_id]), [[digest('11'), t.workspaceId], [digest('12'), t.workspaceId]]);
    const images = await storage.db.selectFrom('images as i').innerJoin('repositories as r', 'r.id', 'i.repository_id')
      .select(['r.name', 'i.digest']).where('i.digest', 'in', [digest('11'), digest('12')]).orderBy('r.name').orderBy('i.digest').execute();
    assert.deepEqual(images.map((i) => `${i.name}@${i.digest}`), done.manifest_digests);
    const found = await buildsForDigests(storage.db, t.workspaceId, [digest('11'), digest('12'), digest('13')]);
    assert.deepEqual(found.get(digest('11')), {
      build_id: b.build_id, build_name: 'ccccccc', commit: commit('c'), trigger_kind: 'github', ref: 'refs/heads/main', finished_at: done.finished_at,
    });
    assert.equal(found.get(digest('12'))?.commit, commit('c'));
    assert.ok(!found.has(digest('13')), 'a digest no build made is absent');
  });

  test('buildsForDigests: the newest successful build wins; unfinished and other workspaces\' builds do not count', async () => {
    const older = await create({ repository: 'ghcr.io/acme/again', trigger_metadata: { commit: commit('d') } });
    await phase(older.build_id, { phase: 'started' });
    await phase(older.build_id, { phase: 'success', manifest_digests: [digest('21')] });
    const newer = await create({ repository: 'ghcr.io/acme/again', trigger_metadata: { commit: commit('e') } });
    await phase(newer.build_id, { phase: 'started' });
    await phase(newer.build_id, { phase: 'success', manifest_digests: [digest('21')] });
    const running = await create({ repository: 'ghcr.io/acme/again', trigger_metadata: { commit: commit('f') } });
    await phase(running.build_id, { phase: 'started' });
    const found = await buildsForDigests(storage.db, t.workspaceId, [digest('21'), digest('21')]);
    assert.equal(found.size, 1);
    assert.equal(found.get(digest('21'))?.build_id, newer.build_id);
    assert.equal(found.get(digest('21'))?.commit, commit('e'));
    const other = await tokensFor(storage, 'digests-elsewhere');
    assert.equal((await buildsForDigests(storage.db, other.workspaceId, [digest('21')])).size, 0);
    assert.equal((await buildsForDigests(storage.db, t.workspaceId, [])).size, 0);
    const many = Array.from({ length: 1200 }, (_, i) => digest(`9${i}`));
    assert.equal((await buildsForDigests(storage.db, t.workspaceId, [...many, digest('21')])).get(digest('21'))?.build_id, newer.build_id);
  });

  test('GET /builds lists newest first, filtered by repository (short names too), paginated', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await create({ repository: 'redis', build_name: `r${i}` })).build_id);
    await create({ repository: 'ghcr.io/acme/unrelated' });
    const page1 = (await t.call('GET', '/api/v1/builds?repository=redis&limit=2', { token: t.tokens.read })).json();
    assert.deepEqual([page1.total, page1.limit, page1.offset, page1.next_offset], [3, 2, 0, 2]);
    assert.deepEqual(page1.builds.map((b: any) => b.build_id), [ids[2], ids[1]]);
    const page2 = (await t.call('GET', '/api/v1/builds?repository=docker.io/library/redis&limit=2&offset=2')).json();
    assert.deepEqual(page2.builds.map((b: any) => b.build_id), [ids[0]]);
    assert.equal(page2.next_offset, null);
    const all = (await t.call('GET', '/api/v1/builds')).json();
    assert.equal(all.total, all.builds.length);
    const times = all.builds.map((b: any) => b.created_at);
    assert.deepEqual(times, [...times].sort().reverse());
    const missing = await t.call('GET', '/api/v1/builds?repository=ghcr.io/nobody/none');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().error.code, 'TW_NOT_FOUND');
  });

  test('scoped tokens: 403 outside their glob for every route, and listings show only their repositories', async () => {
    const inside = await create({ repository: 'ghcr.io/team/app' });
    const outside = await create({ repository: 'ghcr.io/else/app' });
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/team/*');
    const forbidden = [
      await t.call('POST', '/api/v1/builds', { token: tokens.write, body: { repository: 'ghcr.io/else/app' } }),
      await t.call('GET', `/api/v1/builds/${outside.build_id}`, { token: tokens.read }),
      await t.call('GET', '/api/v1/builds?repository=ghcr.io/else/app', { token: tokens.read }),
      await t.call('POST', `/api/v1/builds/${outside.build_id}/phase`, { token: tokens.write, body: { phase: 'started' } }),
    ];
    assert.deepEqual(forbidden.map((r) => [r.statusCode, r.json().error.code]), Array(4).fill([403, 'TW_FORBIDDEN']));
    assert.equal((await t.call('GET', `/api/v1/builds/${outside.build_id}`)).json().phase, 'queued', 'the refused report changed nothing');
    await phase(inside.build_id, { phase: 'started' }, tokens.write);
    const mirror = await t.call('POST', `/api/v1/builds/${inside.build_id}/phase`, {
      token: tokens.write, body: { phase: 'success', manifest_digests: [`ghcr.io/else/app@${digest('31')}`] },
    });
    assert.equal(mirror.statusCode, 403, 'a digest pushed to a repository outside the scope is refused too');
    const listed = (await t.call('GET', '/api/v1/builds?limit=500', { token: tokens.read })).json();
    assert.deepEqual(listed.builds.map((b: any) => b.build_id), [inside.build_id]);
    assert.equal(listed.total, 1);
    const none = (await tokensFor(storage, 'default', 'nowhere.example/*')).tokens;
    assert.deepEqual((await t.call('GET', '/api/v1/builds', { token: none.read })).json(), { total: 0, limit: 50, offset: 0, next_offset: null, builds: [] });
  });

  test('a read token cannot report builds', async () => {
    const res = await t.call('POST', '/api/v1/builds', { token: t.tokens.read, body: { repository: 'nginx' } });
    assert.equal(res.statusCode, 403);
  });

  test('another workspace\'s build is 404 for reading and reporting, and never listed', async () => {
    const other = await tokensFor(storage, 'tenant-b');
    const theirs = await create({ repository: 'ghcr.io/b/secret', trigger_metadata: { commit: commit('9') } }, other.tokens.admin);
    await phase(theirs.build_id, { phase: 'started' }, other.tokens.write);
    const unknown = '01900000-0000-7000-8000-000000000000';
    for (const [method, url, body] of [
      ['GET', `/api/v1/builds/${theirs.build_id}`, undefined],
      ['POST', `/api/v1/builds/${theirs.build_id}/phase`, { phase: 'cancelled' }],
      ['GET', `/api/v1/builds/${unknown}`, undefined],
      ['POST', `/api/v1/builds/${unknown}/phase`, { phase: 'cancelled' }],
      ['GET', '/api/v1/builds?repository=ghcr.io/b/secret', undefined],
    ] as const) {
      const res = await t.call(method, url, { body });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().error.code, 'TW_NOT_FOUND');
    }
    const ours = (await t.call('GET', '/api/v1/builds?limit=500')).json();
    assert.ok(!ours.builds.some((b: any) => b.build_id === theirs.build_id));
    const still = (await t.call('GET', `/api/v1/builds/${theirs.build_id}`, { token: other.tokens.read })).json();
    assert.equal(still.phase, 'started', 'B\'s build is untouched');
  });

  test('the OpenAPI document lists the build routes', async () => {
    const paths = (await t.call('GET', '/api/v1/openapi.json', { token: null })).json().paths;
    for (const [p, m] of [['/api/v1/builds', 'post'], ['/api/v1/builds', 'get'], ['/api/v1/builds/{id}', 'get'], ['/api/v1/builds/{id}/phase', 'post']]) {
      assert.ok(paths[p!]?.[m!], `${m} ${p}`);
    }
    assert.ok(paths['/api/v1/builds/{id}/phase'].post.responses['409']);
  });
});
