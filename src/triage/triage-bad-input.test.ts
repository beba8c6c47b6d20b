import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEachEngine, openTestStorage, type TestStorage } from '../../test/support/engines.js';
import { startTestApp, type TestApp } from '../../test/support/app.js';

/*
 * The triage endpoints refuse bad input with 400 TW_VALIDATION naming the field and the rule (README "Errors"), store
 * nothing, and never answer 500 — on both engines (NUL and odd text reach PostgreSQL differently).
 */
const good = { vulnerability: 'CVE-2024-1000', state: 'not_affected', justification: 'code_not_reachable' };

const bodies: Array<[name: string, body: unknown, field: string, message: RegExp]> = [
  ['no vulnerability', { state: 'exploitable' }, 'vulnerability', /^vulnerability is required$/],
  ['vulnerability empty', { ...good, vulnerability: '' }, 'vulnerability', /^vulnerability must be a vulnerability id as scanners write it/],
  ['vulnerability a number', { ...good, vulnerability: 44228 }, 'vulnerability', /^vulnerability must be a string$/],
  ['vulnerability with a newline', { ...good, vulnerability: 'CVE-2024\n1' }, 'vulnerability', /^vulnerability must be a vulnerability id as scanners write it/],
  ['vulnerability with spaces', { ...good, vulnerability: 'CVE 2021 44228' }, 'vulnerability', /as scanners write it: a prefix, "-"/],
  ['vulnerability a bare number', { ...good, vulnerability: '44228' }, 'vulnerability', /as scanners write it/],
  ['vulnerability a pasted URL', { ...good, vulnerability: 'https://nvd.nist.gov/vuln/detail/CVE-2021-44228' }, 'vulnerability', /as scanners write it/],
  ['vulnerability over 256 characters', { ...good, vulnerability: `CVE-${'1'.repeat(253)}` }, 'vulnerability', /at most 256 characters/],
  ['vulnerability in lower case', { ...good, vulnerability: 'cve-2021-44228' }, 'vulnerability', /^vulnerability must be written as scanners write it, CVE-2021-44228, or it matches no finding$/],
  ['GHSA id of the wrong shape', { ...good, vulnerability: 'GHSA-1234-abcd' }, 'vulnerability', /^vulnerability must be a GitHub advisory id: GHSA- and three groups of four/],
  ['GHSA id in lower case', { ...good, vulnerability: 'ghsa-jfh8-c2jp-5v3q' }, 'vulnerability', /GHSA-jfh8-c2jp-5v3q, or it matches no finding/],
  ['no state', { vulnerability: 'CVE-2024-1' }, 'state', /^state is required$/],
  ['state not CycloneDX\'s', { ...good, state: 'fixed' }, 'state', /^state must be one of resolved, resolved_with_pedigree, exploitable, in_triage, false_positive, not_affected \(CycloneDX analysis states\)$/],
  ['state a number', { ...good, state: 3 }, 'state', /^state must be one of/],
  ['state in upper case', { ...good, state: 'NOT_AFFECTED' }, 'state', /^state must be one of/],
  ['justification not CycloneDX\'s', { ...good, justification: 'because' }, 'justification', /^justification must be one of code_not_present, code_not_reachable, .* \(CycloneDX analysis justifications\)$/],
  ['justification beside exploitable', { ...good, state: 'exploitable' }, 'justification', /^justification is given only with state not_affected \(why it does not affect\); state is exploitable$/],
  ['justification beside false_positive', { ...good, state: 'false_positive' }, 'justification', /state is false_positive$/],
  ['justification null', { ...good, justification: null }, 'justification', /^justification must be one of/],
  ['detail too long', { ...good, detail: 'd'.repeat(4097) }, 'detail', /^detail must be at most 4096 characters long$/],
  ['detail a number', { ...good, detail: 7 }, 'detail', /^detail must be a string$/],
  ['detail with NUL', { ...good, detail: 'x\u0000y' }, 'detail', /^detail must not contain the NUL character/],
  ['repository not lower case', { ...good, repository: 'ghcr.io/Acme/Shop' }, 'repository', /^repository is not a valid repository name: .*lowercase/],
  ['repository with a tag', { ...good, repository: 'ghcr.io/acme/shop:latest' }, 'repository', /^repository is not a valid repository name: .*must not include a tag/],
  ['repository with a digest', { ...good, repository: `ghcr.io/acme/shop@sha256:${'a'.repeat(64)}` }, 'repository', /must not include a digest/],
  ['repository a glob', { ...good, repository: 'ghcr.io/acme/*' }, 'repository', /^repository is not a valid repository name/],
  ['repository a list', { ...good, repository: ['ghcr.io/acme/shop'] }, 'repository', /^repository must be a string$/],
  ['repository empty', { ...good, repository: '' }, 'repository', /^repository must not be empty$/],
  ['package empty', { ...good, package: '' }, 'package', /^package must be 1–512 printable characters$/],
  ['package an object', { ...good, package: { name: 'openssl' } }, 'package', /^package must be a string$/],
  ['a field of its own', { ...good, severity: 'low' }, 'severity', /^severity is not a known field$/],
  ['a digest scope (not in the spec)', { ...good, digest: `sha256:${'a'.repeat(64)}` }, 'digest', /^digest is not a known field$/],
  ['a list instead of an object', [good], 'body', /^body must be an object$/],
];

const queries: Array<[name: string, query: string, field: string, message: RegExp]> = [
  ['limit 0', 'limit=0', 'query.limit', /^query\.limit must be >= 1$/],
  ['limit over 1000', 'limit=1001', 'query.limit', /^query\.limit must be <= 1000$/],
  ['limit not a number', 'limit=ten', 'query.limit', /^query\.limit must be an integer$/],
  ['offset negative', 'offset=-1', 'query.offset', /^query\.offset must be >= 0$/],
  ['state unknown', 'state=ignored', 'query.state', /^query\.state must be one of resolved, /],
  ['vulnerability with a space', 'vulnerability=CVE%202021', 'query.vulnerability', /as scanners write it/],
  ['vulnerability in lower case', 'vulnerability=cve-2021-44228', 'query.vulnerability', /CVE-2021-44228, or it matches no finding/],
  ['repository not a name', 'repository=Bad%20Name', 'query.repository', /^query\.repository is not a valid repository name/],
  ['package empty', 'package=', 'query.package', /^query\.package must be 1–512 printable characters$/],
];

describeEachEngine('triage endpoints: bad input', (engine) => {
  let storage: TestStorage;
  let t: TestApp;
  before(async () => { storage = await openTestStorage(engine); t = await startTestApp(storage); });
  after(async () => { await t?.close(); await storage?.dispose(); });

  for (const [name, body, field, message] of bodies) {
    test(`POST /triage, ${name}: 400 naming ${field}`, async () => {
      const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body });
      assert.equal(res.statusCode, 400, res.body);
      const { error } = res.json();
      assert.equal(error.code, 'TW_VALIDATION');
      assert.equal(error.field, field, res.body);
      assert.match(error.message, message);
    });
  }

  for (const [name, query, field, message] of queries) {
    test(`GET /triage?${query} (${name}): 400 naming ${field}`, async () => {
      const res = await t.call('GET', `/api/v1/triage?${query}`, { token: t.tokens.read });
      assert.equal(res.statusCode, 400, res.body);
      const { error } = res.json();
      assert.equal(error.code, 'TW_VALIDATION');
      assert.equal(error.field, field, res.body);
      assert.match(error.message, message);
    });
  }

  test('nothing was stored; the good body and ids scanners write are taken', async () => {
    assert.equal((await storage.db.selectFrom('triage').selectAll().execute()).length, 0);
    const ids = ['CVE-2021-44228', 'GHSA-jfh8-c2jp-5v3q', 'RHSA-2021:1234', 'RUSTSEC-2021-0001', 'TEMP-0000000-B6BAF4',
      'SNYK-JAVA-COMFASTERXMLJACKSONCORE-12345', 'pyup.io-38834', 'openSUSE-SU-2021:1234-1', 'GO-2022-0001'];
    for (const vulnerability of ids) {
      const res = await t.call('POST', '/api/v1/triage', { token: t.tokens.write, body: { ...good, vulnerability } });
      assert.equal(res.statusCode, 201, `${vulnerability}: ${res.body}`);
    }
  });

  test('DELETE of an id that is none, or of another length: 404, never 500', async () => {
    for (const id of ['not-an-id', '00000000-0000-4000-8000-000000000000', 'x'.repeat(64), '%00']) {
      const res = await t.call('DELETE', `/api/v1/triage/${id}`, { token: t.tokens.write });
      assert.ok(res.statusCode === 404 || res.statusCode === 400, `${id}: ${res.statusCode} ${res.body}`);
      assert.ok(['TW_NOT_FOUND', 'TW_VALIDATION'].includes(res.json().error.code), res.body);
    }
    const long = await t.call('DELETE', `/api/v1/triage/${'x'.repeat(65)}`, { token: t.tokens.write });
    assert.equal(long.statusCode, 400, long.body);
    assert.equal(long.json().error.field, 'params.id');
  });
});
