import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Db } from '../core/db/database.js';
import { errorResponses } from '../http/error-schema.js';
import type { Caller } from '../auth/authenticate.js';
import { currentScansOf } from '../images/current-scans.js';
import { decisionsForRepositories } from '../triage/triage-queries.js';
import { suppressionOf } from '../triage/suppression.js';
import { compareAnswer, compareQuery } from './compare-schemas.js';
import { pairUnits, parseSide, resolveSide, type Side, type Unit } from './compare-sides.js';
import { scanKeys } from './scan-keys.js';
import { countsOf, diffVulnerabilities, sideVulnerabilities, type SideVulnerabilities } from './vulnerability-diff.js';

/** Spec deployments.md, "Comparing": which instances differ and which vulnerabilities are added, removed, unchanged. */
export const compareRoutes: FastifyPluginAsyncTypebox<{ db: Db }> = async (app, { db }) => {
  app.get('/compare', {
    config: { access: 'read' },
    schema: {
      summary: 'Compare two images or environments (base=…&head=…, each host/path@sha256:… or env:NAME)',
      tags: ['compare'],
      querystring: compareQuery,
      response: { 200: compareAnswer, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const baseRef = parseSide(request.query.base, 'base');
    const headRef = parseSide(request.query.head, 'head');
    const { caller } = request;
    const [base, head] = await Promise.all([
      resolveSide(db, caller, baseRef, request.query.base!), resolveSide(db, caller, headRef, request.query.head!),
    ]);
    return compare(db, caller, base, head);
  });
};

export async function compare(db: Db, caller: Caller, baseSide: Side, headSide: Side) {
  const { pairs, base, head } = pairUnits(baseSide, headSide);
  const all = [...base, ...head];
  const scans = await currentScansOf(db, caller.workspaceId, all.map((u) => u.digest));
  const scanOfDigest = new Map([...scans].map(([digest, scan]) => [digest, scan.id]));
  const [{ keys, interned }, decisions] = await Promise.all([
    scanKeys(db, [...scanOfDigest.values()]),
    decisionsForRepositories(db, caller.workspaceId, [...new Set(all.map((u) => u.repository_id))]),
  ]);
  const suppression = suppressionOf(decisions);
  const decided = new Set(decisions.map((d) => d.vulnerability_id));
  const baseVulns = sideVulnerabilities(base, scanOfDigest, keys, interned, suppression, decided);
  const headVulns = sideVulnerabilities(head, scanOfDigest, keys, interned, suppression, decided);
  const diff = diffVulnerabilities(baseVulns, headVulns);
  const unitView = (u: Unit | null) => (u ? { repository: u.repository, digest: u.digest, tag: u.tag, scanned: scans.has(u.digest) } : null);
  const differing = pairs.filter((p) => p.change !== 'unchanged');
  return {
    base: sideView(baseSide, baseVulns),
    head: sideView(headSide, headVulns),
    instances: differing.map((p) => ({ name: p.name, change: p.change, base: unitView(p.base), head: unitView(p.head) })),
    instances_unchanged: pairs.length - differing.length,
    vulnerabilities: diff,
    counts: { added: countsOf(diff.added), removed: countsOf(diff.removed), unchanged: countsOf(diff.unchanged) },
  };
}

function sideView(side: Side, v: SideVulnerabilities) {
  const status = v.images === 0 ? 'empty' as const
    : v.unscanned.length === 0 ? 'scanned' as const
      : v.scanned.length === 0 ? 'unscanned' as const : 'partially_scanned' as const;
  return {
    given: side.given,
    kind: side.ref.kind,
    environment: side.ref.kind === 'env' ? side.ref.name : null,
    repository: side.ref.kind === 'image' ? side.ref.repository : null,
    digest: side.ref.kind === 'image' ? side.ref.digest : null,
    images: v.images,
    scanned_images: v.scanned.length,
    unscanned_images: v.unscanned.length,
    unscanned: v.unscanned,
    status,
    suppressed: v.suppressed,
  };
}
