import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { bundleSize } from './bundle-size.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/*
 * The web interface (ui.md), built into dist/web, which src/http/web-ui.ts serves. Everything is bundled: no CDN, no
 * web fonts (system font stack), so the interface works with no internet access.
 */
export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react(), bundleSize()],
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: true,
    chunkSizeWarningLimit: 300,
  },
  server: {
    // `npx vite --config web/vite.config.ts` for development, with the API of a `tidewatch serve` on :8080.
    proxy: { '/api': 'http://127.0.0.1:8080', '/healthz': 'http://127.0.0.1:8080' },
  },
});
