/*
 * Serving the web interface (src/http/web-ui.ts, ui.md "Pages and their addresses"): every page address answers
 * index.html, assets come with their content type and cache headers, and nothing else changes — /api/* and unknown
 * paths keep their JSON 404s, the operational endpoints their answers. HTTP over app.inject(); the storage is only
 * there for authentication, so SQLite alone (the engines are tested by the API's own files).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { installErrorHandler } from './error-handler.js';
import { installAuthentication } from '../auth/authenticate.js';
import { webUi } from './web-ui.js';
import { openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';

const indexHtml = '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>';

function fakeBuild(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-web-'));
  fs.mkdirSync(path.join(dir, 'assets'));
  fs.writeFileSync(path.join(dir, 'index.html'), indexHtml);
  fs.writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"></svg>');
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ab12Cd34.js'), 'console.log("tidewatch")');
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ef56Gh78.css'), 'body{color:red}');
  // The build writes name.gz beside each text file (web/bundle-size.ts).
  fs.writeFileSync(path.join(dir, 'index.html.gz'), gzipSync(indexHtml));
  fs.writeFileSync(path.join(dir, 'assets', 'index-Ab12Cd34.js.gz'), gzipSync('console.log("tidewatch")'));
  return dir;
}

/** The app's error handling and authentication, an API route, and the interface served from `root`. */
async function appServing(storage: TestStorage, root: string): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  installErrorHandler(app);
  installAuthentication(app, { db: storage.db, rateLimitPerSecond: 0 });
  await app.register(async (api) => {
    api.get('/environments', { config: { access: 'read' } }, async () => ({ environments: [] }));
  }, { prefix: '/api/v1' });
  await app.register(webUi, { root });
  await app.ready();
  return app;
}

const pageAddresses = [
  '/', '/signin', '/signin?next=%2Fcompare', '/environments/production', '/environments/prod-eu%2Fpayments',
  '/repositories/registry.example.com/acme/web', '/repositories/registry.example.com/acme/web?tab=settings',
  '/repositories/registry.example.com/acme/web/build/0190a0b4-1111-7000-8000-000000000001',
  `/images/registry.example.com/acme/web@sha256:${'a'.repeat(64)}`, '/compare?base=env:staging&head=env:production',
  '/vulnerabilities/CVE-2024-3094', '/policies', '/clusters', '/integrations', '/settings/tokens',
];

const notPages = ['/api/v1/nope', '/api/v1/repositories/x/y/nope', '/nope', '/assets/missing.js', '/assets/../package.json', '/environments'];

describe('the web interface, built', () => {
  let storage: TestStorage;
  let app: FastifyInstance;
  let root: string;
  before(async () => {
    storage = await openTestStorage('sqlite');
    root = fakeBuild();
    app = await appServing(storage, root);
  });
  after(async () => {
    await app.close();
    await storage.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const url of pageAddresses) {
    it(`answers index.html at ${url}, revalidated on every load, without a token`, async () => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.equal(res.body, indexHtml);
      assert.equal(res.headers['cache-control'], 'no-cache');
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'.*script-src 'self'/);
    });
  }

  it('serves hashed assets with their content type, cached as immutable', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js' });
    assert.equal(js.statusCode, 200);
    assert.match(String(js.headers['content-type']), /^(text|application)\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(js.body, 'console.log("tidewatch")');
    const css = await app.inject({ method: 'GET', url: '/assets/index-Ef56Gh78.css' });
    assert.match(String(css.headers['content-type']), /^text\/css/);
    assert.equal(css.headers['cache-control'], 'public, max-age=31536000, immutable');
  });

  it('sends the gzipped file to a browser that accepts gzip, with the same headers', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/index-Ab12Cd34.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    assert.equal(js.statusCode, 200);
    assert.equal(js.headers['content-encoding'], 'gzip');
    assert.match(String(js.headers['content-type']), /^(text|application)\/javascript/);
    assert.equal(js.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(gunzipSync(js.rawPayload).toString(), 'console.log("tidewatch")');
    const page = await app.inject({ method: 'GET', url: '/environments/production', headers: { 'accept-encoding': 'gzip' } });
    assert.equal(page.headers['content-encoding'], 'gzip');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal(gunzipSync(page.rawPayload).toString(), indexHtml);
  });

  it('serves files outside assets/ (not hashed) to be revalidated', async () => {
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    assert.equal(icon.statusCode, 200);
    assert.match(String(icon.headers['content-type']), /^image\/svg\+xml/);
    assert.equal(icon.headers['cache-control'], 'no-cache');
  });

  for (const url of notPages) {
    it(`keeps the JSON 404 at ${url}`, async () => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 404, res.body);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.equal(res.json().error.code, 'TW_NOT_FOUND');
    });
  }

  it('leaves the API behind its token: a page address is public, the API is not', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/environments' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error.code, 'TW_UNAUTHORIZED');
  });

  it('answers only GET and HEAD at page addresses', async () => {
    assert.equal((await app.inject({ method: 'HEAD', url: '/environments/production' })).statusCode, 200);
    const post = await app.inject({ method: 'POST', url: '/environments/production', payload: {} });
    assert.equal(post.statusCode, 404);
    assert.equal(post.json().error.code, 'TW_NOT_FOUND');
  });
});

describe('the web interface, not built', () => {
  let storage: TestStorage;
  let app: FastifyInstance;
  let root: string;
  before(async () => {
    storage = await openTestStorage('sqlite');
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-web-empty-'));
    app = await appServing(storage, root);
  });
  after(async () => {
    await app.close();
    await storage.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const url of ['/', '/environments/production', '/settings/tokens']) {
    it(`answers ${url} with a text page saying how to build it, not a 500`, async () => {
      const res = await app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 503);
      assert.match(String(res.headers['content-type']), /^text\/plain/);
      assert.match(res.body, /the web interface is not built/);
      assert.match(res.body, /npm run build/);
    });
  }

  it('keeps the JSON 404 of the API', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error.code, 'TW_NOT_FOUND');
  });
});

describe('the web interface in the whole app', () => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    storage = await openTestStorage('sqlite');
    t = await startTestApp(storage);
  });
  after(async () => {
    await t.close();
    await storage.dispose();
  });

  it('answers the interface (or how to build it) at /, never a JSON error', async () => {
    const res = await t.call('GET', '/', { token: null });
    assert.ok(res.statusCode === 200 || res.statusCode === 503, `status ${res.statusCode}`);
    assert.match(String(res.headers['content-type']), /^text\/(html|plain)/);
  });

  it('keeps the operational endpoints and the API 404 as they were', async () => {
    const health = await t.call('GET', '/healthz', { token: null });
    assert.deepEqual(health.json(), { status: 'ok' });
    const ready = await t.call('GET', '/readyz', { token: null });
    assert.equal(ready.json().status, 'ready');
    const metrics = await t.call('GET', '/metrics', { token: null });
    assert.match(String(metrics.headers['content-type']), /^text\/plain/);
    const nope = await t.call('GET', '/api/v1/nope');
    assert.equal(nope.statusCode, 404);
    assert.deepEqual(nope.json(), { error: { code: 'TW_NOT_FOUND', message: 'no route GET /api/v1/nope' } });
    const spec = await t.call('GET', '/api/v1/openapi.json', { token: null });
    const paths = Object.keys(spec.json().paths);
    assert.ok(!paths.some((p) => !p.startsWith('/api/v1/')), `the OpenAPI document lists only API paths: ${paths.filter((p) => !p.startsWith('/api/v1/'))}`);
  });
});
