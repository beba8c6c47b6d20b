import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHarbor } from './harbor-parser.js';
import { PayloadError } from './push-record.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

const resources = [
  { digest: D1, tag: 'v1', resource_url: 'harbor.example.com/library/nginx:v1' },
  { digest: D2, tag: D2, resource_url: `harbor.example.com/library/nginx@${D2}` },
];
const repository = { date_created: 1680501893, name: 'nginx', namespace: 'library', repo_full_name: 'library/nginx', repo_type: 'public' };

/** Harbor's Default format, hand-written from its webhook documentation. */
const defaultPayload = (type: string, res: unknown = resources) => ({ type, occur_at: 1680501893, operator: 'admin', event_data: { resources: res, repository } });
/** Harbor's CloudEvents format. */
const cloudEvent = (type: string, id = '66e18103-09c1-41f6-982f-37df223f3eeb') => ({
  specversion: '1.0', id, requestid: 'r', source: '/projects/2/webhook/policies/15', type, datacontenttype: 'application/json',
  time: '2023-04-03T06:04:46Z', data: { resources, repository }, operator: 'harbor-jobservice',
});

describe('parseHarbor', () => {
  test('Default PUSH_ARTIFACT: a tag push, and a push by digest (Harbor repeats the digest as the tag) without a tag', () => {
    const out = parseHarbor(defaultPayload('PUSH_ARTIFACT'));
    assert.deepEqual(out.records.map((r) => [r.action, r.repository, r.tag, r.digest]), [
      ['push', 'harbor.example.com/library/nginx', 'v1', D1],
      ['push', 'harbor.example.com/library/nginx', null, D2],
    ]);
    assert.equal(out.ignored, 0);
    // No id in the Default format: a hash of the body, the same for a redelivery, different per resource.
    assert.equal(parseHarbor(defaultPayload('PUSH_ARTIFACT')).records[0]!.sourceEventId, out.records[0]!.sourceEventId);
    assert.notEqual(out.records[0]!.sourceEventId, out.records[1]!.sourceEventId);
    assert.notEqual(parseHarbor({ ...defaultPayload('PUSH_ARTIFACT'), occur_at: 1 }).records[0]!.sourceEventId, out.records[0]!.sourceEventId);
  });

  test('CloudEvents: pushed, deleted (by digest, all its tags), scan completed (the image exists, no tag)', () => {
    const pushed = parseHarbor(cloudEvent('harbor.artifact.pushed'));
    assert.deepEqual(pushed.records.map((r) => r.sourceEventId), ['66e18103-09c1-41f6-982f-37df223f3eeb:0', '66e18103-09c1-41f6-982f-37df223f3eeb:1']);
    const deleted = parseHarbor(cloudEvent('harbor.artifact.deleted'));
    assert.deepEqual(deleted.records.map((r) => [r.action, r.tag, r.digest]), [['delete', null, D1], ['delete', null, D2]]);
    const scanned = parseHarbor(defaultPayload('SCANNING_COMPLETED'));
    assert.deepEqual(scanned.records.map((r) => [r.action, r.tag, r.digest]), [['push', null, D1], ['push', null, D2]]);
  });

  test('other event kinds and broken resources are ignored', () => {
    for (const type of ['PULL_ARTIFACT', 'QUOTA_EXCEED', 'REPLICATION', 'harbor.artifact.pulled', 'harbor.quota.exceed']) {
      const body = type.includes('.') ? cloudEvent(type) : defaultPayload(type);
      assert.deepEqual([parseHarbor(body).records.length, parseHarbor(body).ignored], [0, 1], type);
    }
    const odd = parseHarbor(defaultPayload('PUSH_ARTIFACT', [null, {}, { digest: 'sha256:1' }, { digest: D1 }, { digest: D1, tag: 'a b', resource_url: 'h.io/a/b:x' }]));
    assert.deepEqual([odd.records.length, odd.ignored], [0, 5]);
    assert.equal(parseHarbor(defaultPayload('PUSH_ARTIFACT', 'x')).ignored, 1);
  });

  test('a registry_host on the endpoint names the repository from repo_full_name', () => {
    const out = parseHarbor(defaultPayload('PUSH_ARTIFACT', [{ digest: D1, tag: 'v1' }]), { registryHost: 'harbor.internal:8443' });
    assert.equal(out.records[0]!.repository, 'harbor.internal:8443/library/nginx');
  });

  test('a body that is not Harbor\'s throws PayloadError', () => {
    for (const body of [null, [], 'x', {}, { type: 'PUSH_ARTIFACT' }, { event_data: {} }, { specversion: '1.0', data: {} }, { specversion: '1.0', type: 'x' }]) {
      assert.throws(() => parseHarbor(body), PayloadError, JSON.stringify(body));
    }
  });
});
