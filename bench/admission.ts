/*
 * npm run bench:admission -- [--engine sqlite|postgres] [--duration 10] [--profile]
 *
 * The validating webhook under a cluster's load (issue 6, point 8; admission.md "Limits": p99 ≤ 10 ms at 500
 * reviews/s on one process with SQLite). Tidewatch runs as its own process on a fresh database with one cluster, an
 * enforce policy on its environments (deny fixable High or worse, require a scan) and three images whose digests each
 * have a scan of 300 findings. The reviews are Pods of 3 containers of those images, 50 Deployments, in the order a
 * cluster sends them: each Pod's CREATE, its kubelet status update 100 Pods later, its DELETE 200 Pods later — so every
 * review is checked against the policy and recorded (the Pod rows, the deployments' idempotent repeats, decisions).
 *
 * Runs, each against the same server after a 3 s warm-up: 500 reviews/s evenly spaced (bench/paced-load.ts; the goal's
 * figure), 500 reviews/s as autocannon's overallRate sends them (a burst each second), then autocannon unthrottled with
 * 10 connections (max reviews/s); the same three against a bare node:http server that parses the JSON and answers
 * (bench/baseline-server.ts), for the ratio.
 */
import autocannon from 'autocannon';
import {
  api, benchArgs, benchDatabase, count2xx, cpuSeconds, fmt, goalLine, load, machineLine, main, markdownTable, percentile, profileArgs,
  startChild, type LoadResult,
} from './support.js';
import { DEPLOYMENTS, FINDINGS, IMAGES, reviewBody, scanReport } from './admission-reviews.js';
import { paced } from './paced-load.js';

const RATE = 500;
const RATE_CONNECTIONS = 20;
const MAX_CONNECTIONS = 10;
const WARM_UP_SECONDS = 3;

/** autocannon with overallRate: each connection spends its second's budget at once (see paced-load.ts). */
function atRate(url: string, path: string, seconds: number, body: () => string): Promise<LoadResult> {
  const latencies: number[] = [];
  const byStatus = new Map<number, number>();
  const failures = new Set<string>();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const options = {
      url, connections: RATE_CONNECTIONS, duration: seconds, overallRate: RATE, method: 'POST',
      headers: { 'content-type': 'application/json' },
      requests: [{
        setupRequest: (request: autocannon.RawRequest) => ({ ...request, path, body: body() }),
        onResponse: (status: number, text: string) => { if (status !== 200 && failures.size < 5) failures.add(`${status} ${text.slice(0, 300)}`); },
      }],
    };
    const instance = autocannon(options as autocannon.Options, (error, result) => {
      if (error) return reject(error);
      const elapsed = (performance.now() - started) / 1000;
      resolve({ responses: latencies.length, byStatus, latencies, failures: [...failures], errors: result.errors, seconds: elapsed, reqPerSec: latencies.length / elapsed });
    });
    instance.on('response', (_client, status, _bytes, ms) => {
      latencies.push(ms);
      byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    });
  });
}

main(async () => {
  const args = benchArgs(10);
  const db = await benchDatabase(args.engine);
  const tidewatch = await startChild('serve-for-bench.ts', db.env, profileArgs(args.profile));
  const { secret } = await api(tidewatch.url, tidewatch.token, 'POST', '/api/v1/clusters', JSON.stringify({ name: 'bench' }));
  await api(tidewatch.url, tidewatch.token, 'POST', '/api/v1/policies', JSON.stringify({
    name: 'bench-gate', environments: ['bench/*'], mode: 'enforce', rules: { deny_severity: 'High', fixable_only: true, require_scan: true },
  }));
  for (const image of IMAGES) {
    await api(tidewatch.url, tidewatch.token, 'POST', `/api/v1/scans?image=${encodeURIComponent(`${image.repository}@${image.digest}`)}`, scanReport(image));
  }
  const path = `/api/v1/admission/${secret}`;

  // One review by hand first: it must be an allowed AdmissionReview, or the figures measure the wrong thing.
  const probe = await fetch(`${tidewatch.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: reviewBody(0, 'probe') });
  const probeAnswer = await probe.json() as { response?: { allowed?: boolean } };
  if (probe.status !== 200 || probeAnswer.response?.allowed !== true) throw new Error(`the probe review was not allowed: ${JSON.stringify(probeAnswer)}`);

  let n = 0;
  // A warm-up, unmeasured: a webhook server answers from warm code (JIT, statement cache), as it has for days.
  await load({
    url: tidewatch.url, connections: MAX_CONNECTIONS, seconds: WARM_UP_SECONDS, method: 'POST',
    headers: { 'content-type': 'application/json' }, next: () => ({ path, body: reviewBody(n++, 'w') }),
  });
  const cpuBefore = cpuSeconds(tidewatch.pid);
  const fixed = await paced({ url: tidewatch.url, path, rate: RATE, seconds: args.duration, body: () => reviewBody(n++, 'r') });
  const cpuFixed = cpuSeconds(tidewatch.pid);
  const bursts = await atRate(tidewatch.url, path, args.duration, () => reviewBody(n++, 'a'));
  const cpuBursts = cpuSeconds(tidewatch.pid);
  const max = await load({
    url: tidewatch.url, connections: MAX_CONNECTIONS, seconds: args.duration, method: 'POST',
    headers: { 'content-type': 'application/json' }, next: () => ({ path, body: reviewBody(n++, 'm') }),
  });
  const cpuMax = cpuSeconds(tidewatch.pid);
  const storage = db.open();
  const recorded = await storage.db.selectFrom('deployments').select('id').where('undeployed_at', 'is', null).execute();
  const decisions = await storage.db.selectFrom('admission_decisions').select('result').execute();
  const notAllowed = decisions.filter((d) => d.result !== 'allowed').length;
  await storage.close();
  await tidewatch.stop();

  const baseline = await startChild('baseline-server.ts', {});
  let b = 0;
  await load({
    url: baseline.url, connections: MAX_CONNECTIONS, seconds: WARM_UP_SECONDS, method: 'POST',
    headers: { 'content-type': 'application/json' }, next: () => ({ path, body: reviewBody(b++, 'v') }),
  });
  const baseFixed = await paced({ url: baseline.url, path, rate: RATE, seconds: args.duration, body: () => reviewBody(b++, 'b') });
  const baseBursts = await atRate(baseline.url, path, args.duration, () => reviewBody(b++, 'd'));
  const baseMax = await load({
    url: baseline.url, connections: MAX_CONNECTIONS, seconds: args.duration, method: 'POST',
    headers: { 'content-type': 'application/json' }, next: () => ({ path, body: reviewBody(b++, 'c') }),
  });
  await baseline.stop();

  const perReview = (before: number | null, after: number | null, r: LoadResult) =>
    (before === null || after === null ? '–' : fmt(((after - before) / r.responses) * 1000, 2));
  const row = (name: string, r: LoadResult, cpu = '–') => [
    name, fmt(r.reqPerSec, 0), fmt(percentile(r.latencies, 50), 2), fmt(percentile(r.latencies, 99), 2),
    fmt(r.latencies.reduce((m, v) => (v > m ? v : m), 0), 2), String(count2xx(r)), String(r.responses - count2xx(r) + r.errors), cpu,
  ];
  console.log(`\n### Admission reviews (Pods of 3 containers, enforce policy, scans of ${FINDINGS} findings), ${args.duration} s per run\n`);
  console.log(machineLine(db));
  console.log('');
  console.log(markdownTable(
    ['server, load', 'reviews/s', 'p50 ms', 'p99 ms', 'max ms', '2xx', 'other/errors', 'server CPU ms/review'],
    [
      row(`Tidewatch (${db.engine}), ${RATE}/s evenly spaced`, fixed, perReview(cpuBefore, cpuFixed, fixed)),
      row(`Tidewatch (${db.engine}), ${RATE}/s autocannon overallRate`, bursts, perReview(cpuFixed, cpuBursts, bursts)),
      row(`Tidewatch (${db.engine}), unthrottled, ${MAX_CONNECTIONS} conn.`, max, perReview(cpuBursts, cpuMax, max)),
      row(`baseline node:http, ${RATE}/s evenly spaced`, baseFixed),
      row(`baseline node:http, ${RATE}/s autocannon overallRate`, baseBursts),
      row(`baseline node:http, unthrottled, ${MAX_CONNECTIONS} conn.`, baseMax),
    ],
  ));
  for (const [name, r] of [['evenly spaced', fixed], ['overallRate', bursts], ['unthrottled', max]] as const) {
    if (r.failures.length > 0) console.log(`\nTidewatch answers other than 200 (${name}), e.g.: ${r.failures.join(' / ')}`);
  }
  const p99 = percentile(fixed.latencies, 99);
  const ratio = max.reqPerSec / baseMax.reqPerSec;
  console.log(`\nrunning instances afterwards: ${recorded.length} (${DEPLOYMENTS} Deployments × ${IMAGES.length} containers expected); decisions kept: ${decisions.length}, of which not "allowed": ${notAllowed}`);
  console.log(goalLine(db.engine, `p99 <= 10 ms at ${RATE} reviews/s (evenly spaced)`, p99 <= 10 && fixed.reqPerSec >= RATE * 0.95, ` (p99 ${fmt(p99, 2)} ms at ${fmt(fixed.reqPerSec, 0)}/s)`));
  console.log(`at ${RATE}/s as autocannon's overallRate sends it (each second's reviews in one burst): p99 ${fmt(percentile(bursts.latencies, 99), 2)} ms`);
  console.log(`admission ${db.engine}: max ${fmt(max.reqPerSec, 0)} reviews/s; baseline ${fmt(baseMax.reqPerSec, 0)}/s; ratio ${fmt(ratio, 3)}`);
  return recorded.length === DEPLOYMENTS * IMAGES.length && notAllowed === 0 ? 0 : 1;
});
