import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope, inScope } from '../auth/authenticate.js';
import { findRepositoryId } from '../registry/repository-queries.js';
import { refOf } from '../builds/build-queries.js';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { digestCounts } from '../trend/exposure-schemas.js';
import { platformOf } from '../deployments/record-deployment.js';
import { currentScansOf } from './current-scans.js';
import { imageFindings, type FindingFilter } from './image-findings.js';
import { imageAnswer, imageParams, imageQuery } from './image-schemas.js';
import { pinnedImageReference } from './pinned-reference.js';
import {
  buildsLinking, childrenOf, currentTags, deploymentsOfImage, findImage, formerTags, parentIndexes,
} from './image-queries.js';

/** Ended deployments listed; the total says how many there were. */
const PREVIOUS_SHOWN = 100;
const fixStates = ['fixed', 'not_fixed', 'wont_fix', 'unknown'];

/**
 * `GET /api/v1/images/{repository}@{digest}` (ui.md, `/images/{repository}@{digest}`): tags, platforms, builds, where
 * it runs and ran, its current scan and its findings page by page. The reference holds slashes, so one wildcard route
 * takes the rest of the path and parses it.
 */
export const imageRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/images/*', {
    config: { access: 'read' },
    schema: {
      summary: 'One image by repository@digest: tags, platforms, builds, deployments, current scan and findings',
      tags: ['images'],
      params: imageParams,
      querystring: imageQuery,
      response: { 200: imageAnswer, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const ref = pinnedImageReference(request.params['*'], 'path');
    const filter = findingFilter(request.query);
    const { caller } = request;
    assertRepositoryInScope(caller, ref.repository);
    const notFound = () => new ApiError('TW_NOT_FOUND', `image ${ref.repository}@${ref.digest} not found`);
    const repositoryId = await findRepositoryId(db, caller.workspaceId, ref.repository);
    if (!repositoryId) throw notFound();
    const [image, indexes] = await Promise.all([findImage(db, repositoryId, ref.digest), parentIndexes(db, repositoryId, ref.digest)]);
    if (!image && indexes.length === 0) throw notFound();

    const { limit = 100, offset = 0 } = request.query;
    const [tags, former, children, builds, deployments, scans] = await Promise.all([
      currentTags(db, repositoryId, ref.digest),
      formerTags(db, repositoryId, ref.digest),
      image?.is_index ? childrenOf(db, image.id) : Promise.resolve([]),
      buildsLinking(db, caller.workspaceId, ref.digest),
      deploymentsOfImage(db, caller.workspaceId, repositoryId, ref.digest, PREVIOUS_SHOWN),
      currentScansOf(db, caller.workspaceId, [ref.digest]),
    ]);
    const scan = scans.get(ref.digest);
    const findings = scan
      ? await imageFindings(db, caller.workspaceId, scan.id, { id: repositoryId, name: ref.repository }, filter, { limit, offset })
      : { total: 0, items: [] };
    const ownPlatform = image && !image.is_index && image.os !== null
      ? [{ digest: ref.digest, os: image.os, architecture: image.architecture, variant: image.variant }]
      : [];
    return {
      repository: ref.repository,
      digest: ref.digest,
      image: `${ref.repository}@${ref.digest}`,
      media_type: image?.media_type ?? null,
      is_index: image ? image.is_index === 1 : false,
      first_seen_at: image?.first_seen_at ?? null,
      deleted_at: image?.deleted_at ?? null,
      tags,
      former_tags: former,
      platforms: image?.is_index ? children : ownPlatform,
      indexes,
      builds: builds.filter((b) => inScope(caller, b.repository)).map((b) => ({
        build_id: b.id,
        repository: b.repository,
        phase: b.phase,
        build_name: b.build_name,
        commit: b.commit_sha,
        ref: refOf(b.trigger_metadata),
        docker_tags: JSON.parse(b.docker_tags) as string[],
        trigger_kind: b.trigger_kind,
        created_at: b.created_at,
        finished_at: b.finished_at,
      })),
      deployments: {
        running: deployments.running.map((d) => ({
          environment: d.environment, name: d.instance_name, tag: d.tag, platform: platformOf(d), since: d.deployed_at,
          last_seen_at: d.last_seen_at, source: d.source,
        })),
        previous: deployments.ended.map((d) => ({
          environment: d.environment, name: d.instance_name, tag: d.tag, platform: platformOf(d), from: d.deployed_at,
          until: d.undeployed_at!, replaced_by: d.replaced_by ?? null,
        })),
        previous_total: deployments.endedTotal,
      },
      scan: scan ? {
        scan_id: scan.id,
        format: scan.format,
        scanner: { name: scan.scanner_name, version: scan.scanner_version },
        scanned_at: scan.created_at,
        findings_count: scan.findings_count,
        vulnerabilities: digestCounts(scan.summary, scan.created_at),
      } : null,
      findings: {
        total: findings.total,
        limit,
        offset,
        next_offset: offset + limit < findings.total ? offset + limit : null,
        items: findings.items,
      },
    };
  });
};

function findingFilter(query: { severity?: string | undefined; fix_state?: string | undefined; triage?: 'suppressed' | 'open' | undefined }): FindingFilter {
  return {
    severities: query.severity === undefined ? null : listOf(query.severity, 'severity', severities, (s) => s.toLowerCase()) as Severity[],
    fixStates: query.fix_state === undefined ? null : listOf(query.fix_state, 'fix_state', fixStates, (s) => s.toLowerCase()),
    triage: query.triage ?? null,
  };
}

/** A comma-separated list of allowed words, matched without regard to case, answered in their canonical spelling. */
function listOf(value: string, field: string, allowed: readonly string[], norm: (s: string) => string): string[] {
  const out: string[] = [];
  for (const word of value.split(',').map((w) => w.trim()).filter((w) => w !== '')) {
    const found = allowed.find((a) => norm(a) === norm(word));
    if (!found) {
      throw invalid(`query.${field}`, `query.${field} must be a comma-separated list of ${allowed.join(', ')} (got "${word.slice(0, 40)}")`);
    }
    if (!out.includes(found)) out.push(found);
  }
  if (out.length === 0) throw invalid(`query.${field}`, `query.${field} must name at least one of ${allowed.join(', ')}`);
  return out;
}
