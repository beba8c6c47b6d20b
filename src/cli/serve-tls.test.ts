/*
 * admission.md "Clusters": "The API server only calls webhooks over HTTPS: serve --tls-cert FILE --tls-key FILE serves
 * the whole API over TLS." The test makes its own CA and server certificate with openssl, starts the real server
 * process and talks to it over HTTPS trusting only that CA — and checks that a client that does not trust it is refused.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { fixtureFolder } from '../../test/support/fixtures.js';
import { runCli, startServer, type ServerProcess } from '../../test/support/server-process.js';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const noOpenssl = hasOpenssl ? false : 'openssl is not installed (.ci/run installs it from Debian), so the TLS tests are skipped';
const admission = fixtureFolder('k8s-admission');
const POD_REVIEW = 'connaisseur_02_pod.json';

interface Pki { dir: string; caPem: string; otherCaPem: string; cert: string; key: string; otherKey: string }

/** A CA, a server certificate it signs for IP 127.0.0.1, and an unrelated CA (and key) for the negative cases. */
function makePki(): Pki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-tls-'));
  const at = (f: string) => path.join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  for (const name of ['ca', 'other-ca']) {
    ssl('req', '-x509', ...ec, '-keyout', at(`${name}.key`), '-out', at(`${name}.pem`), '-days', '2', '-subj', `/CN=Tidewatch test ${name}`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
  }
  ssl('req', ...ec, '-keyout', at('server.key'), '-out', at('server.csr'), '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(at('server.ext'), 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  ssl('x509', '-req', '-in', at('server.csr'), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-CAcreateserial',
    '-out', at('server.pem'), '-days', '2', '-extfile', at('server.ext'));
  return {
    dir, caPem: fs.readFileSync(at('ca.pem'), 'utf8'), otherCaPem: fs.readFileSync(at('other-ca.pem'), 'utf8'),
    cert: at('server.pem'), key: at('server.key'), otherKey: at('other-ca.key'),
  };
}

describeEachEngine('serve over TLS', (engine) => {
  let storage: TestStorage;
  let pki: Pki;
  let server: ServerProcess | undefined;
  let base: string;
  let trusting: Agent;
  const token = `tw_${'T'.repeat(43)}`;

  before(async () => {
    storage = await openTestStorage(engine);
    if (!hasOpenssl) return;
    pki = makePki();
    server = await startServer({ ...storage.env, TIDEWATCH_BOOTSTRAP_TOKEN: token }, ['--tls-cert', pki.cert, '--tls-key', pki.key]);
    base = server.url.replace(/^http:/, 'https:');
    trusting = new Agent({ connect: { ca: pki.caPem } });
  });
  after(async () => {
    if (server) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await trusting?.close();
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
    await storage.dispose();
  });

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown, auth = true) => {
    const res = await request(url, {
      method,
      dispatcher: trusting,
      headers: { ...(auth ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.statusCode, json: await res.body.json() as any };
  };

  test('the server says it listens on https', { skip: noOpenssl }, () => {
    assert.match(server!.stdout(), /"msg":"tidewatch listening"/);
    assert.match(server!.stdout(), /"url":"https:\/\/127\.0\.0\.1:\d+"/);
    assert.match(server!.stdout(), /"tls":true/);
  });

  test('/healthz and an authenticated API call over HTTPS, trusting only the test CA', { skip: noOpenssl }, async () => {
    const health = await call('GET', `${base}/healthz`, undefined, false);
    assert.equal(health.status, 200);
    const created = await call('POST', `${base}/api/v1/clusters`, { name: 'tls-cluster' });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    // The public URL defaults to the https address when TLS is on (with --port 0, the port asked for: 0).
    assert.match(created.json.webhook_url, /^https:\/\/127\.0\.0\.1:0\/api\/v1\/admission\/twk_/);
    const listed = await call('GET', `${base}/api/v1/clusters`);
    assert.deepEqual(listed.json.clusters.map((c: { name: string }) => c.name), ['tls-cluster']);
  });

  test('an AdmissionReview sent to the cluster\'s webhook URL over HTTPS is answered', { skip: noOpenssl || admission.needs(POD_REVIEW).skip }, async () => {
    const created = await call('POST', `${base}/api/v1/clusters`, { name: 'tls-review' });
    assert.equal(created.status, 201);
    const review = admission.load(POD_REVIEW);
    // The server listens on a port picked at start (--port 0), which its public URL cannot know.
    const answer = await call('POST', `${base}${new URL(created.json.webhook_url).pathname}`, review, false);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    assert.equal(answer.json.kind, 'AdmissionReview');
    assert.equal(answer.json.apiVersion, review.apiVersion);
    assert.equal(answer.json.response.uid, review.request.uid);
    assert.equal(answer.json.response.allowed, true);
  });

  test('a client that does not trust the CA is refused, and so is plain HTTP', { skip: noOpenssl }, async () => {
    const untrusted = new Agent({ connect: { ca: pki.otherCaPem } });
    try {
      for (const dispatcher of [untrusted, undefined]) {
        await assert.rejects(
          request(`${base}/healthz`, dispatcher ? { dispatcher } : {}),
          (e: NodeJS.ErrnoException) => /SELF_SIGNED|UNABLE_TO_VERIFY|CERT/.test(String(e.code ?? e.message)),
        );
      }
    } finally {
      await untrusted.close();
    }
    // Plain HTTP to the TLS port gets no API answer.
    const plain = await request(`${base.replace(/^https:/, 'http:')}/healthz`).then((r) => r.statusCode, () => 'refused');
    assert.notEqual(plain, 200);
  });
});

// These stop before the database is opened, so they run once, not per engine.
test('one file without the other, an unreadable file or a key of another certificate: exit 2, one line, no server', { skip: noOpenssl }, async () => {
  const pki = makePki();
  const env = { TIDEWATCH_DATA_DIR: path.join(pki.dir, 'data') };
  try {
    const rows: Array<[string, string[], Record<string, string>, RegExp]> = [
      ['only --tls-cert', ['--tls-cert', pki.cert], {}, /--tls-cert \(TIDEWATCH_TLS_CERT\) needs --tls-key/],
      ['only --tls-key', ['--tls-key', pki.key], {}, /--tls-key \(TIDEWATCH_TLS_KEY\) needs --tls-cert/],
      ['only TIDEWATCH_TLS_CERT', [], { TIDEWATCH_TLS_CERT: pki.cert }, /needs --tls-key/],
      ['a missing key file', ['--tls-cert', pki.cert, '--tls-key', path.join(pki.dir, 'nope.key')], {}, /--tls-key .*nope\.key cannot be read: ENOENT/],
      ['a directory as the certificate', ['--tls-cert', pki.dir, '--tls-key', pki.key], {}, /--tls-cert .* cannot be read: EISDIR/],
      ['the key of another certificate', ['--tls-cert', pki.cert, '--tls-key', pki.otherKey], {}, /are not a PEM certificate and its private key/],
      ['a key as the certificate', ['--tls-cert', pki.key, '--tls-key', pki.key], {}, /are not a PEM certificate and its private key/],
    ];
    for (const [what, args, extra, message] of rows) {
      const r = await runCli(['serve', '--port', '0', ...args], { ...env, ...extra });
      assert.equal(r.code, 2, `${what}: ${r.stderr}`);
      assert.match(r.stderr, message, what);
      assert.equal(r.stderr.trim().split('\n').length, 1, `${what}: one line`);
      assert.doesNotMatch(r.stdout, /tidewatch listening/, what);
    }
    assert.ok(!fs.existsSync(env.TIDEWATCH_DATA_DIR), 'no database was created');
  } finally {
    fs.rmSync(pki.dir, { recursive: true, force: true });
  }
});
