import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest } from '../../test/support/app.js';
import { startServer } from '../../test/support/server-process.js';

async function post(url: string, token: string, body: unknown) {
  const res = await request(`${url}/api/v1/deployments`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  await res.body.text();
  return res.statusCode;
}

/** Fires `count` deployments, `parallel` at a time, until done or the server goes away; returns the ids answered 201. */
async function load(url: string, token: string, count: number, parallel: number, offset = 0): Promise<number[]> {
  const created: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = offset + next++;
      try {
        const status = await post(url, token, { image: { url: `ghcr.io/load/svc@${digest(i + 1)}`, name: `i-${i % 50}` }, environment: { name: 'load' } });
        if (status === 201) created.push(i);
      } catch {
        return; // connection refused or reset: the server is gone
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return created;
}

describeEachEngine('tidewatch serve', (engine) => {
  let storage: TestStorage;
  before(async () => { storage = await openTestStorage(engine); });
  after(async () => { await storage.dispose(); });

  test('the first start prints one admin token; later starts print none', async () => {
    const first = await startServer(storage.env);
    const token = /\n {2}(tw_[A-Za-z0-9_-]{43})\n/.exec(first.stdout())?.[1];
    assert.ok(token, `no token in:\n${first.stdout()}`);
    const res = await request(`${first.url}/api/v1/environments`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    const second = await startServer(storage.env);
    assert.doesNotMatch(second.stdout(), /tw_[A-Za-z0-9_-]{43}/);
    second.child.kill('SIGTERM');
    assert.equal(await second.exited, 0);
  });

  test('SIGTERM lets in-flight requests finish and exits 0; every 201 was stored with its event', async () => {
    const server = await startServer(storage.env);
    const token = await adminToken(storage);
    const loading = load(server.url, token, 400, 20);
    await new Promise((r) => setTimeout(r, 300));
    server.child.kill('SIGTERM');
    const created = await loading;
    assert.equal(await server.exited, 0, server.stdout());
    assert.ok(created.length > 0, 'some requests were answered before the stop');
    await assertEveryCreatedStored(storage, created);
    assert.match(server.stdout(), /"msg":"stopped"/);
  });

  test('after kill -9 mid-load and a restart, every answered deployment is there with exactly one event', async () => {
    const server = await startServer(storage.env);
    const token = await adminToken(storage);
    const loading = load(server.url, token, 2000, 20, 10_000);
    await new Promise((r) => setTimeout(r, 400));
    server.child.kill('SIGKILL');
    const created = await loading;
    await server.exited;
    assert.ok(created.length > 0);
    const restarted = await startServer(storage.env);
    const ready = await request(`${restarted.url}/readyz`);
    assert.equal(ready.statusCode, 200);
    await ready.body.text();
    await assertEveryCreatedStored(storage, created.map((i) => i));
    restarted.child.kill('SIGTERM');
    assert.equal(await restarted.exited, 0);
  });
});

describeEachEngine('tidewatch serve with TIDEWATCH_BOOTSTRAP_TOKEN', (engine) => {
  let storage: TestStorage;
  before(async () => { storage = await openTestStorage(engine); });
  after(async () => { await storage.dispose(); });

  test('a malformed bootstrap token stops the start with a clear message', async () => {
    await assert.rejects(startServer({ ...storage.env, TIDEWATCH_BOOTSTRAP_TOKEN: 'secret' }), /a token must be "tw_" followed by at least 32 characters/);
  });

  test('the given token becomes the default workspace admin token and is not printed', async () => {
    const token = `tw_${'b'.repeat(40)}`;
    const server = await startServer({ ...storage.env, TIDEWATCH_BOOTSTRAP_TOKEN: token });
    assert.ok(!server.stdout().includes(token));
    assert.equal(await post(server.url, token, { image: { url: `nginx@${digest(7)}` } }), 201);
    server.child.kill('SIGTERM');
    assert.equal(await server.exited, 0);
  });
});

async function adminToken(storage: TestStorage): Promise<string> {
  const { createToken } = await import('../auth/token-service.js');
  const ws = await storage.db.selectFrom('workspaces').select('id').where('name', '=', 'default').executeTakeFirstOrThrow();
  return (await createToken(storage.db, { workspaceId: ws.id, role: 'admin' })).token;
}

async function assertEveryCreatedStored(storage: TestStorage, created: number[]) {
  const rows = await storage.db.selectFrom('deployments').select('digest').execute();
  const stored = new Set(rows.map((r) => r.digest));
  for (const i of created) assert.ok(stored.has(digest(i + 1)), `deployment ${i} was answered 201 but is not stored`);
  const events = await storage.db.selectFrom('events').select('data').where('kind', '=', 'image_deployed').execute();
  assert.equal(events.length, rows.length, 'one image_deployed event per stored deployment, no more, no less');
  const eventDigests = new Set(events.map((e) => JSON.parse(e.data).digest));
  for (const r of rows) assert.ok(eventDigests.has(r.digest));
}
