/*
 * Secrets at rest (security.md): webhook signing secrets and SMTP passwords are stored sealed with AES-256-GCM under
 * the master key (secret-key.ts). The key id travels with the ciphertext so a rotated-in key can open what the old one
 * sealed: openSecret takes every key still known, by id.
 *
 * Format: `v1.<keyId>.<base64url 12-byte nonce>.<base64url ciphertext ‖ 16-byte tag>`.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** First 8 hex digits of SHA-256(key): names a key without revealing anything usable about it. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new Error(`a secret-box key must be 32 bytes, got ${key.length}`);
}

/*
 * The version and key id are authenticated data, so they cannot be edited without detection. `context` (say, the
 * notification's id) is bound the same way: a sealed value copied into another row will not open there.
 */
function associatedData(keyId: string, context: string): Buffer {
  return Buffer.from(`${VERSION}.${keyId}.${context}`, 'utf8');
}

export function sealSecret(plaintext: string, key: Buffer, keyId: string, context = ''): string {
  checkKey(key);
  if (!/^[A-Za-z0-9_-]+$/.test(keyId)) throw new Error(`key id "${keyId}" must be letters, digits, _ or -`);
  // A random 96-bit nonce per seal: safe for far more seals than one key will ever see (NIST SP 800-38D, 2^32).
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(associatedData(keyId, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return [VERSION, keyId, nonce.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

export function openSecret(sealed: string, keys: ReadonlyMap<string, Buffer>, context = ''): string {
  const parts = sealed.split('.');
  const [version, keyId, nonceText, bodyText] = parts;
  if (parts.length !== 4 || version !== VERSION || !keyId || nonceText === undefined || bodyText === undefined) {
    throw new Error('not a sealed secret (expected v1.<keyId>.<nonce>.<ciphertext>)');
  }
  const key = keys.get(keyId);
  if (!key) throw new Error(`sealed secret uses unknown key id "${keyId}"`);
  checkKey(key);
  const nonce = Buffer.from(nonceText, 'base64url');
  const body = Buffer.from(bodyText, 'base64url');
  if (nonce.length !== NONCE_BYTES || body.length < TAG_BYTES) throw new Error('sealed secret is truncated or damaged');
  const decipher = createDecipheriv('aes-256-gcm', key, nonce);
  decipher.setAAD(associatedData(keyId, context));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new Error('sealed secret failed authentication: tampered with, or sealed under another key or context');
  }
}
