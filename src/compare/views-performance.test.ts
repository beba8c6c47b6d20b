import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';
import { newId } from '../core/ids.js';
import { summarise } from '../scans/scan-summary.js';
import { severities } from '../scans/parsers/report-types.js';

/*
 * The read paths' targets (brief of the views): p95 of GET /environments/{env} and of a compare of two environments
 * ≤ 100 ms with 500 instances per environment and 2,000 scanned images of 300 findings each. Minutes of loading, so
 * it runs only when asked: TIDEWATCH_PERF=1 node --import tsx --test src/compare/views-performance.test.ts
 */
const ENVIRONMENTS = 20;
const PER_ENVIRONMENT = 500;
const REPOSITORIES = 200;
const RELEASES = 10; // 2,000 images
const FINDINGS = 300;
const VULNERABILITY_POOL = 5000;
const REQUESTS = 200;

const envName = (e: number) => `env-${String(e).padStart(2, '0')}`;
const digestOf = (r: number, k: number) => `sha256:${createHash('sha256').update(`perf/${r}/${k}`).digest('hex')}`;

function seeded(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

async function load(storage: TestStorage, ws: string): Promise<void> {
  const db = storage.db;
  const at = new Date(Date.now() - 86400_000).toISOString();
  const random = seeded(7);
  const pick = (n: number) => Math.floor(random() * n);
  const repos = Array.from({ length: REPOSITORIES }, (_, r) => ({ id: newId(), workspace_id: ws, name: `ghcr.io/perf/repo-${r}`, created_at: at }));
  await db.insertInto('repositories').values(repos).execute();
  const envs = Array.from({ length: ENVIRONMENTS }, (_, e) => ({ id: newId(), workspace_id: ws, name: envName(e), created_at: at }));
  await db.insertInto('environments').values(envs).execute();
  const images = repos.flatMap((repo, r) => Array.from({ length: RELEASES }, (_, k) => ({
    id: newId(), workspace_id: ws, repository_id: repo.id, digest: digestOf(r, k), media_type: null, is_index: 0, os: 'linux',
    architecture: 'amd64', variant: null, first_seen_at: at, deleted_at: null,
  })));
  for (let i = 0; i < images.length; i += 500) await db.insertInto('images').values(images.slice(i, i + 500)).execute();
  const tags = repos.flatMap((repo, r) => [
    ...Array.from({ length: RELEASES }, (_, k) => ({ name: `v1.${k}`, digest: digestOf(r, k) })),
    { name: 'latest', digest: digestOf(r, RELEASES - 1) },
  ].map((t) => ({ id: newId(), workspace_id: ws, repository_id: repo.id, ...t, updated_at: at })));
  for (let i = 0; i < tags.length; i += 500) await db.insertInto('tags').values(tags.slice(i, i + 500)).execute();
  const builds = images.map((img) => ({
    id: newId(), workspace_id: ws, repository_id: img.repository_id, phase: 'success', build_name: 'b', docker_tags: '[]', trigger_kind: 'github',
    trigger_id: null, trigger_metadata: '{"ref":"refs/heads/main"}', is_manual: 0, manual_user: null, image_id: null,
    manifest_digests: JSON.stringify([img.digest]), error_message: null, commit_sha: img.digest.slice(7, 47), created_at: at, started_at: at,
    finished_at: at, updated_at: at,
  }));
  for (let i = 0; i < builds.length; i += 500) await db.insertInto('builds').values(builds.slice(i, i + 500)).execute();
  const links = builds.map((b) => ({ build_id: b.id, workspace_id: ws, digest: JSON.parse(b.manifest_digests)[0] as string }));
  for (let i = 0; i < links.length; i += 500) await db.insertInto('build_images').values(links.slice(i, i + 500)).execute();

  // Instance i of an environment runs one of a few releases of its repository, so environments share most digests.
  const deployments = envs.flatMap((env) => Array.from({ length: PER_ENVIRONMENT }, (_, i) => {
    const r = i % REPOSITORIES;
    const k = pick(3) + (RELEASES - 4);
    return {
      id: newId(), workspace_id: ws, environment_id: env.id, instance_name: `svc-${i}`, repository_id: repos[r]!.id, digest: digestOf(r, k),
      tag: `v1.${k}`, os: 'linux', architecture: 'amd64', variant: null, deployed_at: at, last_seen_at: at, undeployed_at: null,
      replaced_digest: null, source: 'api',
    };
  }));
  for (let i = 0; i < deployments.length; i += 500) await db.insertInto('deployments').values(deployments.slice(i, i + 500)).execute();

  for (const img of images) {
    const scanId = newId();
    // A vulnerability lives in one package (as in real reports), so keys repeat across images.
    const rows = Array.from({ length: FINDINGS }, (_, f) => pick(VULNERABILITY_POOL)).map((v, f) => ({
      scan_id: scanId, workspace_id: ws, digest: img.digest, vulnerability_id: `CVE-2024-${v}`,
      package: `pkg-${v % 400}`, installed_version: '1.0', location: `/usr/lib/${f}`, fixed_version: v % 5 < 2 ? '1.1' : null,
      fix_state: 'not_fixed', severity: severities[pick(6)]!, cvss: 5.5, link: 'https://nvd.nist.gov/vuln', description: 'x'.repeat(200),
    })).map((f) => ({ ...f, fix_state: f.fixed_version ? 'fixed' : 'not_fixed' }));
    const summary = summarise(rows, () => false);
    await db.insertInto('scans').values({
      id: scanId, workspace_id: ws, digest: img.digest, format: 'trivy', scanner_name: 'trivy', scanner_version: '0.50', findings_count: FINDINGS,
      is_current: 1, summary: JSON.stringify(summary), warnings: null, created_at: at,
    }).execute();
    for (let i = 0; i < rows.length; i += 150) await db.insertInto('findings').values(rows.slice(i, i + 150)).execute();
  }
}

function percentile(ms: number[], p: number): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describeEachEngine('read paths at scale', (engine) => {
  const skip = !process.env.TIDEWATCH_PERF;
  let storage: TestStorage;
  let t: TestApp;
  before(async () => {
    if (skip) return;
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    const t0 = performance.now();
    await load(storage, t.workspaceId);
    console.log(`[${engine}] loaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  });
  after(async () => { if (!skip) { await t.close(); await storage.dispose(); } });

  const time = async (label: string, paths: string[]) => {
    const ms: number[] = [];
    for (const path of paths) {
      const t0 = performance.now();
      const res = await t.call('GET', path, { token: t.tokens.read });
      ms.push(performance.now() - t0);
      assert.equal(res.statusCode, 200, res.body.slice(0, 300));
    }
    const line = `[${engine}] ${label}: p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`;
    console.log(line);
    return percentile(ms, 95);
  };
  const envPaths = (n: number) => Array.from({ length: n }, (_, i) => `/api/v1/environments/${envName(i % ENVIRONMENTS)}`);
  const comparePaths = (n: number) => Array.from({ length: n }, (_, i) => `/api/v1/compare?base=env:${envName(i % ENVIRONMENTS)}&head=env:${envName((i + 1) % ENVIRONMENTS)}`);

  test('GET /environments/{env}: p95 ≤ 100 ms', { skip: skip && 'set TIDEWATCH_PERF=1' }, async () => {
    await time('GET /environments/{env} (cold, first of each)', envPaths(ENVIRONMENTS));
    const p95 = await time('GET /environments/{env}', envPaths(REQUESTS));
    await time('GET /environments', Array(20).fill('/api/v1/environments'));
    assert.ok(p95 <= 100, `p95 ${p95} ms`);
  });

  test('compare two environments: p95 ≤ 100 ms', { skip: skip && 'set TIDEWATCH_PERF=1' }, async () => {
    await time('compare env vs env (cold: findings read once per scan)', comparePaths(ENVIRONMENTS));
    const p95 = await time('compare env vs env', comparePaths(REQUESTS));
    await time('GET /vulnerabilities/{id}', Array.from({ length: 50 }, (_, i) => `/api/v1/vulnerabilities/CVE-2024-${i * 7}`));
    await time('GET /images/{ref} (300 findings, page of 100)', Array.from({ length: 50 }, (_, i) => `/api/v1/images/ghcr.io/perf/repo-${i}@${digestOf(i, 9)}`));
    assert.ok(p95 <= 100, `p95 ${p95} ms`);
  });
});
