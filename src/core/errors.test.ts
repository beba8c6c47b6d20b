import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { errorCatalogue } from './errors.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('errors.ts') ? [p] : [];
  });
}

test('every error code is documented in the README with its status', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  for (const [code, { status }] of Object.entries(errorCatalogue)) {
    assert.match(readme, new RegExp(`\\| \`${code}\` \\| ${status} \\|`), `${code} (${status}) is in the README's Errors table`);
  }
  const documented = [...readme.matchAll(/\| `(TW_[A-Z_]+)` \|/g)].map((m) => m[1]);
  assert.deepEqual(documented.sort(), Object.keys(errorCatalogue).sort(), 'the README documents no code that does not exist');
});

test('every error code is used by the code', () => {
  const text = sources(path.join(root, 'src')).map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  for (const code of Object.keys(errorCatalogue)) {
    assert.ok(text.includes(`'${code}'`), `${code} is used somewhere in src/`);
  }
});
