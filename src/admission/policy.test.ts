import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluate, policiesFor, validatePolicy, type ImageFacts, type ImageUnderPolicy, type Policy } from './policy.js';

const example = {
  name: 'prod-gate', environments: ['prod-eu/*', 'production'], mode: 'enforce',
  rules: {
    deny_severity: 'Critical', fixable_only: true, require_scan: true, require_digest: false,
    allowed_repositories: ['registry.example.com/acme/*'], ignore_vulnerabilities: ['CVE-2023-1234'],
  },
};
const withRules = (rules: Record<string, unknown>) => ({ ...example, rules });
const withTop = (key: string, value: unknown) => ({ ...example, [key]: value });

test('policy validation: each field and rule', () => {
  // [what, body, null when valid | [field, message pattern]]
  const rows: Array<[string, unknown, null | [string, RegExp]]> = [
    ['admission.md example', example, null],
    ['only deny_severity', withRules({ deny_severity: 'High' }), null],
    ['severity case-insensitive', withRules({ deny_severity: 'critical' }), null],
    ['only require_scan', withRules({ require_scan: true }), null],
    ['only require_digest', withRules({ require_digest: true }), null],
    ['only allowed_repositories', withRules({ allowed_repositories: ['ghcr.io/acme/**'] }), null],
    ['warn mode', withTop('mode', 'warn'), null],
    ['audit mode', withTop('mode', 'audit'), null],
    ['63-character name', withTop('name', 'a'.repeat(63)), null],
    ['empty ignore list', withRules({ deny_severity: 'High', ignore_vulnerabilities: [] }), null],
    ['not an object', [], ['body', /must be a JSON object, but it is an array/]],
    ['null body', null, ['body', /must be a JSON object, but it is null/]],
    ['unknown top-level key', withTop('description', 'x'), ['description', /is not a known field/]],
    ['missing name', { ...example, name: undefined }, ['name', /1–63 characters of a-z, 0-9 and -/]],
    ['empty name', withTop('name', ''), ['name', /1–63/]],
    ['64-character name', withTop('name', 'a'.repeat(64)), ['name', /1–63/]],
    ['uppercase name', withTop('name', 'Prod'), ['name', /a-z, 0-9 and -/]],
    ['the reserved name check', withTop('name', 'check'), ['name', /must not be check/]],
    ['name with a space', withTop('name', 'prod gate'), ['name', /a-z/]],
    ['environments missing', { ...example, environments: undefined }, ['environments', /must be an array, but it is missing/]],
    ['environments empty', withTop('environments', []), ['environments', /must not be empty/]],
    ['environment not a string', withTop('environments', ['prod', 5]), ['environments.1', /environment glob/]],
    ['environment with a space', withTop('environments', ['prod eu']), ['environments.0', /environment glob/]],
    ['mode unknown', withTop('mode', 'block'), ['mode', /must be one of enforce, warn, audit/]],
    ['mode missing', { ...example, mode: undefined }, ['mode', /enforce, warn, audit/]],
    ['rules missing', { ...example, rules: undefined }, ['rules', /must be an object, but it is missing/]],
    ['rules empty', withRules({}), ['rules', /at least one of deny_severity/]],
    ['only exceptions', withRules({ ignore_vulnerabilities: ['CVE-1'] }), ['rules', /at least one/]],
    ['require_scan false only', withRules({ require_scan: false }), ['rules', /at least one/]],
    ['unknown rule', withRules({ deny_severity: 'High', max_age_days: 30 }), ['rules.max_age_days', /is not a known field/]],
    ['severity unknown', withRules({ deny_severity: 'Severe' }), ['rules.deny_severity', /Critical, High, Medium, Low, Negligible, Unknown/]],
    ['severity as a number', withRules({ deny_severity: 1 }), ['rules.deny_severity', /must be one of/]],
    ['fixable_only as a string', withRules({ deny_severity: 'High', fixable_only: 'yes' }), ['rules.fixable_only', /true or false/]],
    ['fixable_only without deny_severity', withRules({ require_scan: true, fixable_only: true }), ['rules.fixable_only', /needs rules.deny_severity/]],
    ['require_digest as 1', withRules({ require_digest: 1 }), ['rules.require_digest', /true or false/]],
    ['allowed_repositories empty', withRules({ allowed_repositories: [] }), ['rules.allowed_repositories', /must not be empty/]],
    ['allowed_repositories a string', withRules({ allowed_repositories: 'ghcr.io/*' }), ['rules.allowed_repositories', /must be an array/]],
    ['repository glob with a space', withRules({ allowed_repositories: ['ghcr.io/acme web'] }), ['rules.allowed_repositories.0', /repository glob/]],
    ['ignore id with a space', withRules({ deny_severity: 'High', ignore_vulnerabilities: ['CVE 1'] }), ['rules.ignore_vulnerabilities.0', /vulnerability id/]],
    ['ignore id null', withRules({ deny_severity: 'High', ignore_vulnerabilities: [null] }), ['rules.ignore_vulnerabilities.0', /vulnerability id/]],
  ];
  assert.ok(rows.length >= 25);
  for (const [what, body, expected] of rows) {
    const result = validatePolicy(body);
    if (expected === null) {
      assert.ok(result.ok, `${what}: ${result.ok ? '' : result.message}`);
      continue;
    }
    assert.ok(!result.ok, `${what} should be refused`);
    assert.equal(result.field, expected[0], what);
    assert.match(result.message, expected[1], what);
    assert.ok(result.message.startsWith(`${expected[0]} `), `${what}: the message names the field`);
  }
});

test('a valid policy is returned with the severity in Quay spelling and nothing added', () => {
  const result = validatePolicy(withRules({ deny_severity: 'HIGH', require_scan: true }));
  assert.ok(result.ok);
  assert.deepEqual(result.value, { ...example, rules: { deny_severity: 'High', require_scan: true } });
});

test('policiesFor: environment globs, * within one segment', () => {
  const policies = [
    { name: 'eu', environments: ['prod-eu/*'] },
    { name: 'prod', environments: ['production', 'prod-*/payments'] },
    { name: 'all', environments: ['**'] },
  ];
  const names = (env: string) => policiesFor(env, policies).map((p) => p.name);
  assert.deepEqual(names('prod-eu/payments'), ['eu', 'prod', 'all']);
  assert.deepEqual(names('prod-eu/web'), ['eu', 'all']);
  assert.deepEqual(names('prod-eu/team/web'), ['all']);
  assert.deepEqual(names('prod-eu'), ['all']);
  assert.deepEqual(names('production'), ['prod', 'all']);
  assert.deepEqual(names('staging'), ['all']);
});

const nginx = `docker.io/library/nginx@sha256:${'a'.repeat(64)}`;
const image = (over: Partial<ImageUnderPolicy> = {}): ImageUnderPolicy => ({
  repository: 'docker.io/library/nginx', digest: `sha256:${'a'.repeat(64)}`, reference: nginx, pinned: true, resolvedFromTag: false, ...over,
});
const tagOnly = image({ digest: null, reference: 'docker.io/library/nginx:1.25', pinned: false });
const finding = (vulnerabilityId: string, severity: ImageFacts['findings'][number]['severity'], fixable = true, suppressed = false) =>
  ({ vulnerabilityId, severity, fixable, suppressed });
const facts = (...findings: ImageFacts['findings']): ImageFacts => ({ scanned: true, findings });
const unscanned: ImageFacts = { scanned: false, findings: [] };
const policy = (name: string, mode: Policy['mode'], rules: Policy['rules']): Policy => ({ name, environments: ['*'], mode, rules });
const critical = (mode: Policy['mode'] = 'enforce', rules: Policy['rules'] = {}) => policy('prod-gate', mode, { deny_severity: 'Critical', fixable_only: true, ...rules });

test('policy evaluation: each rule, each mode, strictest wins', () => {
  // [what, policies, image, facts, result, messages]
  const rows: Array<[string, Policy[], ImageUnderPolicy, ImageFacts, 'allowed' | 'warned' | 'refused', string[]]> = [
    ['no policies', [], image(), unscanned, 'allowed', []],
    ['clean image', [critical()], image(), facts(), 'allowed', []],
    ['the admission.md message', [critical()], image(), facts(finding('CVE-2023-44487', 'Critical'), finding('CVE-2024-0001', 'Critical')), 'refused',
      [`prod-gate: ${nginx} has 2 fixable Critical vulnerabilities (CVE-2023-44487, CVE-2024-0001)`]],
    ['one vulnerability, singular', [critical()], image(), facts(finding('CVE-1', 'Critical')), 'refused',
      [`prod-gate: ${nginx} has 1 fixable Critical vulnerability (CVE-1)`]],
    ['more than five ids: five then …', [critical()], image(), facts(...['A', 'B', 'C', 'D', 'E', 'F', 'G'].map((id) => finding(`CVE-${id}`, 'Critical'))), 'refused',
      [`prod-gate: ${nginx} has 7 fixable Critical vulnerabilities (CVE-A, CVE-B, CVE-C, CVE-D, CVE-E, …)`]],
    ['fixable_only: an unfixable Critical does not count', [critical()], image(), facts(finding('CVE-1', 'Critical', false)), 'allowed', []],
    ['without fixable_only it does', [critical('enforce', { fixable_only: false })], image(), facts(finding('CVE-1', 'Critical', false)), 'refused',
      [`prod-gate: ${nginx} has 1 Critical vulnerability (CVE-1)`]],
    ['High or worse, worst first, a CVE in two packages once', [policy('p', 'enforce', { deny_severity: 'High' })], image(),
      facts(finding('CVE-9', 'High'), finding('CVE-2', 'Critical'), finding('CVE-9', 'High'), finding('CVE-3', 'Medium')), 'refused',
      [`p: ${nginx} has 2 High or worse vulnerabilities (CVE-2, CVE-9)`]],
    ['below the threshold', [critical()], image(), facts(finding('CVE-1', 'High')), 'allowed', []],
    ['suppressed by triage', [critical()], image(), facts(finding('CVE-1', 'Critical', true, true)), 'allowed', []],
    ['ignore_vulnerabilities, case-insensitive', [critical('enforce', { ignore_vulnerabilities: ['cve-2023-1234'] })], image(),
      facts(finding('CVE-2023-1234', 'Critical'), finding('CVE-2023-5678', 'Critical')), 'refused',
      [`prod-gate: ${nginx} has 1 fixable Critical vulnerability (CVE-2023-5678)`]],
    ['require_scan: scanned', [policy('s', 'enforce', { require_scan: true })], image(), facts(), 'allowed', []],
    ['require_scan: no scan', [policy('s', 'enforce', { require_scan: true })], image(), unscanned, 'refused', [`s: ${nginx} has no scan`]],
    ['require_scan: no digest either', [policy('s', 'enforce', { require_scan: true })], tagOnly, unscanned, 'refused',
      ['s: docker.io/library/nginx:1.25 has no scan (no digest is known for it)']],
    ['require_digest: pinned by digest', [policy('d', 'enforce', { require_digest: true })], image(), unscanned, 'allowed', []],
    ['require_digest: tag resolved from history', [policy('d', 'enforce', { require_digest: true })],
      image({ reference: 'docker.io/library/nginx:1.25', pinned: false, resolvedFromTag: true }), unscanned, 'allowed', []],
    ['require_digest: a tag it cannot pin', [policy('d', 'enforce', { require_digest: true })], tagOnly, unscanned, 'refused',
      ['d: docker.io/library/nginx:1.25 is a tag Tidewatch cannot pin to a digest']],
    ['allowed_repositories: matches', [policy('r', 'enforce', { allowed_repositories: ['docker.io/library/*'] })], image(), unscanned, 'allowed', []],
    ['allowed_repositories: * stays within a segment', [policy('r', 'enforce', { allowed_repositories: ['docker.io/*', 'ghcr.io/acme/**'] })], image(), unscanned, 'refused',
      [`r: ${nginx} is not from an allowed repository (docker.io/*, ghcr.io/acme/**)`]],
    ['warn mode allows with a warning', [critical('warn')], image(), facts(finding('CVE-1', 'Critical')), 'warned',
      [`prod-gate: ${nginx} has 1 fixable Critical vulnerability (CVE-1)`]],
    ['audit mode allows, records only', [critical('audit')], image(), facts(finding('CVE-1', 'Critical')), 'allowed',
      [`prod-gate: ${nginx} has 1 fixable Critical vulnerability (CVE-1)`]],
    ['strictest wins: enforce over warn over audit', [
      policy('a', 'audit', { require_scan: true }), policy('w', 'warn', { require_scan: true }), policy('e', 'enforce', { require_scan: true }),
    ], image(), unscanned, 'refused', [`a: ${nginx} has no scan`, `w: ${nginx} has no scan`, `e: ${nginx} has no scan`]],
    ['warn beats audit', [policy('a', 'audit', { require_scan: true }), policy('w', 'warn', { require_scan: true })], image(), unscanned, 'warned',
      [`a: ${nginx} has no scan`, `w: ${nginx} has no scan`]],
    ['an enforce policy that passes does not rescue a warning', [policy('e', 'enforce', { require_scan: true }), policy('w', 'warn', { require_digest: true })],
      tagOnly, facts(), 'warned', ['w: docker.io/library/nginx:1.25 is a tag Tidewatch cannot pin to a digest']],
    ['every broken rule of one policy, in table order', [policy('all', 'enforce', { deny_severity: 'Critical', require_scan: true, require_digest: true, allowed_repositories: ['ghcr.io/**'] })],
      tagOnly, unscanned, 'refused', [
        'all: docker.io/library/nginx:1.25 has no scan (no digest is known for it)',
        'all: docker.io/library/nginx:1.25 is a tag Tidewatch cannot pin to a digest',
        'all: docker.io/library/nginx:1.25 is not from an allowed repository (ghcr.io/**)',
      ]],
  ];
  assert.ok(rows.length >= 20);
  for (const [what, policies, img, f, result, messages] of rows) {
    const out = evaluate(policies, img, f);
    assert.equal(out.result, result, what);
    assert.equal(out.allowed, result !== 'refused', what);
    assert.deepEqual(out.decisions.map((d) => d.message), messages, what);
    const byMode = (mode: string) => out.decisions.filter((d) => d.mode === mode).map((d) => d.message);
    assert.deepEqual(out.warnings, byMode('warn'), `${what}: warnings`);
    assert.equal(out.message, byMode('enforce').join('; ') || null, `${what}: refusal message`);
  }
});

test('decisions name the policy, its mode and the rule', () => {
  const out = evaluate([policy('e', 'enforce', { require_scan: true, require_digest: true })], tagOnly, unscanned);
  assert.deepEqual(out.decisions.map(({ policy: p, mode, rule }) => [p, mode, rule]), [['e', 'enforce', 'require_scan'], ['e', 'enforce', 'require_digest']]);
});
