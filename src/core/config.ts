import path from 'node:path';
import { parseAllowList, type AllowList } from '../delivery/address-ranges.js';

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
  /**
   * Delays before each delivery attempt, in ms (TIDEWATCH_DELIVERY_SCHEDULE, default `0,10s,1m,5m,30m`): the first is
   * 0 (a delivery is attempted at once), each later one counts from the end of the failed attempt before it, and the
   * list's length is the number of attempts (notifications.md "Delivery guarantees").
   */
  deliverySchedule: number[];
  /** An attempt succeeds only with a 2xx within this many ms (TIDEWATCH_DELIVERY_TIMEOUT, default 10s). */
  deliveryTimeoutMs: number;
  /** TIDEWATCH_OUTBOUND_ALLOW: CIDRs the outbound guard lets through although they are private (security.md). */
  outboundAllow: AllowList;
  /** TIDEWATCH_SMTP_URL (smtp:// or smtps://, with credentials): the e-mail method's server; null = no e-mail. */
  smtpUrl: string | null;
  /** TIDEWATCH_SMTP_FROM: the From of notification e-mails; default tidewatch@<host of the public URL>. */
  smtpFrom: string | null;
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
  const deliverySchedule = parseSchedule(env.TIDEWATCH_DELIVERY_SCHEDULE ?? '0,10s,1m,5m,30m');
  const deliveryTimeoutMs = parseDuration(env.TIDEWATCH_DELIVERY_TIMEOUT ?? '10s', 'TIDEWATCH_DELIVERY_TIMEOUT');
  if (deliveryTimeoutMs <= 0) throw new Error('TIDEWATCH_DELIVERY_TIMEOUT must be longer than 0');
  const smtpUrl = env.TIDEWATCH_SMTP_URL || null;
  if (smtpUrl !== null && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    throw new Error('TIDEWATCH_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587');
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
    deliverySchedule,
    deliveryTimeoutMs,
    outboundAllow: parseAllowList(env.TIDEWATCH_OUTBOUND_ALLOW),
    smtpUrl,
    smtpFrom: env.TIDEWATCH_SMTP_FROM || null,
  };
}

const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A duration such as `0`, `500ms`, `10s`, `1m`, `1h` (decimals allowed: `1.5s`), in milliseconds. */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  if (!m || (m[2] === undefined && Number(m[1]) !== 0)) {
    throw new Error(`${name}: "${text}" is not a duration; write 0 or a number with a unit: 500ms, 10s, 1m, 1h`);
  }
  return Math.round(Number(m[1]) * units[m[2] ?? 'ms']!);
}

/** TIDEWATCH_DELIVERY_SCHEDULE: a comma list of durations, the first 0, at most 20 attempts, none over a day. */
export function parseSchedule(text: string): number[] {
  const name = 'TIDEWATCH_DELIVERY_SCHEDULE';
  const delays = text.split(',').map((part) => parseDuration(part, name));
  if (delays[0] !== 0) throw new Error(`${name} must start with 0: the first attempt of a delivery is made at once`);
  if (delays.length > 20) throw new Error(`${name} may list at most 20 attempts (got ${delays.length})`);
  if (delays.some((d) => d > 86_400_000)) throw new Error(`${name}: a delay may be at most 24h`);
  return delays;
}
