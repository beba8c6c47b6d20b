import { ApiError } from '../core/errors.js';
import { parseImageReference } from '../registry/image-reference.js';

/**
 * An image reference that must name its digest (`host/path[:tag]@sha256:<64 hex>`), as paths and compare sides take
 * it; a tag beside the digest is ignored, since the digest is the identity. 400 with the parser's reason otherwise.
 */
export function pinnedImageReference(input: string, where: string): { repository: string; digest: string } {
  const parsed = parseImageReference(input);
  if (!parsed.ok) throw new ApiError('TW_BAD_REQUEST', `invalid image reference in ${where}: ${parsed.reason}`);
  if (!parsed.ref.digest) {
    throw new ApiError('TW_BAD_REQUEST', `the image reference in ${where} must be pinned by digest: <repository>@sha256:<64 hex> (got "${input.slice(0, 120)}")`);
  }
  return { repository: parsed.ref.repository, digest: parsed.ref.digest };
}
