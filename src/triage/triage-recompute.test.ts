import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';

/*
 * ingest.md "Triage by hand": "Every change recomputes the counts it touches and writes a trend point, like a scan" —
 * read back through the API the pages use (environment views, image view, trend series), after each create and each
 * delete, with decisions of every scope (workspace, repository, repository + package). Then the list: filters,
 * pagination and what a token limited to some repositories sees.
 */
const API = 'ghcr.io/acme/api';
const WEB = 'ghcr.io/acme/web';
const DA = digest('a1');
const DW = digest('a2');

type V = { id: string; pkg: string; severity: string; fixed?: string };
const trivy = (vulns: V[]) => ({
  SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 'x', Vulnerabilities: vulns.map((v) => ({
    VulnerabilityID: v.id, PkgName: v.pkg, InstalledVersion: '1.0', Severity: v.severity,
    ...(v.fixed ? { FixedVersion: v.fixed, Status: 'fixed' } : { Status: 'affected' }),
  })) }],
});

/** What the pages show of an environment: its counts, and its series' point count and last point. */
interface Seen { C: number; H: number; M: number; distinct: number; risk: number; points: number }

describeEachEngine('triage recomputes counts and trend, after create and after delete', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const scan = async (ref: string, vulns: V[]) => {
      const res = await t.call('POST', `/api/v1/scans?image=${ref}`, { token: t.tokens.write, body: trivy(vulns) });
      assert.equal(res.statusCode, 201, res.body);
    };
    await scan(`${API}@${DA}`, [
      { id: 'CVE-2024-0001', pkg: 'openssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-0002', pkg: 'zlib', severity: 'HIGH' },
      { id: 'CVE-2024-0003', pkg: 'curl', severity: 'MEDIUM' },
    ]);
    await scan(`${WEB}@${DW}`, [
      { id: 'CVE-2024-0001', pkg: 'openssl', severity: 'CRITICAL', fixed: '3.2' },
      { id: 'CVE-2024-0002', pkg: 'zlib', severity: 'HIGH' },
    ]);
    for (const [url, env] of [[`${API}@${DA}`, 'production'], [`${WEB}@${DW}`, 'production'], [`${WEB}@${DW}`, 'staging']]) {
      const res = await t.call('POST', '/api/v1/deployments', { token: t.tokens.write, body: { image: { url }, environment: { name: env } } });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const seen = async (env: string): Promise<Seen> => {
    const view = await t.call('GET', `/api/v1/environments/${env}`, { token: t.tokens.read });
    assert.equal(view.statusCode, 200, view.body);
    const v = view.json().vulnerabilities;
    const trend = (await t.call('GET', `/api/v1/environments/${env}/trend?since=2000-01-01T00:00:00Z&bucket=none`, { token: t.tokens.read })).json();
    const end = trend.end;
    // The series' last point is what the view shows: the point was written from the same recomputed numbers.
    assert.deepEqual([end.by_severity, end.distinct_vulnerabilities, end.risk_score], [v.by_severity, v.distinct_vulnerabilities, v.risk_score], `${env}: trend end = view`);
    return { C: v.by_severity.Critical, H: v.by_severity.High, M: v.by_severity.Medium, distinct: v.distinct_vulnerabilities, risk: v.risk_score, points: trend.points.length };
  };
  const workspacePoints = async () => (await t.call('GET', '/api/v1/trend?since=2000-01-01T00:00:00Z&bucket=none', { token: t.tokens.read })).json().points.length;
  const imageSuppressed = async (repository: string, d: string) =>
    (await t.call('GET', `/api/v1/images/${repository}@${d}`, { token: t.tokens.read })).json().scan.vulnerabilities.suppressed;
  const create = async (body: Record<string, unknown>) => {
    const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().id as string;
  };
  const remove = async (id: string) => {
    const res = await t.call('DELETE', `/api/v1/triage/${id}`, { token: t.tokens.write });
    assert.equal(res.statusCode, 204, res.body);
  };

  /** Runs a change and checks both environments' numbers and that each series grew by exactly the points given. */
  const step = async (change: () => Promise<unknown>, want: { production: Omit<Seen, 'points'>; staging: Omit<Seen, 'points'> }, newPoints: { production: number; staging: number; workspace: number }) => {
    const [p0, s0, w0] = [await seen('production'), await seen('staging'), await workspacePoints()];
    await change();
    const [p1, s1, w1] = [await seen('production'), await seen('staging'), await workspacePoints()];
    assert.deepEqual({ ...p1, points: undefined }, { ...want.production, points: undefined }, 'production counts');
    assert.deepEqual({ ...s1, points: undefined }, { ...want.staging, points: undefined }, 'staging counts');
    assert.deepEqual([p1.points - p0.points, s1.points - s0.points, w1 - w0], [newPoints.production, newPoints.staging, newPoints.workspace], 'new trend points: production, staging, workspace');
  };

  const ids: Record<string, string> = {};

  test('before any decision: every finding counts', async () => {
    assert.deepEqual({ ...await seen('production'), points: undefined }, { C: 2, H: 2, M: 1, distinct: 3, risk: 33, points: undefined });
    assert.deepEqual({ ...await seen('staging'), points: undefined }, { C: 1, H: 1, M: 0, distinct: 2, risk: 15, points: undefined });
  });

  test('create, workspace-wide: both environments and the workspace drop, one point each', async () => {
    await step(async () => { ids.wide = await create({ vulnerability: 'CVE-2024-0002', state: 'not_affected', justification: 'requires_configuration' }); },
      { production: { C: 2, H: 0, M: 1, distinct: 2, risk: 23 }, staging: { C: 1, H: 0, M: 0, distinct: 1, risk: 10 } },
      { production: 1, staging: 1, workspace: 1 });
    assert.equal(await imageSuppressed(API, DA), 1);
  });

  test('create, for one repository: it overrides the workspace-wide decision there only', async () => {
    await step(async () => { ids.web = await create({ vulnerability: 'CVE-2024-0002', state: 'exploitable', repository: WEB }); },
      { production: { C: 2, H: 1, M: 1, distinct: 3, risk: 28 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 1, staging: 1, workspace: 1 });
    assert.deepEqual([await imageSuppressed(API, DA), await imageSuppressed(WEB, DW)], [1, 0]);
  });

  test('create, for one repository and package: the other repository and staging do not move', async () => {
    await step(async () => { ids.apiOpenssl = await create({ vulnerability: 'CVE-2024-0001', state: 'false_positive', repository: API, package: 'openssl' }); },
      { production: { C: 1, H: 1, M: 1, distinct: 3, risk: 18 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 1, staging: 0, workspace: 1 });
    assert.equal(await imageSuppressed(API, DA), 2);
  });

  test('delete the repository\'s decision: the workspace-wide one holds again', async () => {
    await step(() => remove(ids.web!),
      { production: { C: 1, H: 0, M: 1, distinct: 2, risk: 13 }, staging: { C: 1, H: 0, M: 0, distinct: 1, risk: 10 } },
      { production: 1, staging: 1, workspace: 1 });
  });

  test('delete the workspace-wide decision, then the last one: back to where it started', async () => {
    await step(() => remove(ids.wide!),
      { production: { C: 1, H: 2, M: 1, distinct: 3, risk: 23 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 1, staging: 1, workspace: 1 });
    await step(() => remove(ids.apiOpenssl!),
      { production: { C: 2, H: 2, M: 1, distinct: 3, risk: 33 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 1, staging: 0, workspace: 1 });
    assert.deepEqual([await imageSuppressed(API, DA), await imageSuppressed(WEB, DW)], [0, 0]);
  });

  test('a decision that changes no number writes no point; nor does a non-suppressing state', async () => {
    await step(() => create({ vulnerability: 'CVE-2024-9999', state: 'not_affected', justification: 'code_not_present' }),
      { production: { C: 2, H: 2, M: 1, distinct: 3, risk: 33 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 0, staging: 0, workspace: 0 });
    await step(() => create({ vulnerability: 'CVE-2024-0003', state: 'in_triage' }),
      { production: { C: 2, H: 2, M: 1, distinct: 3, risk: 33 }, staging: { C: 1, H: 1, M: 0, distinct: 2, risk: 15 } },
      { production: 0, staging: 0, workspace: 0 });
  });
});

describeEachEngine('GET /api/v1/triage: filters, pagination, scopes', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const list = async (query: string, token?: string) => {
    const res = await t.call('GET', `/api/v1/triage${query}`, { token: token ?? t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    return res.json() as { decisions: Array<Record<string, any>>; total: number; limit: number; offset: number };
  };
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const made: Array<Record<string, unknown>> = [
      { vulnerability: 'CVE-2024-0001', state: 'not_affected', justification: 'code_not_present' },
      { vulnerability: 'CVE-2024-0001', state: 'exploitable', repository: API },
      { vulnerability: 'CVE-2024-0001', state: 'false_positive', repository: API, package: 'openssl' },
      { vulnerability: 'CVE-2024-0002', state: 'in_triage', repository: WEB },
      { vulnerability: 'CVE-2024-0002', state: 'resolved', package: 'zlib' },
      { vulnerability: 'GHSA-jfh8-c2jp-5v3q', state: 'not_affected', justification: 'protected_at_runtime', repository: 'ghcr.io/other/tool' },
    ];
    for (const body of made) {
      const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const keys = (decisions: Array<Record<string, any>>) => decisions.map((d) => `${d.vulnerability} ${d.repository ?? '*'} ${d.package ?? '*'} ${d.state}`).sort();
  const sameKeys = (decisions: Array<Record<string, any>>, expected: string[]) => assert.deepEqual(keys(decisions), [...expected].sort());

  test('pages: newest first, limit and offset, total over all pages', async () => {
    const all = await list('');
    assert.deepEqual([all.total, all.limit, all.offset, all.decisions.length], [6, 100, 0, 6]);
    assert.equal(all.decisions[0]!.vulnerability, 'GHSA-jfh8-c2jp-5v3q', 'newest first');
    const pages = [await list('?limit=4'), await list('?limit=4&offset=4'), await list('?limit=4&offset=8')];
    assert.deepEqual(pages.map((p) => [p.decisions.length, p.total, p.offset]), [[4, 6, 0], [2, 6, 4], [0, 6, 8]]);
    assert.deepEqual(pages.flatMap((p) => p.decisions.map((d) => d.id)), all.decisions.map((d) => d.id), 'the pages make up the list, in order');
  });

  test('filters: vulnerability, state, repository and package (each with the wider decisions that hold for it)', async () => {
    sameKeys((await list('?vulnerability=CVE-2024-0001')).decisions, [
      `CVE-2024-0001 * * not_affected`, `CVE-2024-0001 ${API} * exploitable`, `CVE-2024-0001 ${API} openssl false_positive`,
    ]);
    sameKeys((await list('?state=not_affected')).decisions, ['CVE-2024-0001 * * not_affected', 'GHSA-jfh8-c2jp-5v3q ghcr.io/other/tool * not_affected']);
    sameKeys((await list(`?repository=${WEB}`)).decisions, [
      'CVE-2024-0001 * * not_affected', `CVE-2024-0002 ${WEB} * in_triage`, 'CVE-2024-0002 * zlib resolved',
    ]);
    sameKeys((await list(`?repository=${API}&package=openssl&vulnerability=CVE-2024-0001`)).decisions, [
      `CVE-2024-0001 * * not_affected`, `CVE-2024-0001 ${API} * exploitable`, `CVE-2024-0001 ${API} openssl false_positive`,
    ]);
    sameKeys((await list('?package=curl')).decisions, [
      'CVE-2024-0001 * * not_affected', `CVE-2024-0001 ${API} * exploitable`, `CVE-2024-0002 ${WEB} * in_triage`, 'GHSA-jfh8-c2jp-5v3q ghcr.io/other/tool * not_affected',
    ]);
    const paged = await list('?vulnerability=CVE-2024-0001&limit=1&offset=1');
    assert.deepEqual([paged.total, paged.decisions.length], [3, 1]);
  });

  test('a token limited to some repositories: its own and workspace-wide decisions, counted and paged after its scope', async () => {
    const { tokens } = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const seen = await list('', tokens.read);
    assert.equal(seen.total, 5, 'not ghcr.io/other/tool');
    assert.ok(seen.decisions.every((d) => d.repository === null || d.repository.startsWith('ghcr.io/acme/')));
    const second = await list('?limit=3&offset=3', tokens.read);
    assert.deepEqual([second.total, second.decisions.length], [5, 2]);
    // It may decide only about its repositories, never for the whole workspace (security.md).
    const wide = await t.call('POST', '/api/v1/triage', { token: tokens.write, body: { vulnerability: 'CVE-2024-0003', state: 'in_triage' } });
    assert.equal(wide.statusCode, 403, wide.body);
    const outside = await t.call('POST', '/api/v1/triage', { token: tokens.write, body: { vulnerability: 'CVE-2024-0003', state: 'in_triage', repository: 'ghcr.io/other/tool' } });
    assert.equal(outside.statusCode, 403, outside.body);
    const inside = await t.call('POST', '/api/v1/triage', { token: tokens.write, body: { vulnerability: 'CVE-2024-0003', state: 'in_triage', repository: WEB } });
    assert.equal(inside.statusCode, 201, inside.body);
    const workspaceWide = (await list('?vulnerability=CVE-2024-0001')).decisions.find((d) => d.repository === null)!;
    const del = await t.call('DELETE', `/api/v1/triage/${workspaceWide.id}`, { token: tokens.write });
    assert.equal(del.statusCode, 403, 'a workspace-wide decision is not its to withdraw');
  });

  test('a repository no decision names: only the workspace-wide decisions hold for it', async () => {
    sameKeys((await list('?repository=ghcr.io/nobody/none')).decisions, ['CVE-2024-0001 * * not_affected', 'CVE-2024-0002 * zlib resolved']);
  });
});
