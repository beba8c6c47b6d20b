import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDistribution } from './distribution-parser.js';
import { PayloadError } from './push-record.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;
const D3 = `sha256:${'3'.repeat(64)}`;

/** A hand-written envelope in the shape Debian's docker-registry 2.8 sends (see real-registry.test.ts). */
const event = (over: Record<string, unknown>, target: Record<string, unknown>) => ({
  id: 'e-1',
  timestamp: '2026-01-02T03:04:05Z',
  action: 'push',
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', size: 192, digest: D1, length: 192, repository: 'acme/web', url: `http://registry.example.com/v2/acme/web/manifests/${D1}`, tag: 'v1', ...target },
  request: { id: 'r', addr: '10.0.0.1:1234', host: 'registry.example.com:5000', method: 'PUT', useragent: 'skopeo/1.9.3' },
  actor: {},
  source: { addr: 'vm:5000', instanceID: 'i' },
  ...over,
});

describe('parseDistribution on hand-written envelopes', () => {
  test('a manifest push by tag is one record, named by request.host', () => {
    const out = parseDistribution({ events: [event({}, {})] });
    assert.equal(out.ignored, 0);
    assert.deepEqual(out.records, [{
      sourceEventId: 'e-1', action: 'push', repository: 'registry.example.com:5000/acme/web', tag: 'v1', digest: D1,
      mediaType: 'application/vnd.oci.image.manifest.v1+json', platform: null, children: [],
    }]);
  });

  test('blob pushes (by media type or /blobs/ url) and pulls are ignored', () => {
    const out = parseDistribution({ events: [
      event({ id: 'b1' }, { mediaType: 'application/octet-stream', url: `http://r/v2/acme/web/blobs/${D2}`, tag: undefined }),
      event({ id: 'b2' }, { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' }),
      event({ id: 'b3' }, { mediaType: 'application/vnd.oci.image.manifest.v1+json', url: `http://r/v2/acme/web/blobs/${D2}` }),
      event({ id: 'p1', action: 'pull' }, {}),
      event({ id: 'm1', action: 'mount' }, {}),
    ] });
    assert.deepEqual([out.records.length, out.ignored, out.notes.length], [0, 5, 5]);
  });

  test('deletes: by digest, by tag (no digest), and a repository delete is ignored', () => {
    const out = parseDistribution({ events: [
      event({ id: 'd1', action: 'delete' }, { mediaType: undefined, url: undefined, tag: undefined, digest: D1 }),
      event({ id: 'd2', action: 'delete' }, { mediaType: undefined, url: undefined, tag: 'latest', digest: undefined }),
      event({ id: 'd3', action: 'delete' }, { mediaType: undefined, url: undefined, tag: undefined, digest: undefined }),
    ] });
    assert.deepEqual(out.records.map((r) => [r.action, r.tag, r.digest]), [['delete', null, D1], ['delete', 'latest', null]]);
    assert.equal(out.ignored, 1);
  });

  test('an index push keeps the references Distribution 3 lists as children', () => {
    const out = parseDistribution({ events: [event({}, {
      mediaType: 'application/vnd.oci.image.index.v1+json',
      references: [
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D2, size: 1, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
        { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: D3, size: 1, platform: { os: 'linux', architecture: 'amd64' } },
      ],
    })] });
    assert.deepEqual(out.records[0]!.children, [
      { digest: D2, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } },
      { digest: D3, platform: { os: 'linux', architecture: 'amd64', variant: null } },
    ]);
  });

  test('a configured registry host wins over request.host; a host no runtime would read as one is ignored', () => {
    assert.equal(parseDistribution({ events: [event({}, {})] }, { registryHost: 'registry.acme.io' }).records[0]!.repository, 'registry.acme.io/acme/web');
    const bare = parseDistribution({ events: [event({ request: { host: 'registry' } }, {})] });
    assert.deepEqual([bare.records.length, bare.ignored], [0, 1]);
    assert.match(bare.notes[0]!, /registry_host/);
  });

  test('odd items are ignored without a TypeError; invalid digests and tags are ignored', () => {
    const out = parseDistribution({ events: [null, 3, 'x', [], {}, { action: 'push' }, { action: 'push', target: 'x' },
      event({}, { digest: 'sha256:abc' }), event({}, { tag: 'bad tag' }), event({}, { repository: 'UPPER/case' }),
      event({ request: null }, {}), event({ id: 7 }, {})] });
    assert.equal(out.ignored, 11);
    // The last event has no string id: it is still recorded, keyed by its content.
    assert.equal(out.records.length, 1);
    assert.match(out.records[0]!.sourceEventId!, /^[0-9a-f]{64}$/);
  });

  test('a body that is not an envelope throws PayloadError with a sentence', () => {
    for (const body of [null, [], 'events', 42, {}, { events: {} }, { events: 'x' }]) {
      assert.throws(() => parseDistribution(body), (e: unknown) => e instanceof PayloadError && /events/.test((e as Error).message), JSON.stringify(body));
    }
  });
});

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixturesDir = process.env.TIDEWATCH_FIXTURES_DIR ?? path.resolve(repoRoot, '../shared/fixtures');
const dir = path.join(fixturesDir, 'registry-notifications');
const skip = existsSync(dir) ? false : `fixtures not found at ${dir} (set TIDEWATCH_FIXTURES_DIR)`;
if (skip) console.log(`distribution-parser fixtures skipped: ${skip}`);

interface RawEvent { id: string; action: string; target: { mediaType: string; digest: string; repository: string; url: string; tag?: string }; request: { host: string } }
const load = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { events: RawEvent[] };
const manifestType = /manifest|index/;
const validDigest = /^sha256:[a-f0-9]{64}$/;

describe('parseDistribution on the Distribution fixtures', { skip }, () => {
  test('the pull envelope (docs): one pull, ignored', () => {
    const raw = load('distribution-docs_pull-event-envelope.json');
    const out = parseDistribution(raw);
    assert.equal(raw.events.filter((e) => e.action === 'pull').length, 1);
    assert.deepEqual([out.records.length, out.ignored], [0, raw.events.length]);
  });

  test('the push envelope (docs): the manifest is recorded, the layers (65-hex digests) ignored', () => {
    const raw = load('distribution-docs_push-envelope.json');
    const manifests = raw.events.filter((e) => e.action === 'push' && manifestType.test(e.target.mediaType));
    const out = parseDistribution(raw);
    assert.equal(out.records.length, manifests.length);
    assert.equal(out.ignored, raw.events.length - manifests.length);
    const [m] = manifests;
    assert.deepEqual(out.records[0], {
      sourceEventId: m!.id, action: 'push', repository: `${m!.request.host}/${m!.target.repository}`, tag: null,
      digest: m!.target.digest, mediaType: m!.target.mediaType, platform: null, children: [],
    });
  });

  test('the event_test.go envelope: the manifest has a placeholder digest and the layers are blobs, so all are ignored', () => {
    const raw = load('distribution-test_event-envelope-format.json');
    const recordable = raw.events.filter((e) => e.action === 'push' && manifestType.test(e.target.mediaType) && validDigest.test(e.target.digest));
    const out = parseDistribution(raw);
    assert.equal(recordable.length, 0);
    assert.deepEqual([out.records.length, out.ignored], [0, raw.events.length]);
  });
});
