import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { signGitHubBody } from './hook-secret.js';

const HOST = 'registry.example.com:5000';
const REPO = `${HOST}/acme/web`;
const V1 = 'application/vnd.docker.distribution.events.v1+json';
const OCI = 'application/vnd.oci.image.manifest.v1+json';

let ids = 0;
/** One Distribution event as docker-registry 2.8 sends it. */
const ev = (action: string, target: Record<string, unknown>, id = `ev-${++ids}`) => ({
  id,
  timestamp: '2026-01-02T03:04:05Z',
  action,
  target: { repository: 'acme/web', ...target },
  request: { id: 'r', addr: '10.0.0.9:4000', host: HOST, method: action === 'delete' ? 'DELETE' : 'PUT', useragent: 'skopeo/1.9.3' },
  actor: {},
  source: { addr: 'vm:5000', instanceID: 'i' },
});
const manifestPush = (d: string, tag: string | undefined, id?: string) =>
  ev('push', { mediaType: OCI, size: 192, digest: d, length: 192, url: `http://${HOST}/v2/acme/web/manifests/${d}`, ...(tag ? { tag } : {}) }, id);

describeEachEngine('registry hooks', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const distribution = (events: unknown[], token = t.tokens.write, contentType = V1) =>
    t.call('POST', '/api/v1/hooks/distribution', { token, body: { events }, headers: { 'content-type': contentType } });
  const pushEvents = async (repository?: string) => {
    const rows = await storage.db.selectFrom('events').selectAll().where('kind', '=', 'repo_push').orderBy('id').execute();
    return rows.map((r) => JSON.parse(r.data)).filter((d) => !repository || d.docker_url === repository);
  };
  const tags = async (repository: string) => {
    const res = await t.call('GET', `/api/v1/repositories/${repository}/tags`, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().tags as Array<{ name: string; digest: string | null; history: Array<{ digest: string | null; action: string; source: string }> }>;
  };
  const counts = async () => {
    const out: Record<string, number> = {};
    for (const table of ['repositories', 'images', 'image_children', 'tags', 'tag_history', 'events', 'ingest_receipts', 'audit_log'] as const) {
      const row = await storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      out[table] = Number(row.n);
    }
    return out;
  };

  test('a manifest push is recorded once however often the registry delivers it, with one repo_push event', async () => {
    const envelope = [manifestPush(digest(1), 'v1', 'push-v1')];
    const first = await distribution(envelope);
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { recorded: 1, duplicates: 0, ignored: 0, events: 1 });
    const again = await distribution(envelope);
    assert.deepEqual(again.json(), { recorded: 0, duplicates: 1, ignored: 0, events: 0 });
    assert.deepEqual(await pushEvents(REPO), [{
      repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: REPO, updated_tags: ['v1'], digest: digest(1), source: 'distribution',
    }]);
    const image = await storage.db.selectFrom('images').selectAll().where('digest', '=', digest(1)).executeTakeFirstOrThrow();
    assert.deepEqual([image.media_type, image.is_index, image.deleted_at], [OCI, 0, null]);
  });

  test('blob pushes and pulls are accepted and ignored: nothing stored', async () => {
    const before = await counts();
    const res = await distribution([
      ev('push', { mediaType: 'application/octet-stream', digest: digest(9), size: 1, url: `http://${HOST}/v2/acme/blobs/${digest(9)}` }),
      ev('pull', { mediaType: OCI, digest: digest(1), tag: 'v1', url: `http://${HOST}/v2/acme/web/manifests/${digest(1)}` }),
      ev('mount', { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: digest(8) }),
    ]);
    assert.deepEqual(res.json(), { recorded: 0, duplicates: 0, ignored: 3, events: 0 });
    assert.deepEqual(await counts(), before);
  });

  test('the v2 envelope media type and plain JSON are accepted; text is 415', async () => {
    const v2 = await distribution([manifestPush(digest(2), 'latest')], t.tokens.write, 'application/vnd.docker.distribution.events.v2+json');
    assert.equal(v2.statusCode, 202, v2.body);
    const plain = await distribution([manifestPush(digest(2), 'latest')], t.tokens.write, 'application/json; charset=utf-8');
    assert.equal(plain.statusCode, 202, plain.body);
    const text = await t.call('POST', '/api/v1/hooks/distribution', { token: t.tokens.write, body: 'events', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.statusCode, 415);
  });

  test('re-tagging v1 to a new digest keeps both in its history, newest first, and notifies again', async () => {
    const res = await distribution([manifestPush(digest(3), 'v1')]);
    assert.deepEqual(res.json(), { recorded: 1, duplicates: 0, ignored: 0, events: 1 });
    const v1 = (await tags(REPO)).find((x) => x.name === 'v1')!;
    assert.equal(v1.digest, digest(3));
    assert.deepEqual(v1.history.map((h) => [h.action, h.digest, h.source]), [['push', digest(3), 'distribution'], ['push', digest(1), 'distribution']]);
    assert.deepEqual((await pushEvents(REPO)).map((e) => [e.updated_tags, e.digest]), [[['v1'], digest(1)], [['latest'], digest(2)], [['latest'], digest(2)], [['v1'], digest(3)]]);
  });

  test('a push of the same digest to the same tag notifies, without a new history row', async () => {
    const before = (await tags(REPO)).find((x) => x.name === 'v1')!.history.length;
    const res = await distribution([manifestPush(digest(3), 'v1')]);
    assert.deepEqual(res.json(), { recorded: 1, duplicates: 0, ignored: 0, events: 1 });
    assert.equal((await tags(REPO)).find((x) => x.name === 'v1')!.history.length, before);
  });

  test('deleting a manifest marks the image deleted and its tags point at nothing; the tag deletes that follow change nothing', async () => {
    await distribution([manifestPush(digest(4), 'stable'), manifestPush(digest(4), 'prod')]);
    const res = await distribution([
      ev('delete', { digest: digest(4) }),
      ev('delete', { tag: 'stable' }),
      ev('delete', { tag: 'prod' }),
    ]);
    assert.deepEqual(res.json(), { recorded: 3, duplicates: 0, ignored: 0, events: 0 });
    const image = await storage.db.selectFrom('images').selectAll().where('digest', '=', digest(4)).executeTakeFirstOrThrow();
    assert.notEqual(image.deleted_at, null);
    const all = await tags(REPO);
    for (const name of ['stable', 'prod']) {
      const tag = all.find((x) => x.name === name)!;
      assert.equal(tag.digest, null);
      assert.deepEqual(tag.history.map((h) => [h.action, h.digest]), [['delete', null], ['push', digest(4)]]);
    }
    assert.equal(all.find((x) => x.name === 'v1')!.digest, digest(3), 'a tag on another digest is untouched');
  });

  test('a tag delete only touches that tag; pushing a deleted digest again brings the image back', async () => {
    await distribution([manifestPush(digest(5), 'a'), manifestPush(digest(5), 'b')]);
    await distribution([ev('delete', { tag: 'a' })]);
    const all = await tags(REPO);
    assert.deepEqual([all.find((x) => x.name === 'a')!.digest, all.find((x) => x.name === 'b')!.digest], [null, digest(5)]);
    await distribution([manifestPush(digest(4), 'stable')]);
    const image = await storage.db.selectFrom('images').selectAll().where('digest', '=', digest(4)).executeTakeFirstOrThrow();
    assert.equal(image.deleted_at, null);
  });

  test('malformed bodies are 400 with a message, and nothing is stored', async () => {
    const before = await counts();
    const cases: Array<[string, string, string, RegExp]> = [
      ['distribution', '{"events": [', V1, /not valid JSON/],
      ['distribution', '', V1, /not valid JSON/],
      ['distribution', '{"event": []}', V1, /distribution notification.*"events" array/],
      ['distribution', '[1,2]', 'application/json', /distribution notification/],
      ['harbor', '{"hello": "world"}', 'application/json', /harbor notification/],
      ['github', '{"hello": "world"}', 'application/json', /github notification/],
      ['dockerhub', '{"push_data": {}}', 'application/json', /dockerhub notification/],
      ['quay', '"repo_push"', 'application/json', /quay notification/],
    ];
    for (const [kind, body, contentType, message] of cases) {
      const res = await t.call('POST', `/api/v1/hooks/${kind}`, { token: t.tokens.write, body, headers: { 'content-type': contentType } });
      assert.equal(res.statusCode, 400, `${kind} ${body}: ${res.body}`);
      assert.match(res.json().error.message, message, `${kind} ${body}`);
    }
    const empty = await t.call('POST', '/api/v1/hooks/distribution', { token: t.tokens.write });
    assert.equal(empty.statusCode, 400, empty.body);
    assert.deepEqual(await counts(), before);
  });

  test('concurrent deliveries of one envelope store it once; pushes of many tags at once each get their event', async () => {
    const envelope = [manifestPush(digest(50), 'race', 'race-1')];
    const answers = await Promise.all(Array.from({ length: 12 }, () => distribution(envelope)));
    assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [202]);
    assert.equal(answers.reduce((n, a) => n + a.json().recorded, 0), 1);
    assert.equal(answers.reduce((n, a) => n + a.json().duplicates, 0), 11);
    const many = await Promise.all(Array.from({ length: 12 }, (_, i) => distribution([manifestPush(digest(60 + (i % 3)), 'moving')])));
    assert.equal(many.reduce((n, a) => n + a.json().events, 0), 12);
    const moving = (await tags(REPO)).find((x) => x.name === 'moving')!;
    // However the pushes interleaved, the history is a chain ending at the current digest.
    assert.equal(moving.history[0]!.digest, moving.digest);
    for (let i = 1; i < moving.history.length; i++) assert.notEqual(moving.history[i]!.digest, moving.history[i - 1]!.digest);
    assert.equal((await pushEvents(REPO)).filter((e) => e.updated_tags[0] === 'race').length, 1);
  });

  test('an event id PostgreSQL could not store (NUL) is replaced by a hash, not a 500', async () => {
    const res = await distribution([manifestPush(digest(51), 'nul', 'bad\u0000id')]);
    assert.equal(res.statusCode, 202, res.body);
    assert.equal(res.json().recorded, 1);
  });

  test('bearer routes need role write, and records outside the token\'s scope are 403 with nothing stored', async () => {
    assert.equal((await distribution([manifestPush(digest(6), 'x')], t.tokens.read)).statusCode, 403);
    assert.equal((await t.call('POST', '/api/v1/hooks/distribution', { token: null, body: { events: [] } })).statusCode, 401);
    const { tokens } = await tokensFor(storage, 'default', `${HOST}/acme/*`);
    const before = await counts();
    const outside = await distribution([manifestPush(digest(6), 'x'), { ...manifestPush(digest(6), 'x'), target: { ...manifestPush(digest(6), 'x').target, repository: 'other/web' } }], tokens.write);
    assert.equal(outside.statusCode, 403, outside.body);
    assert.match(outside.json().error.message, /other\/web/);
    assert.deepEqual(await counts(), before);
    const inside = await distribution([manifestPush(digest(6), 'x')], tokens.write);
    assert.equal(inside.json().recorded, 1);
  });

  test('Harbor CloudEvents through the bearer route: a tag push and a push by digest', async () => {
    const body = {
      specversion: '1.0', id: 'harbor-1', source: '/projects/2/webhook/policies/15', type: 'harbor.artifact.pushed', datacontenttype: 'application/json',
      time: '2026-01-02T03:04:05Z', operator: 'admin',
      data: {
        resources: [{ digest: digest(7), tag: 'v7', resource_url: 'harbor.example.com/library/app:v7' }, { digest: digest(70), tag: digest(70), resource_url: `harbor.example.com/library/app@${digest(70)}` }],
        repository: { name: 'app', namespace: 'library', repo_full_name: 'library/app', repo_type: 'private' },
      },
    };
    for (const expected of [{ recorded: 2, duplicates: 0, ignored: 0, events: 1 }, { recorded: 0, duplicates: 2, ignored: 0, events: 0 }]) {
      const res = await t.call('POST', '/api/v1/hooks/harbor', { token: t.tokens.write, body, headers: { 'content-type': 'application/cloudevents+json' } });
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), expected);
    }
    assert.deepEqual((await tags('harbor.example.com/library/app')).map((x) => [x.name, x.digest]), [['v7', digest(7)]]);
  });
});

describeEachEngine('hook endpoints with secret URLs', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const create = async (body: Record<string, unknown>) => {
    const res = await t.call('POST', '/api/v1/hooks', { token: t.tokens.admin, body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json() as { id: string; kind: string; url: string; secret: string; registry_host: string | null; signed: boolean };
  };
  const path = (url: string) => new URL(url).pathname;
  const dockerHub = (tag: string, pushedAt: number) => ({
    callback_url: 'https://registry.hub.docker.com/u/acme/web/hook/x/',
    push_data: { pushed_at: pushedAt, pusher: 'ci', tag },
    repository: { repo_name: 'acme/web', name: 'web', namespace: 'acme', owner: 'acme', is_private: true, status: 'Active' },
  });

  test('only an admin creates endpoints; the secret is shown once and never listed', async () => {
    assert.equal((await t.call('POST', '/api/v1/hooks', { token: t.tokens.write, body: { kind: 'quay' } })).statusCode, 403);
    const hook = await create({ kind: 'dockerhub' });
    assert.match(hook.secret, /^twh_[A-Za-z0-9_-]{43}$/);
    assert.equal(hook.url, `http://tidewatch.test/api/v1/hooks/dockerhub/${hook.secret}`);
    const list = await t.call('GET', '/api/v1/hooks');
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().hooks.some((h: any) => h.id === hook.id && h.kind === 'dockerhub' && h.signed === false));
    assert.ok(!list.body.includes(hook.secret));
    const row = await storage.db.selectFrom('hook_endpoints').selectAll().where('id', '=', hook.id).executeTakeFirstOrThrow();
    assert.ok(!JSON.stringify(row).includes(hook.secret), 'the secret is stored only hashed');
  });

  test('create refuses options that do not fit the kind', async () => {
    for (const [body, field] of [
      [{ kind: 'gitlab' }, 'kind'], [{ kind: 'quay', secret: 's3cret' }, 'secret'], [{ kind: 'dockerhub', registry_host: 'x.io' }, 'registry_host'],
      [{ kind: 'distribution', registry_host: 'registry' }, 'registry_host'], [{ kind: 'quay', extra: 1 }, 'extra'],
    ] as const) {
      const res = await t.call('POST', '/api/v1/hooks', { body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.equal(res.json().error.field, field);
    }
  });

  test('Docker Hub through its secret URL: a tag push without digest, recorded with history; an unknown secret is 404', async () => {
    const hook = await create({ kind: 'dockerhub' });
    const first = await t.call('POST', path(hook.url), { token: null, body: dockerHub('latest', 1) });
    assert.equal(first.statusCode, 202, first.body);
    assert.deepEqual(first.json(), { recorded: 1, duplicates: 0, ignored: 0, events: 1 });
    assert.equal((await t.call('POST', path(hook.url), { token: null, body: dockerHub('latest', 1) })).json().duplicates, 1);
    assert.equal((await t.call('POST', path(hook.url), { token: null, body: dockerHub('latest', 2) })).json().recorded, 1);
    const res = await t.call('GET', '/api/v1/repositories/docker.io/acme/web/tags', { token: t.tokens.read });
    assert.deepEqual(res.json().tags.map((x: any) => [x.name, x.digest, x.history.map((h: any) => [h.action, h.digest, h.source])]),
      [['latest', null, [['push', null, 'dockerhub'], ['push', null, 'dockerhub']]]]);
    const unknown = await t.call('POST', '/api/v1/hooks/dockerhub/twh_nope', { token: null, body: dockerHub('latest', 3) });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'TW_NOT_FOUND');
    const wrongKind = await t.call('POST', `/api/v1/hooks/quay/${hook.secret}`, { token: null, body: dockerHub('latest', 3) });
    assert.equal(wrongKind.statusCode, 404);
    assert.equal((await t.call('DELETE', `/api/v1/hooks/${hook.id}`)).statusCode, 204);
    assert.equal((await t.call('POST', path(hook.url), { token: null, body: dockerHub('latest', 4) })).statusCode, 404);
    assert.equal((await t.call('DELETE', `/api/v1/hooks/${hook.id}`)).statusCode, 404);
  });

  test('Quay through its secret URL with a registry_host: one event per updated tag, a redelivery stored once', async () => {
    const hook = await create({ kind: 'quay', registry_host: 'Quay.Internal:8443' });
    assert.equal(hook.registry_host, 'quay.internal:8443');
    const body = { repository: 'acme/api', namespace: 'acme', name: 'api', docker_url: 'quay.io/acme/api', homepage: 'https://quay.io/repository/acme/api', updated_tags: ['latest', '2.0'] };
    const res = await t.call('POST', path(hook.url), { token: null, body });
    assert.deepEqual(res.json(), { recorded: 2, duplicates: 0, ignored: 0, events: 2 });
    assert.deepEqual((await t.call('POST', path(hook.url), { token: null, body })).json(), { recorded: 0, duplicates: 2, ignored: 0, events: 0 });
    const events = (await storage.db.selectFrom('events').select('data').where('kind', '=', 'repo_push').execute()).map((e) => JSON.parse(e.data));
    assert.deepEqual(events.filter((e) => e.source === 'quay').map((e) => [e.docker_url, e.repository, e.updated_tags]),
      [['quay.internal:8443/acme/api', 'acme/api', ['latest']], ['quay.internal:8443/acme/api', 'acme/api', ['2.0']]]);
    const build = await t.call('POST', path(hook.url), { token: null, body: { ...body, updated_tags: undefined, build_id: 'b1' } });
    assert.deepEqual(build.json(), { recorded: 0, duplicates: 0, ignored: 1, events: 0 });
  });

  test('Distribution through a secret URL uses the configured registry_host', async () => {
    const hook = await create({ kind: 'distribution', registry_host: 'registry.acme.io' });
    const res = await t.call('POST', path(hook.url), { token: null, headers: { 'content-type': V1 }, body: { events: [manifestPush(digest(30), 'v3')] } });
    assert.equal(res.json().recorded, 1, res.body);
    const tags = await t.call('GET', '/api/v1/repositories/registry.acme.io/acme/web/tags', { token: t.tokens.read });
    assert.equal(tags.json().tags[0].digest, digest(30));
  });

  test('GitHub with a signing secret: a good signature is recorded; a bad or missing one is 401 and stores nothing', async () => {
    const hook = await create({ kind: 'github', secret: 'It\'s a Secret to Everybody' });
    assert.equal(hook.signed, true);
    const body = JSON.stringify({
      action: 'published',
      package: {
        name: 'web', namespace: 'acme', package_type: 'CONTAINER', owner: { login: 'acme' },
        package_version: { name: digest(40), version: digest(40), container_metadata: { tag: { name: 'v4', digest: digest(40) } } },
      },
    });
    const headers = (signature?: string) => ({ 'content-type': 'application/json', 'x-github-event': 'package', 'x-github-delivery': 'd-1', ...(signature ? { 'x-hub-signature-256': signature } : {}) });
    const before = await storage.db.selectFrom('ingest_receipts').selectAll().execute();
    for (const signature of [undefined, signGitHubBody('wrong secret', body), 'sha256=zz', signGitHubBody('It\'s a Secret to Everybody', body + ' ')]) {
      const res = await t.call('POST', path(hook.url), { token: null, body, headers: headers(signature) });
      assert.equal(res.statusCode, 401, `${signature}: ${res.body}`);
      assert.equal(res.json().error.code, 'TW_UNAUTHORIZED');
    }
    assert.deepEqual(await storage.db.selectFrom('ingest_receipts').selectAll().execute(), before);
    const good = await t.call('POST', path(hook.url), { token: null, body, headers: headers(signGitHubBody('It\'s a Secret to Everybody', body)) });
    assert.equal(good.statusCode, 202, good.body);
    assert.deepEqual(good.json(), { recorded: 1, duplicates: 0, ignored: 0, events: 1 });
    const tags = await t.call('GET', '/api/v1/repositories/ghcr.io/acme/web/tags', { token: t.tokens.read });
    assert.equal(tags.json().tags[0].digest, digest(40));
    const ping = JSON.stringify({ zen: 'Design for failure.', hook_id: 1 });
    const pinged = await t.call('POST', path(hook.url), { token: null, body: ping, headers: { ...headers(signGitHubBody('It\'s a Secret to Everybody', ping)), 'x-github-event': 'ping' } });
    assert.deepEqual(pinged.json(), { recorded: 0, duplicates: 0, ignored: 1, events: 0 });
  });

  test('an endpoint made by a scoped admin reaches that scope only, and other scopes do not see it', async () => {
    const scoped = await tokensFor(storage, 'default', 'docker.io/acme/*');
    const res = await t.call('POST', '/api/v1/hooks', { token: scoped.tokens.admin, body: { kind: 'dockerhub' } });
    assert.equal(res.statusCode, 201, res.body);
    const hook = res.json();
    const outside = await t.call('POST', path(hook.url), { token: null, body: { ...dockerHub('x', 9), repository: { repo_name: 'other/web' } } });
    assert.equal(outside.statusCode, 403, outside.body);
    const inside = await t.call('POST', path(hook.url), { token: null, body: dockerHub('x', 9) });
    assert.equal(inside.statusCode, 202, inside.body);
    const narrow = await tokensFor(storage, 'default', 'docker.io/acme/web');
    const listed = await t.call('GET', '/api/v1/hooks', { token: narrow.tokens.admin });
    assert.ok(!listed.json().hooks.some((h: any) => h.id === hook.id));
    assert.equal((await t.call('DELETE', `/api/v1/hooks/${hook.id}`, { token: narrow.tokens.admin })).statusCode, 403);
  });

  test('a workspace\'s endpoints and tags are invisible to another workspace', async () => {
    const other = await tokensFor(storage, 'other');
    const hook = await create({ kind: 'dockerhub' });
    const list = await t.call('GET', '/api/v1/hooks', { token: other.tokens.admin });
    assert.deepEqual(list.json().hooks, []);
    assert.equal((await t.call('DELETE', `/api/v1/hooks/${hook.id}`, { token: other.tokens.admin })).statusCode, 404);
    const tags = await t.call('GET', '/api/v1/repositories/docker.io/acme/web/tags', { token: other.tokens.read });
    assert.equal(tags.statusCode, 404);
  });
});
