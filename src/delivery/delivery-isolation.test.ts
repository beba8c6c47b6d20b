import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { startReceiver, type Receiver } from '../../test/support/receivers.js';
import { createNotification, eventually, push, repository, startWorker } from '../../test/support/notifications.js';
import type { DeliveryWorker } from './delivery-worker.js';

/*
 * notifications.md "Isolation": a slow or dead target never delays deliveries to other targets. A receiver that
 * accepts and never answers holds its own slots (4) for the whole timeout, with more of its deliveries queued behind
 * them; 100 other receivers still get theirs at once.
 */
describeEachEngine('delivery isolation', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let worker: DeliveryWorker;
  let hanging: Receiver;
  const fast: Receiver[] = [];
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    worker = startWorker(storage, { timeoutMs: 6000, schedule: [0] });
    hanging = await startReceiver(() => 'hang');
    for (let i = 0; i < 100; i++) fast.push(await startReceiver());
  });
  after(async () => {
    await hanging.close();
    await worker.stop();
    await Promise.all(fast.map((r) => r.close()));
    await t.close();
    await storage.dispose();
  });

  test('one receiver hangs while 100 others all get their delivery within 2 s', async () => {
    await push(t, 'seed', 1);
    await createNotification(t, { event: 'repo_push', method: 'webhook', config: { url: `${hanging.url}/dead` }, eventConfig: {} });
    // A backlog for the dead target first: twelve deliveries, four of them hanging in flight.
    for (let i = 0; i < 12; i++) await push(t, `old-${i}`, 100 + i);
    await eventually(async () => hanging.open(), (open) => open === 4, 5000);
    for (const r of fast) await createNotification(t, { event: 'repo_push', method: 'slack', config: { url: `${r.url}/chat` }, eventConfig: {} });

    const started = Date.now();
    const res = await t.call('POST', '/api/v1/pushes', { token: t.tokens.write, body: { image: `${repository}:now@sha256:${'f'.repeat(64)}` } });
    assert.equal(res.statusCode, 201, res.body);
    const answered = Date.now() - started;
    const arrivals = await Promise.all(fast.map(async (r) => (await r.waitFor(1, 2000))[0]!.at - started));
    const slowest = Math.max(...arrivals);
    assert.ok(slowest <= 2000, `slowest of the 100 arrived after ${slowest} ms`);
    assert.equal(hanging.open(), 4, 'the dead receiver is still holding its requests open');
    assert.equal(hanging.received.length, 4, 'and was sent no more than its four slots');
    assert.ok(answered < 1000, `the push was answered in ${answered} ms`);
    for (const r of fast) assert.equal(r.received.length, 1);
  });
});
