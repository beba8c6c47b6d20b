import type { BuildRow } from './build-queries.js';
import { refOf } from './build-queries.js';

/** A stored build as the API answers it (build-schemas.ts `buildRecord`). */
export function renderBuild(b: BuildRow) {
  return {
    build_id: b.id,
    repository: b.repository,
    phase: b.phase,
    build_name: b.build_name,
    docker_tags: JSON.parse(b.docker_tags) as string[],
    trigger_kind: b.trigger_kind,
    trigger_id: b.trigger_id,
    trigger_metadata: b.trigger_metadata === null ? null : JSON.parse(b.trigger_metadata) as Record<string, unknown>,
    is_manual: b.is_manual === 1,
    manual_user: b.manual_user,
    commit: b.commit_sha,
    ref: refOf(b.trigger_metadata),
    image_id: b.image_id,
    manifest_digests: JSON.parse(b.manifest_digests) as string[],
    error_message: b.error_message,
    created_at: b.created_at,
    started_at: b.started_at,
    finished_at: b.finished_at,
    updated_at: b.updated_at,
  };
}
