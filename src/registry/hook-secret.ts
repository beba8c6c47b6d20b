/*
 * Secrets of hook endpoints. The URL secret (`/api/v1/hooks/<kind>/<secret>`) is shown once and stored only as its
 * SHA-256, like tokens. A GitHub endpoint may also hold a signing secret, which verifying X-Hub-Signature-256 needs in
 * the clear; it is stored sealed (AES-256-GCM) under a key derived from the URL secret, so the database alone does not
 * reveal it and only a delivery to the endpoint's own URL can open it (security.md "Secrets at rest").
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export function generateHookSecret(): string {
  return `twh_${randomBytes(32).toString('base64url')}`;
}

export function hashHookSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function sealingKey(urlSecret: string, endpointId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', urlSecret, endpointId, 'tidewatch hook signing secret', 32));
}

/** `v1.<base64url nonce|tag|ciphertext>` */
export function sealSigningSecret(signingSecret: string, urlSecret: string, endpointId: string): string {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(urlSecret, endpointId), nonce);
  const sealed = Buffer.concat([cipher.update(signingSecret, 'utf8'), cipher.final()]);
  return `v1.${Buffer.concat([nonce, cipher.getAuthTag(), sealed]).toString('base64url')}`;
}

export function openSigningSecret(sealed: string, urlSecret: string, endpointId: string): string {
  if (!sealed.startsWith('v1.')) throw new Error('unknown sealed secret format');
  const bytes = Buffer.from(sealed.slice(3), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(urlSecret, endpointId), bytes.subarray(0, 12));
  decipher.setAuthTag(bytes.subarray(12, 28));
  return Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8');
}

/** GitHub's X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256 of the raw body, compared in constant time. */
export function verifyGitHubSignature(signingSecret: string, rawBody: Buffer, header: string | null | undefined): boolean {
  if (typeof header !== 'string' || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = createHmac('sha256', signingSecret).update(rawBody).digest();
  return timingSafeEqual(expected, Buffer.from(header.slice(7), 'hex'));
}

export function signGitHubBody(signingSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', signingSecret).update(rawBody).digest('hex')}`;
}
