/*
 * Shared by the benches: command-line flags, a throw-away database (SQLite temp dir or PostgreSQL schema), server child
 * processes, an autocannon run that drains cleanly, percentiles and Markdown tables. Everything started here is
 * registered for cleanup, which runs on normal exit, on error and on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import autocannon from 'autocannon';
import { openStorage, type Storage } from '../src/core/db/database.js';

export type Engine = 'sqlite' | 'postgres';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(benchDir, '..');
const defaultPostgresUrl = 'postgres://postgres@127.0.0.1:5432/test';

// ---------------------------------------------------------------- flags, lifecycle

export interface BenchArgs {
  engine: Engine;
  /** Seconds of each load run. */
  duration: number;
  /** Write a V8 CPU profile of the Tidewatch server child (--cpu-prof) to a temp dir, kept after the run. */
  profile: boolean;
  /** A bench's own string options (`extra`), as given. */
  extra: Record<string, string | undefined>;
}

/** The flags every bench takes, and `extra` string options of its own (each with its default, if any). */
export function benchArgs(defaultDuration: number, extra: Record<string, { default?: string; flag?: true }> = {}): BenchArgs {
  // A `flag` takes no value: given, it reads as "true".
  const own = Object.fromEntries(Object.entries(extra).map(([k, { flag, ...o }]) => [k, { type: flag ? 'boolean' as const : 'string' as const, ...o }]));
  const { values } = parseArgs({
    options: {
      ...own,
      engine: { type: 'string', default: 'sqlite' },
      duration: { type: 'string', default: String(defaultDuration) },
      profile: { type: 'boolean', default: false },
    },
  });
  if (values.engine !== 'sqlite' && values.engine !== 'postgres') {
    throw new Error(`--engine must be sqlite or postgres, got "${values.engine}"`);
  }
  const duration = Number(values.duration);
  if (!(duration > 0)) throw new Error(`--duration must be a positive number of seconds, got "${values.duration}"`);
  const given = values as Record<string, string | boolean | undefined>;
  const extraValues = Object.fromEntries(Object.keys(extra).map((k) => [k, given[k] === true ? 'true' : given[k] as string | undefined]));
  return { engine: values.engine, duration, profile: values.profile, extra: extraValues };
}

const cleanups: Array<() => unknown> = [];

/** Runs `fn` last-registered-first when the bench ends, however it ends. */
export function onCleanup(fn: () => unknown): void {
  cleanups.unshift(fn);
}

async function runCleanups(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.shift()!();
    } catch (error) {
      console.error('cleanup failed:', error);
    }
  }
}

/** The bench's entry point: `fn` returns the exit code; cleanup always runs. */
export function main(fn: () => Promise<number>): void {
  let interrupted = false;
  const interrupt = (signal: string) => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping`);
    void runCleanups().finally(() => process.exit(130));
  };
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));
  fn().then(
    async (code) => { await runCleanups(); process.exit(code); },
    async (error) => { console.error(error); await runCleanups(); process.exit(1); },
  );
}

// ---------------------------------------------------------------- database

export interface BenchDatabase {
  engine: Engine;
  /** Human-readable, for the report. */
  location: string;
  /** What a child process needs to open the same database (read by src/core/config.ts). */
  env: Record<string, string>;
  open(): Storage;
  /** Removes the database now (a bench making one per run frees its disk early); cleanup does it otherwise. Idempotent. */
  drop(): Promise<void>;
}

/** A fresh, empty database: a temp dir for SQLite, a new schema for PostgreSQL; removed at cleanup. */
export async function benchDatabase(engine: Engine): Promise<BenchDatabase> {
  if (engine === 'sqlite') {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-bench-'));
    const drop = once(async () => fs.rmSync(dir, { recursive: true, force: true }));
    onCleanup(drop);
    return {
      engine,
      location: `sqlite:${dir}/tidewatch.db`,
      env: { TIDEWATCH_DATA_DIR: dir },
      open: () => openStorage({ databaseUrl: null, dataDir: dir }),
      drop,
    };
  }
  const url = process.env.TIDEWATCH_BENCH_DATABASE_URL ?? defaultPostgresUrl;
  const schema = `tw_bench_${randomBytes(6).toString('hex')}`;
  await adminQuery(url, `create schema ${schema}`);
  const drop = once(() => adminQuery(url, `drop schema if exists ${schema} cascade`));
  onCleanup(drop);
  return {
    engine,
    location: `${url.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:***@')} (schema ${schema})`,
    env: { TIDEWATCH_DATABASE_URL: url, TIDEWATCH_DATABASE_SCHEMA: schema },
    open: () => openStorage({ databaseUrl: url, dataDir: os.tmpdir(), schema }),
    drop,
  };
}

function once(fn: () => Promise<void>): () => Promise<void> {
  let done: Promise<void> | undefined;
  return () => (done ??= fn());
}

async function adminQuery(url: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------- child servers

export interface ServerChild {
  /** http://127.0.0.1:<port> */
  url: string;
  token: string;
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; resolves when the child has exited. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts `bench/<script>` in its own Node process and waits for its first stdout line, `{"port":…, "token":"…"}`.
 * The child's stdin is a pipe it watches: if this process dies without cleanup, the child sees EOF and stops.
 */
export async function startChild(
  script: string, env: Record<string, string>, nodeArgs: string[] = [],
): Promise<ServerChild> {
  // The child's database and settings come only from `env`, never from TIDEWATCH_* variables of the calling shell
  // (TIDEWATCH_BENCH_* excepted).
  const inherited = Object.fromEntries(Object.entries(process.env)
    .filter(([k]) => !k.startsWith('TIDEWATCH_') || k.startsWith('TIDEWATCH_BENCH_')));
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', path.join(benchDir, script)], {
    cwd: repoRoot,
    env: { ...inherited, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  onCleanup(stop);

  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not report its port within 60 s`)), 60_000);
    lines.once('line', (line) => { clearTimeout(timer); resolve(line); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (code ${code}) before reporting its port`));
    });
  });
  lines.on('line', (line) => console.error(`[${script}] ${line}`));
  const { port, token } = JSON.parse(first) as { port: number; token?: string };
  return { url: `http://127.0.0.1:${port}`, token: token ?? '', pid: child.pid!, stop };
}

/**
 * CPU seconds (user + system, all threads) a process has used so far, from /proc (Linux; USER_HZ is 100 there); null
 * elsewhere. The difference over a run says what the server spent, whatever else competed for the cores meanwhile.
 */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime: fields 14 and 15 of the whole line
  } catch {
    return null;
  }
}

/** `--cpu-prof` arguments for a server child, into a temp dir that is kept (its path is printed). */
export function profileArgs(enabled: boolean): string[] {
  if (!enabled) return [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tidewatch-bench-prof-'));
  console.error(`CPU profile of the server child will be written to ${dir}`);
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`];
}

// ---------------------------------------------------------------- load

export interface LoadOptions {
  /** http://127.0.0.1:<port> */
  url: string;
  connections: number;
  seconds: number;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** Called once per request: its path and (for POST) its body (a Buffer is sent as it is, without re-encoding). */
  next(): { path: string; body?: string | Buffer };
}

export interface LoadResult {
  responses: number;
  byStatus: Map<number, number>;
  /** Response times in ms, one per response. */
  latencies: number[];
  /** The first few distinct bodies of non-2xx answers, to show what went wrong. */
  failures: string[];
  errors: number;
  /** From the first request to the last response. */
  seconds: number;
  reqPerSec: number;
}

/**
 * autocannon with one difference: when the time is up, every connection finishes the request it has in flight and
 * only then closes. (autocannon's own stop destroys connections mid-request, so the server may have stored writes
 * whose answers were never counted.)
 */
export async function load(o: LoadOptions): Promise<LoadResult> {
  const clients: autocannon.Client[] = [];
  const latencies: number[] = [];
  const byStatus = new Map<number, number>();
  const failures = new Set<string>();
  const started = performance.now();
  let last = started;
  let drainTimer: NodeJS.Timeout | undefined;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({
      url: o.url,
      connections: o.connections,
      duration: o.seconds + 60, // a safety net only: the drain below ends the run
      method: o.method,
      headers: o.headers,
      requests: [{
        setupRequest: (request) => {
          const next = o.next();
          request.path = next.path;
          if (next.body !== undefined) request.body = next.body;
          return request;
        },
        onResponse: (status, body) => {
          if ((status < 200 || status >= 300) && failures.size < 5) failures.add(`${status} ${body.slice(0, 300)}`);
        },
      }],
      setupClient: (client) => { clients.push(client); },
    }, (error, res) => (error ? reject(error) : resolve(res)));
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
      last = performance.now();
    });
    drainTimer = setTimeout(() => {
      for (const c of clients) c.responseMax = Math.max(1, c.reqsMade);
    }, o.seconds * 1000);
  });
  clearTimeout(drainTimer);
  const seconds = (last - started) / 1000;
  return {
    responses: latencies.length, byStatus, latencies, failures: [...failures], errors: result.errors, seconds,
    reqPerSec: latencies.length / seconds,
  };
}

/** One call to the Tidewatch under test, for a bench's setup: its JSON answer, or an error naming the status. */
export async function api(base: string, token: string, method: string, path: string, body: string, type = 'application/json') {
  const res = await fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<any>;
}

export function count2xx(r: Pick<LoadResult, 'byStatus'>): number {
  return [...r.byStatus].filter(([s]) => s >= 200 && s < 300).reduce((n, [, c]) => n + c, 0);
}

// ---------------------------------------------------------------- figures

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

export function markdownTable(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  const align = head.map((_, i) => (i === 0 ? '---' : '---:'));
  return [line(head), line(align), ...rows.map(line)].join('\n');
}

/** "goal on SQLite: … — met / NOT met"; on PostgreSQL the goal is printed for information only. */
export function goalLine(engine: Engine, goal: string, met: boolean, detail = ''): string {
  const verdict = engine === 'sqlite' ? ` — ${met ? 'met' : 'NOT met'}${detail}` : ' (this run is PostgreSQL: for information)';
  return `goal on SQLite: ${goal}${verdict}`;
}

const loadBefore = os.loadavg()[0]!;

/**
 * Engine, Node, CPUs, load: printed above every table so figures are never pasted without their context. The load at
 * the end includes the bench's own (about 2 while it saturates a server); much more means something else competed
 * for the two cores during the run.
 */
export function machineLine(db: BenchDatabase): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  return `engine ${db.engine} (${db.location}), Node ${process.version}, ${os.cpus().length} × ${cpu}, `
    + `1-min load average ${loadBefore.toFixed(2)} before the run, ${os.loadavg()[0]!.toFixed(2)} at its end`;
}
