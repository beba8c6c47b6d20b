import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { runCli } from '../../test/support/server-process.js';
import { hashToken } from '../auth/token-secret.js';

describeEachEngine('tidewatch CLI', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let url: string;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    url = await t.listen();
  });
  after(async () => { await t.close(); await storage.dispose(); });

  const deployEnv = (token: string) => ({ TIDEWATCH_URL: url, TIDEWATCH_TOKEN: token });

  test('migrate on a migrated database says it is up to date', async () => {
    const r = await runCli(['migrate'], storage.env);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'database is up to date\n');
  });

  test('token create prints the token alone; list shows its prefix; revoke by prefix ends it', async () => {
    const created = await runCli(['token', 'create', '--role', 'write', '--repo', 'ghcr.io/acme/*', '--name', 'ci'], storage.env);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^tw_[A-Za-z0-9_-]{43}\n$/);
    const token = created.stdout.trim();
    const row = await storage.db.selectFrom('tokens').selectAll().where('hash', '=', hashToken(token)).executeTakeFirstOrThrow();
    assert.equal(row.role, 'write');
    assert.equal(row.repo_glob, 'ghcr.io/acme/*');
    const list = await runCli(['token', 'list'], storage.env);
    assert.equal(list.code, 0);
    assert.ok(list.stdout.includes(token.slice(0, 10)), list.stdout);
    assert.ok(!list.stdout.includes(token), 'the listing never shows a whole token');
    const ok = await t.call('POST', '/api/v1/deployments', { token, body: { image: { url: `ghcr.io/acme/web@${digest(1)}` } } });
    assert.equal(ok.statusCode, 201);
    const revoked = await runCli(['token', 'revoke', token.slice(0, 10)], storage.env);
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = await t.call('GET', '/api/v1/environments', { token });
    assert.equal(after.statusCode, 401);
    const twice = await runCli(['token', 'revoke', row.id], storage.env);
    assert.notEqual(twice.code, 0);
    assert.match(twice.stderr, /already revoked/);
  });

  test('token commands refuse bad input with a clear message and a non-zero exit', async () => {
    for (const [args, message] of [
      [['token', 'create', '--role', 'root'], /--role must be one of read, write, admin/],
      [['token', 'create'], /required option '--role/],
      [['token', 'create', '--role', 'read', '--expires', 'soon'], /expiry "soon" must be a duration/],
      [['token', 'create', '--role', 'read', '--repo', 'bad glob!'], /repository glob/],
      [['token', 'create', '--role', 'read', '--workspace', 'nope'], /no workspace named nope/],
      [['token', 'revoke', 'tw_nothing'], /no token tw_nothing/],
    ] as const) {
      const r = await runCli([...args], storage.env);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  test('deploy records a deployment, and a repeat says it was already recorded', async () => {
    const image = `ghcr.io/acme/api:2.0@${digest(2)}`;
    const first = await runCli(['deploy', image, '--env', 'production', '--name', 'api', '--platform', 'linux/arm64/v8'], deployEnv(t.tokens.write));
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `recorded: ${image} in production as api\n`);
    const again = await runCli(['deploy', image, '--env', 'production', '--name', 'api', '--platform', 'linux/arm64/v8', '--json'], deployEnv(t.tokens.write));
    assert.equal(again.code, 0, again.stderr);
    const record = JSON.parse(again.stdout);
    assert.deepEqual(record.platform, { os: 'linux', architecture: 'arm64', variant: 'v8' });
    const row = await storage.db.selectFrom('deployments').selectAll().where('instance_name', '=', 'api').executeTakeFirstOrThrow();
    assert.equal(row.source, 'cli');
    assert.equal(row.digest, digest(2));
  });

  test('deploy fails with a clear message and a non-zero exit on every error', async () => {
    const good = `ghcr.io/acme/api@${digest(3)}`;
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['deploy', 'ghcr.io/acme/api:latest'], deployEnv(t.tokens.write), 2, /must be pinned by digest/],
      [['deploy', 'Ghcr.io/Acme/API@' + digest(3)], deployEnv(t.tokens.write), 2, /not a valid image reference: .*lowercase/],
      [['deploy', good, '--platform', 'linux'], deployEnv(t.tokens.write), 2, /--platform must be os\/architecture/],
      [['deploy', good, '--env', 'bad env'], deployEnv(t.tokens.write), 2, /--env must be 1–128 characters/],
      [['deploy', good], { TIDEWATCH_TOKEN: t.tokens.write }, 2, /TIDEWATCH_URL is not set/],
      [['deploy', good], { TIDEWATCH_URL: url }, 2, /TIDEWATCH_TOKEN is not set/],
      [['deploy', good], { TIDEWATCH_URL: 'ftp://x', TIDEWATCH_TOKEN: 'tw_x' }, 2, /must be an http\(s\) URL/],
      [['deploy', good], deployEnv(t.tokens.read), 1, /answered 403 TW_FORBIDDEN: .*role write/],
      [['deploy', good], deployEnv('tw_' + 'x'.repeat(43)), 1, /answered 401 TW_UNAUTHORIZED/],
      [['deploy', good], { TIDEWATCH_URL: 'http://127.0.0.1:9', TIDEWATCH_TOKEN: t.tokens.write }, 1, /cannot reach Tidewatch at http:\/\/127.0.0.1:9/],
      [['deploy'], deployEnv(t.tokens.write), 2, /missing required argument/],
    ];
    for (const [args, env, code, message] of cases) {
      const r = await runCli(args, env);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stdout, '');
    }
    const stored = await storage.db.selectFrom('deployments').select('id').where('digest', '=', digest(3)).execute();
    assert.equal(stored.length, 0, 'no failed deploy stored anything');
  });
});
