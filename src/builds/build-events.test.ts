import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { quayName } from './build-events.js';

/*
 * notifications.md: the build events carry Quay's fields, as in the seed's samples. The samples are read from the seed
 * itself (comments stripped), so the comparison is with Quay's text, not with a copy of it.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seedText = fs.readFileSync(path.join(root, '../shared/seeds/quay-repository-notifications.ja.txt'), 'utf8');

/** The JSON sample under each "11.1.N" heading of the seed, by section number. */
function seedSamples(): Map<string, Record<string, any>> {
  const out = new Map<string, Record<string, any>>();
  let section: string | null = null;
  for (const line of seedText.split('\n')) {
    const heading = /^11\.1\.(\d+)\./.exec(line);
    if (heading) section = heading[1]!;
    else if (line.trim().startsWith('{') && section) out.set(section, JSON.parse(line.replace(/\/\/Optional/g, '')));
  }
  return out;
}
const samples = seedSamples();
const sample = (kind: string) => samples.get({ build_queued: '2', build_start: '3', build_success: '4', build_failure: '5', build_cancelled: '6' }[kind]!)!;

/** Quay's base fields, rendered at delivery time from the event's canonical `repository` (notifications.md). */
const baseFields = ['repository', 'namespace', 'name', 'docker_url', 'homepage'];
const keysOf = (o: object) => Object.keys(o).sort();
const payloadKeys = (data: object) => [...new Set([...baseFields, ...Object.keys(data)])].sort();

describe('the seed\'s build samples', () => {
  test('are all found and parse', () => {
    for (const kind of ['build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled']) {
      assert.ok(sample(kind)?.build_id, `${kind} sample`);
      assert.match(sample(kind).homepage, /\/build\/[0-9a-f-]{36}$/, 'a build event\'s homepage ends in /build/<build_id>');
    }
  });

  test('quayName is the path without its namespace, as the seed\'s "repo"', () => {
    assert.equal(quayName('quay.io/dgangaia/test'), sample('build_queued').repo);
    assert.equal(quayName('docker.io/library/nginx'), 'nginx');
    assert.equal(quayName('ghcr.io/acme/team/web'), 'team/web');
    assert.equal(quayName('localhost:5000/web'), 'web');
  });
});

describeEachEngine('build events', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const lastEvent = async (kind: string) => {
    const row = await storage.db.selectFrom('events').selectAll().where('kind', '=', kind).orderBy('id', 'desc').executeTakeFirstOrThrow();
    return { row, data: JSON.parse(row.data) as Record<string, any> };
  };
  /** A build of quay.io/dgangaia/test triggered as in the seed, taken to `path`. */
  const seedBuild = async (path: Array<Record<string, unknown>>) => {
    const queued = sample('build_queued');
    const res = await t.call('POST', '/api/v1/builds', {
      token: t.tokens.write,
      body: {
        repository: 'quay.io/dgangaia/test', docker_tags: queued.docker_tags, build_name: '50bc599', trigger_kind: queued.trigger_kind,
        trigger_id: queued.trigger_id, trigger_metadata: queued.trigger_metadata, is_manual: false, manual_user: null,
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().build_id as string;
    for (const body of path) assert.equal((await t.call('POST', `/api/v1/builds/${id}/phase`, { body })).statusCode, 200);
    return id;
  };

  test('build_queued: the seed\'s fields (plus build_name), Quay\'s values', async () => {
    const id = await seedBuild([]);
    const { row, data } = await lastEvent('build_queued');
    const seed = sample('build_queued');
    assert.deepEqual(payloadKeys(data), keysOf({ ...seed, build_name: 1 }));
    assert.equal(data.build_id, id);
    assert.equal(data.repository, 'quay.io/dgangaia/test');
    assert.equal(data.repo, seed.repo);
    assert.deepEqual([data.docker_tags, data.trigger_kind, data.trigger_id, data.is_manual, data.manual_user],
      [seed.docker_tags, seed.trigger_kind, seed.trigger_id, seed.is_manual, seed.manual_user]);
    assert.deepEqual(data.trigger_metadata, seed.trigger_metadata, 'trigger_metadata is passed through as sent');
    const repo = await storage.db.selectFrom('repositories').select('id').where('name', '=', 'quay.io/dgangaia/test').executeTakeFirstOrThrow();
    assert.equal(row.repository_id, repo.id);
  });

  test('build_start, build_success, build_failure, build_cancelled: exactly the seed\'s fields', async () => {
    const digests = sample('build_success').manifest_digests as string[];
    const success = { phase: 'success', image_id: sample('build_success').image_id, manifest_digests: digests };
    const cases: Array<[string, Array<Record<string, unknown>>]> = [
      ['build_start', [{ phase: 'started' }]],
      ['build_success', [{ phase: 'started' }, success]],
      ['build_failure', [{ phase: 'started' }, { phase: 'failure', error_message: sample('build_failure').error_message }]],
      ['build_cancelled', [{ phase: 'started' }, { phase: 'cancelled' }]],
    ];
    for (const [kind, steps] of cases) {
      const id = await seedBuild(steps);
      const { data } = await lastEvent(kind);
      const seed = sample(kind);
      assert.deepEqual(payloadKeys(data), keysOf(seed), kind);
      assert.equal(data.build_id, id);
      assert.equal(data.build_name, '50bc599');
      assert.deepEqual(data.trigger_metadata, sample('build_queued').trigger_metadata);
      assert.deepEqual(data.docker_tags, seed.docker_tags);
      if (kind === 'build_success') {
        assert.deepEqual(data.manifest_digests, digests);
        assert.equal(data.image_id, seed.image_id);
      }
      if (kind === 'build_failure') assert.equal(data.error_message, seed.error_message);
    }
  });

  test('untriggered builds leave the trigger fields out, as Quay does; is_manual and manual_user stay', async () => {
    const res = await t.call('POST', '/api/v1/builds', { body: { repository: 'nginx', is_manual: true, manual_user: 'alice' } });
    assert.equal(res.statusCode, 201, res.body);
    const id = res.json().build_id;
    const queued = (await lastEvent('build_queued')).data;
    assert.deepEqual(queued, {
      build_id: id, repository: 'docker.io/library/nginx', docker_tags: ['latest'], repo: 'nginx', is_manual: true, manual_user: 'alice',
    });
    await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'started' } });
    await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'success' } });
    const success = (await lastEvent('build_success')).data;
    assert.deepEqual(success, { build_id: id, repository: 'docker.io/library/nginx', docker_tags: ['latest'], manifest_digests: [] });
    const failed = (await t.call('POST', '/api/v1/builds', { body: { repository: 'nginx' } })).json().build_id;
    await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'started' } });
    await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'failure' } });
    assert.ok(!('error_message' in (await lastEvent('build_failure')).data), 'no error_message when none was given');
  });

  test('each change is audited with the acting token', async () => {
    const id = await seedBuild([{ phase: 'started' }]);
    const rows = await storage.db.selectFrom('audit_log').selectAll().where('target', '=', id).orderBy('id').execute();
    assert.deepEqual(rows.map((r) => r.action), ['build.create', 'build.phase']);
    assert.ok(rows.every((r) => r.token_id !== null));
    assert.deepEqual(JSON.parse(rows[1]!.detail!), { from: 'queued', to: 'started' });
  });
});
