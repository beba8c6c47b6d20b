import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** security.md: `tw_` + at least 32 random bytes; we use 32 bytes in base64url (43 characters). */
export function generateToken(): string {
  return `tw_${randomBytes(32).toString('base64url')}`;
}

const TOKEN_RE = /^tw_[A-Za-z0-9_-]{32,200}$/;

/** Whether a string has the shape of a token (used for TIDEWATCH_BOOTSTRAP_TOKEN before it is stored). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_RE.test(token);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** The visible part kept for listings: enough to tell tokens apart, far too little to guess the rest. */
export function tokenPrefix(token: string): string {
  return token.slice(0, 10);
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}
