import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { fixtureFolder } from '../../test/support/fixtures.js';
import { requestTables } from '../../test/support/tables.js';
import { insertScan } from '../../test/support/test-scans.js';
import {
  admissionReview, createCluster, podObject, review, sendReview, sha, workloadObject, type ReviewAnswer,
} from '../../test/support/admission-reviews.js';

/*
 * Issue 6, points 3 and the review half of the gate (admission.md "The review", "Policies"): every captured review in
 * ../shared/fixtures/k8s-admission is answered, in v1 and v1beta1, naming the images the test finds in the file
 * itself; policies refuse or warn through the review; workloads are checked, not recorded.
 */
const fixtures = fixtureFolder('k8s-admission');
const ALL_FIELDS = 'k8s-api_admission.k8s.io.v1.AdmissionReview_all-fields.json';

// Written from the Kubernetes API reference, apart from the code under test: where each kind keeps its pod spec.
const podSpecPath: Record<string, string[]> = {
  Pod: ['spec'], Deployment: ['spec', 'template', 'spec'], ReplicaSet: ['spec', 'template', 'spec'],
  StatefulSet: ['spec', 'template', 'spec'], DaemonSet: ['spec', 'template', 'spec'], Job: ['spec', 'template', 'spec'],
  ReplicationController: ['spec', 'template', 'spec'], CronJob: ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
};

function imagesOf(object: any, kind: string): Map<string, string> {
  const path = podSpecPath[kind];
  const spec = path?.reduce((node, key) => node?.[key], object);
  const out = new Map<string, string>();
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    for (const c of spec?.[field] ?? []) out.set(`${field}/${c.name}`, c.image);
  }
  return out;
}

/** Docker's normalisation, written out: `nginx` → `docker.io/library/nginx:latest`. */
function canonical(image: string): string {
  const [name, digest] = image.split('@') as [string, string | undefined];
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const hosted = first.includes('.') || first.includes(':') || first === 'localhost';
  let repository = hosted ? name : `docker.io/${slash === -1 ? 'library/' : ''}${name}`;
  const lastSlash = repository.lastIndexOf('/');
  const colon = repository.lastIndexOf(':');
  let tag: string | null = null;
  if (colon > lastSlash) { tag = repository.slice(colon + 1); repository = repository.slice(0, colon); }
  if (!tag && !digest) tag = 'latest';
  return `${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
}

/** The images a review should be checked for: all on CREATE; on UPDATE those that changed. */
function expectedImages(json: any): string[] {
  const { kind, operation, object, oldObject } = json.request;
  if (!podSpecPath[kind.kind] || !['CREATE', 'UPDATE'].includes(operation)) return [];
  const now = imagesOf(object, kind.kind);
  const before = operation === 'UPDATE' ? imagesOf(oldObject, kind.kind) : new Map<string, string>();
  return [...new Set([...now].filter(([key, image]) => before.get(key) !== image).map(([, image]) => canonical(image)))].sort();
}

const otherVersion = (json: any) => ({
  ...json, apiVersion: json.apiVersion === 'admission.k8s.io/v1' ? 'admission.k8s.io/v1beta1' : 'admission.k8s.io/v1',
});

describeEachEngine('admission reviews from real clusters', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;
  let open: string;

  const snapshot = async () => {
    const counts: Record<string, number> = {};
    for (const table of requestTables) counts[table] = (await storage.db.selectFrom(table).selectAll().execute()).length;
    return counts;
  };
  const decisionsAfter = async (id: number) => storage.db.selectFrom('admission_decisions').selectAll().where('id', '>', id).orderBy('id').execute();
  const lastDecisionId = async () => Number((await storage.db.selectFrom('admission_decisions').select((eb) => eb.fn.max('id').as('m')).executeTakeFirst())?.m ?? 0);

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    // "fixtures" has an enforce policy that no image can pass (none is scanned); "open" has none.
    secret = await createCluster(t, 'fixtures');
    open = await createCluster(t, 'open');
    const policy = await t.call('POST', '/api/v1/policies', {
      body: { name: 'fixture-gate', environments: ['fixtures/*'], mode: 'enforce', rules: { require_scan: true } },
    });
    assert.equal(policy.statusCode, 201, policy.body);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  for (const file of fixtures.files.filter((f) => f !== ALL_FIELDS)) {
    for (const variant of ['as captured', 'in the other apiVersion'] as const) {
      test(`${file} (${variant}): answered with the images the file holds`, { skip: fixtures.skip }, async () => {
        const raw = fixtures.load(file);
        const json = variant === 'as captured' ? raw : otherVersion(raw);
        const expected = expectedImages(json);
        const mark = await lastDecisionId();
        const res = await sendReview(t, secret, json);
        assert.equal(res.statusCode, 200, res.body);
        const answer = res.json() as ReviewAnswer;
        assert.equal(answer.apiVersion, json.apiVersion);
        assert.equal(answer.kind, 'AdmissionReview');
        assert.equal(answer.response.uid, json.request.uid);
        assert.equal(answer.response.allowed, expected.length === 0, JSON.stringify(answer.response));
        const refused = [...(answer.response.status?.message ?? '').matchAll(/fixture-gate: (\S+) has no scan/g)].map((m) => m[1]!).sort();
        assert.deepEqual(refused, expected);
        if (expected.length > 0) assert.equal(answer.response.status?.code, 403);
        const decisions = await decisionsAfter(mark);
        assert.deepEqual(decisions.map((d) => d.image).sort(), expected);
        assert.ok(decisions.every((d) => d.result === 'refused' && d.environment === `fixtures/${json.request.namespace}`));

        // Without a policy the same review is allowed, without warnings, and leaves no decision.
        const before = await snapshot();
        const plain = await sendReview(t, open, json);
        assert.equal(plain.statusCode, 200, plain.body);
        assert.equal(plain.json().response.allowed, true);
        assert.equal(plain.json().response.uid, json.request.uid);
        const after = await snapshot();
        assert.equal(after.admission_decisions, before.admission_decisions);
        // These captures are workloads, a Role, or Pods without a name yet (taken before the API server named them):
        // none of them can be counted, so nothing is recorded.
        assert.deepEqual(after, before);
      });
    }
  }

  test('the Role is allowed and records nothing, even under an enforce policy', fixtures.needs('connaisseur_11_role.json'), async () => {
    const before = await snapshot();
    const answer = await review(t, secret, fixtures.load('connaisseur_11_role.json'));
    assert.deepEqual(answer, { uid: 'a13ec2e3-9c34-4fb7-9522-b191691b70e1', allowed: true });
    assert.deepEqual(await snapshot(), before);
  });

  test('the all-fields placeholder review is answered without a 5xx', fixtures.needs(ALL_FIELDS), async () => {
    const raw = fixtures.load(ALL_FIELDS);
    for (const json of [raw, otherVersion(raw)]) {
      const res = await sendReview(t, secret, json);
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().error.code, 'TW_BAD_REQUEST');
      assert.match(res.json().error.message, /request\.operation must be/);
    }
    // With a real operation, its kind (kindValue) is not one Tidewatch reads: allowed, nothing recorded.
    const before = await snapshot();
    const answer = await review(t, secret, { ...raw, request: { ...raw.request, operation: 'UPDATE' } });
    assert.equal(answer.allowed, true);
    assert.equal(answer.uid, 'uidValue');
    assert.deepEqual(await snapshot(), before);
  });

  test('an unknown secret is 404 and a body that is not an AdmissionReview is 400; the decisions list still needs a token', async () => {
    const pod = admissionReview({ operation: 'CREATE', object: podObject({ name: 'p', containers: [{ name: 'c', image: 'nginx' }] }) });
    const unknown = await sendReview(t, 'twk_not-a-secret', pod);
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'TW_NOT_FOUND');
    assert.equal((await sendReview(t, 'twk_not-a-secret', pod, true)).statusCode, 404);
    const notReview = await sendReview(t, secret, { kind: 'Pod', apiVersion: 'v1' });
    assert.equal(notReview.statusCode, 400);
    assert.match(notReview.json().error.message, /not an AdmissionReview: .*kind must be "AdmissionReview"/);
    assert.equal((await t.call('GET', '/api/v1/admission/decisions', { token: null })).statusCode, 401);
    assert.equal((await t.call('GET', '/api/v1/admission/decisions', { token: t.tokens.admin })).statusCode, 200);
  });
});

describeEachEngine('the deploy-time gate through the review', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;
  const REPO = 'registry.example.com/acme/web';
  const bad = sha('bad');
  const clean = sha('c1ea');

  const running = async (env: string) => {
    const res = await t.call('GET', `/api/v1/environments/${encodeURIComponent(env)}`);
    return res.statusCode === 404 ? [] : (res.json().instances as Array<{ name: string; digest: string }>);
  };
  const pod = (name: string, namespace: string, image: string, extra: { dryRun?: boolean } = {}) =>
    admissionReview({ operation: 'CREATE', object: podObject({ name, namespace, containers: [{ name: 'app', image }] }), ...extra });
  const deployment = (namespace: string, image: string) => admissionReview({
    operation: 'CREATE', kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
    object: workloadObject('Deployment', 'web', [{ name: 'app', image }], namespace),
  });

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    secret = await createCluster(t, 'prod-eu');
    await insertScan(storage.db, t.workspaceId, { repository: REPO, digest: bad }, [
      { id: 'CVE-2023-44487', severity: 'Critical', fixed: '1.2' },
      { id: 'CVE-2024-0001', severity: 'Critical', fixed: '2.0' },
      { id: 'CVE-2024-0002', severity: 'Low' },
    ]);
    await insertScan(storage.db, t.workspaceId, { repository: REPO, digest: clean }, [{ id: 'CVE-2024-0002', severity: 'Low' }]);
    for (const body of [
      { name: 'prod-gate', environments: ['prod-eu/payments'], mode: 'enforce', rules: { deny_severity: 'Critical', fixable_only: true } },
      { name: 'soft-gate', environments: ['prod-eu/staging'], mode: 'warn', rules: { deny_severity: 'Critical' } },
    ]) {
      const res = await t.call('POST', '/api/v1/policies', { body });
      assert.equal(res.statusCode, 201, res.body);
    }
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('enforce: a Pod with a bad image is refused with 403 and the policy\'s message; nothing runs', async () => {
    const answer = await review(t, secret, pod('web-1', 'payments', `${REPO}@${bad}`));
    assert.equal(answer.allowed, false);
    assert.equal(answer.status?.code, 403);
    assert.equal(answer.status?.message, `prod-gate: ${REPO}@${bad} has 2 fixable Critical vulnerabilities (CVE-2023-44487, CVE-2024-0001)`);
    assert.deepEqual(await running('prod-eu/payments'), []);
    const [decision] = await storage.db.selectFrom('admission_decisions').selectAll().where('image', '=', `${REPO}@${bad}`).execute();
    assert.equal(decision?.result, 'refused');
    assert.deepEqual(JSON.parse(decision!.messages), [answer.status?.message]);
    // As the decisions log reads it back.
    const log = await t.call('GET', '/api/v1/admission/decisions?environment=prod-eu%2Fpayments&result=refused', { token: t.tokens.read });
    assert.equal(log.statusCode, 200, log.body);
    assert.deepEqual(log.json().decisions.map((d: any) => [d.cluster, d.image, d.messages]), [['prod-eu', `${REPO}@${bad}`, [answer.status?.message]]]);
  });

  test('enforce: a clean image is allowed and recorded, its decision kept as allowed', async () => {
    const answer = await review(t, secret, pod('web-2', 'payments', `${REPO}@${clean}`));
    assert.deepEqual(answer.allowed, true);
    assert.equal(answer.warnings, undefined);
    assert.deepEqual((await running('prod-eu/payments')).map((i) => [i.name, i.digest]), [['web-2/app', clean]]);
    const decision = await storage.db.selectFrom('admission_decisions').selectAll().where('image', '=', `${REPO}@${clean}`).executeTakeFirst();
    assert.equal(decision?.result, 'allowed');
  });

  test('warn: allowed with the message in warnings, and recorded', async () => {
    const answer = await review(t, secret, pod('web-3', 'staging', `${REPO}@${bad}`));
    assert.equal(answer.allowed, true);
    assert.deepEqual(answer.warnings, [`soft-gate: ${REPO}@${bad} has 2 Critical vulnerabilities (CVE-2023-44487, CVE-2024-0001)`]);
    assert.deepEqual((await running('prod-eu/staging')).map((i) => i.digest), [bad]);
  });

  test('workload reviews are checked against policy and never recorded', async () => {
    const refused = await review(t, secret, deployment('payments', `${REPO}@${bad}`));
    assert.equal(refused.allowed, false);
    assert.match(refused.status!.message, /^prod-gate: .* has 2 fixable Critical/);
    const warned = await review(t, secret, deployment('staging', `${REPO}@${bad}`));
    assert.equal(warned.allowed, true);
    assert.equal(warned.warnings?.length, 1);
    assert.deepEqual((await running('prod-eu/payments')).map((i) => i.name), ['web-2/app']);
    assert.deepEqual((await running('prod-eu/staging')).map((i) => i.name), ['web-3/app']);
  });

  test('a dry run is checked (refused alike) and leaves no decision or record', async () => {
    const count = async () => (await storage.db.selectFrom('admission_decisions').select('id').execute()).length;
    const before = await count();
    const answer = await review(t, secret, pod('web-4', 'payments', `${REPO}@${bad}`, { dryRun: true }));
    assert.equal(answer.allowed, false);
    const allowed = await review(t, secret, pod('web-5', 'payments', `${REPO}@${clean}`, { dryRun: true }));
    assert.equal(allowed.allowed, true);
    assert.equal(await count(), before);
    assert.deepEqual((await running('prod-eu/payments')).map((i) => i.name), ['web-2/app']);
  });

  test('an UPDATE that changes no image is never refused (a controller scaling a ReplicaSet of a now-bad image)', async () => {
    const rs = (replicas: number) => ({ ...workloadObject('ReplicaSet', 'web-abc', [{ name: 'app', image: `${REPO}@${bad}` }], 'payments'), spec: { replicas, template: { spec: { containers: [{ name: 'app', image: `${REPO}@${bad}` }] } } } });
    const answer = await review(t, secret, admissionReview({
      operation: 'UPDATE', kind: { group: 'apps', version: 'v1', kind: 'ReplicaSet' }, object: rs(1), oldObject: rs(3),
    }));
    assert.equal(answer.allowed, true);
    // The kubelet's status updates and DELETEs are never checked either.
    const p = podObject({ name: 'web-2', namespace: 'payments', containers: [{ name: 'app', image: `${REPO}@${bad}` }], imageIds: { app: `${REPO}@${bad}` } });
    assert.equal((await review(t, secret, admissionReview({ operation: 'UPDATE', subResource: 'status', object: p, oldObject: p }))).allowed, true);
    assert.equal((await review(t, secret, admissionReview({ operation: 'DELETE', oldObject: p }))).allowed, true);
  });
});
