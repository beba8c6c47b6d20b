/*
 * Docker Hub webhook payloads → PushRecords (ingest.md "Registry pushes"): `{"callback_url", "push_data": {"pushed_at",
 * "pusher", "tag"}, "repository": {"repo_name": "acme/web", "namespace", "name", …}}`. Docker Hub sends no digest and no
 * event id: the tag push is recorded with digest null, and pushed_at (seconds) tells two pushes of a tag apart.
 */
import { parseRepositoryName } from './image-reference.js';
import { collector, contentHash, isObject, kindOf, PayloadError, text, validTag, type ParsedPushes } from './push-record.js';

export function parseDockerHub(json: unknown): ParsedPushes {
  if (!isObject(json)) throw new PayloadError(`a Docker Hub webhook payload must be a JSON object, but ${kindOf(json)}`);
  if (!isObject(json.push_data) || !isObject(json.repository) || typeof json.repository.repo_name !== 'string') {
    throw new PayloadError('a Docker Hub webhook payload has a "push_data" object and a "repository" object with "repo_name"');
  }
  const out = collector();
  const repoName = json.repository.repo_name;
  const name = parseRepositoryName(repoName);
  // repo_name is `namespace/name` on Docker Hub itself; anything naming another host is not Docker Hub's.
  if (!name.ok || name.domain !== 'docker.io') {
    out.ignore(`repository.repo_name ${JSON.stringify(repoName)} is not a Docker Hub repository name`);
    return out;
  }
  const rawTag = text(json.push_data.tag);
  const tag = validTag(rawTag);
  if (!tag) {
    out.ignore(`push_data.tag ${JSON.stringify(json.push_data.tag)} is not a valid tag`);
    return out;
  }
  out.records.push({
    sourceEventId: contentHash(['dockerhub', name.repository, tag, json.push_data.pushed_at ?? null, json.callback_url ?? null]),
    action: 'push',
    repository: name.repository,
    tag,
    digest: null,
    mediaType: null,
    platform: null,
  });
  return out;
}
