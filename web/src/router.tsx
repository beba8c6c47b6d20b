/*
 * A small client-side router over the History API: every page has a real address (ui.md "Every page works from its
 * address (reload, bookmark, link from a Slack message)"); the server answers index.html for each of them
 * (src/http/web-ui.ts) and this file decides which page to draw.
 */
import { useSyncExternalStore, type AnchorHTMLAttributes, type MouseEvent } from 'react';

const navigationEvent = 'tidewatch:navigate';

function subscribe(onChange: () => void): () => void {
  window.addEventListener('popstate', onChange);
  window.addEventListener(navigationEvent, onChange);
  return () => {
    window.removeEventListener('popstate', onChange);
    window.removeEventListener(navigationEvent, onChange);
  };
}

const snapshot = () => window.location.pathname + window.location.search;

/** The current path and query; re-renders on navigation. */
export function useLocation(): { path: string; search: URLSearchParams; href: string } {
  const href = useSyncExternalStore(subscribe, snapshot);
  const q = href.indexOf('?');
  return { path: q === -1 ? href : href.slice(0, q), search: new URLSearchParams(q === -1 ? '' : href.slice(q)), href };
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (to === snapshot()) return;
  if (options.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  window.dispatchEvent(new Event(navigationEvent));
  if (!options.replace) window.scrollTo(0, 0);
}

/** Changes one query parameter of the current address (tabs, filters, time windows) without a new history entry. */
export function setQueryParam(name: string, value: string | null): void {
  const url = new URL(window.location.href);
  if (value === null || value === '') url.searchParams.delete(name);
  else url.searchParams.set(name, value);
  navigate(url.pathname + url.search, { replace: true });
}

/** An ordinary link (opens in a new tab with a modifier key) that navigates in place otherwise. */
export function Link({ to, children, ...rest }: { to: string } & AnchorHTMLAttributes<HTMLAnchorElement>) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    rest.onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return <a href={to} {...rest} onClick={onClick}>{children}</a>;
}

export type Route =
  | { page: 'overview' }
  | { page: 'signin' }
  | { page: 'environment'; name: string }
  | { page: 'repository'; repository: string }
  | { page: 'build'; repository: string; id: string }
  | { page: 'image'; repository: string; digest: string }
  | { page: 'compare' }
  | { page: 'vulnerability'; id: string }
  | { page: 'policies' }
  | { page: 'clusters' }
  | { page: 'integrations' }
  | { page: 'tokens' }
  | { page: 'not-found' };

const decode = (s: string): string | null => {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};
const decodePath = (p: string): string | null => {
  const parts = p.split('/').map(decode);
  return parts.some((x) => x === null || x === '') ? null : parts.join('/');
};

/** The page of an address; the reverse of api/paths.ts `pages`. */
export function routeOf(path: string): Route {
  const p = path.length > 1 ? path.replace(/\/+$/, '') : path;
  const fixed: Record<string, Route> = {
    '/': { page: 'overview' }, '/signin': { page: 'signin' }, '/compare': { page: 'compare' }, '/policies': { page: 'policies' },
    '/clusters': { page: 'clusters' }, '/integrations': { page: 'integrations' }, '/settings/tokens': { page: 'tokens' },
    '/settings': { page: 'tokens' },
  };
  if (fixed[p]) return fixed[p];
  let m = /^\/environments\/([^/]+)$/.exec(p);
  if (m) {
    const name = decode(m[1]!);
    return name ? { page: 'environment', name } : { page: 'not-found' };
  }
  m = /^\/repositories\/(.+)\/build\/([^/]+)$/.exec(p);
  if (m) {
    const repository = decodePath(m[1]!);
    const id = decode(m[2]!);
    return repository && id ? { page: 'build', repository, id } : { page: 'not-found' };
  }
  m = /^\/repositories\/(.+)$/.exec(p);
  if (m) {
    const repository = decodePath(m[1]!);
    return repository ? { page: 'repository', repository } : { page: 'not-found' };
  }
  m = /^\/images\/(.+)@([^/@]+)$/.exec(p);
  if (m) {
    const repository = decodePath(m[1]!);
    const digest = decode(m[2]!);
    return repository && digest ? { page: 'image', repository, digest } : { page: 'not-found' };
  }
  m = /^\/vulnerabilities\/([^/]+)$/.exec(p);
  if (m) {
    const id = decode(m[1]!);
    return id ? { page: 'vulnerability', id } : { page: 'not-found' };
  }
  return { page: 'not-found' };
}
