/*
 * Quay repository notifications (webhook method) → PushRecords (ingest.md "Registry pushes"). Every Quay event starts
 * with `{"repository": "ns/name", "namespace", "name", "docker_url": "quay.io/ns/name", "homepage"}`; repo_push adds
 * `updated_tags`. Build events (`build_id`) and vulnerability_found (`vulnerability`) are accepted and not recorded here.
 * repo_push carries no digest, no id and no time, so a redelivery cannot be told from a second push of the same tags
 * except by time: the body hash dedupes within a window (Quay retries a failed delivery within minutes).
 */
import { parseRepositoryName } from './image-reference.js';
import {
  collector, contentHash, isObject, kindOf, PayloadError, repositoryAt, text, validTag, type HookContext, type JsonObject,
  type ParsedPushes,
} from './push-record.js';

/** Seconds within which an identical repo_push body is taken for a redelivery. */
export const quayRedeliveryWindowSeconds = 15 * 60;

export function parseQuay(json: unknown, context: HookContext = {}): ParsedPushes {
  if (!isObject(json)) throw new PayloadError(`a Quay notification must be a JSON object, but ${kindOf(json)}`);
  if (typeof json.repository !== 'string' || typeof json.docker_url !== 'string') {
    throw new PayloadError('a Quay notification has "repository" ("namespace/name") and "docker_url" strings');
  }
  const out = collector();
  if (json.updated_tags === undefined) {
    const what = json.build_id !== undefined ? 'a build event' : json.vulnerability !== undefined ? 'vulnerability_found' : 'an event other than repo_push';
    out.ignore(`${what} is not recorded as a push`);
    return out;
  }
  if (!Array.isArray(json.updated_tags)) {
    out.ignore(`updated_tags is not an array (${kindOf(json.updated_tags)})`);
    return out;
  }
  const repository = repositoryOf(json, context);
  if (!repository) {
    out.ignore(`docker_url ${JSON.stringify(json.docker_url)} does not name a registry host and repository; configure registry_host on the hook endpoint`);
    return out;
  }
  const bodyHash = contentHash(json);
  for (const value of json.updated_tags as unknown[]) {
    const tag = validTag(value);
    if (!tag) {
      out.ignore(`updated_tags entry ${JSON.stringify(value)} is not a valid tag`);
      continue;
    }
    out.records.push({
      sourceEventId: `${bodyHash}:${tag}`,
      action: 'push',
      repository,
      tag,
      digest: null,
      mediaType: null,
      platform: null,
      dedupeWindowSeconds: quayRedeliveryWindowSeconds,
    });
  }
  if (out.records.length === 0 && out.ignored === 0) out.ignore('repo_push with no updated_tags');
  return out;
}

function repositoryOf(json: JsonObject, context: HookContext): string | null {
  const path = text(json.repository);
  if (context.registryHost && path) return repositoryAt(context.registryHost, path);
  const dockerUrl = json.docker_url as string;
  const parsed = parseRepositoryName(dockerUrl);
  // docker_url always names the host (quay.io/…); one that does not would silently read as docker.io.
  return parsed.ok && dockerUrl.toLowerCase().startsWith(`${parsed.domain}/`) ? parsed.repository : null;
}
