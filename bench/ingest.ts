/*
 * npm run bench:ingest -- [--engine sqlite|postgres] [--duration 10] [--profile]
 *
 * POST /api/v1/deployments under load: Tidewatch (its own process, fresh database, write token) against a bare
 * node:http server that only parses the JSON (baseline), both hit by autocannon from this process with 50 connections.
 * Every body has a random digest, so every 2xx is a new deployment (201) and the stored row count must equal it.
 */
import { randomBytes, randomInt } from 'node:crypto';
import {
  benchArgs, benchDatabase, count2xx, fmt, goalLine, load, machineLine, main, markdownTable, percentile, profileArgs,
  startChild, type LoadResult,
} from './support.js';

const CONNECTIONS = 50;

/** 1,000 instances (50 repositories, 10 environments); a fresh random digest each time. */
function deploymentBody(): string {
  const n = randomInt(1000);
  return JSON.stringify({
    image: { url: `ghcr.io/bench/svc-${n % 50}@sha256:${randomBytes(32).toString('hex')}`, name: `instance-${n}` },
    environment: { name: `env-${n % 10}` },
    platform: { os: 'linux', architecture: 'amd64' },
  });
}

async function run(url: string, token: string | null, seconds: number): Promise<LoadResult> {
  return load({
    url,
    connections: CONNECTIONS,
    seconds,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    next: () => ({ path: '/api/v1/deployments', body: deploymentBody() }),
  });
}

main(async () => {
  const args = benchArgs(10);
  const db = await benchDatabase(args.engine);

  const serverEnv = { ...db.env, TIDEWATCH_BENCH_ROLE: 'write' };
  const tidewatch = await startChild('serve-for-bench.ts', serverEnv, profileArgs(args.profile));
  const tw = await run(tidewatch.url, tidewatch.token, args.duration);
  await tidewatch.stop(); // every transaction has committed once the process is gone

  const baselineServer = await startChild('baseline-server.ts', {});
  const base = await run(baselineServer.url, null, args.duration);
  await baselineServer.stop();

  const storage = db.open();
  const stored = Number((await storage.db.selectFrom('deployments').select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()).n);
  await storage.close();

  const created = tw.byStatus.get(201) ?? 0;
  const ratio = tw.reqPerSec / base.reqPerSec;
  const twP99 = percentile(tw.latencies, 99);
  const row = (name: string, r: LoadResult) => [
    name, fmt(r.reqPerSec, 0), fmt(percentile(r.latencies, 50), 2), fmt(percentile(r.latencies, 99), 2),
    String(count2xx(r)), String(r.responses - count2xx(r)), String(r.errors),
  ];

  console.log(`\n### POST /api/v1/deployments, ${CONNECTIONS} connections, ${args.duration} s each\n`);
  console.log(machineLine(db));
  console.log('');
  console.log(markdownTable(
    ['server', 'req/s (mean)', 'p50 ms', 'p99 ms', '2xx', 'non-2xx', 'errors'],
    [row(`Tidewatch (${db.engine})`, tw), row('baseline node:http', base)],
  ));
  const others = [...tw.byStatus].filter(([s]) => s !== 201).map(([s, c]) => `${c} × ${s}`);
  if (others.length > 0) console.log(`\nTidewatch answers other than 201: ${others.join(', ')}; e.g.`, tw.failures.join(' / '));
  console.log('');
  const ok = stored === created;
  console.log(`stored deployments = ${stored}, 2xx answers = ${created}: ${ok ? 'OK' : 'MISMATCH'}`);
  console.log(goalLine(db.engine, 'ratio >= 0.5 and p99 <= 25 ms', ratio >= 0.5 && twP99 <= 25));
  console.log(`ingest ${db.engine}: Tidewatch ${fmt(tw.reqPerSec, 0)} req/s, p99 ${fmt(twP99, 2)} ms; `
    + `baseline ${fmt(base.reqPerSec, 0)} req/s; ratio Tidewatch/baseline = ${fmt(ratio, 3)}`);
  return ok ? 0 : 1;
});
