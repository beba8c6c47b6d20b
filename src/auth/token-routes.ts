import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { nowIso } from '../core/clock.js';
import { errorResponses } from '../http/error-schema.js';
import { recordAudit } from '../audit/audit-queries.js';
import { createToken, describeToken, parseExpiry } from './token-service.js';
import { findToken, listTokens, revokeToken } from './token-queries.js';
import { globWithin, isValidGlob } from './repository-glob.js';

const tokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.String(),
  repository_glob: Type.Union([Type.String(), Type.Null()]),
  prefix: Type.String(),
  expires_at: Type.Union([Type.String(), Type.Null()]),
  last_used_at: Type.Union([Type.String(), Type.Null()]),
  revoked: Type.Boolean(),
  revoked_at: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});

const createBody = Type.Object({
  role: Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], { errorMessage: 'must be read, write or admin' }),
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^[^\\u0000-\\u001f\\u007f]+$', errorMessage: 'must be 1–100 printable characters' })),
  repository_glob: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Limit to repositories matching this glob (* within a segment, ** across). A scoped caller may only give its own glob or a narrower one; omitted, the new token gets the caller\'s scope.',
  })),
  expires_in: Type.Optional(Type.String({ maxLength: 40, description: '30d, 12h, 90m or an ISO-8601 time' })),
});

/** Tokens of the caller's workspace (security.md); admin only. The clear token appears once, in the create answer. */
export const tokenRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/tokens', {
    config: { access: 'admin' },
    schema: { summary: 'List tokens', tags: ['tokens'], response: { 200: Type.Object({ tokens: Type.Array(tokenView) }), ...errorResponses(401, 403) } },
  }, async (request) => ({ tokens: (await listTokens(db, request.caller.workspaceId)).map(describeToken) }));

  app.post('/tokens', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create a token (shown once)',
      tags: ['tokens'],
      body: createBody,
      response: { 201: Type.Composite([tokenView, Type.Object({ token: Type.String() })]), ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { role, name, repository_glob: glob, expires_in: expires } = request.body;
    if (glob !== undefined && !isValidGlob(glob)) {
      throw invalid('repository_glob', 'repository_glob may hold only letters, digits, . _ - / : and the wildcards * ** ?');
    }
    // A token limited to some repositories must not mint one that reaches further (security.md: 403 outside it).
    const scope = request.caller.repoGlob;
    const repoGlob = glob ?? scope;
    if (!globWithin(scope, repoGlob)) {
      throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${scope}; it cannot create a token for ${repoGlob ?? 'every repository'}`);
    }
    let expiresAt: string | null = null;
    if (expires !== undefined) {
      try { expiresAt = parseExpiry(expires); } catch (e) { throw invalid('expires_in', `expires_in: ${(e as Error).message}`); }
    }
    const created = await db.transaction().execute(async (trx) => {
      const made = await createToken(trx, { workspaceId: request.caller.workspaceId, role, name, repoGlob, expiresAt });
      await recordAudit(trx, { workspaceId: request.caller.workspaceId, tokenId: request.caller.tokenId, action: 'token.create', target: made.row.id, detail: { role, glob: repoGlob } });
      return made;
    });
    return reply.status(201).send({ ...describeToken(created.row), token: created.token });
  });

  app.delete('/tokens/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Revoke a token', tags: ['tokens'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { ...errorResponses(401, 403, 404) } },
  }, async (request, reply) => {
    // No token id holds NUL, and PostgreSQL refuses it in text parameters (a 500): answer as for any unknown id.
    const done = request.params.id.includes('\u0000') ? false : await db.transaction().execute(async (trx) => {
      const target = (await findToken(trx, request.caller.workspaceId, request.params.id)).find((t) => t.id === request.params.id);
      if (target && target.revoked_at === null && !globWithin(request.caller.repoGlob, target.repo_glob)) {
        throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${request.caller.repoGlob}; it cannot revoke a token that reaches further`);
      }
      const ok = await revokeToken(trx, request.caller.workspaceId, request.params.id, nowIso());
      if (ok) await recordAudit(trx, { workspaceId: request.caller.workspaceId, tokenId: request.caller.tokenId, action: 'token.revoke', target: request.params.id });
      return ok;
    });
    if (!done) throw new ApiError('TW_NOT_FOUND', `token ${request.params.id} not found or already revoked`);
    return reply.status(204).send();
  });
};
