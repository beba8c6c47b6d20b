import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { ApiError, notFound } from '../core/errors.js';
import type { Db, Storage } from '../core/db/database.js';
import type { BuildTable } from '../core/db/schema.js';
import { recordEvent } from '../events/event-queries.js';
import { recordAudit } from '../audit/audit-queries.js';
import { ensureImage, ensureRepository } from '../registry/repository-queries.js';
import { isBuildPhase, phaseEvents, phaseStep, refusedStepMessage, type ReportedPhase } from './build-phases.js';
import { findBuild, insertBuild, insertBuildImages, updateBuildPhase, type BuildRow, type PhaseChange } from './build-queries.js';
import { buildEventData } from './build-events.js';

/** What recording needs of the storage: write transactions (group commit on SQLite). */
export type Writer = Pick<Storage, 'transact'>;

export interface NewBuild {
  workspaceId: string;
  tokenId: string | null;
  /** Canonical host/path. */
  repository: string;
  dockerTags: string[];
  buildName: string | null;
  triggerKind: string | null;
  triggerId: string | null;
  triggerMetadata: Record<string, unknown> | null;
  isManual: boolean;
  manualUser: string | null;
}

/** Stores a queued build with its `build_queued` event and audit entry, in one transaction. */
export async function createBuild(writer: Writer, input: NewBuild): Promise<BuildRow> {
  return writer.transact(async (trx) => {
    const at = nowIso();
    const repositoryId = await ensureRepository(trx, input.workspaceId, input.repository, at);
    const row: BuildTable = {
      id: newId(),
      workspace_id: input.workspaceId,
      repository_id: repositoryId,
      phase: 'queued',
      build_name: input.buildName,
      docker_tags: JSON.stringify(input.dockerTags),
      trigger_kind: input.triggerKind,
      trigger_id: input.triggerId,
      trigger_metadata: input.triggerMetadata === null ? null : JSON.stringify(input.triggerMetadata),
      is_manual: input.isManual ? 1 : 0,
      manual_user: input.manualUser,
      image_id: null,
      manifest_digests: '[]',
      error_message: null,
      commit_sha: commitOf(input.triggerMetadata),
      created_at: at,
      started_at: null,
      finished_at: null,
      updated_at: at,
    };
    await insertBuild(trx, row);
    const build: BuildRow = { ...row, repository: input.repository };
    await recordEvent(trx, { workspaceId: input.workspaceId, repositoryId, kind: 'build_queued', data: buildEventData(build, 'queued') });
    await recordAudit(trx, {
      workspaceId: input.workspaceId, tokenId: input.tokenId, action: 'build.create', target: row.id, detail: { repository: input.repository },
    });
    return build;
  });
}

/** Quay's trigger_metadata names the commit `commit`; some CIs send `commit_sha`. Lowercase, as git prints it. */
export function commitOf(metadata: Record<string, unknown> | null): string | null {
  const commit = metadata?.commit ?? metadata?.commit_sha;
  return typeof commit === 'string' ? commit.toLowerCase() : null;
}

/** A pushed manifest: the repository (null = the build's own, for a bare digest) and its digest. */
export interface Manifest {
  repository: string | null;
  digest: string;
}

export interface PhaseReport {
  workspaceId: string;
  tokenId: string | null;
  buildId: string;
  phase: ReportedPhase;
  imageId: string | null;
  manifests: Manifest[] | null;
  errorMessage: string | null;
  /** Throws (403) unless the caller may change builds of this repository. */
  allowed: (repository: string) => void;
}

export interface PhaseOutcome {
  build: BuildRow;
  /** False for an idempotent repeat: nothing was written. */
  changed: boolean;
}

/**
 * Moves a build to the reported phase with its event and audit entry, in one transaction; a success links the build
 * to the digests it pushed. A repeat of the current phase changes nothing; a step the phases do not allow is 409.
 */
export async function reportPhase(writer: Writer, report: PhaseReport): Promise<PhaseOutcome> {
  return writer.transact(async (trx) => {
    // Phases only move forward, so a lost compare-and-set (another report moved it first) settles in a few rounds.
    for (let round = 0; round < 5; round++) {
      const build = await findBuild(trx, report.workspaceId, report.buildId);
      if (!build) throw notFound(`build ${report.buildId}`);
      report.allowed(build.repository);
      const manifests = report.manifests?.map((m) => ({ repository: m.repository ?? build.repository, digest: m.digest })) ?? null;
      for (const m of manifests ?? []) if (m.repository !== build.repository) report.allowed(m.repository);
      const references = manifests && [...new Set(manifests.map((m) => `${m.repository}@${m.digest}`))];
      const from = build.phase;
      if (!isBuildPhase(from)) throw new Error(`build ${build.id} is stored with an unknown phase "${from}"`);
      const step = phaseStep(from, report.phase);
      if (step === 'refused') throw new ApiError('TW_CONFLICT', refusedStepMessage(build.id, from, report.phase));
      if (step === 'repeat') {
        assertSameRepeat(build, report, references);
        return { build, changed: false };
      }
      const at = nowIso();
      const change: PhaseChange = { phase: report.phase, updated_at: at };
      if (report.phase === 'started') change.started_at = at;
      else change.finished_at = at;
      if (report.phase === 'success') {
        change.image_id = report.imageId;
        change.manifest_digests = JSON.stringify(references ?? []);
      }
      if (report.phase === 'failure') change.error_message = report.errorMessage;
      if (!(await updateBuildPhase(trx, build.id, from, change))) continue;
      const moved: BuildRow = { ...build, ...change };
      if (manifests?.length) await linkImages(trx, moved, manifests, at);
      await recordEvent(trx, {
        workspaceId: report.workspaceId, repositoryId: build.repository_id, kind: phaseEvents[report.phase], data: buildEventData(moved, report.phase),
      });
      await recordAudit(trx, {
        workspaceId: report.workspaceId, tokenId: report.tokenId, action: 'build.phase', target: build.id, detail: { from, to: report.phase },
      });
      return { build: moved, changed: true };
    }
    throw new ApiError('TW_CONFLICT', `build ${report.buildId} kept changing while this report was applied; send it again`);
  });
}

/** Each pushed digest becomes an image of its repository and is linked to the build (build_images). */
async function linkImages(trx: Db, build: BuildRow, manifests: Array<{ repository: string; digest: string }>, at: string): Promise<void> {
  for (const m of manifests) {
    const repositoryId = m.repository === build.repository
      ? build.repository_id
      : await ensureRepository(trx, build.workspace_id, m.repository, at);
    await ensureImage(trx, { workspaceId: build.workspace_id, repositoryId, digest: m.digest, at });
  }
  await insertBuildImages(trx, build.workspace_id, build.id, [...new Set(manifests.map((m) => m.digest))]);
}

/**
 * A repeated report is a retry only if it says what the first one said; one that reports other digests, another image
 * id or another error is refused rather than silently dropped.
 */
function assertSameRepeat(build: BuildRow, report: PhaseReport, references: string[] | null): void {
  const differs = (field: string) => new ApiError('TW_CONFLICT',
    `build ${build.id} is already ${build.phase} with another ${field}; a repeated report must carry the same ${field}`);
  if (references) {
    const stored = new Set(JSON.parse(build.manifest_digests) as string[]);
    if (stored.size !== references.length || references.some((r) => !stored.has(r))) throw differs('manifest_digests');
  }
  if (report.imageId !== null && report.imageId !== build.image_id) throw differs('image_id');
  if (report.errorMessage !== null && report.errorMessage !== build.error_message) throw differs('error_message');
}
