import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { inScope, type Caller } from '../auth/authenticate.js';
import { formatImageReference } from '../registry/image-reference.js';
import { environmentName, platformSchema } from './deployment-schemas.js';
import { findEnvironment } from './deployment-queries.js';
import {
  countHistory, lastChangeOf, listEnvironmentSummaries, type HistoryRow, listHistory, listInstances, listRunningWithRepository, tagsOfRunningDigests,
} from './environment-queries.js';
import { platformOf } from './record-deployment.js';
import { memoisedExposure } from '../trend/exposure-memo.js';
import { exposureSchema } from '../trend/exposure-schemas.js';
import { trendDeltasSchema, verdictSchema } from '../trend/trend-series.js';
import { defaultSince, trendVerdict } from '../trend/trend-window.js';
import { currentScansOf, type CurrentScan } from '../images/current-scans.js';
import { factsOf, instanceFactsFields, loadFactSources } from '../images/instance-facts.js';
import { ADMISSION_TAG_SOURCE } from './record-deployment.js';

const envParams = Type.Object({ env: environmentName });
const page = (max: number, def: number) => ({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: max, default: def })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

const trendSummary = Type.Union([
  Type.Object({ verdict: verdictSchema, since: Type.String(), deltas: trendDeltasSchema }),
  Type.Null(),
], { description: 'the security-debt verdict of the last 30 days; null for a token limited to some repositories' });

const environmentSummary = Type.Object({
  name: Type.String(),
  instances: Type.Integer(),
  images: Type.Integer({ description: 'distinct digests running' }),
  created_at: Type.String(),
  last_change_at: Type.String(),
  vulnerabilities: exposureSchema,
  trend: trendSummary,
});

/** admission.md: a Pod's digest taken from the tag's last push, not from the Pod or the kubelet, is marked so. */
const resolvedFromField = {
  resolved_from: Type.Optional(Type.Literal('tag', { description: 'the digest is the one Tidewatch last saw pushed for the tag (admission webhook)' })),
};
const resolvedFrom = (source: string) => (source === ADMISSION_TAG_SOURCE ? { resolved_from: 'tag' as const } : {});

const instance = Type.Object({
  name: Type.String(),
  repository: Type.String(),
  digest: Type.String(),
  image: Type.String({ description: 'repository[:tag]@digest' }),
  tag: Type.Union([Type.String(), Type.Null()], { description: 'tag given when it was deployed' }),
  tags: Type.Array(Type.String(), { description: 'tags that point at the digest now' }),
  platform: platformSchema,
  since: Type.String(),
  last_seen_at: Type.String(),
  source: Type.String(),
  ...resolvedFromField,
  ...instanceFactsFields,
});

const historyEntry = Type.Object({
  change: Type.Union([Type.Literal('deployed'), Type.Literal('undeployed')]),
  at: Type.String(),
  deployment_id: Type.String(),
  name: Type.String(),
  repository: Type.String(),
  digest: Type.String(),
  tag: Type.Union([Type.String(), Type.Null()]),
  replaced: Type.Union([Type.String(), Type.Null()]),
  ...resolvedFromField,
});

/** Spec deployments.md, "Reading it back": environments, one environment's instances, its history. */
export const environmentRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/environments', {
    config: { access: 'read' },
    schema: {
      summary: 'Every environment with its instance count, distinct images, last change, open vulnerabilities and trend verdict',
      tags: ['environments'],
      response: { 200: Type.Object({ environments: Type.Array(environmentSummary) }), ...errorResponses(401) },
    },
  }, async (request) => ({ environments: await summaries(db, request.caller) }));

  app.get('/environments/:env', {
    config: { access: 'read' },
    schema: {
      summary: 'The running instances of one environment (name percent-encoded when it holds "/")',
      tags: ['environments'],
      params: envParams,
      querystring: Type.Object(page(10_000, 1000)),
      response: {
        200: Type.Object({
          name: Type.String(),
          created_at: Type.String(),
          last_change_at: Type.String(),
          vulnerabilities: exposureSchema,
          trend: trendSummary,
          total: Type.Integer(),
          limit: Type.Integer(),
          offset: Type.Integer(),
          instances: Type.Array(instance),
        }),
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const env = await environmentOr404(db, request.caller, request.params.env);
    const { limit = 1000, offset = 0 } = request.query;
    const [rows, tags, lastChange] = await Promise.all([listInstances(db, env.id), tagsOfRunningDigests(db, env.id), lastChangeOf(db, env.id)]);
    const visible = rows.filter((r) => inScope(request.caller, r.repository));
    const page = visible.slice(offset, offset + limit);
    const scans = await currentScansOf(db, request.caller.workspaceId, visible.map((r) => r.digest));
    const [sources, trend] = await Promise.all([
      loadFactSources(db, request.caller.workspaceId, page, scans),
      trendOf(db, request.caller, env.id),
    ]);
    return {
      name: env.name,
      created_at: env.created_at,
      last_change_at: lastChange ?? env.created_at,
      vulnerabilities: exposure(visible.map((r) => r.digest), scans),
      trend,
      total: visible.length,
      limit,
      offset,
      instances: page.map((r) => ({
        ...factsOf(r, sources),
        name: r.instance_name,
        repository: r.repository,
        digest: r.digest,
        image: formatImageReference({ repository: r.repository, tag: r.tag, digest: r.digest }),
        tag: r.tag,
        tags: tags.get(`${r.repository_id}@${r.digest}`) ?? [],
        platform: platformOf(r),
        since: r.deployed_at,
        last_seen_at: r.last_seen_at,
        source: r.source,
        ...resolvedFrom(r.source),
      })),
    };
  });

  app.get('/environments/:env/history', {
    config: { access: 'read' },
    schema: {
      summary: 'Deployments started and ended in an environment, newest first',
      tags: ['environments'],
      params: envParams,
      querystring: Type.Object(page(500, 50)),
      response: {
        200: Type.Object({
          environment: Type.String(),
          total: Type.Integer(),
          next_offset: Type.Union([Type.Integer(), Type.Null()]),
          entries: Type.Array(historyEntry),
        }),
        ...errorResponses(400, 401, 404),
      },
    },
  }, async (request) => {
    const env = await environmentOr404(db, request.caller, request.params.env);
    const { limit = 50, offset = 0 } = request.query;
    let rows: HistoryRow[];
    let total: number;
    if (request.caller.repoGlob === null) {
      [rows, total] = await Promise.all([listHistory(db, env.id, { limit, offset }), countHistory(db, env.id)]);
    } else {
      // A scoped token pages through its own repositories' entries only, so totals and pages agree with what it sees.
      const visible = (await listHistory(db, env.id)).filter((r) => inScope(request.caller, r.repository));
      rows = visible.slice(offset, offset + limit);
      total = visible.length;
    }
    return {
      environment: env.name,
      total,
      next_offset: offset + limit < total ? offset + limit : null,
      entries: rows.map((r) => ({
        change: r.change,
        at: r.at,
        deployment_id: r.id,
        name: r.instance_name,
        repository: r.repository,
        digest: r.digest,
        tag: r.tag,
        replaced: r.replaced_digest,
        ...resolvedFrom(r.source),
      })),
    };
  });
};

async function environmentOr404(db: Db, caller: Caller, name: string) {
  const env = await findEnvironment(db, caller.workspaceId, name);
  if (!env) throw new ApiError('TW_NOT_FOUND', `environment ${name} not found`);
  return env;
}

/**
 * Every environment with the open vulnerabilities of what runs there (each distinct digest once, from the stored scan
 * summaries) and its trend verdict. A token limited to some repositories sees only their instances in the counts.
 */
async function summaries(db: Db, caller: Caller) {
  const [rows, allRunning] = await Promise.all([
    listEnvironmentSummaries(db, caller.workspaceId), listRunningWithRepository(db, caller.workspaceId),
  ]);
  const running = caller.repoGlob === null ? allRunning : allRunning.filter((r) => inScope(caller, r.repository));
  const byEnvironment = new Map<string, typeof running>();
  for (const r of running) {
    const list = byEnvironment.get(r.environment) ?? [];
    list.push(r);
    byEnvironment.set(r.environment, list);
  }
  const [scans, trends] = await Promise.all([
    currentScansOf(db, caller.workspaceId, running.map((r) => r.digest)),
    Promise.all(rows.map((env) => trendOf(db, caller, env.id))),
  ]);
  return rows.map((env, i) => {
    const mine = byEnvironment.get(env.name) ?? [];
    const counts = caller.repoGlob === null ? {} : { instances: mine.length, images: new Set(mine.map((r) => r.digest)).size };
    return { ...env, ...counts, vulnerabilities: exposure(mine.map((r) => r.digest), scans), trend: trends[i] ?? null };
  });
}

function exposure(digests: string[], scans: Map<string, CurrentScan>) {
  const summaries = new Map([...new Set(digests)].flatMap((d) => {
    const scan = scans.get(d);
    return scan ? [[d, scan.summary] as const] : [];
  }));
  return memoisedExposure(digests, summaries);
}

/** The last 30 days' verdict; none for a scoped token, since the series counts every repository (trend-routes.ts). */
async function trendOf(db: Db, caller: Caller, environmentId: string) {
  if (caller.repoGlob !== null) return null;
  const since = defaultSince();
  const { verdict, deltas } = await trendVerdict(db, { workspaceId: caller.workspaceId, environmentId }, since);
  return { verdict, since, deltas };
}
