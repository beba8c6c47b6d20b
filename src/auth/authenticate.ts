import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { nowIso } from '../core/clock.js';
import { hashToken, sameHash } from './token-secret.js';
import { findTokenByHash, touchToken } from './token-queries.js';
import { matchesGlob } from './repository-glob.js';
import type { Role } from './token-service.js';

/** Who is calling: resolved once per request from the bearer token. */
export interface Caller {
  workspaceId: string;
  tokenId: string;
  role: Role;
  repoGlob: string | null;
}

/** The least role a route needs; `public` routes (health, metrics, hooks with URL secrets) take no token. */
export type Access = 'public' | Role;

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller: Caller;
  }
}

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };
const unauthorized = () => new ApiError('TW_UNAUTHORIZED', 'a valid token is required: Authorization: Bearer tw_…');

export interface AuthOptions {
  db: Db;
  /** Requests per second per token; 0 = unlimited. */
  rateLimitPerSecond: number;
}

/**
 * Checks the bearer token and the route's role on every request (onRequest, before the body is read, so an anonymous
 * caller cannot make us parse 10 MiB). Routes default to `admin` so a route that forgets to say is closed, not open.
 */
export function installAuthentication(app: FastifyInstance, options: AuthOptions): void {
  const lastTouched = new Map<string, number>();
  const buckets = new Map<string, { tokens: number; at: number }>();
  app.decorateRequest('caller', null as unknown as Caller);

  app.addHook('onRequest', async (request) => {
    const access = request.routeOptions.config?.access ?? 'admin';
    if (access === 'public' || request.is404) return;
    const caller = await resolveCaller(options.db, request, lastTouched);
    if (rank[caller.role] < rank[access]) {
      throw new ApiError('TW_FORBIDDEN', `this needs a token with role ${access}; this token has role ${caller.role}`);
    }
    if (options.rateLimitPerSecond > 0) takeFromBucket(buckets, caller.tokenId, options.rateLimitPerSecond);
    request.caller = caller;
  });
}

async function resolveCaller(db: Db, request: FastifyRequest, lastTouched: Map<string, number>): Promise<Caller> {
  const header = request.headers.authorization;
  if (typeof header !== 'string') throw unauthorized();
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
  if (!m) throw unauthorized();
  const hash = hashToken(m[1]!);
  const row = await findTokenByHash(db, hash);
  // Same answer for unknown, revoked and expired tokens: no hint which part was wrong (security.md).
  if (!row || !sameHash(row.hash, hash) || row.revoked_at !== null) throw unauthorized();
  const now = Date.now();
  if (row.expires_at !== null && Date.parse(row.expires_at) <= now) throw unauthorized();
  // last_used_at to the minute is enough for "last used" and avoids a write per request.
  if ((lastTouched.get(row.id) ?? 0) < now - 60_000) {
    lastTouched.set(row.id, now);
    await touchToken(db, row.id, nowIso());
  }
  return { workspaceId: row.workspace_id, tokenId: row.id, role: row.role, repoGlob: row.repo_glob };
}

function takeFromBucket(buckets: Map<string, { tokens: number; at: number }>, key: string, perSecond: number): void {
  const now = Date.now();
  const b = buckets.get(key) ?? { tokens: perSecond, at: now };
  b.tokens = Math.min(perSecond, b.tokens + ((now - b.at) / 1000) * perSecond);
  b.at = now;
  if (b.tokens < 1) {
    buckets.set(key, b);
    const wait = Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
    throw new ApiError('TW_RATE_LIMITED', `rate limit of ${perSecond} requests per second for this token exceeded`, {
      headers: { 'retry-after': String(wait) },
    });
  }
  b.tokens -= 1;
  buckets.set(key, b);
}

/** 403 unless the caller's scope covers the repository (security.md: a scoped token gets 403 outside its glob). */
export function assertRepositoryInScope(caller: Caller, repository: string): void {
  if (caller.repoGlob !== null && !matchesGlob(caller.repoGlob, repository)) {
    throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${caller.repoGlob}; ${repository} is outside it`);
  }
}

export function inScope(caller: Caller, repository: string): boolean {
  return caller.repoGlob === null || matchesGlob(caller.repoGlob, repository);
}
