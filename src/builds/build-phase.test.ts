import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { phaseStep, type BuildPhase } from './build-phases.js';

/*
 * Spec ingest.md "Builds": phases only move forward (queued→started→success|failure|cancelled, queued→cancelled);
 * anything else is 409 naming the current phase; repeating the current phase is idempotent. The table is written out
 * by hand, every (current, reported) pair, rather than derived from the code under test.
 */
type Expect = 'move' | 'repeat' | 409;
const table: Array<[BuildPhase, Exclude<BuildPhase, 'queued'>, Expect]> = [
  ['queued', 'started', 'move'], ['queued', 'success', 409], ['queued', 'failure', 409], ['queued', 'cancelled', 'move'],
  ['started', 'started', 'repeat'], ['started', 'success', 'move'], ['started', 'failure', 'move'], ['started', 'cancelled', 'move'],
  ['success', 'started', 409], ['success', 'success', 'repeat'], ['success', 'failure', 409], ['success', 'cancelled', 409],
  ['failure', 'started', 409], ['failure', 'success', 409], ['failure', 'failure', 'repeat'], ['failure', 'cancelled', 409],
  ['cancelled', 'started', 409], ['cancelled', 'success', 409], ['cancelled', 'failure', 409], ['cancelled', 'cancelled', 'repeat'],
];

const eventOf = { started: 'build_start', success: 'build_success', failure: 'build_failure', cancelled: 'build_cancelled' } as const;
const bodyOf = (phase: Exclude<BuildPhase, 'queued'>, n: number) =>
  phase === 'success' ? { phase, manifest_digests: [digest(n)], image_id: digest(9000 + n) }
    : phase === 'failure' ? { phase, error_message: 'Could not find or parse Dockerfile: unknown instruction: GIT' }
      : { phase };
/** The legal path from queued to each phase. */
const pathTo: Record<BuildPhase, Array<Exclude<BuildPhase, 'queued'>>> = {
  queued: [], started: ['started'], success: ['started', 'success'], failure: ['started', 'failure'], cancelled: ['cancelled'],
};

describe('the phase machine (pure)', () => {
  test('agrees with the table for every pair', () => {
    for (const [from, to, expect] of table) assert.equal(phaseStep(from, to), expect === 409 ? 'refused' : expect, `${from} → ${to}`);
  });
});

describeEachEngine('POST /api/v1/builds/:id/phase', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const eventsOf = async (id: string) => (await storage.db.selectFrom('events').select(['kind', 'data']).orderBy('id').execute())
    .filter((e) => JSON.parse(e.data).build_id === id).map((e) => e.kind);
  const newBuild = async () => {
    const res = await t.call('POST', '/api/v1/builds', { token: t.tokens.write, body: { repository: 'ghcr.io/acme/phases', docker_tags: ['main'] } });
    assert.equal(res.statusCode, 201, res.body);
    return res.json().build_id as string;
  };

  let n = 0;
  for (const [from, to, expect] of table) {
    test(`${from} → ${to}: ${expect === 409 ? '409 TW_CONFLICT' : expect}`, async () => {
      const id = await newBuild();
      const k = ++n;
      for (const step of pathTo[from]) {
        const res = await t.call('POST', `/api/v1/builds/${id}/phase`, { token: t.tokens.write, body: bodyOf(step, k) });
        assert.equal(res.statusCode, 200, res.body);
      }
      const before = await eventsOf(id);
      const stored = (await t.call('GET', `/api/v1/builds/${id}`)).json();
      const res = await t.call('POST', `/api/v1/builds/${id}/phase`, { token: t.tokens.write, body: bodyOf(to, k) });
      const after = await eventsOf(id);
      if (expect === 409) {
        assert.equal(res.statusCode, 409, res.body);
        assert.equal(res.json().error.code, 'TW_CONFLICT');
        assert.match(res.json().error.message, new RegExp(`^build ${id} is ${from}; it cannot move to ${to}`));
        assert.deepEqual(after, before, 'no event');
        assert.deepEqual((await t.call('GET', `/api/v1/builds/${id}`)).json(), stored, 'nothing changed');
      } else if (expect === 'repeat') {
        assert.equal(res.statusCode, 200, res.body);
        assert.deepEqual(res.json(), stored, 'the stored build, unchanged');
        assert.deepEqual(after, before, 'no new event');
      } else {
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.json().phase, to);
        assert.deepEqual(after, [...before, eventOf[to]]);
      }
    });
  }

  test('every build starts queued with its build_queued event', async () => {
    const id = await newBuild();
    assert.deepEqual(await eventsOf(id), ['build_queued']);
    const b = (await t.call('GET', `/api/v1/builds/${id}`, { token: t.tokens.read })).json();
    assert.deepEqual([b.phase, b.started_at, b.finished_at], ['queued', null, null]);
  });

  test('started sets started_at; the end sets finished_at; a cancel from queued leaves started_at empty', async () => {
    const id = await newBuild();
    const started = (await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'started' } })).json();
    assert.ok(started.started_at >= started.created_at);
    assert.equal(started.finished_at, null);
    const done = (await t.call('POST', `/api/v1/builds/${id}/phase`, { body: bodyOf('success', 500) })).json();
    assert.equal(done.started_at, started.started_at);
    assert.ok(done.finished_at >= done.started_at);
    assert.equal(done.updated_at, done.finished_at);
    const other = await newBuild();
    const cancelled = (await t.call('POST', `/api/v1/builds/${other}/phase`, { body: { phase: 'cancelled' } })).json();
    assert.equal(cancelled.started_at, null);
    assert.notEqual(cancelled.finished_at, null);
  });

  test('a repeat that reports other digests, image id or error is 409, and changes nothing', async () => {
    const id = await newBuild();
    await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'started' } });
    const ok = await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'success', manifest_digests: [digest(601), `ghcr.io/acme/phases@${digest(602)}`] } });
    assert.equal(ok.statusCode, 200, ok.body);
    // The same digests, written the other way (bare vs full reference, other order), are the same report.
    const same = await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'success', manifest_digests: [digest(602), `ghcr.io/acme/phases@${digest(601)}`] } });
    assert.equal(same.statusCode, 200, same.body);
    for (const body of [{ phase: 'success', manifest_digests: [digest(601)] }, { phase: 'success', image_id: digest(603) }]) {
      const res = await t.call('POST', `/api/v1/builds/${id}/phase`, { body });
      assert.equal(res.statusCode, 409, res.body);
      assert.match(res.json().error.message, /is already success with another (manifest_digests|image_id)/);
    }
    const failed = await newBuild();
    await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'started' } });
    await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'failure', error_message: 'one' } });
    const other = await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'failure', error_message: 'two' } });
    assert.equal(other.statusCode, 409);
    assert.equal((await t.call('GET', `/api/v1/builds/${failed}`)).json().error_message, 'one');
    assert.equal((await t.call('POST', `/api/v1/builds/${failed}/phase`, { body: { phase: 'failure' } })).statusCode, 200, 'a bare repeat is a retry');
  });

  test('reports racing to end one build: exactly one wins, with one event', async () => {
    const id = await newBuild();
    await t.call('POST', `/api/v1/builds/${id}/phase`, { body: { phase: 'started' } });
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => t.call('POST', `/api/v1/builds/${id}/phase`, {
      body: [bodyOf('success', 700), bodyOf('failure', 700), { phase: 'cancelled' }][i % 3],
    })));
    const statuses = answers.map((a) => a.statusCode);
    assert.ok(statuses.every((s) => s === 200 || s === 409), statuses.join());
    const events = await eventsOf(id);
    assert.equal(events.length, 3, events.join());
    const final = (await t.call('GET', `/api/v1/builds/${id}`)).json().phase;
    assert.equal(events[2], eventOf[final as 'success']);
    assert.equal(answers.filter((a) => a.statusCode === 200).length, 4, 'the winner and its three repeats');
  });
});
