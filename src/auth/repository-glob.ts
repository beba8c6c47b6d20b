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

const GLOB_RE = /^[A-Za-z0-9._\-/:*?[\]]{1,255}$/;
export function isValidGlob(glob: string): boolean {
  return GLOB_RE.test(glob);
}
