import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AdmissionError, admissionResponse, readAdmissionReview, workloadOf, type AdmissionReview,
} from './admission-review.js';
import { fixtureFolder } from '../../test/support/fixtures.js';
import { mutations } from '../../test/support/mutations.js';

const { files, skip, needs, load } = fixtureFolder('k8s-admission');

// What SOURCES.md and a reading of each file say, written out here rather than borrowed from the reader.
interface Expected {
  apiVersion: string;
  uid: string;
  operation: string;
  kind: string;
  namespace: string | null;
  name: string | null;
  /** null: a kind the webhook does not read. */
  workload: null | {
    name: string;
    templatePath: string | null;
    /** [container name, kind, image, canonical repository, tag, digest] */
    containers: Array<[string, string, string, string, string | null, string | null]>;
  };
}
const charlie = 'sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff';
const ones = `sha256:${'1'.repeat(64)}`;
const charliePod = (extra: Array<[string, string, string, string, string | null, string | null]>): Expected => ({
  apiVersion: 'admission.k8s.io/v1', uid: '0c3331b6-1812-11ea-b3fc-02897404852e', operation: 'CREATE', kind: 'Pod',
  namespace: 'test-connaisseur', name: null,
  workload: {
    // The owner is ReplicaSet charlie-deployment-76fbf58b7d and the Pod's pod-template-hash label is 76fbf58b7d.
    name: 'charlie-deployment', templatePath: null,
    containers: [
      ['test-connaisseur', 'container', `securesystemsengineering/charlie-image@${charlie}`, 'docker.io/securesystemsengineering/charlie-image', null, charlie],
      ...extra,
    ],
  },
});
const documented: Record<string, Expected> = {
  'connaisseur_01_deployment.json': {
    apiVersion: 'admission.k8s.io/v1beta1', uid: '3a3a7b38-5512-4a85-94bb-3562269e0a6a', operation: 'CREATE',
    kind: 'Deployment', namespace: 'test-connaisseur', name: null,
    workload: {
      name: 'charlie-deployment', templatePath: '/spec/template',
      containers: [['test-connaisseur', 'container', 'securesystemsengineering/alice-image:test', 'docker.io/securesystemsengineering/alice-image', 'test', null]],
    },
  },
  'connaisseur_02_pod.json': charliePod([]),
  'connaisseur_04_cronjob.json': {
    apiVersion: 'admission.k8s.io/v1beta1', uid: '1d5c9e9a-a985-41ef-b87f-4bc6057e94a2', operation: 'CREATE',
    kind: 'CronJob', namespace: 'connaisseur', name: 'yooob',
    workload: {
      name: 'yooob', templatePath: '/spec/jobTemplate/spec/template',
      containers: [['yooob', 'container', 'busybox', 'docker.io/library/busybox', null, null]],
    },
  },
  'connaisseur_09_dply_multi_image.json': {
    apiVersion: 'admission.k8s.io/v1beta1', uid: '4784c1dc-553f-4d53-a8d3-23c4bda880b6', operation: 'CREATE',
    kind: 'Deployment', namespace: 'connaisseur', name: 'test',
    workload: {
      name: 'test', templatePath: '/spec/template',
      containers: [
        ['redis', 'container', 'redis:alpine', 'docker.io/library/redis', 'alpine', null],
        ['mysql', 'container', 'mysql:8', 'docker.io/library/mysql', '8', null],
        ['init', 'init', 'busybox:1.32', 'docker.io/library/busybox', '1.32', null],
      ],
    },
  },
  'connaisseur_10_update.json': {
    apiVersion: 'admission.k8s.io/v1', uid: '6418f614-b7f1-4c57-94bf-14fc30b2d791', operation: 'UPDATE',
    kind: 'ReplicaSet', namespace: 'default', name: 'test-58d59c69bf',
    workload: {
      name: 'test', templatePath: '/spec/template', // its controller, Deployment "test"
      containers: [['nginx', 'container', `docker.io/library/redis:latest@${ones}`, 'docker.io/library/redis', 'latest', ones]],
    },
  },
  'connaisseur_11_role.json': {
    apiVersion: 'admission.k8s.io/v1', uid: 'a13ec2e3-9c34-4fb7-9522-b191691b70e1', operation: 'CREATE', kind: 'Role',
    namespace: 'connaisseur', name: 'pod-reader', workload: null,
  },
  'connaisseur_19_pod_initcontainer.json': charliePod([['my-initcontainer', 'init', 'nginx', 'docker.io/library/nginx', null, null]]),
  'connaisseur_20_pod_ephemeralcontainer.json': charliePod([['my-initcontainer', 'ephemeral', 'nginx', 'docker.io/library/nginx', null, null]]),
};
const ALL_FIELDS = 'k8s-api_admission.k8s.io.v1.AdmissionReview_all-fields.json';

// The pod template of each kind, written again so the test does not borrow the reader's table.
const templateOf: Record<string, string[]> = {
  Pod: [], Deployment: ['spec', 'template'], ReplicaSet: ['spec', 'template'], CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};
function rawImages(json: any): string[] {
  const path = templateOf[json.request.kind.kind];
  if (!path) return [];
  const spec = path.reduce((node, key) => node[key], json.request.object).spec;
  return ['containers', 'initContainers', 'ephemeralContainers'].flatMap((f) => (spec[f] ?? []).map((c: any) => c.image));
}

test('every k8s-admission fixture is read as documented', { skip }, () => {
  for (const file of files.filter((f) => f !== ALL_FIELDS)) {
    const expected = documented[file];
    assert.ok(expected, `${file} has no expectations in this test: add them`);
    const json = load(file);
    const review = readAdmissionReview(json);
    assert.equal(review.apiVersion, expected.apiVersion, file);
    assert.equal(review.uid, expected.uid, file);
    assert.equal(review.operation, expected.operation, file);
    assert.equal(review.kind.kind, expected.kind, file);
    assert.equal(review.namespace, expected.namespace, file);
    assert.equal(review.name, expected.name, file);
    assert.equal(review.dryRun, false, file);
    const workload = workloadOf(review);
    if (expected.workload === null) {
      assert.equal(workload, null, file);
      continue;
    }
    assert.ok(workload, file);
    assert.equal(workload.name, expected.workload.name, file);
    assert.equal(workload.templatePath, expected.workload.templatePath, file);
    assert.equal(workload.isPod, expected.kind === 'Pod', file);
    const found = workload.containers.map((c) => [
      c.name, c.kind, c.image, c.reference.ok ? c.reference.ref.repository : c.reference.reason,
      c.reference.ok ? c.reference.ref.tag : null, c.reference.ok ? c.reference.ref.digest : null,
    ]);
    assert.deepEqual(found, expected.workload.containers, file);
    assert.deepEqual(workload.containers.map((c) => c.image).sort(), rawImages(json).sort(), `${file}: images of the raw JSON`);
    // Each imagePath points at the image it was read from.
    for (const c of workload.containers) {
      const value = c.imagePath.split('/').slice(1).reduce((node: any, key) => node[key], json.request.object);
      assert.equal(value, c.image, `${file} ${c.imagePath}`);
    }
  }
});

test('capture quirks: oldObject "None", "", null and {} read as no object; a dryRun outside request is ignored', { skip }, () => {
  assert.equal(readAdmissionReview(load('connaisseur_04_cronjob.json')).oldObject, null);
  assert.equal(readAdmissionReview(load('connaisseur_09_dply_multi_image.json')).oldObject, null);
  assert.equal(readAdmissionReview(load('connaisseur_11_role.json')).oldObject, null);
  assert.equal(readAdmissionReview(load('connaisseur_02_pod.json')).oldObject, null);
  const update = readAdmissionReview(load('connaisseur_10_update.json'));
  assert.equal((update.oldObject?.metadata as any).name, 'test-58d59c69bf');
  assert.equal(update.userInfo.username, 'system:serviceaccount:kube-system:deployment-controller');
  // A CronJob's images sit at its job template's pod template.
  const cron = workloadOf(readAdmissionReview(load('connaisseur_04_cronjob.json')))!;
  assert.equal(cron.containers[0]!.imagePath, '/spec/jobTemplate/spec/template/spec/containers/0/image');
});

test('the all-fields fixture: operationValue is refused; every other field is read', needs(ALL_FIELDS), () => {
  const json = load(ALL_FIELDS);
  assert.throws(() => readAdmissionReview(json), (e: unknown) =>
    e instanceof AdmissionError && /request\.operation must be "CREATE", "UPDATE", "DELETE" or "CONNECT", but it is the string "operationValue"/.test(e.message));
  const review = readAdmissionReview({ ...json, request: { ...json.request, operation: 'UPDATE' } });
  assert.deepEqual({ ...review, object: null, oldObject: null }, {
    apiVersion: 'admission.k8s.io/v1', uid: 'uidValue', operation: 'UPDATE',
    kind: { group: 'groupValue', version: 'versionValue', kind: 'kindValue' },
    resource: { group: 'groupValue', version: 'versionValue', resource: 'resourceValue' },
    subResource: 'subResourceValue', namespace: 'namespaceValue', name: 'nameValue', dryRun: true,
    object: null, oldObject: null,
    userInfo: { username: 'usernameValue', uid: 'uidValue', groups: ['groupsValue'], extra: { extraKey: ['extraValue'] } },
  } satisfies AdmissionReview);
  assert.equal(review.object?.kind, 'CustomType');
  assert.equal(review.oldObject?.kind, 'CustomType');
  assert.equal(workloadOf(review), null);
});

const minimal = (request: Record<string, unknown> = {}, envelope: Record<string, unknown> = {}) => ({
  apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', ...envelope,
  request: {
    uid: 'u-1', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
    operation: 'CREATE', ...request,
  },
});

test('bodies that are not an AdmissionReview are refused with a sentence naming the field', () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /the body must be a JSON object, but it is null/],
    [[], /the body must be a JSON object, but it is an array/],
    [{ ...minimal(), kind: 'Pod' }, /kind must be "AdmissionReview", but it is the string "Pod"/],
    [{ ...minimal(), apiVersion: 'admission.k8s.io/v2' }, /apiVersion must be "admission.k8s.io\/v1" or "admission.k8s.io\/v1beta1"/],
    [{ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, /request must be an object, but it is missing/],
    [minimal({ uid: undefined }), /request\.uid must be a non-empty string, but it is missing/],
    [minimal({ uid: '' }), /request\.uid must be a non-empty string/],
    [minimal({ kind: undefined }), /request\.kind must be an object, but it is missing/],
    [minimal({ kind: { version: 'v1' } }), /request\.kind\.kind must be a non-empty string/],
    [minimal({ resource: { group: 5, version: 'v1', resource: 'pods' } }), /request\.resource\.group must be a string, but it is 5/],
    [minimal({ operation: 'PATCH' }), /request\.operation must be/],
    [minimal({ dryRun: 'yes' }), /request\.dryRun must be true or false/],
    [minimal({ namespace: 7 }), /request\.namespace must be a string/],
  ];
  for (const [body, message] of cases) {
    assert.throws(() => readAdmissionReview(body), (e: unknown) => e instanceof AdmissionError && message.test(e.message), message.source);
  }
});

test('a minimal v1beta1 review reads with defaults (core group left out, no dryRun, no userInfo)', () => {
  const review = readAdmissionReview(minimal({ kind: { version: 'v1', kind: 'Pod' } }, { apiVersion: 'admission.k8s.io/v1beta1' }));
  assert.equal(review.kind.group, '');
  assert.equal(review.dryRun, false);
  assert.deepEqual(review.userInfo, { username: null, uid: null, groups: [], extra: {} });
  assert.equal(readAdmissionReview(minimal({ dryRun: true })).dryRun, true);
  // A key named __proto__ stays data, never the prototype of what is returned.
  const odd = readAdmissionReview(JSON.parse(JSON.stringify(minimal()).replace('"CREATE"', '"CREATE","userInfo":{"extra":{"__proto__":["x"]}}')));
  assert.equal(Object.getPrototypeOf(odd.userInfo.extra), Object.prototype);
  assert.deepEqual(Object.keys(odd.userInfo.extra), ['__proto__']);
});

test('wrongly typed nodes anywhere give an AdmissionError or a review, never a TypeError', { skip }, () => {
  for (const file of files) {
    for (const mutated of mutations(load(file))) {
      try {
        workloadOf(readAdmissionReview(mutated));
      } catch (e) {
        assert.ok(e instanceof AdmissionError, `${file}: ${String(e)}`);
      }
    }
  }
});

test('the answer keeps the review apiVersion and uid', () => {
  for (const apiVersion of ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const) {
    assert.deepEqual(admissionResponse({ apiVersion, uid: 'abc' }, { allowed: true }), {
      apiVersion, kind: 'AdmissionReview', response: { uid: 'abc', allowed: true },
    });
  }
});

test('a v1beta1 fixture is answered in v1beta1', needs('connaisseur_01_deployment.json'), () => {
  const review = readAdmissionReview(load('connaisseur_01_deployment.json'));
  const answer = admissionResponse(review, { allowed: true, warnings: ['w'] });
  assert.equal(answer.apiVersion, 'admission.k8s.io/v1beta1');
  assert.equal(answer.response.uid, '3a3a7b38-5512-4a85-94bb-3562269e0a6a');
  assert.deepEqual(answer.response.warnings, ['w']);
});

test('a refusal carries status 403 with the message, and warnings; never a patch', () => {
  const op = { op: 'replace' as const, path: '/spec/containers/0/image', value: 'x' };
  const answer = admissionResponse({ apiVersion: 'admission.k8s.io/v1', uid: 'u' }, {
    allowed: false, message: 'prod-gate: nginx has no scan', warnings: ['staging-gate: nginx has no scan'], patch: [op],
  });
  assert.deepEqual(answer.response, {
    uid: 'u', allowed: false, status: { code: 403, message: 'prod-gate: nginx has no scan' },
    warnings: ['staging-gate: nginx has no scan'],
  });
  const noMessage = admissionResponse({ apiVersion: 'admission.k8s.io/v1', uid: 'u' }, { allowed: false });
  assert.equal(noMessage.response.status?.code, 403);
  assert.ok(noMessage.response.status?.message);
});

test('a patch is sent as base64 JSONPatch; an empty one is not sent', () => {
  const ops = [{ op: 'replace' as const, path: '/spec/containers/0/image', value: `nginx:1@sha256:${'a'.repeat(64)}` }];
  const answer = admissionResponse({ apiVersion: 'admission.k8s.io/v1', uid: 'u' }, { allowed: true, patch: ops });
  assert.equal(answer.response.patchType, 'JSONPatch');
  assert.deepEqual(JSON.parse(Buffer.from(answer.response.patch!, 'base64').toString('utf8')), ops);
  const empty = admissionResponse({ apiVersion: 'admission.k8s.io/v1', uid: 'u' }, { allowed: true, patch: [], warnings: [] });
  assert.deepEqual(empty.response, { uid: 'u', allowed: true });
});
