/*
 * npm run bench:env -- [--engine sqlite|postgres] [--duration 5] [--profile]
 *
 * Reading environments back: 10,000 running instances in 20 environments (500 each) over 200 repositories, recorded
 * through recordDeployment (so rows, events and audit entries are exactly what the API writes), with tags pointing at
 * some of the running digests. Then Tidewatch in its own process on that database answers
 * GET /api/v1/environments/{env} (sequentially, then 10 connections) and GET /api/v1/environments.
 */
import { createHash, randomUUID } from 'node:crypto';
import { request } from 'undici';
import type { Storage } from '../src/core/db/database.js';
import { migrateToLatest } from '../src/core/db/migrate.js';
import { bootstrapDefaultWorkspace } from '../src/workspaces/bootstrap.js';
import { ensureRepository } from '../src/registry/repository-queries.js';
import { parseImageReference, type ImageReference } from '../src/registry/image-reference.js';
import { recordDeployment } from '../src/deployments/record-deployment.js';
import {
  benchArgs, benchDatabase, fmt, goalLine, load, machineLine, main, markdownTable, percentile, profileArgs, startChild,
} from './support.js';

const ENVIRONMENTS = 20;
const PER_ENVIRONMENT = 500;
const REPOSITORIES = 200;
const RELEASES = 5; // digests per repository; tags v1.0…v1.4 and latest point at them
const REDEPLOYS = 1000; // instances moved to another release afterwards, so ended deployments exist too
const SEQUENTIAL = 200;
const LIST_REQUESTS = 50;
const CONNECTIONS = 10;

const envName = (e: number) => `env-${String(e).padStart(2, '0')}`;
const repoName = (r: number) => `ghcr.io/bench/repo-${r}`;
const releaseDigest = (r: number, k: number) =>
  `sha256:${createHash('sha256').update(`repo-${r}/release-${k}`).digest('hex')}`;

/** Deterministic, so every run loads the same data (mulberry32). */
function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Runs `fn` over `items` with at most `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

async function loadData(storage: Storage, workspaceId: string): Promise<{ tags: number }> {
  const db = storage.db;
  const at = new Date().toISOString();
  const repositoryIds: string[] = [];
  for (let r = 0; r < REPOSITORIES; r++) repositoryIds.push(await ensureRepository(db, workspaceId, repoName(r), at));
  // Tags first, as a registry push would have made them, so recordDeployment's event sees them too.
  const tags = repositoryIds.flatMap((repositoryId, r) => [
    ...Array.from({ length: RELEASES }, (_, k) => ({ name: `v1.${k}`, digest: releaseDigest(r, k) })),
    { name: 'latest', digest: releaseDigest(r, RELEASES - 1) },
  ].map((t) => ({ id: randomUUID(), workspace_id: workspaceId, repository_id: repositoryId, ...t, updated_at: at })));
  for (let i = 0; i < tags.length; i += 500) await db.insertInto('tags').values(tags.slice(i, i + 500)).execute();

  const random = seeded(42);
  const pick = (n: number) => Math.floor(random() * n);
  const instances = Array.from({ length: ENVIRONMENTS * PER_ENVIRONMENT }, (_, i) => ({
    environment: envName(i % ENVIRONMENTS), name: `svc-${Math.floor(i / ENVIRONMENTS)}`, repo: pick(REPOSITORIES),
  }));
  const deploy = (x: (typeof instances)[number], release: number) => {
    const parsed = parseImageReference(`${repoName(x.repo)}:v1.${release}@${releaseDigest(x.repo, release)}`);
    if (!parsed.ok) throw new Error(parsed.reason);
    return recordDeployment(storage, {
      workspaceId, tokenId: null, image: parsed.ref as ImageReference & { digest: string }, instanceName: x.name,
      environment: x.environment, platform: { os: 'linux', architecture: 'amd64', variant: null }, source: 'api',
    });
  };
  const first = instances.map((x) => ({ x, release: pick(RELEASES - 1) }));
  await pool(first, 8, ({ x, release }) => deploy(x, release));
  const moved = Array.from({ length: REDEPLOYS }, (_, i) => first[Math.floor((i * first.length) / REDEPLOYS)]!);
  await pool(moved, 8, ({ x }) => deploy(x, RELEASES - 1));
  return { tags: tags.length };
}

/** Sequential GETs with one keep-alive connection; each time includes reading the whole body. */
async function timeSequential(url: string, token: string, paths: string[]): Promise<{ ms: number[]; bytes: number }> {
  const ms: number[] = [];
  let bytes = 0;
  for (const path of paths) {
    const t0 = performance.now();
    const res = await request(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.text();
    ms.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 200)}`);
    bytes += body.length;
  }
  return { ms, bytes: bytes / paths.length };
}

main(async () => {
  const args = benchArgs(5);
  const db = await benchDatabase(args.engine);

  const storage = db.open();
  const t0 = performance.now();
  await migrateToLatest(storage);
  const { workspaceId } = await bootstrapDefaultWorkspace(storage.db, null);
  const { tags } = await loadData(storage, workspaceId);
  const loadSeconds = (performance.now() - t0) / 1000;
  const counts = await storage.db.selectFrom('deployments')
    .select((eb) => [eb.fn.countAll<number>().as('rows'), eb.fn.count<number>('undeployed_at').as('ended')])
    .executeTakeFirstOrThrow();
  await storage.close();

  const server = await startChild('serve-for-bench.ts', { ...db.env, TIDEWATCH_BENCH_ROLE: 'read' }, profileArgs(args.profile));
  const envPath = (e: number) => `/api/v1/environments/${envName(e)}`;
  const envPaths = (n: number) => Array.from({ length: n }, (_, k) => envPath(k % ENVIRONMENTS));

  // Warm-up (JIT, statement caches), not counted; it also checks every environment answers all its instances.
  for (let e = 0; e < ENVIRONMENTS; e++) {
    const res = await request(`${server.url}${envPath(e)}`, { headers: { authorization: `Bearer ${server.token}` } });
    const body = await res.body.json() as { total?: number };
    if (res.statusCode !== 200 || body.total !== PER_ENVIRONMENT) {
      throw new Error(`GET ${envPath(e)}: ${res.statusCode}, total ${body.total}, expected ${PER_ENVIRONMENT}`);
    }
  }
  await timeSequential(server.url, server.token, Array(10).fill('/api/v1/environments'));

  const seq = await timeSequential(server.url, server.token, envPaths(SEQUENTIAL));
  let i = 0;
  const conc = await load({
    url: server.url, connections: CONNECTIONS, seconds: args.duration, method: 'GET',
    headers: { authorization: `Bearer ${server.token}` },
    next: () => ({ path: envPath(i++ % ENVIRONMENTS) }),
  });
  const list = await timeSequential(server.url, server.token, Array(LIST_REQUESTS).fill('/api/v1/environments'));
  await server.stop();

  const concNon200 = conc.responses - (conc.byStatus.get(200) ?? 0);
  const row = (what: string, mode: string, ms: number[], reqPerSec: number, bytes: number) => [
    what, mode, String(ms.length), fmt(reqPerSec, 0), fmt(percentile(ms, 50), 2), fmt(percentile(ms, 95), 2),
    fmt(percentile(ms, 99), 2), fmt(bytes / 1024, 0),
  ];
  const perSec = (ms: number[]) => (ms.length * 1000) / ms.reduce((a, b) => a + b, 0);

  console.log(`\n### GET environments: ${ENVIRONMENTS * PER_ENVIRONMENT} running instances in ${ENVIRONMENTS} environments\n`);
  console.log(machineLine(db));
  console.log(`data: ${counts.rows} deployment rows (${counts.ended} ended), ${REPOSITORIES} repositories, ${tags} tags; `
    + `loaded through recordDeployment in ${fmt(loadSeconds, 1)} s\n`);
  console.log(markdownTable(
    ['request', 'mode', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'KiB/answer'],
    [
      row('GET /api/v1/environments/{env}', 'sequential', seq.ms, perSec(seq.ms), seq.bytes),
      row('GET /api/v1/environments/{env}', `${CONNECTIONS} connections, ${args.duration} s`, conc.latencies,
        conc.reqPerSec, seq.bytes),
      row('GET /api/v1/environments', 'sequential', list.ms, perSec(list.ms), list.bytes),
    ],
  ));
  if (concNon200 > 0 || conc.errors > 0) {
    console.log(`\nconcurrent run: ${concNon200} non-200 answers, ${conc.errors} errors; e.g.`, conc.failures.join(' / '));
  }
  console.log('');
  const p95 = percentile(seq.ms, 95);
  console.log(goalLine(db.engine, 'p95 of GET /environments/{env} <= 50 ms', p95 <= 50, ` (sequential p95 ${fmt(p95, 2)} ms)`));
  console.log(`env ${db.engine}: GET /environments/{env} p95 ${fmt(p95, 2)} ms sequential, `
    + `${fmt(percentile(conc.latencies, 95), 2)} ms at ${fmt(conc.reqPerSec, 0)} req/s with ${CONNECTIONS} connections; `
    + `GET /environments p95 ${fmt(percentile(list.ms, 95), 2)} ms`);
  return concNon200 > 0 || conc.errors > 0 ? 1 : 0;
});
