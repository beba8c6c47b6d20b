/*
 * npm run bench:env -- [--engine sqlite|postgres] [--duration 5] [--profile]
 *
 * Reading environments back at scale: 200 repositories × 10 releases = 2,000 images, every one scanned with 300
 * findings, and 10,000 running instances in 20 environments (500 each). Then Tidewatch in its own process on that
 * database answers GET /api/v1/environments/{env} and GET /api/v1/compare?base=env:A&head=env:B (each sequentially,
 * then with 10 connections), GET /api/v1/environments, GET /api/v1/images/{repo}@{digest} (an image with 300 findings)
 * and GET /api/v1/vulnerabilities/{id}. Goal on SQLite: p95 of the environment view and of the compare ≤ 100 ms.
 *
 * How the data is written, so rows are what the API writes:
 * - tags: pushTag (test/support/test-scans.ts) — tags, their history and images, as a registry push leaves them;
 *   v1.0…v1.9 each point at one release and `latest` was pushed through all ten;
 * - builds: insertBuild (same file), one successful build per image;
 * - deployments: recordDeployment, the API's own code (rows, image_deployed events, audit entries), 10,000 instances
 *   and then 1,000 of them moved to the newest release, so ended deployments exist too;
 * - scans: the ingest's own steps and queries (ingest-scan.ts: ensureImage, the finding rows mapped from parsed
 *   findings field by field, summarise() with the triage that holds — none —, insertCurrentScan, insertFindings), in
 *   storage.transact like the ingest. Left out, since no view measured here reads them and they would make loading
 *   take many minutes: the scans' audit entries, and the trend point each scan of a running digest writes — instead
 *   every environment and the workspace get the one point the last scan would leave. (Their vulnerability_found
 *   events the ingest writes only where a notification listens, and none does here.)
 * Deployments are recorded before the scans: recorded after them, each deployment recomputes its environment's and
 * the workspace's exposure from every running digest's summary (about 80 ms a deployment once 2,000 images are
 * scanned, on either engine), so 11,000 of them would take a quarter of an hour.
 * On PostgreSQL the bench then runs ANALYZE on its tables, as autovacuum would soon after such a load (see below).
 */
import { createHash } from 'node:crypto';
import { request } from 'undici';
import { sql } from 'kysely';
import type { Storage } from '../src/core/db/database.js';
import { migrateToLatest } from '../src/core/db/migrate.js';
import { newId } from '../src/core/ids.js';
import { bootstrapDefaultWorkspace } from '../src/workspaces/bootstrap.js';
import { ensureImage, ensureRepository } from '../src/registry/repository-queries.js';
import { parseImageReference, type ImageReference } from '../src/registry/image-reference.js';
import { recordDeployment } from '../src/deployments/record-deployment.js';
import { nowIso } from '../src/core/clock.js';
import { severities, type ParsedFinding } from '../src/scans/parsers/report-types.js';
import { summarise } from '../src/scans/scan-summary.js';
import { insertCurrentScan, insertFindings } from '../src/scans/scan-queries.js';
import { DescriptionWrites } from '../src/scans/description-store.js';
import { findingRows } from '../src/scans/ingest-scan.js';
import { indexWaitingScans } from '../src/scans/vulnerability-index.js';
import { recordTrendPoints } from '../src/trend/trend-points.js';
import { insertBuild, pushTag } from '../test/support/test-scans.js';
import {
  benchArgs, benchDatabase, fmt, goalLine, load, machineLine, main, markdownTable, percentile, profileArgs, startChild,
  type LoadResult,
} from './support.js';

const ENVIRONMENTS = 20;
const PER_ENVIRONMENT = 500;
const REPOSITORIES = 200;
const RELEASES = 10; // images per repository: 2,000 in all, each scanned
const RUNNING_RELEASES = 4; // instances first run one of the releases before the newest …
const REDEPLOYS = 1000; // … then this many move to the newest
const FINDINGS = 300;
const CHURN = 20; // vulnerabilities a release drops and gains against the previous one
const VULNERABILITY_POOL = 5000;
const SEQUENTIAL = 200;
const LIST_REQUESTS = 50;
const IMAGE_REQUESTS = 100;
const VULNERABILITY_REQUESTS = 50;
const CONNECTIONS = 10;
const GOAL_MS = 100;

const envName = (e: number) => `env-${String(e).padStart(2, '0')}`;
const repoName = (r: number) => `ghcr.io/bench/repo-${r}`;
const releaseDigest = (r: number, k: number) =>
  `sha256:${createHash('sha256').update(`repo-${r}/release-${k}`).digest('hex')}`;
const vulnerabilityName = (v: number) => `CVE-2024-${10_000 + v}`;

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

/** A finding of vulnerability `v` as a report parser would hand it over: one package, severity and fix per vulnerability. */
function parsedFinding(v: number, release: number): ParsedFinding {
  const severity = severities[[0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 5][v % 20]!]!;
  const fixedVersion = v % 5 < 2 ? `${v % 7}.${v % 11}.1` : null;
  return {
    vulnerabilityId: vulnerabilityName(v),
    package: `pkg-${v % 400}`,
    installedVersion: `${v % 7}.${v % 11}.0`,
    location: v % 3 === 0 ? `/app/node_modules/pkg-${v % 400}/package.json` : null,
    fixedVersion,
    fixState: fixedVersion !== null ? 'fixed' : v % 5 === 4 ? 'wont_fix' : 'not_fixed',
    severity,
    cvss: severity === 'Unknown' ? null : [9.8, 7.5, 5.5, 3.1, 1.0][severities.indexOf(severity)]!,
    link: `https://avd.aquasec.com/nvd/${vulnerabilityName(v).toLowerCase()}`,
    description: `${vulnerabilityName(v)} in pkg-${v % 400} (seen from release ${release}): `.padEnd(200, 'lorem ipsum dolor sit amet '),
  };
}

/** The vulnerabilities of each release of a repository: a window sliding over a per-repository list, so consecutive releases share most. */
function releaseVulnerabilities(random: () => number): number[][] {
  const wanted = FINDINGS + CHURN * (RELEASES - 1);
  const picked = new Set<number>();
  while (picked.size < wanted) picked.add(Math.floor(random() * VULNERABILITY_POOL));
  const list = [...picked];
  return Array.from({ length: RELEASES }, (_, k) => list.slice(k * CHURN, k * CHURN + FINDINGS));
}

/** Records a scan of the image with the ingest's own steps and queries (ingest-scan.ts), events and trend left out. */
async function recordScan(storage: Storage, workspaceId: string, repository: string, digest: string, findings: ParsedFinding[]) {
  const at = nowIso();
  const scanId = newId();
  const descriptions = new DescriptionWrites(storage);
  const rows = findingRows(scanId, workspaceId, digest, findings, descriptions);
  await storage.transact(async (trx) => {
    const repositoryId = await ensureRepository(trx, workspaceId, repository, at);
    await ensureImage(trx, { workspaceId, repositoryId, digest, at });
    await insertCurrentScan(trx, {
      id: scanId, workspace_id: workspaceId, digest, format: 'trivy', scanner_name: 'Trivy', scanner_version: '0.50.0',
      findings_count: rows.length, is_current: 1, summary: JSON.stringify(summarise(rows, () => false)), warnings: null,
      created_at: at,
    }, null);
    await descriptions.write(trx, storage.engine);
    await insertFindings(trx, storage.engine, rows);
  });
  descriptions.committed();
}

interface Loaded {
  tags: number;
  seconds: { pushes: number; builds: number; deployments: number; scans: number; trend: number };
}

async function loadData(storage: Storage, workspaceId: string): Promise<Loaded> {
  const db = storage.db;
  const seconds = { pushes: 0, builds: 0, deployments: 0, scans: 0, trend: 0 };
  const timed = async (what: keyof typeof seconds, fn: () => Promise<unknown>) => {
    const t0 = performance.now();
    await fn();
    seconds[what] = (performance.now() - t0) / 1000;
  };
  const repositories = Array.from({ length: REPOSITORIES }, (_, r) => r);
  const releases = Array.from({ length: RELEASES }, (_, k) => k);

  // Pushes as a registry sends them: each release under its own tag, and `latest` moving through all of them.
  await timed('pushes', () => pool(repositories, 8, async (r) => {
    for (const k of releases) {
      await pushTag(db, workspaceId, repoName(r), `v1.${k}`, releaseDigest(r, k));
      await pushTag(db, workspaceId, repoName(r), 'latest', releaseDigest(r, k));
    }
  }));
  await timed('builds', () => pool(repositories.flatMap((r) => releases.map((k) => ({ r, k }))), 8, ({ r, k }) =>
    insertBuild(db, workspaceId, repoName(r), {
      digests: [releaseDigest(r, k)], commit: createHash('sha1').update(`${r}/${k}`).digest('hex'), ref: 'refs/heads/main',
      tags: [`v1.${k}`], name: `repo-${r} #${k + 1}`,
    })));

  // Instance svc-i runs repository i % 200 in every environment, at a release that differs between environments.
  const random = seeded(42);
  const pick = (n: number) => Math.floor(random() * n);
  const instances = Array.from({ length: ENVIRONMENTS * PER_ENVIRONMENT }, (_, n) => ({
    environment: envName(n % ENVIRONMENTS), name: `svc-${Math.floor(n / ENVIRONMENTS)}`,
    repo: Math.floor(n / ENVIRONMENTS) % REPOSITORIES,
  }));
  const deploy = (x: (typeof instances)[number], release: number) => {
    const parsed = parseImageReference(`${repoName(x.repo)}:v1.${release}@${releaseDigest(x.repo, release)}`);
    if (!parsed.ok) throw new Error(parsed.reason);
    return recordDeployment(storage, {
      workspaceId, tokenId: null, image: parsed.ref as ImageReference & { digest: string }, instanceName: x.name,
      environment: x.environment, platform: { os: 'linux', architecture: 'amd64', variant: null }, source: 'api',
    });
  };
  const first = instances.map((x) => ({ x, release: RELEASES - 1 - RUNNING_RELEASES + pick(RUNNING_RELEASES) }));
  // Every 7th instance in turn (7 is prime to the 20 environments), so each environment has some on the newest release.
  const moved = Array.from({ length: REDEPLOYS }, (_, i) => first[(i * 7) % first.length]!);
  await timed('deployments', async () => {
    await pool(first, 8, ({ x, release }) => deploy(x, release));
    await pool(moved, 8, ({ x }) => deploy(x, RELEASES - 1));
  });

  const vulnRandom = seeded(7);
  const scans = repositories.flatMap((r) => {
    const windows = releaseVulnerabilities(vulnRandom);
    return releases.map((k) => ({ r, k, vulnerabilities: windows[k]! }));
  });
  await timed('scans', () => pool(scans, 8, ({ r, k, vulnerabilities }) =>
    recordScan(storage, workspaceId, repoName(r), releaseDigest(r, k), vulnerabilities.map((v) => parsedFinding(v, k)))));

  await timed('trend', async () => {
    const environments = await db.selectFrom('environments').select('id').where('workspace_id', '=', workspaceId).execute();
    await storage.transact((trx) => recordTrendPoints(trx, workspaceId, environments.map((e) => e.id)));
  });
  return { tags: REPOSITORIES * (RELEASES + 1), seconds };
}

/**
 * PostgreSQL plans by table statistics, which autovacuum gathers within a minute or so of a bulk load — unless it is
 * off, as on some development servers, where the planner would go on assuming near-empty tables (a nested loop over
 * every build for GET /environments/{env}: ~100 ms instead of ~2). So the bench analyzes its schema's tables itself,
 * as autovacuum would, and says so. SQLite has no such background statistics, and Tidewatch runs no ANALYZE there.
 */
async function analyzePostgres(storage: Storage): Promise<string> {
  const autovacuum = (await sql<{ autovacuum: string }>`show autovacuum`.execute(storage.db)).rows[0]?.autovacuum ?? '?';
  const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = current_schema()`.execute(storage.db);
  const t0 = performance.now();
  for (const { tablename } of tables.rows) await sql.raw(`analyze "${tablename}"`).execute(storage.db);
  return `; then ANALYZE of its ${tables.rows.length} tables (${fmt((performance.now() - t0) / 1000, 1)} s; autovacuum is ${autovacuum} on this server)`;
}

interface Timed {
  ms: number[];
  /** Mean bytes of an answer. */
  bytes: number;
}

/** Sequential GETs with one keep-alive connection; each time includes reading the whole body. */
async function timeSequential(url: string, token: string, paths: string[], check?: (path: string, body: string) => void): Promise<Timed> {
  const ms: number[] = [];
  let bytes = 0;
  for (const path of paths) {
    const t0 = performance.now();
    const res = await request(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await res.body.text();
    ms.push(performance.now() - t0);
    if (res.statusCode !== 200) throw new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(0, 200)}`);
    check?.(path, body);
    bytes += Buffer.byteLength(body);
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
  const loaded = await loadData(storage, workspaceId);
  // As a running server does a moment after each scan (scans/vulnerability-index.ts).
  while ((await storage.transact((trx) => indexWaitingScans(trx, 200))) > 0);
  const loadSeconds = (performance.now() - t0) / 1000;
  const statistics = db.engine === 'postgres' ? await analyzePostgres(storage) : '';
  const count = async (table: 'deployments' | 'images' | 'scans' | 'findings' | 'builds') =>
    Number((await storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
  const ended = Number((await storage.db.selectFrom('deployments').select((eb) => eb.fn.count<number>('undeployed_at').as('n'))
    .executeTakeFirstOrThrow()).n);
  const counts = {
    deployments: await count('deployments'), images: await count('images'), scans: await count('scans'),
    findings: await count('findings'), builds: await count('builds'),
  };
  await storage.close();

  const server = await startChild('serve-for-bench.ts', { ...db.env, TIDEWATCH_BENCH_ROLE: 'read' }, profileArgs(args.profile));
  const get = (paths: string[], check?: (path: string, body: string) => void) =>
    timeSequential(server.url, server.token, paths, check);
  const envPath = (e: number) => `/api/v1/environments/${envName(e % ENVIRONMENTS)}`;
  const comparePath = (e: number) =>
    `/api/v1/compare?base=env:${envName(e % ENVIRONMENTS)}&head=env:${envName((e + 1) % ENVIRONMENTS)}`;
  const cycle = (n: number, path: (i: number) => string) => Array.from({ length: n }, (_, i) => path(i));
  const concurrent = (path: (i: number) => string) => {
    let i = 0;
    return load({
      url: server.url, connections: CONNECTIONS, seconds: args.duration, method: 'GET',
      headers: { authorization: `Bearer ${server.token}` }, next: () => ({ path: path(i++) }),
    });
  };

  // First of each, timed apart (JIT, statement caches, the compare's per-scan key cache) and checked for content.
  const envCold = await get(cycle(ENVIRONMENTS, envPath), (path, body) => {
    const total = (JSON.parse(body) as { total?: number }).total;
    if (total !== PER_ENVIRONMENT) throw new Error(`GET ${path}: total ${total}, expected ${PER_ENVIRONMENT}`);
  });
  const compareCold = await get(cycle(ENVIRONMENTS, comparePath), (path, body) => {
    const answer = JSON.parse(body) as { base?: { scanned_images?: number; unscanned_images?: number }; instances_unchanged?: number };
    if (!answer.base?.scanned_images || answer.base.unscanned_images !== 0) {
      throw new Error(`GET ${path}: expected every image scanned, got ${JSON.stringify(answer.base).slice(0, 300)}`);
    }
  });
  await get(Array(10).fill('/api/v1/environments'));

  const envSeq = await get(cycle(SEQUENTIAL, envPath));
  const envConc = await concurrent(envPath);
  const list = await get(Array(LIST_REQUESTS).fill('/api/v1/environments'));
  const compareSeq = await get(cycle(SEQUENTIAL, comparePath));
  const compareConc = await concurrent(comparePath);
  // Running images (the newest release) of 100 repositories: each has 300 findings, 100 on the first page.
  const imagePath = (i: number) => `/api/v1/images/${repoName(i % REPOSITORIES)}@${releaseDigest(i % REPOSITORIES, RELEASES - 1)}`;
  const images = await get(cycle(IMAGE_REQUESTS, imagePath), (path, body) => {
    const total = (JSON.parse(body) as { findings?: { total?: number } }).findings?.total;
    if (total !== FINDINGS) throw new Error(`GET ${path}: ${total} findings, expected ${FINDINGS}`);
  });
  const vulnerabilities = await get(cycle(VULNERABILITY_REQUESTS, (i) => `/api/v1/vulnerabilities/${vulnerabilityName(i * 97 % VULNERABILITY_POOL)}`));
  await server.stop();

  const perSec = (ms: number[]) => (ms.length * 1000) / ms.reduce((a, b) => a + b, 0);
  const seqRow = (what: string, mode: string, t: Timed) => [
    what, mode, String(t.ms.length), fmt(perSec(t.ms), 0), fmt(percentile(t.ms, 50), 2), fmt(percentile(t.ms, 95), 2),
    fmt(percentile(t.ms, 99), 2), fmt(t.bytes / 1024, 0),
  ];
  const concRow = (what: string, r: LoadResult, bytes: number) => [
    what, `${CONNECTIONS} connections, ${args.duration} s`, String(r.responses), fmt(r.reqPerSec, 0),
    fmt(percentile(r.latencies, 50), 2), fmt(percentile(r.latencies, 95), 2), fmt(percentile(r.latencies, 99), 2),
    fmt(bytes / 1024, 0),
  ];

  console.log(`\n### Reading back ${ENVIRONMENTS * PER_ENVIRONMENT} running instances in ${ENVIRONMENTS} environments `
    + `and ${REPOSITORIES * RELEASES} scanned images of ${FINDINGS} findings\n`);
  console.log(machineLine(db));
  console.log(`data: ${counts.deployments} deployment rows (${ended} ended), ${REPOSITORIES} repositories, ${loaded.tags} tags, `
    + `${counts.images} images, ${counts.builds} builds, ${counts.scans} scans with ${counts.findings} findings; loaded in `
    + `${fmt(loadSeconds, 1)} s (pushes ${fmt(loaded.seconds.pushes, 1)}, builds ${fmt(loaded.seconds.builds, 1)}, `
    + `deployments ${fmt(loaded.seconds.deployments, 1)}, scans ${fmt(loaded.seconds.scans, 1)}, trend ${fmt(loaded.seconds.trend, 1)})`
    + `${statistics}\n`);
  const envRoute = 'GET /api/v1/environments/{env}';
  const compareRoute = 'GET /api/v1/compare?base=env:A&head=env:B';
  console.log(markdownTable(
    ['request', 'mode', 'requests', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms', 'KiB/answer'],
    [
      seqRow(envRoute, 'sequential, first of each', envCold),
      seqRow(envRoute, 'sequential', envSeq),
      concRow(envRoute, envConc, envSeq.bytes),
      seqRow('GET /api/v1/environments', 'sequential', list),
      seqRow(compareRoute, 'sequential, first of each', compareCold),
      seqRow(compareRoute, 'sequential', compareSeq),
      concRow(compareRoute, compareConc, compareSeq.bytes),
      seqRow('GET /api/v1/images/{repo}@{digest} (300 findings)', 'sequential', images),
      seqRow('GET /api/v1/vulnerabilities/{id}', 'sequential', vulnerabilities),
    ],
  ));
  let failed = false;
  for (const [what, r] of [[envRoute, envConc], [compareRoute, compareConc]] as const) {
    const non200 = r.responses - (r.byStatus.get(200) ?? 0);
    if (non200 > 0 || r.errors > 0) {
      failed = true;
      console.log(`\n${what}, ${CONNECTIONS} connections: ${non200} non-200 answers, ${r.errors} errors; e.g.`, r.failures.join(' / '));
    }
  }
  console.log('');
  const envP95 = percentile(envSeq.ms, 95);
  const compareP95 = percentile(compareSeq.ms, 95);
  console.log(goalLine(db.engine, `p95 of GET /environments/{env} and of GET /compare?base=env:…&head=env:… <= ${GOAL_MS} ms`,
    envP95 <= GOAL_MS && compareP95 <= GOAL_MS, ` (sequential p95: environment ${fmt(envP95, 2)} ms, compare ${fmt(compareP95, 2)} ms)`));
  console.log(`env ${db.engine}: GET /environments/{env} p95 ${fmt(envP95, 2)} ms sequential, `
    + `${fmt(percentile(envConc.latencies, 95), 2)} ms at ${fmt(envConc.reqPerSec, 0)} req/s with ${CONNECTIONS} connections; `
    + `compare env:env p95 ${fmt(compareP95, 2)} ms sequential (first of each ${fmt(percentile(compareCold.ms, 95), 2)} ms), `
    + `${fmt(percentile(compareConc.latencies, 95), 2)} ms at ${fmt(compareConc.reqPerSec, 0)} req/s with ${CONNECTIONS} connections; `
    + `GET /environments p95 ${fmt(percentile(list.ms, 95), 2)} ms; GET /images/{ref} p95 ${fmt(percentile(images.ms, 95), 2)} ms; `
    + `GET /vulnerabilities/{id} p95 ${fmt(percentile(vulnerabilities.ms, 95), 2)} ms`);
  return failed ? 1 : 0;
});
