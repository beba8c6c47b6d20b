import { Migrator, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { Storage } from './database.js';
import type { EngineCapabilities } from './engine.js';
import * as m001 from './migrations/001-domain.js';
import * as m002 from './migrations/002-admission-pods.js';
import * as m003 from './migrations/003-vulnerability-index.js';
import * as m004 from './migrations/004-descriptions.js';

type EngineMigration = { up(db: any, engine: EngineCapabilities): Promise<void> };

/** Numbered, in order; a landed migration is never edited. */
const migrations: Record<string, EngineMigration> = {
  '001-domain': m001,
  '002-admission-pods': m002,
  '003-vulnerability-index': m003,
  '004-descriptions': m004,
};

function provider(engine: EngineCapabilities): MigrationProvider {
  return {
    async getMigrations() {
      const out: Record<string, Migration> = {};
      for (const [name, m] of Object.entries(migrations)) out[name] = { up: (db) => m.up(db, engine) };
      return out;
    },
  };
}

// Kysely looks for its bookkeeping tables by name across all schemas unless told which one: with several schemas in
// one database (tests, or tenants sharing a server) it must be told.
function migrator(storage: Storage): Migrator {
  return new Migrator({
    db: storage.db,
    provider: provider(storage.engine),
    ...(storage.schema ? { migrationTableSchema: storage.schema } : {}),
  });
}

export async function migrateToLatest(storage: Storage): Promise<string[]> {
  const result: MigrationResultSet = await migrator(storage).migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new Error(`migration ${failed} failed: ${(result.error as Error).message ?? String(result.error)}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** True when every known migration has been applied (for /readyz). */
export async function isMigrated(storage: Storage): Promise<boolean> {
  const all = await migrator(storage).getMigrations();
  return all.every((m) => m.executedAt !== undefined);
}
