import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { ApiError } from '../core/errors.js';
import { parseRepositoryName } from '../registry/image-reference.js';
import type { Role } from '../auth/token-service.js';

/*
 * Repository names hold slashes (`registry.example.com/acme/web`), and the spec puts them in paths as the registry API
 * does: `/api/v1/repositories/registry.example.com/acme/web/deployments`. A router cannot match a parameter that
 * spans segments, so one wildcard route takes `/repositories/*` and each feature contributes the sub-paths it serves.
 */
export interface RepositorySubroute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** What follows the repository name, with `{name}` parameters: `/deployments`, `/notifications/{uuid}`. */
  path: string;
  access: Role;
  summary: string;
  tags: string[];
  response?: Record<number, TSchema>;
  handler: (request: FastifyRequest, reply: FastifyReply, ctx: { repository: string; params: Record<string, string> }) => Promise<unknown>;
}

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

interface Compiled {
  route: RepositorySubroute;
  pattern: RegExp;
  names: string[];
}

function compile(route: RepositorySubroute): Compiled {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{(\w+)\\?\}|\{(\w+)\}/g, (_m, a, b) => {
    names.push(a ?? b);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
}

export function registerRepositoryPaths(app: FastifyInstance, subroutes: RepositorySubroute[]): void {
  const compiled = subroutes.map(compile);
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/repositories/*',
    config: { access: 'read' },
    // Documented per sub-path by repositoryPathsDocument instead of as one opaque wildcard.
    schema: { hide: true },
    handler: async (request, reply) => {
      const rest = '/' + (request.params as { '*': string })['*'];
      for (const c of compiled) {
        if (c.route.method !== request.method) continue;
        const found = findSuffix(rest, c.pattern);
        if (!found) continue;
        const name = parseRepositoryName(rest.slice(1, found.index));
        if (!name.ok) throw new ApiError('TW_BAD_REQUEST', `invalid repository in path: ${name.reason}`);
        if (rank[request.caller.role] < rank[c.route.access]) {
          throw new ApiError('TW_FORBIDDEN', `this needs a token with role ${c.route.access}; this token has role ${request.caller.role}`);
        }
        const params = Object.fromEntries(c.names.map((n, i) => [n, found.match[i + 1]!]));
        return c.route.handler(request, reply, { repository: name.repository, params });
      }
      throw new ApiError('TW_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    },
  });
}

/** The earliest split after which the sub-path pattern matches the rest, leaving a non-empty repository name. */
function findSuffix(rest: string, pattern: RegExp): { index: number; match: RegExpExecArray } | null {
  for (let i = rest.indexOf('/', 1); i !== -1; i = rest.indexOf('/', i + 1)) {
    const match = pattern.exec(rest.slice(i));
    if (match) return { index: i, match };
  }
  return null;
}

/** OpenAPI paths for the sub-routes, merged into the generated document (@fastify/swagger `transformObject`). */
export function repositoryPathsDocument(prefix: string, subroutes: RepositorySubroute[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const s of subroutes) {
    const url = `${prefix}/repositories/{repository}${s.path}`;
    const params = [...s.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
    paths[url] ??= {};
    paths[url]![s.method.toLowerCase()] = {
      summary: s.summary,
      tags: s.tags,
      parameters: [
        { name: 'repository', in: 'path', required: true, schema: { type: 'string' }, description: 'Full repository name with its slashes (host/path), e.g. registry.example.com/acme/web; Docker Hub short names are normalised.' },
        ...params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } })),
      ],
      responses: Object.fromEntries(Object.entries(s.response ?? { 200: {} }).map(([code, schema]) => [code, { description: code, content: { 'application/json': { schema } } }])),
    };
  }
  return paths;
}
