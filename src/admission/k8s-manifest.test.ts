/*
 * admission.md "Clusters": what `tidewatch k8s manifest` prints, read back with a real YAML library (the `yaml`
 * package) in both YAML 1.2 and the YAML 1.1 that Kubernetes' reader (sigs.k8s.io/yaml) speaks, and checked field by
 * field for both failure policies, with and without --mutate.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { ManifestError, manifestObjects, renderManifest, type ManifestOptions } from './k8s-manifest.js';
import { toYaml, yamlScalar, type YamlValue } from './yaml-text.js';

/** Every document of a YAML stream; fails on any parse error or warning, and checks YAML 1.1 reads it the same. */
function readYaml(text: string): any[] {
  const read = (version: '1.1' | '1.2') => parseAllDocuments(text, { version, strict: true, uniqueKeys: true }).map((doc) => {
    assert.deepEqual(doc.errors, [], `YAML ${version} errors`);
    assert.deepEqual(doc.warnings, [], `YAML ${version} warnings`);
    return doc.toJS();
  });
  const docs = read('1.2');
  assert.deepEqual(read('1.1'), docs, 'YAML 1.1 (Kubernetes) reads the same values as YAML 1.2');
  return docs;
}

const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
const options = (over: Partial<ManifestOptions> = {}): ManifestOptions => ({
  cluster: 'prod-eu', url: 'https://tidewatch.example.com', webhookPath: '/api/v1/admission/s3cr3t', caBundlePem: pem,
  mutate: false, failClosed: false, ...over,
});

const workloadGroups: Record<string, string> = {
  replicationcontrollers: '', deployments: 'apps', replicasets: 'apps', statefulsets: 'apps', daemonsets: 'apps', jobs: 'batch', cronjobs: 'batch',
};
const namespaceSelector = {
  matchExpressions: [
    { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
    { key: 'tidewatch.io/webhook', operator: 'NotIn', values: ['ignore'] },
  ],
};

/** The fields admission.md names, common to both webhooks. */
function assertCommon(hook: any, url: string, failurePolicy: string): void {
  assert.equal(hook.clientConfig.url, url);
  assert.equal(hook.clientConfig.caBundle, Buffer.from(pem, 'utf8').toString('base64'), 'caBundle is the base64 of the CA file');
  assert.equal(hook.clientConfig.service, undefined, 'a URL, not a service reference');
  assert.deepEqual(hook.admissionReviewVersions, ['v1', 'v1beta1']);
  assert.equal(hook.sideEffects, 'NoneOnDryRun');
  assert.equal(hook.timeoutSeconds, 5);
  assert.equal(typeof hook.timeoutSeconds, 'number');
  assert.equal(hook.failurePolicy, failurePolicy);
  assert.deepEqual(hook.namespaceSelector, namespaceSelector);
  for (const rule of hook.rules) {
    assert.deepEqual(rule.apiVersions, ['*']);
    assert.equal(rule.scope, 'Namespaced');
  }
}

const ruleOf = (hook: any, resource: string) => {
  const found = hook.rules.filter((r: any) => r.resources.includes(resource));
  assert.equal(found.length, 1, `exactly one rule for ${resource}`);
  return found[0];
};

for (const mutate of [false, true]) {
  for (const failClosed of [false, true]) {
    test(`every field admission.md names (${mutate ? 'with' : 'without'} --mutate, failurePolicy ${failClosed ? 'Fail' : 'Ignore'})`, () => {
      const o = options({ mutate, failClosed });
      const docs = readYaml(renderManifest(o));
      assert.deepEqual(docs, manifestObjects(o) as unknown, 'the YAML holds exactly the objects');
      assert.deepEqual(docs.map((d) => d.kind), mutate ? ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration'] : ['ValidatingWebhookConfiguration']);
      const failurePolicy = failClosed ? 'Fail' : 'Ignore';
      for (const doc of docs) {
        assert.equal(doc.apiVersion, 'admissionregistration.k8s.io/v1');
        assert.equal(doc.metadata.name, 'tidewatch');
        assert.equal(doc.metadata.annotations['tidewatch.io/cluster'], 'prod-eu');
        assert.equal(doc.webhooks.length, 1);
      }

      const check = docs[0].webhooks[0];
      assert.match(check.name, /^[a-z0-9.-]+\.[a-z]+$/, 'a webhook name is a qualified DNS name');
      assertCommon(check, 'https://tidewatch.example.com/api/v1/admission/s3cr3t', failurePolicy);
      const pods = ruleOf(check, 'pods');
      assert.deepEqual(pods.apiGroups, ['']);
      assert.deepEqual(pods.operations, ['CREATE', 'UPDATE', 'DELETE']);
      assert.ok(pods.resources.includes('pods/status'), 'pods/status: the kubelet reports the digest it pulled');
      for (const [resource, group] of Object.entries(workloadGroups)) {
        const rule = ruleOf(check, resource);
        assert.deepEqual(rule.apiGroups, [group], resource);
        assert.deepEqual(rule.operations, ['CREATE', 'UPDATE'], resource);
      }

      if (mutate) {
        const pin = docs[1].webhooks[0];
        assert.notEqual(pin.name, check.name);
        assertCommon(pin, 'https://tidewatch.example.com/api/v1/admission/s3cr3t/mutate', failurePolicy);
        assert.equal(pin.reinvocationPolicy, 'IfNeeded');
        assert.deepEqual(ruleOf(pin, 'pods').operations, ['CREATE', 'UPDATE']);
        for (const [resource, group] of Object.entries(workloadGroups)) {
          assert.deepEqual(ruleOf(pin, resource).apiGroups, [group], resource);
          assert.deepEqual(ruleOf(pin, resource).operations, ['CREATE', 'UPDATE'], resource);
        }
        assert.ok(pin.rules.every((r: any) => !r.operations.includes('DELETE') && !r.resources.includes('pods/status')));
      }
    });
  }
}

test('a base URL with a path or a trailing slash joins without doubling slashes', () => {
  const url = (base: string) => readYaml(renderManifest(options({ url: base })))[0].webhooks[0].clientConfig.url;
  assert.equal(url('https://tidewatch.example.com/'), 'https://tidewatch.example.com/api/v1/admission/s3cr3t');
  assert.equal(url('https://example.com:8443/tidewatch/'), 'https://example.com:8443/tidewatch/api/v1/admission/s3cr3t');
});

test('inputs the API server would refuse are refused with a sentence', () => {
  const rows: Array<[Partial<ManifestOptions>, RegExp]> = [
    [{ url: 'http://tidewatch.example.com' }, /https/],
    [{ url: 'tidewatch.example.com' }, /absolute URL/],
    [{ url: 'https://user:pw@tidewatch.example.com' }, /credentials/],
    [{ url: 'https://tidewatch.example.com/?a=1' }, /query/],
    [{ url: 'https://tidewatch.example.com/#x' }, /fragment/],
    [{ webhookPath: 'api/v1/admission/x' }, /webhook path/],
    [{ webhookPath: '/api/v1/admission/x y' }, /webhook path/],
    [{ caBundlePem: 'not a certificate' }, /PEM certificate/],
  ];
  for (const [over, message] of rows) {
    assert.throws(() => renderManifest(options(over)), (e: unknown) => e instanceof ManifestError && message.test(e.message), message.source);
  }
});

test('strings YAML could misread are quoted and read back unchanged, in YAML 1.1 and 1.2', () => {
  const tricky = ['yes', 'No', 'on', 'OFF', 'y', 'n', 'null', '~', '', '5', '1.0', '0x1F', '0o17', '1_000', '2024-01-01', 'a: b', '#x', '- x', '*', '&a', '!t',
    'https://x', 'two\nlines', ' lead', 'trail ', 'q"uote', 'back\\slash', '\u2028', '\u0085', 'ünïcode', '[x]', '{x}', '@at', '%p', '`b', '.inf', '.NaN', '<<'];
  for (const s of tricky) {
    assert.notEqual(yamlScalar(s), s, `${JSON.stringify(s)} must be quoted`);
    assert.deepEqual(readYaml(toYaml({ key: s, list: [s] })), [{ key: s, list: [s] }], JSON.stringify(s));
  }
  for (const s of ['kube-system', 'v1', 'admissionregistration.k8s.io/v1', 'NoneOnDryRun']) assert.equal(yamlScalar(s), s);
  // A cluster name YAML could misread ends up quoted in the annotation and in the header comment.
  const o = options({ cluster: 'yes: "x"\n# y' });
  assert.deepEqual(readYaml(renderManifest(o)), manifestObjects(o));
  assert.equal(readYaml(renderManifest(o))[0].metadata.annotations['tidewatch.io/cluster'], 'yes: "x"\n# y');
});

test('nested lists and empty collections', () => {
  const value: YamlValue = { a: [[1, 2], [], { b: {} }], c: {}, d: [{ e: [{ f: 'g' }] }], n: null, t: true, z: 0 };
  assert.deepEqual(readYaml(toYaml(value)), [value]);
});
