import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openSharedStorage, openTestStorage, postgresUrl, type TestStorage } from '../../../test/support/engines.js';
import { eventually } from '../../../test/support/notifications.js';
import type { Storage } from './database.js';
import { channelName, postgresSignals } from './signals.js';

/*
 * Signals between processes sharing a PostgreSQL database (signals.ts). Two storages on one schema stand for two
 * processes: each has its own pool and its own listening connection, as two `tidewatch serve` would.
 */
const skip = postgresUrl ? false : 'no PostgreSQL answers (set TIDEWATCH_TEST_DATABASE_URL): signals exist on PostgreSQL only';

describe('signals between processes [postgres]', { skip }, () => {
  let a: TestStorage;
  let b: TestStorage;
  let elsewhere: TestStorage;
  before(async () => {
    a = await openTestStorage('postgres');
    b = openSharedStorage(a);
    elsewhere = await openTestStorage('postgres');
  });
  after(async () => {
    await b.dispose();
    await a.dispose();
    await elsewhere.dispose();
  });

  const counter = (storage: Storage, channel: string) => {
    const heard = { n: 0 };
    const stop = storage.signals!.listen(channel, () => { heard.n++; });
    return { heard, stop };
  };
  const raise = (storage: Storage, channel: string) => storage.transact((trx) => storage.signals!.raise(trx, channel));
  /** Long enough for a signal that is coming to have come. */
  const settle = () => new Promise((r) => setTimeout(r, 300));
  const ready = () => Promise.all([a, b, elsewhere].map((s) => s.signals!.ready()));

  test('a committed signal is heard by the other process, not by the one that raised it nor by another schema', async () => {
    const inB = counter(b, 'work');
    const inA = counter(a, 'work');
    const inOtherSchema = counter(elsewhere, 'work');
    const otherChannel = counter(b, 'other');
    try {
      await ready();
      await raise(a, 'work');
      await eventually(async () => inB.heard.n, (n) => n === 1);
      await raise(a, 'work');
      await eventually(async () => inB.heard.n, (n) => n === 2);
      await settle();
      assert.equal(inA.heard.n, 0, 'a process does not hear its own signals');
      assert.equal(inOtherSchema.heard.n, 0, 'a storage on another schema does not hear them');
      assert.equal(otherChannel.heard.n, 0, 'another channel does not hear them');
    } finally {
      await Promise.all([inB.stop(), inA.stop(), inOtherSchema.stop(), otherChannel.stop()]);
    }
  });

  test('a signal raised in a transaction that rolls back is never heard', async () => {
    const inB = counter(b, 'work');
    try {
      await ready();
      await assert.rejects(a.transact(async (trx) => {
        await a.signals!.raise(trx, 'work');
        throw new Error('roll back');
      }), /roll back/);
      await settle();
      assert.equal(inB.heard.n, 0);
      await raise(a, 'work');
      await eventually(async () => inB.heard.n, (n) => n === 1);
    } finally {
      await inB.stop();
    }
  });

  test('when its connection is cut, the listener is told once on reconnecting and hears later signals', async () => {
    const inB = counter(b, 'work');
    const admin = new pg.Client({ connectionString: postgresUrl! });
    await admin.connect();
    try {
      await ready();
      const listening = async () => (await admin.query(
        `select pid from pg_stat_activity where application_name = 'tidewatch-signals' and query = $1`,
        [`LISTEN "${channelName(a.schema, 'work')}"`],
      )).rows.map((r) => r.pid as number);
      const before = await eventually(listening, (pids) => pids.length >= 1);
      for (const pid of before) await admin.query('select pg_terminate_backend($1)', [pid]);
      // Signals raised while nobody listens are lost; the reconnect tells the listener once instead.
      await eventually(async () => inB.heard.n, (n) => n === 1);
      await raise(a, 'work');
      await eventually(async () => inB.heard.n, (n) => n === 2);
      const after = await listening();
      assert.ok(after.every((pid) => !before.includes(pid)), 'a new connection listens');
    } finally {
      await admin.end();
      await inB.stop();
    }
  });

  test('channel names fit PostgreSQL identifiers whatever the schema', () => {
    assert.equal(channelName('tw_test_abc', 'deliveries'), 'tidewatch.tw_test_abc.deliveries');
    assert.equal(channelName(undefined, 'deliveries'), 'tidewatch.public.deliveries');
    const long = channelName('s'.repeat(80), 'deliveries');
    assert.ok(Buffer.byteLength(long) <= 63, long);
    assert.notEqual(long, channelName('s'.repeat(81), 'deliveries'));
  });
});

describe('signals without a reachable server', () => {
  test('listening keeps retrying quietly (errors reported, nothing thrown) and close() returns at once', async () => {
    const errors: Error[] = [];
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const signals = postgresSignals('postgres://postgres@127.0.0.1:1/test', 'tw_none', (error) => errors.push(error));
    let heard = 0;
    const stop = signals.listen('work', () => { heard++; });
    await eventually(async () => errors.length, (n) => n >= 2, 5000); // the first attempt and a retry a second later
    const started = Date.now();
    await stop();
    await signals.close();
    assert.ok(Date.now() - started < 500, 'close does not wait for a connection');
    assert.equal(heard, 0);
    assert.match(errors[0]!.message, /ECONNREFUSED|connect/);
  });
});
