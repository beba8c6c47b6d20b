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
  /**
   * How long a worker's claim on a delivery holds (TIDEWATCH_DELIVERY_LEASE, default 30 s + the timeout): after a
   * process dies, others take its claimed deliveries over when this runs out. At least the timeout + 5 s, so a live
   * worker's send never outlasts its lease.
   */
  deliveryLeaseMs: number;
  /** Sends in flight per process (TIDEWATCH_DELIVERY_CONCURRENCY, default 64). */
  deliveryConcurrency: number;
  /** Sends in flight per receiver (origin) per process (TIDEWATCH_DELIVERY_PER_RECEIVER, default 4). */
  deliveryPerReceiver: number;
  /** TIDEWATCH_OUTBOUND_ALLOW: CIDRs the outbound guard lets through although they are private (security.md). */
  outboundAllow: AllowList;
  /** TIDEWATCH_SMTP_URL (smtp:// or smtps://, with credentials): the e-mail method's server; null = no e-mail. */
  smtpUrl: string | null;
  /** TIDEWATCH_SMTP_FROM: the From of notification e-mails; default tidewatch@<host of the public URL>. */
  smtpFrom: string | null;
  /**
   * --tls-cert/--tls-key (TIDEWATCH_TLS_CERT, TIDEWATCH_TLS_KEY): PEM files; the whole API is then served over HTTPS,
   * which the Kubernetes API server requires of a webhook (admission.md "Clusters"). null = plain HTTP.
   */
  tls: TlsFiles | null;
}

export interface TlsFiles {
  certFile: string;
  keyFile: string;
}

export interface ConfigFlags {
  port?: string | number;
  host?: string;
  dataDir?: string;
  databaseUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
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
  const deliveryLeaseMs = env.TIDEWATCH_DELIVERY_LEASE === undefined
    ? 30_000 + deliveryTimeoutMs
    : parseDuration(env.TIDEWATCH_DELIVERY_LEASE, 'TIDEWATCH_DELIVERY_LEASE');
  if (deliveryLeaseMs < deliveryTimeoutMs + 5000) {
    throw new Error(`TIDEWATCH_DELIVERY_LEASE must be at least TIDEWATCH_DELIVERY_TIMEOUT + 5s (${deliveryTimeoutMs + 5000} ms), so a send never outlasts its claim`);
  }
  const deliveryConcurrency = positiveInteger(env, 'TIDEWATCH_DELIVERY_CONCURRENCY', 64, 1024);
  const deliveryPerReceiver = positiveInteger(env, 'TIDEWATCH_DELIVERY_PER_RECEIVER', 4, deliveryConcurrency);
  const smtpUrl = env.TIDEWATCH_SMTP_URL || null;
  if (smtpUrl !== null && !/^smtps?:\/\/[^/]/.test(smtpUrl)) {
    throw new Error('TIDEWATCH_SMTP_URL must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587');
  }
  const tls = tlsFilesOf(flags, env);
  return {
    port,
    host,
    dataDir: path.resolve(flags.dataDir ?? env.TIDEWATCH_DATA_DIR ?? './data'),
    databaseUrl: flags.databaseUrl ?? env.TIDEWATCH_DATABASE_URL ?? null,
    databaseSchema: env.TIDEWATCH_DATABASE_SCHEMA ?? null,
    publicUrl: (env.TIDEWATCH_PUBLIC_URL ?? `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/+$/, ''),
    logLevel: env.TIDEWATCH_LOG_LEVEL ?? 'info',
    bootstrapToken: env.TIDEWATCH_BOOTSTRAP_TOKEN ?? null,
    secretKey: env.TIDEWATCH_SECRET_KEY ?? null,
    rateLimitPerSecond: rate,
    bodyLimitBytes: 1024 * 1024,
    deliverySchedule,
    deliveryTimeoutMs,
    deliveryLeaseMs,
    deliveryConcurrency,
    deliveryPerReceiver,
    outboundAllow: parseAllowList(env.TIDEWATCH_OUTBOUND_ALLOW),
    smtpUrl,
    smtpFrom: env.TIDEWATCH_SMTP_FROM || null,
    tls,
  };
}

/** Both TLS files or neither: a certificate without its key (or the reverse) is a mistake, never plain HTTP. */
export function tlsFilesOf(flags: Pick<ConfigFlags, 'tlsCert' | 'tlsKey'>, env: NodeJS.ProcessEnv = process.env): TlsFiles | null {
  const certFile = flags.tlsCert ?? (env.TIDEWATCH_TLS_CERT || undefined);
  const keyFile = flags.tlsKey ?? (env.TIDEWATCH_TLS_KEY || undefined);
  if (certFile === undefined && keyFile === undefined) return null;
  if (certFile === undefined) throw new Error('--tls-key (TIDEWATCH_TLS_KEY) needs --tls-cert (TIDEWATCH_TLS_CERT): give both PEM files to serve over HTTPS, or neither');
  if (keyFile === undefined) throw new Error('--tls-cert (TIDEWATCH_TLS_CERT) needs --tls-key (TIDEWATCH_TLS_KEY): give both PEM files to serve over HTTPS, or neither');
  return { certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
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

function positiveInteger(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${name} must be a whole number from 1 to ${max}, got "${raw}"`);
  return n;
}
