import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../core/errors.js';
import { chooseScanImage, noDigestMessage } from './scan-image.js';
import { batchSizes } from '../core/db/multi-row-insert.js';
import { replacedDigests } from './vulnerability-events.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const image = (o: Partial<{ reference: string | null; digests: string[]; repoDigests: string[] }>) =>
  ({ reference: null, digests: [], repoDigests: [], ...o });

test('?image= wins over the report, and the report\u2019s other digests become warnings', () => {
  const chosen = chooseScanImage(image({ digests: [d('a'), d('b')], repoDigests: [`nginx@${d('b')}`] }), `localhost:5000/web:1@${d('c')}`);
  assert.deepEqual(chosen, {
    repository: 'localhost:5000/web',
    digest: d('c'),
    warnings: [
      `the report also names digest ${d('a')}; the scan was recorded for ${d('c')}`,
      `the report also names digest ${d('b')}; the scan was recorded for ${d('c')}`,
    ],
  });
  assert.deepEqual(chooseScanImage(image({ digests: [d('a')] }), `ghcr.io/x/y@${d('a')}`).warnings, []);
});

test('from the report: a repo digest first (Grype\u2019s manifestDigest may be a platform manifest), then digest + reference', () => {
  assert.deepEqual(chooseScanImage(image({ reference: 'nginx:1.14', digests: [d('a'), d('b')], repoDigests: [`index.docker.io/library/nginx@${d('b')}`] }), undefined),
    { repository: 'docker.io/library/nginx', digest: d('b'), warnings: [`the report also names digest ${d('a')}; the scan was recorded for ${d('b')}`] });
  assert.deepEqual(chooseScanImage(image({ reference: 'busybox:1.32', digests: [d('e')] }), undefined),
    { repository: 'docker.io/library/busybox', digest: d('e'), warnings: [] });
  assert.deepEqual(chooseScanImage(image({ reference: `alpine@${d('f')}`, digests: [] }), undefined),
    { repository: 'docker.io/library/alpine', digest: d('f'), warnings: [] });
  // A repo digest that does not parse is passed over.
  assert.equal(chooseScanImage(image({ reference: 'ghcr.io/a/b', digests: [d('1')], repoDigests: ['Not A Ref@x'] }), undefined).repository, 'ghcr.io/a/b');
});

test('no digest, or a digest without a repository, is refused with what to pass', () => {
  const refused = (o: Parameters<typeof image>[0], query?: string) => {
    try {
      chooseScanImage(image(o), query);
    } catch (e) {
      assert.ok(e instanceof ApiError);
      return [e.code, e.field, e.message];
    }
    return assert.fail('not refused');
  };
  assert.deepEqual(refused({ reference: 'testdata/alpine.tar.gz' }), ['TW_VALIDATION', 'query.image', noDigestMessage]);
  assert.equal(noDigestMessage, 'the report does not name its image by digest; pass ?image=<repository>@sha256:<digest>');
  assert.deepEqual(refused({ digests: [d('9')] }), ['TW_VALIDATION', 'query.image', `the report names digest ${d('9')} but not its repository; pass ?image=<repository>@${d('9')}`]);
  assert.match(refused({}, 'ghcr.io/a/b:latest')[2]!, /^query\.image must name the image by digest/);
  assert.match(refused({}, 'ghcr.io/a/b@sha256:xyz')[2]!, /^query\.image is not a valid image reference/);
});

test('the image a digest replaced under a tag is the last other digest of its history before it', () => {
  const h = (tag: string, ...digests: Array<string | null>) => digests.map((digest) => ({ tag_id: tag, digest }));
  const replaced = replacedDigests([
    ...h('latest', d('1'), d('2'), d('3')),
    ...h('stable', d('1'), null, d('3'), d('3')),
    ...h('new', d('3')),
    ...h('back', d('3'), d('4'), d('3')),
    ...h('unseen', d('5'), null),
  ], d('3'));
  assert.deepEqual(Object.fromEntries(replaced), { latest: d('2'), stable: d('1'), back: d('4'), unseen: d('5') });
});

test('batches: 500s, then powers of two, never more than 500 rows in one INSERT', () => {
  assert.deepEqual(batchSizes(0), []);
  assert.deepEqual(batchSizes(456), [256, 128, 64, 8]);
  assert.deepEqual(batchSizes(1234), [500, 500, 128, 64, 32, 8, 2]);
  for (const n of [1, 7, 499, 500, 501, 50_000]) {
    const sizes = batchSizes(n);
    assert.equal(sizes.reduce((a, b) => a + b, 0), n);
    assert.ok(sizes.every((s) => s <= 500 && (s === 500 || (s & (s - 1)) === 0)));
  }
});
