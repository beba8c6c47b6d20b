/*
 * GitHub `package` and `registry_package` webhook events for container packages → PushRecords (ingest.md "Registry
 * pushes"): `{"action": "published", "package": {"name", "namespace", "package_type": "CONTAINER", "owner": {"login"},
 * "package_version": {"name": "sha256:…", "container_metadata": {"tag": {"name", "digest"}}}}}` (`registry_package`
 * for the older event name). The image lives at ghcr.io/<owner>/<name>, lower-cased as ghcr.io serves it. The
 * signature (X-Hub-Signature-256) is checked by the route, on the raw body, before this runs.
 */
import {
  collector, isObject, kindOf, PayloadError, repositoryAt, sourceIdOr, text, validDigest, validTag, type HookContext,
  type JsonObject, type ParsedPushes,
} from './push-record.js';

const packageEvents = ['package', 'registry_package'] as const;

export function parseGitHub(json: unknown, context: HookContext = {}): ParsedPushes {
  if (!isObject(json)) throw new PayloadError(`a GitHub webhook payload must be a JSON object, but ${kindOf(json)}`);
  const event = context.eventName ?? packageEvents.find((e) => e in json) ?? (json.zen !== undefined ? 'ping' : null);
  if (!event) {
    throw new PayloadError('a GitHub package webhook payload has a "package" or "registry_package" object (GitHub names the event in X-GitHub-Event)');
  }
  const out = collector();
  if (event !== 'package' && event !== 'registry_package') {
    out.ignore(`GitHub event ${event} is not recorded`);
    return out;
  }
  const pkg = json[event];
  if (!isObject(pkg)) throw new PayloadError(`a GitHub ${event} event holds a "${event}" object, but ${kindOf(pkg)}`);
  const read = readPackage(pkg, text(json.action), context);
  if (typeof read === 'string') out.ignore(read);
  else out.records.push({ sourceEventId: sourceIdOr(context.deliveryId, json), action: 'push', ...read, mediaType: null, platform: null });
  return out;
}

function readPackage(pkg: JsonObject, action: string | null, context: HookContext) {
  if (action !== 'published' && action !== 'updated') return `action ${action ?? '(none)'} is not recorded`;
  const type = text(pkg.package_type) ?? text(pkg.ecosystem);
  if (type?.toLowerCase() !== 'container') return `package type ${type ?? '(none)'} is not a container image`;
  const owner = text(pkg.namespace) ?? (isObject(pkg.owner) ? text(pkg.owner.login) : null);
  const name = text(pkg.name);
  if (!owner || !name) return 'the package names no owner (namespace, owner.login) or no name';
  const repository = repositoryAt(context.registryHost ?? 'ghcr.io', `${owner}/${name}`.toLowerCase());
  if (!repository) return `${owner}/${name} is not a valid repository name`;
  const version = isObject(pkg.package_version) ? pkg.package_version : {};
  const metadata = isObject(version.container_metadata) ? version.container_metadata : {};
  const tagInfo = isObject(metadata.tag) ? metadata.tag : {};
  // An untagged version has tag.name "" and its digest only as the version's name.
  const digest = validDigest(tagInfo.digest) ?? validDigest(version.version) ?? validDigest(version.name);
  const rawTag = text(tagInfo.name);
  const tag = validTag(rawTag);
  if (rawTag && !tag) return `tag ${JSON.stringify(rawTag)} is not a valid tag`;
  if (!digest && !tag) return 'the package version names neither a digest nor a tag';
  return { repository, tag, digest };
}
