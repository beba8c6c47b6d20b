import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';

describeEachEngine('POST /api/v1/pushes', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const push = (body: unknown, token = t.tokens.write) => t.call('POST', '/api/v1/pushes', { token, body });
  const pushEvents = () => storage.db.selectFrom('events').select('data').where('kind', '=', 'repo_push').orderBy('id').execute();

  const indexBody = {
    image: `registry.example.com/acme/multi:1.0@${digest(100)}`,
    manifests: [
      { digest: digest(101), platform: { os: 'linux', architecture: 'amd64' } },
      { digest: digest(102), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
    ],
  };

  test('an image index with its manifests: 201, children stored with platforms, one repo_push event', async () => {
    const res = await push(indexBody);
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json(), {
      image: { url: `registry.example.com/acme/multi:1.0@${digest(100)}`, repository: 'registry.example.com/acme/multi', digest: digest(100), tag: '1.0' },
      is_index: true,
      platform: null,
      manifests: [
        { digest: digest(101), platform: { os: 'linux', architecture: 'amd64' } },
        { digest: digest(102), platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      ],
      previous_digest: null,
    });
    const index = await storage.db.selectFrom('images').selectAll().where('digest', '=', digest(100)).executeTakeFirstOrThrow();
    assert.equal(index.is_index, 1);
    const children = await storage.db.selectFrom('image_children').selectAll().where('image_id', '=', index.id).orderBy('child_digest').execute();
    assert.deepEqual(children.map((c) => [c.child_digest, c.os, c.architecture, c.variant]), [
      [digest(101), 'linux', 'amd64', null], [digest(102), 'linux', 'arm64', 'v8'],
    ]);
    const child = await storage.db.selectFrom('images').selectAll().where('digest', '=', digest(102)).executeTakeFirstOrThrow();
    assert.deepEqual([child.repository_id, child.architecture, child.variant], [index.repository_id, 'arm64', 'v8']);
    const events = await pushEvents();
    assert.equal(events.length, 1);
    assert.deepEqual(JSON.parse(events[0]!.data), {
      repository: 'acme/multi', namespace: 'acme', name: 'multi', docker_url: 'registry.example.com/acme/multi', updated_tags: ['1.0'], digest: digest(100), source: 'pushes',
    });
  });

  test('the exact same push again is 200 and notifies nobody', async () => {
    const res = await push(indexBody);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().previous_digest, digest(100));
    assert.equal((await pushEvents()).length, 1);
  });

  test('the tag moved to a new digest: 201 with the previous digest, and the tag history lists both', async () => {
    const res = await push({ image: `registry.example.com/acme/multi:1.0@${digest(110)}`, platform: { os: 'linux', architecture: 'amd64' } });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().previous_digest, digest(100));
    assert.deepEqual(res.json().platform, { os: 'linux', architecture: 'amd64' });
    const tags = await t.call('GET', '/api/v1/repositories/registry.example.com/acme/multi/tags', { token: t.tokens.read });
    assert.equal(tags.statusCode, 200, tags.body);
    assert.deepEqual(tags.json().tags.map((x: any) => [x.name, x.digest, x.history.map((h: any) => h.digest)]), [['1.0', digest(110), [digest(110), digest(100)]]]);
    assert.equal((await pushEvents()).length, 2);
  });

  test('a digest-only push records the image and notifies nobody; repeating it is 200', async () => {
    const first = await push({ image: `ghcr.io/acme/bare@${digest(120)}` });
    assert.equal(first.statusCode, 201, first.body);
    assert.equal((await push({ image: `ghcr.io/acme/bare@${digest(120)}` })).statusCode, 200);
    assert.equal((await pushEvents()).length, 2);
    const tags = await t.call('GET', '/api/v1/repositories/ghcr.io/acme/bare/tags', { token: t.tokens.read });
    assert.deepEqual(tags.json(), { repository: 'ghcr.io/acme/bare', tags: [] });
  });

  test('bad bodies are 400 naming the field; nothing is stored', async () => {
    const before = await storage.db.selectFrom('images').select('id').execute();
    for (const [body, field] of [
      [{ image: 'registry.example.com/acme/web:1.0' }, 'image'],
      [{ image: 'registry.example.com/acme/WEB@' + digest(1) }, 'image'],
      [{ image: '' }, 'image'],
      [{}, 'image'],
      [{ image: `a.io/b@${digest(1)}`, manifests: [{ digest: 'sha256:1' }] }, 'manifests.0.digest'],
      [{ image: `a.io/b@${digest(1)}`, manifests: [{ digest: digest(1) }] }, 'manifests'],
      [{ image: `a.io/b@${digest(1)}`, platform: { os: 'linux' } }, 'platform.architecture'],
      [{ image: `a.io/b@${digest(1)}`, tag: 'x' }, 'tag'],
    ] as const) {
      const res = await push(body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.field, field, JSON.stringify(body));
    }
    assert.equal((await storage.db.selectFrom('images').select('id').execute()).length, before.length);
  });

  test('role and scope: read is 403, a scoped token is 403 outside its glob', async () => {
    assert.equal((await push({ image: `ghcr.io/acme/x@${digest(130)}` }, t.tokens.read)).statusCode, 403);
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    assert.equal((await push({ image: `ghcr.io/other/x@${digest(130)}` }, tokens.write)).statusCode, 403);
    assert.equal((await push({ image: `ghcr.io/acme/x@${digest(130)}` }, tokens.write)).statusCode, 201);
    const res = await t.call('GET', '/api/v1/repositories/registry.example.com/acme/multi/tags', { token: tokens.read });
    assert.equal(res.statusCode, 403);
  });

  test('the tags of an unknown repository are 404', async () => {
    const res = await t.call('GET', '/api/v1/repositories/ghcr.io/nobody/none/tags', { token: t.tokens.read });
    assert.equal(res.statusCode, 404);
  });
});
