/**
 * Container image reference parsing, following the CNCF Distribution grammar
 * (github.com/distribution/reference: regexp.go + normalize.go) with Docker Hub's
 * defaults. Pure: no I/O.
 */

export interface ImageReference {
  /** registry host with optional port, e.g. "docker.io", "localhost:5000", "ghcr.io", "[::1]:5000" */
  domain: string;
  /** path within the registry, e.g. "library/nginx", "acme/web" */
  path: string;
  /** canonical repository name: `${domain}/${path}` e.g. "docker.io/library/nginx" */
  repository: string;
  tag: string | null;
  /** "sha256:<64 lowercase hex>" or null */
  digest: string | null;
}

export type ReferenceResult = { ok: true; ref: ImageReference } | { ok: false; reason: string };

type NameResult = { ok: true; repository: string; domain: string; path: string } | { ok: false; reason: string };

const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const NAME_TOTAL_LENGTH_MAX = 255;
const TAG_LENGTH_MAX = 128;

const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG_RE = /^\w[\w.-]*$/;
const SHA256_DIGEST_RE = /^sha256:[a-f0-9]{64}$/;
const HEX_RE = /^[a-fA-F0-9]*$/;
// A bare 64-hex string is an image ID, not a name; Distribution refuses it to avoid ambiguity.
const IMAGE_ID_RE = /^[a-f0-9]{64}$/;
const SCHEME_RE = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\//;

const fail = (reason: string): { ok: false; reason: string } => ({ ok: false, reason });

export function isSha256Digest(s: string): boolean {
  return SHA256_DIGEST_RE.test(s);
}

export function formatImageReference(ref: Pick<ImageReference, 'repository' | 'tag' | 'digest'>): string {
  return `${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** Parse `[host[:port]/]path[:tag][@sha256:digest]`. */
export function parseImageReference(input: string): ReferenceResult {
  const pre = precheck(input);
  if (pre) return fail(pre);

  let rest = input;
  let digest: string | null = null;
  const at = rest.indexOf('@');
  if (at !== -1) {
    if (rest.indexOf('@', at + 1) !== -1) return fail('reference must contain at most one "@".');
    const d = rest.slice(at + 1);
    if (d === '') return fail('digest is empty: "@" must be followed by "sha256:<64 lowercase hex characters>".');
    const digestError = checkDigest(d);
    if (digestError) return fail(digestError);
    digest = d;
    rest = rest.slice(0, at);
  }

  let tag: string | null = null;
  // Only a ":" after the last "/" introduces a tag; earlier ones belong to a host:port.
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    const t = rest.slice(colon + 1);
    if (t === '') return fail('tag is empty: ":" must be followed by a tag.');
    const tagError = checkTag(t);
    if (tagError) return fail(tagError);
    tag = t;
    rest = rest.slice(0, colon);
  }

  const name = parseName(rest);
  if (!name.ok) return name;
  return { ok: true, ref: { domain: name.domain, path: name.path, repository: name.repository, tag, digest } };
}

/** Parse a bare repository name (no tag, no digest allowed) and normalise it: "nginx" -> "docker.io/library/nginx". */
export function parseRepositoryName(input: string): NameResult {
  const pre = precheck(input);
  if (pre) return fail(pre);
  if (input.includes('@')) return fail(`repository name "${input}" must not include a digest.`);
  if (input.lastIndexOf(':') > input.lastIndexOf('/')) {
    return fail(`repository name "${input}" must not include a tag.`);
  }
  return parseName(input);
}

/** Checks shared by both entry points; returns a reason or null. */
function precheck(input: string): string | null {
  if (input === '') return 'reference is empty.';
  if (input.trim() !== input) return 'reference must not have leading or trailing whitespace.';
  if (SCHEME_RE.test(input)) return 'reference must not include a URL scheme such as "http://".';
  if (IMAGE_ID_RE.test(input)) {
    return 'invalid repository name: a 64-character hexadecimal string is an image ID, not a name.';
  }
  return null;
}

function checkDigest(d: string): string | null {
  const sep = d.indexOf(':');
  if (sep === -1) return `invalid digest "${d}": expected "sha256:<64 lowercase hex characters>".`;
  const algorithm = d.slice(0, sep);
  const hex = d.slice(sep + 1);
  if (algorithm !== 'sha256') {
    return `invalid digest: unsupported algorithm "${algorithm}"; only sha256 digests are accepted.`;
  }
  if (!HEX_RE.test(hex)) return 'invalid digest: sha256 digest must be 64 lowercase hex characters (found non-hex characters).';
  if (hex.length !== 64) {
    return `invalid digest: sha256 digest must be 64 lowercase hex characters (got ${hex.length}).`;
  }
  if (hex !== hex.toLowerCase()) {
    return 'invalid digest: sha256 digest must be 64 lowercase hex characters (found uppercase hex).';
  }
  return null;
}

function checkTag(t: string): string | null {
  if (t.length > TAG_LENGTH_MAX) {
    return `invalid tag "${t}": tag must be at most ${TAG_LENGTH_MAX} characters (got ${t.length}).`;
  }
  if (!TAG_RE.test(t)) {
    return `invalid tag "${t}": tag must start with a letter, digit or "_" and contain only letters, digits, "_", "." and "-".`;
  }
  return null;
}

/** Validates and normalises `[host[:port]/]path` (mirrors normalize.go's splitDockerDomain). */
function parseName(name: string): NameResult {
  if (name === '') return fail('repository name is empty.');
  if (name.startsWith('/')) return fail(`invalid repository name "${name}": must not start with "/".`);
  if (name.endsWith('/')) return fail(`invalid repository name "${name}": must not end with "/".`);
  if (name.includes('//')) return fail(`invalid repository name "${name}": contains an empty path component ("//").`);

  let domain = DEFAULT_DOMAIN;
  let path = name;
  const slash = name.indexOf('/');
  if (slash !== -1) {
    const first = name.slice(0, slash);
    // Lowercase path components are mandatory, so an uppercase first component can only be a host.
    const isDomain = first === 'localhost' || /[.:]/.test(first) || first !== first.toLowerCase();
    if (isDomain) {
      if (!DOMAIN_RE.test(first)) {
        return fail(`invalid domain "${first}": expected a hostname, IPv4 address or bracketed IPv6 address, with an optional numeric port.`);
      }
      domain = first === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : first;
      path = name.slice(slash + 1);
    }
  }

  if (path !== path.toLowerCase()) return fail(`invalid repository name "${path}": repository name must be lowercase.`);
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT_RE.test(component)) {
      return fail(
        `invalid path component "${component}" in repository name: components must start and end with a lowercase letter or digit, joined only by ".", "_", "__" or "-".`,
      );
    }
  }

  // Docker Hub's official images live under "library/"; other registries have no such convention.
  if (domain === DEFAULT_DOMAIN && !path.includes('/')) path = OFFICIAL_REPO_PREFIX + path;

  const repository = `${domain}/${path}`;
  if (repository.length > NAME_TOTAL_LENGTH_MAX) {
    return fail(`name too long: ${repository.length} > ${NAME_TOTAL_LENGTH_MAX}; a repository name may be at most ${NAME_TOTAL_LENGTH_MAX} characters.`);
  }
  return { ok: true, repository, domain, path };
}
