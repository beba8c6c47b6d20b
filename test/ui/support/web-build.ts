/*
 * The browser tests drive the built interface (dist/web), as `npm start` serves it. `npm ci` builds it (prepare);
 * a developer who changed web/ since gets it rebuilt here, under a lock, since test files may run side by side.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultWebRoot } from '../../../src/http/web-ui.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const webSource = path.join(root, 'web');
const lockDir = path.join(root, 'dist', '.web-build.lock');

function newestSourceChange(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSourceChange(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const index = path.join(defaultWebRoot, 'index.html');
  return fs.existsSync(index) && fs.statSync(index).mtimeMs >= newestSourceChange(webSource);
}

export async function ensureWebBuild(): Promise<void> {
  for (let waited = 0; !isFresh(); waited += 200) {
    fs.mkdirSync(path.dirname(lockDir), { recursive: true });
    try {
      fs.mkdirSync(lockDir);
    } catch {
      // Another test file is building; a lock older than two minutes was left by a process that died.
      if (Date.now() - fs.statSync(lockDir, { throwIfNoEntry: false })!.mtimeMs > 120_000) fs.rmSync(lockDir, { recursive: true, force: true });
      if (waited > 180_000) throw new Error('waited 3 minutes for another process building the web interface');
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    try {
      if (isFresh()) return;
      const vite = path.join(root, 'node_modules', 'vite', 'bin', 'vite.js');
      const out = spawnSync(process.execPath, [vite, 'build', '--config', path.join(webSource, 'vite.config.ts')], { cwd: root, encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`vite build failed:\n${out.stdout}\n${out.stderr}`);
      return;
    } finally {
      fs.rmSync(lockDir, { recursive: true, force: true });
    }
  }
}
