import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import type { ErrorCode } from '../core/errors.js';

/*
 * security.md "Bad input" for the build routes: each malformed request is a 4xx naming the field and the rule it broke,
 * and nothing is stored — checked by counting every table the routes write after the table has run.
 */
interface Row {
  name: string;
  method?: 'GET' | 'POST';
  /** Default: POST /api/v1/builds; `phase` posts to the started build's phase route. */
  url?: 'phase' | string;
  body?: unknown;
  status: number;
  code: ErrorCode;
  field?: string;
  message?: RegExp;
}

const good = { repository: 'ghcr.io/acme/web', docker_tags: ['latest'], build_name: 'abc1234', trigger_kind: 'github', trigger_id: 't', trigger_metadata: { commit: 'a'.repeat(40) } };
const withField = (field: string, value: unknown) => ({ ...good, [field]: value });
const bad = (name: string, body: unknown, field: string, message?: RegExp): Row => ({ name, body, status: 400, code: 'TW_VALIDATION', field, ...(message ? { message } : {}) });
const badPhase = (name: string, body: unknown, field: string, message?: RegExp): Row => ({ ...bad(name, body, field, message), url: 'phase' });

const wrongTypes: Array<[string, unknown[]]> = [
  ['repository', [42, null, ['x'], { x: 1 }, true]],
  ['docker_tags', ['latest', 42, null, { x: 1 }, [42], [null]]],
  ['build_name', [42, null, ['x'], true]],
  ['trigger_kind', [42, null, ['x']]],
  ['trigger_id', [42, null, { x: 1 }]],
  ['trigger_metadata', ['x', 42, ['x'], null, true]],
  ['is_manual', ['false', 0, null]],
  ['manual_user', [42, ['x'], true]],
];
const rows: Row[] = [
  ...wrongTypes.flatMap(([field, values]) => values.map((v) => bad(`${field} = ${JSON.stringify(v)}`, withField(field, v), field.startsWith('docker_tags') && Array.isArray(v) ? 'docker_tags.0' : field))),
  bad('no repository', { docker_tags: ['x'] }, 'repository', /repository is required/),
  bad('a repository with a tag', withField('repository', 'ghcr.io/acme/web:1'), 'repository', /must not include a tag/),
  bad('an uppercase repository', withField('repository', 'ghcr.io/Acme/web'), 'repository', /lowercase/),
  bad('a repository with a digest', withField('repository', `ghcr.io/acme/web@${digest(1)}`), 'repository', /digest/),
  bad('a tag starting with -', withField('docker_tags', ['-x']), 'docker_tags.0', /Docker tag/),
  bad('a tag of 129 characters', withField('docker_tags', ['a'.repeat(129)]), 'docker_tags.0'),
  bad('an unknown field', withField('dockertags', ['x']), 'dockertags', /not a known field/),
  bad('a NUL in build_name', withField('build_name', 'a\u0000b'), 'build_name'),
  bad('a control character in trigger_id', withField('trigger_id', 'a\nb'), 'trigger_id', /printable/),
  bad('trigger_metadata.commit not hex', withField('trigger_metadata', { commit: 'HEAD' }), 'trigger_metadata.commit', /git commit id/),
  bad('trigger_metadata.commit a number', withField('trigger_metadata', { commit: 1234567 }), 'trigger_metadata.commit'),
  bad('trigger_metadata.ref not a string', withField('trigger_metadata', { ref: ['main'] }), 'trigger_metadata.ref'),
  bad('a huge trigger_metadata (200 KB)', withField('trigger_metadata', { note: 'x'.repeat(200_000) }), 'trigger_metadata', /at most 65536 bytes/),
  bad('a trigger_metadata nested 40 deep', withField('trigger_metadata', JSON.parse('{"a":'.repeat(40) + '1' + '}'.repeat(40))), 'trigger_metadata', /nested at most 16/),
  { name: 'a body over 1 MiB', body: withField('trigger_metadata', { note: 'x'.repeat(1_100_000) }), status: 413, code: 'TW_PAYLOAD_TOO_LARGE' },
  { name: 'malformed JSON', body: '{"repository": ', status: 400, code: 'TW_MALFORMED_JSON' },
  { name: 'a JSON array', body: '[]', status: 400, code: 'TW_VALIDATION' },
  badPhase('no phase', {}, 'phase', /phase is required/),
  badPhase('an unknown phase', { phase: 'done' }, 'phase', /must be one of started, success, failure, cancelled/),
  badPhase('phase queued', { phase: 'queued' }, 'phase'),
  badPhase('phase as a number', { phase: 1 }, 'phase'),
  badPhase('image_id not sha256', { phase: 'success', image_id: 'sha256:abc' }, 'image_id', /sha256:<64 lowercase hex>/),
  badPhase('manifest_digests a string', { phase: 'success', manifest_digests: digest(1) }, 'manifest_digests', /must be an array/),
  badPhase('manifest_digests with a number', { phase: 'success', manifest_digests: [1] }, 'manifest_digests.0'),
  badPhase('a digest pinned by tag only', { phase: 'success', manifest_digests: [digest(1), 'ghcr.io/acme/web:latest'] }, 'manifest_digests.1', /pinned by digest/),
  badPhase('a short digest', { phase: 'success', manifest_digests: ['sha256:abc'] }, 'manifest_digests.0', /sha256:<64 lowercase hex>/),
  badPhase('an uppercase digest', { phase: 'success', manifest_digests: [`ghcr.io/acme/web@sha256:${'A'.repeat(64)}`] }, 'manifest_digests.0', /uppercase/),
  badPhase('a sha512 digest', { phase: 'success', manifest_digests: [`ghcr.io/acme/web@sha512:${'a'.repeat(128)}`] }, 'manifest_digests.0', /only sha256/),
  badPhase('101 digests', { phase: 'success', manifest_digests: Array.from({ length: 101 }, (_, i) => digest(i)) }, 'manifest_digests'),
  badPhase('digests with a failure', { phase: 'failure', manifest_digests: [digest(1)] }, 'manifest_digests', /only accepted with phase success/),
  badPhase('image_id with started', { phase: 'started', image_id: digest(1) }, 'image_id', /only accepted with phase success/),
  badPhase('error_message with success', { phase: 'success', error_message: 'x' }, 'error_message', /only accepted with phase failure/),
  badPhase('error_message empty', { phase: 'failure', error_message: '' }, 'error_message', /must not be empty/),
  badPhase('an unknown field', { phase: 'success', digests: [digest(1)] }, 'digests', /not a known field/),
  { name: 'a phase for a malformed id', url: '/api/v1/builds/not-a-uuid/phase', body: { phase: 'started' }, status: 400, code: 'TW_VALIDATION', field: 'params.id' },
  { name: 'a phase for an unknown id', url: '/api/v1/builds/01900000-0000-7000-8000-000000000000/phase', body: { phase: 'started' }, status: 404, code: 'TW_NOT_FOUND' },
  { name: 'GET a malformed id', method: 'GET', url: '/api/v1/builds/x', status: 400, code: 'TW_VALIDATION', field: 'params.id' },
  { name: 'GET with a bad repository', method: 'GET', url: '/api/v1/builds?repository=Not%20A%20Name', status: 400, code: 'TW_VALIDATION', field: 'query.repository' },
  { name: 'GET with limit 0', method: 'GET', url: '/api/v1/builds?limit=0', status: 400, code: 'TW_VALIDATION', field: 'query.limit' },
  { name: 'GET with offset -1', method: 'GET', url: '/api/v1/builds?offset=-1', status: 400, code: 'TW_VALIDATION', field: 'query.offset' },
];

describeEachEngine('bad input to the build routes', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let started: string;
  let counts: Record<string, number>;
  const tables = ['builds', 'build_images', 'images', 'repositories', 'events', 'audit_log'] as const;
  const count = async () => Object.fromEntries(await Promise.all(tables.map(async (name) =>
    [name, Number((await storage.db.selectFrom(name).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)])));

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const res = await t.call('POST', '/api/v1/builds', { body: good });
    started = res.json().build_id;
    assert.equal((await t.call('POST', `/api/v1/builds/${started}/phase`, { body: { phase: 'started' } })).statusCode, 200);
    counts = await count();
  });
  after(async () => { await t.close(); await storage.dispose(); });

  for (const row of rows) {
    test(`${row.name} → ${row.status} ${row.code}`, async () => {
      const url = row.url === 'phase' ? `/api/v1/builds/${started}/phase` : row.url ?? '/api/v1/builds';
      const res = await t.call(row.method ?? 'POST', url, { body: row.body });
      assert.equal(res.statusCode, row.status, res.body);
      const error = res.json().error;
      assert.equal(error.code, row.code, res.body);
      if (row.field) assert.equal(error.field, row.field, res.body);
      if (row.message) assert.match(error.message, row.message);
      if (row.field) assert.ok(error.message.startsWith(row.field), `the message names the field: ${error.message}`);
    });
  }

  test('after the table: nothing stored, and the started build is still started', async () => {
    assert.deepEqual(await count(), counts);
    assert.equal((await t.call('GET', `/api/v1/builds/${started}`)).json().phase, 'started');
  });
});
