import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderPayload } from './event-payloads.js';

/* Rendering rules beyond the seed's samples: what is left out when unknown, what never leaks, what is refused. */

const url = 'https://tw.example';
const D = `sha256:${'d'.repeat(64)}`;
const D2 = `sha256:${'e'.repeat(64)}`;

test('a manual build: no trigger fields; is_manual and manual_user are always sent (the seed\'s manual_user is null)', () => {
  const queued = renderPayload('build_queued', {
    build_id: 'b-1', repository: 'docker.io/library/nginx', docker_tags: ['latest'], repo: 'nginx', is_manual: true, manual_user: 'alice',
  }, url);
  assert.deepEqual(queued, {
    repository: 'library/nginx', namespace: 'library', name: 'nginx', docker_url: 'docker.io/library/nginx',
    homepage: `${url}/repositories/docker.io/library/nginx/build/b-1`,
    build_id: 'b-1', docker_tags: ['latest'], repo: 'nginx', is_manual: true, manual_user: 'alice',
  });
  // Neither given: Quay's rule, a build without a trigger is manual, and nobody is named.
  const bare = renderPayload('build_queued', { build_id: 'b-2', repository: 'nginx' }, url);
  assert.equal(bare.is_manual, true);
  assert.equal(bare.manual_user, null);
  assert.deepEqual(bare.docker_tags, []);
});

test('build_name falls back to the short commit, then to the start of the build id; bare digests get docker_url', () => {
  const withCommit = renderPayload('build_start', {
    build_id: '0190a5c2-aaaa', repository: 'ghcr.io/acme/web', trigger_metadata: { commit: 'abcdef0123456789', ref: 'refs/heads/main' },
  }, url);
  assert.equal(withCommit.build_name, 'abcdef0');
  const without = renderPayload('build_success', { build_id: '0190a5c2-aaaa', repository: 'ghcr.io/acme/web', manifest_digests: [D, `ghcr.io/acme/web@${D2}`] }, url);
  assert.equal(without.build_name, '0190a5c');
  assert.deepEqual(without.manifest_digests, [`ghcr.io/acme/web@${D}`, `ghcr.io/acme/web@${D2}`]);
  assert.ok(!('image_id' in without) && !('trigger_metadata' in without));
});

test('trigger_metadata: Quay\'s keys in Quay\'s order, nulls left out, the reporter\'s own keys kept after them', () => {
  const payload = renderPayload('build_start', {
    build_id: 'b', repository: 'ghcr.io/acme/web',
    trigger_metadata: {
      pipeline: 'ci-42', commit_info: { author: { avatar_url: null, username: 'octo' }, message: 'm', url: 'u', date: null },
      ref: 'refs/tags/v1', commit: 'c0ffee', default_branch: null,
    },
  }, url);
  assert.deepEqual(JSON.stringify(payload.trigger_metadata),
    '{"commit":"c0ffee","ref":"refs/tags/v1","commit_info":{"url":"u","message":"m","author":{"username":"octo"}},"pipeline":"ci-42"}');
});

test('vulnerability_found: description, link and versions left out when unknown; internal fields never sent', () => {
  const payload = renderPayload('vulnerability_found', {
    repository: 'ghcr.io/acme/web', digest: D, tags: [], package: 'zlib',
    vulnerability: { id: 'CVE-2022-37434', priority: 'Severe?!', has_fix: false },
    level: 5, inherited: true, scan_id: 'scan-1',
  }, url);
  assert.deepEqual(Object.keys(payload).slice(5), ['tags', 'vulnerability', 'package', 'digest']);
  // A priority outside Quay's six is Unknown, as severity normalisation would have it.
  assert.deepEqual(payload.vulnerability, { id: 'CVE-2022-37434', priority: 'Unknown', has_fix: false });
});

test('repo_push sends updated_tags only: the stored digest and source stay internal', () => {
  const payload = renderPayload('repo_push', {
    repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: 'registry.example.com/acme/web', updated_tags: ['v1', null], digest: D, source: 'distribution',
  }, url);
  assert.deepEqual(Object.keys(payload), ['repository', 'namespace', 'name', 'docker_url', 'homepage', 'updated_tags']);
  assert.deepEqual(payload.updated_tags, ['v1']);
});

test('image_deployed as record-deployment writes it: a first deployment has no replaced_digest, unscanned no counts', () => {
  const payload = renderPayload('image_deployed', {
    environment: 'prod-eu/payments', instance: 'api', repository: 'ghcr.io/acme/web', digest: D, tags: ['v1'],
    platform: { os: 'linux', architecture: 'amd64' }, replaced_digest: null, deployment_id: 'dep-1',
  }, url);
  assert.deepEqual(payload, {
    repository: 'acme/web', namespace: 'acme', name: 'web', docker_url: 'ghcr.io/acme/web', homepage: `${url}/repositories/ghcr.io/acme/web`,
    environment: 'prod-eu/payments', instance: 'api', digest: D, tags: ['v1'], platform: { os: 'linux', architecture: 'amd64' },
  });
  const counted = renderPayload('image_deployed', {
    environment: 'e', instance: 'i', repository: 'ghcr.io/acme/web', digest: D, vulnerabilities: { High: 2, Bogus: 9, Low: -1 },
  }, url);
  assert.deepEqual(counted.vulnerabilities, { Critical: 0, High: 2, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 });
});

test('data that is not an event of that kind is refused, naming what is missing', () => {
  assert.throws(() => renderPayload('repo_push', { updated_tags: ['x'] }, url), /repo_push data has no repository/);
  assert.throws(() => renderPayload('build_failure', { repository: 'ghcr.io/a/b' }, url), /build_failure data has no build_id/);
  assert.throws(() => renderPayload('vulnerability_found', { repository: 'ghcr.io/a/b', vulnerability: {} }, url), /vulnerability\.id/);
  assert.throws(() => renderPayload('image_deployed', { repository: 'ghcr.io/a/b', environment: 'prod' }, url), /no digest/);
});
