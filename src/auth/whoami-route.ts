import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { listWorkspaces } from '../workspaces/workspace-queries.js';
import { findToken } from './token-queries.js';
import { roles, type Role } from './token-service.js';

/*
 * `GET /api/v1/whoami` (ui.md "What a user expects of it": every page shows who is signed in; "what a token may not
 * do is not offered"): the calling token as the token list shows it, its workspace, and what its role allows. Never
 * the token, its hash or anything else a listing would not show.
 */
const whoamiView = Type.Object({
  token: Type.Object({
    id: Type.String(),
    name: Type.String(),
    role: Type.Union(roles.map((r) => Type.Literal(r))),
    repository_glob: Type.Union([Type.String(), Type.Null()], { description: 'repositories the token is limited to; null: every repository' }),
    prefix: Type.String({ description: 'first characters of the token, as the token list shows them' }),
    created_at: Type.String(),
    expires_at: Type.Union([Type.String(), Type.Null()], { description: 'null: never expires' }),
    last_used_at: Type.Union([Type.String(), Type.Null()]),
  }, { description: 'the calling token as GET /api/v1/tokens lists it' }),
  workspace: Type.Object({ id: Type.String(), name: Type.String() }),
  can: Type.Object({
    read: Type.Boolean({ description: 'GET anything in scope' }),
    write: Type.Boolean({ description: 'deployments, pushes, builds, scans, triage' }),
    admin: Type.Boolean({ description: 'tokens, notifications, hooks, policies, clusters' }),
  }, { description: 'what the role allows (security.md "Tokens and roles")' }),
});

const rank: Record<Role, number> = { read: 1, write: 2, admin: 3 };

export const whoamiRoute: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/whoami', {
    config: { access: 'read' },
    schema: {
      summary: 'The calling token: name, role, repository scope, workspace, expiry (never the secret)',
      tags: ['tokens'],
      response: { 200: whoamiView, ...errorResponses(401) },
    },
  }, async (request) => {
    const { caller } = request;
    const [token] = (await findToken(db, caller.workspaceId, caller.tokenId)).filter((t) => t.id === caller.tokenId);
    // Authentication found it a moment ago; gone now means revoked in between: the same 401 as any revoked token.
    if (!token || token.revoked_at !== null) throw new ApiError('TW_UNAUTHORIZED', 'a valid token is required: Authorization: Bearer tw_…');
    // A handful of workspaces per installation: reading them all costs less than a query module of its own.
    const workspace = (await listWorkspaces(db)).find((w) => w.id === caller.workspaceId);
    return {
      token: {
        id: token.id,
        name: token.name,
        role: caller.role,
        repository_glob: caller.repoGlob,
        prefix: token.prefix,
        created_at: token.created_at,
        expires_at: token.expires_at,
        last_used_at: token.last_used_at,
      },
      workspace: { id: caller.workspaceId, name: workspace?.name ?? caller.workspaceId },
      can: { read: true, write: rank[caller.role] >= rank.write, admin: rank[caller.role] >= rank.admin },
    };
  });
};
