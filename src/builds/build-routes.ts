import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Storage } from '../core/db/database.js';
import { invalid, notFound } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope, inScope } from '../auth/authenticate.js';
import { isSha256Digest, parseImageReference, parseRepositoryName } from '../registry/image-reference.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import {
  buildIdParams, buildList, buildRecord, createBuildBody, listBuildsQuery, phaseBody, triggerMetadataMaxBytes, triggerMetadataMaxDepth,
  type PhaseBody,
} from './build-schemas.js';
import { countBuilds, findBuild, listBuilds, listRepositories, type BuildFilter } from './build-queries.js';
import { createBuild, reportPhase, type Manifest } from './record-build.js';
import { renderBuild } from './render-build.js';

/** Spec ingest.md, "Builds": CI systems report builds and their phases; reading them back. */
export const buildRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  const db = storage.db;

  app.post('/builds', {
    config: { access: 'write' },
    schema: {
      summary: 'Report a queued build (Quay\'s build fields); answers the build with its id',
      tags: ['builds'],
      body: createBuildBody,
      response: { 201: buildRecord, ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const body = request.body;
    const repository = repositoryName(body.repository, 'repository');
    assertRepositoryInScope(request.caller, repository);
    if (body.trigger_metadata) checkMetadataBounds(body.trigger_metadata);
    const build = await createBuild(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      repository,
      dockerTags: [...new Set(body.docker_tags ?? ['latest'])],
      buildName: body.build_name ?? null,
      triggerKind: body.trigger_kind ?? null,
      triggerId: body.trigger_id ?? null,
      triggerMetadata: body.trigger_metadata ?? null,
      isManual: body.is_manual ?? false,
      manualUser: body.manual_user ?? null,
    });
    return reply.status(201).send(renderBuild(build));
  });

  app.post('/builds/:id/phase', {
    config: { access: 'write' },
    schema: {
      summary: 'Move a build to its next phase: started, then success, failure or cancelled (idempotent)',
      tags: ['builds'],
      params: buildIdParams,
      body: phaseBody,
      response: { 200: buildRecord, ...errorResponses(400, 401, 403, 404, 409, 413, 415) },
    },
  }, async (request) => {
    const body = request.body;
    checkFieldsOfPhase(body);
    const outcome = await reportPhase(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      buildId: request.params.id,
      phase: body.phase,
      imageId: body.image_id ?? null,
      manifests: body.manifest_digests ? body.manifest_digests.map(parseManifest) : null,
      errorMessage: body.error_message ?? null,
      allowed: (repository) => assertRepositoryInScope(request.caller, repository),
    });
    return renderBuild(outcome.build);
  });

  app.get('/builds', {
    config: { access: 'read' },
    schema: {
      summary: 'Builds, newest first; of one repository with ?repository=',
      tags: ['builds'],
      querystring: listBuildsQuery,
      response: { 200: buildList, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { limit = 50, offset = 0 } = request.query;
    const caller = request.caller;
    const filter: BuildFilter = { workspaceId: caller.workspaceId, repositoryIds: null };
    if (request.query.repository !== undefined) {
      const repository = repositoryName(request.query.repository, 'query.repository');
      assertRepositoryInScope(caller, repository);
      const id = await findRepositoryId(db, caller.workspaceId, repository);
      if (!id) throw notFound(`repository ${repository}`);
      filter.repositoryIds = [id];
    } else if (caller.repoGlob !== null) {
      // A scoped token lists its own repositories' builds only, so totals and pages agree with what it sees.
      filter.repositoryIds = (await listRepositories(db, caller.workspaceId)).filter((r) => inScope(caller, r.name)).map((r) => r.id);
    }
    const [rows, total] = await Promise.all([listBuilds(db, filter, { limit, offset }), countBuilds(db, filter)]);
    return { total, limit, offset, next_offset: offset + limit < total ? offset + limit : null, builds: rows.map(renderBuild) };
  });

  app.get('/builds/:id', {
    config: { access: 'read' },
    schema: {
      summary: 'One build: phase with times, trigger and commit, digests, error',
      tags: ['builds'],
      params: buildIdParams,
      response: { 200: buildRecord, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const build = await findBuild(db, request.caller.workspaceId, request.params.id);
    if (!build) throw notFound(`build ${request.params.id}`);
    assertRepositoryInScope(request.caller, build.repository);
    return renderBuild(build);
  });
};

function repositoryName(value: string, field: string): string {
  const parsed = parseRepositoryName(value);
  if (!parsed.ok) throw invalid(field, `${field} is not a valid repository name: ${parsed.reason}`);
  return parsed.repository;
}

/** Quay sends the image and digests with the success only, the error with the failure only; anything else is a mix-up. */
function checkFieldsOfPhase(body: PhaseBody): void {
  const only: Array<[keyof PhaseBody, PhaseBody['phase']]> = [['image_id', 'success'], ['manifest_digests', 'success'], ['error_message', 'failure']];
  for (const [field, phase] of only) {
    if (body[field] !== undefined && body.phase !== phase) {
      throw invalid(field, `${field} is only accepted with phase ${phase} (this report is phase ${body.phase})`);
    }
  }
}

/** `host/path[:tag]@sha256:…`, or a bare `sha256:…` that belongs to the build's own repository. */
function parseManifest(value: string, i: number): Manifest {
  if (isSha256Digest(value)) return { repository: null, digest: value };
  const field = `manifest_digests.${i}`;
  if (value.startsWith('sha256:')) throw invalid(field, `${field} must be sha256:<64 lowercase hex> or host/path@sha256:<64 lowercase hex>`);
  const parsed = parseImageReference(value);
  if (!parsed.ok) throw invalid(field, `${field} is not a valid image reference: ${parsed.reason}`);
  if (!parsed.ref.digest) throw invalid(field, `${field} must be pinned by digest: host/path@sha256:<64 lowercase hex>`);
  return { repository: parsed.ref.repository, digest: parsed.ref.digest };
}

/** trigger_metadata is free JSON: bounded in depth and size so one build cannot bloat every event that carries it. */
function checkMetadataBounds(metadata: Record<string, unknown>): void {
  const tooDeep = invalid('trigger_metadata', `trigger_metadata must be nested at most ${triggerMetadataMaxDepth} levels deep`);
  const pending: Array<[unknown, number]> = [[metadata, 1]];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > triggerMetadataMaxDepth) throw tooDeep;
    for (const child of Object.values(value)) pending.push([child, depth + 1]);
  }
  const bytes = Buffer.byteLength(JSON.stringify(metadata));
  if (bytes > triggerMetadataMaxBytes) {
    throw invalid('trigger_metadata', `trigger_metadata must be at most ${triggerMetadataMaxBytes} bytes as JSON (got ${bytes})`);
  }
}
