/*
 * The images of a review with the digest Tidewatch knows for each (admission.md "What gets recorded"), best first:
 * what the kubelet reported pulling (a Pod's status imageID), the reference itself when pinned, the digest Tidewatch
 * last saw pushed for the repository and tag.
 */
import type { Db } from '../core/db/database.js';
import { formatImageReference, type ImageReference } from '../registry/image-reference.js';
import { currentDigestOfTag } from '../registry/tag-resolution.js';
import type { ImageUnderPolicy } from './policy-evaluation.js';
import type { WorkloadContainer } from './admission-workload.js';

export type ResolvedFrom = 'status' | 'reference' | 'tag';

export interface ResolvedImage {
  container: WorkloadContainer;
  /** The parsed reference, with the tag a runtime pulls (`latest` for a name alone) when no digest is given. */
  ref: ImageReference;
  digest: string | null;
  resolvedFrom: ResolvedFrom | null;
  underPolicy: ImageUnderPolicy;
}

export interface ImageResolution {
  images: ResolvedImage[];
  /** Containers whose image is not a reference: not checked, not recorded (a runtime cannot pull them either). */
  unreadable: Array<{ container: WorkloadContainer; reason: string }>;
}

/** Resolves the given containers' digests: one tag lookup per distinct repository and tag that needs one. */
export async function resolveImages(db: Db, workspaceId: string, containers: readonly WorkloadContainer[]): Promise<ImageResolution> {
  const images: ResolvedImage[] = [];
  const unreadable: ImageResolution['unreadable'] = [];
  const fromTags = new Map<string, string | null>();
  const readable: Array<{ container: WorkloadContainer; ref: ImageReference }> = [];
  for (const container of containers) {
    if (!container.reference.ok) {
      unreadable.push({ container, reason: container.reference.reason });
      continue;
    }
    const parsed = container.reference.ref;
    // A name without tag or digest is pulled as :latest; a digest without tag names no tag.
    const ref = parsed.digest === null && parsed.tag === null ? { ...parsed, tag: 'latest' } : parsed;
    readable.push({ container, ref });
    if (container.statusDigest === null && ref.digest === null) fromTags.set(`${ref.repository}:${ref.tag}`, null);
  }
  // One after the other: a few distinct tags per review, and no promise left to reject unobserved.
  for (const key of fromTags.keys()) {
    const colon = key.lastIndexOf(':');
    fromTags.set(key, await currentDigestOfTag(db, workspaceId, key.slice(0, colon), key.slice(colon + 1)));
  }
  for (const { container, ref } of readable) {
    const fromTag = ref.digest === null ? fromTags.get(`${ref.repository}:${ref.tag}`) ?? null : null;
    const [digest, resolvedFrom]: [string | null, ResolvedFrom | null] = container.statusDigest !== null
      ? [container.statusDigest, 'status']
      : ref.digest !== null ? [ref.digest, 'reference'] : fromTag !== null ? [fromTag, 'tag'] : [null, null];
    images.push({
      container,
      ref,
      digest,
      resolvedFrom,
      underPolicy: {
        repository: ref.repository,
        digest,
        reference: formatImageReference({ repository: ref.repository, tag: ref.tag, digest }),
        pinned: ref.digest !== null,
        resolvedFromTag: resolvedFrom === 'tag',
      },
    });
  }
  return { images, unreadable };
}
