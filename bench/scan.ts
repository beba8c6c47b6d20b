/*
 * npm run bench:scan -- [--engine sqlite|postgres] [--duration 10] [--repeat 1] [--only grype|trivy] [--listen]
 *                       [--profile]                                                  (TIDEWATCH_BENCH_WARMUP=3 s)
 *
 * POST /api/v1/scans under load with two real reports from the shared fixtures (TIDEWATCH_FIXTURES_DIR, else
 * <repo>/../shared/fixtures): Grype's nginx:1.14.1 (456 findings) and Trivy's juice-shop:v10.2.0 (236 findings). Every
 * request names a fresh digest (?image=registry.example.com/bench/app@sha256:<random>), so every 201 is a new scan
 * with all of the report's findings. For each report: autocannon from this process with 4 and with 16 connections
 * sending the JSON as it is, then one run with 4 connections sending the gzip file with Content-Encoding: gzip — each
 * run against its own Tidewatch child on a fresh database, whose stored scans and findings are then counted against
 * the 201 answers. Each timed run follows 3 s of the same load, untimed (TIDEWATCH_BENCH_WARMUP seconds; 0 for none),
 * so it measures a server whose code V8 has optimised rather than its first seconds.
 *
 * The yardstick: how many times per second one core runs JSON.parse over the report's JSON text (the parse-only
 * rate), in this process while no server runs: once at the start for the table, and around every timed run (just
 * before its server starts and just after it stops). A run's ratio is its reports/s over the mean of the two around
 * it: this machine's speed drifts by tens of percent within seconds, and a yardstick taken minutes earlier moved the
 * ratio as much as any change to the server did. Goal on SQLite: ingest reports/s ≥ 0.25 × the parse-only rate.
 * With --repeat N every JSON-body run is made N times (interleaved) and the goal is judged on the median ratio of
 * each connection count.
 *
 * A scan writes its vulnerability_found events only on repositories where a notification listens; by default none
 * does. --listen gives the bench repository one (a webhook whose eventConfig `environments: ["nowhere"]` matches no
 * event, so every new finding is an event row and none a delivery), to measure the ingest with its events.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { fixturesDir } from '../test/support/fixtures.js';
import { parseReport } from '../src/scans/parsers/parse-report.js';
import {
  api, benchArgs, benchDatabase, type BenchDatabase, fmt, goalLine, load, machineLine, main, markdownTable, percentile,
  profileArgs, startChild, cpuSeconds, type Engine, type LoadResult,
} from './support.js';

const REPORTS = [
  { label: 'Grype nginx:1.14.1', file: 'grype/kubevuln_nginx-1.14.1.json.gz' },
  { label: 'Trivy juice-shop:v10.2.0', file: 'trivy/securecodebox_juice-shop-v10.2.0.json.gz' },
] as const;
const CONNECTIONS = [4, 16] as const;
const GZIP_CONNECTIONS = 4;
const REPOSITORY = 'registry.example.com/bench/app';
const PARSE_SECONDS = 3;
/** Seconds of each yardstick measurement around a timed run. */
const AROUND_SECONDS = 2;
const WARMUP_SECONDS = Number(process.env.TIDEWATCH_BENCH_WARMUP ?? 3);
const GOAL = 0.25;

interface Report {
  label: string;
  file: string;
  /** The file as stored (gzip). */
  gzip: Buffer;
  /** Its JSON, as bytes to send and as text to parse. */
  json: Buffer;
  text: string;
  findings: number;
  format: string;
}

function readReport(spec: (typeof REPORTS)[number]): Report {
  const file = path.join(fixturesDir, spec.file);
  if (!fs.existsSync(file)) throw new Error(`${file} not found: set TIDEWATCH_FIXTURES_DIR to the shared fixtures folder`);
  const gzip = fs.readFileSync(file);
  const json = gunzipSync(gzip);
  const text = json.toString('utf8');
  const parsed = parseReport(JSON.parse(text));
  return { ...spec, gzip, json, text, findings: parsed.findings.length, format: parsed.format };
}

/** How many times per second `fn` runs on this core, after a short warm-up. */
function rate(fn: () => unknown, seconds: number): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let elapsed = 0;
  do {
    fn();
    n++;
    elapsed = performance.now() - t0;
  } while (elapsed < seconds * 1000);
  return (n * 1000) / elapsed;
}

interface Run {
  report: Report;
  body: 'JSON' | 'gzip';
  connections: number;
  result: LoadResult;
  created: number;
  /** 201 answers of the untimed warm-up before the run. */
  warmCreated: number;
  /** JSON.parse/s of the report just before the run's server started and just after it stopped. */
  parseAround: { before: number; after: number };
  /** CPU seconds the server process used during the run, if known. */
  serverCpu: number | null;
  scansStored: number;
  currentStored: number;
  findingsStored: number;
  eventsStored: number;
  listen: boolean;
  db: BenchDatabase;
}

/**
 * The bench repository, made by a push, and its vulnerability_found notification that matches no event (--listen):
 * the events are written, nothing is delivered.
 */
async function listenOnRepository(server: { url: string; token: string }): Promise<void> {
  const post = (path: string, body: unknown) => api(server.url, server.token, 'POST', path, JSON.stringify(body));
  await post('/api/v1/pushes', { image: `${REPOSITORY}:bench@sha256:${randomBytes(32).toString('hex')}` });
  await post(`/api/v1/repositories/${REPOSITORY}/notifications`, {
    event: 'vulnerability_found', method: 'webhook', config: { url: 'http://127.0.0.1:9/never' }, eventConfig: { environments: ['nowhere'] },
  });
}

async function runOnce(
  engine: Engine, report: Report, body: Run['body'], connections: number, seconds: number, warmupSeconds: number,
  nodeArgs: string[], listen: boolean,
): Promise<Run> {
  const parseRateNow = () => rate(() => JSON.parse(report.text), AROUND_SECONDS);
  const parseBefore = parseRateNow();
  const db = await benchDatabase(engine);
  // Notifications are an admin's to create, and the outbound guard refuses the loopback target unless allowed.
  const listening: Record<string, string> = listen ? { TIDEWATCH_BENCH_ROLE: 'admin', TIDEWATCH_OUTBOUND_ALLOW: '127.0.0.1/32' } : { TIDEWATCH_BENCH_ROLE: 'write' };
  const server = await startChild('serve-for-bench.ts', { ...db.env, ...listening }, nodeArgs);
  if (listen) await listenOnRepository(server);
  const bytes = body === 'gzip' ? report.gzip : report.json;
  const options = (duration: number) => ({
    url: server.url,
    connections,
    seconds: duration,
    method: 'POST' as const,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${server.token}`,
      ...(body === 'gzip' ? { 'content-encoding': 'gzip' } : {}),
    },
    next: () => ({ path: `/api/v1/scans?image=${REPOSITORY}@sha256:${randomBytes(32).toString('hex')}`, body: bytes }),
  });
  // The same load, untimed, so the timed run measures a server whose code V8 has optimised (as one that has been
  // running), not its first seconds; its scans are stored too and counted below.
  const warm = warmupSeconds > 0 ? await load(options(warmupSeconds)) : null;
  const cpuBefore = cpuSeconds(server.pid);
  const result = await load(options(seconds));
  const cpuAfter = cpuSeconds(server.pid);
  const serverCpu = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  await server.stop(); // every transaction has committed once the process is gone
  const parseAround = { before: parseBefore, after: parseRateNow() };

  const storage = db.open();
  const n = async (q: { executeTakeFirstOrThrow(): Promise<{ n: number | string | bigint }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  const scansStored = await n(storage.db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')));
  const currentStored = await n(storage.db.selectFrom('scans').select((eb) => eb.fn.countAll<number>().as('n')).where('is_current', '=', 1));
  const findingsStored = await n(storage.db.selectFrom('findings').select((eb) => eb.fn.countAll<number>().as('n')));
  const eventsStored = await n(storage.db.selectFrom('events').select((eb) => eb.fn.countAll<number>().as('n')).where('kind', '=', 'vulnerability_found'));
  await storage.close();
  await db.drop();
  return {
    report, body, connections, result, created: result.byStatus.get(201) ?? 0, warmCreated: warm?.byStatus.get(201) ?? 0,
    parseAround, serverCpu, scansStored, currentStored, findingsStored, eventsStored, listen, db,
  };
}

main(async () => {
  const args = benchArgs(10, { repeat: { default: '1' }, only: {}, listen: { flag: true } });
  const listen = args.extra.listen === 'true';
  const repeat = Number(args.extra.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a whole number ≥ 1, got "${args.extra.repeat}"`);
  const only = args.extra.only;
  const chosen = REPORTS.filter((r) => only === undefined || r.file.startsWith(`${only}/`));
  if (chosen.length === 0) throw new Error(`--only must be one of ${REPORTS.map((r) => r.file.split('/')[0]).join(', ')}, got "${only}"`);
  const reports = chosen.map(readReport);

  // The yardstick first, while nothing else runs in this process.
  const parseRate = new Map<Report, { parse: number; gunzipParse: number }>();
  for (const r of reports) {
    parseRate.set(r, {
      parse: rate(() => JSON.parse(r.text), PARSE_SECONDS),
      gunzipParse: rate(() => JSON.parse(gunzipSync(r.gzip).toString('utf8')), PARSE_SECONDS),
    });
  }

  const nodeArgs = profileArgs(args.profile);
  const runs: Run[] = [];
  for (let i = 0; i < repeat; i++) {
    for (const r of reports) {
      for (const c of CONNECTIONS) runs.push(await runOnce(args.engine, r, 'JSON', c, args.duration, WARMUP_SECONDS, nodeArgs, listen));
      // gzip is not part of the goal: once is enough.
      if (i === 0) runs.push(await runOnce(args.engine, r, 'gzip', GZIP_CONNECTIONS, args.duration, WARMUP_SECONDS, nodeArgs, listen));
    }
  }

  const reportsPerSec = (run: Run) => run.created / run.result.seconds;
  const yardstick = (run: Run) => (run.parseAround.before + run.parseAround.after) / 2;
  const ratio = (run: Run) => reportsPerSec(run) / yardstick(run);

  console.log(`\n### POST /api/v1/scans: real reports, a fresh digest per request, ${args.duration} s per run\n`);
  console.log(machineLine(runs[0]!.db));
  console.log('');
  console.log(`Parse-only yardstick (this process, one core, ${PARSE_SECONDS} s each, at the start; each run has its own below):\n`);
  console.log(markdownTable(
    ['report', 'findings', 'JSON KiB', 'gzip KiB', 'JSON.parse/s', 'findings/s', 'gunzip + JSON.parse/s'],
    reports.map((r) => {
      const p = parseRate.get(r)!;
      return [r.label, String(r.findings), fmt(r.json.length / 1024, 0), fmt(r.gzip.length / 1024, 0), fmt(p.parse, 1),
        fmt(p.parse * r.findings, 0), fmt(p.gunzipParse, 1)];
    }),
  ));
  console.log('');
  console.log(`Ingest over HTTP (Tidewatch ${args.engine}, a fresh database per run, ${listen
    ? 'a vulnerability_found notification on the repository: every new finding an event row'
    : 'no notification on the repository: no event rows'}; ratio = ingest reports/s ÷ the mean `
    + `JSON.parse/s measured just before and just after the run (${AROUND_SECONDS} s each); server CPU = CPU time of `
    + `the server process, all threads, over the run's wall time — 100 % is one core):\n`);
  console.log(markdownTable(
    ['report', 'body', 'connections', 'reports/s', 'findings/s', 'p50 ms', 'p99 ms', '201', 'other', 'errors',
      'JSON.parse/s before · after', 'ratio', 'server CPU', 'CPU ms/report'],
    runs.map((run) => [
      run.report.label, run.body, String(run.connections), fmt(reportsPerSec(run), 1),
      fmt(reportsPerSec(run) * run.report.findings, 0), fmt(percentile(run.result.latencies, 50), 1),
      fmt(percentile(run.result.latencies, 99), 1), String(run.created), String(run.result.responses - run.created),
      String(run.result.errors), `${fmt(run.parseAround.before, 0)} · ${fmt(run.parseAround.after, 0)}`, fmt(ratio(run), 3),
      run.serverCpu === null ? '–' : `${fmt((100 * run.serverCpu) / run.result.seconds, 0)} %`,
      run.serverCpu === null ? '–' : fmt((1000 * run.serverCpu) / run.created, 2),
    ]),
  ));

  console.log('');
  let ok = true;
  for (const run of runs) {
    const created = run.warmCreated + run.created;
    const expected = created * run.report.findings;
    // Every finding of a fresh digest is new: one event each where a notification listens, none elsewhere.
    const eventsExpected = run.listen ? expected : 0;
    const good = run.scansStored === created && run.currentStored === created && run.findingsStored === expected
      && run.eventsStored === eventsExpected;
    ok &&= good;
    const others = [...run.result.byStatus].filter(([s]) => s !== 201).map(([s, c]) => `${c} × ${s}`);
    console.log(`${run.report.label}, ${run.body}, ${run.connections} connections: stored scans = ${run.scansStored} `
      + `(current ${run.currentStored}), 201 answers = ${created} (${run.warmCreated} warming up, ${run.created} timed); `
      + `stored findings = ${run.findingsStored}, 201 × ${run.report.findings} = ${expected}; vulnerability_found events `
      + `${run.eventsStored} (expected ${eventsExpected}): ${good ? 'OK' : 'MISMATCH'}`
      + (others.length > 0 ? `; other answers ${others.join(', ')}, e.g. ${run.result.failures.join(' / ')}` : ''));
  }

  // Per report and connection count, the run of median ratio (of an even count, the lower of the middle two); the
  // goal takes the better connection count.
  const medianRun = (of: Run[]) => [...of].sort((a, b) => ratio(a) - ratio(b))[Math.floor((of.length - 1) / 2)]!;
  const jsonRuns = (r: Report, c: number) => runs.filter((run) => run.report === r && run.body === 'JSON' && run.connections === c);
  const best = reports.map((r) => CONNECTIONS.map((c) => medianRun(jsonRuns(r, c))).reduce((a, b) => (ratio(b) > ratio(a) ? b : a)));
  if (repeat > 1) {
    console.log('');
    for (const r of reports) {
      for (const c of CONNECTIONS) {
        const of = jsonRuns(r, c);
        console.log(`${r.label}, JSON, ${c} connections: ratios ${of.map((run) => fmt(ratio(run), 3)).join(', ')}; `
          + `median ${fmt(ratio(medianRun(of)), 3)}`);
      }
    }
  }
  const met = best.every((run) => ratio(run) >= GOAL);
  const judged = repeat > 1 ? `median of ${repeat} runs` : 'one run';
  console.log(goalLine(args.engine, `ingest reports/s >= ${GOAL} × JSON.parse/s of the same report (JSON body, ${judged} `
    + `per connection count, the better of ${CONNECTIONS.join(' and ')} connections), for each report`, met,
  ` (${best.map((run) => `${run.report.format} ${fmt(ratio(run), 3)}`).join(', ')})`));
  console.log(`scan ${args.engine}: ${best.map((run) => `${run.report.format} (${run.report.findings} findings) `
    + `${fmt(reportsPerSec(run), 1)} reports/s = ${fmt(reportsPerSec(run) * run.report.findings, 0)} findings/s at `
    + `${run.connections} connections, ${fmt(ratio(run), 3)} of JSON.parse ${fmt(yardstick(run), 0)}/s`
    + (run.serverCpu === null ? '' : ` (server CPU ${fmt((1000 * run.serverCpu) / run.created, 2)} ms/report, `
      + `JSON.parse ${fmt(1000 / yardstick(run), 2)} ms)`))
    .join('; ')}`);
  return ok ? 0 : 1;
});
