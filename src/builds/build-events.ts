import type { BuildPhase } from './build-phases.js';
import type { BuildRow } from './build-queries.js';

/*
 * The own fields of the build events, as Quay's samples carry them (spec notifications.md; seeds/
 * quay-repository-notifications.ja.txt §11.1.2–11.1.6), in the samples' order. The base fields (repository as
 * namespace/name, namespace, name, docker_url, homepage ending in /build/<build_id>) are rendered at delivery time from
 * `repository` (canonical), like every event's. Optional fields are left out when unknown, as Quay does.
 */
export function buildEventData(build: BuildRow, phase: BuildPhase): Record<string, unknown> {
  const metadata = build.trigger_metadata === null ? undefined : JSON.parse(build.trigger_metadata) as Record<string, unknown>;
  const known = <T>(key: string, value: T | null | undefined) => (value === null || value === undefined ? {} : { [key]: value });
  const head = {
    build_id: build.id,
    ...known('trigger_kind', build.trigger_kind),
    repository: build.repository,
    ...(phase === 'failure' ? known('error_message', build.error_message) : {}),
    ...known('trigger_id', build.trigger_id),
    docker_tags: JSON.parse(build.docker_tags) as string[],
    ...known('build_name', build.build_name),
  };
  if (phase === 'queued') {
    // Quay's build_queued: `repo` is the repository's name without its namespace (the seed: "repo": "test").
    return {
      ...head,
      repo: quayName(build.repository),
      ...known('trigger_metadata', metadata),
      is_manual: build.is_manual === 1,
      manual_user: build.manual_user,
    };
  }
  if (phase === 'success') {
    return {
      ...head,
      ...known('image_id', build.image_id),
      ...known('trigger_metadata', metadata),
      manifest_digests: JSON.parse(build.manifest_digests) as string[],
    };
  }
  return { ...head, ...known('trigger_metadata', metadata) };
}

/**
 * Quay's `name` of a repository (spec concepts.md): its path without the first segment, the namespace
 * (`docker.io/library/nginx` → `nginx`, `ghcr.io/acme/team/web` → `team/web`); a one-segment path is its own name.
 */
export function quayName(repository: string): string {
  const path = repository.slice(repository.indexOf('/') + 1);
  const slash = path.indexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

