import { newId } from '../core/ids.js';
import type { Db } from '../core/db/database.js';
import { nowIso } from '../core/clock.js';
import { generateToken, hashToken, isWellFormedToken, tokenPrefix } from './token-secret.js';
import { insertToken, type TokenRow } from './token-queries.js';
import { isValidGlob } from './repository-glob.js';

export const roles = ['read', 'write', 'admin'] as const;
export type Role = (typeof roles)[number];

export interface NewToken {
  workspaceId: string;
  role: Role;
  name?: string | undefined;
  repoGlob?: string | null | undefined;
  expiresAt?: string | null | undefined;
  /** A given value (TIDEWATCH_BOOTSTRAP_TOKEN); otherwise a random one is generated. */
  token?: string | undefined;
}

/** Creates a token and returns it in clear: the only time it is ever seen. Throws with a full sentence on bad input. */
export async function createToken(db: Db, input: NewToken): Promise<{ token: string; row: TokenRow }> {
  if (!roles.includes(input.role)) throw new Error(`role must be one of read, write, admin; got "${input.role}"`);
  if (input.repoGlob != null && !isValidGlob(input.repoGlob)) {
    throw new Error(`repository glob "${input.repoGlob}" may hold only letters, digits, . _ - / : and the wildcards * ** ?`);
  }
  if (input.expiresAt != null && Number.isNaN(Date.parse(input.expiresAt))) {
    throw new Error(`expiry "${input.expiresAt}" is not an ISO-8601 time`);
  }
  const token = input.token ?? generateToken();
  if (!isWellFormedToken(token)) {
    throw new Error('a token must be "tw_" followed by at least 32 characters of A-Z a-z 0-9 _ -');
  }
  const row: TokenRow = {
    id: newId(),
    workspace_id: input.workspaceId,
    name: input.name ?? `${input.role} token`,
    role: input.role,
    repo_glob: input.repoGlob ?? null,
    prefix: tokenPrefix(token),
    hash: hashToken(token),
    expires_at: input.expiresAt ? new Date(input.expiresAt).toISOString() : null,
    last_used_at: null,
    revoked_at: null,
    created_at: nowIso(),
  };
  await insertToken(db, row);
  return { token, row };
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Parses "30d", "12h", "90m" or an ISO-8601 time into an ISO expiry, which must lie in the future: a token created
 * already expired is a mistake, and `Date.parse` alone would take "1" for the year 2001.
 */
export function parseExpiry(value: string, now = Date.now()): string {
  const m = /^(\d{1,6})([mhd])$/.exec(value);
  let at: number;
  if (m) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
    at = now + Number(m[1]) * unit;
  } else if (ISO_TIME.test(value)) {
    at = Date.parse(value);
  } else {
    at = Number.NaN;
  }
  if (Number.isNaN(at)) throw new Error(`expiry "${value}" must be a duration like 30d, 12h, 90m or an ISO-8601 time`);
  if (at <= now) throw new Error(`expiry "${value}" must lie in the future`);
  return new Date(at).toISOString();
}

/** The public view of a token: never the hash. */
export function describeToken(row: TokenRow) {
  return {
    id: row.id,
    name: row.name,
    role: row.role,
    repository_glob: row.repo_glob,
    prefix: row.prefix,
    expires_at: row.expires_at,
    last_used_at: row.last_used_at,
    revoked: row.revoked_at !== null,
    revoked_at: row.revoked_at,
    created_at: row.created_at,
  };
}
