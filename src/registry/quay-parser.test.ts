import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseQuay, quayRedeliveryWindowSeconds } from './quay-parser.js';
import { PayloadError } from './push-record.js';

/** Quay's repo_push sample (seeds/quay-repository-notifications, "Repository Push"). */
const repoPush = (tags: unknown = ['latest', 'v1']) => ({
  repository: 'dgangaia/test', namespace: 'dgangaia', name: 'test', docker_url: 'quay.io/dgangaia/test',
  homepage: 'https://quay.io/repository/dgangaia/test', updated_tags: tags,
});

describe('parseQuay', () => {
  test('repo_push: one record per updated tag, no digest, deduped by body within a window', () => {
    const out = parseQuay(repoPush());
    assert.deepEqual(out.records.map((r) => [r.action, r.repository, r.tag, r.digest]), [
      ['push', 'quay.io/dgangaia/test', 'latest', null], ['push', 'quay.io/dgangaia/test', 'v1', null],
    ]);
    assert.ok(out.records.every((r) => r.dedupeWindowSeconds === quayRedeliveryWindowSeconds));
    assert.equal(parseQuay(repoPush()).records[1]!.sourceEventId, out.records[1]!.sourceEventId);
    assert.notEqual(out.records[0]!.sourceEventId, out.records[1]!.sourceEventId);
  });

  test('build events and vulnerability_found are accepted and ignored', () => {
    const base = { repository: 'dgangaia/test', namespace: 'dgangaia', name: 'test', docker_url: 'quay.io/dgangaia/test' };
    for (const body of [{ ...base, build_id: 'b', docker_tags: ['latest'] }, { ...base, vulnerability: { id: 'CVE-1' } }, base]) {
      assert.deepEqual([parseQuay(body).records.length, parseQuay(body).ignored], [0, 1]);
    }
  });

  test('bad tags, a bad docker_url, and an empty tag list are ignored; a registry_host names the repository', () => {
    assert.deepEqual([parseQuay(repoPush(['ok', 'bad tag', 7])).records.length, parseQuay(repoPush(['ok', 'bad tag', 7])).ignored], [1, 2]);
    assert.equal(parseQuay({ ...repoPush(), docker_url: 'dgangaia/test' }).ignored, 1);
    assert.equal(parseQuay(repoPush([])).ignored, 1);
    assert.equal(parseQuay(repoPush('latest')).ignored, 1);
    assert.equal(parseQuay(repoPush(), { registryHost: 'quay.internal' }).records[0]!.repository, 'quay.internal/dgangaia/test');
  });

  test('a body that is not Quay\'s throws PayloadError', () => {
    for (const body of [null, [], 'x', {}, { repository: 'a/b' }, { docker_url: 'quay.io/a/b' }, { repository: 1, docker_url: 'quay.io/a/b' }]) {
      assert.throws(() => parseQuay(body), PayloadError, JSON.stringify(body));
    }
  });
});
