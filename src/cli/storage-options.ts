import type { Command } from 'commander';
import { loadConfig, type Config } from '../core/config.js';
import { openStorage, type Storage } from '../core/db/database.js';
import { migrateToLatest } from '../core/db/migrate.js';

/** The flags that locate the database, shared by every command that opens it. */
export function withStorageFlags(cmd: Command): Command {
  return cmd
    .option('--data-dir <dir>', 'SQLite database and generated keys (TIDEWATCH_DATA_DIR, default ./data)')
    .option('--database-url <url>', 'postgres://… to use PostgreSQL (TIDEWATCH_DATABASE_URL)');
}

export async function openMigratedStorage(flags: { dataDir?: string; databaseUrl?: string; port?: string; host?: string }): Promise<{ config: Config; storage: Storage; applied: string[] }> {
  const config = loadConfig(flags);
  const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema ?? undefined });
  try {
    const applied = await migrateToLatest(storage);
    return { config, storage, applied };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
