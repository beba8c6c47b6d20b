import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { describe } from 'node:test';
import pg from 'pg';
import { openStorage, type Storage } from '../../src/core/db/database.js';
import { migrateToLatest } from '../../src/core/db/migrate.js';

/*
 * Every storage and API test runs on both engines from the same file (style.md, point 10). PostgreSQL comes from
 * TIDEWATCH_TEST_DATABASE_URL; each test database is a fresh schema, dropped afterwards. TIDEWATCH_TEST_ENGINES
 * (e.g. "sqlite") narrows the set while working on one engine.
 */
export type EngineName = 'sqlite' | 'postgres';

const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * TIDEWATCH_TEST_DATABASE_URL when set (then an unreachable server is a failure, as in CI); otherwise the machine's
 * local server if it answers, so `npm test` runs the whole suite on a developer machine too.
 */
export const postgresUrl: string | null = process.env.TIDEWATCH_TEST_DATABASE_URL ?? (await reachable(defaultPostgresUrl));
const postgresSkipReason = process.env.TIDEWATCH_TEST_DATABASE_URL
  ? null
  : `TIDEWATCH_TEST_DATABASE_URL is not set and no PostgreSQL answers at ${defaultPostgresUrl}, so the PostgreSQL run is skipped (.ci/run sets it)`;

async function reachable(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.end();
    return url;
  } catch {
    return null;
  }
}

export function selectedEngines(): EngineName[] {
  const wanted = (process.env.TIDEWATCH_TEST_ENGINES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
  return (['sqlite', 'postgres'] as const).filter((e) => wanted.includes(e));
}

export interface TestStorage extends Storage {
  /** Drops what the test created (SQLite file, PostgreSQL schema). */
  dispose(): Promise<void>;
  /** For child processes: the settings that open the same database. */
  env: Record<string, string>;
}

export async function openTestStorage(engine: EngineName): Promise<TestStorage> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-test-'));
    const storage = openStorage({ databaseUrl: null, dataDir: dir });
    await migrateToLatest(storage);
    return {
      ...storage,
      env: { TIDEWATCH_DATA_DIR: dir },
      dispose: async () => { await storage.close(); fs.rmSync(dir, { recursive: true, force: true }); },
    };
  }
  if (!postgresUrl) throw new Error('TIDEWATCH_TEST_DATABASE_URL is not set');
  const schema = `tw_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const storage = openStorage({ databaseUrl: postgresUrl, dataDir: os.tmpdir(), schema });
  const drop = async () => {
    const c = new pg.Client({ connectionString: postgresUrl! });
    await c.connect();
    await c.query(`drop schema if exists ${schema} cascade`);
    await c.end();
  };
  try {
    await migrateToLatest(storage);
  } catch (error) {
    await storage.close();
    await drop();
    throw error;
  }
  return {
    ...storage,
    env: { TIDEWATCH_DATABASE_URL: postgresUrl, TIDEWATCH_DATABASE_SCHEMA: schema },
    dispose: async () => { await storage.close(); await drop(); },
  };
}

/**
 * What a second process sees of a PostgreSQL test storage: the same schema through its own pool (and its own signals
 * connection). Disposing of it closes only that; the schema stays the first storage's to drop.
 */
export function openSharedStorage(storage: TestStorage): TestStorage {
  if (!postgresUrl || storage.schema === undefined) throw new Error('a shared storage is a second process on a PostgreSQL test schema');
  const second = openStorage({ databaseUrl: postgresUrl, dataDir: os.tmpdir(), schema: storage.schema });
  return { ...second, env: storage.env, dispose: () => second.close() };
}

/**
 * `describe` once per engine. Without a PostgreSQL URL the PostgreSQL half is skipped with the reason printed, never
 * silently.
 */
export function describeEachEngine(title: string, fn: (engine: EngineName) => void): void {
  for (const engine of selectedEngines()) {
    const skip = engine === 'postgres' && !postgresUrl ? postgresSkipReason ?? 'no PostgreSQL' : false;
    describe(`${title} [${engine}]`, { skip }, () => fn(engine));
  }
}
