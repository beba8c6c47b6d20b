import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { runCli } from '../../test/support/server-process.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesDir = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');
const fixture = (p: string) => path.join(fixturesDir, p);
const needed = ['trivy/trivy-golden_alpine-310.json', 'trivy/securecodebox_juice-shop-v10.2.0.json.gz', 'grype/kubevuln_nginx-1.14.1.json.gz', 'cyclonedx/bom-examples_vex-cisa-case-3_cdx1.4.json'];
const missing = needed.filter((p) => !existsSync(fixture(p)));
const skip = missing.length > 0 ? `fixtures missing under ${fixturesDir}: ${missing.join(', ')}` : false;
if (skip) console.log(`skipping scan upload CLI tests: ${skip}`);

describeEachEngine('tidewatch scan upload', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let url: string;
  let dir: string;
  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    url = await t.listen();
    dir = mkdtempSync(path.join(os.tmpdir(), 'tidewatch-scan-cli-'));
  });
  after(async () => { await t?.close(); await storage?.dispose(); if (dir) rmSync(dir, { recursive: true, force: true }); });

  const env = (token = t.tokens.write) => ({ TIDEWATCH_URL: url, TIDEWATCH_TOKEN: token });

  test('uploads a report for an image given by --image, then again: nothing new', { skip }, async () => {
    const image = `ghcr.io/cli/alpine:3.10@${digest('c1')}`;
    const first = await runCli(['scan', 'upload', fixture('trivy/trivy-golden_alpine-310.json'), '--image', image], env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^scan [0-9a-f-]{36}: 4 findings \\(new 4, resolved 0\\) for ghcr\\.io/cli/alpine@${digest('c1')}\\n$`));
    const again = await runCli(['scan', 'upload', fixture('trivy/trivy-golden_alpine-310.json'), '--image', image, '--json'], env());
    assert.equal(again.code, 0, again.stderr);
    const answer = JSON.parse(again.stdout);
    assert.deepEqual([answer.findings, answer.new, answer.resolved, answer.format], [4, 0, 0, 'trivy']);
    const scans = await storage.db.selectFrom('scans').select('id').where('digest', '=', digest('c1')).execute();
    assert.equal(scans.length, 2);
  });

  test('a .gz report is sent as it is; a large one is compressed on the way', { skip }, async () => {
    const gz = await runCli(['scan', 'upload', fixture('trivy/securecodebox_juice-shop-v10.2.0.json.gz')], env());
    assert.equal(gz.code, 0, gz.stderr);
    assert.match(gz.stdout, /: 236 findings \(new 236, resolved 0\) for docker\.io\/bkimminich\/juice-shop@sha256:b1802758/);
    const big = path.join(dir, 'nginx.json');
    writeFileSync(big, gunzipSync(readFileSync(fixture('grype/kubevuln_nginx-1.14.1.json.gz'))));
    const res = await runCli(['scan', 'upload', big], env());
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /: 456 findings \(new 456, resolved 0\) for docker\.io\/library\/nginx@sha256:32fdf92b/);
    assert.match(res.stderr, /^tidewatch: warning: the report also names digest sha256:6db649d8/);
  });

  test('a VEX document records triage decisions', { skip }, async () => {
    const res = await runCli(['scan', 'upload', fixture('cyclonedx/bom-examples_vex-cisa-case-3_cdx1.4.json')], env());
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'triage: 19 decisions recorded for the whole workspace\n');
  });

  test('exit 2 for bad local input, 1 when refused or unreachable; the message says why', { skip }, async () => {
    const notJson = path.join(dir, 'report.json');
    writeFileSync(notJson, '{"SchemaVersion": 2,');
    const fakeGz = path.join(dir, 'report.json.gz');
    writeFileSync(fakeGz, '{}');
    const good = fixture('trivy/trivy-golden_alpine-310.json');
    const pinned = `ghcr.io/cli/alpine@${digest('c2')}`;
    const cases: Array<[string[], Record<string, string>, number, RegExp]> = [
      [['scan', 'upload', path.join(dir, 'nothing.json')], env(), 2, /cannot read .*nothing\.json: ENOENT/],
      [['scan', 'upload', notJson], env(), 2, /report\.json is not JSON/],
      [['scan', 'upload', fakeGz], env(), 2, /ends in \.gz but is not gzip-compressed/],
      [['scan', 'upload', good, '--image', 'ghcr.io/cli/alpine:3.10'], env(), 2, /must be pinned by digest/],
      [['scan', 'upload', good, '--image', 'Ghcr.io/CLI@' + digest('c2')], env(), 2, /is not a valid image reference/],
      [['scan', 'upload', good, '--image', pinned], { TIDEWATCH_TOKEN: t.tokens.write }, 2, /TIDEWATCH_URL is not set/],
      [['scan', 'upload'], env(), 2, /missing required argument 'report'/],
      [['scan', 'upload', good], env(), 1, /answered 400 TW_VALIDATION: the report does not name its image by digest; pass \?image=/],
      [['scan', 'upload', good, '--image', pinned], env(t.tokens.read), 1, /answered 403 TW_FORBIDDEN: .*role write/],
      [['scan', 'upload', good, '--image', pinned], { TIDEWATCH_URL: 'http://127.0.0.1:9', TIDEWATCH_TOKEN: t.tokens.write }, 1, /cannot reach Tidewatch at http:\/\/127\.0\.0\.1:9/],
    ];
    for (const [args, e, code, message] of cases) {
      const r = await runCli(args, e);
      assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '');
    }
    const stored = await storage.db.selectFrom('scans').select('id').where('digest', '=', digest('c2')).execute();
    assert.equal(stored.length, 0);
  });
});
