/* `tidewatch k8s manifest` (admission.md "Clusters"): runs the real command and parses what it prints. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../../test/support/server-process.js';

const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUTidewatchTestCA\n-----END CERTIFICATE-----\n';
const secret = `twk_${'A1b2_C3d4-'.repeat(4)}xyz`;
let dir: string;
let caFile: string;
let notPem: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-k8s-'));
  caFile = path.join(dir, 'ca.pem');
  fs.writeFileSync(caFile, pem);
  notPem = path.join(dir, 'key.txt');
  fs.writeFileSync(notPem, 'just some text\n');
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const base = () => ['k8s', 'manifest', '--cluster', 'prod-eu', '--url', 'https://tidewatch.example.com', '--ca-file', caFile];
const parse = (text: string) => parseAllDocuments(text, { version: '1.1', strict: true }).map((d) => {
  assert.deepEqual(d.errors, []);
  return d.toJS();
});

test('prints the validating webhook with the secret from TIDEWATCH_CLUSTER_SECRET; --mutate and --fail-closed add to it', async () => {
  const plain = await runCli(base(), { TIDEWATCH_CLUSTER_SECRET: secret });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stderr, '');
  const [doc, ...rest] = parse(plain.stdout);
  assert.equal(rest.length, 0);
  assert.equal(doc.kind, 'ValidatingWebhookConfiguration');
  const hook = doc.webhooks[0];
  assert.equal(hook.clientConfig.url, `https://tidewatch.example.com/api/v1/admission/${secret}`);
  assert.equal(hook.clientConfig.caBundle, Buffer.from(pem).toString('base64'));
  assert.equal(hook.failurePolicy, 'Ignore');
  assert.deepEqual(hook.admissionReviewVersions, ['v1', 'v1beta1']);
  assert.equal(hook.sideEffects, 'NoneOnDryRun');
  assert.equal(hook.timeoutSeconds, 5);

  const both = await runCli([...base(), '--mutate', '--fail-closed', '--secret', secret]);
  assert.equal(both.code, 0, both.stderr);
  const docs = parse(both.stdout);
  assert.deepEqual(docs.map((d) => d.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
  assert.deepEqual(docs.map((d) => d.webhooks[0].failurePolicy), ['Fail', 'Fail']);
  assert.equal(docs[1].webhooks[0].clientConfig.url, `https://tidewatch.example.com/api/v1/admission/${secret}/mutate`);
});

test('--secret wins over TIDEWATCH_CLUSTER_SECRET', async () => {
  const other = `twk_${'z'.repeat(43)}`;
  const r = await runCli([...base(), '--secret', other], { TIDEWATCH_CLUSTER_SECRET: secret });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(parse(r.stdout)[0].webhooks[0].clientConfig.url, `https://tidewatch.example.com/api/v1/admission/${other}`);
});

test('bad input exits 2 with one line saying what to fix, and prints no manifest', async () => {
  const rows: Array<[string, string[], Record<string, string>, RegExp]> = [
    ['no secret', base(), {}, /TIDEWATCH_CLUSTER_SECRET/],
    ['a secret with a slash', [...base(), '--secret', 'twk_abc/def/ghi/jkl/mno'], {}, /webhook secret must be/],
    ['an http URL', ['k8s', 'manifest', '--cluster', 'prod-eu', '--url', 'http://tidewatch.example.com', '--ca-file', caFile, '--secret', secret], {}, /https/],
    ['a missing CA file', ['k8s', 'manifest', '--cluster', 'prod-eu', '--url', 'https://t.example.com', '--ca-file', '/nonexistent/ca.pem', '--secret', secret], {}, /--ca-file \/nonexistent\/ca\.pem cannot be read/],
    ['a CA file that is no certificate', ['k8s', 'manifest', '--cluster', 'prod-eu', '--url', 'https://t.example.com', '--ca-file', notPem, '--secret', secret], {}, /PEM certificate/],
    ['a bad cluster name', ['k8s', 'manifest', '--cluster', 'Prod EU', '--url', 'https://t.example.com', '--ca-file', caFile, '--secret', secret], {}, /--cluster must be/],
    ['no --url', ['k8s', 'manifest', '--cluster', 'prod-eu', '--ca-file', caFile, '--secret', secret], {}, /--url/],
    ['an unknown flag', [...base(), '--secret', secret, '--namespace', 'x'], {}, /unknown option/],
  ];
  for (const [what, args, env, message] of rows) {
    const r = await runCli(args, env);
    assert.equal(r.code, 2, `${what}: ${r.stderr}`);
    assert.equal(r.stdout, '', what);
    assert.match(r.stderr, message, what);
  }
});
