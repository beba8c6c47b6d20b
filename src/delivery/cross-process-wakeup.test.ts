import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openSharedStorage, openTestStorage, postgresUrl, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { startReceiver, type Receiver } from '../../test/support/receivers.js';
import { createNotification, deliveriesOf, eventually, push, startWorker } from '../../test/support/notifications.js';
import type { DeliveryWorker } from './delivery-worker.js';

/*
 * With PostgreSQL, a process that commits deliveries wakes the workers of the other processes sharing the database at
 * its commit (delivery-wakeup.ts, core/db/signals.ts), not at their next poll. The API runs on one storage, the
 * worker on another one (its own pool and listening connection, as a second `tidewatch serve` would have) that polls
 * only once a minute: only the signal can bring the delivery within the test's seconds.
 */
const skip = postgresUrl ? false : 'no PostgreSQL answers (set TIDEWATCH_TEST_DATABASE_URL): only PostgreSQL is shared by processes';

describe('a delivery committed by one process wakes the worker of another [postgres]', { skip }, () => {
  let storage: TestStorage;
  let other: TestStorage;
  let t: TestApp;
  let receiver: Receiver;
  let worker: DeliveryWorker | null = null;
  before(async () => {
    storage = await openTestStorage('postgres');
    other = openSharedStorage(storage);
    t = await startTestApp(storage);
    receiver = await startReceiver();
  });
  after(async () => {
    await worker?.stop();
    await receiver.close();
    await t.close();
    await other.dispose();
    await storage.dispose();
  });

  test('the other process delivers at once although its poll is a minute away', async () => {
    const repo = 'registry.example.com/acme/elsewhere';
    await push(t, 'seed', 'b0', repo);
    const n = await createNotification(t, { event: 'repo_push', method: 'webhook', config: { url: `${receiver.url}/hook` }, eventConfig: {} }, repo);
    worker = startWorker(other, { pollMs: 60_000 });
    await other.signals!.ready();
    // Let its first look at the table pass (it finds nothing).
    await new Promise((r) => setTimeout(r, 500));
    const pushed = Date.now();
    await push(t, 'v1', 'b1', repo);
    const [delivery] = await eventually(() => deliveriesOf(storage, n.uuid), (rows) => rows[0]?.status === 'succeeded', 10_000);
    assert.equal(receiver.received.length, 1);
    assert.equal(receiver.received[0]!.headers['webhook-id'], delivery!.id);
    assert.ok(Date.now() - pushed < 10_000, 'delivered long before the next poll');
  });
});
