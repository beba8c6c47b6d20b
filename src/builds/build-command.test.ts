import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { runCli } from '../../test/support/server-process.js';
import { buildsForDigests } from './build-queries.js';

/** `tidewatch build start|finish` end to end, against an app listening on a real port (the CLI is its own process). */
describeEachEngine('tidewatch build', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let url: string;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    url = await t.listen();
  });
  after(async () => { await t.close(); await storage.dispose(); });

  const env = (token = t.tokens.write) => ({ TIDEWATCH_URL: url, TIDEWATCH_TOKEN: token });
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\n$/;
  const build = async (id: string) => (await t.call('GET', `/api/v1/builds/${id}`)).json();
  const sha = '50bc5996d4587fd4b2d8edc4af652d4cec293c42';

  test('start prints the id alone and reports the build started; finish --digest makes it a success linked to the digest', async () => {
    const start = await runCli(['build', 'start', 'ghcr.io/acme/cli', '--tag', 'main', '--tag', 'latest', '--trigger-kind', 'github',
      '--trigger-id', 'run-7', '--commit', sha, '--ref', 'refs/heads/main'], env());
    assert.equal(start.code, 0, start.stderr);
    assert.match(start.stdout, uuid);
    const id = start.stdout.trim();
    const b = await build(id);
    assert.deepEqual([b.phase, b.repository, b.docker_tags, b.build_name, b.commit, b.ref, b.trigger_kind, b.trigger_id],
      ['started', 'ghcr.io/acme/cli', ['main', 'latest'], '50bc599', sha, 'refs/heads/main', 'github', 'run-7']);
    const finish = await runCli(['build', 'finish', id, '--digest', `ghcr.io/acme/cli@${digest(1)}`, '--digest', digest(2), '--image-id', digest(3)], env());
    assert.equal(finish.code, 0, finish.stderr);
    assert.equal(finish.stdout, `build ${id} is success (2 manifests)\n`);
    const done = await build(id);
    assert.deepEqual([done.phase, done.image_id, done.manifest_digests], ['success', digest(3), [`ghcr.io/acme/cli@${digest(1)}`, `ghcr.io/acme/cli@${digest(2)}`]]);
    assert.equal((await buildsForDigests(storage.db, t.workspaceId, [digest(2)])).get(digest(2))?.commit, sha);
    const again = await runCli(['build', 'finish', id, '--digest', `ghcr.io/acme/cli@${digest(1)}`, '--digest', digest(2), '--json'], env());
    assert.equal(again.code, 0, `a retried finish is fine: ${again.stderr}`);
    assert.equal(JSON.parse(again.stdout).build_id, id);
    const late = await runCli(['build', 'finish', id, '--cancelled'], env());
    assert.equal(late.code, 1);
    assert.match(late.stderr, new RegExp(`answered 409 TW_CONFLICT: build ${id} is success; it cannot move to cancelled`));
    assert.equal(late.stdout, '');
  });

  test('start --queued leaves it queued; finish --cancelled and --failed end builds', async () => {
    const queued = await runCli(['build', 'start', 'nginx', '--queued'], env());
    assert.equal(queued.code, 0, queued.stderr);
    const id = queued.stdout.trim();
    assert.deepEqual([(await build(id)).phase, (await build(id)).repository, (await build(id)).docker_tags], ['queued', 'docker.io/library/nginx', ['latest']]);
    const cancelled = await runCli(['build', 'finish', id, '--cancelled'], env());
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, `build ${id} is cancelled\n`);
    const other = (await runCli(['build', 'start', 'nginx'], env())).stdout.trim();
    const failed = await runCli(['build', 'finish', other, '--failed', 'Could not find or parse Dockerfile'], env());
    assert.equal(failed.code, 0, failed.stderr);
    assert.deepEqual([(await build(other)).phase, (await build(other)).error_message], ['failure', 'Could not find or parse Dockerfile']);
  });

  test('bad local input exits 2, refusals and unreachable servers exit 1; nothing is stored', async () => {
    const before = (await t.call('GET', '/api/v1/builds')).json().total;
    const id = '01900000-0000-7000-8000-000000000000';
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['build', 'start', 'ghcr.io/Acme/web'], env(), 2, /not a valid repository name: .*lowercase/],
      [['build', 'start', 'ghcr.io/acme/web', '--tag', '-bad'], env(), 2, /--tag "-bad" is not a Docker tag/],
      [['build', 'start', 'ghcr.io/acme/web', '--commit', 'HEAD'], env(), 2, /--commit must be a git commit id/],
      [['build', 'start', 'ghcr.io/acme/web'], { TIDEWATCH_TOKEN: t.tokens.write }, 2, /TIDEWATCH_URL is not set/],
      [['build', 'start'], env(), 2, /missing required argument/],
      [['build', 'finish', 'abc', '--cancelled'], env(), 2, /"abc" is not a build id/],
      [['build', 'finish', id], env(), 2, /say how the build ended/],
      [['build', 'finish', id, '--digest', digest(1), '--failed', 'x'], env(), 2, /only one outcome/],
      [['build', 'finish', id, '--digest', 'ghcr.io/acme/web:latest'], env(), 2, /--digest "ghcr.io\/acme\/web:latest" must be host\/path@sha256/],
      [['build', 'finish', id, '--image-id', digest(1)], env(), 2, /at least one --digest/],
      [['build', 'start', 'ghcr.io/acme/web'], env(t.tokens.read), 1, /answered 403 TW_FORBIDDEN: .*role write/],
      [['build', 'finish', id, '--cancelled'], env(), 1, /answered 404 TW_NOT_FOUND: build .* not found/],
      [['build', 'start', 'ghcr.io/acme/web'], { TIDEWATCH_URL: 'http://127.0.0.1:9', TIDEWATCH_TOKEN: t.tokens.write }, 1, /cannot reach Tidewatch at http:\/\/127.0.0.1:9/],
    ];
    for (const [args, e, code, message] of cases) {
      const r = await runCli(args, e);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
    assert.equal((await t.call('GET', '/api/v1/builds')).json().total, before);
  });
});
