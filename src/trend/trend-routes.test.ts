import { after, before, describe, mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { trivyReport, type TestFinding } from '../../test/support/test-scans.js';
import { verdictOf, type TrendPoint } from './trend-series.js';

/*
 * deployments.md "Security debt over time", as a scripted history through the real APIs: deploy a scanned image, a
 * rescan finds more, a fix finds fewer, a redeploy of a new digest, a triage decision, a second instance. The clock is
 * mocked, so every point's time is known and the series is checked point by point.
 */
describeEachEngine('security-debt trend', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  const D1 = digest('e1');
  const D2 = digest('e2');
  const D3 = digest('e3');
  const T = {
    scan1: '2026-03-01T10:00:00.000Z',
    deploy1: '2026-03-01T11:00:00.000Z',
    rescan: '2026-03-02T09:00:00.000Z',
    fix: '2026-03-02T15:00:00.000Z',
    scanD2: '2026-03-03T07:59:00.000Z',
    redeploy: '2026-03-03T08:00:00.000Z',
    triage: '2026-03-03T12:00:00.000Z',
    scanD3: '2026-03-04T08:59:00.000Z',
    sidecar: '2026-03-04T09:00:00.000Z',
    now: '2026-03-05T00:00:00.000Z',
  };
  const at = (iso: string) => mock.timers.setTime(Date.parse(iso));
  const point = (time: string, c: Partial<TrendPoint['by_severity']>, fixable: number, distinct: number, risk: number): TrendPoint => ({
    at: time,
    by_severity: { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0, ...c },
    fixable,
    distinct_vulnerabilities: distinct,
    risk_score: risk,
  });
  const P1 = point(T.deploy1, { Critical: 2, High: 1, Medium: 1 }, 2, 4, 28);
  const P2 = point(T.rescan, { Critical: 2, High: 2, Medium: 1, Low: 1 }, 2, 6, 34);
  const P3 = point(T.fix, { Critical: 1, High: 2, Medium: 1, Low: 1 }, 1, 5, 24);
  const P4 = point(T.redeploy, { High: 1, Medium: 1 }, 1, 2, 8);
  const P5 = point(T.triage, { Medium: 1 }, 1, 1, 3);
  const P6 = point(T.sidecar, { High: 2, Medium: 1 }, 2, 3, 13);

  const scan = async (d: string, findings: TestFinding[]) => {
    const res = await t.call('POST', `/api/v1/scans?image=ghcr.io/acme/app@${d}`, { token: t.tokens.write, body: trivyReport(findings) });
    assert.equal(res.statusCode, 201, res.body);
  };
  const deploy = async (d: string, name: string) => {
    const res = await t.call('POST', '/api/v1/deployments', { token: t.tokens.write, body: { image: { url: `ghcr.io/acme/app@${d}`, name }, environment: { name: 'production' } } });
    assert.equal(res.statusCode, 201, res.body);
  };
  const trend = async (path: string) => {
    const res = await t.call('GET', path, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
    return res.json();
  };

  const first: TestFinding[] = [
    { id: 'CVE-1', package: 'p1', severity: 'Critical', fixed: '1.1' },
    { id: 'CVE-2', package: 'p2', severity: 'Critical' },
    { id: 'CVE-3', package: 'p3', severity: 'High' },
    { id: 'CVE-4', package: 'p4', severity: 'Medium', fixed: '2.0' },
  ];

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    mock.timers.enable({ apis: ['Date'], now: Date.parse(T.scan1) });
    await scan(D1, first); // scanned before it runs anywhere: no point yet
    at(T.deploy1); await deploy(D1, 'app');
    at(T.rescan); await scan(D1, [...first, { id: 'CVE-5', package: 'p5', severity: 'High' }, { id: 'CVE-6', package: 'p6', severity: 'Low' }]);
    at(T.fix); await scan(D1, [...first.slice(1), { id: 'CVE-5', package: 'p5', severity: 'High' }, { id: 'CVE-6', package: 'p6', severity: 'Low' }]);
    at(T.scanD2); await scan(D2, [{ id: 'CVE-3', package: 'p3', severity: 'High' }, { id: 'CVE-7', package: 'p7', severity: 'Medium', fixed: '3' }]);
    at(T.redeploy); await deploy(D2, 'app');
    at(T.triage);
    const triage = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body: { vulnerability: 'CVE-3', state: 'not_affected', justification: 'code_not_reachable' } });
    assert.equal(triage.statusCode, 201, triage.body);
    at(T.scanD3); await scan(D3, [{ id: 'CVE-8', package: 'p8', severity: 'High' }, { id: 'CVE-9', package: 'p9', severity: 'High', fixed: '1' }]);
    at(T.sidecar); await deploy(D3, 'sidecar');
    at(T.now);
  });
  after(async () => { mock.timers.reset(); await t?.close(); await storage?.dispose(); });

  test('every change wrote exactly one point per series, with the exact numbers', async () => {
    const b = await trend('/api/v1/environments/production/trend?since=2026-03-01T00:00:00Z');
    assert.deepEqual(b.points, [P1, P2, P3, P4, P5, P6]);
    assert.deepEqual([b.environment, b.since, b.bucket], ['production', '2026-03-01T00:00:00.000Z', 'none']);
    assert.deepEqual([b.start, b.end], [P1, P6], 'nothing before the window: the series starts at its first point');
    assert.equal(b.verdict, 'decreasing');
    assert.deepEqual(b.deltas, {
      by_severity: { Critical: -2, High: 1, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 }, fixable: 0, distinct_vulnerabilities: -1, risk_score: -15,
    });
    const rows = await storage.db.selectFrom('trend_points').select(['environment_id', 'at']).orderBy('id').execute();
    assert.equal(rows.filter((r) => r.environment_id === null).length, 6, 'the workspace series moved with it');
    const ws = await trend('/api/v1/trend?since=2026-03-01');
    assert.deepEqual([ws.environment, ws.points, ws.verdict], [null, [P1, P2, P3, P4, P5, P6], 'decreasing']);
  });

  test('a window that opens later starts from the last point before it', async () => {
    const b = await trend('/api/v1/environments/production/trend?since=2026-03-02T12:00:00Z');
    assert.deepEqual(b.points, [P2, P3, P4, P5, P6]);
    assert.deepEqual(b.start, P2);
    assert.equal(b.verdict, 'decreasing');
    assert.deepEqual(b.deltas, {
      by_severity: { Critical: -2, High: 0, Medium: 0, Low: -1, Negligible: 0, Unknown: 0 }, fixable: 0, distinct_vulnerabilities: -3, risk_score: -21,
    });
    const rising = await trend('/api/v1/environments/production/trend?since=2026-03-03T10:00:00Z');
    assert.deepEqual([rising.points, rising.verdict], [[P4, P5, P6], 'increasing']);
    assert.deepEqual(rising.deltas, {
      by_severity: { Critical: 0, High: 1, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 }, fixable: 1, distinct_vulnerabilities: 1, risk_score: 5,
    });
    const quiet = await trend('/api/v1/environments/production/trend?since=2026-03-04T12:00:00Z');
    assert.deepEqual([quiet.points, quiet.start, quiet.end, quiet.verdict, quiet.deltas.risk_score], [[P6], P6, P6, 'flat', 0]);
  });

  test('bucket=day keeps the last point of each day; hour of each hour; the default window is 30 days', async () => {
    assert.deepEqual((await trend('/api/v1/environments/production/trend?since=2026-03-01&bucket=day')).points, [P1, P3, P5, P6]);
    assert.deepEqual((await trend('/api/v1/environments/production/trend?since=2026-03-02T12:00:00Z&bucket=day')).points, [P2, P3, P5, P6]);
    assert.deepEqual((await trend('/api/v1/environments/production/trend?since=2026-03-01&bucket=hour')).points, [P1, P2, P3, P4, P5, P6]);
    const d = await trend('/api/v1/environments/production/trend');
    assert.deepEqual([d.since, d.points.length, d.verdict], ['2026-02-03T00:00:00.000Z', 6, 'decreasing']);
    const list = await trend('/api/v1/environments');
    const prod = list.environments.find((e: any) => e.name === 'production');
    assert.deepEqual([prod.trend.verdict, prod.trend.since, prod.trend.deltas.risk_score], ['decreasing', '2026-02-03T00:00:00.000Z', -15]);
    assert.equal(prod.vulnerabilities.risk_score, 13);
  });

  test('bad since or bucket is 400; an unknown environment 404; a scoped token 403', async () => {
    for (const [url, message] of [
      ['/api/v1/environments/production/trend?since=yesterday', /query.since must be an ISO-8601 time/],
      ['/api/v1/environments/production/trend?since=2026-13-45', /query.since/],
      ['/api/v1/trend?since=1700000000', /query.since/],
      ['/api/v1/environments/production/trend?bucket=week', /bucket must be one of day, hour, none/],
    ] as const) {
      const res = await t.call('GET', url);
      assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
      assert.match(res.json().error.message, message);
    }
    assert.equal((await t.call('GET', '/api/v1/environments/nowhere/trend')).statusCode, 404);
    const other = await tokensFor(storage, 'other');
    assert.equal((await t.call('GET', '/api/v1/environments/production/trend', { token: other.tokens.read })).statusCode, 404);
    assert.deepEqual((await t.call('GET', '/api/v1/trend', { token: other.tokens.read })).json().points, []);
    const scoped = await tokensFor(storage, 'default', 'ghcr.io/acme/*');
    const refused = await t.call('GET', '/api/v1/environments/production/trend', { token: scoped.tokens.read });
    assert.equal(refused.statusCode, 403);
    assert.match(refused.json().error.message, /covers every repository/);
  });
});

describe('verdictOf', () => {
  const p = (c: Partial<TrendPoint['by_severity']>, risk: number): TrendPoint => ({
    at: '2026-01-01T00:00:00.000Z', by_severity: { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0, ...c }, fixable: 0, distinct_vulnerabilities: 0, risk_score: risk,
  });
  test('the risk score decides; a tie falls to the total count; then flat', () => {
    assert.equal(verdictOf(p({ High: 1 }, 5), p({ Critical: 1 }, 10)).verdict, 'increasing');
    assert.equal(verdictOf(p({ Critical: 1 }, 10), p({ High: 1 }, 5)).verdict, 'decreasing');
    assert.equal(verdictOf(p({ High: 1 }, 5), p({ High: 1, Negligible: 2 }, 5)).verdict, 'increasing');
    assert.equal(verdictOf(p({ High: 1, Negligible: 2 }, 5), p({ High: 1 }, 5)).verdict, 'decreasing');
    assert.equal(verdictOf(p({ High: 1 }, 5), p({ Unknown: 1 }, 5)).verdict, 'flat');
    assert.equal(verdictOf(null, null).verdict, 'flat');
  });
});
