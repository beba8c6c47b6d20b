import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import type { Caller } from '../auth/authenticate.js';
import { environmentName } from '../deployments/deployment-schemas.js';
import { findEnvironment } from '../deployments/deployment-queries.js';
import { trendDeltasSchema, trendPointSchema, verdictSchema, type Bucket } from './trend-series.js';
import { defaultSince, defaultTrendDays, trendWindow } from './trend-window.js';

const trendQuery = Type.Object({
  since: Type.Optional(Type.String({
    maxLength: 64,
    description: `ISO-8601 time the window opens at (default: the start of the UTC day ${defaultTrendDays} days ago)`,
    examples: ['2026-01-01T00:00:00Z', '2026-01-01'],
  })),
  bucket: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('hour'), Type.Literal('none')], {
    errorMessage: 'must be one of day, hour, none',
    description: 'day / hour: the last point of each UTC day or hour; none (default): every point',
  })),
});

const trendAnswer = Type.Object({
  environment: Type.Union([Type.String(), Type.Null()], { description: 'null: the workspace as a whole' }),
  since: Type.String(),
  bucket: Type.String(),
  verdict: verdictSchema,
  deltas: trendDeltasSchema,
  start: Type.Union([trendPointSchema, Type.Null()], { description: 'the value when the window opens' }),
  end: Type.Union([trendPointSchema, Type.Null()]),
  points: Type.Array(trendPointSchema, {
    description: 'the last point before the window (the starting value, its own time), then the points of the window',
  }),
});

/** Spec deployments.md, "Security debt over time": an environment's series and the workspace's, with a verdict. */
export const trendRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/environments/:env/trend', {
    config: { access: 'read' },
    schema: {
      summary: 'The security-debt series of one environment and whether it is increasing or decreasing',
      tags: ['environments'],
      params: Type.Object({ env: environmentName }),
      querystring: trendQuery,
      response: { 200: trendAnswer, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const since = parseSince(request.query.since);
    const env = await findEnvironment(db, request.caller.workspaceId, request.params.env);
    if (!env) throw new ApiError('TW_NOT_FOUND', `environment ${request.params.env} not found`);
    assertWholeScope(request.caller);
    const bucket = request.query.bucket ?? 'none';
    const window = await trendWindow(db, { workspaceId: request.caller.workspaceId, environmentId: env.id }, since, bucket);
    return { environment: env.name, since, bucket, ...window };
  });

  app.get('/trend', {
    config: { access: 'read' },
    schema: {
      summary: 'The security-debt series of the whole workspace and whether it is increasing or decreasing',
      tags: ['environments'],
      querystring: trendQuery,
      response: { 200: trendAnswer, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const since = parseSince(request.query.since);
    assertWholeScope(request.caller);
    const bucket: Bucket = request.query.bucket ?? 'none';
    const window = await trendWindow(db, { workspaceId: request.caller.workspaceId, environmentId: null }, since, bucket);
    return { environment: null, since, bucket, ...window };
  });
};

const isoTime = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** `since` as stored times are written (ISO UTC with milliseconds); a time without zone is read as UTC. */
export function parseSince(since: string | undefined, now = Date.now()): string {
  if (since === undefined) return defaultSince(now);
  const m = isoTime.exec(since);
  const ms = m ? Date.parse(since.length > 10 && !m[1] ? `${since}Z` : since) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw invalid('query.since', `query.since must be an ISO-8601 time such as 2026-01-31T00:00:00Z or 2026-01-31 (got "${since.slice(0, 64)}")`);
  }
  return new Date(ms).toISOString();
}

/**
 * The series covers every repository of the environment; it cannot be cut to a token's repositories after the fact,
 * so a token limited to some repositories is refused rather than shown numbers of others.
 */
export function assertWholeScope(caller: Caller): void {
  if (caller.repoGlob !== null) {
    throw new ApiError('TW_FORBIDDEN',
      `the security-debt series covers every repository; this token is limited to repositories matching ${caller.repoGlob}`);
  }
}
