import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { startReceiver, type Receiver } from '../../test/support/receivers.js';
import { createNotification, deliveriesOf, eventually, push, startWorker } from '../../test/support/notifications.js';
import type { DeliveryWorker } from './delivery-worker.js';

/* The worker's guard, its leases and its stop (notifications.md "Delivery guarantees", security.md "Outbound requests"). */
describeEachEngine('delivery worker', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const receivers: Receiver[] = [];
  const workers: DeliveryWorker[] = [];
  const receiver = async (...args: Parameters<typeof startReceiver>) => {
    const r = await startReceiver(...args);
    receivers.push(r);
    return r;
  };
  const worker = (...args: Parameters<typeof startWorker>) => {
    const w = startWorker(...args);
    workers.push(w);
    return w;
  };
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
  });
  after(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(receivers.map((r) => r.close()));
    await t.close();
    await storage.dispose();
  });

  let repoCount = 0;
  const setUp = async (config: Record<string, unknown>, method = 'webhook') => {
    const repo = `registry.example.com/worker/r${repoCount++}`;
    await push(t, 'seed', 'a0', repo);
    const n = await createNotification(t, { event: 'repo_push', method, config, eventConfig: {} }, repo);
    return { repo, n };
  };
  const attemptsOf = (deliveryId: string) => storage.db.selectFrom('delivery_attempts').selectAll().where('delivery_id', '=', deliveryId).orderBy('id').execute();

  test('the default outbound guard refuses a loopback receiver at send time; the attempt is recorded with the refusal', async () => {
    const r = await receiver();
    // Created while the API allowed 127.0.0.1/32; the worker runs with the default (empty) allow list.
    const { repo, n } = await setUp({ url: `${r.url}/hook` });
    const w = worker(storage, { allow: '', schedule: [0] });
    await push(t, 'v1', 'a1', repo);
    const [delivery] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'failed');
    const [attempt] = await attemptsOf(delivery!.id);
    assert.equal(attempt!.status_code, null);
    assert.match(attempt!.error ?? '', /outbound request to 127\.0\.0\.1.* refused: loopback/);
    assert.equal(r.received.length, 0, 'nothing reached the receiver');
    await w.stop();
  });

  test('e-mail without TIDEWATCH_SMTP_URL: the attempt fails with that error', async () => {
    const { repo, n } = await setUp({ email: 'ops@example.com' }, 'email');
    const w = worker(storage, { schedule: [0] });
    await push(t, 'v1', 'a1', repo);
    const [delivery] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'failed');
    const [attempt] = await attemptsOf(delivery!.id);
    assert.match(attempt!.error ?? '', /no SMTP server is configured \(set TIDEWATCH_SMTP_URL\)/);
    await w.stop();
  });

  test('stop(): claims no more, gives back what it had not started, and records the attempts in flight', async () => {
    const r = await receiver(() => ({ status: 200, delayMs: 300 }));
    const { repo, n } = await setUp({ url: r.url });
    const w = worker(storage);
    for (let i = 1; i <= 7; i++) await push(t, `v${i}`, `b${i}`, repo);
    await r.waitFor(4);
    await w.stop();
    const rows = await deliveriesOf(storage, n.uuid);
    assert.equal(r.received.length, 4, 'four slots for one target; the rest waited');
    assert.deepEqual(rows.map((d) => d.status).sort(), ['pending', 'pending', 'pending', 'succeeded', 'succeeded', 'succeeded', 'succeeded']);
    for (const d of rows) {
      assert.deepEqual([d.lease_owner, d.lease_until], [null, null]);
      assert.equal((await attemptsOf(d.id)).length, d.status === 'succeeded' ? 1 : 0);
    }
    await push(t, 'after-stop', 'b9', repo);
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(r.received.length, 4, 'a stopped worker sends nothing');
    const next = worker(storage);
    await eventually(() => deliveriesOf(storage, n.uuid), (ds) => ds.every((d) => d.status === 'succeeded'));
    assert.equal(r.received.length, 8, 'each delivery sent once');
    await next.stop();
  });

  /** A delivery of a fresh notification's event, left claimed by another process until `leaseUntil`. */
  async function leftClaimed(id: string, owner: string, leaseUntil: string) {
    const r = await receiver();
    const { repo, n } = await setUp({ url: r.url });
    const event = await storage.db.selectFrom('events as e').innerJoin('repositories as rp', 'rp.id', 'e.repository_id')
      .select('e.id').where('rp.name', '=', repo).executeTakeFirstOrThrow();
    const now = new Date().toISOString();
    await storage.db.insertInto('deliveries').values({
      id, workspace_id: t.workspaceId, notification_id: n.uuid, event_id: Number(event.id), status: 'delivering', attempts: 0,
      next_attempt_at: now, lease_until: leaseUntil, lease_owner: owner, created_at: now, completed_at: null,
    }).execute();
    return { r, n };
  }
  const inAMinute = () => new Date(Date.now() + 60_000).toISOString();

  test('a claim whose lease ran out (its process died) is taken over and sent', async () => {
    const id = '00000000-0000-7000-8000-00000000dead';
    const { r, n } = await leftClaimed(id, 'dead-host:1:x', new Date(Date.now() - 1000).toISOString());
    const w = worker(storage);
    const [got] = await r.waitFor(1, 3000);
    assert.equal(got!.headers['webhook-id'], id);
    const [d] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded');
    assert.deepEqual([d!.attempts, d!.lease_owner], [1, null]);
    await w.stop();
  });

  test('a live claim of another process is left alone while its lease runs (no double send)', { skip: engine === 'sqlite' ? 'SQLite is one process: claims left at start-up are released at once (next test)' : false }, async () => {
    const { r, n } = await leftClaimed('00000000-0000-7000-8000-0000000a11fe', 'other-host:2:y', inAMinute());
    const w = worker(storage);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(r.received.length, 0);
    assert.equal((await deliveriesOf(storage, n.uuid))[0]!.lease_owner, 'other-host:2:y');
    await w.stop();
  });

  test('SQLite: claims left by a previous process are released at start-up and sent at once', { skip: engine === 'postgres' ? 'PostgreSQL is shared by several processes: leases run out instead' : false }, async () => {
    const { r, n } = await leftClaimed('00000000-0000-7000-8000-0000000c4a54', 'crashed:3:z', inAMinute());
    const w = worker(storage);
    await r.waitFor(1, 2000);
    await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded');
    await w.stop();
  });
});
