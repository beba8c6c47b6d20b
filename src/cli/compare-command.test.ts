import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { runCli } from '../../test/support/server-process.js';
import { insertScan } from '../../test/support/test-scans.js';

/** `tidewatch compare <image|env:NAME> --to-env E`: formats and exit codes (deployments.md, "Comparing"). */
describeEachEngine('tidewatch compare', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let env: Record<string, string>;
  const W1 = digest('f1');
  const W2 = digest('f2'); // adds a Critical and a High, removes a Medium
  const W3 = digest('f3'); // adds a High only
  const K1 = digest('f4'); // unscanned
  const web = (d: string) => `ghcr.io/acme/web@${d}`;

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    env = { TIDEWATCH_URL: `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`, TIDEWATCH_TOKEN: t.tokens.read };
    const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/web:1@${W1}` }, environment: { name: 'production' } } });
    assert.equal(res.statusCode, 201, res.body);
    const ws = t.workspaceId;
    const base = [{ id: 'CVE-OLD', package: 'zlib', severity: 'Medium' as const }, { id: 'CVE-KEEP', package: 'curl', severity: 'Low' as const }];
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: W1 }, base);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: W2 }, [
      base[1]!, { id: 'CVE-NEW-1', package: 'openssl', severity: 'Critical', fixed: '3.0.9' }, { id: 'CVE-NEW-2', package: 'glibc', severity: 'High' },
    ]);
    await insertScan(storage.db, ws, { repository: 'ghcr.io/acme/web', digest: W3 }, [...base, { id: 'CVE-NEW-2', package: 'glibc', severity: 'High' }]);
    await storage.db.insertInto('images').values({
      id: crypto.randomUUID(), workspace_id: ws, repository_id: (await storage.db.selectFrom('repositories').select('id').where('name', '=', 'ghcr.io/acme/web').executeTakeFirstOrThrow()).id,
      digest: K1, media_type: null, is_index: 0, os: null, architecture: null, variant: null, first_seen_at: new Date().toISOString(), deleted_at: null,
    }).execute();
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('table: the instance that changes, counts by severity, and what is added and removed', async () => {
    const r = await runCli(['compare', web(W2), '--to-env', 'production'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'base: env:production — 1 image(s), 1 scanned');
    assert.equal(lines[1], `head: ${web(W2)} — 1 image(s), 1 scanned`);
    assert.match(r.stdout, new RegExp(`ghcr.io/acme/web\\s+changed\\s+${W1.slice(0, 19)} \\(1\\)\\s+${W2.slice(0, 19)}`));
    assert.match(r.stdout, /\nadded\s+1\s+1\s+0\s+0\s+0\s+0\s+2 \(1 fixable\)\n/);
    assert.match(r.stdout, /\nremoved\s+0\s+0\s+1\s+0\s+0\s+0\s+1 \(0 fixable\)\n/);
    assert.match(r.stdout, /\nADDED\nSEVERITY\s+VULNERABILITY\s+PACKAGE\s+FIXABLE\s+FIXED IN\nCritical\s+CVE-NEW-1\s+openssl\s+yes\s+3\.0\.9\nHigh\s+CVE-NEW-2\s+glibc\s+no\s+-\n/);
    assert.match(r.stdout, /\nREMOVED\n.*\nMedium\s+CVE-OLD\s+zlib\s+no\s+-\n/);
  });

  test('json is the API\'s answer; markdown is tables for a pull request', async () => {
    const json = await runCli(['compare', web(W2), '--to-env', 'production', '--format', 'json'], env);
    assert.equal(json.code, 0, json.stderr);
    const api = (await t.call('GET', `/api/v1/compare?base=env:production&head=${encodeURIComponent(web(W2))}`)).json();
    assert.deepEqual(JSON.parse(json.stdout), api);
    const md = await runCli(['compare', web(W2), '--to-env', 'production', '--format', 'markdown'], env);
    assert.equal(md.code, 0, md.stderr);
    assert.match(md.stdout, /^### Tidewatch compare\n/);
    assert.match(md.stdout, /\n\| Instance \| Change \| Base \| Head \|\n\| --- \| --- \| --- \| --- \|\n\| ghcr\.io\/acme\/web \| changed \|/);
    assert.match(md.stdout, /\n#### Added \(2\)\n\n\| Severity \| Vulnerability \| Package \| Fixable \| Fixed in \|\n[^\n]+\n\| Critical \| CVE-NEW-1 \| openssl \| yes \| 3\.0\.9 \|\n/);
    const envs = await runCli(['compare', 'env:production', '--to-env', 'production', '--format', 'markdown'], env);
    assert.equal(envs.code, 0, envs.stderr);
    assert.match(envs.stdout, /No instance differs \(1 unchanged\)\./);
  });

  test('--exit-code: 3 when the head adds vulnerabilities at or above --severity (default critical), else 0', async () => {
    const critical = await runCli(['compare', web(W2), '--to-env', 'production', '--exit-code'], env);
    assert.equal(critical.code, 3, critical.stderr);
    assert.match(critical.stderr, new RegExp(`tidewatch: ${web(W2)} adds 1 vulnerability at or above Critical`));
    assert.ok(critical.stdout.includes('ADDED'), 'the report is printed before failing');
    const highOnly = await runCli(['compare', web(W3), '--to-env', 'production', '--exit-code'], env);
    assert.equal(highOnly.code, 0, highOnly.stderr);
    const atHigh = await runCli(['compare', web(W3), '--to-env', 'production', '--exit-code', '--severity', 'HIGH'], env);
    assert.equal(atHigh.code, 3);
    assert.match(atHigh.stderr, /adds 1 vulnerability at or above High/);
    const withoutFlag = await runCli(['compare', web(W2), '--to-env', 'production', '--severity', 'low'], env);
    assert.equal(withoutFlag.code, 0, 'without --exit-code the result never fails the step');
    const unscanned = await runCli(['compare', web(K1), '--to-env', 'production', '--exit-code'], env);
    assert.equal(unscanned.code, 0);
    assert.match(unscanned.stderr, /warning: 1 image\(s\) of .* have no scan/);
    assert.match(unscanned.stdout, /head: .* 0 scanned \(unscanned\)/);
  });

  test('bad input exits 2, a refusal or an unreachable server 1, and the help documents the exit codes', async () => {
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['compare', web(W2)], env, 2, /required option '--to-env <name>' not specified/],
      [['compare', 'ghcr.io/acme/web:1', '--to-env', 'production'], env, 2, /must be pinned by digest/],
      [['compare', 'Not/Valid@x', '--to-env', 'production'], env, 2, /not a valid image reference/],
      [['compare', web(W2), '--to-env', 'bad env'], env, 2, /--to-env: the environment must be/],
      [['compare', web(W2), '--to-env', 'production', '--format', 'yaml'], env, 2, /--format must be table, json or markdown/],
      [['compare', web(W2), '--to-env', 'production', '--severity', 'severe'], env, 2, /--severity must be one of critical, high/],
      [['compare', web(W2), '--to-env', 'production'], { TIDEWATCH_URL: env.TIDEWATCH_URL! }, 2, /TIDEWATCH_TOKEN is not set/],
      [['compare', web(W2), '--to-env', 'nowhere'], env, 1, /answered 404 TW_NOT_FOUND: environment nowhere not found/],
      [['compare', web(digest('ff')), '--to-env', 'production'], env, 1, /answered 404 TW_NOT_FOUND: image/],
      [['compare', web(W2), '--to-env', 'production'], { ...env, TIDEWATCH_TOKEN: 'tw_' + 'x'.repeat(43) }, 1, /answered 401/],
      [['compare', web(W2), '--to-env', 'production'], { TIDEWATCH_URL: 'http://127.0.0.1:9', TIDEWATCH_TOKEN: t.tokens.read }, 1, /cannot reach Tidewatch/],
    ];
    for (const [args, e, code, message] of cases) {
      const r = await runCli(args, e);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message, args.join(' '));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
    const help = await runCli(['compare', '--help'], env);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes:\n\s+0 .*\n\s+1 .*\n\s+2 .*\n\s+3\s+--exit-code: the head adds vulnerabilities at or above --severity \(default critical\)/);
  });
});
