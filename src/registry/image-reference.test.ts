import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatImageReference,
  isSha256Digest,
  parseImageReference,
  parseRepositoryName,
  type ImageReference,
} from './image-reference.js';

const HEX = '0123456789abcdef'.repeat(4);
const D = `sha256:${HEX}`;
const TAG128 = 'v' + 'x'.repeat(127);
// "docker.io/" + "a/" + n chars: n = 243 hits the 255 limit exactly.
const LONG_OK = 'a/' + 'b'.repeat(243);
const LONG_BAD = 'a/' + 'b'.repeat(244);

const label = (s: string): string => JSON.stringify(s.length > 60 ? `${s.slice(0, 57)}...` : s);

const ref = (domain: string, path: string, tag: string | null = null, digest: string | null = null): ImageReference => ({
  domain,
  path,
  repository: `${domain}/${path}`,
  tag,
  digest,
});

const valid: Array<[input: string, expected: ImageReference]> = [
  ['nginx', ref('docker.io', 'library/nginx')],
  ['nginx:1.25', ref('docker.io', 'library/nginx', '1.25')],
  [`nginx@${D}`, ref('docker.io', 'library/nginx', null, D)],
  [`nginx:1.25@${D}`, ref('docker.io', 'library/nginx', '1.25', D)],
  ['library/nginx', ref('docker.io', 'library/nginx')],
  ['docker.io/nginx', ref('docker.io', 'library/nginx')],
  ['docker.io/library/nginx:latest', ref('docker.io', 'library/nginx', 'latest')],
  ['index.docker.io/library/nginx', ref('docker.io', 'library/nginx')],
  ['index.docker.io/nginx', ref('docker.io', 'library/nginx')],
  ['docker.io/user/app', ref('docker.io', 'user/app')],
  ['user/repo', ref('docker.io', 'user/repo')],
  ['user/repo:tag', ref('docker.io', 'user/repo', 'tag')],
  ['localhost/x', ref('localhost', 'x')],
  ['localhost:5000/x:tag', ref('localhost:5000', 'x', 'tag')],
  [`ghcr.io/acme/web:v1@${D}`, ref('ghcr.io', 'acme/web', 'v1', D)],
  ['registry.example.com:443/a/b/c', ref('registry.example.com:443', 'a/b/c')],
  ['example.com/nginx', ref('example.com', 'nginx')],
  ['my-registry.local/app', ref('my-registry.local', 'app')],
  ['myregistry:5000/team/app', ref('myregistry:5000', 'team/app')],
  ['[::1]:5000/img', ref('[::1]:5000', 'img')],
  ['[2001:db8::1]/img:v2', ref('[2001:db8::1]', 'img', 'v2')],
  ['127.0.0.1:5000/x', ref('127.0.0.1:5000', 'x')],
  ['quay.io/org/sub/app:1.0.0-rc.1', ref('quay.io', 'org/sub/app', '1.0.0-rc.1')],
  ['a_b', ref('docker.io', 'library/a_b')],
  ['a__b', ref('docker.io', 'library/a__b')],
  ['a-----b', ref('docker.io', 'library/a-----b')],
  ['a.b', ref('docker.io', 'library/a.b')],
  ['0/1', ref('docker.io', '0/1')],
  [`nginx:${TAG128}`, ref('docker.io', 'library/nginx', TAG128)],
  ['nginx:_private', ref('docker.io', 'library/nginx', '_private')],
  ['nginx:Latest', ref('docker.io', 'library/nginx', 'Latest')],
  ['Example.com/x', ref('Example.com', 'x')],
  ['Registry/x', ref('Registry', 'x')],
  [LONG_OK, ref('docker.io', LONG_OK)],
];

const invalid: Array<[input: string, reason: RegExp]> = [
  ['', /reference is empty/],
  [' nginx', /leading or trailing whitespace/],
  ['nginx ', /leading or trailing whitespace/],
  ['\tnginx', /leading or trailing whitespace/],
  ['ngi nx', /invalid path component "ngi nx"/],
  [':tag', /repository name is empty/],
  [`@${D}`, /repository name is empty/],
  ['a//b', /empty path component/],
  ['a/b/', /must not end with "\/"/],
  ['/a', /must not start with "\/"/],
  ['a/-b', /invalid path component "-b"/],
  ['a/b_', /invalid path component "b_"/],
  ['a___b', /invalid path component "a___b"/],
  ['a._b', /invalid path component "a\._b"/],
  ['Nginx', /repository name must be lowercase/],
  ['acme/Web', /repository name must be lowercase/],
  ['Example.com/Web', /repository name must be lowercase/],
  ['nginx:-x', /invalid tag "-x"/],
  ['nginx:.x', /invalid tag "\.x"/],
  [`nginx:${TAG128}y`, /invalid tag ".*": tag must be at most 128 characters \(got 129\)/],
  ['nginx:', /tag is empty/],
  ['nginx:a:b', /invalid path component "nginx:a"/],
  ['nginx@', /digest is empty/],
  ['nginx:1.25@', /digest is empty/],
  [`nginx@sha256:${HEX.slice(1)}`, /64 lowercase hex characters \(got 63\)/],
  [`nginx@sha256:${HEX}0`, /64 lowercase hex characters \(got 65\)/],
  [`nginx@sha256:${HEX.toUpperCase()}`, /64 lowercase hex characters \(found uppercase hex\)/],
  [`nginx@sha256:${'z'.repeat(64)}`, /64 lowercase hex characters \(found non-hex characters\)/],
  [`nginx@md5:${'a'.repeat(32)}`, /unsupported algorithm "md5"; only sha256/],
  [`nginx@sha512:${'a'.repeat(128)}`, /unsupported algorithm "sha512"; only sha256/],
  [`nginx@${HEX}`, /invalid digest ".*": expected "sha256:/],
  [`nginx@${D}@${D}`, /at most one "@"/],
  [LONG_BAD, /name too long: 256 > 255/],
  ['http://nginx', /must not include a URL scheme/],
  ['https://ghcr.io/acme/web:v1', /must not include a URL scheme/],
  ['localhost:/x', /invalid domain "localhost:"/],
  ['registry.example.com:https/x', /invalid domain "registry\.example\.com:https"/],
  ['-bad.com/x', /invalid domain "-bad\.com"/],
  ['exa_mple.com/x', /invalid domain "exa_mple\.com"/],
  [HEX, /64-character hexadecimal string is an image ID/],
];

for (const [input, expected] of valid) {
  test(`parseImageReference accepts ${label(input)}`, () => {
    assert.deepEqual(parseImageReference(input), { ok: true, ref: expected });
  });
}

for (const [input, reason] of invalid) {
  test(`parseImageReference rejects ${label(input)}`, () => {
    const result = parseImageReference(input);
    assert.equal(result.ok, false);
    if (!result.ok) assert.match(result.reason, reason);
  });
}

test('parseRepositoryName normalises bare names', () => {
  assert.deepEqual(parseRepositoryName('nginx'), {
    ok: true,
    repository: 'docker.io/library/nginx',
    domain: 'docker.io',
    path: 'library/nginx',
  });
  assert.deepEqual(parseRepositoryName('index.docker.io/acme/web'), {
    ok: true,
    repository: 'docker.io/acme/web',
    domain: 'docker.io',
    path: 'acme/web',
  });
  assert.deepEqual(parseRepositoryName('localhost:5000/x'), {
    ok: true,
    repository: 'localhost:5000/x',
    domain: 'localhost:5000',
    path: 'x',
  });
  assert.deepEqual(parseRepositoryName('[::1]:5000/img'), {
    ok: true,
    repository: '[::1]:5000/img',
    domain: '[::1]:5000',
    path: 'img',
  });
});

test('parseRepositoryName refuses tags, digests and malformed names', () => {
  const cases: Array<[string, RegExp]> = [
    ['nginx:1.25', /must not include a tag/],
    ['localhost:5000/x:tag', /must not include a tag/],
    [`nginx@${D}`, /must not include a digest/],
    [`ghcr.io/acme/web:v1@${D}`, /must not include a digest/],
    ['', /reference is empty/],
    [' nginx', /whitespace/],
    ['Foo/Bar', /must be lowercase/],
    ['a//b', /empty path component/],
  ];
  for (const [input, reason] of cases) {
    const result = parseRepositoryName(input);
    assert.equal(result.ok, false, input);
    if (!result.ok) assert.match(result.reason, reason, input);
  }
});

test('isSha256Digest accepts only sha256 with 64 lowercase hex', () => {
  assert.equal(isSha256Digest(D), true);
  assert.equal(isSha256Digest(HEX), false);
  assert.equal(isSha256Digest(`sha256:${HEX.slice(1)}`), false);
  assert.equal(isSha256Digest(`sha256:${HEX}0`), false);
  assert.equal(isSha256Digest(`sha256:${HEX.toUpperCase()}`), false);
  assert.equal(isSha256Digest(`SHA256:${HEX}`), false);
  assert.equal(isSha256Digest(`sha512:${HEX}${HEX}`), false);
  assert.equal(isSha256Digest(` ${D}`), false);
  assert.equal(isSha256Digest(''), false);
});

test('formatImageReference renders repository[:tag][@digest]', () => {
  const repository = 'docker.io/library/nginx';
  assert.equal(formatImageReference({ repository, tag: null, digest: null }), repository);
  assert.equal(formatImageReference({ repository, tag: '1.25', digest: null }), `${repository}:1.25`);
  assert.equal(formatImageReference({ repository, tag: null, digest: D }), `${repository}@${D}`);
  assert.equal(formatImageReference({ repository, tag: '1.25', digest: D }), `${repository}:1.25@${D}`);
});

test('formatImageReference output re-parses to the same reference', () => {
  for (const [input, expected] of valid) {
    const rendered = formatImageReference(expected);
    assert.deepEqual(parseImageReference(rendered), { ok: true, ref: expected }, `${input} -> ${rendered}`);
  }
});
