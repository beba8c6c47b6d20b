import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { parseMail, startMailServer, startReceiver, type MailServer, type Receiver } from '../../test/support/receivers.js';
import { createNotification, deliveriesOf, eventually, notificationsPath, push, repository, startWorker } from '../../test/support/notifications.js';
import { renderPayload } from '../notifications/event-payloads.js';
import { emailMessage, slackMessage, teamsMessageCard } from '../notifications/message-formats.js';
import type { JsonObject } from '../notifications/json-values.js';
import type { EventKind } from '../events/event-kinds.js';
import type { DeliveryWorker } from './delivery-worker.js';

/* What each method sends (notifications.md "Methods"), received by real servers on 127.0.0.1. */
describeEachEngine('delivery methods', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let worker: DeliveryWorker;
  let mail: MailServer;
  const receivers: Receiver[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    mail = await startMailServer();
    worker = startWorker(storage, { smtpUrl: mail.url, smtpFrom: 'Tidewatch <tidewatch@tidewatch.test>' });
    await push(t, 'seed', 1);
  });
  after(async () => {
    await worker.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await mail.close();
    await t.close();
    await storage.dispose();
  });

  /** The payload of the event behind a notification's newest delivery, rendered as the worker renders it. */
  const expectedPayload = async (notificationId: string) => {
    const rows = await deliveriesOf(storage, notificationId);
    const event = await storage.db.selectFrom('events').selectAll().where('id', '=', rows.at(-1)!.event_id).executeTakeFirstOrThrow();
    return { event, payload: renderPayload(event.kind as EventKind, JSON.parse(event.data) as JsonObject, 'http://tidewatch.test') };
  };

  test('webhook: the bare payload, signed per Standard Webhooks, with the Tidewatch headers and the configured ones', async () => {
    const r = await receiver();
    const n = await createNotification(t, {
      event: 'repo_push', method: 'webhook', config: { url: `${r.url}/hooks/quay`, headers: { 'X-Team': 'web', Authorization: 'Bearer abc' } }, eventConfig: {},
    });
    await push(t, 'v1', 2);
    const [got] = await r.waitFor(1);
    const { event, payload } = await expectedPayload(n.uuid);
    const [delivery] = await deliveriesOf(storage, n.uuid);
    assert.equal(got!.method, 'POST');
    assert.equal(got!.path, '/hooks/quay');
    assert.equal(got!.headers['content-type'], 'application/json');
    assert.equal(got!.headers['webhook-id'], delivery!.id);
    assert.equal(got!.headers['x-tidewatch-event'], 'repo_push');
    assert.equal(got!.headers['x-tidewatch-event-time'], event.created_at);
    assert.equal(got!.headers['x-team'], 'web');
    assert.equal(got!.headers.authorization, 'Bearer abc');
    assert.deepEqual(JSON.parse(got!.body), payload);
    assert.deepEqual(Object.keys(JSON.parse(got!.body)), ['repository', 'namespace', 'name', 'docker_url', 'homepage', 'updated_tags']);
    // As a receiver checks it: the library verifies id, timestamp, body and signature with the secret shown at creation.
    const verified = new Webhook(n.secret!).verify(got!.body, got!.headers as Record<string, string>);
    assert.deepEqual(verified, payload);
    assert.throws(() => new Webhook(n.secret!).verify(`${got!.body} `, got!.headers as Record<string, string>));
    const [stored] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded');
    assert.deepEqual([stored!.attempts, stored!.lease_owner, stored!.lease_until], [1, null, null]);
    assert.ok(stored!.completed_at);
  });

  test('webhook with a template: the rendered template is the body (signed as sent)', async () => {
    const r = await receiver();
    const template = JSON.stringify({ text: '${docker_url} now has ${updated_tags}', tags: '${updated_tags}', first: '${updated_tags[0]}', missing: '${nope}' });
    const n = await createNotification(t, { event: 'repo_push', method: 'webhook', config: { url: r.url, template }, eventConfig: { tags: ['tpl-*'] } });
    await push(t, 'tpl-1', 3);
    const [got] = await r.waitFor(1);
    assert.deepEqual(JSON.parse(got!.body), {
      text: `${repository} now has tpl-1`, tags: ['tpl-1'], first: 'tpl-1', missing: '',
    });
    new Webhook(n.secret!).verify(got!.body, got!.headers as Record<string, string>);
  });

  test('slack and msteams: the message formats of the rendered payload, as JSON', async () => {
    const slack = await receiver();
    const teams = await receiver();
    const s = await createNotification(t, { event: 'build_failure', method: 'slack', config: { url: `${slack.url}/services/T0/B0/x` }, eventConfig: {} });
    const m = await createNotification(t, { event: 'build_failure', method: 'msteams', config: { url: `${teams.url}/webhookb2/x` }, eventConfig: {} });
    const build = await t.call('POST', '/api/v1/builds', {
      token: t.tokens.write, body: { repository, build_name: 'abc1234', trigger_kind: 'github', trigger_metadata: { commit: 'a'.repeat(40), ref: 'refs/heads/main' } },
    });
    const id = build.json().build_id as string;
    await t.call('POST', `/api/v1/builds/${id}/phase`, { token: t.tokens.write, body: { phase: 'started' } });
    await t.call('POST', `/api/v1/builds/${id}/phase`, { token: t.tokens.write, body: { phase: 'failure', error_message: 'Dockerfile: unknown instruction' } });
    const [slackGot] = await slack.waitFor(1);
    const [teamsGot] = await teams.waitFor(1);
    const { payload } = await expectedPayload(s.uuid);
    assert.equal(payload.homepage, `http://tidewatch.test/repositories/${repository}/build/${id}`);
    assert.equal(slackGot!.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(slackGot!.body), slackMessage('build_failure', payload));
    assert.equal(JSON.parse(slackGot!.body).attachments[0].color, '#ff0000');
    assert.equal(slackGot!.headers['webhook-id'], undefined, 'chat methods are not signed');
    assert.deepEqual(JSON.parse(teamsGot!.body), teamsMessageCard('build_failure', (await expectedPayload(m.uuid)).payload));
    assert.match(JSON.parse(teamsGot!.body).summary, /build abc1234 failed \(refs\/heads\/main\): Dockerfile: unknown instruction/);
  });

  test('email: received by the SMTP server with the one-line subject and plain-text and HTML bodies', async () => {
    const n = await createNotification(t, { event: 'image_deployed', method: 'email', config: { email: 'ops@example.com' }, eventConfig: {} });
    const res = await t.call('POST', '/api/v1/deployments', { token: t.tokens.write, body: { image: { url: `${repository}@${digest(4)}` }, environment: { name: 'production' } } });
    assert.equal(res.statusCode, 201, res.body);
    const [got] = await mail.waitFor(1);
    const { payload } = await expectedPayload(n.uuid);
    const message = emailMessage('image_deployed', payload);
    assert.deepEqual(got!.to, ['ops@example.com']);
    assert.equal(got!.from, 'tidewatch@tidewatch.test');
    const parsed = parseMail(got!.raw);
    assert.equal(parsed.headers.subject, message.subject);
    assert.match(message.subject, /^registry\.example\.com\/acme\/web: deployed sha256:000000000000 to production$/);
    assert.equal(parsed.parts['text/plain']?.replace(/\r\n/g, '\n').trimEnd(), message.text.trimEnd());
    assert.equal(parsed.parts['text/html']?.replace(/\r\n/g, '\n').trimEnd(), message.html.trimEnd());
    const [delivery] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded');
    const [attempt] = await storage.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', delivery!.id).execute();
    assert.deepEqual([attempt!.status_code, attempt!.error], [null, null]);
    assert.match(attempt!.response_excerpt ?? '', /^250/);
  });

  test('test endpoint: the sample payload of the event goes out through the worker, naming this repository', async () => {
    const r = await receiver();
    const n = await createNotification(t, { event: 'vulnerability_found', method: 'webhook', config: { url: r.url }, eventConfig: { level: 0 } });
    const res = await t.call('POST', `${notificationsPath()}/${n.uuid}/test`);
    assert.equal(res.statusCode, 202, res.body);
    const [got] = await r.waitFor(1);
    assert.equal(got!.headers['webhook-id'], res.json().delivery_id);
    const body = JSON.parse(got!.body);
    assert.deepEqual([body.docker_url, body.repository, body.vulnerability.id, body.vulnerability.priority], [repository, 'acme/web', 'CVE-2021-44228', 'Critical']);
    assert.equal(body.test, undefined, 'the marker stays in the stored event');
    const log = await eventually(async () => (await t.call('GET', `${notificationsPath()}/${n.uuid}/deliveries`)).json(),
      (l) => l.deliveries[0]?.status === 'succeeded');
    assert.deepEqual(log.deliveries[0].attempts.map((a: any) => [a.status_code, a.error, a.response]), [[200, null, 'ok']]);
    assert.ok(Number.isInteger(log.deliveries[0].attempts[0].latency_ms));
  });

  test('vulnerability_found from a real scan: the payload carries the finding\'s description, link, priority, fix and digest, read back from the finding', async () => {
    const r = await receiver();
    const n = await createNotification(t, { event: 'vulnerability_found', method: 'webhook', config: { url: r.url }, eventConfig: { level: 5, skip_inherited: false } });
    const description = 'A heap overflow in libfoo lets a remote attacker run code "as root".';
    const report = {
      SchemaVersion: 2, ArtifactName: 'x', ArtifactType: 'container_image',
      Results: [{ Target: 'x (debian 12)', Vulnerabilities: [
        { VulnerabilityID: 'CVE-2024-7777', PkgName: 'libfoo', InstalledVersion: '1.0', FixedVersion: '1.1', Status: 'fixed', Severity: 'HIGH', PrimaryURL: 'https://avd.aquasec.com/nvd/cve-2024-7777', Description: description },
        { VulnerabilityID: 'CVE-2024-7778', PkgName: 'libbar', InstalledVersion: '2.0', Status: 'affected', Severity: 'LOW' },
      ] }],
    };
    const res = await t.call('POST', `/api/v1/scans?image=${encodeURIComponent(`${repository}@${digest('d5')}`)}`, { body: report });
    assert.equal(res.statusCode, 201, res.body);
    const stored = await storage.db.selectFrom('events').select('data').where('kind', '=', 'vulnerability_found')
      .where('data', 'like', `%${res.json().scan_id}%`).execute();
    assert.equal(stored.length, 2);
    assert.ok(stored.every((e) => !e.data.includes(description)), 'the event rows do not copy the description');
    assert.ok(stored.every((e) => !/avd\.aquasec|priority|has_fix|fixed_version|sha256:/.test(e.data)), 'nor the finding\'s other fields and the digest');
    const got = (await r.waitFor(2)).map((g) => JSON.parse(g.body)).sort((a, b) => a.vulnerability.id.localeCompare(b.vulnerability.id));
    assert.deepEqual(got[0].vulnerability, {
      id: 'CVE-2024-7777', description, link: 'https://avd.aquasec.com/nvd/cve-2024-7777', priority: 'High', has_fix: true,
    });
    assert.deepEqual(Object.keys(got[0].vulnerability), ['id', 'description', 'link', 'priority', 'has_fix']);
    assert.deepEqual(got[1].vulnerability, { id: 'CVE-2024-7778', priority: 'Low', has_fix: false }, 'no description: none is made up');
    assert.deepEqual([got[0].package, got[0].installed_version, got[0].fixed_version, got[0].digest], ['libfoo', '1.0', '1.1', digest('d5')]);
    assert.deepEqual([got[1].package, got[1].installed_version, got[1].fixed_version, got[1].digest], ['libbar', '2.0', undefined, digest('d5')]);
  });

  test('redeliver: the same delivery is sent again with the same webhook-id', async () => {
    const r = await receiver();
    const n = await createNotification(t, { event: 'repo_push', method: 'webhook', config: { url: r.url }, eventConfig: { tags: ['again'] } });
    await push(t, 'again', 5);
    await r.waitFor(1);
    const [delivery] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded');
    const res = await t.call('POST', `${notificationsPath()}/${n.uuid}/deliveries/${delivery!.id}/redeliver`);
    assert.equal(res.statusCode, 202, res.body);
    const [first, second] = await r.waitFor(2);
    assert.equal(second!.headers['webhook-id'], first!.headers['webhook-id']);
    assert.equal(second!.body, first!.body);
    new Webhook(n.secret!).verify(second!.body, second!.headers as Record<string, string>);
    const rows = await eventually(() => deliveriesOf(storage, n.uuid), (rs) => rs[0]?.status === 'succeeded');
    assert.equal(rows.length, 1);
    const attempts = await storage.db.selectFrom('delivery_attempts').select('status_code').where('delivery_id', '=', delivery!.id).execute();
    assert.equal(attempts.length, 2, 'both sends are in the log');
  });
});
