import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest } from '../../test/support/app.js';
import { startServer, type ServerProcess } from '../../test/support/server-process.js';
import { startReceiver, type Receiver } from '../../test/support/receivers.js';

/*
 * notifications.md "Delivery guarantees": a process killed while it delivers loses nothing — after a restart every
 * delivery arrives at least once, and a duplicate carries the same webhook-id (and the same body). On PostgreSQL
 * several processes share the work without sending anything twice while they live, and a dead one's claims are taken
 * over once their lease runs out.
 *
 * The lease is not configurable in `serve` (delivery-worker.ts: 30 s plus TIDEWATCH_DELIVERY_TIMEOUT), so the
 * PostgreSQL take-overs below wait about 31 s.
 */
const EVENTS = 1000;
const PARALLEL = 20;
const token = `tw_${'C'.repeat(43)}`;
const secretKey = randomBytes(32).toString('hex');
const TIMEOUT_MS = 1000;
/** The lease of a claim in `serve`: 30 s plus the timeout (delivery-worker.ts), plus the once-a-second take-over look. */
const LEASE_MS = 30_000 + TIMEOUT_MS;

function serverEnv(storage: TestStorage): Record<string, string> {
  return {
    ...storage.env,
    TIDEWATCH_BOOTSTRAP_TOKEN: token,
    TIDEWATCH_SECRET_KEY: secretKey,
    TIDEWATCH_OUTBOUND_ALLOW: '127.0.0.1/32',
    TIDEWATCH_DELIVERY_SCHEDULE: '0,50ms,100ms,200ms,400ms,800ms',
    TIDEWATCH_DELIVERY_TIMEOUT: `${TIMEOUT_MS}ms`,
  };
}

async function call(url: string, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await request(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : null };
}

const pushTag = (url: string, repo: string, i: number) => call(url, 'POST', '/api/v1/pushes', { image: `${repo}:t${i}@${digest(i + 1)}` });

/**
 * Pushes tags `from..to-1`, `PARALLEL` at a time, through whichever server `urlOf` names when each request starts;
 * returns the tags answered (a request refused because the server was killed is left out, to be pushed again).
 */
async function pushTags(urlOf: (i: number) => string, repo: string, tags: number[]): Promise<Set<number>> {
  const answered = new Set<number>();
  let next = 0;
  const worker = async () => {
    while (next < tags.length) {
      const i = tags[next++]!;
      try {
        const res = await pushTag(urlOf(i), repo, i);
        if (res.status === 201 || res.status === 200) answered.add(i);
      } catch {
        // the server went away mid-request: pushed again later (a push of the same tag and digest is idempotent)
      }
    }
  };
  await Promise.all(Array.from({ length: PARALLEL }, worker));
  return answered;
}

async function createWebhook(url: string, repo: string, receiverUrl: string): Promise<string> {
  const seeded = await call(url, 'POST', '/api/v1/pushes', { image: `${repo}:seed@${digest(99_999)}` });
  assert.ok(seeded.status === 201 || seeded.status === 200, JSON.stringify(seeded.json));
  const created = await call(url, 'POST', `/api/v1/repositories/${repo}/notifications`, {
    event: 'repo_push', method: 'webhook', config: { url: receiverUrl },
  });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  return created.json.uuid as string;
}

/** The API's notification uuid is the row's id. */
async function notificationId(storage: TestStorage, uuid: string): Promise<string> {
  const row = await storage.db.selectFrom('notifications').select('id').where('id', '=', uuid).executeTakeFirstOrThrow();
  return row.id;
}

/** The notification's deliveries as stored (their ids are the webhook-ids). */
async function deliveryIds(storage: TestStorage, notification: string): Promise<string[]> {
  const rows = await storage.db.selectFrom('deliveries').select('id').where('notification_id', '=', notification).execute();
  return rows.map((r) => r.id);
}

function byWebhookId(receiver: Receiver): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of receiver.received) {
    const id = String(r.headers['webhook-id']);
    const bodies = groups.get(id) ?? [];
    bodies.push(r.body);
    groups.set(id, bodies);
  }
  return groups;
}

/** Polls until the receiver has seen `count` distinct webhook-ids, or fails after `timeoutMs`. */
async function waitForDistinct(receiver: Receiver, count: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const distinct = byWebhookId(receiver).size;
    if (distinct >= count) return;
    if (Date.now() > until) assert.fail(`expected ${count} distinct webhook-ids within ${timeoutMs} ms, got ${distinct} (${receiver.received.length} requests)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every stored delivery arrived at least once; duplicates share the webhook-id and carry the same body. */
function assertAtLeastOnce(receiver: Receiver, ids: string[]): { duplicates: number } {
  const groups = byWebhookId(receiver);
  const missing = ids.filter((id) => !groups.has(id));
  assert.deepEqual(missing, [], `${missing.length} deliveries never arrived`);
  const unknown = [...groups.keys()].filter((id) => !ids.includes(id));
  assert.deepEqual(unknown, [], 'every webhook-id received is a stored delivery');
  let duplicates = 0;
  for (const [id, bodies] of groups) {
    duplicates += bodies.length - 1;
    for (const b of bodies) assert.equal(b, bodies[0], `the copies of webhook-id ${id} differ`);
  }
  return { duplicates };
}

async function repoPushEvents(storage: TestStorage, notification: string): Promise<number> {
  const row = await storage.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
    .where('notification_id', '=', notification).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Resolves once `cond` holds (checked every 5 ms). */
async function waitForAllSucceeded(storage: TestStorage, notification: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const open = Number((await storage.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('notification_id', '=', notification).where('status', '<>', 'succeeded').executeTakeFirstOrThrow()).n);
    if (open === 0) return;
    if (Date.now() > until) assert.fail(`${open} deliveries not recorded as succeeded within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function when(cond: () => boolean): Promise<void> {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
}

function kill(server: ServerProcess): Promise<number | null> {
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  return server.exited;
}

async function stop(server: ServerProcess): Promise<void> {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 10_000);
  await server.exited;
  clearTimeout(timer);
}

const allTags = Array.from({ length: EVENTS }, (_, i) => i);

describeEachEngine('delivery survives kill -9', (engine) => {
  let storage: TestStorage;
  const receivers: Receiver[] = [];
  const servers: ServerProcess[] = [];
  before(async () => { storage = await openTestStorage(engine); });
  after(async () => {
    await Promise.all(servers.map((s) => kill(s)));
    await Promise.all(receivers.map((r) => r.close()));
    await storage.dispose();
  });

  test(`${EVENTS} webhook deliveries: SIGKILL while delivering, restart, every delivery arrives; duplicates share the webhook-id`, async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const first = await startServer(serverEnv(storage));
    servers.push(first);
    const repo = 'ghcr.io/acme/crash';
    const uuid = await createWebhook(first.url, repo, receiver.url);
    const notification = await notificationId(storage, uuid);

    const pushing = pushTags(() => first.url, repo, allTags);
    await when(() => receiver.received.length >= 100);
    await kill(first);
    const seenAtKill = byWebhookId(receiver).size;
    const answered = await pushing;
    const claimedAtKill = Number((await storage.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('notification_id', '=', notification).where('status', '=', 'delivering').executeTakeFirstOrThrow()).n);

    const second = await startServer(serverEnv(storage));
    servers.push(second);
    // Tags whose answer the kill swallowed are pushed again: recorded now, or answered 200 if they had committed.
    const rest = allTags.filter((i) => !answered.has(i));
    const again = await pushTags(() => second.url, repo, rest);
    assert.equal(again.size, rest.length, 'every push is answered by the restarted server');
    assert.equal(await repoPushEvents(storage, notification), EVENTS, 'one delivery per pushed tag');
    assert.ok(seenAtKill < EVENTS, `the kill came while deliveries were outstanding (${seenAtKill} delivered)`);

    // SQLite releases a dead process's claims at start-up; PostgreSQL takes them over after their lease.
    await waitForDistinct(receiver, EVENTS, engine === 'postgres' ? LEASE_MS + 30_000 : 30_000);
    // A delivery the dead process sent but did not record arrived already; it is sent again (same webhook-id) once
    // its claim is taken over, and recorded then.
    await waitForAllSucceeded(storage, notification, engine === 'postgres' ? LEASE_MS + 30_000 : 30_000);
    const ids = await deliveryIds(storage, notification);
    const { duplicates } = assertAtLeastOnce(receiver, ids);
    await stop(second);
    const statuses = await storage.db.selectFrom('deliveries').select('status').where('notification_id', '=', notification).execute();
    assert.ok(statuses.every((s) => s.status === 'succeeded'), 'every delivery is recorded as succeeded');
    console.log(`[${engine}] killed after ${seenAtKill} distinct deliveries (${claimedAtKill} claimed by the dead process); `
      + `${receiver.received.length} requests for ${ids.length} deliveries, ${duplicates} duplicates`);
  });
});

describeEachEngine('two processes deliver from one database', (engine) => {
  const skip = engine === 'sqlite' ? 'SQLite serves one process' : false;
  if (skip) console.log(`two-process delivery tests skipped on SQLite: ${skip}`);
  let storage: TestStorage;
  const receivers: Receiver[] = [];
  const servers: ServerProcess[] = [];
  before(async () => { if (!skip) storage = await openTestStorage(engine); });
  after(async () => {
    await Promise.all(servers.map((s) => kill(s)));
    await Promise.all(receivers.map((r) => r.close()));
    if (!skip) await storage.dispose();
  });

  test(`both deliver ${EVENTS} events; while both live, every delivery is made exactly once`, { skip }, async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const [a, b] = await Promise.all([startServer(serverEnv(storage)), startServer(serverEnv(storage))]);
    servers.push(a!, b!);
    const repo = 'ghcr.io/acme/shared';
    const notification = await notificationId(storage, await createWebhook(a!.url, repo, receiver.url));
    // Half the events are recorded by each process, so each wakes its own worker; both also poll.
    const answered = await pushTags((i) => (i % 2 === 0 ? a!.url : b!.url), repo, allTags);
    assert.equal(answered.size, EVENTS);
    await waitForDistinct(receiver, EVENTS, 30_000);
    await new Promise((r) => setTimeout(r, 500)); // a late second send would arrive now
    const ids = await deliveryIds(storage, notification);
    assert.equal(ids.length, EVENTS);
    const groups = byWebhookId(receiver);
    const twice = [...groups].filter(([, bodies]) => bodies.length !== 1).map(([id, bodies]) => `${id} × ${bodies.length}`);
    assert.deepEqual(twice, [], 'no delivery is sent twice while both processes live');
    assertAtLeastOnce(receiver, ids);
    const attempts = await storage.db.selectFrom('delivery_attempts as a').innerJoin('deliveries as d', 'd.id', 'a.delivery_id')
      .select((eb) => eb.fn.countAll<number>().as('n')).where('d.notification_id', '=', notification).executeTakeFirstOrThrow();
    assert.equal(Number(attempts.n), EVENTS, 'one recorded attempt per delivery');
    await Promise.all([stop(a!), stop(b!)]);
  });

  test(`one of two is killed mid-way: the other finishes, taking over the dead one's claims after their lease`, { skip }, async () => {
    const receiver = await startReceiver();
    receivers.push(receiver);
    const [a, b] = await Promise.all([startServer(serverEnv(storage)), startServer(serverEnv(storage))]);
    servers.push(a!, b!);
    const repo = 'ghcr.io/acme/shared-crash';
    const notification = await notificationId(storage, await createWebhook(a!.url, repo, receiver.url));
    let killed = false;
    // Events go through both until `a` is killed, then through `b` alone.
    const pushing = pushTags((i) => (!killed && i % 2 === 0 ? a!.url : b!.url), repo, allTags);
    await when(() => receiver.received.length >= 300);
    killed = true;
    await kill(a!);
    const seenAtKill = byWebhookId(receiver).size;
    const answered = await pushing;
    const rest = allTags.filter((i) => !answered.has(i));
    const again = await pushTags(() => b!.url, repo, rest);
    assert.equal(again.size, rest.length);
    const orphaned = Number((await storage.db.selectFrom('deliveries').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('notification_id', '=', notification).where('status', '=', 'delivering')
      .where('lease_until', '>', new Date(Date.now() + 5000).toISOString()).executeTakeFirstOrThrow()).n);
    assert.equal(await repoPushEvents(storage, notification), EVENTS);

    await waitForDistinct(receiver, EVENTS, LEASE_MS + 30_000);
    // As above: what the dead process sent without recording arrived already and is sent again after its lease.
    await waitForAllSucceeded(storage, notification, LEASE_MS + 30_000);
    const ids = await deliveryIds(storage, notification);
    const { duplicates } = assertAtLeastOnce(receiver, ids);
    await stop(b!);
    const statuses = await storage.db.selectFrom('deliveries').select('status').where('notification_id', '=', notification).execute();
    assert.ok(statuses.every((s) => s.status === 'succeeded'), 'every delivery is recorded as succeeded');
    console.log(`[${engine}] one of two killed after ${seenAtKill} distinct deliveries (~${orphaned} claims left leased); `
      + `${receiver.received.length} requests for ${ids.length} deliveries, ${duplicates} duplicates`);
  });
});
