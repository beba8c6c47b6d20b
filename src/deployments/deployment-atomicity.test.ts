import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, type TestApp } from '../../test/support/app.js';
import { migrateToLatest } from '../core/db/migrate.js';

const tables = ['environments', 'repositories', 'images', 'deployments', 'events', 'audit_log'] as const;

describeEachEngine('a deployment, its event and its audit entry commit together', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t.close(); await storage.dispose(); });

  const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (name) => {
    const r = await storage.db.selectFrom(name).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return [name, Number(r.n)] as const;
  })));

  test('migrating again changes nothing', async () => {
    assert.deepEqual(await migrateToLatest(storage), []);
  });

  test('when the last write of the transaction fails, nothing of it is stored', async () => {
    await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(1)}` }, environment: { name: 'production' } } });
    const before = await counts();
    // A trigger that refuses audit entries makes the transaction fail at its very end, after the deployment, the
    // environment, the repository and the event were written.
    if (engine === 'sqlite') {
      await sql`create trigger refuse_audit before insert on audit_log begin select raise(abort, 'refused by test'); end`.execute(storage.db);
    } else {
      await sql`create function refuse_audit() returns trigger language plpgsql as $$ begin raise exception 'refused by test'; end $$`.execute(storage.db);
      await sql`create trigger refuse_audit before insert on audit_log for each row execute function refuse_audit()`.execute(storage.db);
    }
    const res = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/new/repo@${digest(2)}` }, environment: { name: 'brand-new' } } });
    assert.equal(res.statusCode, 500);
    assert.equal(res.json().error.code, 'TW_INTERNAL');
    const replace = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(3)}` }, environment: { name: 'production' } } });
    assert.equal(replace.statusCode, 500);
    assert.deepEqual(await counts(), before);
    const running = await storage.db.selectFrom('deployments').select(['digest', 'undeployed_at']).execute();
    assert.deepEqual(running, [{ digest: digest(1), undeployed_at: null }], 'the running deployment was not ended');
    await sql`drop trigger refuse_audit${engine === 'sqlite' ? sql`` : sql` on audit_log`}`.execute(storage.db);
    const ok = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `nginx@${digest(3)}` }, environment: { name: 'production' } } });
    assert.equal(ok.statusCode, 201);
    assert.equal(ok.json().replaced, digest(1));
  });
});
