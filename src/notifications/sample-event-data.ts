/*
 * Sample event data for the notification test endpoint (notifications.md: "Each event has a sample payload"): shaped
 * as the areas that record each event store it, with every optional field filled, so a receiver under test sees the
 * widest payload it will ever get.
 */
import type { EventKind } from '../events/event-kinds.js';
import type { JsonObject } from './json-values.js';

const repository = 'registry.example.com/acme/web';
const digest = 'sha256:2a7af5265344cc3704d5d47c4604b1efcbd227a7a6a6ff73d6e4e08a27fd7d99';
const previous = 'sha256:569e7db1a867069835e8e97d50c96eccafde65f08ea3e0d5debaf16e2545d9d1';
const buildId = '0190a5c2-4f1e-7b3a-9c1d-2e5f6a7b8c9d';
const commit = '50bc5996d4587fd4b2d8edc4af652d4cec293c42';

const person = (username: string) => ({
  username,
  url: `https://github.com/${username}`,
  avatar_url: `https://avatars.githubusercontent.com/${username}`,
});

const build = {
  repository,
  build_id: buildId,
  build_name: commit.slice(0, 7),
  docker_tags: ['main', 'latest'],
  trigger_kind: 'github',
  trigger_id: '38b6e180-9521-4ff7-9844-acf371340b9e',
  trigger_metadata: {
    commit,
    ref: 'refs/heads/main',
    default_branch: 'main',
    git_url: 'git@github.com:acme/web.git',
    commit_info: {
      url: `https://github.com/acme/web/commit/${commit}`,
      date: '2025-03-06T14:10:14+00:00',
      message: 'Tidewatch test notification',
      committer: person('web-flow'),
      author: person('octocat'),
    },
  },
  is_manual: false,
  manual_user: null,
};

const samples: Record<EventKind, JsonObject> = {
  repo_push: {
    repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: repository, updated_tags: ['latest'], digest,
  },
  build_queued: build,
  build_start: build,
  build_success: { ...build, image_id: digest, manifest_digests: [`${repository}@${digest}`] },
  build_failure: { ...build, error_message: 'Could not find or parse Dockerfile: unknown instruction: GIT' },
  build_cancelled: build,
  vulnerability_found: {
    repository,
    digest,
    tags: ['latest', 'main'],
    vulnerability: {
      id: 'CVE-2021-44228',
      description: 'Apache Log4j2 JNDI features do not protect against attacker controlled LDAP and other endpoints.',
      link: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228',
      priority: 'Critical',
      has_fix: true,
    },
    package: 'org.apache.logging.log4j:log4j-core',
    installed_version: '2.14.1',
    fixed_version: '2.15.0',
    level: 0,
    inherited: false,
  },
  image_deployed: {
    environment: 'production',
    instance: 'web',
    repository,
    digest,
    tags: ['latest', 'main'],
    platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    replaced_digest: previous,
    vulnerabilities: { Critical: 1, High: 3, Medium: 7, Low: 2, Negligible: 0, Unknown: 1 },
  },
};

export function sampleEventData(kind: EventKind): JsonObject {
  return samples[kind];
}
