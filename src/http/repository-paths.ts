import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import { parseRepositoryName } from '../registry/image-reference.js';
import type { Role } from '../auth/token-service.js';

/*
 * Repository names hold slashes (`registry.example.com/acme/web`), and the spec puts them in paths as the registry API
 * does: `/api/v1/repositories/registry.example.com/acme/web/deployments`. A router cannot match a parameter that
 * spans segments, so one wildcard route takes `/repositories/*` and each feature contributes the suffixes it serves.
 */
export interface RepositorySubroute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Matched against what follows the repository name, e.g. /^\/deployments$/. */
  suffix: RegExp;
  access: Role;
  handler: (request: FastifyRequest, reply: FastifyReply, ctx: { repository: string; match: RegExpExecArray }) => Promise<unknown>;
}

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

export function registerRepositoryPaths(app: FastifyInstance, subroutes: RepositorySubroute[]): void {
  app.route({
    method: ['GET', 'POST', 'PUT', 'DELETE'],
    url: '/repositories/*',
    config: { access: 'read' },
    schema: {
      summary: 'Per-repository resources: /repositories/{host/path}/deployments',
      description: subroutes.map((s) => `${s.method} /repositories/{repository}${s.suffix.source.replace(/^\^|\$$/g, '').replace(/\\\//g, '/')}`).join('\n'),
      tags: ['repositories'],
    },
    handler: async (request, reply) => {
      const rest = '/' + (request.params as { '*': string })['*'];
      for (const sub of subroutes) {
        if (sub.method !== request.method) continue;
        const at = findSuffix(rest, sub.suffix);
        if (!at) continue;
        const name = parseRepositoryName(rest.slice(1, at.index));
        if (!name.ok) throw new ApiError('TW_BAD_REQUEST', `invalid repository in path: ${name.reason}`);
        if (rank[request.caller.role] < rank[sub.access]) {
          throw new ApiError('TW_FORBIDDEN', `this needs a token with role ${sub.access}; this token has role ${request.caller.role}`);
        }
        return sub.handler(request, reply, { repository: name.repository, match: at.match });
      }
      throw new ApiError('TW_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
    },
  });
}

/** The earliest position after which `suffix` matches the rest of the path, leaving a non-empty repository name. */
function findSuffix(rest: string, suffix: RegExp): { index: number; match: RegExpExecArray } | null {
  for (let i = rest.indexOf('/', 1); i !== -1; i = rest.indexOf('/', i + 1)) {
    const match = suffix.exec(rest.slice(i));
    if (match) return { index: i, match };
  }
  return null;
}
