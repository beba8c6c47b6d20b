import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { openStorage } from '../core/db/database.js';
import { buildApp } from './app.js';

describeEachEngine('health, readiness, metrics and the OpenAPI document', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  test('/healthz and /readyz answer 200 without a token', async () => {
    assert.equal((await t.call('GET', '/healthz', { token: null })).statusCode, 200);
    const ready = await t.call('GET', '/readyz', { token: null });
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(ready.json(), { status: 'ready', database: engine });
  });

  test('/metrics counts requests by route and status, their latency, and deployments recorded', async () => {
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(1)}` } } });
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(1)}` } } }); // a repeat
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: 'nginx' } } });
    const res = await t.call('GET', '/metrics', { token: null });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/plain/);
    const text = res.body;
    assert.match(text, /tidewatch_http_requests_total\{method="POST",route="\/api\/v1\/deployments",status_code="201"\} 1\n/);
    assert.match(text, /tidewatch_http_requests_total\{method="POST",route="\/api\/v1\/deployments",status_code="200"\} 1\n/);
    assert.match(text, /tidewatch_http_requests_total\{method="POST",route="\/api\/v1\/deployments",status_code="400"\} 1\n/);
    assert.match(text, /tidewatch_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/deployments"\} 3\n/);
    assert.match(text, /tidewatch_deployments_recorded_total 1\n/);
  });

  test('the OpenAPI document lists every route with the schemas that validate it', async () => {
    const res = await t.call('GET', '/api/v1/openapi.json', { token: null });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.0.3');
    const paths = doc.paths as Record<string, Record<string, any>>;
    for (const [p, methods] of [
      ['/api/v1/deployments', ['post', 'delete']],
      ['/api/v1/environments', ['get']],
      ['/api/v1/environments/{env}', ['get']],
      ['/api/v1/environments/{env}/history', ['get']],
      ['/api/v1/tokens', ['get', 'post']],
      ['/api/v1/tokens/{id}', ['delete']],
      ['/api/v1/repositories/{repository}/deployments', ['get']],
    ] as const) {
      for (const m of methods) assert.ok(paths[p]?.[m], `${m.toUpperCase()} ${p} is documented`);
    }
    const post = paths['/api/v1/deployments']!.post;
    const body = post.requestBody.content['application/json'].schema;
    assert.deepEqual(body.required, ['image']);
    assert.equal(body.properties.environment.properties.name.pattern, '^[A-Za-z0-9._/-]{1,128}$');
    assert.ok(post.responses['201'] && post.responses['400'] && post.responses['401']);
    assert.ok(!('/healthz' in paths), 'operational endpoints are not part of the API document');
  });
});

describeEachEngine('/readyz when the database is not ready', (engine) => {
  test('answers 503 on a database that is not migrated', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-ready-'));
    const fresh = engine === 'sqlite' ? openStorage({ databaseUrl: null, dataDir: dir }) : null;
    const storage = fresh ?? (await openTestStorage(engine));
    if (!fresh) {
      // A migrated PostgreSQL schema with its migration record removed looks exactly like an unmigrated one.
      await storage.db.withSchema(storage.schema!).deleteFrom('kysely_migration' as any).execute();
    }
    const app = await buildApp({ storage, config: { bodyLimitBytes: 1 << 20, rateLimitPerSecond: 0, publicUrl: 'http://x' } });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'not migrated' });
    await app.close();
    if (fresh) await fresh.close(); else await (storage as TestStorage).dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('answers 503 when the database cannot be reached', { skip: engine === 'sqlite' ? 'an embedded SQLite file is always reachable' : false }, async () => {
    const storage = openStorage({ databaseUrl: 'postgres://postgres@127.0.0.1:9/none', dataDir: os.tmpdir() });
    const app = await buildApp({ storage, config: { bodyLimitBytes: 1 << 20, rateLimitPerSecond: 0, publicUrl: 'http://x' } });
    const res = await app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), { status: 'database unreachable' });
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200, 'the process itself is up');
    const api = await app.inject({ method: 'GET', url: '/api/v1/environments', headers: { authorization: `Bearer tw_${'a'.repeat(43)}` } });
    assert.equal(api.statusCode, 503);
    assert.equal(api.json().error.code, 'TW_UNAVAILABLE');
    assert.equal(api.headers['retry-after'], '1');
    await app.close();
    await storage.close();
  });
});
