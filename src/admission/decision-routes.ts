/*
 * GET /api/v1/admission/decisions (admission.md "Policies"): what the admission webhook decided, newest first. This
 * static route needs a token, while /api/v1/admission/<secret> next to it takes none: Fastify's router prefers a
 * static segment to a parameter, so "decisions" never reaches the review endpoint as a secret.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { environmentName } from '../deployments/deployment-schemas.js';
import { listAdmissionDecisions } from './decision-queries.js';

const results = ['allowed', 'warned', 'refused'] as const;

const decisionsQuery = Type.Object({
  environment: Type.Optional(environmentName),
  result: Type.Optional(Type.Union(results.map((r) => Type.Literal(r)))),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50, errorMessage: 'must be an integer from 1 to 500' })),
  cursor: Type.Optional(Type.String({
    pattern: '^[1-9][0-9]{0,14}$',
    errorMessage: 'must be the next_cursor of a previous page',
    description: 'The next_cursor of the previous page',
  })),
}, { additionalProperties: false });

const decisionItem = Type.Object({
  cluster: Type.Union([Type.String(), Type.Null()], { description: 'null when the cluster has been deleted since' }),
  environment: Type.String(),
  image: Type.String(),
  result: Type.String(),
  messages: Type.Array(Type.String()),
  at: Type.String(),
});

const decisionsPage = Type.Object({
  decisions: Type.Array(decisionItem),
  limit: Type.Integer(),
  next_cursor: Type.Union([Type.String(), Type.Null()], { description: 'Pass as ?cursor= for the next page; null on the last' }),
});

/** Messages are stored as a JSON array of strings; anything else (a row written by hand) shows as no messages. */
function messagesOf(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((m): m is string => typeof m === 'string') : [];
  } catch {
    return [];
  }
}

export const decisionRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/admission/decisions', {
    config: { access: 'read' },
    schema: {
      summary: 'The admission decisions log, newest first',
      tags: ['admission'],
      querystring: decisionsQuery,
      response: { 200: decisionsPage, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { caller } = request;
    // The log names images of every repository the clusters run.
    if (caller.repoGlob !== null) {
      throw new ApiError('TW_FORBIDDEN', `the admission decisions log covers every repository; this token is limited to repositories matching ${caller.repoGlob}`);
    }
    const { environment, result, limit = 50, cursor } = request.query;
    // One more row than asked tells whether another page follows.
    const rows = await listAdmissionDecisions(db, caller.workspaceId, { environment, result }, {
      limit: limit + 1, beforeId: cursor === undefined ? null : Number(cursor),
    });
    const page = rows.slice(0, limit);
    return {
      decisions: page.map((r) => ({ cluster: r.cluster, environment: r.environment, image: r.image, result: r.result, messages: messagesOf(r.messages), at: r.at })),
      limit,
      next_cursor: rows.length > limit ? String(page[page.length - 1]!.id) : null,
    };
  });
};
