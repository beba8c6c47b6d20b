/*
 * The mutating webhook's answer (admission.md "Pinning tags"): each tag-only image rewritten to `repo:tag@sha256:…`
 * from Tidewatch's tag history, so what runs is exactly what was scanned; images it cannot pin stay as they are.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../core/db/database.js';
import { currentDigestOfTag } from '../registry/tag-resolution.js';
import type { AdmissionAnswer, AdmissionReview } from './admission-review.js';
import { workloadOf } from './admission-workload.js';
import { pinningPatch } from './image-pinning.js';
import type { ReviewCluster } from './review-clusters.js';
import { MAX_CONTAINERS } from './review-handling.js';

/**
 * Never a refusal: pinning is a convenience, and the validating webhook (which sees the patched Pod) is where policy
 * and fail_closed apply. Without the database the object is admitted as written, with a warning.
 */
export async function answerMutation(
  db: Db, cluster: ReviewCluster, review: AdmissionReview, log: FastifyBaseLogger, unreachable?: unknown,
): Promise<AdmissionAnswer> {
  if (review.operation !== 'CREATE' && review.operation !== 'UPDATE') return { allowed: true };
  const workload = workloadOf(review, 'object');
  if (!workload || workload.containers.length > MAX_CONTAINERS) return { allowed: true };
  const tags = new Map<string, { repository: string; tag: string }>();
  for (const c of workload.containers) {
    if (!c.reference.ok || c.reference.ref.digest !== null) continue;
    const { repository, tag } = c.reference.ref;
    tags.set(`${repository}:${tag ?? 'latest'}`, { repository, tag: tag ?? 'latest' });
  }
  if (tags.size === 0) return { allowed: true };
  if (unreachable !== undefined) return notPinned(cluster, unreachable, log);
  const digests = new Map<string, string | null>();
  try {
    for (const [key, { repository, tag }] of tags) digests.set(key, await currentDigestOfTag(db, cluster.workspaceId, repository, tag));
  } catch (error) {
    return notPinned(cluster, error, log);
  }
  const patch = pinningPatch(review, (ref) => digests.get(`${ref.repository}:${ref.tag}`) ?? null);
  return { allowed: true, patch };
}

function notPinned(cluster: ReviewCluster, error: unknown, log: FastifyBaseLogger): AdmissionAnswer {
  log.warn({ err: error, cluster: cluster.name }, 'admission mutation: database unreachable');
  return { allowed: true, warnings: ['Tidewatch could not pin image tags to digests: its database is unreachable'] };
}
