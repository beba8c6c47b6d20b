import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { Webhook } from 'standardwebhooks';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest } from '../../test/support/app.js';
import { startServer } from '../../test/support/server-process.js';
import { startReceiver, type Receiver } from '../../test/support/receivers.js';
import { eventually } from '../../test/support/notifications.js';

/* `tidewatch serve` runs the delivery worker with the settings of its environment, and SIGTERM lets attempts finish. */
describeEachEngine('serve delivers notifications', (engine) => {
  let storage: TestStorage;
  let receiver: Receiver;
  before(async () => {
    storage = await openTestStorage(engine);
    let calls = 0;
    receiver = await startReceiver(() => (calls++ === 0 ? { status: 500 } : { status: 200, delayMs: 400 }));
  });
  after(async () => {
    await receiver.close();
    await storage.dispose();
  });

  test('a deployment reaches a webhook through a real process, retried on TIDEWATCH_DELIVERY_SCHEDULE; SIGTERM waits for the attempt', async () => {
    const token = `tw_${'A'.repeat(43)}`;
    const server = await startServer({
      ...storage.env,
      TIDEWATCH_BOOTSTRAP_TOKEN: token,
      TIDEWATCH_OUTBOUND_ALLOW: '127.0.0.1/32',
      TIDEWATCH_DELIVERY_SCHEDULE: '0,100ms',
      TIDEWATCH_DELIVERY_TIMEOUT: '3s',
      TIDEWATCH_PUBLIC_URL: 'https://tidewatch.example.com',
    });
    const call = async (method: 'GET' | 'POST', path: string, body?: unknown) => {
      const res = await request(`${server.url}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: res.statusCode, json: (await res.body.json()) as any };
    };
    try {
      const repo = 'ghcr.io/acme/served';
      assert.equal((await call('POST', '/api/v1/deployments', { image: { url: `${repo}@${digest(1)}` }, environment: { name: 'staging' } })).status, 201);
      const created = await call('POST', `/api/v1/repositories/${repo}/notifications`, {
        event: 'image_deployed', method: 'webhook', config: { url: receiver.url }, eventConfig: { environments: ['production'] },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      assert.equal((await call('POST', '/api/v1/deployments', { image: { url: `${repo}@${digest(2)}` }, environment: { name: 'production' } })).status, 201);
      const [first, second] = await receiver.waitFor(2, 5000);
      assert.ok(second!.at - first!.at >= 90, 'the second attempt follows the schedule');
      assert.equal(second!.headers['webhook-id'], first!.headers['webhook-id']);
      const payload = new Webhook(created.json.secret).verify(second!.body, second!.headers as Record<string, string>) as Record<string, unknown>;
      assert.deepEqual([payload.environment, payload.digest, payload.homepage], ['production', digest(2), `https://tidewatch.example.com/repositories/${repo}`]);
      // The receiver takes 400 ms to answer the second attempt: stop the process meanwhile.
      server.child.kill('SIGTERM');
      assert.equal(await server.exited, 0, server.stdout());
      const rows = await storage.db.selectFrom('deliveries').select(['id', 'status', 'attempts', 'lease_owner']).execute();
      assert.deepEqual(rows.map((r) => [r.status, r.attempts, r.lease_owner]), [['succeeded', 2, null]], 'the attempt in flight was finished and recorded');
      const attempts = await storage.db.selectFrom('delivery_attempts').select('status_code').orderBy('id').execute();
      assert.deepEqual(attempts.map((a) => a.status_code), [500, 200]);
    } finally {
      if (server.child.exitCode === null) server.child.kill('SIGKILL');
    }
  });

  test('the notification list answers from a restarted process, with the last delivery', async () => {
    const token = `tw_${'A'.repeat(43)}`;
    const server = await startServer({ ...storage.env, TIDEWATCH_OUTBOUND_ALLOW: '127.0.0.1/32' });
    try {
      const res = await request(`${server.url}/api/v1/repositories/ghcr.io/acme/served/notifications`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.body.json()) as any;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(body.notifications.map((n: any) => [n.enabled, n.number_of_failures, n.last_delivery.status]), [[true, 0, 'succeeded']]);
      const log = await eventually(async () => {
        const r = await request(`${server.url}/api/v1/repositories/ghcr.io/acme/served/notifications/${body.notifications[0].uuid}/deliveries`, {
          headers: { authorization: `Bearer ${token}` },
        });
        return (await r.body.json()) as any;
      }, (l) => l.total === 1);
      assert.deepEqual(log.deliveries[0].attempts.map((a: any) => [a.status_code, a.error]), [[500, 'HTTP 500'], [200, null]]);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });
});
