import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';

describeEachEngine('POST /api/v1/deployments', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const events = () => storage.db.selectFrom('events').selectAll().where('kind', '=', 'image_deployed').orderBy('id').execute();

  test('the seed body with only image.url records a deployment with every default', async () => {
    const res = await t.call('POST', '/api/v1/deployments', { token: t.tokens.write, body: { image: { url: `nginx@${digest(1)}` } } });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.environment, 'deployed');
    assert.equal(body.name, 'docker.io/library/nginx');
    assert.deepEqual(body.image, { url: `docker.io/library/nginx@${digest(1)}`, repository: 'docker.io/library/nginx', digest: digest(1), tag: null });
    assert.deepEqual(body.platform, { os: 'linux', architecture: 'amd64' });
    assert.equal(body.replaced, null);
    assert.equal(body.undeployed_at, null);
    assert.match(body.id, /^[0-9a-f-]{36}$/);
    const ev = await events();
    assert.equal(ev.length, 1);
    assert.equal(JSON.parse(ev[0]!.data).digest, digest(1));
  });

  test('posting the same digest again is idempotent: 200, same record, no new event', async () => {
    const first = (await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(1)}` } } })).json();
    const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `docker.io/library/nginx@${digest(1)}` } } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().id, first.id);
    assert.ok(res.json().last_seen_at >= first.last_seen_at);
    assert.equal((await events()).length, 1);
  });

  test('a new digest for the same instance ends the running one and reports what it replaced', async () => {
    const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx:1.27@${digest(2)}` } } });
    assert.equal(res.statusCode, 201);
    assert.equal(res.json().replaced, digest(1));
    assert.equal(res.json().image.tag, '1.27');
    assert.equal(res.json().image.url, `docker.io/library/nginx:1.27@${digest(2)}`);
    const rows = await storage.db.selectFrom('deployments').selectAll().where('instance_name', '=', 'docker.io/library/nginx').orderBy('deployed_at').execute();
    assert.equal(rows.length, 2);
    assert.notEqual(rows[0]!.undeployed_at, null);
    assert.equal(rows[1]!.undeployed_at, null);
    const ev = await events();
    assert.equal(ev.length, 2);
    assert.equal(JSON.parse(ev[1]!.data).replaced_digest, digest(1));
  });

  test('image.name makes distinct instances of one image in one environment', async () => {
    for (const name of ['api', 'worker']) {
      const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/app@${digest(3)}`, name }, environment: { name: 'production' } } });
      assert.equal(res.statusCode, 201);
      assert.equal(res.json().name, name);
      assert.equal(res.json().replaced, null);
    }
    const env = (await t.call('GET', '/api/v1/environments/production', { token: t.tokens.read })).json();
    assert.deepEqual(env.instances.map((i: any) => i.name), ['api', 'worker']);
  });

  test('platform fields are kept, and a different platform for the same digest is a new deployment', async () => {
    const body = { image: { url: `ghcr.io/acme/arm@${digest(4)}` }, environment: { name: 'edge' }, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } };
    const a = await t.call('POST', '/api/v1/deployments', { body });
    assert.deepEqual(a.json().platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const b = await t.call('POST', '/api/v1/deployments', { body: { ...body, platform: { architecture: 'amd64' } } });
    assert.equal(b.statusCode, 201);
    assert.equal(b.json().replaced, digest(4));
  });

  test('DELETE undeploys an instance; the short repository name works as instance name', async () => {
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `redis@${digest(5)}` }, environment: { name: 'staging' } } });
    const res = await t.call('DELETE', '/api/v1/deployments?environment=staging&name=redis', { token: t.tokens.write });
    assert.equal(res.statusCode, 200, res.body);
    assert.notEqual(res.json().undeployed_at, null);
    const again = await t.call('DELETE', '/api/v1/deployments?environment=staging&name=redis');
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'TW_NOT_FOUND');
    const env = (await t.call('GET', '/api/v1/environments/staging')).json();
    assert.equal(env.instances.length, 0);
    assert.equal(env.last_change_at, res.json().undeployed_at, 'the undeploy is the last change');
    const listed = (await t.call('GET', '/api/v1/environments')).json().environments.find((e: any) => e.name === 'staging');
    assert.deepEqual([listed.instances, listed.images, listed.last_change_at], [0, 0, res.json().undeployed_at]);
    const audit = await storage.db.selectFrom('audit_log').selectAll().where('action', '=', 'deployment.undeploy').execute();
    assert.equal(audit.length, 1);
  });

  test('the history lists starts and ends newest first, paginated', async () => {
    const res = await t.call('GET', '/api/v1/environments/deployed/history?limit=2');
    assert.equal(res.statusCode, 200);
    const h = res.json();
    assert.equal(h.total, 3); // two starts, one end (the replacement)
    assert.equal(h.entries.length, 2);
    assert.equal(h.next_offset, 2);
    assert.deepEqual(h.entries.map((e: any) => [e.change, e.digest]), [['deployed', digest(2)], ['undeployed', digest(1)]]);
    const rest = (await t.call('GET', '/api/v1/environments/deployed/history?limit=2&offset=2')).json();
    assert.deepEqual(rest.entries.map((e: any) => [e.change, e.digest]), [['deployed', digest(1)]]);
    assert.equal(rest.next_offset, null);
  });

  test('environments with "/" in the name are addressed percent-encoded', async () => {
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/pay@${digest(6)}` }, environment: { name: 'prod-eu/payments' } } });
    const res = await t.call('GET', '/api/v1/environments/prod-eu%2Fpayments');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().name, 'prod-eu/payments');
    assert.equal(res.json().instances[0].repository, 'ghcr.io/acme/pay');
    const list = (await t.call('GET', '/api/v1/environments', { token: t.tokens.read })).json();
    const names = list.environments.map((e: any) => e.name);
    assert.deepEqual(names, [...names].sort());
    const pay = list.environments.find((e: any) => e.name === 'prod-eu/payments');
    assert.equal(pay.instances, 1);
    assert.equal(pay.images, 1);
  });

  test('the repository view shows per environment what runs', async () => {
    const res = await t.call('GET', '/api/v1/repositories/ghcr.io/acme/app/deployments', { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    assert.equal(body.repository, 'ghcr.io/acme/app');
    assert.deepEqual(body.environments.map((e: any) => [e.environment, e.instances.map((i: any) => i.name)]), [['production', ['api', 'worker']]]);
    const short = await t.call('GET', '/api/v1/repositories/nginx/deployments');
    assert.equal(short.json().repository, 'docker.io/library/nginx');
    const missing = await t.call('GET', '/api/v1/repositories/ghcr.io/nobody/none/deployments');
    assert.equal(missing.statusCode, 404);
  });

  test('a scoped token pages through the history of its own repositories only', async () => {
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/one@${digest(10)}` }, environment: { name: 'mixed' } } });
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/other/two@${digest(11)}` }, environment: { name: 'mixed' } } });
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/one@${digest(12)}` }, environment: { name: 'mixed' } } });
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const page1 = (await t.call('GET', '/api/v1/environments/mixed/history?limit=2', { token: tokens.read })).json();
    assert.equal(page1.total, 3); // one: deployed, undeployed, deployed again
    assert.equal(page1.next_offset, 2);
    assert.ok(page1.entries.every((e: any) => e.repository === 'ghcr.io/acme/one'));
    const page2 = (await t.call('GET', '/api/v1/environments/mixed/history?limit=2&offset=2', { token: tokens.read })).json();
    assert.equal(page2.entries.length, 1);
    assert.equal(page2.next_offset, null);
    const all = (await t.call('GET', '/api/v1/environments/mixed/history')).json();
    assert.equal(all.total, 4);
  });

  test('concurrent posts for the same instances all succeed and leave one running deployment each', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) => t.call('POST', '/api/v1/deployments', {
      body: { image: { url: `ghcr.io/race/svc@${digest(1000 + i)}`, name: `race-${i % 4}` }, environment: { name: 'race' } },
    })));
    assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [201]);
    const running = await storage.db.selectFrom('deployments').select('instance_name')
      .where('undeployed_at', 'is', null).where('instance_name', 'like', 'race-%').execute();
    assert.deepEqual(running.map((r) => r.instance_name).sort(), ['race-0', 'race-1', 'race-2', 'race-3']);
    const events = await storage.db.selectFrom('events').select('id').where('data', 'like', '%"instance":"race-%').execute();
    assert.equal(events.length, 60, 'one event per new deployment');
  });
});
