import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Storage } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope, type Caller } from '../auth/authenticate.js';
import { parseImageReference, parseRepositoryName } from '../registry/image-reference.js';
import { recordDecisions } from '../triage/record-triage.js';
import { renderDecision } from '../triage/triage-schemas.js';
import { triageJustifications } from '../triage/suppression.js';
import type { ParsedReport } from './parsers/report-types.js';
import { ingestScan } from './ingest-scan.js';
import { VulnerabilityIndexer } from './vulnerability-index.js';
import { PreparedReport, REPORT_LIMIT_BYTES, registerReportBodyParser } from './report-body-parser.js';
import { chooseScanImage } from './scan-image.js';
import { scanAnswer, scanQuery, vexAnswer } from './scan-schemas.js';

/** Spec ingest.md "Scan reports": one endpoint for every format; a VEX document records triage instead. */
export const scanRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  const parser = registerReportBodyParser(app);
  const indexer = new VulnerabilityIndexer(storage, (error) => app.log.warn({ err: error }, 'vulnerability index: batch failed; retried at the next scan'));
  indexer.wake(); // scans a stopped process recorded but did not index
  app.addHook('onClose', () => indexer.stop());

  app.post('/scans', {
    config: { access: 'write' },
    bodyLimit: REPORT_LIMIT_BYTES,
    schema: {
      summary: 'Upload a scan report (Trivy, Grype, CycloneDX/VEX, SARIF, Clair); gzip with Content-Encoding: gzip',
      tags: ['scans'],
      querystring: scanQuery,
      response: { 201: Type.Union([scanAnswer, vexAnswer]), ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const { report, vex, descriptionHashes } = takeReport(request);
    const { caller } = request;
    if (vex) return reply.status(201).send(await recordVex(storage, caller, report, request.query));

    const image = chooseScanImage(report.image, request.query.image);
    assertRepositoryInScope(caller, image.repository);
    const outcome = await ingestScan(storage, {
      workspaceId: caller.workspaceId,
      tokenId: caller.tokenId,
      image: { repository: image.repository, digest: image.digest },
      warnings: image.warnings,
      report,
      descriptionHashes,
    });
    indexer.wake();
    parser.descriptionsStored(descriptionHashes);
    return reply.status(201).send({
      scan_id: outcome.scanId,
      image: outcome.image,
      format: outcome.format,
      scanner: outcome.scanner,
      findings: outcome.findings,
      new: outcome.new,
      resolved: outcome.resolved,
      by_severity: outcome.bySeverity,
      suppressed: outcome.summary.suppressed,
      ...(outcome.warnings.length > 0 ? { warnings: outcome.warnings } : {}),
    });
  });
};

/**
 * The parsed report, and whether it is a VEX document (report-body-parser.ts prepared both). The request lets go of
 * it here, so nothing holds the findings longer than the ingest needs them.
 */
function takeReport(request: { body: unknown }): PreparedReport {
  const prepared = request.body;
  request.body = null;
  if (!(prepared instanceof PreparedReport)) throw new ApiError('TW_BAD_REQUEST', 'the body must be a scan report (JSON)');
  return prepared;
}

const justifications = new Set<string>(triageJustifications);

/**
 * A VEX document's decisions, limited to `?repository=` (or `?image=`'s repository) when given, else held for the
 * whole workspace — which a token limited to some repositories may not decide.
 */
async function recordVex(storage: Storage, caller: Caller, report: ParsedReport, query: { image?: string; repository?: string }) {
  let repository: string | null = null;
  if (query.repository !== undefined) {
    const parsed = parseRepositoryName(query.repository);
    if (!parsed.ok) throw invalid('query.repository', `query.repository is not a valid repository name: ${parsed.reason}`);
    repository = parsed.repository;
  } else if (query.image !== undefined) {
    const parsed = parseImageReference(query.image);
    if (!parsed.ok) throw invalid('query.image', `query.image is not a valid image reference: ${parsed.reason}`);
    repository = parsed.ref.repository;
  }
  if (repository !== null) assertRepositoryInScope(caller, repository);
  else if (caller.repoGlob !== null) {
    throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${caller.repoGlob}; pass ?repository=: a VEX document without one holds for the whole workspace`);
  }
  const decisions = await recordDecisions(storage, {
    workspaceId: caller.workspaceId,
    tokenId: caller.tokenId,
    source: 'vex',
    decisions: report.triage.map((t) => ({
      vulnerability: t.vulnerabilityId,
      state: t.state,
      // A justification outside CycloneDX's list (hand-written documents) is no justification we can pass on.
      justification: t.justification !== null && justifications.has(t.justification) ? t.justification : null,
      detail: t.detail,
      repository,
      package: t.package,
    })),
  });
  return { triage: decisions.length, repository, decisions: decisions.map(renderDecision) };
}
