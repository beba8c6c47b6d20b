import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { createNotification, deliveriesOf, notificationsPath, push, repository } from '../../test/support/notifications.js';

const viewKeys = ['uuid', 'title', 'event', 'method', 'config', 'event_config', 'number_of_failures', 'enabled', 'created_at', 'last_delivery'];
const hook = 'http://127.0.0.1:9/hook';

describeEachEngine('notification API', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    await push(t, 'latest', 1);
  });
  after(async () => { await t.close(); await storage.dispose(); });

  const base = notificationsPath();
  const webhookBody = { event: 'repo_push', method: 'webhook', config: { url: hook }, eventConfig: { tags: ['v*'] }, title: 'CI' };

  test('create answers 201 with the view and the signing secret once; get and list read it back without it', async () => {
    const created = await createNotification(t, webhookBody);
    assert.deepEqual(Object.keys(created), [...viewKeys, 'secret']);
    assert.match(created.secret!, /^whsec_[A-Za-z0-9+/]{32}$/);
    assert.deepEqual({ ...created, uuid: undefined, created_at: undefined, secret: undefined }, {
      uuid: undefined, title: 'CI', event: 'repo_push', method: 'webhook', config: { url: hook }, event_config: { tags: ['v*'] },
      number_of_failures: 0, enabled: true, created_at: undefined, last_delivery: null, secret: undefined,
    });
    const got = await t.call('GET', `${base}/${created.uuid}`);
    assert.equal(got.statusCode, 200);
    assert.deepEqual(Object.keys(got.json()), viewKeys);
    const { secret: _secret, ...view } = created;
    assert.deepEqual(got.json(), view);
    const list = await t.call('GET', base);
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().notifications.find((n: { uuid: string }) => n.uuid === created.uuid), view);
    assert.doesNotMatch(got.body + list.body, /whsec_/);
  });

  test('the signing secret is sealed at rest: the stored row does not hold it in clear', async () => {
    const created = await createNotification(t, webhookBody);
    const row = await storage.db.selectFrom('notifications').selectAll().where('id', '=', created.uuid).executeTakeFirstOrThrow();
    const stored = JSON.stringify(row);
    const secret = created.secret!;
    assert.ok(!stored.includes(secret) && !stored.includes(secret.slice('whsec_'.length)), stored);
    assert.match(row.secret_enc!, /^v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  test('config never shows a secret in full: chat URLs and secret-looking headers are masked; e-mail has no secret', async () => {
    const slack = await createNotification(t, {
      event: 'repo_push', method: 'slack', config: { url: 'http://127.0.0.1:9/services/T0123ABCD/B0456EFGH/Xy7aB9cD1eF3gH5iJ7kL9mN1' }, eventConfig: {},
    });
    assert.equal(slack.config.url, 'http://127.0.0.1:9/services/T0123ABCD/B0456EFGH/Xy7a****');
    assert.equal(slack.secret, undefined);
    const withHeaders = await createNotification(t, {
      event: 'repo_push', method: 'webhook', eventConfig: {},
      config: { url: `${hook}?token=abcdefghijklmnop&api-version=2016-06-01`, headers: { Authorization: 'Bearer s3cr3t-value', 'X-Api-Key': 'k-123', 'X-Team': 'web' } },
    });
    assert.deepEqual(withHeaders.config, {
      url: `${hook}?token=****&api-version=2016-06-01`,
      headers: { Authorization: 'Bearer ****', 'X-Api-Key': '****', 'X-Team': 'web' },
    });
    const got = (await t.call('GET', `${base}/${withHeaders.uuid}`)).body;
    assert.doesNotMatch(got, /s3cr3t|abcdefghijklmnop|k-123/);
    const email = await createNotification(t, { event: 'build_failure', method: 'email', config: { email: 'team@example.com' }, eventConfig: {} });
    assert.deepEqual([email.config, email.secret], [{ email: 'team@example.com' }, undefined]);
  });

  test('create refuses with 400 naming the field: unknown event or method, bad config or eventConfig', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ ...webhookBody, event: 'repo_pull' }, 'event', /event must be one of repo_push/],
      [{ ...webhookBody, method: 'pager' }, 'method', /method must be one of webhook, slack, msteams, email/],
      [{ ...webhookBody, config: {} }, 'config.url', /config.url is required/],
      [{ ...webhookBody, config: { url: 'ftp://example.com/' } }, 'config.url', /http or https/],
      [{ ...webhookBody, config: { url: hook, template: '{"a": ${x}}' } }, 'config.template', /not JSON/],
      [{ ...webhookBody, eventConfig: { tags: [] } }, 'eventConfig.tags', /at least one/],
      [{ ...webhookBody, event: 'vulnerability_found', eventConfig: { level: 9 } }, 'eventConfig.level', /0 to 5/],
      [{ ...webhookBody, eventConfig: { level: 1 } }, 'eventConfig.level', /does not take/],
      [{ ...webhookBody, colour: 'red' }, 'colour', /not a known field/],
      [{ ...webhookBody, title: 42 }, 'title', /title must be a string/],
    ];
    for (const [body, field, message] of cases) {
      const res = await t.call('POST', base, { body });
      assert.equal(res.statusCode, 400, `${field}: ${res.body}`);
      assert.equal(res.json().error.code, 'TW_VALIDATION');
      assert.equal(res.json().error.field, field, res.body);
      assert.match(res.json().error.message, message);
    }
  });

  test('the outbound guard checks the URL at create time: 400 naming config.url and the reason', async () => {
    const res = await t.call('POST', base, { body: { ...webhookBody, config: { url: 'http://169.254.169.254/latest/meta-data' } } });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().error.field, 'config.url');
    assert.match(res.json().error.message, /refused by the outbound guard: cloud metadata/);
    // Without the test allow-list, loopback is refused too.
    const strict = await startTestApp(storage, { outboundAllow: '' });
    try {
      const refused = await strict.call('POST', base, { body: { ...webhookBody, method: 'msteams', config: { url: 'http://127.0.0.1:9/teams' } } });
      assert.equal(refused.statusCode, 400, refused.body);
      assert.deepEqual([refused.json().error.field, refused.json().error.message], ['config.url', 'config.url is refused by the outbound guard: loopback']);
    } finally {
      await strict.close();
    }
  });

  test('every call needs admin: read and write tokens get 403; unknown repository 404', async () => {
    const n = await createNotification(t, webhookBody);
    const calls: Array<[string, string]> = [
      ['POST', base], ['GET', base], ['GET', `${base}/${n.uuid}`], ['DELETE', `${base}/${n.uuid}`], ['POST', `${base}/${n.uuid}`],
      ['POST', `${base}/${n.uuid}/test`], ['GET', `${base}/${n.uuid}/deliveries`], ['POST', `${base}/${n.uuid}/deliveries/${n.uuid}/redeliver`],
    ];
    for (const [method, url] of calls) {
      for (const token of [t.tokens.read, t.tokens.write]) {
        const res = await t.call(method, url, { token, ...(method === 'POST' && url === base ? { body: webhookBody } : {}) });
        assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      }
    }
    const scoped = await tokensFor(storage, 'default', 'registry.example.com/other/*');
    assert.equal((await t.call('GET', base, { token: scoped.tokens.admin })).statusCode, 403, 'outside the token\'s repository scope');
    assert.equal((await t.call('GET', notificationsPath('registry.example.com/acme/nothing'))).statusCode, 404);
    assert.equal((await t.call('GET', `${base}/${n.uuid}`)).statusCode, 200, 'nothing was deleted by the refused calls');
  });

  test('a notification of another repository or another workspace is 404', async () => {
    const n = await createNotification(t, webhookBody);
    const other = 'registry.example.com/acme/api';
    await push(t, 'latest', 2, other);
    const there = notificationsPath(other);
    for (const [method, url] of [['GET', `${there}/${n.uuid}`], ['DELETE', `${there}/${n.uuid}`], ['POST', `${there}/${n.uuid}`],
      ['POST', `${there}/${n.uuid}/test`], ['GET', `${there}/${n.uuid}/deliveries`]] as const) {
      const res = await t.call(method, url);
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
    }
    assert.ok(!(await t.call('GET', there)).json().notifications.some((x: { uuid: string }) => x.uuid === n.uuid));
    const foreign = await tokensFor(storage, 'other-workspace');
    for (const [method, url] of [['GET', base], ['GET', `${base}/${n.uuid}`], ['DELETE', `${base}/${n.uuid}`], ['POST', `${base}/${n.uuid}`],
      ['POST', `${base}/${n.uuid}/test`], ['GET', `${base}/${n.uuid}/deliveries`]] as const) {
      const res = await t.call(method, url, { token: foreign.tokens.admin });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
    }
    assert.equal((await t.call('POST', base, { token: foreign.tokens.admin, body: webhookBody })).statusCode, 404);
    assert.equal((await t.call('GET', `${base}/not-a-uuid`)).statusCode, 404);
  });

  test('delete answers 204: the notification is gone from the API, sends nothing more, its waiting deliveries are skipped', async () => {
    const n = await createNotification(t, { ...webhookBody, eventConfig: {} });
    await push(t, 'v9', 9);
    assert.deepEqual((await deliveriesOf(storage, n.uuid)).map((d) => d.status), ['pending']);
    const res = await t.call('DELETE', `${base}/${n.uuid}`);
    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    for (const [method, url] of [['GET', `${base}/${n.uuid}`], ['DELETE', `${base}/${n.uuid}`], ['POST', `${base}/${n.uuid}`],
      ['POST', `${base}/${n.uuid}/test`], ['GET', `${base}/${n.uuid}/deliveries`]] as const) {
      assert.equal((await t.call(method, url)).statusCode, 404, `${method} ${url}`);
    }
    assert.ok(!(await t.call('GET', base)).json().notifications.some((x: { uuid: string }) => x.uuid === n.uuid));
    assert.deepEqual((await deliveriesOf(storage, n.uuid)).map((d) => d.status), ['skipped']);
    await push(t, 'v10', 10);
    assert.equal((await deliveriesOf(storage, n.uuid)).length, 1, 'no new deliveries');
  });

  test('reset (POST …/{uuid}) answers 204: number_of_failures 0 and enabled again', async () => {
    const n = await createNotification(t, webhookBody);
    await storage.db.updateTable('notifications').set({ number_of_failures: 3, enabled: 0 }).where('id', '=', n.uuid).execute();
    const disabled = (await t.call('GET', `${base}/${n.uuid}`)).json();
    assert.deepEqual([disabled.number_of_failures, disabled.enabled], [3, false]);
    const res = await t.call('POST', `${base}/${n.uuid}`);
    assert.equal(res.statusCode, 204, res.body);
    const after = (await t.call('GET', `${base}/${n.uuid}`)).json();
    assert.deepEqual([after.number_of_failures, after.enabled], [0, true]);
  });

  test('test answers 202 with a delivery of a marked sample event to this notification only', async () => {
    const n = await createNotification(t, { ...webhookBody, event: 'vulnerability_found', eventConfig: {} });
    const sibling = await createNotification(t, { ...webhookBody, event: 'vulnerability_found', eventConfig: {} });
    const res = await t.call('POST', `${base}/${n.uuid}/test`);
    assert.equal(res.statusCode, 202, res.body);
    const { delivery_id: id } = res.json();
    const [delivery] = await deliveriesOf(storage, n.uuid);
    assert.deepEqual([delivery?.id, delivery?.status], [id, 'pending']);
    assert.equal((await deliveriesOf(storage, sibling.uuid)).length, 0);
    const event = await storage.db.selectFrom('events').selectAll().where('id', '=', delivery!.event_id).executeTakeFirstOrThrow();
    const data = JSON.parse(event.data);
    assert.deepEqual([event.kind, data.test, data.repository, data.vulnerability.id], ['vulnerability_found', true, repository, 'CVE-2021-44228']);
    assert.match(event.dedupe_key ?? '', /^notification-test:/);
    const log = (await t.call('GET', `${base}/${n.uuid}/deliveries`)).json();
    assert.deepEqual(log.deliveries.map((d: any) => [d.id, d.event.kind, d.event.test, d.status]), [[id, 'vulnerability_found', true, 'pending']]);
    const view = (await t.call('GET', `${base}/${n.uuid}`)).json();
    assert.deepEqual([view.last_delivery.id, view.last_delivery.status], [id, 'pending']);
  });

  test('deliveries: newest first, paginated, real events marked as such', async () => {
    const n = await createNotification(t, { ...webhookBody, eventConfig: {} });
    for (const [i, tag] of ['p1', 'p2', 'p3'].entries()) await push(t, tag, `d${i}`);
    const first = await t.call('GET', `${base}/${n.uuid}/deliveries?limit=2`);
    assert.equal(first.statusCode, 200, first.body);
    const page1 = first.json();
    assert.deepEqual([page1.limit, page1.offset, page1.total, page1.next_offset], [2, 0, 3, 2]);
    const page2 = (await t.call('GET', `${base}/${n.uuid}/deliveries?limit=2&offset=2`)).json();
    assert.equal(page2.next_offset, null);
    const ids = [...page1.deliveries, ...page2.deliveries].map((d: any) => d.id);
    const stored = (await deliveriesOf(storage, n.uuid)).map((d) => d.id).reverse();
    assert.deepEqual(ids, stored);
    assert.ok(page1.deliveries.every((d: any) => d.event.test === false && d.event.kind === 'repo_push' && Array.isArray(d.attempts)));
    const bad = await t.call('GET', `${base}/${n.uuid}/deliveries?limit=0`);
    assert.deepEqual([bad.statusCode, bad.json().error.field], [400, 'query.limit']);
  });

  test('redeliver answers 202 and re-arms the same delivery (same id, so the same webhook-id); 409 while in flight or disabled', async () => {
    const n = await createNotification(t, { ...webhookBody, eventConfig: {} });
    await push(t, 'r1', 'e1');
    const [delivery] = await deliveriesOf(storage, n.uuid);
    const at = new Date().toISOString();
    await storage.db.updateTable('deliveries').set({ status: 'failed', attempts: 3, completed_at: at }).where('id', '=', delivery!.id).execute();
    const url = `${base}/${n.uuid}/deliveries/${delivery!.id}/redeliver`;
    const res = await t.call('POST', url);
    assert.equal(res.statusCode, 202, res.body);
    assert.deepEqual(res.json(), { delivery_id: delivery!.id });
    const [rearmed] = await deliveriesOf(storage, n.uuid);
    assert.deepEqual([rearmed!.id, rearmed!.status, rearmed!.attempts, rearmed!.completed_at], [delivery!.id, 'pending', 0, null]);
    assert.equal((await deliveriesOf(storage, n.uuid)).length, 1, 'no new delivery');
    await storage.db.updateTable('deliveries').set({ status: 'delivering', lease_owner: 'someone', lease_until: at }).where('id', '=', delivery!.id).execute();
    assert.equal((await t.call('POST', url)).statusCode, 409);
    assert.equal((await t.call('POST', `${base}/${n.uuid}/deliveries/${n.uuid}/redeliver`)).statusCode, 404);
    await storage.db.updateTable('notifications').set({ enabled: 0 }).where('id', '=', n.uuid).execute();
    await storage.db.updateTable('deliveries').set({ status: 'failed', lease_owner: null, lease_until: null }).where('id', '=', delivery!.id).execute();
    const refused = await t.call('POST', url);
    assert.equal(refused.statusCode, 409);
    assert.match(refused.json().error.message, /disabled; reset it/);
    assert.equal((await t.call('POST', `${base}/${n.uuid}/test`)).statusCode, 409);
  });

  test('every change is in the audit log', async () => {
    const n = await createNotification(t, webhookBody);
    await t.call('POST', `${base}/${n.uuid}/test`);
    await t.call('POST', `${base}/${n.uuid}`);
    await t.call('DELETE', `${base}/${n.uuid}`);
    const actions = (await storage.db.selectFrom('audit_log').select('action').where('target', '=', n.uuid).orderBy('id').execute()).map((r) => r.action);
    assert.deepEqual(actions, ['notification.create', 'notification.test', 'notification.reset', 'notification.delete']);
  });
});
