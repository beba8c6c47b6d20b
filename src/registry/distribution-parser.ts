/*
 * CNCF Distribution (Docker Registry 2 and 3) notification envelopes → PushRecords (ingest.md "Registry pushes").
 * The registry sends `{"events": [...]}` for every blob and manifest it serves. What Debian's docker-registry 2.8 sends
 * (seen by real-registry.test.ts): manifest pushes by tag carry `target.tag`; blob pushes have mediaType
 * application/octet-stream and a /blobs/ url; deleting a manifest by digest sends a delete with `target.digest` and then
 * one delete per tag that pointed at it, with `target.tag` and no digest. Manifest and blob deletes look alike
 * (repository and digest only); a delete of a digest we do not know as an image changes nothing.
 */
import {
  collector, isIndexMediaType, isManifestOrIndex, isObject, kindOf, PayloadError, platformOf, repositoryAt,
  sourceIdOr, text, validDigest, validTag, type HookContext, type JsonObject, type ParsedPushes, type PushRecord,
} from './push-record.js';

export function parseDistribution(json: unknown, context: HookContext = {}): ParsedPushes {
  if (!isObject(json)) throw new PayloadError(`a Distribution notification must be a JSON object {"events": [...]}, but ${kindOf(json)}`);
  if (!Array.isArray(json.events)) {
    throw new PayloadError(`a Distribution notification envelope holds an "events" array, but ${kindOf(json.events)}`);
  }
  const out = collector();
  json.events.forEach((event: unknown, i) => {
    const read = readEvent(event, context);
    if (typeof read === 'string') out.ignore(`events[${i}]: ${read}`);
    else out.records.push(read);
  });
  return out;
}

/** The event's record, or why it is not recorded. */
function readEvent(event: unknown, context: HookContext): PushRecord | string {
  if (!isObject(event)) return `not an object (${kindOf(event)})`;
  const action = text(event.action);
  if (action !== 'push' && action !== 'delete') return `action ${action ?? '(none)'} is not recorded`;
  if (!isObject(event.target)) return 'no target';
  const target = event.target;
  const path = text(target.repository);
  if (!path) return 'no target.repository';
  const host = context.registryHost ?? (isObject(event.request) ? text(event.request.host) : null);
  if (!host) return 'no request.host, and the hook endpoint has no registry_host';
  const repository = repositoryAt(host, path);
  if (!repository) return `${host}/${path} is not a repository a container runtime would resolve to host ${host}; configure registry_host on a hook endpoint`;
  const url = text(target.url) ?? '';
  const mediaType = text(target.mediaType);
  const digest = validDigest(target.digest);
  const tag = target.tag === undefined || target.tag === '' ? null : validTag(target.tag);
  if (tag === null && target.tag !== undefined && target.tag !== '') return `tag ${JSON.stringify(target.tag)} is not a valid tag`;
  const sourceEventId = sourceIdOr(event.id, event);

  if (url.includes('/blobs/')) return `${action} of a blob`;
  if (action === 'push') {
    if (!mediaType || !isManifestOrIndex(mediaType)) return `push of ${mediaType ?? 'no media type'}, not a manifest or index (a blob)`;
    if (!digest) return `manifest push without a valid sha256 digest (${JSON.stringify(target.digest)})`;
    return { sourceEventId, action, repository, tag, digest, mediaType, platform: null, children: childrenOf(target, mediaType) };
  }
  if (!digest && !tag) return 'delete of a whole repository (no digest, no tag) is not recorded';
  return { sourceEventId, action, repository, tag, digest, mediaType };
}

/** Distribution 3 with `includereferences` lists an index's manifests, with their platforms. */
function childrenOf(target: JsonObject, mediaType: string): PushRecord['children'] {
  if (!isIndexMediaType(mediaType) || !Array.isArray(target.references)) return [];
  const children: NonNullable<PushRecord['children']> = [];
  for (const ref of target.references as unknown[]) {
    if (!isObject(ref)) continue;
    const digest = validDigest(ref.digest);
    const childType = text(ref.mediaType);
    if (digest && (!childType || isManifestOrIndex(childType))) children.push({ digest, platform: platformOf(ref.platform) });
  }
  return children;
}
