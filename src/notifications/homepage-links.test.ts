import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { eventKinds, type EventKind } from '../events/event-kinds.js';
import { listEvents } from '../events/event-queries.js';
import { withFindingFields } from '../delivery/event-findings.js';
import { renderPayload, samplePayload } from './event-payloads.js';
import { emailMessage, slackMessage, teamsMessageCard } from './message-formats.js';
import { pageOf, type Page } from './page-addresses.js';

/*
 * ui.md: "Every homepage link that a notification payload carries must open the matching page". One real event of
 * each kind is made through the API of a listening server; each is rendered as delivery renders it (renderPayload,
 * then the Slack, Teams and e-mail formats), and every link to Tidewatch in them is followed: it must be one of
 * ui.md's page addresses, for the event's own repository, build, image or environment, and — once the web app is
 * served (src/http/web-ui.ts) — GET must answer the app's HTML page.
 */
const webUiFile = fileURLToPath(new URL('../http/web-ui.ts', import.meta.url));
const webUiServed = existsSync(webUiFile);
/** The Vite build web-ui.ts serves (`npm run build`); without it, page addresses answer 503 "not built". */
const webBuild = fileURLToPath(new URL('../../dist/web/index.html', import.meta.url));
/** Read when each server starts, as web-ui.ts decides then (a build running beside the tests may come and go). */
let webBuilt = false;

// A host with a port and a path of three segments; an environment name with '/'.
const R = 'registry.example.com:5443/acme/team/web';
const D = digest('7e');
const ENV = 'prod-eu/default';

describe('pageOf: ui.md page addresses read back from URLs', () => {
  const base = 'https://tw.example.com/tidewatch';
  const rows: Array<[string, Page | null]> = [
    [`${base}/`, { page: 'environments' }],
    [base, { page: 'environments' }],
    [`${base}/environments/prod-eu%2Fdefault`, { page: 'environment', environment: 'prod-eu/default' }],
    [`${base}/environments/prod-eu/default`, null],
    [`${base}/repositories/${R}`, { page: 'repository', repository: R }],
    [`${base}/repositories/docker.io/library/nginx`, { page: 'repository', repository: 'docker.io/library/nginx' }],
    [`${base}/repositories/nginx`, null],
    [`${base}/repositories/Registry.example.com/Acme`, null],
    [`${base}/repositories/${R}/build/0190c1d2-0000-7000-8000-000000000001`,
      { page: 'build', repository: R, buildId: '0190c1d2-0000-7000-8000-000000000001' }],
    [`${base}/images/${R}@${D}`, { page: 'image', repository: R, digest: D }],
    [`${base}/images/${R}@sha256:short`, null],
    [`${base}/images/${R}`, null],
    [`${base}/vulnerabilities/CVE-2021-44228`, { page: 'vulnerability', id: 'CVE-2021-44228' }],
    [`${base}/compare?base=a&head=b`, { page: 'compare' }],
    [`${base}/policies`, { page: 'policies' }],
    [`${base}/clusters`, { page: 'clusters' }],
    [`${base}/integrations`, { page: 'integrations' }],
    [`${base}/settings/tokens`, { page: 'tokens' }],
    [`${base}/settings`, null],
    ['https://elsewhere.example.com/repositories/docker.io/library/nginx', null],
    ['https://tw.example.com/repositories/docker.io/library/nginx', null],
    [`${base}/api/v1/environments`, null],
    ['/environments/staging', { page: 'environment', environment: 'staging' }],
    [`${base}/environments/%E0%A4%A`, null],
  ];
  for (const [url, page] of rows) {
    test(`${url} → ${page === null ? 'no page' : JSON.stringify(page)}`, () => {
      assert.deepEqual(pageOf(url, base), page);
    });
  }
});

describe('sample payloads (the test endpoint) link to the pages of their sample objects', () => {
  const base = 'https://tw.example.com';
  for (const kind of eventKinds) {
    test(kind, () => {
      const payload = samplePayload(kind, base);
      for (const url of tidewatchLinks(kind, payload, base)) assert.notEqual(pageOf(url, base), null, `${kind}: ${url}`);
      const home = pageOf(String(payload.homepage), base);
      assert.equal(home?.page, kind.startsWith('build_') ? 'build' : 'repository');
      assert.equal((home as { repository: string }).repository, payload.docker_url);
    });
  }
});

describeEachEngine('every link of every event payload opens the right page', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let base: string;
  const builds: Partial<Record<EventKind, string>> = {};

  const api = async (method: string, path: string, body: unknown, token: string, status: number) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const text = await res.text();
    assert.equal(res.status, status, `${method} ${path}: ${text}`);
    return JSON.parse(text) as Record<string, any>;
  };

  before(async () => {
    storage = await openTestStorage(engine);
    webBuilt = existsSync(webBuild);
    t = await startTestApp(storage);
    base = await t.listen();
    const w = t.tokens.write;
    await api('POST', '/api/v1/pushes', { image: `${R}:1.4@${D}` }, w, 201);
    const trigger = { trigger_kind: 'github', trigger_metadata: { ref: 'refs/heads/main', commit: 'a'.repeat(40) } };
    const ok = await api('POST', '/api/v1/builds', { repository: R, docker_tags: ['1.4'], build_name: 'ok', ...trigger }, w, 201);
    builds.build_queued = ok.build_id;
    builds.build_start = ok.build_id;
    builds.build_success = ok.build_id;
    await api('POST', `/api/v1/builds/${ok.build_id}/phase`, { phase: 'started' }, w, 200);
    await api('POST', `/api/v1/builds/${ok.build_id}/phase`, { phase: 'success', manifest_digests: [`${R}@${D}`] }, w, 200);
    const failed = await api('POST', '/api/v1/builds', { repository: R, build_name: 'broken', ...trigger }, w, 201);
    await api('POST', `/api/v1/builds/${failed.build_id}/phase`, { phase: 'started' }, w, 200);
    await api('POST', `/api/v1/builds/${failed.build_id}/phase`, { phase: 'failure', error_message: 'step 3 failed' }, w, 200);
    builds.build_failure = failed.build_id;
    const cancelled = await api('POST', '/api/v1/builds', { repository: R, build_name: 'stopped', ...trigger }, w, 201);
    await api('POST', `/api/v1/builds/${cancelled.build_id}/phase`, { phase: 'cancelled' }, w, 200);
    builds.build_cancelled = cancelled.build_id;
    // A scan's vulnerability_found events are written only where a notification listens (scans/vulnerability-events.ts).
    await api('POST', `/api/v1/repositories/${R}/notifications`, {
      event: 'vulnerability_found', method: 'webhook', config: { url: 'http://127.0.0.1:9/hook' }, eventConfig: {},
    }, t.tokens.admin, 201);
    await api('POST', `/api/v1/scans?image=${encodeURIComponent(`${R}@${D}`)}`, {
      SchemaVersion: 2, ArtifactName: 'web', Results: [{ Target: 'web', Vulnerabilities: [
        { VulnerabilityID: 'CVE-2021-44228', PkgName: 'log4j-core', InstalledVersion: '2.14.1', FixedVersion: '2.17.1', Severity: 'CRITICAL' },
      ] }],
    }, w, 201);
    await api('POST', '/api/v1/deployments', { image: { url: `${R}:1.4@${D}`, name: 'web' }, environment: { name: ENV } }, w, 201);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  /** What each link must open, for the event at hand. */
  const expected = (kind: EventKind, data: Record<string, unknown>): Page[] => {
    if (kind.startsWith('build_')) return [{ page: 'build', repository: R, buildId: String(data.build_id) }];
    const repository: Page = { page: 'repository', repository: R };
    if (kind === 'vulnerability_found') return [repository, { page: 'image', repository: R, digest: D }];
    if (kind === 'image_deployed') return [repository, { page: 'image', repository: R, digest: D }, { page: 'environment', environment: ENV }];
    return [repository];
  };

  test('one event of each kind was recorded, for the objects made', async () => {
    const kinds = new Set((await listEvents(storage.db, t.workspaceId, { limit: 100 })).map((e) => e.kind));
    assert.deepEqual([...kinds].sort(), [...eventKinds].sort());
  });

  for (const kind of eventKinds) {
    test(`${kind}: homepage and message links are ui.md pages of the event's objects${webUiServed ? ', and GET opens the app' : ''}`, async (ctx) => {
      // The data as delivery renders it: a vulnerability_found row's with its finding's fields put back.
      const events = (await withFindingFields(storage.db, (await listEvents(storage.db, t.workspaceId, { kind, limit: 100 }))
        .map((e) => ({ ...e, event_kind: e.kind, event_data: e.data })))).map((e) => ({ ...e, data: e.event_data }));
      assert.ok(events.length > 0, `an event ${kind}`);
      if (builds[kind] !== undefined) {
        assert.ok(events.some((e) => JSON.parse(e.data).build_id === builds[kind]), `${kind} of build ${builds[kind]}`);
      }
      for (const event of events) {
        const data = JSON.parse(event.data) as Record<string, unknown>;
        const payload = renderPayload(kind, data, base);
        const links = tidewatchLinks(kind, payload, base);
        const pages = links.map((url) => [url, pageOf(url, base)] as const);
        for (const [url, page] of pages) assert.notEqual(page, null, `${url} is a page address of ui.md`);
        assert.deepEqual(pageOf(String(payload.homepage), base), expected(kind, data)[0], 'the homepage');
        assert.deepEqual(uniquePages(pages.map(([, p]) => p!)), uniquePages(expected(kind, data)), 'every link, each object once');
        if (kind === 'image_deployed') {
          assert.ok(links.includes(`${base}/environments/prod-eu%2Fdefault`), `the environment name is one encoded segment: ${links.join(' ')}`);
        }
        if (!webUiServed) continue;
        for (const url of links) await opensTheApp(url);
      }
      if (!webUiServed) ctx.diagnostic(`GET of the links not checked: ${webUiFile} does not exist yet (the web app's index.html fallback)`);
      else if (!webBuilt) ctx.diagnostic(`${webBuild} is not built: each link was checked to answer web-ui.ts's 503 "not built" page, not the app`);
    });
  }

  test('the test endpoint\'s sample of each kind links to this repository\'s pages', async () => {
    for (const kind of eventKinds) {
      const notification = await api('POST', `/api/v1/repositories/${R}/notifications`, {
        event: kind, method: 'webhook', config: { url: 'http://127.0.0.1:9/hook' }, eventConfig: {},
      }, t.tokens.admin, 201);
      await api('POST', `/api/v1/repositories/${R}/notifications/${notification.uuid}/test`, {}, t.tokens.admin, 202);
    }
    const samples = await storage.db.selectFrom('events').selectAll().where('dedupe_key', 'like', 'notification-test:%').execute();
    assert.deepEqual(samples.map((e) => e.kind).sort(), [...eventKinds].sort());
    for (const event of samples) {
      const kind = event.kind as EventKind;
      const data = JSON.parse(event.data) as Record<string, unknown>;
      const payload = renderPayload(kind, data, base);
      for (const url of tidewatchLinks(kind, payload, base)) {
        const page = pageOf(url, base);
        assert.notEqual(page, null, `${kind}: ${url}`);
        if (page && 'repository' in page) assert.equal(page.repository, R, `${kind}: ${url}`);
        if (webUiServed) await opensTheApp(url);
      }
      const home = pageOf(String(payload.homepage), base);
      assert.deepEqual(home, kind.startsWith('build_')
        ? { page: 'build', repository: R, buildId: String(data.build_id) }
        : { page: 'repository', repository: R });
    }
  });
});

/**
 * GET of a page address answers the web app's index.html — or, when the interface is not built, web-ui.ts's 503 text
 * saying so: either way the address is routed to the interface, not to the API's JSON 404.
 */
async function opensTheApp(url: string): Promise<void> {
  const res = await fetch(url, { headers: { accept: 'text/html' }, redirect: 'manual' });
  const body = await res.text();
  if (!webBuilt) {
    assert.equal(res.status, 503, `GET ${url}: ${body.slice(0, 200)}`);
    assert.match(body, /web interface is not built/, `GET ${url}`);
    return;
  }
  assert.equal(res.status, 200, `GET ${url}: ${body.slice(0, 200)}`);
  assert.match(String(res.headers.get('content-type')), /^text\/html/, `GET ${url}`);
  assert.match(body, /<html/i, `GET ${url} answers the app's page`);
}

/** Every link to Tidewatch (under `base`) that the payload and its Slack, Teams and e-mail messages carry. */
function tidewatchLinks(kind: EventKind, payload: Record<string, unknown>, base: string): string[] {
  const email = emailMessage(kind, payload);
  const texts = [JSON.stringify(payload), JSON.stringify(slackMessage(kind, payload)), JSON.stringify(teamsMessageCard(kind, payload)), email.text, email.html];
  const pattern = new RegExp(`${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^\\s"'<>|\\\\]*`, 'g');
  const found = new Set<string>();
  for (const text of texts) for (const m of text.matchAll(pattern)) found.add(m[0]);
  assert.ok(found.has(String(payload.homepage)), `${kind}: the homepage ${String(payload.homepage)} is among the links`);
  return [...found].sort();
}

function uniquePages(pages: Page[]): string[] {
  return [...new Set(pages.map((p) => JSON.stringify(p)))].sort();
}
