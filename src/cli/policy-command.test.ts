/*
 * `tidewatch policy check <image> --env E` (admission.md "Policies", issue 6): exit codes a pipeline can branch on —
 * 0 allowed (warnings printed), 1 refused (the reasons printed), 2 usage or connection error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { runCli } from '../../test/support/server-process.js';
import { insertScan, pushTag } from '../../test/support/test-scans.js';

const REPO = 'ghcr.io/acme/web';
const BAD = digest('d1');
const GOOD = digest('d2');

describeEachEngine('tidewatch policy check', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let env: Record<string, string>;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    env = { TIDEWATCH_URL: await t.listen(), TIDEWATCH_TOKEN: t.tokens.read };
    await insertScan(storage.db, t.workspaceId, { repository: REPO, digest: BAD }, [
      { id: 'CVE-2023-44487', severity: 'Critical', fixed: '1.2' },
      { id: 'CVE-2024-0002', severity: 'High', fixed: null },
    ]);
    await insertScan(storage.db, t.workspaceId, { repository: REPO, digest: GOOD }, [{ id: 'CVE-2024-0002', severity: 'High' }]);
    await pushTag(storage.db, t.workspaceId, REPO, 'stable', GOOD);
    const post = async (body: unknown) => assert.equal((await t.call('POST', '/api/v1/policies', { body })).statusCode, 201);
    await post({ name: 'prod-gate', environments: ['production'], mode: 'enforce', rules: { deny_severity: 'Critical', fixable_only: true } });
    await post({ name: 'prod-soft', environments: ['production'], mode: 'warn', rules: { deny_severity: 'High' } });
    await post({ name: 'prod-audit', environments: ['production'], mode: 'audit', rules: { require_digest: true } });
  });
  after(async () => { await t.close(); await storage.dispose(); });

  test('refused by an enforce policy: exit 1, each reason printed', async () => {
    const r = await runCli(['policy', 'check', `${REPO}@${BAD}`, '--env', 'production'], env);
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.equal(lines[0], `refused: ${REPO}@${BAD} in production`);
    assert.ok(lines.includes(`  refused: prod-gate: ${REPO}@${BAD} has 1 fixable Critical vulnerability (CVE-2023-44487)`), r.stdout);
    assert.ok(lines.includes(`  warning: prod-soft: ${REPO}@${BAD} has 2 High or worse vulnerabilities (CVE-2023-44487, CVE-2024-0002)`), r.stdout);
    assert.match(r.stderr, /is refused in production by 1 enforce rule\n$/);
  });

  test('allowed with warnings: exit 0, the warnings printed; a tag is resolved from the tag history', async () => {
    const r = await runCli(['policy', 'check', `${REPO}:stable`, '--env', 'production'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, [
      `warned: ${REPO}:stable@${GOOD} in production (digest resolved from the tag)`,
      `  warning: prod-soft: ${REPO}:stable@${GOOD} has 1 High or worse vulnerability (CVE-2024-0002)`,
      '',
    ].join('\n'));
    assert.equal(r.stderr, '');
  });

  test('allowed with only an audit decision, or with no policy at all: exit 0', async () => {
    const audit = await runCli(['policy', 'check', `${REPO}:unknown-tag`, '--env', 'production'], env);
    assert.equal(audit.code, 0, audit.stderr);
    assert.match(audit.stdout, /^allowed: ghcr\.io\/acme\/web:unknown-tag in production \(no digest known\)\n  audit: prod-audit: /);
    const none = await runCli(['policy', 'check', `${REPO}@${BAD}`, '--env', 'staging'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout, `allowed: ${REPO}@${BAD} in staging\n`);
  });

  test('--format json prints the API\'s answer', async () => {
    const r = await runCli(['policy', 'check', `${REPO}@${BAD}`, '--env', 'production', '--format', 'json'], env);
    assert.equal(r.code, 1);
    const api = await t.call('GET', `/api/v1/policies/check?image=${encodeURIComponent(`${REPO}@${BAD}`)}&environment=production`);
    assert.deepEqual(JSON.parse(r.stdout), api.json());
  });

  test('a token the server refuses exits 2: it could not ask, which is not a refusal', async () => {
    const r = await runCli(['policy', 'check', `${REPO}@${BAD}`, '--env', 'production'], { ...env, TIDEWATCH_TOKEN: 'tw_nope' });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /401 TW_UNAUTHORIZED/);
    assert.equal(r.stdout, '');
  });
});

// These exit before any answer from a server, so they run once, not per engine.
test('usage and connection errors exit 2, never 1', async () => {
  const net = await import('node:net');
  // A port that was free a moment ago: nothing listens there now.
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const closed = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await new Promise((r) => server.close(r));
  const env = { TIDEWATCH_URL: closed, TIDEWATCH_TOKEN: 'tw_unused' };
  const image = `${REPO}@${BAD}`;
  const rows: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['an unreachable server', ['policy', 'check', image, '--env', 'production'], env, /cannot reach Tidewatch/],
    ['an unknown flag', ['policy', 'check', image, '--env', 'production', '--strict'], env, /unknown option '--strict'/],
    ['no --env', ['policy', 'check', image], env, /--env/],
    ['no image', ['policy', 'check', '--env', 'production'], env, /missing required argument/],
    ['a bad reference', ['policy', 'check', 'Not A Ref', '--env', 'production'], env, /not a valid image reference/],
    ['a bad environment', ['policy', 'check', image, '--env', 'prod eu'], env, /--env must be/],
    ['a bad format', ['policy', 'check', image, '--env', 'production', '--format', 'xml'], env, /--format must be text or json/],
    ['no TIDEWATCH_URL', ['policy', 'check', image, '--env', 'production'], { TIDEWATCH_TOKEN: 'tw_unused' }, /TIDEWATCH_URL is not set/],
  ];
  for (const [what, args, e, message] of rows) {
    const r = await runCli(args, e);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, message, what);
    assert.equal(r.stdout, '', what);
  }
});
