/*
 * Where the token lives: sessionStorage only (ui.md "Signing in is pasting a token (kept for the browser session
 * only)"), so closing the tab forgets it and no other tab or later visit sees it. Listeners hear sign-in and sign-out.
 */
const key = 'tidewatch.token';
const identityKey = 'tidewatch.identity';

/** The signed-in token as GET /api/v1/whoami describes it (never the token itself). */
export interface Identity {
  name: string;
  role: 'read' | 'write' | 'admin';
  prefix: string;
  repositoryGlob: string | null;
  workspace: string;
}

type Listener = (reason: string | null) => void;
const listeners = new Set<Listener>();

export function currentToken(): string | null {
  try {
    return sessionStorage.getItem(key);
  } catch {
    return null;
  }
}

export function currentIdentity(): Identity | null {
  try {
    const raw = sessionStorage.getItem(identityKey);
    return raw ? (JSON.parse(raw) as Identity) : null;
  } catch {
    return null;
  }
}

export function keepSession(token: string, identity: Identity): void {
  sessionStorage.setItem(key, token);
  sessionStorage.setItem(identityKey, JSON.stringify(identity));
  for (const l of listeners) l(null);
}

export function signalSignedOut(reason: string | null): void {
  sessionStorage.removeItem(key);
  sessionStorage.removeItem(identityKey);
  for (const l of listeners) l(reason);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
