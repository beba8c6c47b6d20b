import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admissionResponse, readAdmissionReview, workloadOf, type AdmissionReview } from './admission-review.js';
import { pinningPatch, type JsonPatchOperation, type TagResolver } from './image-pinning.js';
import { fixtureFolder } from '../../test/support/fixtures.js';

const { load, needs } = fixtureFolder('k8s-admission');
const d = (n: number) => `sha256:${String(n).repeat(64)}`;

// Tidewatch's tag history, as far as these tests need it.
const tags = new Map<string, string>([
  ['docker.io/securesystemsengineering/alice-image:test', d(1)],
  ['docker.io/library/redis:alpine', d(2)],
  ['docker.io/library/busybox:1.32', d(3)],
  ['docker.io/library/busybox:latest', d(4)],
  ['docker.io/library/nginx:latest', d(5)],
  ['docker.io/library/nginx:1.25', d(6)],
  // mysql:8 is not known: it stays a tag.
]);
const resolve: TagResolver = (ref) => tags.get(`${ref.repository}:${ref.tag}`) ?? null;

/** RFC 6902 `replace` only, enough for these patches: the path must exist. */
function applyPatch(doc: unknown, ops: JsonPatchOperation[]): unknown {
  const copy = structuredClone(doc);
  for (const op of ops) {
    assert.equal(op.op, 'replace');
    const keys = op.path.split('/').slice(1).map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = keys.pop()!;
    const parent = keys.reduce((node: any, key) => node?.[key], copy) as any;
    assert.ok(parent && Object.hasOwn(parent, last), `${op.path} exists`);
    parent[last] = op.value;
  }
  return copy;
}

/** Decodes the patch the way the API server does, applies it, and reads the images back. */
function patchedImages(review: AdmissionReview): string[] {
  const answer = admissionResponse(review, { allowed: true, patch: pinningPatch(review, resolve) });
  const ops = answer.response.patch ? JSON.parse(Buffer.from(answer.response.patch, 'base64').toString('utf8')) : [];
  const object = applyPatch(review.object, ops) as Record<string, unknown>;
  return workloadOf({ ...review, object })!.containers.map((c) => c.image);
}

test('tag-only images of fixtures are pinned in place; unknown tags are left alone', needs('connaisseur_09_dply_multi_image.json'), () => {
  const rows: Array<[string, string[]]> = [
    ['connaisseur_01_deployment.json', [`securesystemsengineering/alice-image:test@${d(1)}`]],
    ['connaisseur_09_dply_multi_image.json', [`redis:alpine@${d(2)}`, 'mysql:8', `busybox:1.32@${d(3)}`]],
    ['connaisseur_04_cronjob.json', [`busybox:latest@${d(4)}`]],
    ['connaisseur_19_pod_initcontainer.json', [
      'securesystemsengineering/charlie-image@sha256:91ac9b26df583762234c1cdb2fc930364754ccc59bc752a2bfe298d2ea68f9ff',
      `nginx:latest@${d(5)}`,
    ]],
  ];
  for (const [file, images] of rows) assert.deepEqual(patchedImages(readAdmissionReview(load(file))), images, file);
});

test('the operations name each image field by its JSON Pointer', needs('connaisseur_09_dply_multi_image.json'), () => {
  assert.deepEqual(pinningPatch(readAdmissionReview(load('connaisseur_09_dply_multi_image.json')), resolve), [
    { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `redis:alpine@${d(2)}` },
    { op: 'replace', path: '/spec/template/spec/initContainers/0/image', value: `busybox:1.32@${d(3)}` },
  ]);
  assert.deepEqual(pinningPatch(readAdmissionReview(load('connaisseur_04_cronjob.json')), resolve), [
    { op: 'replace', path: '/spec/jobTemplate/spec/template/spec/containers/0/image', value: `busybox:latest@${d(4)}` },
  ]);
});

test('nothing to pin: digests already, unknown kinds → an empty patch and no patch in the answer', needs('connaisseur_02_pod.json'), () => {
  for (const file of ['connaisseur_02_pod.json', 'connaisseur_10_update.json', 'connaisseur_11_role.json']) {
    const review = readAdmissionReview(load(file));
    assert.deepEqual(pinningPatch(review, resolve), [], file);
    assert.equal(admissionResponse(review, { allowed: true, patch: pinningPatch(review, resolve) }).response.patch, undefined, file);
  }
});

const podReview = (images: string[], extra: Partial<AdmissionReview> = {}, old?: string[]): AdmissionReview => {
  const pod = (list: string[]) => ({ kind: 'Pod', metadata: { name: 'p' }, spec: { containers: list.map((image, i) => ({ name: `c${i}`, image })) } });
  return {
    apiVersion: 'admission.k8s.io/v1', uid: 'u', operation: 'CREATE', kind: { group: '', version: 'v1', kind: 'Pod' },
    resource: { group: '', version: 'v1', resource: 'pods' }, subResource: null, namespace: 'ns', name: 'p', dryRun: false,
    object: pod(images), oldObject: old ? pod(old) : null, userInfo: { username: null, uid: null, groups: [], extra: {} }, ...extra,
  };
};

test('an UPDATE pins only the images it changes, so an unrelated edit restarts nothing', () => {
  const review = podReview(['nginx:1.25', 'busybox'], { operation: 'UPDATE' }, ['nginx:1.24', 'busybox']);
  assert.deepEqual(pinningPatch(review, resolve), [{ op: 'replace', path: '/spec/containers/0/image', value: `nginx:1.25@${d(6)}` }]);
});

test('no patch for status updates, DELETE, images that do not parse, or a resolver answer that is not a digest', () => {
  assert.deepEqual(pinningPatch(podReview(['nginx:1.25'], { operation: 'UPDATE', subResource: 'status' }, ['nginx:1.24']), resolve), []);
  assert.deepEqual(pinningPatch(podReview(['nginx:1.25'], { operation: 'DELETE' }), resolve), []);
  assert.deepEqual(pinningPatch(podReview(['NOT VALID', '']), resolve), []);
  assert.deepEqual(pinningPatch(podReview(['nginx:1.25']), () => 'sha256:nope'), []);
  // The resolver hears the tag the runtime would pull: latest when none is written.
  const asked: string[] = [];
  pinningPatch(podReview(['ghcr.io/acme/web', 'localhost:5000/app:v2']), (ref) => (asked.push(`${ref.repository}:${ref.tag}`), null));
  assert.deepEqual(asked, ['ghcr.io/acme/web:latest', 'localhost:5000/app:v2']);
});
