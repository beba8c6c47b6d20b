/*
 * Harbor webhook policy payloads → PushRecords (ingest.md "Registry pushes"), in both of Harbor's formats:
 * - Default: `{"type": "PUSH_ARTIFACT", "occur_at", "operator", "event_data": {"resources": [{digest, tag,
 *   resource_url}], "repository": {namespace, name, repo_full_name, repo_type}}}`;
 * - CloudEvents 1.0: `{"specversion", "id", "source", "type": "harbor.artifact.pushed", "time", "data": {resources,
 *   repository}, "operator"}`.
 * Harbor puts the digest in `tag` when an artifact is pushed by digest. A deleted artifact takes all its tags with it,
 * so deletes are recorded by digest. SCANNING_COMPLETED records that the image exists; the scan report itself comes in
 * through POST /api/v1/scans.
 */
import { isSha256Digest, parseImageReference } from './image-reference.js';
import {
  collector, contentHash, isObject, kindOf, PayloadError, repositoryAt, sourceIdOr, text, validDigest, validTag, type HookContext,
  type JsonObject, type ParsedPushes,
} from './push-record.js';

type Kind = 'push' | 'delete' | 'scan';

const defaultTypes = new Map<string, Kind>([
  ['PUSH_ARTIFACT', 'push'], ['DELETE_ARTIFACT', 'delete'], ['SCANNING_COMPLETED', 'scan'],
]);
const cloudEventTypes = new Map<string, Kind>([
  ['harbor.artifact.pushed', 'push'], ['harbor.artifact.deleted', 'delete'], ['harbor.scan.completed', 'scan'],
]);

export function parseHarbor(json: unknown, context: HookContext = {}): ParsedPushes {
  if (!isObject(json)) throw new PayloadError(`a Harbor webhook payload must be a JSON object, but ${kindOf(json)}`);
  const type = text(json.type);
  let kind: Kind | undefined;
  let data: unknown;
  let baseId: string;
  if (json.specversion !== undefined) {
    // Harbor speaks CloudEvents 1.0; another version's envelope is not one this parser can read.
    if (json.specversion !== '1.0') {
      throw new PayloadError(`a Harbor CloudEvents payload has specversion "1.0", but ${kindOf(json.specversion)}${typeof json.specversion === 'string' ? ` ${JSON.stringify(json.specversion.slice(0, 20))}` : ''}`);
    }
    if (!type || !('data' in json)) throw new PayloadError('a Harbor CloudEvents payload has "type" and "data"');
    kind = cloudEventTypes.get(type);
    data = json.data;
    baseId = sourceIdOr(json.id, json);
  } else {
    if (!type || !isObject(json.event_data)) {
      throw new PayloadError('a Harbor webhook payload has "type" and an "event_data" object (Default format) or "specversion", "type" and "data" (CloudEvents format)');
    }
    kind = defaultTypes.get(type);
    data = json.event_data;
    // The Default format has no id; occur_at and operator make two events differ, and a redelivery hash the same.
    baseId = contentHash(json);
  }
  const out = collector();
  if (!kind) {
    out.ignore(`event type ${type} is not recorded`);
    return out;
  }
  if (!isObject(data) || !Array.isArray(data.resources)) {
    out.ignore(`${type} without a resources array`);
    return out;
  }
  const repository = isObject(data.repository) ? data.repository : {};
  (data.resources as unknown[]).forEach((resource, i) => {
    const read = readResource(resource, kind, repository, context);
    if (typeof read === 'string') return out.ignore(`resources[${i}]: ${read}`);
    out.records.push({
      sourceEventId: `${baseId}:${i}`,
      action: kind === 'delete' ? 'delete' : 'push',
      ...read,
      mediaType: null,
      platform: null,
    });
  });
  return out;
}

function readResource(resource: unknown, kind: Kind, repository: JsonObject, context: HookContext) {
  if (!isObject(resource)) return `not an object (${kindOf(resource)})`;
  const digest = validDigest(resource.digest);
  if (!digest) return `no valid sha256 digest (${JSON.stringify(resource.digest)})`;
  const name = repositoryOf(resource, repository, context);
  if (!name) return 'no repository: neither a resource_url with a registry host nor a registry_host on the hook endpoint';
  const rawTag = text(resource.tag);
  // Pushed by digest: Harbor repeats the digest as the tag.
  const tag = kind === 'push' && rawTag && !isSha256Digest(rawTag) ? validTag(rawTag) : null;
  if (kind === 'push' && rawTag && !isSha256Digest(rawTag) && !tag) return `tag ${JSON.stringify(rawTag)} is not a valid tag`;
  return { repository: name, digest, tag };
}

function repositoryOf(resource: JsonObject, repository: JsonObject, context: HookContext): string | null {
  const fullName = text(repository.repo_full_name)
    ?? (text(repository.namespace) && text(repository.name) ? `${repository.namespace}/${repository.name}` : null);
  if (context.registryHost && fullName) return repositoryAt(context.registryHost, fullName);
  const url = text(resource.resource_url);
  if (!url) return null;
  const parsed = parseImageReference(url);
  // resource_url is `host/namespace/name:tag` or `…@digest`; a URL without a host would read as docker.io.
  return parsed.ok && url.toLowerCase().startsWith(`${parsed.ref.domain}/`) ? parsed.ref.repository : null;
}
