import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManifestError, manifestObjects, renderManifest, type ManifestOptions } from './k8s-manifest.js';
import { toYaml, yamlScalar, type YamlValue } from './yaml-text.js';

/*
 * A reader for exactly the YAML subset the manifest uses (block maps and lists, two-space steps, plain or JSON-quoted
 * scalars, [] and {}). It throws on anything else, so a stray indentation or an unquoted special string fails here.
 */
function readYaml(text: string): YamlValue[] {
  return text.split(/^---\n/m).map((doc) => {
    const lines = doc.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#')).map((l) => {
      const indent = l.length - l.trimStart().length;
      assert.equal(indent % 2, 0, `odd indentation: ${JSON.stringify(l)}`);
      return { indent, text: l.trimStart() };
    });
    const [value, next] = block(lines, 0, 0);
    assert.equal(next, lines.length, 'trailing lines');
    return value;
  });
}

type Line = { indent: number; text: string };
function block(lines: Line[], i: number, indent: number): [YamlValue, number] {
  assert.equal(lines[i]?.indent, indent, `line ${i} should be indented ${indent}`);
  if (lines[i]!.text.startsWith('- ')) {
    const list: YamlValue[] = [];
    while (lines[i]?.indent === indent && lines[i]!.text.startsWith('- ')) {
      const rest = lines[i]!.text.slice(2);
      if (keyValue(rest) || rest.startsWith('- ')) {
        // A map or list item: its first line sits beside the dash, the others two columns further in.
        const copy = [...lines];
        copy[i] = { indent: indent + 2, text: rest };
        const [item, next] = block(copy, i, indent + 2);
        list.push(item);
        i = next;
      } else {
        list.push(scalar(rest));
        i++;
      }
    }
    return [list, i];
  }
  const map: Record<string, YamlValue> = {};
  while (lines[i]?.indent === indent) {
    const kv = keyValue(lines[i]!.text);
    assert.ok(kv, `not a key: ${lines[i]!.text}`);
    assert.ok(!(kv[0] in map), `duplicate key ${kv[0]}`);
    if (kv[1] === '') {
      const [value, next] = block(lines, i + 1, indent + 2);
      map[kv[0]] = value;
      i = next;
    } else {
      map[kv[0]] = scalar(kv[1]);
      i++;
    }
  }
  return [map, i];
}

function keyValue(text: string): [string, string] | null {
  const m = /^("(?:[^"\\]|\\.)*"|[A-Za-z][A-Za-z0-9._/-]*):(?: (.*))?$/.exec(text);
  return m ? [m[1]!.startsWith('"') ? JSON.parse(m[1]!) : m[1]!, m[2] ?? ''] : null;
}

function scalar(text: string): YamlValue {
  if (text.startsWith('"')) return JSON.parse(text);
  if (text === '[]') return [];
  if (text === '{}') return {};
  if (text === 'null') return null;
  if (text === 'true' || text === 'false') return text === 'true';
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  assert.match(text, /^[A-Za-z][A-Za-z0-9._/-]*$/, `unsafe plain scalar ${text}`);
  assert.doesNotMatch(text, /^(y|yes|n|no|on|off|true|false|null)$/i);
  return text;
}

const pem = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n';
const options = (over: Partial<ManifestOptions> = {}): ManifestOptions => ({
  cluster: 'prod-eu', url: 'https://tidewatch.example.com', webhookPath: '/api/v1/admission/s3cr3t', caBundlePem: pem,
  mutate: false, failClosed: false, ...over,
});

test('the YAML reads back to the same objects (validating, and with --mutate)', () => {
  for (const mutate of [false, true]) {
    for (const failClosed of [false, true]) {
      const o = options({ mutate, failClosed });
      assert.deepEqual(readYaml(renderManifest(o)), manifestObjects(o));
      assert.deepEqual(manifestObjects(o), JSON.parse(JSON.stringify(manifestObjects(o))));
    }
  }
});

test('the validating webhook per admission.md', () => {
  const [doc, extra] = readYaml(renderManifest(options())) as any[];
  assert.equal(extra, undefined);
  assert.equal(doc.apiVersion, 'admissionregistration.k8s.io/v1');
  assert.equal(doc.kind, 'ValidatingWebhookConfiguration');
  assert.equal(doc.metadata.annotations['tidewatch.io/cluster'], 'prod-eu');
  const [hook] = doc.webhooks;
  assert.equal(doc.webhooks.length, 1);
  assert.equal(hook.clientConfig.url, 'https://tidewatch.example.com/api/v1/admission/s3cr3t');
  assert.equal(Buffer.from(hook.clientConfig.caBundle, 'base64').toString('utf8'), pem);
  assert.deepEqual(hook.admissionReviewVersions, ['v1', 'v1beta1']);
  assert.equal(hook.sideEffects, 'NoneOnDryRun');
  assert.equal(hook.timeoutSeconds, 5);
  assert.equal(hook.failurePolicy, 'Ignore');
  assert.deepEqual(hook.namespaceSelector, {
    matchExpressions: [
      { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
      { key: 'tidewatch.io/webhook', operator: 'NotIn', values: ['ignore'] },
    ],
  });
  const ruleOf = (resource: string) => hook.rules.find((r: any) => r.resources.includes(resource));
  assert.deepEqual(ruleOf('pods').apiGroups, ['']);
  assert.deepEqual(ruleOf('pods').operations, ['CREATE', 'UPDATE', 'DELETE']);
  assert.ok(ruleOf('pods').resources.includes('pods/status'));
  const groups: Record<string, string> = {
    replicationcontrollers: '', deployments: 'apps', replicasets: 'apps', statefulsets: 'apps', daemonsets: 'apps', jobs: 'batch', cronjobs: 'batch',
  };
  for (const [resource, group] of Object.entries(groups)) {
    assert.deepEqual(ruleOf(resource).apiGroups, [group], resource);
    assert.deepEqual(ruleOf(resource).operations, ['CREATE', 'UPDATE'], resource);
  }
});

test('--fail-closed and --mutate', () => {
  const docs = readYaml(renderManifest(options({ mutate: true, failClosed: true }))) as any[];
  assert.deepEqual(docs.map((d) => d.kind), ['ValidatingWebhookConfiguration', 'MutatingWebhookConfiguration']);
  for (const d of docs) assert.equal(d.webhooks[0].failurePolicy, 'Fail');
  const pin = docs[1].webhooks[0];
  assert.equal(pin.clientConfig.url, 'https://tidewatch.example.com/api/v1/admission/s3cr3t/mutate');
  assert.equal(pin.reinvocationPolicy, 'IfNeeded');
  assert.ok(pin.rules.every((r: any) => !r.operations.includes('DELETE') && !r.resources.includes('pods/status')));
  assert.notEqual(docs[0].webhooks[0].name, pin.name);
});

test('a base URL with a path or a trailing slash joins without doubling slashes', () => {
  const url = (base: string) => (manifestObjects(options({ url: base }))[0] as any).webhooks[0].clientConfig.url;
  assert.equal(url('https://tidewatch.example.com/'), 'https://tidewatch.example.com/api/v1/admission/s3cr3t');
  assert.equal(url('https://example.com:8443/tidewatch/'), 'https://example.com:8443/tidewatch/api/v1/admission/s3cr3t');
});

test('inputs the API server would refuse are refused with a sentence', () => {
  const rows: Array<[Partial<ManifestOptions>, RegExp]> = [
    [{ url: 'http://tidewatch.example.com' }, /https/],
    [{ url: 'tidewatch.example.com' }, /absolute URL/],
    [{ url: 'https://user:pw@tidewatch.example.com' }, /credentials/],
    [{ url: 'https://tidewatch.example.com/?a=1' }, /query/],
    [{ webhookPath: 'api/v1/admission/x' }, /webhook path/],
    [{ webhookPath: '/api/v1/admission/x y' }, /webhook path/],
    [{ caBundlePem: 'not a certificate' }, /PEM certificate/],
  ];
  for (const [over, message] of rows) {
    assert.throws(() => renderManifest(options(over)), (e: unknown) => e instanceof ManifestError && message.test(e.message), message.source);
  }
});

test('strings YAML could misread are quoted and read back unchanged', () => {
  const tricky = ['yes', 'No', 'on', 'OFF', 'null', '~', '', '5', '1.0', '0x1F', '2024-01-01', 'a: b', '#x', '- x', '*', '&a', '!t',
    'https://x', 'two\nlines', ' lead', 'trail ', 'q"uote', 'back\\slash', '\u2028', '\u0085', 'ünïcode', '[x]', '{x}', '@at', '%p', '`b'];
  for (const s of tricky) {
    assert.notEqual(yamlScalar(s), s, `${JSON.stringify(s)} must be quoted`);
    assert.deepEqual(readYaml(toYaml({ key: s, list: [s] })), [{ key: s, list: [s] }], JSON.stringify(s));
  }
  for (const s of ['kube-system', 'v1', 'admissionregistration.k8s.io/v1', 'NoneOnDryRun']) assert.equal(yamlScalar(s), s);
  // A cluster name YAML could misread ends up quoted in the annotation and in the header comment.
  const o = options({ cluster: 'yes: "x"\n# y' });
  assert.deepEqual(readYaml(renderManifest(o)), manifestObjects(o));
  assert.equal((readYaml(renderManifest(o))[0] as any).metadata.annotations['tidewatch.io/cluster'], 'yes: "x"\n# y');
});

test('nested lists and empty collections', () => {
  const value: YamlValue = { a: [[1, 2], [], { b: {} }], c: {}, d: [{ e: [{ f: 'g' }] }] };
  assert.deepEqual(readYaml(toYaml(value)), [value]);
});
