/*
 * Tidewatch for a bench: the database from the environment (TIDEWATCH_DATA_DIR, or TIDEWATCH_DATABASE_URL and
 * TIDEWATCH_DATABASE_SCHEMA, as src/core/config.ts reads them), migrated, a fresh token (role TIDEWATCH_BENCH_ROLE,
 * default admin) in workspace "default", no logger, on 127.0.0.1 and a free port. Prints one line,
 * {"port":…, "token":"…"}, then serves until SIGTERM/SIGINT or until its stdin closes (the bench is gone).
 *
 * For experiments: TIDEWATCH_BENCH_LOG_ERRORS=1 logs errors (only) to stderr, to diagnose a 5xx;
 * TIDEWATCH_BENCH_SQL="stmt; stmt" runs statements after migrating (e.g. "pragma synchronous = off").
 */
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { sql } from 'kysely';
import { loadConfig } from '../src/core/config.js';
import { openStorage } from '../src/core/db/database.js';
import { migrateToLatest } from '../src/core/db/migrate.js';
import { bootstrapDefaultWorkspace } from '../src/workspaces/bootstrap.js';
import { createToken, roles, type Role } from '../src/auth/token-service.js';
import { buildApp } from '../src/http/app.js';

const role = (process.env.TIDEWATCH_BENCH_ROLE ?? 'admin') as Role;
if (!roles.includes(role)) throw new Error(`TIDEWATCH_BENCH_ROLE must be one of ${roles.join(', ')}`);

const config = loadConfig({ host: '127.0.0.1', port: 0 });
const storage = openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, schema: config.databaseSchema ?? undefined });
await migrateToLatest(storage);
for (const statement of (process.env.TIDEWATCH_BENCH_SQL ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
  await sql.raw(statement).execute(storage.db);
}
const { workspaceId } = await bootstrapDefaultWorkspace(storage.db, null);
const { token } = await createToken(storage.db, { workspaceId, role, name: `bench ${role}` });
const logger = process.env.TIDEWATCH_BENCH_LOG_ERRORS ? pino({ level: 'error' }, process.stderr) : false;
const app = await buildApp({ storage, config, logger });
await app.listen({ host: '127.0.0.1', port: 0 });
const { port } = app.server.address() as AddressInfo;
process.stdout.write(`${JSON.stringify({ port, token })}\n`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await app.close();
  await storage.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop()).resume();
