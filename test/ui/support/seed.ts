/*
 * A small, believable workspace seeded through the API (pushes, a build, deployments, scans), so every page has
 * something to show: two repositories, staging ahead of production, scans with every severity.
 */
import assert from 'node:assert/strict';
import type { TestApp } from '../../support/app.js';
import type { Db } from '../../../src/core/db/database.js';
import { trivyReport, type TestFinding } from '../../support/test-scans.js';

export const web = 'registry.example.com/acme/web';
export const api = 'registry.example.com/acme/api';
/** Digests that read apart in their first 12 characters, as real ones do. */
export const digests = { web10: `sha256:${'a10f'.repeat(16)}`, web11: `sha256:${'a11e'.repeat(16)}`, api20: `sha256:${'b20d'.repeat(16)}` };

async function ok(t: TestApp, method: string, url: string, body: unknown, token = t.tokens.write): Promise<any> {
  const res = await t.call(method, url, { body, token });
  assert.ok(res.statusCode >= 200 && res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
  return res.body ? res.json() : undefined;
}

const findings = {
  web10: [
    { id: 'CVE-2024-0001', package: 'openssl', severity: 'Critical', fixed: '3.0.14', installed: '3.0.11' },
    { id: 'CVE-2024-0002', package: 'zlib', severity: 'High', installed: '1.2.13' },
    { id: 'CVE-2024-0003', package: 'curl', severity: 'Medium', fixed: '8.5.0', installed: '8.4.0' },
    { id: 'CVE-2024-0004', package: 'bash', severity: 'Low', installed: '5.2' },
    { id: 'CVE-2024-0005', package: 'tar', severity: 'Negligible', installed: '1.34' },
    { id: 'CVE-2024-0006', package: 'libxml2', severity: 'Unknown', installed: '2.9.14' },
  ],
  web11: [
    { id: 'CVE-2024-0002', package: 'zlib', severity: 'High', installed: '1.2.13' },
    { id: 'CVE-2024-0004', package: 'bash', severity: 'Low', installed: '5.2' },
    { id: 'CVE-2024-0007', package: 'glibc', severity: 'High', fixed: '2.36-9+deb12u4', installed: '2.36-9' },
  ],
  api20: [
    { id: 'CVE-2024-0001', package: 'openssl', severity: 'Critical', fixed: '3.0.14', installed: '3.0.11' },
    { id: 'CVE-2024-0008', package: 'express', severity: 'Medium', fixed: '4.19.2', installed: '4.18.2' },
  ],
} satisfies Record<string, TestFinding[]>;

export interface Seeded { buildId: string }

export async function seedWorkspace(t: TestApp): Promise<Seeded> {
  await ok(t, 'POST', '/api/v1/pushes', { image: `${web}:1.0@${digests.web10}`, platform: { os: 'linux', architecture: 'amd64' } });
  await ok(t, 'POST', '/api/v1/pushes', { image: `${api}:2.0@${digests.api20}`, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
  await deploy(t, 'production', `${web}:1.0@${digests.web10}`, 'web');
  await deploy(t, 'production', `${api}:2.0@${digests.api20}`, 'api');
  await scan(t, `${web}@${digests.web10}`, findings.web10);
  await scan(t, `${api}@${digests.api20}`, findings.api20);
  const build = await ok(t, 'POST', '/api/v1/builds', {
    repository: web, docker_tags: ['1.1', 'latest'], build_name: 'web #42', trigger_kind: 'github',
    trigger_metadata: { commit: '9fceb02d0ae598e95dc970b74767f19372d61af8', ref: 'refs/heads/main' },
  });
  await ok(t, 'POST', `/api/v1/builds/${build.build_id}/phase`, { phase: 'started' });
  await ok(t, 'POST', '/api/v1/pushes', { image: `${web}:1.1@${digests.web11}`, platform: { os: 'linux', architecture: 'amd64' } });
  await ok(t, 'POST', '/api/v1/pushes', { image: `${web}:latest@${digests.web11}`, platform: { os: 'linux', architecture: 'amd64' } });
  await ok(t, 'POST', `/api/v1/builds/${build.build_id}/phase`, { phase: 'success', manifest_digests: [`${web}@${digests.web11}`] });
  await scan(t, `${web}@${digests.web11}`, findings.web11);
  await deploy(t, 'staging', `${web}:1.1@${digests.web11}`, 'web');
  await deploy(t, 'staging', `${api}:2.0@${digests.api20}`, 'api');
  return { buildId: build.build_id };
}

export async function deploy(t: TestApp, environment: string, image: string, name: string): Promise<void> {
  await ok(t, 'POST', '/api/v1/deployments', { image: { url: image, name }, environment: { name: environment } });
}

export async function scan(t: TestApp, image: string, list: TestFinding[]): Promise<void> {
  await ok(t, 'POST', `/api/v1/scans?image=${encodeURIComponent(image)}`, trivyReport(list));
}

/**
 * For the screenshots only: a month of security-debt history before the seeded present (written straight into
 * trend_points, as if earlier deployments and scans had moved it), so the charts show what they are for. The present
 * points, and every number the other tests check, come from the API calls above.
 */
export async function seedTrendHistory(db: Db, workspaceId: string): Promise<void> {
  const environments = await db.selectFrom('environments').select(['id', 'name']).where('workspace_id', '=', workspaceId).execute();
  const day = 86_400_000;
  const start = Date.now() - 29 * day;
  for (const env of environments) {
    const scale = env.name === 'production' ? 1 : 0.7;
    for (let i = 0; i < 28; i += 3) {
      const wave = Math.round((Math.sin(i / 4) + 1.5) * scale);
      const point = { critical: wave > 1 ? 2 : 1, high: 1 + wave, medium: 2 + Math.round(i / 10), low: 2, negligible: 1, unknown: i > 15 ? 1 : 0 };
      const fixable = point.critical + Math.round(point.high / 2);
      const risk = 10 * point.critical + 5 * point.high + 3 * point.medium + point.low + 5 * point.unknown;
      await db.insertInto('trend_points').values({
        workspace_id: workspaceId, environment_id: env.id, at: new Date(start + i * day + 3_600_000 * (i % 7)).toISOString(), ...point,
        fixable, distinct_vulnerabilities: point.critical + point.high + point.medium + point.low + point.negligible + point.unknown, risk_score: risk,
      }).execute();
    }
  }
}
