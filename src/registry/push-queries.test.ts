import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { ensureWorkspace } from '../workspaces/workspace-queries.js';
import { claimReceipt } from './push-queries.js';

describeEachEngine('ingest receipts', (engine) => {
  let storage: TestStorage;
  let workspaceId: string;
  before(async () => { storage = await openTestStorage(engine); workspaceId = (await ensureWorkspace(storage.db, 'default')).id; });
  after(async () => { await storage.dispose(); });

  const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1) + seconds * 1000).toISOString();

  test('an id is claimed once, per workspace and source', async () => {
    const claim = (source: string) => claimReceipt(storage.db, { workspaceId, source, sourceId: 'evt-1', at: at(0) });
    assert.deepEqual([await claim('distribution'), await claim('distribution'), await claim('harbor')], [true, false, true]);
  });

  test('with a window, the same id is a redelivery within it and a new event after it', async () => {
    const claim = (seconds: number) => claimReceipt(storage.db, { workspaceId, source: 'quay', sourceId: 'body-hash', at: at(seconds), windowSeconds: 900 });
    assert.equal(await claim(0), true);
    assert.equal(await claim(600), false);
    assert.equal(await claim(901), true, 'past the window of the first claim');
    assert.equal(await claim(1500), false, 'the window restarts at the last claim');
  });
});
