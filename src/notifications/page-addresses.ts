/*
 * The page addresses of the web interface (ui.md "Pages and their addresses"), read back from a URL: which page it
 * opens and for which object. quay-repository.ts writes these addresses into payloads and messages; this is its
 * inverse, so a test (and the web app's fallback, if it wants) can say whether a link opens a page of ui.md and for
 * what. Pure: no I/O.
 *
 * Address rules, as quay-repository.ts writes them:
 * - a repository keeps its slashes (`/repositories/registry.example.com/acme/web`, like the API's paths); ':' of a
 *   host:port stays as it is;
 * - a build page is the repository page + `/build/{id}` (notifications.md: "the homepage of build events ends in
 *   /build/<build_id>");
 * - an image page is `/images/{repository}@{digest}`;
 * - an environment name may hold '/', so it is one percent-encoded segment (`/environments/prod-eu%2Fdefault`);
 * - a vulnerability id is one segment.
 */
import { parseRepositoryName } from '../registry/image-reference.js';

export type Page =
  | { page: 'environments' }
  | { page: 'environment'; environment: string }
  | { page: 'repository'; repository: string }
  | { page: 'build'; repository: string; buildId: string }
  | { page: 'image'; repository: string; digest: string }
  | { page: 'compare' }
  | { page: 'vulnerability'; id: string }
  | { page: 'policies' }
  | { page: 'clusters' }
  | { page: 'integrations' }
  | { page: 'tokens' };

const fixed: Record<string, Page> = {
  '/': { page: 'environments' },
  '/compare': { page: 'compare' },
  '/policies': { page: 'policies' },
  '/clusters': { page: 'clusters' },
  '/integrations': { page: 'integrations' },
  '/settings/tokens': { page: 'tokens' },
};

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const BUILD_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * The page a URL opens, or null when it is none of ui.md's. `base` (the public URL) is required of absolute URLs:
 * a link to another origin or outside the base path is not one of our pages. Query and fragment are ignored.
 */
export function pageOf(url: string, base?: string): Page | null {
  const path = pathWithinBase(url, base);
  if (path === null) return null;
  const known = fixed[path === '' ? '/' : path];
  if (known) return known;
  const segments = path.split('/').slice(1);
  const decoded = segments.map(decodeSegment);
  if (decoded.some((s) => s === null)) return null;
  const parts = decoded as string[];
  const [head, ...rest] = parts;
  switch (head) {
    case 'environments':
      // One segment: a name with '/' must arrive percent-encoded, else it is not an address of this page.
      return rest.length === 1 && rest[0] !== '' ? { page: 'environment', environment: rest[0]! } : null;
    case 'vulnerabilities':
      return rest.length === 1 && /^[^\s/]{1,256}$/.test(rest[0]!) ? { page: 'vulnerability', id: rest[0]! } : null;
    case 'repositories':
      return repositoryOrBuild(rest);
    case 'images': {
      const joined = rest.join('/');
      const at = joined.lastIndexOf('@');
      if (at === -1) return null;
      const repository = repositoryName(joined.slice(0, at));
      const digest = joined.slice(at + 1);
      return repository !== null && DIGEST.test(digest) ? { page: 'image', repository, digest } : null;
    }
    default:
      return null;
  }
}

function repositoryOrBuild(parts: string[]): Page | null {
  // `{repository}/build/{id}`; a repository whose own path ends in build/<x> reads as a build page, as the UI routes it.
  if (parts.length >= 3 && parts[parts.length - 2] === 'build' && BUILD_ID.test(parts[parts.length - 1]!)) {
    const repository = repositoryName(parts.slice(0, -2).join('/'));
    if (repository !== null) return { page: 'build', repository, buildId: parts[parts.length - 1]! };
  }
  const repository = repositoryName(parts.join('/'));
  return repository === null ? null : { page: 'repository', repository };
}

/** Only canonical names: the address of a page is the name as the API answers it, not a short form. */
function repositoryName(value: string): string | null {
  const parsed = parseRepositoryName(value);
  return parsed.ok && parsed.repository === value ? parsed.repository : null;
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function pathWithinBase(url: string, base: string | undefined): string | null {
  if (url.startsWith('/') && !url.startsWith('//')) return url.replace(/[?#].*$/, '');
  if (base === undefined) return null;
  let target: URL;
  let root: URL;
  try {
    target = new URL(url);
    root = new URL(base);
  } catch {
    return null;
  }
  if (target.origin !== root.origin) return null;
  const prefix = root.pathname.replace(/\/+$/, '');
  if (prefix !== '' && target.pathname !== prefix && !target.pathname.startsWith(`${prefix}/`)) return null;
  const path = target.pathname.slice(prefix.length);
  return path === '' ? '/' : path;
}
