import { readFileSync } from 'node:fs';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Storage } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { nowIso } from '../core/clock.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope, inScope, type Caller } from '../auth/authenticate.js';
import { parseRepositoryName } from '../registry/image-reference.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { currentFindingLocations } from '../scans/scan-queries.js';
import { vulnerabilityIdProblem } from '../vulnerabilities/vulnerability-id.js';
import { recordDecisions, removeDecision } from './record-triage.js';
import { listDecisions, type DecisionView } from './triage-queries.js';
import { decisionBody, decisionList, decisionSchema, listQuery, renderDecision, vexQuery, vexSchema } from './triage-schemas.js';
import { effectiveDecisions, vexDocument } from './vex-document.js';

/** Spec ingest.md "Triage by hand, and back out as VEX". */
export const triageRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  app.post('/triage', {
    config: { access: 'write' },
    schema: {
      summary: 'Record a triage decision about a vulnerability (replaces the earlier one of the same scope)',
      tags: ['triage'],
      body: decisionBody,
      response: { 201: decisionSchema, ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const body = request.body;
    checkVulnerabilityId(body.vulnerability, 'vulnerability');
    // CycloneDX 1.6: a justification is "the rationale of why the impact analysis state was asserted to be Not
    // Affected"; beside another state it contradicts it (Dependency-Track offers it only then, too).
    if (body.justification !== undefined && body.state !== 'not_affected') {
      throw invalid('justification', `justification is given only with state not_affected (why it does not affect); state is ${body.state}`);
    }
    const repository = body.repository === undefined ? null : repositoryName(body.repository, 'repository');
    assertScope(request.caller, repository);
    const [stored] = await recordDecisions(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      source: 'api',
      decisions: [{
        vulnerability: body.vulnerability,
        state: body.state,
        justification: body.justification ?? null,
        detail: body.detail ?? null,
        repository,
        package: body.package ?? null,
      }],
    });
    return reply.status(201).send(renderDecision(stored!));
  });

  app.get('/triage', {
    config: { access: 'read' },
    schema: {
      summary: 'Triage decisions, newest first, paginated; with ?repository= (or ?package=) those that hold for it: its own and the wider ones',
      tags: ['triage'],
      querystring: listQuery,
      response: { 200: decisionList, ...errorResponses(400, 401) },
    },
  }, async (request) => {
    const { vulnerability, repository, package: pkg, state, limit = 100, offset = 0 } = request.query;
    if (vulnerability !== undefined) checkVulnerabilityId(vulnerability, 'query.vulnerability');
    let repositoryId: string | null | undefined;
    if (repository !== undefined) {
      const name = repositoryName(repository, 'query.repository');
      repositoryId = (await findRepositoryId(storage.db, request.caller.workspaceId, name)) ?? null;
    }
    const decisions = await listDecisions(storage.db, request.caller.workspaceId, {
      ...(vulnerability !== undefined ? { vulnerabilityId: vulnerability } : {}),
      ...(repositoryId !== undefined ? { repositoryId } : {}),
      ...(pkg !== undefined ? { package: pkg } : {}),
      ...(state !== undefined ? { state } : {}),
    });
    // A token's scope is a glob, checked here rather than in SQL; so pages are cut after it, and total counts what it sees.
    const shown = decisions.filter((d) => visible(request.caller, d));
    return { decisions: shown.slice(offset, offset + limit).map(renderDecision), total: shown.length, limit, offset };
  });

  app.delete('/triage/:id', {
    config: { access: 'write' },
    schema: {
      summary: 'Withdraw a triage decision',
      tags: ['triage'],
      params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
      response: { ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    if (!/^[0-9a-f-]{36}$/.test(id)) throw new ApiError('TW_NOT_FOUND', `triage decision ${id} not found`);
    await removeDecision(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      id,
      allowed: (d) => assertScope(request.caller, d.repository),
    });
    return reply.status(204).send();
  });

  app.get('/vex', {
    config: { access: 'read' },
    schema: {
      summary: 'The triage decisions that hold for a repository, as a CycloneDX 1.6 VEX document (trivy/grype --vex)',
      tags: ['triage'],
      querystring: vexQuery,
      response: { 200: vexSchema, ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { caller } = request;
    const repository = request.query.repository === undefined ? null : repositoryName(request.query.repository, 'query.repository');
    if (repository !== null) assertRepositoryInScope(caller, repository);
    const repositoryId = repository === null ? null : (await findRepositoryId(storage.db, caller.workspaceId, repository)) ?? null;
    // An unknown repository has no decisions of its own; the workspace-wide ones still hold for it.
    const decisions = effectiveDecisions(await listDecisions(storage.db, caller.workspaceId, { repositoryId }), repositoryId);
    const sbom = request.query.sbom === undefined ? undefined
      : { serialNumber: request.query.sbom.toLowerCase(), version: request.query.sbom_version ?? 1 };
    const foundAt = sbom === undefined || (repository !== null && repositoryId === null) ? []
      : await currentFindingLocations(storage.db, caller.workspaceId, repositoryId, decisions.map((d) => d.vulnerability_id));
    const document = vexDocument({
      decisions, repository, timestamp: nowIso(), toolVersion, ...(sbom ? { sbom, foundAt } : {}),
    });
    return reply.type('application/vnd.cyclonedx+json; version=1.6').send(document);
  });
};

const toolVersion = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

function checkVulnerabilityId(id: string, field: string): void {
  const problem = vulnerabilityIdProblem(id);
  if (problem !== null) throw invalid(field, `${field} ${problem}`);
}

function repositoryName(value: string, field: string): string {
  const parsed = parseRepositoryName(value);
  if (!parsed.ok) throw invalid(field, `${field} is not a valid repository name: ${parsed.reason}`);
  return parsed.repository;
}

/** A token limited to some repositories decides only about them, never for the whole workspace (security.md). */
function assertScope(caller: Caller, repository: string | null): void {
  if (repository !== null) return assertRepositoryInScope(caller, repository);
  if (caller.repoGlob !== null) {
    throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${caller.repoGlob}; name a repository: a decision without one holds for the whole workspace`);
  }
}

function visible(caller: Caller, d: DecisionView): boolean {
  return d.repository === null || inScope(caller, d.repository);
}
