import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keyIdOf, openSecret, sealSecret } from './secret-box.js';

const key = randomBytes(32);
const keyId = keyIdOf(key);
const keys = new Map([[keyId, key]]);

/** Flips one bit of the base64url segment at `index` (1 = key id, 2 = nonce, 3 = ciphertext). */
function flip(sealed: string, index: number, byte = 0): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[byte] = bytes[byte]! ^ 1;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

test('keyIdOf is the first 8 hex digits of SHA-256 of the key', () => {
  assert.match(keyId, /^[0-9a-f]{8}$/);
  assert.equal(keyIdOf(Buffer.alloc(32)), '66687aad'); // sha256 of 32 zero bytes: 66687aadf862bd77…
});

test('a sealed secret round-trips, including empty and non-ASCII text', () => {
  for (const secret of ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', '', 'pässwörd ✓ 🔑', 'x'.repeat(10_000)]) {
    const sealed = sealSecret(secret, key, keyId);
    assert.match(sealed, new RegExp(`^v1\\.${keyId}\\.[A-Za-z0-9_-]{16}\\.[A-Za-z0-9_-]+$`));
    assert.equal(openSecret(sealed, keys), secret);
    assert.ok(!sealed.includes(secret) || secret === '');
  }
});

test('tampering with nonce, ciphertext, tag or key id is detected', () => {
  const sealed = sealSecret('smtp-password', key, keyId);
  const body = Buffer.from(sealed.split('.')[3]!, 'base64url');
  for (const damaged of [flip(sealed, 2), flip(sealed, 3, 0), flip(sealed, 3, body.length - 1)]) {
    assert.throws(() => openSecret(damaged, keys), /failed authentication/);
  }
  assert.throws(() => openSecret(sealed.slice(0, -4), keys), /failed authentication|truncated/);
  assert.throws(() => openSecret(sealed.replace(keyId, 'deadbeef'), keys), /unknown key id "deadbeef"/);
  assert.throws(() => openSecret('v2.' + sealed.slice(3), keys), /not a sealed secret/);
  assert.throws(() => openSecret('plaintext', keys), /not a sealed secret/);
});

test('a wrong key under the right id, or another context, does not open it', () => {
  const sealed = sealSecret('smtp-password', key, keyId, 'notification-1');
  assert.equal(openSecret(sealed, keys, 'notification-1'), 'smtp-password');
  assert.throws(() => openSecret(sealed, new Map([[keyId, randomBytes(32)]]), 'notification-1'), /failed authentication/);
  assert.throws(() => openSecret(sealed, keys, 'notification-2'), /failed authentication/);
  assert.throws(() => openSecret(sealed, keys), /failed authentication/);
});

test('after a key rotation both keys open their own secrets', () => {
  const next = randomBytes(32);
  const old = sealSecret('old', key, keyId);
  const fresh = sealSecret('new', next, keyIdOf(next));
  const ring = new Map([[keyId, key], [keyIdOf(next), next]]);
  assert.equal(openSecret(old, ring), 'old');
  assert.equal(openSecret(fresh, ring), 'new');
});

test('every seal uses a fresh random nonce', () => {
  const sealed = Array.from({ length: 200 }, () => sealSecret('same secret', key, keyId));
  assert.equal(new Set(sealed.map((s) => s.split('.')[2])).size, 200);
  assert.equal(new Set(sealed.map((s) => s.split('.')[3])).size, 200);
});

test('bad keys and key ids are refused when sealing', () => {
  assert.throws(() => sealSecret('x', randomBytes(16), keyId), /32 bytes/);
  assert.throws(() => sealSecret('x', key, 'has.dot'), /key id/);
  assert.throws(() => sealSecret('x', key, ''), /key id/);
});
