import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/http/app.js';
import { bootstrapDefaultWorkspace } from '../../src/workspaces/bootstrap.js';
import { createToken, type Role } from '../../src/auth/token-service.js';
import { ensureWorkspace } from '../../src/workspaces/workspace-queries.js';
import type { Storage } from '../../src/core/db/database.js';
import { parseAllowList } from '../../src/delivery/address-ranges.js';

/** A fixed master key for secrets at rest in tests (32 bytes). */
export const testSecretKey = Buffer.alloc(32, 7);

export interface TestApp {
  app: FastifyInstance;
  workspaceId: string;
  tokens: Record<Role, string>;
  call(method: string, url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** Listens on a free port of 127.0.0.1 (for the CLI and other real clients) and returns the base URL. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

export const digest = (n: number | string) => `sha256:${String(n).padStart(64, '0')}`;

/** Tokens of every role for a workspace (default: `default`). */
export async function tokensFor(storage: Storage, workspace = 'default', glob: string | null = null): Promise<{ workspaceId: string; tokens: Record<Role, string> }> {
  const ws = await ensureWorkspace(storage.db, workspace);
  const tokens = {} as Record<Role, string>;
  for (const role of ['read', 'write', 'admin'] as const) {
    tokens[role] = (await createToken(storage.db, { workspaceId: ws.id, role, repoGlob: glob })).token;
  }
  return { workspaceId: ws.id, tokens };
}

export interface TestAppOptions {
  rateLimitPerSecond?: number;
  /** TIDEWATCH_OUTBOUND_ALLOW for the notification URL checks; default 127.0.0.1/32 for loopback receivers. */
  outboundAllow?: string;
}

export async function startTestApp(storage: Storage, options: TestAppOptions = {}): Promise<TestApp> {
  await bootstrapDefaultWorkspace(storage.db, null);
  const { workspaceId, tokens } = await tokensFor(storage);
  const app = await buildApp({
    storage,
    config: {
      bodyLimitBytes: 1024 * 1024,
      rateLimitPerSecond: options.rateLimitPerSecond ?? 0,
      publicUrl: 'http://tidewatch.test',
      outboundAllow: parseAllowList(options.outboundAllow ?? '127.0.0.1/32'),
    },
    secretKey: testSecretKey,
  });
  await app.ready();
  return {
    app,
    workspaceId,
    tokens,
    call: (method, url, o = {}) => {
      const token = o.token === undefined ? tokens.admin : o.token;
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...o.headers };
      const payload = o.body === undefined ? undefined : typeof o.body === 'string' || Buffer.isBuffer(o.body) ? o.body : JSON.stringify(o.body);
      if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
      return app.inject({ method: method as any, url, headers, ...(payload !== undefined ? { payload } : {}) });
    },
    listen: async () => {
      await app.listen({ port: 0, host: '127.0.0.1' });
      return `http://127.0.0.1:${(app.server.address() as import('node:net').AddressInfo).port}`;
    },
    close: () => app.close(),
  };
}
