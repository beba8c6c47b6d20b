import fs from 'node:fs';
import path from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Database } from './schema.js';
import { checkpointFinisher, startCheckpointer } from './sqlite-checkpointer.js';
import { groupCommitter } from './group-commit.js';
import { postgresCapabilities, sqliteCapabilities, type EngineCapabilities } from './engine.js';
import { postgresSignals, type Signals } from './signals.js';

export type Db = Kysely<Database>;

export interface Storage {
  db: Db;
  engine: EngineCapabilities;
  /** Human-readable location, for logs (never includes a password). */
  location: string;
  /** PostgreSQL schema the storage works in, when one was given. */
  schema?: string;
  /**
   * Runs `work` in a write transaction. On SQLite, work arriving together shares one COMMIT (group-commit.ts); on
   * PostgreSQL each is its own transaction. The promise settles after the commit.
   */
  transact<T>(work: (trx: Db) => Promise<T>): Promise<T>;
  /** Signals to the other processes sharing the database (signals.ts); absent on SQLite, which serves one process. */
  signals?: Signals;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** postgres://… or null for SQLite in dataDir. */
  databaseUrl: string | null;
  dataDir: string;
  /** PostgreSQL only: schema to work in (tests give each file its own). */
  schema?: string;
  /** SQLite only: a file path that overrides dataDir/tidewatch.db (":memory:" allowed). */
  sqliteFile?: string;
}

// bigint (count(*), bigserial) comes back from pg as a string; our ids and counts fit in a double.
pg.types.setTypeParser(20, (v) => Number.parseInt(v, 10));

export function openStorage(options: StorageOptions): Storage {
  if (options.databaseUrl && /^postgres(ql)?:\/\//.test(options.databaseUrl)) {
    return openPostgres(options.databaseUrl, options.schema);
  }
  if (options.databaseUrl) {
    throw new Error(`database URL must start with postgres:// or postgresql://, got "${redact(options.databaseUrl)}"`);
  }
  return openSqlite(options.sqliteFile ?? path.join(options.dataDir, 'tidewatch.db'));
}

function openSqlite(file: string): Storage {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new SqliteDatabase(file);
  sqlite.pragma('journal_mode = WAL');
  // NORMAL in WAL mode keeps the database consistent on power loss and loses no committed transaction on a crash of
  // the process, which is the failure we test (kill -9); it avoids an fsync per commit.
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  // 16 MB of page cache (better-sqlite3's default; SQLite's own is 2 MiB), not more: at a commit after a B-tree
  // balance that swapped two pages' numbers (it parks one at the lock-byte page number, 262,145), SQLite walks the
  // whole hash table of the cache to drop pages past the end of the file (pcache1TruncateUnsafe). With 64 MiB that
  // walk was 7 % of the main thread during scan ingest (bench/scan.ts, perf); bench:env's views measured the same
  // with 16 MB as with 64 MiB, since what they read stays in the operating system's cache.
  sqlite.pragma('cache_size = -16000');
  // Sub-journals in memory: group-commit.ts runs each transaction of a batch in a SAVEPOINT, and SQLite copies every
  // page a savepoint changes that existed before it to a sub-journal, which past 64 KiB it spills to a temporary file
  // — a third of the main thread's kernel time during scan ingest (bench/scan.ts, perf). The journal of one job is
  // the pages it touched (a few hundred KiB for a large scan) and is dropped at its RELEASE.
  sqlite.pragma('temp_store = MEMORY');
  // Checkpoints run in a worker thread (see sqlite-checkpointer.ts), not inside our commits.
  const checkpointer = file === ':memory:' ? null : (sqlite.pragma('wal_autocheckpoint = 0'), startCheckpointer(file));
  // A log that was started over keeps its size on disk; this bounds what it keeps.
  sqlite.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
  return {
    db,
    engine: sqliteCapabilities,
    location: `sqlite:${file}`,
    transact: groupCommitter(db, checkpointFinisher(() => sqlite.pragma('wal_checkpoint(PASSIVE)'))),
    close: async () => {
      await db.destroy();
      await checkpointer?.stop();
    },
  };
}

function openPostgres(url: string, schema?: string): Storage {
  const pool = new pg.Pool({
    connectionString: url,
    max: Number(process.env.TIDEWATCH_DB_POOL ?? 10),
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const signals = postgresSignals(url, schema);
  return {
    db,
    engine: postgresCapabilities,
    location: redact(url) + (schema ? ` (schema ${schema})` : ''),
    transact: (work) => db.transaction().execute(work),
    signals,
    ...(schema ? { schema } : {}),
    close: async () => {
      await signals.close();
      await db.destroy();
    },
  };
}

/**
 * Kysely prepares every statement anew; better-sqlite3 statements are reusable, and preparing costs as much as running
 * a small query, so keep them by SQL text. The set of SQL texts is bounded by the code's queries (values are bound).
 */
function withStatementCache(sqlite: SqliteDatabase.Database): SqliteDatabase.Database {
  const cache = new Map<string, SqliteDatabase.Statement>();
  return new Proxy(sqlite, {
    get(target, prop) {
      if (prop === 'prepare') {
        return (source: string) => {
          let stmt = cache.get(source);
          if (!stmt) {
            stmt = target.prepare(source);
            if (cache.size < 2000) cache.set(source, stmt);
          }
          return stmt;
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@');
}
