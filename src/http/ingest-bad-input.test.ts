import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import type { LightMyRequestResponse } from 'fastify';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { digest, startTestApp, tokensFor, type TestApp } from '../../test/support/app.js';
import { fixtureFolder } from '../../test/support/fixtures.js';
import { assertRefused, countRows } from '../../test/support/refusals.js';
import { requestTables as tables, withoutIndexFlag } from '../../test/support/tables.js';
import type { ErrorCode } from '../core/errors.js';
import type { Db } from '../core/db/database.js';
import { REPORT_LIMIT_BYTES } from '../scans/report-body-parser.js';
import { signGitHubBody } from '../registry/hook-secret.js';

/*
 * security.md "Bad input" and ingest.md, for the ingest paths (scan reports, registry hooks, pushes, builds, triage)
 * and the reads beside them: every malformed or hostile request is answered with its documented status, names the field
 * and the rule, never a 500; nothing partial is stored. Three groups, run in order against one app per engine:
 *  - refused rows: the whole database (every table of allTables, row by row) is the same afterwards;
 *  - hook bodies that are accepted and ignored (202): the database is the same afterwards too;
 *  - reports that are accepted (201): each asserts exactly what it stored.
 */

type TokenKind = 'read' | 'write' | 'admin' | 'b';

interface Row {
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** A function when the URL names something made in `before` (a build, a hook endpoint's secret). */
  url: string | (() => string);
  /** Whose token goes in `Authorization: Bearer …` (b: workspace B's write token); null sends none. Default write. */
  token?: TokenKind | null;
  /** An object is sent as JSON; a string or Buffer is sent as it is. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Why the row cannot run here (a fixture missing). */
  skip?: string | false;
  status: number;
  code: ErrorCode;
  message: RegExp;
  field?: string;
}

const D = digest('a1');
const D2 = digest('a2');
const D_B = digest('b1');
const SCANS = '/api/v1/scans';
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const scansOf = (image: string) => `${SCANS}?image=${encodeURIComponent(image)}`;
const pinned = scansOf(`ghcr.io/acme/web@${D}`);

/** What `before` made: the URLs of rows that name it are built from these. */
const seeded = { buildId: '', githubPath: '' };

// --- real reports, to break -------------------------------------------------------------------------------------------
const folders = {
  trivy: fixtureFolder('trivy'), grype: fixtureFolder('grype'), cyclonedx: fixtureFolder('cyclonedx'),
  sarif: fixtureFolder('sarif'), clair: fixtureFolder('clair'), registry: fixtureFolder('registry-notifications'),
};
type FolderName = keyof typeof folders;
/** A fixture's JSON (a fresh copy each time), or `fallback` when the fixtures are not there, so no row depends on them. */
function real(folder: FolderName, file: string, fallback: Record<string, unknown>): Record<string, any> {
  return folders[folder].needs(file).skip ? structuredClone(fallback) : folders[folder].load(file);
}
const fixtureBytes = (folder: FolderName, file: string) => (folders[folder].needs(file).skip ? Buffer.alloc(0) : folders[folder].bytes(file));
const needs = (folder: FolderName, file: string) => folders[folder].needs(file).skip;

const TRIVY = 'trivy-golden_alpine-310.json';
const TRIVY_GZ = 'securecodebox_juice-shop-v10.2.0.json.gz';
const GRYPE = 'kubevuln_alpine-by-digest.json';
const CDX = 'defectdojo_trivy-0.48.1_ubuntu_cdx1.5.json';
const SARIF = 'trivy-golden_alpine-310.sarif.json';
const CLAIR = 'clair-action_report-with-vulns.json.gz';
const PUSHES = 'distribution-docs_push-envelope.json';

const trivy = (patch: Record<string, unknown>) => ({ ...real('trivy', TRIVY, { SchemaVersion: 2, ArtifactName: 'x', Results: [] }), ...patch });
const grype = (patch: Record<string, unknown>) => ({ ...real('grype', GRYPE, { descriptor: { name: 'grype' }, matches: [] }), ...patch });
const cyclonedx = (patch: Record<string, unknown>) => ({ ...real('cyclonedx', CDX, { bomFormat: 'CycloneDX', specVersion: '1.5', vulnerabilities: [] }), ...patch });
const sarif = (patch: Record<string, unknown>) => ({ ...real('sarif', SARIF, { version: '2.1.0', runs: [] }), ...patch });
const clair = (patch: Record<string, unknown>) => ({ ...real('clair', CLAIR, { manifest_hash: D, packages: {}, vulnerabilities: {}, package_vulnerabilities: {} }), ...patch });

/** A Trivy JSON report of n bare findings; `pad` characters of description each. */
function generatedTrivy(n: number, pad = 0): string {
  return JSON.stringify({
    SchemaVersion: 2,
    ArtifactName: 'ghcr.io/acme/huge:1',
    ArtifactType: 'container_image',
    Results: [{
      Target: 'ghcr.io/acme/huge:1 (debian 12)',
      Class: 'os-pkgs',
      Vulnerabilities: Array.from({ length: n }, (_, i) => ({
        VulnerabilityID: `CVE-2024-${String(10000 + i)}`,
        PkgName: `pkg-${i % 5000}`,
        InstalledVersion: '1.0.0',
        FixedVersion: '1.0.1',
        Status: 'fixed',
        Severity: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'][i % 5],
        ...(pad > 0 ? { Description: 'd'.repeat(pad) } : {}),
      })),
    }],
  });
}

const nested = (levels: number, inner = '1') => `${'{"a":'.repeat(levels)}${inner}${'}'.repeat(levels)}`;

// --- scan reports -------------------------------------------------------------------------------------------------
const poisoned = {
  status: 400, code: 'TW_MALFORMED_JSON' as const, message: /^the body is not valid JSON, or holds a "__proto__" or "constructor\.prototype" key, which is refused$/,
};
const scan = (name: string, body: unknown, expect: Pick<Row, 'status' | 'code' | 'message' | 'field'>, extra: Partial<Row> = {}): Row =>
  ({ name, method: 'POST', url: pinned, body, ...expect, ...extra });
const report = (message: RegExp) => ({ status: 400, code: 'TW_VALIDATION' as const, field: 'body', message });
const malformed = { status: 400, code: 'TW_MALFORMED_JSON' as const, message: /^the body is not valid JSON/ };
const unrecognised = report(/^unrecognised report format: expected Trivy JSON, Grype JSON, CycloneDX, SARIF 2\.1\.0 or a Clair v4 report$/);
const queryImage = (message: RegExp) => ({ status: 400, code: 'TW_VALIDATION' as const, field: 'query.image', message });
const invalidImage = (rule: RegExp) => queryImage(new RegExp(`^query\\.image is not a valid image reference: .*${rule.source}`));
const tooLarge = (limit: number, decompressed = false) => ({
  status: 413, code: 'TW_PAYLOAD_TOO_LARGE' as const,
  message: new RegExp(`^the body is larger than this endpoint accepts \\(at most ${limit} bytes${decompressed ? ' once decompressed' : ''}\\)$`),
});
const nul = (at: string) => report(new RegExp(`^the report holds the NUL character \\(\\\\u0000\\) at ${esc(at)}, which cannot be stored; remove it$`));

const gzipBomb = gzipSync(Buffer.alloc(REPORT_LIMIT_BYTES + 1024 * 1024, 0x20));
const trivyText = fixtureBytes('trivy', TRIVY).toString('utf8');
const trivyGz = fixtureBytes('trivy', TRIVY_GZ);

const scanRows: Row[] = [
  // Truncated real reports.
  scan('truncated Trivy fixture', trivyText.slice(0, Math.floor(trivyText.length / 2)), malformed, { skip: needs('trivy', TRIVY) }),
  scan('Trivy fixture cut before its last brace', trivyText.trimEnd().slice(0, -1), malformed, { skip: needs('trivy', TRIVY) }),
  scan('truncated gzip of a real report', trivyGz.subarray(0, Math.floor(trivyGz.length / 2)), {
    status: 400, code: 'TW_BAD_REQUEST', message: /^the body is sent with Content-Encoding: gzip but does not decompress: unexpected end of file$/,
  }, { headers: { 'content-encoding': 'gzip' }, skip: needs('trivy', TRIVY_GZ) }),
  // Wrong types in each format's key fields, in real reports.
  scan('Trivy Results as a string', trivy({ Results: 'none' }), report(/^Trivy report: Results must be an array, but it is the string "none"\.$/)),
  scan('Trivy Results as an object', trivy({ Results: { Target: 'x' } }), report(/^Trivy report: Results must be an array, but it is an object\.$/)),
  scan('Trivy Results[0] as a number', trivy({ Results: [7] }), report(/^Trivy report: Results\[0\] must be an object, but it is 7\.$/)),
  scan('Trivy Vulnerabilities as a string', trivy({ Results: [{ Target: 't', Vulnerabilities: 'CVE-2024-1' }] }), report(/^Trivy report: Results\[0\]\.Vulnerabilities must be an array, but it is the string "CVE-2024-1"\.$/)),
  scan('Trivy VulnerabilityID as a number', trivy({ Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 2024, PkgName: 'p' }] }] }), report(/^Trivy report: Results\[0\]\.Vulnerabilities\[0\]\.VulnerabilityID must be a non-empty string, but it is 2024\.$/)),
  scan('Trivy SchemaVersion as a string', trivy({ SchemaVersion: '2' }), report(/^Trivy report: SchemaVersion must be 2, but it is the string "2"\.$/)),
  scan('Grype matches as an object', grype({ matches: { vulnerability: {} } }), report(/^Grype report: matches must be an array, but it is an object\.$/)),
  scan('Grype matches null', grype({ matches: null }), report(/^Grype report: matches must be an array, but it is null\.$/)),
  scan('Grype match without vulnerability', grype({ matches: [{ artifact: { name: 'p' } }] }), report(/^Grype report: matches\[0\]\.vulnerability must be an object, but it is missing\.$/)),
  scan('CycloneDX vulnerabilities null', cyclonedx({ vulnerabilities: null }), report(/^CycloneDX "vulnerabilities" must be an array\.$/)),
  scan('CycloneDX vulnerabilities as an object', cyclonedx({ vulnerabilities: { id: 'CVE-2024-1' } }), report(/^CycloneDX "vulnerabilities" must be an array\.$/)),
  scan('CycloneDX components as a string', cyclonedx({ components: 'none' }), report(/^CycloneDX "components" must be an array\.$/)),
  scan('CycloneDX vulnerability without id', cyclonedx({ vulnerabilities: [{ ratings: [] }] }), report(/^CycloneDX vulnerabilities\[0\] has no "id"\.$/)),
  scan('CycloneDX with bomFormat in the wrong case', cyclonedx({ bomFormat: 'cyclonedx' }), unrecognised),
  scan('SARIF runs as an object', sarif({ runs: { tool: {} } }), report(/^A SARIF log needs a "runs" array\.$/)),
  scan('SARIF runs null', sarif({ runs: null }), report(/^A SARIF log needs a "runs" array\.$/)),
  scan('SARIF run without tool.driver', sarif({ runs: [{ results: [] }] }), report(/^SARIF runs\[0\] has no tool\.driver\.$/)),
  // A SARIF log with no runs names no image: without ?image= there is nothing to pin it to.
  scan('SARIF with 0 runs and no ?image=', { version: '2.1.0', runs: [] }, queryImage(/^the report does not name its image by digest; pass \?image=<repository>@sha256:<digest>$/), { url: SCANS }),
  scan('Clair manifest_hash as a number', clair({ manifest_hash: 12345 }), report(/^Clair report: manifest_hash must be a string, but it is 12345\.$/)),
  scan('Clair vulnerabilities as an array', clair({ vulnerabilities: [] }), report(/^Clair report: vulnerabilities must be an object, but it is an array\.$/)),
  scan('Clair package_vulnerabilities naming an unknown vulnerability', clair({ package_vulnerabilities: { 1: ['nope'] } }), report(/^Clair report: package_vulnerabilities\["1"\] names vulnerability "nope", which is not in vulnerabilities\.$/)),
  // NUL, which PostgreSQL cannot store (it was a 500 there).
  scan('Trivy VulnerabilityID holding NUL', trivy({ Results: [{ Target: 't', Vulnerabilities: [{ VulnerabilityID: 'CVE-2024-1\u0000', PkgName: 'p' }] }] }), nul('Results[0].Vulnerabilities[0].VulnerabilityID')),
  scan('Grype descriptor.version holding NUL', grype({ descriptor: { name: 'grype', version: '0.74\u0000' } }), nul('descriptor.version')),
  scan('VEX detail holding NUL', { bomFormat: 'CycloneDX', specVersion: '1.6', vulnerabilities: [{ id: 'CVE-2024-1', analysis: { state: 'not_affected', detail: 'no\u0000' } }] }, nul('vulnerabilities[0].analysis.detail'), { url: SCANS }),
  // Not a report at all.
  scan('unsupported format {"foo":1}', '{"foo":1}', unrecognised),
  scan('null body', 'null', unrecognised),
  scan('a JSON string', '"trivy"', unrecognised),
  scan('a JSON array of reports', JSON.stringify([trivy({})]), unrecognised),
  scan('empty body', '', { status: 400, code: 'TW_MALFORMED_JSON', message: /^the body is not valid JSON: it is empty; send a JSON object$/ }),
  scan('100,000 levels of nested objects', nested(100_000), unrecognised),
  scan('100,000 levels of nested arrays', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, unrecognised),
  scan('100,000 unclosed levels', '{"a":'.repeat(100_000), malformed),
  scan('__proto__ in a report', `{"SchemaVersion":2,"Results":[],"__proto__":{"polluted":true}}`, poisoned),
  scan('__proto__ key with a space before the colon', `{"SchemaVersion":2,"Results":[],"__proto__" \n :{"polluted":true}}`, poisoned),
  scan('__proto__ key spelled with escapes', `{"SchemaVersion":2,"Results":[],"\\u005f_proto__":{"polluted":true}}`, poisoned),
  scan('__proto__ key with an uppercase escape', `{"SchemaVersion":2,"Results":[],"__pr\\u006Fto__":{"polluted":true}}`, poisoned),
  scan('constructor.prototype in a result', `{"SchemaVersion":2,"Results":[{"Target":"x","constructor":{"prototype":{"polluted":true}}}]}`, poisoned),
  // Content types and encodings.
  scan('text/plain', JSON.stringify(trivy({})), { status: 415, code: 'TW_UNSUPPORTED_MEDIA_TYPE', message: /^the body must be JSON: send Content-Type: application\/json$/ }, { headers: { 'content-type': 'text/plain' } }),
  scan('application/xml', '<report/>', { status: 415, code: 'TW_UNSUPPORTED_MEDIA_TYPE', message: /^the body must be JSON/ }, { headers: { 'content-type': 'application/xml' } }),
  scan('gzip claimed on plain JSON', JSON.stringify(trivy({})), {
    status: 400, code: 'TW_BAD_REQUEST', message: /^the body is sent with Content-Encoding: gzip but does not decompress: incorrect header check$/,
  }, { headers: { 'content-encoding': 'gzip' } }),
  scan('Content-Encoding br', JSON.stringify(trivy({})), {
    status: 415, code: 'TW_UNSUPPORTED_MEDIA_TYPE', message: /^Content-Encoding br is not accepted: send the report as it is, or gzip-compressed with Content-Encoding: gzip$/,
  }, { headers: { 'content-encoding': 'br' } }),
  scan('gzip bomb (small, expands past 10 MiB)', gzipBomb, tooLarge(REPORT_LIMIT_BYTES, true), { headers: { 'content-encoding': 'gzip' } }),
  scan('a body just over 10 MiB', `{"SchemaVersion":2,"Results":[],"pad":"${'x'.repeat(REPORT_LIMIT_BYTES)}"}`, tooLarge(REPORT_LIMIT_BYTES)),
  scan('50,000 findings with long descriptions (over 10 MiB): refused whole', generatedTrivy(50_000, 200), tooLarge(REPORT_LIMIT_BYTES)),
  // ?image=
  scan('?image= with a short digest', trivy({}), invalidImage(/64 lowercase hex characters \(got 3\)/), { url: scansOf('ghcr.io/acme/web@sha256:abc') }),
  scan('?image= with an uppercase digest', trivy({}), invalidImage(/64 lowercase hex characters \(found uppercase hex\)/), { url: scansOf(`ghcr.io/acme/web@sha256:${'A'.repeat(64)}`) }),
  scan('?image= with an md5 digest', trivy({}), invalidImage(/unsupported algorithm "md5"; only sha256/), { url: scansOf(`ghcr.io/acme/web@md5:${'a'.repeat(32)}`) }),
  scan('?image= without a digest', trivy({}), queryImage(/^query\.image must name the image by digest: <repository>@sha256:<64 hex> \(got "ghcr\.io\/acme\/web:1\.0"\)$/), { url: scansOf('ghcr.io/acme/web:1.0') }),
  scan('?image= empty', trivy({}), queryImage(/^query\.image must not be empty$/), { url: `${SCANS}?image=` }),
  scan('?image= given twice', trivy({}), queryImage(/^query\.image must be a string$/), { url: `${pinned}&image=${encodeURIComponent(`ghcr.io/acme/web@${D}`)}` }),
  scan('?image= in uppercase', trivy({}), invalidImage(/must be lowercase/), { url: scansOf(`ghcr.io/Acme/Web@${D}`) }),
  scan('a report naming no digest, without ?image=', { SchemaVersion: 2, ArtifactName: 'x', Results: [] }, queryImage(/^the report does not name its image by digest/), { url: SCANS }),
  // Roles.
  scan('a read token uploading a report', trivy({}), { status: 403, code: 'TW_FORBIDDEN', message: /^this needs a token with role write; this token has role read$/ }, { token: 'read' }),
  scan('no token uploading 10 MiB', 'x'.repeat(REPORT_LIMIT_BYTES), { status: 401, code: 'TW_UNAUTHORIZED', message: /^a valid token is required/ }, { token: null }),
];

// --- registry hooks -----------------------------------------------------------------------------------------------
const hook = (name: string, kind: string, body: unknown, expect: Pick<Row, 'status' | 'code' | 'message' | 'field'>, extra: Partial<Row> = {}): Row =>
  ({ name, method: 'POST', url: `/api/v1/hooks/${kind}`, body, ...expect, ...extra });
const notA = (kind: string, rule: RegExp) => ({ status: 400, code: 'TW_BAD_REQUEST' as const, message: new RegExp(`^the body is not a ${kind} notification: ${rule.source}`) });
const envelope = () => real('registry', PUSHES, {
  events: [{ id: 'e-0', action: 'push', target: { mediaType: 'application/vnd.docker.distribution.manifest.v2+json', digest: digest('f0'), repository: 'library/test', url: 'https://example.com/v2/library/test/manifests/x' }, request: { host: 'registrycluster.local' } }],
});
const harborDefault = { type: 'PUSH_ARTIFACT', occur_at: 1700000000, operator: 'admin', event_data: { resources: [{ digest: D, tag: 'v1', resource_url: `harbor.example.com/acme/web:v1` }], repository: { name: 'web', namespace: 'acme', repo_full_name: 'acme/web', repo_type: 'private' } } };
const githubBody = { action: 'published', package: { name: 'web', namespace: 'acme', package_type: 'CONTAINER', package_version: { name: D, container_metadata: { tag: { name: 'v1', digest: D } } } } };

const hookRows: Row[] = [
  hook('Distribution envelope with events as an object', 'distribution', { events: envelope().events[0] }, notA('distribution', /a Distribution notification envelope holds an "events" array, but it is an object$/)),
  hook('Distribution envelope with events null', 'distribution', { events: null }, notA('distribution', /a Distribution notification envelope holds an "events" array, but it is null$/)),
  hook('Distribution envelope as an array', 'distribution', JSON.stringify(envelope().events), notA('distribution', /a Distribution notification must be a JSON object \{"events": \[\.\.\.\]\}, but it is an array$/)),
  hook('Distribution envelope of text/plain', 'distribution', JSON.stringify(envelope()), { status: 415, code: 'TW_UNSUPPORTED_MEDIA_TYPE', message: /^the body must be JSON/ }, { headers: { 'content-type': 'text/plain' } }),
  hook('Distribution envelope truncated', 'distribution', JSON.stringify(envelope()).slice(0, 200), malformed),
  hook('Distribution envelope nested 100,000 levels', 'distribution', `{"events":[],"x":${nested(100_000)}}`, notA('distribution', /it nests more than 256 levels deep$/)),
  hook('Distribution event id nested 100,000 levels', 'distribution', `{"events":[{"action":"push","id":${nested(100_000)}}]}`, notA('distribution', /it nests more than 256 levels deep$/)),
  hook('Distribution envelope over 1 MiB', 'distribution', JSON.stringify({ events: [], pad: 'x'.repeat(1024 * 1024) }), tooLarge(1024 * 1024)),
  hook('Harbor without event_data', 'harbor', { type: 'PUSH_ARTIFACT', occur_at: 1700000000, operator: 'admin' }, notA('harbor', /a Harbor webhook payload has "type" and an "event_data" object/)),
  hook('Harbor with event_data as a string', 'harbor', { ...harborDefault, event_data: 'x' }, notA('harbor', /a Harbor webhook payload has "type" and an "event_data" object/)),
  hook('Harbor nested 100,000 levels', 'harbor', `{"type":"PUSH_ARTIFACT","event_data":{"resources":[]},"x":${nested(100_000)}}`, notA('harbor', /it nests more than 256 levels deep$/)),
  hook('Harbor CloudEvents with specversion 0.3', 'harbor', {
    specversion: '0.3', id: 'ce-1', source: '/projects/2/webhook/policies/15', type: 'harbor.artifact.pushed', data: harborDefault.event_data,
  }, notA('harbor', /a Harbor CloudEvents payload has specversion "1\.0", but it is a string "0\.3"$/), { headers: { 'content-type': 'application/cloudevents+json' } }),
  hook('Harbor CloudEvents with specversion as a number', 'harbor', {
    specversion: 1, id: 'ce-2', type: 'harbor.artifact.pushed', data: harborDefault.event_data,
  }, notA('harbor', /a Harbor CloudEvents payload has specversion "1\.0", but it is a number$/)),
  hook('Docker Hub without push_data', 'dockerhub', { callback_url: 'https://registry.hub.docker.com/u/acme/web/hook/x/', repository: { repo_name: 'acme/web' } }, notA('dockerhub', /a Docker Hub webhook payload has a "push_data" object and a "repository" object with "repo_name"$/)),
  hook('Docker Hub with repo_name as a number', 'dockerhub', { push_data: { tag: 'v1' }, repository: { repo_name: 7 } }, notA('dockerhub', /a Docker Hub webhook payload has a "push_data" object/)),
  hook('Quay without docker_url', 'quay', { repository: 'acme/web', updated_tags: ['v1'] }, notA('quay', /a Quay notification has "repository" \("namespace\/name"\) and "docker_url" strings$/)),
  hook('Quay nested 100,000 levels', 'quay', `{"repository":"acme/web","docker_url":"quay.io/acme/web","updated_tags":["v1"],"x":${nested(100_000)}}`, notA('quay', /it nests more than 256 levels deep$/)),
  hook('GitHub without a package object', 'github', { action: 'published', repository: {} }, notA('github', /a GitHub package webhook payload has a "package" or "registry_package" object/)),
  hook('GitHub package as a string', 'github', { action: 'published', package: 'web' }, notA('github', /a GitHub package event holds a "package" object, but it is a string$/)),
  hook('GitHub with a bad signature', 'github', githubBody, {
    status: 401, code: 'TW_UNAUTHORIZED', message: /^X-Hub-Signature-256 must be sha256= and the HMAC-SHA256 of the body under this hook's secret$/,
  }, { url: () => seeded.githubPath, token: null, headers: { 'x-github-event': 'package', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` } }),
  hook('GitHub signed with another secret', 'github', githubBody, {
    status: 401, code: 'TW_UNAUTHORIZED', message: /^X-Hub-Signature-256 must be/,
  }, { url: () => seeded.githubPath, token: null, headers: { 'x-github-event': 'package', 'x-hub-signature-256': signGitHubBody('not-the-secret', JSON.stringify(githubBody)) } }),
  hook('GitHub without a signature', 'github', githubBody, { status: 401, code: 'TW_UNAUTHORIZED', message: /^X-Hub-Signature-256 must be/ }, { url: () => seeded.githubPath, token: null, headers: { 'x-github-event': 'package' } }),
  hook('a hook URL with an unknown secret', 'quay', { repository: 'acme/web', docker_url: 'quay.io/acme/web', updated_tags: ['v1'] }, {
    status: 404, code: 'TW_NOT_FOUND', message: /^no quay hook endpoint at this URL$/,
  }, { url: '/api/v1/hooks/quay/not-a-secret', token: null }),
  hook('a hook URL of another kind\'s secret', 'dockerhub', { push_data: { tag: 'v1' }, repository: { repo_name: 'acme/web' } }, {
    status: 404, code: 'TW_NOT_FOUND', message: /^no dockerhub hook endpoint at this URL$/,
  }, { url: () => seeded.githubPath.replace('/github/', '/dockerhub/'), token: null }),
  hook('a read token posting a hook', 'distribution', envelope(), { status: 403, code: 'TW_FORBIDDEN', message: /^this needs a token with role write; this token has role read$/ }, { token: 'read' }),
];

// --- pushes, builds, triage, reads ----------------------------------------------------------------------------------
const v = (field: string, message: RegExp) => ({ status: 400, code: 'TW_VALIDATION' as const, field, message });
const post = (name: string, url: string | (() => string), body: unknown, expect: Pick<Row, 'status' | 'code' | 'message' | 'field'>, extra: Partial<Row> = {}): Row =>
  ({ name, method: 'POST', url, body, ...expect, ...extra });
const get = (name: string, url: string, expect: Pick<Row, 'status' | 'code' | 'message' | 'field'>): Row => ({ name, method: 'GET', url, token: 'read', ...expect });
const phaseUrl = () => `/api/v1/builds/${seeded.buildId}/phase`;

const otherRows: Row[] = [
  post('push of a tag-only image', '/api/v1/pushes', { image: 'ghcr.io/acme/web:1.0' }, v('image', /^image must be pinned by digest: host\/path\[:tag\]@sha256:<64 hex>$/)),
  post('push with a 63-hex digest', '/api/v1/pushes', { image: `ghcr.io/acme/web@sha256:${'a'.repeat(63)}` }, v('image', /^image is not a valid image reference: .*64 lowercase hex characters \(got 63\)/)),
  post('push with a bad platform', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, platform: { os: 'linux os', architecture: 'amd64' } }, v('platform.os', /^platform\.os must be 1–64 characters of A-Za-z0-9\._-$/)),
  post('push with platform missing architecture', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, platform: { os: 'linux' } }, v('platform.architecture', /^platform\.architecture is required$/)),
  post('push with a manifest of a bad digest', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, manifests: [{ digest: `sha256:${'A'.repeat(64)}` }] }, v('manifests.0.digest', /^manifests\.0\.digest must be sha256: followed by 64 lowercase hex characters$/)),
  post('push with a manifest of an md5 digest', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, manifests: [{ digest: D2 }, { digest: `md5:${'a'.repeat(32)}` }] }, v('manifests.1.digest', /^manifests\.1\.digest must be sha256:/)),
  post('push of an index listing itself', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, manifests: [{ digest: D }] }, v('manifests', /^an image index cannot list itself among its manifests$/)),
  post('push with manifests as an object', '/api/v1/pushes', { image: `ghcr.io/acme/web@${D}`, manifests: { digest: D } }, v('manifests', /^manifests must be an array$/)),
  post('build with a bad repository', '/api/v1/builds', { repository: 'ghcr.io/Acme/Web' }, v('repository', /^repository is not a valid repository name: .*must be lowercase/)),
  post('build with a bad docker tag', '/api/v1/builds', { repository: 'ghcr.io/acme/web', docker_tags: ['-latest'] }, v('docker_tags.0', /^docker_tags\.0 must be a Docker tag/)),
  post('build with trigger_metadata over 64 KiB', '/api/v1/builds', { repository: 'ghcr.io/acme/web', trigger_metadata: { blob: 'x'.repeat(70 * 1024) } }, v('trigger_metadata', /^trigger_metadata must be at most 65536 bytes as JSON \(got \d+\)$/)),
  post('build with trigger_metadata nested 10,000 levels', '/api/v1/builds', `{"repository":"ghcr.io/acme/web","trigger_metadata":${nested(10_000)}}`, v('trigger_metadata', /^trigger_metadata must be nested at most 16 levels deep$/)),
  post('build with trigger_metadata over the 1 MiB body limit', '/api/v1/builds', { repository: 'ghcr.io/acme/web', trigger_metadata: { blob: 'x'.repeat(1024 * 1024) } }, tooLarge(1024 * 1024)),
  post('build with trigger_metadata.commit that is not hex', '/api/v1/builds', { repository: 'ghcr.io/acme/web', trigger_metadata: { commit: 'main' } }, v('trigger_metadata.commit', /^trigger_metadata\.commit must be a git commit id: 7–64 hex characters$/)),
  post('build phase unknown', phaseUrl, { phase: 'exploded' }, v('phase', /^phase must be one of started, success, failure, cancelled$/)),
  post('build phase queued (set by creating it)', phaseUrl, { phase: 'queued' }, v('phase', /^phase must be one of started, success, failure, cancelled$/)),
  post('build phase success straight from queued', phaseUrl, { phase: 'success' }, { status: 409, code: 'TW_CONFLICT', message: /^build [0-9a-f-]{36} is queued; it cannot move to success; report started first$/ }),
  post('build phase failure straight from queued', phaseUrl, { phase: 'failure', error_message: 'boom' }, { status: 409, code: 'TW_CONFLICT', message: /^build [0-9a-f-]{36} is queued; it cannot move to failure; report started first$/ }),
  post('build phase started with image_id', phaseUrl, { phase: 'started', image_id: D }, v('image_id', /^image_id is only accepted with phase success \(this report is phase started\)$/)),
  post('build phase success with a bad manifest digest', phaseUrl, { phase: 'success', manifest_digests: [`ghcr.io/acme/web@sha256:${'a'.repeat(63)}`] }, v('manifest_digests.0', /^manifest_digests\.0 is not a valid image reference: .*got 63/)),
  post('build phase of a build id that is no UUID', '/api/v1/builds/42/phase', { phase: 'started' }, v('params.id', /^params\.id must be a build id \(a UUID\)$/)),
  post('build phase of an unknown build', '/api/v1/builds/00000000-0000-4000-8000-000000000000/phase', { phase: 'started' }, { status: 404, code: 'TW_NOT_FOUND', message: /^build 00000000-0000-4000-8000-000000000000 not found$/ }),
  post('triage with an unknown state', '/api/v1/triage', { vulnerability: 'CVE-2021-44228', state: 'ignored' }, v('state', /^state must be one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected \(CycloneDX analysis states\)$/)),
  post('triage with an unknown justification', '/api/v1/triage', { vulnerability: 'CVE-2021-44228', state: 'not_affected', justification: 'trust_me' }, v('justification', /^justification must be one of code_not_present, .* \(CycloneDX analysis justifications\)$/)),
  post('triage without vulnerability', '/api/v1/triage', { state: 'not_affected' }, v('vulnerability', /^vulnerability is required$/)),
  post('triage with vulnerability as a number', '/api/v1/triage', { vulnerability: 44228, state: 'not_affected' }, v('vulnerability', /^vulnerability must be a string$/)),
  post('triage with a bad repository', '/api/v1/triage', { vulnerability: 'CVE-2021-44228', state: 'not_affected', repository: 'ghcr.io/acme//web' }, v('repository', /^repository is not a valid repository name: .*empty path component/)),
  post('triage with an unknown field', '/api/v1/triage', { vulnerability: 'CVE-2021-44228', state: 'not_affected', severity: 'low' }, v('severity', /^severity is not a known field$/)),
  post('triage with NUL in detail', '/api/v1/triage', { vulnerability: 'CVE-2021-44228', state: 'not_affected', detail: 'x\u0000' }, v('detail', /^detail must not contain the NUL character \(\\u0000\)$/)),
  { name: 'withdraw an unknown triage decision', method: 'DELETE', url: '/api/v1/triage/00000000-0000-4000-8000-000000000000', status: 404, code: 'TW_NOT_FOUND', message: /^triage decision 00000000-0000-4000-8000-000000000000 not found$/ },
  get('compare with a bad base', `/api/v1/compare?base=nginx&head=env:production`, v('query.base', /^query\.base must be pinned by digest: <repository>@sha256:<64 hex>, or env:<environment> \(got "nginx"\)$/)),
  get('compare with a bad head', `/api/v1/compare?base=env:production&head=ghcr.io/acme/web@sha256:abc`, v('query.head', /^query\.head is neither env:<environment> nor a valid image reference: .*got 3/)),
  get('compare with an environment of a space', `/api/v1/compare?base=env:prod%20eu&head=env:production`, v('query.base', /^query\.base names an environment that is not valid/)),
  get('compare without base', `/api/v1/compare?head=env:production`, v('query.base', /^query\.base is required/)),
  get('compare with an unknown environment', `/api/v1/compare?base=env:nowhere&head=env:nowhere`, { status: 404, code: 'TW_NOT_FOUND', message: /^environment nowhere not found$/ }),
  get('trend with since=yesterday', '/api/v1/trend?since=yesterday', v('query.since', /^query\.since must be an ISO-8601 time such as 2026-01-31T00:00:00Z or 2026-01-31 \(got "yesterday"\)$/)),
  get('trend with since as a Unix time', '/api/v1/trend?since=1700000000', v('query.since', /^query\.since must be an ISO-8601 time/)),
  get('trend with bucket=week', '/api/v1/trend?bucket=week', v('query.bucket', /^query\.bucket must be one of day, hour, none$/)),
  get('environment trend with a bad since', '/api/v1/environments/production/trend?since=2026-13-45', v('query.since', /^query\.since must be an ISO-8601 time/)),
  get('image without a digest', '/api/v1/images/ghcr.io/acme/web:1.0', { status: 400, code: 'TW_BAD_REQUEST', message: /^the image reference in path must be pinned by digest: <repository>@sha256:<64 hex> \(got "ghcr\.io\/acme\/web:1\.0"\)$/ }),
  get('image with a 63-hex digest', `/api/v1/images/ghcr.io/acme/web@sha256:${'a'.repeat(63)}`, { status: 400, code: 'TW_BAD_REQUEST', message: /^invalid image reference in path: .*got 63/ }),
  get('an image no workspace has', `/api/v1/images/ghcr.io/acme/none@${D}`, { status: 404, code: 'TW_NOT_FOUND', message: /^image ghcr\.io\/acme\/none@sha256:0+a1 not found$/ }),
  get('image with an unknown severity filter', `/api/v1/images/ghcr.io/acme/web@${D}?severity=Severe`, v('query.severity', /^query\.severity must be a comma-separated list of Critical, High, Medium, Low, Negligible, Unknown \(got "Severe"\)$/)),
  get('vulnerability id with a space', '/api/v1/vulnerabilities/CVE%202021', v('params.id', /^params\.id must be a vulnerability id of 1–256 printable characters without spaces/)),
];

const rows: Row[] = [...scanRows, ...hookRows, ...otherRows];

// --- hook bodies that are accepted and ignored (202): registries retry failed deliveries forever --------------------
interface Ignored {
  name: string;
  kind: string;
  body: unknown;
  headers?: Record<string, string>;
  ignored: number;
}
const withEvent = (patch: (event: Record<string, any>) => void) => {
  const body = envelope();
  body.events = body.events.slice(0, 1);
  patch(body.events[0]);
  return body;
};
const ignoredRows: Ignored[] = [
  { name: 'Distribution event without target', kind: 'distribution', body: withEvent((e) => { delete e.target; }), ignored: 1 },
  { name: 'Distribution event with target as a string', kind: 'distribution', body: withEvent((e) => { e.target = 'library/test'; }), ignored: 1 },
  { name: 'Distribution push with a 63-hex digest', kind: 'distribution', body: withEvent((e) => { e.target.digest = `sha256:${'f'.repeat(63)}`; }), ignored: 1 },
  { name: 'Distribution push with an uppercase digest', kind: 'distribution', body: withEvent((e) => { e.target.digest = `sha256:${'F'.repeat(64)}`; }), ignored: 1 },
  { name: 'Distribution unknown action', kind: 'distribution', body: withEvent((e) => { e.action = 'teleport'; }), ignored: 1 },
  { name: 'Distribution pull', kind: 'distribution', body: real('registry', 'distribution-docs_pull-event-envelope.json', withEvent((e) => { e.action = 'pull'; })), ignored: 1 },
  { name: 'Distribution blob pushes', kind: 'distribution', body: (() => { const b = envelope(); b.events = b.events.slice(1); return b; })(), ignored: 2 },
  { name: 'Distribution empty events', kind: 'distribution', body: { events: [] }, ignored: 0 },
  { name: 'Distribution events that are not objects', kind: 'distribution', body: { events: [null, 7, 'push', []] }, ignored: 4 },
  { name: 'Harbor unknown event type', kind: 'harbor', body: { ...harborDefault, type: 'QUOTA_EXCEED' }, ignored: 1 },
  { name: 'Harbor resources not an array', kind: 'harbor', body: { ...harborDefault, event_data: { resources: 'x' } }, ignored: 1 },
  { name: 'Harbor resource with a bad digest', kind: 'harbor', body: { ...harborDefault, event_data: { ...harborDefault.event_data, resources: [{ digest: 'sha256:abc', tag: 'v1', resource_url: 'harbor.example.com/acme/web:v1' }] } }, ignored: 1 },
  { name: 'Docker Hub tag that is no tag', kind: 'dockerhub', body: { push_data: { tag: '-bad tag' }, repository: { repo_name: 'acme/web' } }, ignored: 1 },
  { name: 'Quay updated_tags not a list', kind: 'quay', body: { repository: 'acme/web', docker_url: 'quay.io/acme/web', updated_tags: 'latest' }, ignored: 1 },
  { name: 'Quay build event', kind: 'quay', body: { repository: 'acme/web', docker_url: 'quay.io/acme/web', build_id: 'b-1', build_name: 'x' }, ignored: 1 },
  { name: 'GitHub without package_version', kind: 'github', body: { action: 'published', package: { name: 'web', namespace: 'acme', package_type: 'CONTAINER' } }, headers: { 'x-github-event': 'package' }, ignored: 1 },
  { name: 'GitHub npm package', kind: 'github', body: { ...githubBody, package: { ...githubBody.package, package_type: 'npm' } }, headers: { 'x-github-event': 'package' }, ignored: 1 },
  { name: 'GitHub ping', kind: 'github', body: { zen: 'Keep it logically awesome.', hook_id: 1 }, headers: { 'x-github-event': 'ping' }, ignored: 1 },
];

// --- the database, whole --------------------------------------------------------------------------------------------
/** Every row of every table (tokens without last_used_at, which reads move), sorted, to prove none changed. */
async function snapshot(db: Db): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const table of tables) {
    const all = (await db.selectFrom(table).selectAll().execute()) as Array<Record<string, unknown>>;
    out[table] = all.map((r) => (table === 'tokens' ? { ...r, last_used_at: null } : withoutIndexFlag(table, r))).map((r) => JSON.stringify(r)).sort();
  }
  return out;
}

/** The tables whose row count changed, and by how much. */
function delta(before: Record<string, number>, after: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(after).filter((k) => after[k] !== before[k]).map((k) => [k, after[k]! - before[k]!]));
}

describeEachEngine('ingest bad input: documented status, the field named, nothing partial stored', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  let b: { workspaceId: string; tokens: Record<'read' | 'write' | 'admin', string> };
  let snapshotBefore: Record<string, string[]>;
  const statuses: Array<[string, number]> = [];

  before(async () => {
    storage = await openTestStorage(engine);
    t = await startTestApp(storage);
    b = await tokensFor(storage, 'other');
    // One running deployment, so environment reads reach the database rather than a 404.
    const deployed = await t.call('POST', '/api/v1/deployments', { body: { image: { url: `ghcr.io/acme/web@${D}` }, environment: { name: 'production' } } });
    assert.equal(deployed.statusCode, 201, deployed.body);
    const build = await t.call('POST', '/api/v1/builds', { token: t.tokens.write, body: { repository: 'ghcr.io/acme/web', build_name: 'queued' } });
    assert.equal(build.statusCode, 201, build.body);
    seeded.buildId = build.json().build_id;
    const endpoint = await t.call('POST', '/api/v1/hooks', { body: { kind: 'github', secret: 'the-signing-secret' } });
    assert.equal(endpoint.statusCode, 201, endpoint.body);
    seeded.githubPath = new URL(endpoint.json().url).pathname;
    // Workspace B has a repository A does not.
    const pushed = await t.call('POST', '/api/v1/pushes', { token: b.tokens.write, body: { image: `ghcr.io/bcorp/private:1.0@${D_B}` } });
    assert.equal(pushed.statusCode, 201, pushed.body);
    snapshotBefore = await snapshot(storage.db);
  });
  after(async () => { await t?.close(); await storage?.dispose(); });

  const tokenOf = (kind: TokenKind | null): string | null => (kind === null ? null : kind === 'b' ? b.tokens.write : t.tokens[kind]);

  async function send(row: Row): Promise<LightMyRequestResponse> {
    const url = typeof row.url === 'function' ? row.url() : row.url;
    return t.call(row.method, url, { token: tokenOf(row.token === undefined ? 'write' : row.token), body: row.body, ...(row.headers ? { headers: row.headers } : {}) });
  }

  for (const row of rows) {
    test(`${row.method} ${row.name} → ${row.status} ${row.code}`, { skip: row.skip ?? false }, async () => {
      const res = await send(row);
      statuses.push([row.name, res.statusCode]);
      assertRefused(res, row);
    });
  }

  test('after the refused rows: no 500, every table exactly as before, the server still answers', async () => {
    assert.equal(statuses.length, rows.filter((r) => !r.skip).length, 'every row ran');
    assert.deepEqual(statuses.filter(([, s]) => s >= 500), []);
    assert.deepEqual(await snapshot(storage.db), snapshotBefore);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    const build = await t.call('GET', `/api/v1/builds/${seeded.buildId}`, { token: t.tokens.read });
    assert.equal(build.json().phase, 'queued', 'the refused phases moved nothing');
  });

  for (const row of ignoredRows) {
    test(`POST /hooks/${row.kind}: ${row.name} → 202, ${row.ignored} ignored, nothing stored`, async () => {
      const res = await t.call('POST', `/api/v1/hooks/${row.kind}`, { token: t.tokens.write, body: row.body, ...(row.headers ? { headers: row.headers } : {}) });
      statuses.push([row.name, res.statusCode]);
      assert.equal(res.statusCode, 202, res.body);
      assert.deepEqual(res.json(), { recorded: 0, duplicates: 0, ignored: row.ignored, events: 0 });
    });
  }

  test('after the ignored hook bodies: every table exactly as before', async () => {
    assert.deepEqual(await snapshot(storage.db), snapshotBefore);
  });

  // --- accepted: each says exactly what it stored ------------------------------------------------------------------
  async function accepted(url: string, body: unknown, expectStored: (findings: number) => Record<string, number>, headers?: Record<string, string>) {
    const before = await countRows(storage.db);
    const res = await t.call('POST', url, { token: t.tokens.write, body, ...(headers ? { headers } : {}) });
    statuses.push([url, res.statusCode]);
    assert.equal(res.statusCode, 201, res.body.slice(0, 2000));
    assert.deepEqual(delta(before, await countRows(storage.db)), expectStored(res.json().findings));
    return res.json();
  }
  /**
   * A first scan of a digest in a new repository, running nowhere: its rows. No event: no notification listens on a
   * new repository (scans/vulnerability-events.ts holdersListening).
   */
  const firstScan = (findings: number) => ({
    repositories: 1, images: 1, scans: 1, audit_log: 1, ...(findings > 0 ? { findings } : {}),
  });

  test('unknown severities are stored as Unknown, not refused', async () => {
    const severities = ['SUPER', 'p0', '', 'constructor', 7, null];
    const body = { SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 't', Vulnerabilities: [
      ...severities.map((s, i) => ({ VulnerabilityID: `CVE-2024-${9000 + i}`, PkgName: 'p', Severity: s })),
      { VulnerabilityID: 'CVE-2024-9999', PkgName: 'p' },
    ] }] };
    const answer = await accepted(scansOf(`ghcr.io/acme/severity@${digest('c1')}`), body, firstScan);
    assert.equal(answer.findings, 7);
    assert.deepEqual(answer.by_severity, { Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 7 });
    const stored = await storage.db.selectFrom('findings').select('severity').where('scan_id', '=', answer.scan_id).execute();
    assert.deepEqual(stored.map((f) => f.severity), Array(7).fill('Unknown'));
  });

  test('a CVSS score out of 0–10 is kept as no score (it was a 500 on PostgreSQL)', async () => {
    const body = { SchemaVersion: 2, ArtifactName: 'x', Results: [{ Target: 't', Vulnerabilities: [
      { VulnerabilityID: 'CVE-2024-1', PkgName: 'p', Severity: 'HIGH', CVSS: { nvd: { V3Score: 1e308 } } },
      { VulnerabilityID: 'CVE-2024-2', PkgName: 'p', Severity: 'HIGH', CVSS: { nvd: { V3Score: -3 } } },
      { VulnerabilityID: 'CVE-2024-3', PkgName: 'p', Severity: 'HIGH', CVSS: { nvd: { V3Score: 7.5 } } },
    ] }] };
    const answer = await accepted(scansOf(`ghcr.io/acme/cvss@${digest('c2')}`), body, firstScan);
    const stored = await storage.db.selectFrom('findings').select(['vulnerability_id', 'cvss']).where('scan_id', '=', answer.scan_id).orderBy('vulnerability_id').execute();
    assert.deepEqual(stored.map((f) => [f.vulnerability_id, f.cvss === null ? null : Number(f.cvss)]), [['CVE-2024-1', null], ['CVE-2024-2', null], ['CVE-2024-3', 7.5]]);
  });

  test('a SARIF log with 0 runs and ?image= is a scan that found nothing', async () => {
    const answer = await accepted(scansOf(`ghcr.io/acme/sarif@${digest('c3')}`), { version: '2.1.0', $schema: 'https://json.schemastore.org/sarif-2.1.0.json', runs: [] }, firstScan);
    assert.deepEqual([answer.format, answer.findings, answer.new], ['sarif', 0, 0]);
  });

  test('a report claiming another workspace\'s image is recorded for the uploader only; B sees nothing', async () => {
    const image = `ghcr.io/bcorp/private@${D_B}`;
    const bImageBefore = await t.call('GET', `/api/v1/images/${image}`, { token: b.tokens.read });
    assert.equal(bImageBefore.statusCode, 200, bImageBefore.body);
    const bCounts = async () => Object.fromEntries(await Promise.all((['repositories', 'images', 'scans', 'findings', 'events', 'audit_log', 'trend_points'] as const).map(async (table) => [table,
      Number((await storage.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).where('workspace_id', '=', b.workspaceId).executeTakeFirstOrThrow()).n)])));
    const before = await bCounts();
    const body = { SchemaVersion: 2, ArtifactName: image, Results: [{ Target: 't', Vulnerabilities: [
      { VulnerabilityID: 'CVE-2021-44228', PkgName: 'log4j-core', Severity: 'CRITICAL' },
      { VulnerabilityID: 'CVE-2022-22965', PkgName: 'spring-beans', Severity: 'CRITICAL' },
    ] }] };
    const answer = await accepted(scansOf(image), body, firstScan);
    assert.deepEqual(answer.image, { repository: 'ghcr.io/bcorp/private', digest: D_B });
    // Recorded in A: A's own repository of that name, and A's scan.
    const mine = await storage.db.selectFrom('scans').select('workspace_id').where('id', '=', answer.scan_id).executeTakeFirstOrThrow();
    assert.equal(mine.workspace_id, t.workspaceId);
    const aView = await t.call('GET', `/api/v1/images/${image}`, { token: t.tokens.read });
    assert.equal(aView.statusCode, 200, aView.body);
    assert.equal(aView.json().findings.total, 2);
    // B: nothing changed, and its image still has no scan.
    assert.deepEqual(await bCounts(), before);
    const bImage = await t.call('GET', `/api/v1/images/${image}`, { token: b.tokens.read });
    assert.equal(bImage.statusCode, 200, bImage.body);
    assert.equal(bImage.json().scan, null);
    assert.equal(bImage.json().findings.total, 0);
    assert.deepEqual(bImage.json(), bImageBefore.json());
    const bVuln = await t.call('GET', '/api/v1/vulnerabilities/CVE-2021-44228', { token: b.tokens.read });
    assert.equal(bVuln.statusCode, 200, bVuln.body);
    assert.deepEqual([bVuln.json().environments, bVuln.json().not_running], [[], []]);
  });

  test('50,000 findings: accepted and stored completely when within 10 MiB, else refused whole', async () => {
    const body = generatedTrivy(50_000);
    const bytes = Buffer.byteLength(body);
    const fits = bytes <= REPORT_LIMIT_BYTES;
    // Decided by the limit: about 7.8 MB, so it must fit.
    assert.ok(fits, `the generated report is ${bytes} bytes`);
    const before = await countRows(storage.db);
    const res = await t.call('POST', scansOf(`ghcr.io/acme/huge@${digest('c4')}`), { token: t.tokens.write, body });
    statuses.push(['50,000 findings', res.statusCode]);
    if (!fits) {
      assert.equal(res.statusCode, 413, res.body);
      assert.deepEqual(delta(before, await countRows(storage.db)), {});
      return;
    }
    assert.equal(res.statusCode, 201, res.body);
    const answer = res.json();
    assert.deepEqual([answer.findings, answer.new], [50_000, 50_000]);
    assert.deepEqual(answer.by_severity, { Critical: 10_000, High: 10_000, Medium: 10_000, Low: 10_000, Negligible: 0, Unknown: 10_000 });
    assert.deepEqual(delta(before, await countRows(storage.db)), firstScan(50_000));
    const stored = await storage.db.selectFrom('findings').select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.count<number>('vulnerability_id').distinct().as('ids')])
      .where('scan_id', '=', answer.scan_id).executeTakeFirstOrThrow();
    assert.deepEqual([Number(stored.n), Number(stored.ids)], [50_000, 50_000]);
  });

  test('the server is still up and no answer anywhere was a 500', async () => {
    assert.deepEqual(statuses.filter(([, s]) => s >= 500), []);
    const health = await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
  });
});

assert.ok(rows.length + ignoredRows.length >= 60, `${rows.length} + ${ignoredRows.length} rows`);
