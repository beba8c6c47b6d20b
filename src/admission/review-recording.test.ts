import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { requestTables } from '../../test/support/tables.js';
import {
  admissionReview, createCluster, groupOf, podObject, review, sha, workloadObject, type PodSpec,
} from '../../test/support/admission-reviews.js';

/*
 * Issue 6, point 4: recording as a cluster drives it (admission.md "What gets recorded"). One story, told in order
 * with the reviews an API server sends: a Deployment's Pods through a ReplicaSet, a tag-only image whose digest comes
 * with the kubelet's status update, a rolling update, scale-down, the last Pod deleted, a bare Pod, a dry run, a tag
 * resolved from a push Tidewatch saw, a workload deleted. After each step the environment view, its history and the
 * image_deployed events say what a reader of the API would expect.
 */
describeEachEngine('admission recording, as a cluster drives it', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;
  const env = 'prod-eu%2Fpayments';
  const WEB = 'registry.example.com/acme/web';
  const PROXY = 'registry.example.com/acme/proxy';
  const API = 'registry.example.com/acme/api';
  const A = sha('a1');
  const B = sha('b2');
  const P = sha('c3');
  const T = sha('d4');

  interface Instance { name: string; repository: string; digest: string; tag: string | null; source: string; resolved_from?: string }
  interface Entry { change: string; name: string; digest: string; replaced: string | null; resolved_from?: string }

  const instances = async (): Promise<Map<string, Instance>> => {
    const res = await t.call('GET', `/api/v1/environments/${env}`, { token: t.tokens.read });
    if (res.statusCode === 404) return new Map();
    assert.equal(res.statusCode, 200, res.body);
    return new Map((res.json().instances as Instance[]).map((i) => [i.name, i]));
  };
  const history = async (): Promise<Entry[]> => {
    const res = await t.call('GET', `/api/v1/environments/${env}/history?limit=500`, { token: t.tokens.read });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().entries as Entry[];
  };
  const deployedEvents = async () => (await storage.db.selectFrom('events').select('data').where('kind', '=', 'image_deployed').execute())
    .map((e) => JSON.parse(e.data) as { instance: string; digest: string; replaced_digest: string | null; environment: string });
  const podCount = async () => (await storage.db.selectFrom('admission_pods').select('pod_name').execute()).length;
  const snapshot = async () => {
    const counts: Record<string, number> = {};
    for (const table of requestTables) counts[table] = (await storage.db.selectFrom(table).selectAll().execute()).length;
    return counts;
  };

  const webPod = (name: string, hash: string, app: string, imageIds?: Record<string, string>): PodSpec => ({
    name, owner: { kind: 'ReplicaSet', name: `web-${hash}`, hash },
    containers: [{ name: 'app', image: app }, { name: 'proxy', image: `${PROXY}:2.1` }],
    ...(imageIds ? { imageIds } : {}),
  });
  const create = (p: PodSpec, extra: { dryRun?: boolean } = {}) =>
    review(t, secret, admissionReview({ operation: 'CREATE', object: podObject(p), ...extra }));
  const status = (p: PodSpec) => review(t, secret, admissionReview({
    operation: 'UPDATE', subResource: 'status', resource: 'pods', object: podObject(p), oldObject: podObject({ ...p, imageIds: {} }),
  }));
  const remove = (p: PodSpec) => review(t, secret, admissionReview({ operation: 'DELETE', oldObject: podObject(p) }));

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    secret = await createCluster(t, 'prod-eu');
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('a Deployment and its ReplicaSet are allowed and record nothing', async () => {
    const deployment = workloadObject('Deployment', 'web', [{ name: 'app', image: `${WEB}@${A}` }]);
    assert.equal((await review(t, secret, admissionReview({ operation: 'CREATE', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: deployment }))).allowed, true);
    const rs = workloadObject('ReplicaSet', 'web-5d8f7c', [{ name: 'app', image: `${WEB}@${A}` }]);
    (rs.metadata as any).ownerReferences = [{ kind: 'Deployment', name: 'web', controller: true, uid: 'u', apiVersion: 'apps/v1' }];
    assert.equal((await review(t, secret, admissionReview({ operation: 'CREATE', kind: { group: 'apps', version: 'v1', kind: 'ReplicaSet' }, object: rs }))).allowed, true);
    assert.equal((await instances()).size, 0);
    assert.equal(await podCount(), 0);
  });

  test('the first Pod of the ReplicaSet records <deployment>/<container> in <cluster>/<namespace>; a tag never pushed waits', async () => {
    const answer = await create(webPod('web-5d8f7c-aaaaa', '5d8f7c', `${WEB}@${A}`));
    assert.equal(answer.allowed, true);
    const now = await instances();
    assert.deepEqual([...now.keys()], ['web/app']);
    assert.equal(now.get('web/app')!.digest, A);
    assert.equal(now.get('web/app')!.repository, WEB);
    assert.equal(now.get('web/app')!.source, 'admission');
    assert.deepEqual((await deployedEvents()).map((e) => [e.environment, e.instance, e.digest]), [['prod-eu/payments', 'web/app', A]]);
  });

  test('the API server retrying the same CREATE counts the Pod once and records nothing new', async () => {
    const before = await snapshot();
    await create(webPod('web-5d8f7c-aaaaa', '5d8f7c', `${WEB}@${A}`));
    assert.deepEqual(await snapshot(), before);
  });

  test('the kubelet status update gives the tag-only container its digest (imageID)', async () => {
    await status(webPod('web-5d8f7c-aaaaa', '5d8f7c', `${WEB}@${A}`, { app: `${WEB}@${A}`, proxy: `${PROXY}@${P}` }));
    const proxy = (await instances()).get('web/proxy');
    assert.ok(proxy, 'web/proxy is recorded once its digest is known');
    assert.equal(proxy.digest, P);
    assert.equal(proxy.tag, '2.1');
    assert.equal((await deployedEvents()).length, 2);
    // The same status again (a readiness change) is no news.
    await status(webPod('web-5d8f7c-aaaaa', '5d8f7c', `${WEB}@${A}`, { app: `${WEB}@${A}`, proxy: `${PROXY}@${P}` }));
    assert.equal((await deployedEvents()).length, 2);
  });

  test('a second replica of the same digests adds a Pod, no deployment', async () => {
    await create(webPod('web-5d8f7c-bbbbb', '5d8f7c', `${WEB}@${A}`));
    await status(webPod('web-5d8f7c-bbbbb', '5d8f7c', `${WEB}@${A}`, { app: `${WEB}@${A}`, proxy: `${PROXY}@${P}` }));
    assert.equal((await deployedEvents()).length, 2);
    assert.equal(await podCount(), 4);
    assert.equal((await history()).length, 2);
  });

  test('a rolling update to a new digest replaces the deployment with one image_deployed event', async () => {
    const updated = workloadObject('Deployment', 'web', [{ name: 'app', image: `${WEB}@${B}` }]);
    const old = workloadObject('Deployment', 'web', [{ name: 'app', image: `${WEB}@${A}` }]);
    await review(t, secret, admissionReview({ operation: 'UPDATE', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, object: updated, oldObject: old }));
    await create(webPod('web-6e9a1b-ccccc', '6e9a1b', `${WEB}@${B}`));
    await create(webPod('web-6e9a1b-ddddd', '6e9a1b', `${WEB}@${B}`));
    await status(webPod('web-6e9a1b-ccccc', '6e9a1b', `${WEB}@${B}`, { app: `${WEB}@${B}`, proxy: `${PROXY}@${P}` }));
    const now = await instances();
    assert.equal(now.get('web/app')!.digest, B);
    assert.equal(now.get('web/proxy')!.digest, P);
    const events = await deployedEvents();
    assert.equal(events.length, 3);
    assert.deepEqual([events[2]!.instance, events[2]!.digest, events[2]!.replaced_digest], ['web/app', B, A]);
    const [latest] = await history();
    assert.deepEqual([latest!.change, latest!.name, latest!.digest, latest!.replaced], ['deployed', 'web/app', B, A]);
    assert.ok((await history()).some((e) => e.change === 'undeployed' && e.digest === A));
  });

  test('scale-down of the old ReplicaSet keeps the instance running the new digest', async () => {
    await remove(webPod('web-5d8f7c-aaaaa', '5d8f7c', `${WEB}@${A}`));
    await remove(webPod('web-5d8f7c-bbbbb', '5d8f7c', `${WEB}@${A}`));
    const now = await instances();
    assert.equal(now.get('web/app')!.digest, B);
    assert.equal(now.get('web/proxy')!.digest, P);
    assert.equal((await deployedEvents()).length, 3);
    assert.equal(await podCount(), 4, 'two Pods of two containers left');
  });

  test('deleting the last Pod undeploys; the kubelet\'s second DELETE changes nothing', async () => {
    await remove(webPod('web-6e9a1b-ccccc', '6e9a1b', `${WEB}@${B}`));
    assert.equal((await instances()).size, 2, 'one Pod is left');
    const last = webPod('web-6e9a1b-ddddd', '6e9a1b', `${WEB}@${B}`);
    await remove(last);
    assert.equal((await instances()).size, 0);
    const undeployed = (await history()).filter((e) => e.change === 'undeployed').map((e) => `${e.name}@${e.digest}`).sort();
    assert.deepEqual(undeployed, [`web/app@${A}`, `web/app@${B}`, `web/proxy@${P}`]);
    const before = await snapshot();
    await remove(last);
    assert.deepEqual(await snapshot(), before);
    assert.equal((await deployedEvents()).length, 3, 'undeploying sends no image_deployed');
  });

  test('a bare Pod is its own workload; a generated name counts without its suffix', async () => {
    await create({ name: 'debug-shell', containers: [{ name: 'shell', image: `${WEB}@${A}` }] });
    const generated = podObject({ name: 'runner-x7k2p', containers: [{ name: 'main', image: `${WEB}@${B}` }] });
    (generated.metadata as any).generateName = 'runner-';
    await review(t, secret, admissionReview({ operation: 'CREATE', object: generated }));
    const now = await instances();
    assert.deepEqual([...now.keys()].sort(), ['debug-shell/shell', 'runner/main']);
    assert.equal((await deployedEvents()).length, 5);
  });

  test('a dry run is checked and records nothing', async () => {
    const before = await snapshot();
    const answer = await create({ name: 'dry-run', containers: [{ name: 'c', image: `${WEB}@${B}` }] }, { dryRun: true });
    assert.equal(answer.allowed, true);
    assert.deepEqual(await snapshot(), before);
  });

  test('a tag Tidewatch saw pushed gives the digest, marked as resolved from the tag', async () => {
    const push = await t.call('POST', '/api/v1/pushes', { token: t.tokens.write, body: { image: `${API}:1.4@${T}` } });
    assert.ok([200, 201, 202].includes(push.statusCode), push.body);
    await create({ name: 'api-7f9c-zzzzz', owner: { kind: 'ReplicaSet', name: 'api-7f9c', hash: '7f9c' }, containers: [{ name: 'server', image: `${API}:1.4` }] });
    const api = (await instances()).get('api/server');
    assert.ok(api);
    assert.equal(api.digest, T);
    assert.equal(api.tag, '1.4');
    assert.equal(api.source, 'admission:tag');
    assert.equal(api.resolved_from, 'tag', 'the environment view marks the digest as resolved from the tag');
    const entry = (await history()).find((e) => e.name === 'api/server' && e.change === 'deployed');
    assert.equal(entry?.resolved_from, 'tag', 'and so does the history');
    const row = await storage.db.selectFrom('admission_pods').select(['resolved_from', 'digest']).where('pod_name', '=', 'api-7f9c-zzzzz').executeTakeFirstOrThrow();
    assert.deepEqual(row, { resolved_from: 'tag', digest: T });
    // The kubelet confirms the digest: no new deployment.
    await status({ name: 'api-7f9c-zzzzz', owner: { kind: 'ReplicaSet', name: 'api-7f9c', hash: '7f9c' }, containers: [{ name: 'server', image: `${API}:1.4` }], imageIds: { server: `${API}@${T}` } });
    assert.equal((await deployedEvents()).length, 6);
  });

  test('a workload DELETE ends all its instances', async () => {
    const deployment = workloadObject('Deployment', 'api', [{ name: 'server', image: `${API}:1.4` }]);
    await review(t, secret, admissionReview({ operation: 'DELETE', kind: { group: groupOf.Deployment!, version: 'v1', kind: 'Deployment' }, oldObject: deployment }));
    const now = await instances();
    assert.equal(now.has('api/server'), false);
    assert.deepEqual([...now.keys()].sort(), ['debug-shell/shell', 'runner/main']);
    assert.equal(await storage.db.selectFrom('admission_pods').select('pod_name').where('workload', '=', 'api').executeTakeFirst(), undefined);
  });

  test('a Pod re-created under the same name (new uid) replaces the old one\'s count', async () => {
    await create({ name: 'debug-shell', uid: 'second-life', containers: [{ name: 'shell', image: `${WEB}@${B}` }] });
    assert.equal((await instances()).get('debug-shell/shell')!.digest, B);
    // A late DELETE of the first Pod (old uid) does not end the second.
    await review(t, secret, admissionReview({ operation: 'DELETE', oldObject: podObject({ name: 'debug-shell', containers: [{ name: 'shell', image: `${WEB}@${A}` }] }) }));
    assert.equal((await instances()).get('debug-shell/shell')!.digest, B);
  });
});
