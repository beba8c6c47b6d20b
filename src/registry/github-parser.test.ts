import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseGitHub } from './github-parser.js';
import { PayloadError } from './push-record.js';

const D1 = `sha256:${'1'.repeat(64)}`;

/** GitHub's `package` event for a container, hand-written from its webhook documentation (trimmed). */
const githubPackageEvent = (over: { tag?: string; digest?: string; action?: string; type?: string } = {}) => ({
  action: over.action ?? 'published',
  package: {
    id: 1, name: 'Web', namespace: 'Acme', description: '', ecosystem: 'CONTAINER', package_type: over.type ?? 'CONTAINER',
    html_url: 'https://github.com/orgs/Acme/packages/container/package/web',
    owner: { login: 'Acme', id: 2, type: 'Organization' },
    package_version: {
      id: 3, version: over.digest ?? D1, name: over.digest ?? D1, package_url: `ghcr.io/acme/web:${over.tag ?? 'v1'}`,
      container_metadata: { tag: { name: over.tag ?? 'v1', digest: over.digest ?? D1 }, labels: {}, manifest: {} },
    },
    registry: { about_url: 'https://docs.github.com', name: 'GitHub CONTAINER registry', type: 'CONTAINER', url: 'https://ghcr.io/acme', vendor: 'GitHub Inc' },
  },
  repository: { full_name: 'Acme/web' },
  sender: { login: 'octocat' },
});

describe('parseGitHub', () => {
  test('a published container version: ghcr.io/<owner>/<name> lower-cased, tag and digest, keyed by the delivery id', () => {
    const out = parseGitHub(githubPackageEvent(), { eventName: 'package', deliveryId: 'guid-1' });
    assert.deepEqual(out.records, [{ sourceEventId: 'guid-1', action: 'push', repository: 'ghcr.io/acme/web', tag: 'v1', digest: D1, mediaType: null, platform: null }]);
  });

  test('registry_package works too, and without headers the event is read from the body', () => {
    const { package: pkg, ...rest } = githubPackageEvent();
    const out = parseGitHub({ ...rest, registry_package: pkg });
    assert.equal(out.records[0]!.repository, 'ghcr.io/acme/web');
    assert.match(out.records[0]!.sourceEventId!, /^[0-9a-f]{64}$/);
  });

  test('an untagged version is a digest-only push', () => {
    assert.deepEqual(parseGitHub(githubPackageEvent({ tag: '' })).records.map((r) => [r.tag, r.digest]), [[null, D1]]);
  });

  test('ping, other events, other package types and actions are ignored', () => {
    assert.equal(parseGitHub({ zen: 'Keep it simple.', hook_id: 1 }).ignored, 1);
    assert.equal(parseGitHub({ ref: 'refs/heads/main' }, { eventName: 'push' }).ignored, 1);
    assert.equal(parseGitHub(githubPackageEvent({ type: 'npm' })).ignored, 1);
    assert.equal(parseGitHub(githubPackageEvent({ action: 'deleted' })).ignored, 1);
    assert.equal(parseGitHub(githubPackageEvent({ tag: 'bad tag' })).ignored, 1);
    assert.equal(parseGitHub(githubPackageEvent({ tag: '', digest: 'nope' })).ignored, 1);
  });

  test('a body that is not a GitHub package event throws PayloadError', () => {
    for (const body of [null, [], 'x', {}, { action: 'published' }]) assert.throws(() => parseGitHub(body), PayloadError, JSON.stringify(body));
    assert.throws(() => parseGitHub({ package: 'x' }), PayloadError);
    assert.throws(() => parseGitHub({}, { eventName: 'package' }), PayloadError);
  });
});
