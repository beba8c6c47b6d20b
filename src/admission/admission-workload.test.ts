import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionEnvironment, digestOfImageId, instanceName, workloadOf } from './admission-workload.js';
import type { AdmissionReview } from './admission-review.js';

const d = (n: number) => `sha256:${String(n).repeat(64)}`;

function review(kind: string, group: string, object: Record<string, unknown> | null, extra: Partial<AdmissionReview> = {}): AdmissionReview {
  return {
    apiVersion: 'admission.k8s.io/v1', uid: 'u', operation: 'CREATE', kind: { group, version: 'v1', kind },
    resource: { group, version: 'v1', resource: `${kind.toLowerCase()}s` }, subResource: null, namespace: 'payments',
    name: null, dryRun: false, object, oldObject: null, userInfo: { username: null, uid: null, groups: [], extra: {} },
    ...extra,
  };
}
const pod = (metadata: Record<string, unknown>, spec: Record<string, unknown> = { containers: [{ name: 'app', image: 'nginx:1.25' }] }, status = {}) =>
  ({ kind: 'Pod', apiVersion: 'v1', metadata, spec, status });
const podSpec = { containers: [{ name: 'app', image: 'nginx:1.25' }] };

test('digestOfImageId keeps manifest digests and drops local image IDs', () => {
  const rows: Array<[unknown, string | null]> = [
    [`docker-pullable://nginx@${d(1)}`, d(1)],
    [`docker.io/library/nginx@${d(2)}`, d(2)],
    [`registry.example.com:5000/acme/web@${d(3)}`, d(3)],
    [`docker://${d(4)}`, null], // the local image ID of an image built on the node
    [d(5), null], // a bare config digest
    ['docker-pullable://nginx@sha256:abc', null],
    ['', null],
    [null, null],
    [42, null],
  ];
  for (const [imageId, expected] of rows) assert.equal(digestOfImageId(imageId), expected, String(imageId));
});

test('a Pod status update gives each container the digest the kubelet pulled, matched by kind and name', () => {
  const spec = {
    containers: [{ name: 'app', image: 'nginx:1.25' }, { name: 'side', image: 'envoy:1' }],
    initContainers: [{ name: 'migrate', image: 'flyway:9' }],
    ephemeralContainers: [{ name: 'debug', image: 'busybox' }],
  };
  const status = {
    containerStatuses: [{ name: 'app', imageID: `docker-pullable://nginx@${d(1)}` }, { name: 'side', imageID: `docker://${d(9)}` }],
    initContainerStatuses: [{ name: 'migrate', imageID: `docker.io/library/flyway@${d(2)}` }],
    ephemeralContainerStatuses: [{ name: 'debug', imageID: `docker.io/library/busybox@${d(3)}` }, { name: 'ghost', imageID: `x@${d(4)}` }],
  };
  const w = workloadOf(review('Pod', '', pod({ name: 'web-1', uid: 'p-1' }, spec, status), { operation: 'UPDATE', subResource: 'status' }))!;
  assert.deepEqual(w.containers.map((c) => [c.kind, c.name, c.statusDigest, c.imagePath]), [
    ['container', 'app', d(1), '/spec/containers/0/image'],
    ['container', 'side', null, '/spec/containers/1/image'],
    ['init', 'migrate', d(2), '/spec/initContainers/0/image'],
    ['ephemeral', 'debug', d(3), '/spec/ephemeralContainers/0/image'],
  ]);
  assert.equal(w.podName, 'web-1');
  assert.equal(w.podUid, 'p-1');
});

test('the workload name: controller, a Deployment behind its ReplicaSet, else generateName or name', () => {
  const rs = (name: string, controller = true) => ({ apiVersion: 'apps/v1', kind: 'ReplicaSet', name, uid: 'x', controller });
  const rows: Array<[string, Record<string, unknown>, string | null]> = [
    ['ReplicaSet with the pod-template-hash', { generateName: 'web-5d8f7c9b4-', labels: { 'pod-template-hash': '5d8f7c9b4' }, ownerReferences: [rs('web-5d8f7c9b4')] }, 'web'],
    ['ReplicaSet without the label: kept whole', { generateName: 'cache-5d8f7c9b4-', ownerReferences: [rs('cache-5d8f7c9b4')] }, 'cache-5d8f7c9b4'],
    ['hash label that is not the suffix', { labels: { 'pod-template-hash': 'bbbb' }, ownerReferences: [rs('web-5d8f7c9b4')] }, 'web-5d8f7c9b4'],
    ['StatefulSet', { name: 'db-0', ownerReferences: [{ kind: 'StatefulSet', name: 'db', controller: true }] }, 'db'],
    ['the controller among owners', { name: 'x', ownerReferences: [{ kind: 'ConfigMap', name: 'cfg' }, { kind: 'Job', name: 'nightly-28000000', controller: true }] }, 'nightly-28000000'],
    ['an owner without the controller flag', { name: 'x', ownerReferences: [{ kind: 'DaemonSet', name: 'agent' }] }, 'agent'],
    ['a bare Pod named by generateName', { generateName: 'scratch-', name: 'scratch-x7k2p' }, 'scratch'],
    ['a bare Pod with a name', { name: 'debug' }, 'debug'],
    ['nothing to go by', {}, null],
  ];
  for (const [what, metadata, expected] of rows) {
    assert.equal(workloadOf(review('Pod', '', pod(metadata)))!.name, expected, what);
  }
  // request.name stands in for a Pod whose metadata has no name.
  assert.equal(workloadOf(review('Pod', '', pod({}), { name: 'from-request' }))!.name, 'from-request');
});

test('a DELETE reads oldObject', () => {
  const r = review('Pod', '', null, { operation: 'DELETE', oldObject: pod({ name: 'gone' }) });
  const w = workloadOf(r)!;
  assert.equal(w.name, 'gone');
  assert.deepEqual(w.containers.map((c) => c.image), ['nginx:1.25']);
  assert.equal(workloadOf({ ...r, oldObject: null }), null);
});

test('pod templates of every workload kind, and the kinds it does not read', () => {
  const template = { template: { spec: podSpec } };
  const rows: Array<[string, string, Record<string, unknown>, string | null]> = [
    ['Deployment', 'apps', template, '/spec/template'],
    ['Deployment', 'extensions', template, '/spec/template'],
    ['ReplicaSet', 'apps', template, '/spec/template'],
    ['StatefulSet', 'apps', template, '/spec/template'],
    ['DaemonSet', 'apps', template, '/spec/template'],
    ['Job', 'batch', template, '/spec/template'],
    ['CronJob', 'batch', { jobTemplate: { spec: template } }, '/spec/jobTemplate/spec/template'],
    ['ReplicationController', '', template, '/spec/template'],
  ];
  for (const [kind, group, spec, path] of rows) {
    const w = workloadOf(review(kind, group, { kind, metadata: { name: 'app-x' }, spec }))!;
    assert.equal(w.templatePath, path, kind);
    assert.equal(w.name, 'app-x', kind);
    assert.equal(w.podName, null, kind);
    assert.deepEqual(w.containers.map((c) => c.imagePath), [`${path}/spec/containers/0/image`], kind);
  }
  for (const [kind, group] of [['ConfigMap', ''], ['Role', 'rbac.authorization.k8s.io'], ['Deployment', 'example.com'], ['Pod', 'apps'], ['constructor', ''], ['Scale', 'autoscaling']]) {
    assert.equal(workloadOf(review(kind!, group!, { spec: { template: { spec: podSpec } } })), null, `${group}/${kind}`);
  }
});

test('images that do not parse are listed with the reason; a missing image reads as ""', () => {
  const w = workloadOf(review('Pod', '', pod({ name: 'p' }, { containers: [{ name: 'a', image: 'NGINX' }, { name: 'b' }, 'junk'] })))!;
  assert.equal(w.containers.length, 2);
  assert.equal(w.containers[0]!.reference.ok, false);
  assert.equal(w.containers[1]!.image, '');
  assert.equal(w.containers[1]!.reference.ok, false);
  assert.ok(!w.containers[1]!.reference.ok && /empty/.test(w.containers[1]!.reference.reason));
});

test('instance and environment names', () => {
  assert.equal(instanceName({ name: 'web' }, { name: 'app' }), 'web/app');
  assert.equal(instanceName({ name: null }, { name: 'app' }), null);
  assert.equal(admissionEnvironment('prod-eu', 'payments'), 'prod-eu/payments');
});

test('controlled: an object with a controller in ownerReferences, whose DELETE does not end its workload', () => {
  const owned = { name: 'web-5d8f7c', ownerReferences: [{ kind: 'Deployment', name: 'web', controller: true }] };
  const rs = workloadOf(review('ReplicaSet', 'apps', { kind: 'ReplicaSet', metadata: owned, spec: { template: { spec: podSpec } } }))!;
  assert.equal(rs.controlled, true);
  assert.equal(rs.name, 'web');
  const deployment = workloadOf(review('Deployment', 'apps', { kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { spec: podSpec } } }))!;
  assert.equal(deployment.controlled, false);
  assert.equal(workloadOf(review('Pod', '', pod({ name: 'bare' })))!.controlled, false);
  assert.equal(workloadOf(review('Pod', '', pod({ name: 'x', ownerReferences: [{ kind: 'Job', name: 'backup-1' }] })))!.controlled, true);
});
