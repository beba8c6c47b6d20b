import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventKinds, type EventKind } from '../events/event-kinds.js';
import { buildEventData } from '../builds/build-events.js';
import type { BuildRow } from '../builds/build-queries.js';
import { repoPushData } from '../registry/record-pushes.js';
import { holderPart, storedJson } from '../scans/vulnerability-events.js';
import { withFinding } from '../delivery/event-findings.js';
import { renderPayload, samplePayload } from './event-payloads.js';

/*
 * notifications.md: "Payload key order and names follow the seed's samples". The samples are read from the seed
 * itself, so the comparison is with Quay's text, not with a copy of it; the event data is made by the functions that
 * write it (builds, registry, scans), so the comparison is with what Tidewatch actually stores.
 */
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const seedText = readFileSync(path.join(repoRoot, '../shared/seeds/quay-repository-notifications.ja.txt'), 'utf8');
const publicUrl = 'https://tidewatch.example.com';
const base = ['repository', 'namespace', 'name', 'docker_url', 'homepage'];

type Json = Record<string, any>;

/**
 * The seed is JSON with `//Optional` remarks after values; its samples were flattened onto one line each, so a
 * remark does not run to the end of the line: it is the word after `//`. Only `//` outside strings starts one (the
 * URLs in the samples hold `//` too).
 */
function stripComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '/' && text[i + 1] === '/') {
      i += 2;
      while (i < text.length && /[A-Za-z0-9_-]/.test(text[i]!)) i++;
      i--;
    } else {
      if (ch === '"') inString = true;
      out += ch;
    }
  }
  return out;
}

/** Event of each "11.1.N." heading of the seed, by its Japanese title. */
const headingKinds: Array<[RegExp, EventKind]> = [
  [/プッシュ/, 'repo_push'],
  [/ビルドのキュー/, 'build_queued'],
  [/ビルドの開始/, 'build_start'],
  [/正常な完了/, 'build_success'],
  [/ビルドの失敗/, 'build_failure'],
  [/ビルドの取り消し/, 'build_cancelled'],
  [/脆弱性/, 'vulnerability_found'],
];

/** The events a sample's own fields allow: build_start and build_cancelled carry the same ones. */
function kindsByFields(sample: Json): EventKind[] {
  if ('updated_tags' in sample) return ['repo_push'];
  if ('vulnerability' in sample) return ['vulnerability_found'];
  if ('is_manual' in sample) return ['build_queued'];
  if ('image_id' in sample || 'manifest_digests' in sample) return ['build_success'];
  if ('error_message' in sample) return ['build_failure'];
  return 'build_id' in sample ? ['build_start', 'build_cancelled'] : [];
}

function seedSamples(): Map<EventKind, Json> {
  const samples = new Map<EventKind, Json>();
  let kind: EventKind | undefined;
  for (const line of seedText.split('\n')) {
    if (/^11\.1\.\d+\./.test(line)) kind = headingKinds.find(([re]) => re.test(line))?.[1];
    if (!line.trim().startsWith('{')) continue;
    const sample = JSON.parse(stripComments(line)) as Json;
    assert.ok(kind, `a sample before any known heading: ${line.slice(0, 60)}`);
    assert.ok(kindsByFields(sample).includes(kind), `the heading says ${kind}, the fields say ${kindsByFields(sample).join(' or ')}`);
    assert.ok(!samples.has(kind), `two samples for ${kind}`);
    samples.set(kind, sample);
  }
  return samples;
}

const seed = seedSamples();
const sampleOf = (kind: EventKind): Json => seed.get(kind)!;

const buildRow = (kind: EventKind): BuildRow => {
  const s = sampleOf(kind);
  const queued = sampleOf('build_queued');
  return {
    id: s.build_id, workspace_id: 'w', repository_id: 'r', repository: 'quay.io/dgangaia/test', phase: 'x',
    build_name: s.build_name ?? null, docker_tags: JSON.stringify(s.docker_tags), trigger_kind: s.trigger_kind,
    trigger_id: s.trigger_id, trigger_metadata: JSON.stringify(s.trigger_metadata ?? queued.trigger_metadata),
    is_manual: 0, manual_user: null, image_id: s.image_id ?? null, manifest_digests: JSON.stringify(s.manifest_digests ?? []),
    error_message: s.error_message ?? null, commit_sha: null, created_at: '', started_at: null, finished_at: null, updated_at: '',
  };
};

const phases = { build_queued: 'queued', build_start: 'started', build_success: 'success', build_failure: 'failure', build_cancelled: 'cancelled' } as const;

/** Event data as the areas that record each Quay event write it, with the seed's values. */
function storedData(kind: EventKind): Json {
  if (kind === 'repo_push') {
    return repoPushData({ repository: 'quay.io/dgangaia/test', tag: 'latest', digest: `sha256:${'a'.repeat(64)}` }, 'quay');
  }
  if (kind === 'vulnerability_found') {
    const v = sampleOf(kind).vulnerability;
    // As the worker reads it: the row's data with the finding's fields put back (delivery/event-findings.ts).
    const finding = {
      scan_id: 's', workspace_id: 'w', digest: `sha256:${'b'.repeat(64)}`, vulnerability_id: v.id, package: 'openssl',
      installed_version: '3.0.2', location: null, fixed_version: '3.0.7', fix_state: 'fixed', severity: v.priority, cvss: 9.8,
      link: v.link, description: null, description_hash: null,
    };
    const stored = JSON.parse(storedJson(holderPart({ id: 'r', name: 'quay.io/dgangaia/repository' }, ['latest', 'othertag']), finding, null, false));
    return withFinding(stored, { ...finding, description: v.description }) as Json;
  }
  return buildEventData(buildRow(kind), phases[kind as keyof typeof phases]);
}

const typeOf = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Same types at every depth; same keys, in the same order unless `at` is exempt. */
function assertSameShape(ours: unknown, theirs: unknown, at: string, unordered: ReadonlySet<string>): void {
  assert.equal(typeOf(ours), typeOf(theirs), `${at}: ${typeOf(ours)} where the seed has ${typeOf(theirs)}`);
  if (Array.isArray(theirs) && theirs.length > 0) {
    for (const [i, item] of (ours as unknown[]).entries()) assertSameShape(item, theirs[0], `${at}[${i}]`, unordered);
  }
  if (typeOf(theirs) !== 'object') return;
  const [a, b] = [Object.keys(ours as Json), Object.keys(theirs as Json)];
  if (unordered.has(at)) assert.deepEqual([...a].sort(), [...b].sort(), `${at}: keys`);
  else assert.deepEqual(a, b, `${at}: keys and their order`);
  for (const key of b) assertSameShape((ours as Json)[key], (theirs as Json)[key], `${at}.${key}`, unordered);
}

describe('the seed', () => {
  test('has one sample for each of Quay\'s seven events', () => {
    assert.deepEqual([...seed.keys()].sort(), eventKinds.filter((k) => k !== 'image_deployed').sort());
  });
});

describe('renderPayload against the seed\'s samples', () => {
  // Tidewatch's additions to vulnerability_found (notifications.md), after Quay's fields.
  const added: Partial<Record<EventKind, string[]>> = { vulnerability_found: ['package', 'installed_version', 'fixed_version', 'digest'] };
  // The seed's build_queued sample orders trigger_metadata unlike the four other build samples (default_branch first,
  // author before committer); one order is rendered, that of the four.
  const unordered = (kind: EventKind) => new Set(kind === 'build_queued' ? ['payload.trigger_metadata', 'payload.trigger_metadata.commit_info'] : []);

  for (const kind of seed.keys()) {
    test(`${kind}: the seed's keys, base fields first, then the event's in the seed's order, with the seed's types`, () => {
      const sample = sampleOf(kind);
      const payload = renderPayload(kind, storedData(kind), publicUrl);
      const expected = [...base, ...Object.keys(sample).filter((k) => !base.includes(k)), ...(added[kind] ?? [])];
      assert.deepEqual(Object.keys(payload), expected);
      for (const key of Object.keys(sample)) assertSameShape(payload[key], sample[key], `payload.${key}`, unordered(kind));
      assert.deepEqual(JSON.parse(JSON.stringify(payload)), payload, 'no undefined values');
    });
  }

  test('the base fields\' values are Quay\'s, with the homepage on Tidewatch', () => {
    for (const kind of ['build_start', 'build_success', 'build_failure', 'build_cancelled', 'build_queued'] as const) {
      const sample = sampleOf(kind);
      const payload = renderPayload(kind, storedData(kind), publicUrl);
      for (const key of ['repository', 'namespace', 'name', 'docker_url']) assert.equal(payload[key], sample[key], `${kind}.${key}`);
      assert.equal(payload.homepage, `${publicUrl}/repositories/quay.io/dgangaia/test/build/${sample.build_id}`);
    }
    const vuln = renderPayload('vulnerability_found', storedData('vulnerability_found'), publicUrl);
    const vulnSample = sampleOf('vulnerability_found');
    // The one sample that lists the base fields in Quay's build_event_data order, the order rendered.
    assert.deepEqual(Object.keys(vulnSample).slice(0, 5), base);
    for (const key of ['repository', 'namespace', 'name', 'docker_url', 'tags', 'vulnerability']) assert.deepEqual(vuln[key], vulnSample[key], key);
    assert.equal(vuln.homepage, `${publicUrl}/repositories/quay.io/dgangaia/repository`);
    // The seed's repo_push sample contradicts itself (name "repository" in dgangaia/test): compare with the builds'.
    const push = renderPayload('repo_push', storedData('repo_push'), publicUrl);
    assert.deepEqual(push, {
      repository: 'dgangaia/test', namespace: 'dgangaia', name: 'test', docker_url: 'quay.io/dgangaia/test',
      homepage: `${publicUrl}/repositories/quay.io/dgangaia/test`, updated_tags: ['latest'],
    });
  });

  test('build values pass through: ids, tags, trigger metadata, digests, error', () => {
    for (const kind of ['build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled'] as const) {
      const sample = sampleOf(kind);
      const payload = renderPayload(kind, storedData(kind), publicUrl);
      for (const key of Object.keys(sample).filter((k) => !base.includes(k))) assert.deepEqual(payload[key], sample[key], `${kind}.${key}`);
    }
  });
});

describe('samplePayload', () => {
  const byKind = new Map(eventKinds.map((kind) => [kind, samplePayload(kind, `${publicUrl}/`)]));

  test('every event has one, with the base fields first and a homepage on Tidewatch', () => {
    for (const [kind, payload] of byKind) {
      assert.deepEqual(Object.keys(payload).slice(0, 5), base, kind);
      assert.deepEqual([payload.repository, payload.namespace, payload.name, payload.docker_url],
        ['acme/web', 'acme', 'web', 'registry.example.com/acme/web'], kind);
      const page = `${publicUrl}/repositories/registry.example.com/acme/web`;
      assert.equal(payload.homepage, kind.startsWith('build_') ? `${page}/build/${String(payload.build_id)}` : page, kind);
      assert.deepEqual(JSON.parse(JSON.stringify(payload)), payload, `${kind}: plain JSON`);
    }
  });

  test('Quay\'s events: every key of the seed\'s sample (optional ones filled), in the seed\'s types', () => {
    for (const [kind, sample] of seed) {
      const payload = byKind.get(kind)!;
      const unordered = new Set(kind === 'build_queued' ? ['payload.trigger_metadata', 'payload.trigger_metadata.commit_info'] : []);
      for (const key of Object.keys(sample)) assertSameShape(payload[key], sample[key], `payload.${key}`, unordered);
    }
  });

  test('image_deployed: environment, instance, digest, tags, platform, replaced_digest, vulnerabilities', () => {
    const payload = byKind.get('image_deployed')!;
    assert.deepEqual(Object.keys(payload).slice(5),
      ['environment', 'instance', 'digest', 'tags', 'platform', 'replaced_digest', 'vulnerabilities']);
    assert.deepEqual(Object.keys(payload.vulnerabilities as Json), ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown']);
  });

  test('vulnerability_found: Quay\'s fields and Tidewatch\'s package, versions and digest', () => {
    const payload = byKind.get('vulnerability_found')!;
    assert.deepEqual(Object.keys(payload).slice(5), ['tags', 'vulnerability', 'package', 'installed_version', 'fixed_version', 'digest']);
  });
});
