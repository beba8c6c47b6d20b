import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventKind } from '../events/event-kinds.js';
import { matchesEventConfig, validateEventConfig, type MatchContext } from './event-config.js';

/* Whether an event fires a notification, through the normalised config as it would be stored. */

const D = `sha256:${'f'.repeat(64)}`;

function config(event: EventKind, raw: unknown): Record<string, unknown> {
  const result = validateEventConfig(event, raw);
  assert.ok(result.ok, `config ${JSON.stringify(raw)} is valid`);
  return result.value;
}

type Row = [label: string, raw: unknown, data: Record<string, unknown>, context: MatchContext, fires: boolean];

function check(event: EventKind, rows: Row[]): void {
  for (const [label, raw, data, context, fires] of rows) {
    assert.equal(matchesEventConfig(event, config(event, raw), data, context), fires, label);
  }
}

test('repo_push: tags globs fire on any pushed tag that matches any pattern', () => {
  const push = (...tags: string[]) => ({ repository: 'acme/web', docker_url: 'ghcr.io/acme/web', updated_tags: tags });
  check('repo_push', [
    ['no filter fires on every push', {}, push('anything'), {}, true],
    ['exact tag', { tags: ['latest'] }, push('latest'), {}, true],
    ['another tag', { tags: ['latest'] }, push('v1'), {}, false],
    ['glob', { tags: ['v*'] }, push('v1.2.3'), {}, true],
    ['one of several pushed tags', { tags: ['v*'] }, push('main', 'v2'), {}, true],
    ['one of several patterns', { tags: ['main', 'release-?'] }, push('release-3'), {}, true],
    ['? is one character', { tags: ['release-?'] }, push('release-10'), {}, false],
    ['no tags pushed', { tags: ['*'] }, push(), {}, false],
  ]);
});

test('build events: ref-regex anchored at the start (^ implied, $ not), against trigger_metadata.ref', () => {
  const build = (ref?: unknown) => ({ repository: 'ghcr.io/acme/web', build_id: 'b', ...(ref === undefined ? {} : { trigger_metadata: { ref } }) });
  const rows: Row[] = [
    ['no filter, no ref', {}, build(), {}, true],
    ['a prefix matches: $ is not implied (Quay\'s re.match)', { 'ref-regex': 'refs/heads/ma' }, build('refs/heads/main'), {}, true],
    ['$ pins the end', { 'ref-regex': 'refs/heads/main$' }, build('refs/heads/main-old'), {}, false],
    ['$ pins the end, exact ref', { 'ref-regex': 'refs/heads/main$' }, build('refs/heads/main'), {}, true],
    ['^ is implied: no match in the middle', { 'ref-regex': 'heads/main' }, build('refs/heads/main'), {}, false],
    ['.* opts into a match anywhere', { 'ref-regex': '.*heads/main' }, build('refs/heads/main'), {}, true],
    ['alternatives are anchored as a whole', { 'ref-regex': 'refs/heads/x|refs/tags/' }, build('refs/tags/v1'), {}, true],
    ['the second alternative is anchored too', { 'ref-regex': 'refs/heads/x|refs/tags/' }, build('xrefs/tags/v1'), {}, false],
    ['set, and no ref: does not fire', { 'ref-regex': '.*' }, build(), {}, false],
    ['set, and a ref that is not a string', { 'ref-regex': '.*' }, build(42), {}, false],
    ['case-sensitive', { 'ref-regex': 'refs/heads/main' }, build('refs/heads/Main'), {}, false],
  ];
  for (const event of ['build_queued', 'build_start', 'build_success', 'build_failure', 'build_cancelled'] as const) check(event, rows);
});

test('vulnerability_found: level boundaries, fixable_only, skip_inherited (default true), environments', () => {
  const vuln = (priority: string, over: Record<string, unknown> = {}) => ({
    repository: 'ghcr.io/acme/web', digest: D, tags: ['latest'], package: 'openssl', inherited: false,
    vulnerability: { id: 'CVE-1', priority, has_fix: true }, level: ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'].indexOf(priority),
    ...over,
  });
  check('vulnerability_found', [
    ['no filter fires on every finding', {}, vuln('Unknown'), {}, true],
    ['level 0: Critical', { level: 0 }, vuln('Critical'), {}, true],
    ['level 0: not High', { level: 0 }, vuln('High'), {}, false],
    ['level 1: High (index = level)', { level: 1 }, vuln('High'), {}, true],
    ['level 1: not Medium (index = level + 1)', { level: 1 }, vuln('Medium'), {}, false],
    ['level 3: Low', { level: 3 }, vuln('Low'), {}, true],
    ['level 4: not Unknown', { level: 4 }, vuln('Unknown'), {}, false],
    ['level 5: Unknown too', { level: 5 }, vuln('Unknown'), {}, true],
    ['the priority decides when data.level is missing', { level: 1 }, vuln('Medium', { level: undefined }), {}, false],
    ['fixable_only: fixable', { fixable_only: true }, vuln('High'), {}, true],
    ['fixable_only: no fix', { fixable_only: true }, vuln('High', { vulnerability: { id: 'CVE-1', priority: 'High', has_fix: false } }), {}, false],
    ['fixable_only false is no filter', { fixable_only: false }, vuln('High', { vulnerability: { id: 'CVE-1', priority: 'High', has_fix: false } }), {}, true],
    ['skip_inherited by default', {}, vuln('Critical', { inherited: true }), {}, false],
    ['skip_inherited: true', { skip_inherited: true }, vuln('Critical', { inherited: true }), {}, false],
    ['skip_inherited: false reports inherited findings', { skip_inherited: false }, vuln('Critical', { inherited: true }), {}, true],
    ['not inherited', { skip_inherited: true }, vuln('Critical'), {}, true],
    ['environments: runs there', { environments: ['production'] }, vuln('High'), { runningIn: ['staging', 'production'] }, true],
    ['environments: runs elsewhere', { environments: ['production'] }, vuln('High'), { runningIn: ['staging'] }, false],
    ['environments: runs nowhere', { environments: ['production'] }, vuln('High'), { runningIn: [] }, false],
    ['environments: not known to run', { environments: ['production'] }, vuln('High'), {}, false],
    ['environments: exact names', { environments: ['production'] }, vuln('High'), { runningIn: ['Production', 'production-eu'] }, false],
    ['all filters at once', { level: 1, fixable_only: true, environments: ['prod-eu/payments'] }, vuln('High'), { runningIn: ['prod-eu/payments'] }, true],
  ]);
});

test('image_deployed: environments (exact names) and min_level against the image\'s open vulnerabilities', () => {
  const deployed = (environment: string, over: Record<string, unknown> = {}) => ({
    environment, instance: 'web', repository: 'ghcr.io/acme/web', digest: D, tags: [], ...over,
  });
  const counts = (c: Record<string, number>): MatchContext => ({ openVulnerabilities: c });
  check('image_deployed', [
    ['no filter fires on every deployment', {}, deployed('anywhere'), {}, true],
    ['listed environment', { environments: ['production', 'staging'] }, deployed('staging'), {}, true],
    ['other environment', { environments: ['production'] }, deployed('staging'), {}, false],
    ['names are exact, not prefixes', { environments: ['prod'] }, deployed('prod-eu'), {}, false],
    ['names with /', { environments: ['prod-eu/payments'] }, deployed('prod-eu/payments'), {}, true],
    ['min_level 1: one High open', { min_level: 1 }, deployed('p'), counts({ High: 1 }), true],
    ['min_level 1: a Critical is above', { min_level: 1 }, deployed('p'), counts({ Critical: 1 }), true],
    ['min_level 1: only Medium and below', { min_level: 1 }, deployed('p'), counts({ Medium: 5, Low: 9 }), false],
    ['min_level 0: zero Critical', { min_level: 0 }, deployed('p'), counts({ Critical: 0, High: 3 }), false],
    ['min_level 5: Unknown counts', { min_level: 5 }, deployed('p'), counts({ Unknown: 1 }), true],
    ['min_level: never scanned, no counts', { min_level: 3 }, deployed('p'), {}, false],
    ['min_level: counts carried in the data', { min_level: 2 }, deployed('p', { vulnerabilities: { Medium: 1 } }), {}, true],
    ['the context wins over the data', { min_level: 2 }, deployed('p', { vulnerabilities: { Medium: 1 } }), counts({ Low: 4 }), false],
    ['both filters', { environments: ['production'], min_level: 0 }, deployed('production'), counts({ Critical: 2 }), true],
    ['both filters, wrong environment', { environments: ['production'], min_level: 0 }, deployed('staging'), counts({ Critical: 2 }), false],
  ]);
});

describe('stored configs that no longer validate', () => {
  test('a ref-regex that does not compile matches nothing; wrong types count as not set', () => {
    const data = { repository: 'ghcr.io/a/b', build_id: 'b', trigger_metadata: { ref: 'refs/heads/main' } };
    assert.equal(matchesEventConfig('build_start', { 'ref-regex': '(' }, data), false);
    assert.equal(matchesEventConfig('repo_push', { tags: 'latest' }, { updated_tags: ['v1'] }), true);
    assert.equal(matchesEventConfig('vulnerability_found', { level: '0' }, { vulnerability: { priority: 'Low' } }), true);
  });
});
