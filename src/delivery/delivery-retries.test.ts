import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { startReceiver, type Answer, type Received, type Receiver } from '../../test/support/receivers.js';
import { createNotification, deliveriesOf, eventually, notificationsPath, push, startWorker } from '../../test/support/notifications.js';
import type { DeliveryWorker } from './delivery-worker.js';

/*
 * notifications.md "Retries" and "Failures, as Quay", on a schedule of milliseconds: attempts at 0, +80 ms, +160 ms.
 * Each test uses its own repository, so notifications of one never see events of another.
 */
describeEachEngine('delivery retries and failures', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let worker: DeliveryWorker;
  const receivers: Receiver[] = [];
  const receiver = async (answer: (r: Received, i: number) => Answer) => {
    const r = await startReceiver(answer);
    receivers.push(r);
    return r;
  };
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    worker = startWorker(storage, { schedule: [0, 80, 160] });
  });
  after(async () => {
    await worker.stop();
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
    await storage.dispose();
  });

  let repoCount = 0;
  /** A repository of its own with one webhook notification to `url`. */
  const setUp = async (url: string) => {
    const repo = `registry.example.com/retry/r${repoCount++}`;
    await push(t, 'seed', 'a0', repo);
    const n = await createNotification(t, { event: 'repo_push', method: 'webhook', config: { url }, eventConfig: {} }, repo);
    return { repo, n, view: async () => (await t.call('GET', `${notificationsPath(repo)}/${n.uuid}`)).json() };
  };
  const attemptsOf = (deliveryId: string) => storage.db.selectFrom('delivery_attempts').selectAll()
    .where('delivery_id', '=', deliveryId).orderBy('id').execute();
  /** A delivery of the repository's first event waiting for a retry an hour away (what disabling must skip). */
  const parkDelivery = async (notificationId: string, repo: string) => {
    const event = await storage.db.selectFrom('events as e').innerJoin('repositories as r', 'r.id', 'e.repository_id')
      .select('e.id').where('r.name', '=', repo).orderBy('e.id').executeTakeFirstOrThrow();
    const at = new Date().toISOString();
    const id = `00000000-0000-7000-8000-${String(repoCount).padStart(12, '0')}`;
    await storage.db.insertInto('deliveries').values({
      id, workspace_id: t.workspaceId, notification_id: notificationId, event_id: Number(event.id), status: 'pending', attempts: 1,
      next_attempt_at: new Date(Date.now() + 3_600_000).toISOString(), lease_until: null, lease_owner: null, created_at: at, completed_at: null,
    }).execute();
    return async () => (await storage.db.selectFrom('deliveries').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status;
  };
  const settled = (notificationId: string, count = 1) => eventually(() => deliveriesOf(storage, notificationId),
    (rows) => rows.length >= count && rows.every((r) => r.status !== 'pending' && r.status !== 'delivering'));

  test('a failing receiver is retried on the schedule, one attempt row each, with the same webhook-id; success ends it', async () => {
    const r = await receiver((_req, i) => (i < 2 ? { status: 500, body: `broken ${i}` } : { status: 204 }));
    const { repo, n } = await setUp(r.url);
    await push(t, 'v1', 'a1', repo);
    const [delivery] = await settled(n.uuid);
    assert.equal(delivery!.status, 'succeeded');
    assert.equal(delivery!.attempts, 3);
    const got = await r.waitFor(3);
    assert.deepEqual(new Set(got.map((g) => g.headers['webhook-id'])), new Set([delivery!.id]), 'stable across retries');
    assert.ok(got[1]!.at - got[0]!.at >= 75, `second attempt ${got[1]!.at - got[0]!.at} ms after the first`);
    assert.ok(got[2]!.at - got[1]!.at >= 155, `third attempt ${got[2]!.at - got[1]!.at} ms after the second`);
    const attempts = await attemptsOf(delivery!.id);
    assert.deepEqual(attempts.map((a) => [a.status_code, a.error, a.response_excerpt]), [
      [500, 'HTTP 500', 'broken 0'], [500, 'HTTP 500', 'broken 1'], [204, null, ''],
    ]);
    assert.ok(attempts.every((a) => a.latency_ms >= 0 && !Number.isNaN(Date.parse(a.at))));
    // The signature is fresh per attempt (its timestamp is the send time), the body the same.
    assert.equal(new Set(got.map((g) => g.body)).size, 1);
  });

  test('Quay\'s rule: three deliveries that used up their attempts disable the notification until reset', async () => {
    const r = await receiver(() => ({ status: 500 }));
    const { repo, n, view } = await setUp(r.url);
    for (const [i, tag] of ['f1', 'f2'].entries()) {
      await push(t, tag, `b${i}`, repo);
      await settled(n.uuid, i + 1);
      assert.deepEqual([(await view()).number_of_failures, (await view()).enabled], [i + 1, true]);
    }
    assert.equal(r.received.length, 6, 'two deliveries, three attempts each');
    // The third failure disables it, and what was still pending is skipped, not sent.
    await push(t, 'f3', 'b2', repo);
    await eventually(view, (v) => v.number_of_failures === 3);
    const v = await view();
    assert.deepEqual([v.number_of_failures, v.enabled, v.last_delivery.status], [3, false, 'failed']);
    await push(t, 'f4', 'b3', repo);
    const rows = await deliveriesOf(storage, n.uuid);
    assert.deepEqual(rows.map((d) => d.status), ['failed', 'failed', 'failed'], 'a disabled notification gets no new deliveries');
    const sent = r.received.length;
    // Reset: counted from 0 again and sending again; a success keeps it at 0.
    assert.equal((await t.call('POST', `${notificationsPath(repo)}/${n.uuid}`)).statusCode, 204);
    assert.deepEqual([(await view()).number_of_failures, (await view()).enabled], [0, true]);
    await push(t, 'f5', 'b4', repo);
    await r.waitFor(sent + 1);
  });

  test('when the third failure disables a notification, its deliveries waiting for a retry are skipped', async () => {
    const r = await receiver(() => ({ status: 503 }));
    const { repo, n, view } = await setUp(r.url);
    await storage.db.updateTable('notifications').set({ number_of_failures: 2 }).where('id', '=', n.uuid).execute();
    const parked = await parkDelivery(n.uuid, repo);
    await push(t, 's1', 'c1', repo);
    await eventually(view, (v) => v.enabled === false);
    assert.equal(await parked(), 'skipped');
    assert.equal(r.received.length, 3);
  });

  test('a success sets number_of_failures back to 0', async () => {
    const r = await receiver(() => ({ status: 200 }));
    const { repo, n, view } = await setUp(r.url);
    await storage.db.updateTable('notifications').set({ number_of_failures: 2 }).where('id', '=', n.uuid).execute();
    await push(t, 'ok', 'd1', repo);
    await settled(n.uuid);
    assert.equal((await view()).number_of_failures, 0);
  });

  test('410 Gone disables the notification at once; its pending deliveries are skipped', async () => {
    const r = await receiver(() => ({ status: 410, body: 'gone' }));
    const { repo, n, view } = await setUp(r.url);
    const parked = await parkDelivery(n.uuid, repo);
    await push(t, 'g1', 'e1', repo);
    const delivery = (await settled(n.uuid, 2)).find((d) => d.attempts === 1 && d.status === 'failed');
    assert.ok(delivery, 'one attempt, failed');
    assert.equal(await parked(), 'skipped');
    const v = await view();
    assert.equal(v.enabled, false);
    assert.equal(r.received.length, 1, 'no retry after 410');
    const [attempt] = await attemptsOf(delivery!.id);
    assert.deepEqual([attempt!.status_code, attempt!.response_excerpt], [410, 'gone']);
    await push(t, 'g2', 'e2', repo);
    assert.equal((await deliveriesOf(storage, n.uuid)).length, 2);
  });

  test('429 and 503 honour Retry-After (seconds or an HTTP date) instead of the schedule', async () => {
    const r = await receiver((_req, i) => {
      if (i === 0) return { status: 503, headers: { 'retry-after': '1' } };
      if (i === 1) return { status: 429, headers: { 'retry-after': new Date(Date.now() + 1500).toUTCString() } };
      return { status: 200 };
    });
    const { repo, n } = await setUp(r.url);
    await push(t, 'ra', 'f1', repo);
    const got = await r.waitFor(3, 8000);
    assert.ok(got[1]!.at - got[0]!.at >= 950, `Retry-After: 1 honoured (${got[1]!.at - got[0]!.at} ms, schedule said 80)`);
    // An HTTP date has one-second resolution: toUTCString drops the milliseconds.
    assert.ok(got[2]!.at - got[1]!.at >= 450, `Retry-After date honoured (${got[2]!.at - got[1]!.at} ms, schedule said 160)`);
    const [delivery] = await settled(n.uuid);
    assert.deepEqual((await attemptsOf(delivery!.id)).map((a) => a.status_code), [503, 429, 200]);
  });

  test('a redirect is a failure and is not followed: the redirect target gets nothing', async () => {
    const target = await receiver(() => ({ status: 200 }));
    const r = await receiver(() => ({ status: 307, headers: { location: `${target.url}/elsewhere` } }));
    const { repo, n } = await setUp(r.url);
    await push(t, 'redirect', 'aa1', repo);
    const [delivery] = await settled(n.uuid);
    assert.equal(delivery!.status, 'failed');
    assert.equal(r.received.length, 3);
    assert.equal(target.received.length, 0);
    const attempts = await attemptsOf(delivery!.id);
    assert.deepEqual(attempts.map((a) => [a.status_code, a.error]), Array(3).fill([307, 'HTTP 307: redirects are not followed']));
  });

  test('a receiver that does not answer in time fails the attempt with a timeout', async () => {
    const r = await receiver(() => 'hang');
    const { repo, n } = await setUp(r.url);
    await push(t, 'hang', 'ab1', repo);
    const [first] = await r.waitFor(1);
    assert.ok(first);
    const attempt = await eventually(async () => {
      const [d] = await deliveriesOf(storage, n.uuid);
      return d ? (await attemptsOf(d.id))[0] : undefined;
    }, (a) => a !== undefined, 5000);
    assert.equal(attempt!.status_code, null);
    assert.match(attempt!.error ?? '', /timed out after 2000 ms/);
    assert.ok(attempt!.latency_ms >= 1900 && attempt!.latency_ms < 4000, String(attempt!.latency_ms));
  });
});
