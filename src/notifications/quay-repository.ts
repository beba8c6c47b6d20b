/*
 * Quay's view of a repository (concepts.md "Repository"): namespace is the first path segment, name the rest,
 * repository is namespace/name and docker_url host/namespace/name. And the addresses of the web interface's pages
 * (ui.md "Pages and their addresses") that payloads and messages link to. Pure: no I/O.
 */
import { parseRepositoryName } from '../registry/image-reference.js';

export interface QuayRepository {
  /** `namespace/name`, as Quay shows it: the path without the host. */
  repository: string;
  namespace: string;
  name: string;
  /** `host/namespace/name`: Tidewatch's canonical repository name. */
  docker_url: string;
}

/**
 * The canonical `host/path` an event is about. repo_push data (registry/record-pushes.ts) already holds the Quay path
 * in `repository` and host/path in `docker_url`; every other event holds host/path in `repository`. So `docker_url`
 * wins when present.
 */
export function canonicalRepositoryOf(data: Readonly<Record<string, unknown>>): string | null {
  for (const candidate of [data.docker_url, data.repository]) {
    if (typeof candidate !== 'string') continue;
    const parsed = parseRepositoryName(candidate);
    if (parsed.ok) return parsed.repository;
  }
  return null;
}

/**
 * Splits a canonical name Quay's way. A one-segment path (`localhost:5000/web`) has no namespace: namespace is '' and
 * repository is the bare name, as registry/record-pushes.ts writes it — Quay itself never has such repositories.
 */
export function quayRepository(canonical: string): QuayRepository {
  const parsed = parseRepositoryName(canonical);
  if (!parsed.ok) throw new Error(`not a repository name: ${parsed.reason}`);
  const slash = parsed.path.indexOf('/');
  return {
    repository: parsed.path,
    namespace: slash === -1 ? '' : parsed.path.slice(0, slash),
    name: slash === -1 ? parsed.path : parsed.path.slice(slash + 1),
    docker_url: parsed.repository,
  };
}

// Repository paths keep their slashes (the UI routes `/repositories/*` as the API does); ':' of a host:port and of a
// digest is legal in a path segment, so it stays readable.
const segment = (s: string): string => encodeURIComponent(s).replace(/%3A/gi, ':');
const repositoryPath = (repository: string): string => repository.split('/').map(segment).join('/');
const trimBase = (publicUrl: string): string => publicUrl.replace(/\/+$/, '');

export function repositoryPage(publicUrl: string, repository: string): string {
  return `${trimBase(publicUrl)}/repositories/${repositoryPath(repository)}`;
}

export function buildPage(publicUrl: string, repository: string, buildId: string): string {
  return `${repositoryPage(publicUrl, repository)}/build/${segment(buildId)}`;
}

export function imagePage(publicUrl: string, repository: string, digest: string): string {
  return `${trimBase(publicUrl)}/images/${repositoryPath(repository)}@${segment(digest)}`;
}

/** Environment names may hold '/', so the whole name is one percent-encoded segment (deployments.md). */
export function environmentPage(publicUrl: string, environment: string): string {
  return `${trimBase(publicUrl)}/environments/${encodeURIComponent(environment)}`;
}

/**
 * The public URL a payload was rendered with, recovered from its homepage: message formats get only the payload,
 * and link to more pages than the homepage. Null when the homepage is not one of ours.
 */
export function publicUrlOf(payload: Readonly<Record<string, unknown>>): string | null {
  const { homepage, docker_url: repository } = payload;
  if (typeof homepage !== 'string' || typeof repository !== 'string') return null;
  const at = homepage.lastIndexOf(`/repositories/${repositoryPath(repository)}`);
  return at === -1 ? null : homepage.slice(0, at);
}
