/*
 * The web interface (ui.md): the Vite build of web/ (dist/web, made by `npm run build`) served from this process at
 * `/`, with index.html answered for every page address of ui.md so each page loads on reload, bookmark or a link
 * from a notification. /api/*, /healthz, /readyz and /metrics are not page addresses: they keep their JSON answers
 * and JSON 404s. Hashed assets are cached for good; index.html is revalidated on every load so a new build shows at
 * once. Without a build (running from source), the page addresses answer a short text saying how to build it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';

/** dist/web beside dist/<area>: the same two levels up from src/http/ (tsx) and from dist/http/ (compiled). */
export const defaultWebRoot = fileURLToPath(new URL('../../dist/web', import.meta.url));

/** The page addresses of ui.md "Pages and their addresses" (a `*` covers names with slashes). */
export const pageAddresses = [
  '/', '/signin', '/environments/*', '/repositories/*', '/images/*', '/compare', '/vulnerabilities/*', '/policies',
  '/clusters', '/integrations', '/settings', '/settings/*',
] as const;

// Nothing is fetched from elsewhere (ui.md): the policy makes the browser hold the interface to that.
const contentSecurityPolicy = [
  "default-src 'self'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:",
  "connect-src 'self'", "font-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

export const notBuiltText = [
  'Tidewatch: the web interface is not built.',
  '',
  'It is built into dist/web by `npm run build` (which `npm ci` and `npm install` run through the prepare script).',
  'Run `npm run build`, then restart `tidewatch serve`. The API works without it: /api/v1, /healthz, /readyz, /metrics.',
  '',
].join('\n');

export interface WebUiOptions {
  /** The built interface (default dist/web). */
  root?: string;
}

export const webUi: FastifyPluginAsync<WebUiOptions> = async (app, options) => {
  const root = options.root ?? defaultWebRoot;
  // Every route here is public: the interface signs in with a token it sends to the API itself (authenticate.ts
  // closes any route that does not say otherwise).
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config as object), access: 'public' } as typeof route.config;
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', contentSecurityPolicy);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
  });

  if (!existsSync(path.join(root, 'index.html'))) {
    for (const url of pageAddresses) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) =>
        reply.status(503).type('text/plain; charset=utf-8').header('cache-control', 'no-cache').send(notBuiltText));
    }
    return;
  }

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // One route per built file, read at start: an unknown path stays the app's JSON 404 rather than a file lookup.
    wildcard: false,
    index: false,
    // The build writes name.gz beside each text file (web/bundle-size.ts): sent to browsers that accept gzip.
    preCompressed: true,
    cacheControl: false,
    setHeaders: (res, filePath) => {
      // Vite names assets by content hash, so a name never changes content; everything else is revalidated.
      const hashed = path.relative(root, filePath).split(path.sep)[0] === 'assets';
      res.setHeader('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
    },
  });
  for (const url of pageAddresses) {
    app.get(url, { schema: { hide: true } }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html'));
  }
};
