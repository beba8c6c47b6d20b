import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from './config.js';

/**
 * The master key for secrets at rest (security.md): TIDEWATCH_SECRET_KEY, or a key generated into the data directory
 * on first start and read back afterwards. Returns 32 bytes.
 */
export function ensureSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey) return decodeKey(config.secretKey, 'TIDEWATCH_SECRET_KEY');
  const file = path.join(config.dataDir, 'secret.key');
  if (fs.existsSync(file)) return decodeKey(fs.readFileSync(file, 'utf8').trim(), file);
  fs.mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  // wx: two processes starting at once must not overwrite each other's key.
  try {
    fs.writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return decodeKey(fs.readFileSync(file, 'utf8').trim(), file);
    throw error;
  }
  return key;
}

function decodeKey(text: string, from: string): Buffer {
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`${from} must hold a 32-byte key, as 64 hex characters or base64`);
  return key;
}
