/*
 * The mutating webhook's answer (admission.md "Pinning tags"): RFC 6902 operations that rewrite each tag-only image to
 * `repo:tag@sha256:…`, so what runs is exactly what was scanned. Images it cannot pin are left as they are.
 */
import { isSha256Digest, type ImageReference } from '../registry/image-reference.js';
import type { AdmissionReview } from './admission-review.js';
import { workloadOf } from './admission-workload.js';

export interface JsonPatchOperation {
  op: 'replace';
  /** JSON Pointer of the image field, e.g. `/spec/containers/0/image`, `/spec/template/spec/initContainers/1/image`. */
  path: string;
  value: string;
}

/** The digest a repository's tag points at (Tidewatch's tag history), or null when unknown. */
export type TagResolver = (ref: ImageReference & { tag: string }) => string | null;

/**
 * Operations for the review's object; empty when there is nothing to pin (the answer then carries no patch).
 * The user's spelling of the name is kept (`nginx` → `nginx:latest@sha256:…`) so the only change is the pin;
 * an image without a tag is resolved as `latest`, as the runtime would pull it.
 */
export function pinningPatch(review: AdmissionReview, resolve: TagResolver): JsonPatchOperation[] {
  // Status updates cannot change the spec, and a DELETE or CONNECT has nothing to admit.
  if (review.operation !== 'CREATE' && review.operation !== 'UPDATE') return [];
  if (review.subResource === 'status') return [];
  const workload = workloadOf(review, 'object');
  if (!workload) return [];
  // On UPDATE only images that changed are pinned: pinning an untouched image would change a running Pod's spec (a
  // restart) or a workload's template (a rollout) on an unrelated edit such as a label.
  const before = new Map<string, string>();
  if (review.operation === 'UPDATE') {
    for (const c of workloadOf(review, 'oldObject')?.containers ?? []) before.set(`${c.kind}/${c.name}`, c.image);
  }
  const ops: JsonPatchOperation[] = [];
  for (const c of workload.containers) {
    if (!c.reference.ok || c.reference.ref.digest !== null) continue;
    if (before.get(`${c.kind}/${c.name}`) === c.image) continue;
    const tag = c.reference.ref.tag ?? 'latest';
    const digest = resolve({ ...c.reference.ref, tag });
    if (digest === null || !isSha256Digest(digest)) continue;
    ops.push({ op: 'replace', path: c.imagePath, value: `${c.image}${c.reference.ref.tag ? '' : ':latest'}@${digest}` });
  }
  return ops;
}
