import path from 'node:path';

/** Settings of one server process: flags win over environment, environment over defaults (spec README, "Running it"). */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** postgres://… switches to PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl: string | null;
  /** PostgreSQL schema to work in (TIDEWATCH_DATABASE_SCHEMA); the server's default search path when unset. */
  databaseSchema: string | null;
  publicUrl: string;
  logLevel: string;
  bootstrapToken: string | null;
  secretKey: string | null;
  /** Requests per second allowed per token; 0 turns rate limiting off. */
  rateLimitPerSecond: number;
  bodyLimitBytes: number;
}

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
}

export function loadConfig(flags: ConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): Config {
  const port = Number(flags.port ?? env.TIDEWATCH_PORT ?? 8080);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`port must be an integer between 0 and 65535, got "${flags.port ?? env.TIDEWATCH_PORT}"`);
  }
  const host = flags.host ?? env.TIDEWATCH_HOST ?? '127.0.0.1';
  if (env.TIDEWATCH_DATABASE_SCHEMA && !/^[a-z_][a-z0-9_]{0,62}$/.test(env.TIDEWATCH_DATABASE_SCHEMA)) {
    throw new Error('TIDEWATCH_DATABASE_SCHEMA must be a lower-case SQL identifier (a-z, 0-9, _)');
  }
  const rate = Number(env.TIDEWATCH_RATE_LIMIT ?? 0);
  if (!Number.isFinite(rate) || rate < 0) {
    throw new Error(`TIDEWATCH_RATE_LIMIT must be a non-negative number of requests per second, got "${env.TIDEWATCH_RATE_LIMIT}"`);
  }
  return {
    port,
    host,
    dataDir: path.resolve(flags.dataDir ?? env.TIDEWATCH_DATA_DIR ?? './data'),
    databaseUrl: flags.databaseUrl ?? env.TIDEWATCH_DATABASE_URL ?? null,
    databaseSchema: env.TIDEWATCH_DATABASE_SCHEMA ?? null,
    publicUrl: (env.TIDEWATCH_PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, ''),
    logLevel: env.TIDEWATCH_LOG_LEVEL ?? 'info',
    bootstrapToken: env.TIDEWATCH_BOOTSTRAP_TOKEN ?? null,
    secretKey: env.TIDEWATCH_SECRET_KEY ?? null,
    rateLimitPerSecond: rate,
    bodyLimitBytes: 1024 * 1024,
  };
}
