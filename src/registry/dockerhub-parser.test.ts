import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDockerHub } from './dockerhub-parser.js';
import { PayloadError } from './push-record.js';

/** Docker Hub's webhook payload, hand-written from its documentation. */
const hub = (tag: unknown = 'latest', repoName = 'svendowideit/testhook', pushedAt = 1417566161) => ({
  callback_url: 'https://registry.hub.docker.com/u/svendowideit/testhook/hook/2141b5bi5i5b02bec211i4eeih0242eg11000a/',
  push_data: { pushed_at: pushedAt, pusher: 'trustedbuilder', tag },
  repository: {
    comment_count: 0, date_created: 1417494799, description: '', is_official: false, is_private: true, is_trusted: true,
    name: 'testhook', namespace: 'svendowideit', owner: 'svendowideit', repo_name: repoName,
    repo_url: 'https://registry.hub.docker.com/u/svendowideit/testhook/', star_count: 0, status: 'Active',
  },
});

describe('parseDockerHub', () => {
  test('a tag push without digest, on docker.io', () => {
    const out = parseDockerHub(hub());
    assert.deepEqual(out.records.map((r) => [r.action, r.repository, r.tag, r.digest]), [['push', 'docker.io/svendowideit/testhook', 'latest', null]]);
    assert.equal(parseDockerHub(hub('1.0', 'nginx')).records[0]!.repository, 'docker.io/library/nginx');
  });

  test('a redelivery hashes the same; another push of the tag (pushed_at) does not', () => {
    const id = parseDockerHub(hub()).records[0]!.sourceEventId;
    assert.equal(parseDockerHub(hub()).records[0]!.sourceEventId, id);
    assert.notEqual(parseDockerHub(hub('latest', 'svendowideit/testhook', 1417566999)).records[0]!.sourceEventId, id);
  });

  test('a bad tag or a repo_name on another host is ignored', () => {
    for (const body of [hub(''), hub(null), hub('bad tag'), hub(3), hub('x', 'ghcr.io/acme/web'), hub('x', 'UPPER/x')]) {
      assert.deepEqual([parseDockerHub(body).records.length, parseDockerHub(body).ignored], [0, 1], JSON.stringify(body.push_data));
    }
  });

  test('a body that is not Docker Hub\'s throws PayloadError', () => {
    for (const body of [null, [], 'x', {}, { push_data: {} }, { push_data: {}, repository: {} }, { push_data: [], repository: { repo_name: 'a/b' } }]) {
      assert.throws(() => parseDockerHub(body), PayloadError, JSON.stringify(body));
    }
  });
});
