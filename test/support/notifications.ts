/*
 * For notification and delivery tests: a test app, a delivery worker on the same storage with a schedule of
 * milliseconds, and short ways to create notifications and drive the APIs that record events.
 */
import assert from 'node:assert/strict';
import type { TestStorage } from './engines.js';
import { digest, startTestApp, testSecretKey, type TestApp } from './app.js';
import { DeliveryWorker, type DeliveryWorkerOptions } from '../../src/delivery/delivery-worker.js';
import { parseAllowList } from '../../src/delivery/address-ranges.js';

export const repository = 'registry.example.com/acme/web';
export const notificationsPath = (repo = repository) => `/api/v1/repositories/${repo}/notifications`;

export type WorkerOverrides = Partial<Omit<DeliveryWorkerOptions, 'storage' | 'allow'>> & { allow?: string };

/** A worker with test settings: loopback allowed, a 20 ms poll, three quick attempts, a 2 s timeout. */
export function startWorker(storage: TestStorage, overrides: WorkerOverrides = {}): DeliveryWorker {
  const { allow, ...rest } = overrides;
  return new DeliveryWorker({
    storage,
    publicUrl: 'http://tidewatch.test',
    schedule: [0, 30, 60],
    timeoutMs: 2000,
    allow: parseAllowList(allow ?? '127.0.0.1/32'),
    secretKey: testSecretKey,
    pollMs: 20,
    logger: false,
    ...rest,
  }).start();
}

export interface Notified {
  uuid: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  number_of_failures: number;
  enabled: boolean;
  secret?: string;
  [key: string]: unknown;
}

export async function createNotification(t: TestApp, body: Record<string, unknown>, repo = repository): Promise<Notified> {
  const res = await t.call('POST', notificationsPath(repo), { body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

/** A push through the API: the repository exists afterwards, and a repo_push event is recorded for `tag`. */
export async function push(t: TestApp, tag: string, n: number | string, repo = repository): Promise<void> {
  const res = await t.call('POST', '/api/v1/pushes', { token: t.tokens.write, body: { image: `${repo}:${tag}@${digest(n)}` } });
  assert.ok(res.statusCode === 201 || res.statusCode === 200, res.body);
}

/** Deliveries of a notification as stored, oldest first. */
export async function deliveriesOf(storage: TestStorage, notificationId: string) {
  return storage.db.selectFrom('deliveries').selectAll().where('notification_id', '=', notificationId)
    .orderBy('created_at').orderBy('id').execute();
}

/** Polls until `check` holds (or fails after `timeoutMs` with the last value in the message). */
export async function eventually<T>(read: () => Promise<T>, check: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (check(value)) return value;
    if (Date.now() > until) assert.fail(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
