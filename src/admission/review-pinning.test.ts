import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import jsonpatch from 'fast-json-patch';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import {
  admissionReview, createCluster, podObject, review, sha, workloadObject,
} from '../../test/support/admission-reviews.js';

/*
 * Issue 6, point 6 (admission.md "Pinning tags"): the mutating endpoint's JSONPatch, applied here with an independent
 * RFC 6902 implementation (fast-json-patch) to the object of the review, pins each tag-only image to the digest of
 * Tidewatch's tag history and leaves what it cannot pin alone.
 */
describeEachEngine('pinning tags through the mutating webhook', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;
  const WEB = 'registry.example.com/acme/web';
  const W1 = sha('e1');
  const W2 = sha('e2');
  const L = sha('f1');
  const PINNED = `${WEB}@${sha('ab')}`;

  const push = async (image: string) => {
    const res = await t.call('POST', '/api/v1/pushes', { token: t.tokens.write, body: { image } });
    assert.ok(res.statusCode < 300, res.body);
  };
  /** The mutating answer applied to a copy of the review's object: the object the API server would go on with. */
  const mutated = async (body: ReturnType<typeof admissionReview>) => {
    const answer = await review(t, secret, body, true);
    assert.equal(answer.allowed, true);
    if (answer.patch === undefined) return { answer, object: body.request.object as any, operations: [] };
    assert.equal(answer.patchType, 'JSONPatch');
    const operations = JSON.parse(Buffer.from(answer.patch, 'base64').toString('utf8'));
    const copy = structuredClone(body.request.object);
    // validateOperation: every operation must be well-formed and its path must exist in the document.
    const object = jsonpatch.applyPatch(copy, operations, true, true).newDocument as any;
    return { answer, object, operations };
  };

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    secret = await createCluster(t, 'prod-eu');
    await push(`${WEB}:1.4@${W1}`);
    await push(`nginx:latest@${L}`);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('a Pod: tag-only containers, init and ephemeral ones pinned from tag history; unknown tags and pins left alone', async () => {
    const pod = podObject({
      name: 'web-1',
      containers: [{ name: 'app', image: `${WEB}:1.4` }, { name: 'cache', image: 'registry.example.com/acme/cache:9' }, { name: 'pinned', image: PINNED }],
      initContainers: [{ name: 'setup', image: 'nginx' }],
    });
    (pod.spec as any).ephemeralContainers = [{ name: 'debug', image: 'docker.io/library/nginx:latest' }];
    const { object, operations } = await mutated(admissionReview({ operation: 'CREATE', object: pod }));
    assert.deepEqual(object.spec.containers.map((c: any) => c.image), [`${WEB}:1.4@${W1}`, 'registry.example.com/acme/cache:9', PINNED]);
    assert.deepEqual(object.spec.initContainers.map((c: any) => c.image), [`nginx:latest@${L}`]);
    assert.deepEqual(object.spec.ephemeralContainers.map((c: any) => c.image), [`docker.io/library/nginx:latest@${L}`]);
    assert.equal(operations.length, 3, 'one operation per pinned image, nothing else touched');
    // Only the image fields changed.
    const strip = (o: any) => JSON.stringify({ ...o, spec: { ...o.spec, containers: [], initContainers: [], ephemeralContainers: [] } });
    assert.equal(strip(object), strip(pod));
  });

  test('pod templates of a Deployment and a CronJob are pinned at their template paths', async () => {
    for (const [kind, group] of [['Deployment', 'apps'], ['CronJob', 'batch']] as const) {
      const workload = workloadObject(kind, 'web', [{ name: 'app', image: `${WEB}:1.4` }]);
      const { object } = await mutated(admissionReview({ operation: 'CREATE', kind: { group, version: 'v1', kind }, object: workload }));
      const template = kind === 'CronJob' ? object.spec.jobTemplate.spec.template : object.spec.template;
      assert.equal(template.spec.containers[0].image, `${WEB}:1.4@${W1}`, kind);
    }
  });

  test('when the tag moves, new Pods are pinned to the digest pushed last', async () => {
    await push(`${WEB}:1.4@${W2}`);
    const { object } = await mutated(admissionReview({ operation: 'CREATE', object: podObject({ name: 'web-2', containers: [{ name: 'app', image: `${WEB}:1.4` }] }) }));
    assert.equal(object.spec.containers[0].image, `${WEB}:1.4@${W2}`);
  });

  test('nothing to pin: no patch at all; an UPDATE pins only images it changes; status updates are never patched', async () => {
    const unknownOnly = admissionReview({ operation: 'CREATE', object: podObject({ name: 'x', containers: [{ name: 'a', image: 'registry.example.com/acme/none:1' }] }) });
    const { answer } = await mutated(unknownOnly);
    assert.deepEqual(answer, { uid: unknownOnly.request.uid, allowed: true });
    const before = workloadObject('Deployment', 'web', [{ name: 'app', image: `${WEB}:1.4` }, { name: 'side', image: 'nginx' }]);
    const after = workloadObject('Deployment', 'web', [{ name: 'app', image: `${WEB}:1.4` }, { name: 'side', image: 'nginx:latest' }]);
    const { object, operations } = await mutated(admissionReview({
      operation: 'UPDATE', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: after, oldObject: before,
    }));
    assert.equal(operations.length, 1);
    assert.deepEqual(object.spec.template.spec.containers.map((c: any) => c.image), [`${WEB}:1.4`, `nginx:latest@${L}`]);
    const pod = podObject({ name: 'web-1', containers: [{ name: 'app', image: `${WEB}:1.4` }] });
    const status = await mutated(admissionReview({ operation: 'UPDATE', subResource: 'status', object: pod, oldObject: pod }));
    assert.equal(status.answer.patch, undefined);
  });

  test('pinning records nothing: the validating webhook does', async () => {
    const count = async () => (await storage.db.selectFrom('admission_pods').select('pod_name').execute()).length
      + (await storage.db.selectFrom('deployments').select('id').execute()).length;
    const before = await count();
    await mutated(admissionReview({ operation: 'CREATE', object: podObject({ name: 'web-9', containers: [{ name: 'app', image: `${WEB}:1.4` }] }) }));
    assert.equal(await count(), before);
  });
});
