import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { newId } from '../core/ids.js';
import { ensureImage, ensureRepository } from '../registry/repository-queries.js';
import { noDigestMessage } from './scan-image.js';
import { withFindingFields } from '../delivery/event-findings.js';
import { createNotification } from '../../test/support/notifications.js';

interface Vuln { id: string; pkg: string; version?: string; severity?: string; fixed?: string; path?: string }

/** A Trivy JSON report (SchemaVersion 2) of the given vulnerabilities; repoDigest pins it when given. */
function trivyReport(vulns: Vuln[], repoDigest?: string): Record<string, unknown> {
  return {
    SchemaVersion: 2,
    ArtifactName: 'ghcr.io/acme/web:latest',
    ArtifactType: 'container_image',
    Metadata: { RepoDigests: repoDigest ? [repoDigest] : [], RepoTags: ['ghcr.io/acme/web:latest'] },
    Results: [{
      Target: 'ghcr.io/acme/web:latest (alpine 3.19)',
      Vulnerabilities: vulns.map((v) => ({
        VulnerabilityID: v.id,
        PkgName: v.pkg,
        ...(v.path ? { PkgPath: v.path } : {}),
        InstalledVersion: v.version ?? '1.0',
        ...(v.fixed ? { FixedVersion: v.fixed, Status: 'fixed' } : { Status: 'affected' }),
        Severity: v.severity ?? 'HIGH',
        PrimaryURL: `https://avd.aquasec.com/nvd/${v.id.toLowerCase()}`,
        Description: `${v.id} in ${v.pkg}`,
      })),
    }],
  };
}

/** The digest's vulnerability_found events, their data as delivery reads it (the row's, with its finding's fields). */
async function vulnerabilityEvents(storage: TestStorage, digestValue: string) {
  const rows = await storage.db.selectFrom('events').selectAll().where('kind', '=', 'vulnerability_found').orderBy('id').execute();
  const read = await withFindingFields(storage.db, rows.map((r) => ({ ...r, event_kind: r.kind, event_data: r.data })));
  return read.map((r) => ({ ...r, stored: JSON.parse(r.data), data: JSON.parse(r.event_data) })).filter((r) => r.data.digest === digestValue);
}

describeEachEngine('scan ingest: new, resolved, events, limits', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const upload = (body: unknown, query = '', headers: Record<string, string> = {}, token = t.tokens.write) =>
    t.call('POST', `/api/v1/scans${query}`, { token, body, headers });
  const image = (repository: string, d: string) => `?image=${encodeURIComponent(`${repository}@${d}`)}`;

  /** Points tags of a repository at a digest, as a registry push records them (tags and tag_history rows). */
  async function pushTag(repository: string, tag: string, d: string) {
    const at = new Date().toISOString();
    const repositoryId = await ensureRepository(storage.db, t.workspaceId, repository, at);
    await ensureImage(storage.db, { workspaceId: t.workspaceId, repositoryId, digest: d, at });
    const existing = await storage.db.selectFrom('tags').select('id').where('repository_id', '=', repositoryId).where('name', '=', tag).executeTakeFirst();
    const tagId = existing?.id ?? newId();
    if (existing) await storage.db.updateTable('tags').set({ digest: d, updated_at: at }).where('id', '=', tagId).execute();
    else await storage.db.insertInto('tags').values({ id: tagId, workspace_id: t.workspaceId, repository_id: repositoryId, name: tag, digest: d, updated_at: at }).execute();
    await storage.db.insertInto('tag_history').values({ tag_id: tagId, digest: d, action: 'push', source: 'test', at }).execute();
  }

  /**
   * A vulnerability_found notification on the repository: its scans' events are written only where one listens. No
   * delivery worker runs in these tests, so the port-9 receiver is never called.
   */
  const listen = (repository: string, event = 'vulnerability_found') =>
    createNotification(t, { event, method: 'webhook', config: { url: 'http://127.0.0.1:9/hook' }, eventConfig: {} }, repository);

  const base: Vuln[] = [
    { id: 'CVE-2024-0001', pkg: 'openssl', version: '3.1.0', severity: 'CRITICAL', fixed: '3.1.5' },
    { id: 'CVE-2024-0002', pkg: 'zlib', version: '1.2.13', severity: 'MEDIUM' },
    { id: 'CVE-2024-0003', pkg: 'busybox', version: '1.36', severity: 'LOW', fixed: '1.37' },
    // The same package at two paths is two findings, as the scanner reported them.
    { id: 'CVE-2024-0004', pkg: 'lodash', version: '4.17.20', severity: 'HIGH', path: 'app/a/package.json' },
    { id: 'CVE-2024-0004', pkg: 'lodash', version: '4.17.20', severity: 'HIGH', path: 'app/b/package.json' },
  ];

  test('first scan: every finding is new, one event each on every repository holding the digest, with its tags', async () => {
    const D = digest('e1');
    await pushTag('ghcr.io/acme/web', 'latest', D);
    await pushTag('ghcr.io/acme/web', '1.0', D);
    await pushTag('registry.example.com/mirror/web', 'stable', D);
    await listen('ghcr.io/acme/web');
    await listen('registry.example.com/mirror/web');
    const res = await upload(trivyReport(base), image('ghcr.io/acme/web:1.0', D));
    assert.equal(res.statusCode, 201, res.body);
    const a = res.json();
    assert.deepEqual([a.findings, a.new, a.resolved], [5, 5, 0]);
    assert.deepEqual(a.image, { repository: 'ghcr.io/acme/web', digest: D });
    assert.deepEqual(a.scanner, { name: 'trivy', version: null });
    assert.deepEqual(a.by_severity, { Critical: 1, High: 2, Medium: 1, Low: 1, Negligible: 0, Unknown: 0 });
    assert.equal(a.warnings, undefined);
    const events = await vulnerabilityEvents(storage, D);
    assert.equal(events.length, 10, '5 new findings × 2 repositories');
    const web = events.filter((e) => e.data.repository === 'ghcr.io/acme/web');
    const mirror = events.filter((e) => e.data.repository === 'registry.example.com/mirror/web');
    assert.equal(web.length, 5);
    assert.equal(mirror.length, 5);
    assert.ok(web.every((e) => JSON.stringify(e.data.tags) === '["1.0","latest"]'));
    assert.ok(mirror.every((e) => JSON.stringify(e.data.tags) === '["stable"]'));
    assert.notEqual(web[0]!.repository_id, mirror[0]!.repository_id);
    const critical = web.find((e) => e.data.vulnerability.id === 'CVE-2024-0001')!;
    assert.deepEqual(critical.data, {
      repository: 'ghcr.io/acme/web',
      tags: ['1.0', 'latest'],
      vulnerability: {
        id: 'CVE-2024-0001', description: 'CVE-2024-0001 in openssl', link: 'https://avd.aquasec.com/nvd/cve-2024-0001',
        priority: 'Critical', has_fix: true,
      },
      package: 'openssl',
      installed_version: '3.1.0',
      inherited: false,
      scan_id: a.scan_id,
      digest: D,
      fixed_version: '3.1.5',
      level: 0,
    });
    // The row keeps what names the finding and what the finding does not hold; the rest is read back from it.
    assert.deepEqual(critical.stored, {
      repository: 'ghcr.io/acme/web', tags: ['1.0', 'latest'], vulnerability: { id: 'CVE-2024-0001' }, package: 'openssl',
      installed_version: '3.1.0', inherited: false, scan_id: a.scan_id,
    });
    // lodash at two paths: two events, whose rows name the location that tells their findings apart.
    const lodash = web.filter((e) => e.data.vulnerability.id === 'CVE-2024-0004');
    assert.deepEqual(lodash.map((e) => e.stored.location).sort(), ['app/a/package.json', 'app/b/package.json']);
    assert.ok(web.filter((e) => e.data.vulnerability.id !== 'CVE-2024-0004').every((e) => e.stored.location === undefined));
    assert.ok(lodash.every((e) => e.data.vulnerability.priority === 'High' && e.data.digest === D));
    const zlib = web.find((e) => e.data.vulnerability.id === 'CVE-2024-0002')!;
    assert.equal(zlib.data.vulnerability.has_fix, false);
    assert.equal(zlib.data.fixed_version, undefined, 'unknown fields are left out, as Quay does');
    assert.equal(zlib.data.level, 2);
    const audit = await storage.db.selectFrom('audit_log').selectAll().where('action', '=', 'scan.record').execute();
    assert.ok(audit.some((r) => r.target === `ghcr.io/acme/web@${D}`));
  });

  test('events are written only on the repositories with an enabled vulnerability_found notification', async () => {
    const D = digest('e9');
    await pushTag('ghcr.io/acme/quiet', 'latest', D); // no notification
    await pushTag('ghcr.io/acme/pushes', 'latest', D); // another event's notification only
    await pushTag('ghcr.io/acme/watched', 'latest', D);
    await listen('ghcr.io/acme/pushes', 'repo_push');
    const watcher = await listen('ghcr.io/acme/watched');
    const res = await upload(trivyReport(base), image('ghcr.io/acme/quiet', D));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().findings, res.json().new], [5, 5], 'the findings are new whoever listens');
    const events = await vulnerabilityEvents(storage, D);
    assert.deepEqual(new Set(events.map((e) => e.data.repository)), new Set(['ghcr.io/acme/watched']));
    assert.equal(events.length, 5);
    const deliveries = await storage.db.selectFrom('deliveries').select('event_id').where('notification_id', '=', watcher.uuid).execute();
    assert.deepEqual(deliveries.map((d) => Number(d.event_id)).sort(), events.map((e) => Number(e.id)).sort(), 'each event is delivered');

    // Nobody listening at all: the scan stores its findings and no event.
    const E = digest('e8');
    await pushTag('ghcr.io/acme/quiet', 'next', E);
    const quiet = await upload(trivyReport(base), image('ghcr.io/acme/quiet', E));
    assert.deepEqual([quiet.statusCode, quiet.json().new], [201, 5]);
    assert.deepEqual(await vulnerabilityEvents(storage, E), []);
    const stored = await storage.db.selectFrom('findings').select('id').where('scan_id', '=', quiet.json().scan_id).execute();
    assert.equal(stored.length, 5);

    // A disabled notification (3 failures, or a 410) sends nothing more: it listens to nothing.
    await storage.db.updateTable('notifications').set({ enabled: 0 }).where('id', '=', watcher.uuid).execute();
    const F = digest('e7');
    await pushTag('ghcr.io/acme/watched', 'next', F);
    const unheard = await upload(trivyReport(base), image('ghcr.io/acme/watched', F));
    assert.deepEqual([unheard.statusCode, unheard.json().new], [201, 5]);
    assert.deepEqual(await vulnerabilityEvents(storage, F), []);
  });

  test('descriptions that quote "__proto__" or "constructor" keys are values: the report is stored as sent', async () => {
    const D = digest('e0');
    const report = trivyReport([{ id: 'CVE-2020-7598', pkg: 'minimist', severity: 'MEDIUM' }]);
    const text = 'sends {"__proto__": {"x": 1}} or {"constructor" : {"prototype": {}}} and pollutes Object.prototype';
    ((report.Results as Array<{ Vulnerabilities: Array<Record<string, unknown>> }>)[0]!.Vulnerabilities[0]!).Description = text;
    const res = await upload(report, image('ghcr.io/acme/proto', D));
    assert.equal(res.statusCode, 201, res.body);
    const row = await storage.db.selectFrom('findings').innerJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
      .select('descriptions.text').where('digest', '=', D).executeTakeFirstOrThrow();
    assert.equal(row.text, text);
  });

  test('a description already stored comes across from the parse worker as its hash, and the new scan\'s finding reads it', async () => {
    const text = 'a heap overflow in libquux (stored once, named by every scan)';
    const report = () => {
      const r = trivyReport([{ id: 'CVE-2024-9191', pkg: 'libquux', severity: 'HIGH' }]);
      ((r.Results as Array<{ Vulnerabilities: Array<Record<string, unknown>> }>)[0]!.Vulnerabilities[0]!).Description = text;
      return r;
    };
    const readBack = async (scanId: string) => (await storage.db.selectFrom('findings')
      .leftJoin('descriptions', 'descriptions.hash', 'findings.description_hash')
      .select(['findings.description_hash', 'descriptions.text']).where('scan_id', '=', scanId).executeTakeFirstOrThrow());
    const first = await upload(report(), image('ghcr.io/acme/quux', digest('c1')));
    assert.equal(first.statusCode, 201, first.body);
    // The second report's text is left out by the worker (told after the first commit); the finding still names it.
    const second = await upload(report(), image('ghcr.io/acme/quux', digest('c2')));
    assert.equal(second.statusCode, 201, second.body);
    const [a, b] = [await readBack(first.json().scan_id), await readBack(second.json().scan_id)];
    assert.equal(a.text, text);
    assert.deepEqual(b, a);
  });

  test('a second scan of the digest: new and resolved against the previous one; events only for the new', async () => {
    const D = digest('e1');
    const previous = await storage.db.selectFrom('scans').select('id').where('digest', '=', D).where('is_current', '=', 1).executeTakeFirstOrThrow();
    const next = [
      ...base.filter((v) => v.id !== 'CVE-2024-0002' && v.path !== 'app/b/package.json'),
      { id: 'CVE-2024-0005', pkg: 'curl', version: '8.0', severity: 'HIGH' },
      // Same vulnerability and package, another installed version: a different finding.
      { id: 'CVE-2024-0003', pkg: 'busybox', version: '1.36.1', severity: 'LOW', fixed: '1.37' },
    ];
    const res = await upload(trivyReport(next), image('ghcr.io/acme/web', D));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().findings, res.json().new, res.json().resolved], [5, 2, 2]);
    const events = await vulnerabilityEvents(storage, D);
    assert.equal(events.length, 10 + 4, '2 new findings × 2 repositories');
    assert.deepEqual(new Set(events.slice(10).map((e) => `${e.data.vulnerability.id} ${e.data.installed_version}`)), new Set(['CVE-2024-0005 8.0', 'CVE-2024-0003 1.36.1']));
    const scans = await storage.db.selectFrom('scans').select(['id', 'is_current']).where('digest', '=', D).orderBy('created_at').execute();
    assert.deepEqual(scans.map((s) => s.is_current), [0, 1]);
    assert.equal(scans[0]!.id, previous.id);
    const history = await storage.db.selectFrom('findings').select('id').where('scan_id', '=', previous.id).execute();
    assert.equal(history.length, 5, 'the previous scan stays as history');

    const again = await upload(trivyReport(next), image('ghcr.io/acme/web', D));
    assert.deepEqual([again.json().new, again.json().resolved], [0, 0]);
    assert.equal((await vulnerabilityEvents(storage, D)).length, 14, 'a repeat upload emits nothing');
  });

  test('a report with no vulnerabilities is a scan that clears the image', async () => {
    const D = digest('e1');
    const res = await upload(trivyReport([]), image('ghcr.io/acme/web', D));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().findings, res.json().new, res.json().resolved], [0, 0, 5]);
    const scan = await storage.db.selectFrom('scans').selectAll().where('digest', '=', D).where('is_current', '=', 1).executeTakeFirstOrThrow();
    assert.equal(scan.id, res.json().scan_id);
    assert.deepEqual(JSON.parse(scan.summary), {
      by_severity: { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 },
      fixable: { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 },
      suppressed: 0,
      vulnerabilities: [],
    });
  });

  test('inherited: on a first scan, what the image replaced under the same tag already had', async () => {
    const OLD = digest('f1');
    const NEW = digest('f2');
    await pushTag('ghcr.io/acme/api', 'latest', OLD);
    await listen('ghcr.io/acme/api');
    const old = await upload(trivyReport([
      { id: 'CVE-2023-1111', pkg: 'glibc' }, { id: 'CVE-2023-2222', pkg: 'openssl' },
    ]), image('ghcr.io/acme/api', OLD));
    assert.equal(old.statusCode, 201, old.body);
    await pushTag('ghcr.io/acme/api', 'latest', NEW);
    const res = await upload(trivyReport([
      { id: 'CVE-2023-1111', pkg: 'glibc', version: '2.39' }, // inherited (another version, same vulnerability and package)
      { id: 'CVE-2023-2222', pkg: 'libssl' }, // same vulnerability, another package: introduced
      { id: 'CVE-2024-3333', pkg: 'curl' }, // introduced
    ]), image('ghcr.io/acme/api', NEW));
    assert.equal(res.statusCode, 201, res.body);
    const events = await vulnerabilityEvents(storage, NEW);
    assert.deepEqual(
      Object.fromEntries(events.map((e) => [`${e.data.vulnerability.id} ${e.data.package}`, e.data.inherited])),
      { 'CVE-2023-1111 glibc': true, 'CVE-2023-2222 libssl': false, 'CVE-2024-3333 curl': false },
    );
    assert.ok(events.every((e) => JSON.stringify(e.data.tags) === '["latest"]'));
    // Not a first scan any more: what is new now was not inherited, even if the old image had it.
    await upload(trivyReport([
      { id: 'CVE-2023-1111', pkg: 'glibc', version: '2.39' }, { id: 'CVE-2023-2222', pkg: 'libssl' },
      { id: 'CVE-2024-3333', pkg: 'curl' }, { id: 'CVE-2023-2222', pkg: 'openssl' },
    ]), image('ghcr.io/acme/api', NEW));
    const later = (await vulnerabilityEvents(storage, NEW)).slice(events.length);
    assert.deepEqual(later.map((e) => [e.data.vulnerability.id, e.data.package, e.data.inherited]), [['CVE-2023-2222', 'openssl', false]]);
  });

  test('a scan of a running digest writes a trend point for its environment', async () => {
    const D = digest('a7');
    const dep = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/pay@${D}` }, environment: { name: 'trend-env' } } });
    assert.equal(dep.statusCode, 201, dep.body);
    const res = await upload(trivyReport([{ id: 'CVE-2024-9', pkg: 'x', severity: 'CRITICAL', fixed: '2' }]), image('ghcr.io/acme/pay', D));
    assert.equal(res.statusCode, 201, res.body);
    const env = await storage.db.selectFrom('environments').select('id').where('name', '=', 'trend-env').executeTakeFirstOrThrow();
    const points = await storage.db.selectFrom('trend_points').selectAll().where('environment_id', '=', env.id).orderBy('id').execute();
    const last = points.at(-1)!;
    assert.deepEqual([Number(last.critical), Number(last.fixable), Number(last.distinct_vulnerabilities)], [1, 1, 1]);
  });

  test('the report pins its image by RepoDigests; ?image= wins and the report\u2019s other digest is a warning', async () => {
    const own = digest('b1');
    const res = await upload(trivyReport(base, `ghcr.io/acme/pinned@${own}`));
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual(res.json().image, { repository: 'ghcr.io/acme/pinned', digest: own });
    assert.equal(res.json().warnings, undefined);
    const mirror = digest('b2');
    const over = await upload(trivyReport(base, `ghcr.io/acme/pinned@${own}`), image('localhost:5000/pinned:dev', mirror));
    assert.deepEqual(over.json().image, { repository: 'localhost:5000/pinned', digest: mirror });
    assert.deepEqual(over.json().warnings, [`the report also names digest ${own}; the scan was recorded for ${mirror}`]);
  });

  test('refusals: no digest, bad ?image=, bad reports, roles and scopes — nothing stored', async () => {
    const before = await storage.db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const cases: Array<[Promise<import('fastify').LightMyRequestResponse>, number, string, RegExp, string?]> = [
      [upload(trivyReport(base)), 400, 'TW_VALIDATION', new RegExp(`^${noDigestMessage.replace(/[?<>]/g, '\\$&')}$`)],
      [upload(trivyReport(base), '?image=ghcr.io/acme/web:latest'), 400, 'TW_VALIDATION', /^query\.image must name the image by digest/, 'query.image'],
      [upload(trivyReport(base), `?image=ghcr.io/Acme/web@${digest(1)}`), 400, 'TW_VALIDATION', /^query\.image is not a valid image reference: .*lowercase/, 'query.image'],
      [upload({ ...trivyReport(base), SchemaVersion: 3 }), 400, 'TW_VALIDATION', /^Trivy report: SchemaVersion must be 2/, 'body'],
      [upload({ hello: 'world' }), 400, 'TW_VALIDATION', /^unrecognised report format/, 'body'],
      [upload([]), 400, 'TW_VALIDATION', /^unrecognised report format/, 'body'],
      [upload('{"SchemaVersion": 2, "Results": ['), 400, 'TW_MALFORMED_JSON', /^the body is not valid JSON/],
      [upload(`{"__proto__": {"x": 1}, "SchemaVersion": 2, "Results": []}`), 400, 'TW_MALFORMED_JSON', /"__proto__"/],
      [upload(JSON.stringify(trivyReport(base)), image('ghcr.io/acme/web', digest(2)), { 'content-type': 'text/plain' }), 415, 'TW_UNSUPPORTED_MEDIA_TYPE', /must be JSON/],
      [upload(JSON.stringify(trivyReport(base)), image('ghcr.io/acme/web', digest(2)), { 'content-encoding': 'br' }), 415, 'TW_UNSUPPORTED_MEDIA_TYPE', /^Content-Encoding br is not accepted/],
      [upload(Buffer.from('not gzip at all'), image('ghcr.io/acme/web', digest(2)), { 'content-encoding': 'gzip' }), 400, 'TW_BAD_REQUEST', /does not decompress/],
      [upload(trivyReport(base), image('ghcr.io/acme/web', digest(2)), {}, t.tokens.read), 403, 'TW_FORBIDDEN', /role write/],
    ];
    for (const [pending, status, code, message, field] of cases) {
      const res = await pending;
      assert.equal(res.statusCode, status, res.body);
      assert.equal(res.json().error.code, code, res.body);
      assert.match(res.json().error.message, message);
      if (field) assert.equal(res.json().error.field, field);
    }
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const outside = await upload(trivyReport(base), image('ghcr.io/other/web', digest(3)), {}, tokens.write);
    assert.equal(outside.statusCode, 403, outside.body);
    assert.match(outside.json().error.message, /limited to repositories matching ghcr\.io\/acme\/\*; ghcr\.io\/other\/web is outside it/);
    // The repository a report names is checked too, not only ?image=.
    const named = await upload(trivyReport(base, `ghcr.io/other/web@${digest(3)}`), '', {}, tokens.write);
    assert.equal(named.statusCode, 403, named.body);
    const inside = await upload(trivyReport(base), image('ghcr.io/acme/scoped', digest(3)), {}, tokens.write);
    assert.equal(inside.statusCode, 201, inside.body);
    const afterCount = await storage.db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    assert.equal(Number(afterCount.n), Number(before.n) + 1, 'only the allowed upload was stored');
  });

  test('body limits: 10 MiB on the wire and decompressed (a gzip bomb is a 413), +json types, gzip', async () => {
    const D = digest('c1');
    // A 3 MiB report (over the 1 MiB limit of other routes) is fine.
    const padded = { ...trivyReport(base), Padding: 'x'.repeat(3 * 1024 * 1024) };
    const big = await upload(padded, image('ghcr.io/acme/big', D));
    assert.equal(big.statusCode, 201, big.body);
    const over = await upload({ ...trivyReport(base), Padding: 'x'.repeat(10 * 1024 * 1024) }, image('ghcr.io/acme/big', D));
    assert.equal(over.statusCode, 413, over.body);
    assert.equal(over.json().error.code, 'TW_PAYLOAD_TOO_LARGE');
    assert.match(over.json().error.message, /at most 10485760 bytes/);
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"SchemaVersion": 2, "Results": [], "x": "'), Buffer.alloc(64 * 1024 * 1024, 0x61), Buffer.from('"}')]));
    assert.ok(bomb.length < 1024 * 1024, `the bomb is small on the wire (${bomb.length} bytes)`);
    const exploded = await upload(bomb, image('ghcr.io/acme/big', D), { 'content-encoding': 'gzip' });
    assert.equal(exploded.statusCode, 413, exploded.body);
    assert.match(exploded.json().error.message, /at most 10485760 bytes once decompressed/);
    const zipped = await upload(gzipSync(JSON.stringify(trivyReport(base))), image('ghcr.io/acme/big', D), { 'content-encoding': 'gzip' });
    assert.equal(zipped.statusCode, 201, zipped.body);
    for (const type of ['application/vnd.cyclonedx+json', 'application/sarif+json; charset=utf-8', 'application/json; charset=utf-8']) {
      const res = await upload(JSON.stringify(trivyReport(base)), image('ghcr.io/acme/big', D), { 'content-type': type });
      assert.equal(res.statusCode, 201, `${type}: ${res.body}`);
    }
    // Other routes keep their own parser: +json types stay refused there.
    const deployment = await t.call('POST', '/api/v1/deployments', {
      body: { image: { url: `ghcr.io/acme/big@${D}` } }, headers: { 'content-type': 'application/vnd.cyclonedx+json' },
    });
    assert.equal(deployment.statusCode, 415);
  });

  test('50,000 findings in one report are stored in batches under both engines\u2019 parameter limits', async () => {
    const D = digest('d5');
    await pushTag('ghcr.io/acme/huge', 'latest', D);
    await listen('ghcr.io/acme/huge');
    // Bare entries, so that 50,000 fit in the 10 MiB limit (about 5 MiB).
    const report = { SchemaVersion: 2, ArtifactName: 'huge', Results: [{ Target: 'huge', Vulnerabilities: Array.from({ length: 50_000 }, (_, i) => ({
      VulnerabilityID: `CVE-2024-${10000 + (i % 997)}`, PkgName: `pkg-${i}`, InstalledVersion: '1.0', Severity: i % 2 ? 'LOW' : 'HIGH',
    })) }] };
    const res = await upload(gzipSync(JSON.stringify(report)), image('ghcr.io/acme/huge', D), { 'content-encoding': 'gzip' });
    assert.equal(res.statusCode, 201, res.body);
    assert.deepEqual([res.json().findings, res.json().new], [50_000, 50_000]);
    assert.deepEqual(res.json().by_severity, { Critical: 0, High: 25_000, Medium: 0, Low: 25_000, Negligible: 0, Unknown: 0 });
    const stored = await storage.db.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')).where('scan_id', '=', res.json().scan_id).executeTakeFirstOrThrow();
    assert.equal(Number(stored.n), 50_000);
    const events = await storage.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'vulnerability_found')
      .where('data', 'like', `%${res.json().scan_id}%`).executeTakeFirstOrThrow();
    assert.equal(Number(events.n), 50_000);
    const summary = JSON.parse((await storage.db.selectFrom('scans').select('summary').where('id', '=', res.json().scan_id).executeTakeFirstOrThrow()).summary);
    assert.equal(summary.vulnerabilities.length, 997);
  });

  test('uploads of one digest at once leave exactly one current scan', async () => {
    const D = digest('d6');
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) =>
      upload(trivyReport([{ id: `CVE-2024-77${i}`, pkg: 'p' }]), image('ghcr.io/acme/race', D))));
    assert.deepEqual([...new Set(answers.map((a) => a.statusCode))], [201]);
    const current = await storage.db.selectFrom('scans').select('id').where('digest', '=', D).where('is_current', '=', 1).execute();
    assert.equal(current.length, 1);
    assert.equal(answers.reduce((n, a) => n + a.json().new, 0), 8);
    assert.equal(answers.reduce((n, a) => n + a.json().resolved, 0), 7);
  });
});
