import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { requestTables } from '../../test/support/tables.js';
import { admissionReview, createCluster, podObject, review, sendReview, sha } from '../../test/support/admission-reviews.js';

/*
 * Issue 6, point 7: never hold up a cluster. Malformed and hostile reviews get a 400 (not an AdmissionReview), a 413 or
 * 415, or an answer as admission.md says — never a 5xx, and nothing is stored. With the database gone, a known
 * cluster is answered allowed with a warning, or refused when it was made with fail_closed.
 */
type Expect = { status: 400 | 413 | 415 } | { status: 200; allowed: boolean; warning?: RegExp };
interface Row { name: string; body: unknown; contentType?: string; expect: Expect }

const v1 = (request: Record<string, unknown>) => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request });
const base = () => admissionReview({ operation: 'CREATE', object: unnamedPod([{ name: 'c', image: 'nginx' }]) });
/** A Pod before the API server names it (as a mutating webhook sees it): reviewed, never counted. */
function unnamedPod(containers: unknown): Record<string, unknown> {
  const pod = podObject({ name: 'x', containers: [] }) as any;
  delete pod.metadata.name;
  delete pod.metadata.uid;
  pod.spec.containers = containers;
  return pod;
}
const withRequest = (over: Record<string, unknown>) => { const r = base(); return { ...r, request: { ...r.request, ...over } }; };
const namedPod = (name: string, namespace: string, containers: Array<{ name: string; image: string }>) =>
  admissionReview({ operation: 'CREATE', namespace, object: podObject({ name, namespace, containers }) });

/** JSON text nested `depth` arrays deep (JSON.stringify itself overflows the stack long before 100,000). */
const nested = (depth: number) => `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}`;
/** The body as JSON text with the value "__NESTED__" replaced by arrays nested `depth` deep. */
const withNesting = (body: unknown, depth: number) => JSON.stringify(body).replace('"__NESTED__"', nested(depth));

const rows: Row[] = [
  { name: 'not JSON', body: 'this is not json {', expect: { status: 400 } },
  { name: 'an empty body', body: '', expect: { status: 400 } },
  { name: 'a JSON string', body: JSON.stringify('AdmissionReview'), expect: { status: 400 } },
  { name: 'a JSON array', body: [base()], expect: { status: 400 } },
  { name: 'JSON null', body: 'null', expect: { status: 400 } },
  { name: 'plain text content type', body: 'hello', contentType: 'text/plain', expect: { status: 415 } },
  { name: 'wrong kind', body: { ...base(), kind: 'Pod' }, expect: { status: 400 } },
  { name: 'wrong apiVersion', body: { ...base(), apiVersion: 'admission.k8s.io/v2' }, expect: { status: 400 } },
  { name: 'no request', body: { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }, expect: { status: 400 } },
  { name: 'request is an array', body: { ...base(), request: [] }, expect: { status: 400 } },
  { name: 'missing uid', body: withRequest({ uid: undefined }), expect: { status: 400 } },
  { name: 'uid is a number', body: withRequest({ uid: 42 }), expect: { status: 400 } },
  { name: 'request.kind missing', body: withRequest({ kind: undefined }), expect: { status: 400 } },
  { name: 'request.kind.kind is a number', body: withRequest({ kind: { group: '', version: 'v1', kind: 7 } }), expect: { status: 400 } },
  { name: 'unknown operation', body: withRequest({ operation: 'PATCH' }), expect: { status: 400 } },
  { name: 'dryRun is a string', body: withRequest({ dryRun: 'true' }), expect: { status: 400 } },
  { name: 'namespace is an object', body: withRequest({ namespace: { evil: true } }), expect: { status: 400 } },
  { name: 'a "__proto__" key', body: JSON.stringify(base()).replace('"request":{', '"request":{"__proto__":{"polluted":true},'), expect: { status: 400 } },
  { name: 'a whole body nested 100,000 deep', body: nested(100_000), expect: { status: 400 } },
  { name: 'containers not a list', body: withRequest({ object: unnamedPod({ name: 'c', image: 'nginx' }) }), expect: { status: 200, allowed: true } },
  { name: 'containers a list of non-objects', body: withRequest({ object: unnamedPod([1, 'x', null, []]) }), expect: { status: 200, allowed: true } },
  { name: 'an image that is a number', body: withRequest({ object: unnamedPod([{ name: 'c', image: 5 }]) }), expect: { status: 200, allowed: true, warning: /is not an image reference/ } },
  {
    name: 'images that are not references',
    body: withRequest({ object: unnamedPod(['UPPER/Case:1', 'http://evil.example/x', `nginx@sha256:abc`, ' spaced', 'a'.repeat(64), 'x:'].map((image, i) => ({ name: `c${i}`, image }))) }),
    expect: { status: 200, allowed: true, warning: /is not an image reference/ },
  },
  { name: 'an image of 100,000 characters', body: withRequest({ object: unnamedPod([{ name: 'c', image: `r/${'a'.repeat(100_000)}` }]) }), expect: { status: 200, allowed: true, warning: /is not an image reference/ } },
  {
    name: '10,000 containers',
    body: withRequest({ object: unnamedPod(Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: `registry.example.com/acme/app-${i}:1` }))) }),
    expect: { status: 200, allowed: true, warning: /10000 containers, more than the 1000/ },
  },
  {
    name: '10,000 containers on a named Pod (never counted)',
    body: namedPod('huge', 'payments', Array.from({ length: 10_000 }, (_, i) => ({ name: `c${i}`, image: 'nginx' }))),
    expect: { status: 200, allowed: true, warning: /more than the 1000/ },
  },
  { name: 'a container nested 100,000 deep inside', body: withNesting(withRequest({ object: unnamedPod([{ name: 'c', image: 'nginx', env: '__NESTED__' }]) }), 100_000), expect: { status: 200, allowed: true } },
  { name: 'ownerReferences not a list', body: withRequest({ object: { ...unnamedPod([]), metadata: { ownerReferences: 'me' } } }), expect: { status: 200, allowed: true } },
  { name: 'an owner whose name is a number', body: withRequest({ object: { ...unnamedPod([]), metadata: { ownerReferences: [{ kind: 'ReplicaSet', name: 9, controller: true }] } } }), expect: { status: 200, allowed: true } },
  { name: 'kind "constructor"', body: withRequest({ kind: { group: '', version: 'v1', kind: 'constructor' } }), expect: { status: 200, allowed: true } },
  { name: 'a Pod kind in the apps group', body: withRequest({ kind: { group: 'apps', version: 'v1', kind: 'Pod' } }), expect: { status: 200, allowed: true } },
  { name: 'CONNECT', body: withRequest({ operation: 'CONNECT' }), expect: { status: 200, allowed: true } },
  { name: 'a DELETE without its oldObject', body: withRequest({ operation: 'DELETE', object: null, oldObject: null }), expect: { status: 200, allowed: true } },
  { name: 'a namespace that is no environment name', body: namedPod('p', '../../etc passwd', [{ name: 'c', image: `nginx@${sha(1)}` }]), expect: { status: 200, allowed: true, warning: /did not record this Pod: its environment/ } },
  { name: 'a Pod name holding NUL', body: namedPod('a\u0000b', 'payments', [{ name: 'c', image: `nginx@${sha(1)}` }]), expect: { status: 200, allowed: true, warning: /did not record this Pod: its name/ } },
  { name: 'a container name of 1,000 characters', body: namedPod('p', 'payments', [{ name: 'c'.repeat(1000), image: `nginx@${sha(1)}` }]), expect: { status: 200, allowed: true, warning: /did not record this Pod/ } },
  { name: 'a kubelet imageID that is garbage', body: withRequest({ object: { ...unnamedPod([{ name: 'c', image: 'nginx' }]), status: { containerStatuses: [{ name: 'c', imageID: { x: 1 } }, 'junk'] } } }), expect: { status: 200, allowed: true } },
  {
    name: 'warnings bounded however many images are unreadable',
    body: withRequest({ object: unnamedPod(Array.from({ length: 500 }, (_, i) => ({ name: `c${i}`, image: `BAD${i}` }))) }),
    expect: { status: 200, allowed: true, warning: /more warnings/ },
  },
  { name: 'a body over the limit (9 MiB)', body: JSON.stringify({ ...base(), padding: 'x'.repeat(9 * 1024 * 1024) }), expect: { status: 413 } },
];

describeEachEngine('hostile admission reviews', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;

  const snapshot = async () => {
    const counts: Record<string, number> = {};
    for (const table of requestTables) counts[table] = (await storage.db.selectFrom(table).selectAll().execute()).length;
    return counts;
  };

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    secret = await createCluster(t, 'prod-eu');
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test(`a table of ${rows.length} malformed or hostile reviews: 400/413/415 or an answer, never a 5xx, nothing stored`, async () => {
    assert.ok(rows.length >= 25);
    const before = await snapshot();
    for (const row of rows) {
      const headers = { 'content-type': row.contentType ?? 'application/json' };
      const res = await t.call('POST', `/api/v1/admission/${secret}`, { token: null, body: row.body, headers });
      assert.ok(res.statusCode < 500, `${row.name}: ${res.statusCode} ${res.body.slice(0, 300)}`);
      assert.equal(res.statusCode, row.expect.status, `${row.name}: ${res.body.slice(0, 300)}`);
      if (row.expect.status !== 200) {
        assert.ok(res.json().error.code.startsWith('TW_'), row.name);
      } else {
        const answer = res.json();
        assert.equal(answer.kind, 'AdmissionReview', row.name);
        assert.equal(answer.response.uid, (typeof row.body === 'string' ? JSON.parse(row.body) : row.body as any).request.uid, row.name);
        assert.equal(answer.response.allowed, row.expect.allowed, row.name);
        const warnings: string[] = answer.response.warnings ?? [];
        assert.ok(warnings.length <= 20 && warnings.every((w) => w.length <= 512), `${row.name}: warnings bounded`);
        if (row.expect.warning) assert.ok(warnings.some((w) => row.expect.status === 200 && row.expect.warning!.test(w)), `${row.name}: ${JSON.stringify(warnings).slice(0, 400)}`);
      }
      assert.deepEqual(await snapshot(), before, `${row.name}: nothing stored`);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a review too large to read is refused for a fail_closed cluster, but its DELETE passes', async () => {
    const strict = await createCluster(t, 'strict', true);
    const containers = Array.from({ length: 1001 }, (_, i) => ({ name: `c${i}`, image: 'nginx' }));
    const answer = await review(t, strict, namedPod('huge', 'payments', containers));
    assert.equal(answer.allowed, false);
    assert.match(answer.status!.message, /1001 containers, more than the 1000 Tidewatch reads; cluster strict is set to fail closed/);
    const gone = await review(t, strict, admissionReview({ operation: 'DELETE', oldObject: podObject({ name: 'huge', containers }) }));
    assert.equal(gone.allowed, true);
  });

  test('the mutating endpoint answers the same table without a 5xx and patches nothing it cannot read', async () => {
    for (const row of rows) {
      const headers = { 'content-type': row.contentType ?? 'application/json' };
      const res = await t.call('POST', `/api/v1/admission/${secret}/mutate`, { token: null, body: row.body, headers });
      assert.ok(res.statusCode < 500, `${row.name}: ${res.statusCode}`);
      if (res.statusCode === 200) assert.equal(res.json().response.patch, undefined, row.name);
    }
  });
});

describeEachEngine('admission with the database gone', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let open: string;
  let closed: string;
  const pod = (name: string) => admissionReview({ operation: 'CREATE', object: podObject({ name, containers: [{ name: 'app', image: `nginx@${sha(7)}` }] }) });

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    open = await createCluster(t, 'fails-open');
    closed = await createCluster(t, 'fails-closed', true);
    // Each cluster answered once while the database was up, as a running cluster's webhook would have been.
    assert.equal((await review(t, open, pod('warm-1'))).allowed, true);
    assert.equal((await review(t, closed, pod('warm-2'))).allowed, true);
    // The pool (PostgreSQL) or the SQLite handle closed under the running app.
    await storage.db.destroy();
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('a fail-open cluster: allowed, with a warning naming the cause', async () => {
    const answer = await review(t, open, pod('a'));
    assert.equal(answer.allowed, true);
    assert.match(answer.warnings?.[0] ?? '', /Tidewatch did not check or record this request: its database is unreachable .*cluster fails-open fails open/);
    assert.equal((await review(t, open, pod('a'), true)).allowed, true);
  });

  test('a fail_closed cluster: refused with 403 and the reason; its DELETEs and status updates still pass', async () => {
    const answer = await review(t, closed, pod('b'));
    assert.equal(answer.allowed, false);
    assert.equal(answer.status?.code, 403);
    assert.match(answer.status!.message, /database is unreachable.*cluster fails-closed is set to fail closed/);
    const p = podObject({ name: 'b', containers: [{ name: 'app', image: 'nginx' }] });
    assert.equal((await review(t, closed, admissionReview({ operation: 'DELETE', oldObject: p }))).allowed, true);
    assert.equal((await review(t, closed, admissionReview({ operation: 'UPDATE', subResource: 'status', object: p, oldObject: p }))).allowed, true);
    // Pinning never refuses: the validating webhook is where fail_closed applies.
    const mutate = await review(t, closed, admissionReview({ operation: 'CREATE', object: p }), true);
    assert.equal(mutate.allowed, true);
    assert.equal(mutate.patch, undefined);
  });

  test('a secret this process never saw: 503, so the API server applies the webhook\'s own failurePolicy', async () => {
    const res = await sendReview(t, 'twk_never-seen', pod('c'));
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'TW_UNAVAILABLE');
  });
});

describeEachEngine('admission when the check passes but recording fails', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let secret: string;
  let failWrites = false;
  const pod = (name: string, image: string) => admissionReview({ operation: 'CREATE', namespace: 'shop', object: podObject({ name, namespace: 'shop', containers: [{ name: 'app', image }] }) });

  before(async () => {
    storage = await openTestStorage(engine);
    // Reads work; every write transaction fails, as a full disk or a read-only replica would make it.
    const flaky: TestStorage = {
      ...storage,
      transact: (work) => (failWrites ? Promise.reject(new Error('database or disk is full')) : storage.transact(work)),
    };
    t = await startTestApp(flaky);
    secret = await createCluster(t, 'flaky');
    const policy = { name: 'no-latest', environments: ['flaky/*'], mode: 'enforce', rules: { allowed_repositories: ['registry.example.com/**'] } };
    assert.equal((await t.call('POST', '/api/v1/policies', { body: policy })).statusCode, 201);
    failWrites = true;
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  test('an allowed Pod stays allowed, with a warning that it was not recorded; nothing is stored', async () => {
    const before = (await storage.db.selectFrom('deployments').select('id').execute()).length;
    const answer = await review(t, secret, pod('web-1', `registry.example.com/acme/web@${sha(3)}`));
    assert.equal(answer.allowed, true);
    assert.ok(answer.warnings?.some((w) => /^Tidewatch could not record this request: .*database or disk is full/.test(w)), JSON.stringify(answer.warnings));
    assert.equal((await storage.db.selectFrom('deployments').select('id').execute()).length, before);
    assert.equal((await storage.db.selectFrom('admission_pods').select('pod_name').execute()).length, 0);
  });

  test('a refusal still refuses: the check needs only reads', async () => {
    const answer = await review(t, secret, pod('bad-1', `docker.io/library/nginx@${sha(4)}`));
    assert.equal(answer.allowed, false);
    assert.equal(answer.status?.code, 403);
    assert.match(answer.status!.message, /no-latest/);
  });
});
