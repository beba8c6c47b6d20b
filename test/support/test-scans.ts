/*
 * For tests only: rows that ingest paths still being built (scan ingest, pushes, builds) would write, inserted
 * directly through Kysely. A scan gets its summary from summarise() with the triage decisions that hold, becomes the
 * digest's current scan, and moves the trend of the environments running the digest, as ingest does.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../src/core/db/database.js';
import { newId } from '../../src/core/ids.js';
import { ensureImage, ensureRepository } from '../../src/registry/repository-queries.js';
import type { Severity } from '../../src/scans/parsers/report-types.js';
import { summarise } from '../../src/scans/scan-summary.js';
import { decisionsForRepositories } from '../../src/triage/triage-queries.js';
import { suppressionOf } from '../../src/triage/suppression.js';
import { environmentsRunning } from '../../src/trend/exposure-queries.js';
import { recordTrendPoints } from '../../src/trend/trend-points.js';

export interface TestFinding {
  id: string;
  package?: string;
  severity?: Severity;
  /** A fixed version makes the finding fixable. */
  fixed?: string | null;
  installed?: string;
  location?: string | null;
}

/** A scan as tests need it; its findings are rows as written before migration 004 (the description in the row), which every reader still takes. */
export async function insertScan(
  db: Db, workspaceId: string, image: { repository: string; digest: string }, findings: TestFinding[],
  options: { at?: string; scanner?: string } = {},
): Promise<string> {
  const at = options.at ?? new Date().toISOString();
  const repositoryId = await ensureRepository(db, workspaceId, image.repository, at);
  await ensureImage(db, { workspaceId, repositoryId, digest: image.digest, at });
  const id = newId();
  const rows = findings.map((f) => ({
    scan_id: id,
    workspace_id: workspaceId,
    digest: image.digest,
    vulnerability_id: f.id,
    package: f.package ?? 'pkg',
    installed_version: f.installed ?? '1.0.0',
    location: f.location ?? null,
    fixed_version: f.fixed ?? null,
    fix_state: f.fixed ? 'fixed' : 'not_fixed',
    severity: f.severity ?? 'High',
    cvss: null,
    link: `https://example.test/${f.id}`,
    description: `${f.id} in ${f.package ?? 'pkg'}`,
  }));
  const holders = await db.selectFrom('images').select('repository_id').where('workspace_id', '=', workspaceId).where('digest', '=', image.digest).execute();
  const ids = holders.map((h) => h.repository_id);
  const suppression = suppressionOf(await decisionsForRepositories(db, workspaceId, ids));
  const summary = summarise(rows, (f) => suppression.isSuppressedInAll(ids, f));
  await db.updateTable('scans').set({ is_current: 0 })
    .where('workspace_id', '=', workspaceId).where('digest', '=', image.digest).where('is_current', '=', 1).execute();
  await db.insertInto('scans').values({
    id, workspace_id: workspaceId, digest: image.digest, format: 'trivy', scanner_name: options.scanner ?? 'Trivy',
    scanner_version: '0.50.0', findings_count: rows.length, is_current: 1, summary: JSON.stringify(summary), warnings: null, created_at: at,
  }).execute();
  for (let i = 0; i < rows.length; i += 200) await db.insertInto('findings').values(rows.slice(i, i + 200)).execute();
  const environments = await environmentsRunning(db, workspaceId, [image.digest]);
  if (environments.length > 0) await recordTrendPoints(db, workspaceId, environments, at);
  return id;
}

/** Points a tag at a digest, with a history entry, as a push would. */
export async function pushTag(db: Db, workspaceId: string, repository: string, tag: string, digest: string, at = new Date().toISOString()): Promise<void> {
  const repositoryId = await ensureRepository(db, workspaceId, repository, at);
  const found = await db.selectFrom('tags').select('id').where('repository_id', '=', repositoryId).where('name', '=', tag).executeTakeFirst();
  const tagId = found?.id ?? randomUUID();
  if (found) await db.updateTable('tags').set({ digest, updated_at: at }).where('id', '=', tagId).execute();
  else await db.insertInto('tags').values({ id: tagId, workspace_id: workspaceId, repository_id: repositoryId, name: tag, digest, updated_at: at }).execute();
  await db.insertInto('tag_history').values({ tag_id: tagId, digest, action: 'push', source: 'test', at }).execute();
  await ensureImage(db, { workspaceId, repositoryId, digest, at });
}

/** A build of the repository that pushed the digests. */
export async function insertBuild(
  db: Db, workspaceId: string, repository: string,
  build: { digests: string[]; phase?: string; commit?: string | null; ref?: string | null; tags?: string[]; name?: string; at?: string },
): Promise<string> {
  const at = build.at ?? new Date().toISOString();
  const repositoryId = await ensureRepository(db, workspaceId, repository, at);
  const id = newId();
  await db.insertInto('builds').values({
    id, workspace_id: workspaceId, repository_id: repositoryId, phase: build.phase ?? 'success', build_name: build.name ?? `build-${id.slice(0, 8)}`,
    docker_tags: JSON.stringify(build.tags ?? []), trigger_kind: 'github',
    trigger_id: null, trigger_metadata: JSON.stringify({ commit: build.commit ?? null, ref: build.ref ?? null }), is_manual: 0,
    manual_user: null, image_id: null, manifest_digests: JSON.stringify(build.digests), error_message: null,
    commit_sha: build.commit ?? null, created_at: at, started_at: at, finished_at: at, updated_at: at,
  }).execute();
  if (build.digests.length > 0) {
    await db.insertInto('build_images').values(build.digests.map((digest) => ({ build_id: id, workspace_id: workspaceId, digest }))).execute();
  }
  return id;
}

/** A minimal Trivy JSON report (SchemaVersion 2) of the findings, for POST /api/v1/scans?image=…. */
export function trivyReport(findings: TestFinding[]): unknown {
  return {
    SchemaVersion: 2,
    ArtifactType: 'container_image',
    Results: [{
      Target: 'image (debian 12)',
      Class: 'os-pkgs',
      Vulnerabilities: findings.map((f) => ({
        VulnerabilityID: f.id,
        PkgName: f.package ?? 'pkg',
        InstalledVersion: f.installed ?? '1.0.0',
        ...(f.fixed ? { FixedVersion: f.fixed, Status: 'fixed' } : { Status: 'affected' }),
        Severity: (f.severity ?? 'High').toUpperCase(),
        ...(f.location ? { PkgPath: f.location } : {}),
      })),
    }],
  };
}
