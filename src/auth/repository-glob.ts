/*
 * Repository globs of token scopes (security.md): `*` matches within one path segment, `**` across segments, `?` one
 * character. A scope is a security boundary, so `registry.example.com/acme/*` does not reach `acme/team/web`.
 */
const cache = new Map<string, RegExp>();

export function globToRegExp(glob: string): RegExp {
  let re = cache.get(glob);
  if (re) return re;
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      out += '.*';
      i++;
    } else if (ch === '*') out += '[^/]*';
    else if (ch === '?') out += '[^/]';
    else out += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  re = new RegExp(`^${out}$`);
  if (cache.size < 1000) cache.set(glob, re);
  return re;
}

export function matchesGlob(glob: string, value: string): boolean {
  return globToRegExp(glob).test(value);
}

const WILDCARD_RE = /[*?]/;

/**
 * Whether every repository `inner` matches is also matched by `outer`, decided conservatively (false when unsure):
 * the same glob, a literal name that `outer` matches, or `outer` of the form `<literal>**` and `inner` starting with
 * that literal. Keeps a scoped token from minting or revoking tokens wider than itself. `null` means unscoped.
 */
export function globWithin(outer: string | null, inner: string | null): boolean {
  if (outer === null) return true;
  if (inner === null) return false;
  if (inner === outer) return true;
  if (!WILDCARD_RE.test(inner)) return matchesGlob(outer, inner);
  if (outer.endsWith('**')) {
    const literal = outer.slice(0, -2);
    return !WILDCARD_RE.test(literal) && inner.startsWith(literal);
  }
  return false;
}

const GLOB_RE = /^[A-Za-z0-9._\-/:*?[\]]{1,255}$/;
export function isValidGlob(glob: string): boolean {
  return GLOB_RE.test(glob);
}
