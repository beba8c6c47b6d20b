import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EventKind } from '../events/event-kinds.js';
import { globMatches, validateEventConfig } from './event-config.js';
import { refMatches, refRegexProblem } from './ref-regex.js';

/* notifications.md: eventConfig is validated at create time; a bad one is a 400 naming the field. */

const valid: Array<[event: EventKind, config: unknown, normalised: Record<string, unknown>]> = [
  ['repo_push', undefined, {}],
  ['repo_push', null, {}],
  ['repo_push', {}, {}],
  ['repo_push', { tags: ['latest'] }, { tags: ['latest'] }],
  ['repo_push', { tags: ['v*', 'release-?', 'v*'] }, { tags: ['v*', 'release-?'] }],
  ['repo_push', { tags: null }, {}],
  ['build_queued', { 'ref-regex': 'refs/heads/main$' }, { 'ref-regex': 'refs/heads/main$' }],
  ['build_start', { 'ref-regex': 'refs/tags/v\\d+\\.\\d+\\.\\d+' }, { 'ref-regex': 'refs/tags/v\\d+\\.\\d+\\.\\d+' }],
  ['build_success', { 'ref-regex': 'refs/heads/(main|release/.*)' }, { 'ref-regex': 'refs/heads/(main|release/.*)' }],
  ['build_failure', { 'ref-regex': 'refs/tags/v\\d{1,6}\\.\\d{1,6}(-rc\\d{1,3})?' }, { 'ref-regex': 'refs/tags/v\\d{1,6}\\.\\d{1,6}(-rc\\d{1,3})?' }],
  ['build_cancelled', { 'ref-regex': 'refs/heads/[^/]+/[a-z0-9-]+' }, { 'ref-regex': 'refs/heads/[^/]+/[a-z0-9-]+' }],
  ['build_start', { 'ref-regex': '(?:refs/heads/)?(?<branch>main)' }, { 'ref-regex': '(?:refs/heads/)?(?<branch>main)' }],
  ['vulnerability_found', {}, { skip_inherited: true }],
  ['vulnerability_found', { level: 0 }, { level: 0, skip_inherited: true }],
  ['vulnerability_found', { level: 5, fixable_only: true, skip_inherited: false, environments: ['production', 'prod-eu/payments'] },
    { level: 5, fixable_only: true, skip_inherited: false, environments: ['production', 'prod-eu/payments'] }],
  ['image_deployed', {}, {}],
  ['image_deployed', { environments: ['staging', 'staging'], min_level: 1 }, { environments: ['staging'], min_level: 1 }],
  ['image_deployed', { min_level: 0 }, { min_level: 0 }],
];

const invalid: Array<[event: string, config: unknown, field: string, message: RegExp]> = [
  ['repo_pull', {}, 'event', /event must be one of repo_push, /],
  ['repo_push', [], 'eventConfig', /must be an object/],
  ['repo_push', 'tags', 'eventConfig', /must be an object/],
  ['repo_push', { tags: 'latest' }, 'eventConfig.tags', /must be a list of tag patterns/],
  ['repo_push', { tags: [] }, 'eventConfig.tags', /at least one tag pattern/],
  ['repo_push', { tags: [1] }, 'eventConfig.tags', /^eventConfig\.tags\[0\] must be a string/],
  ['repo_push', { tags: ['ok', ''] }, 'eventConfig.tags', /tags\[1\] must be 1 to 128 characters/],
  ['repo_push', { tags: ['feature/x'] }, 'eventConfig.tags', /only tag characters/],
  ['repo_push', { tags: ['x'.repeat(129)] }, 'eventConfig.tags', /1 to 128 characters/],
  ['repo_push', { tags: Array.from({ length: 51 }, (_, i) => `t${i}`) }, 'eventConfig.tags', /at most 50/],
  ['repo_push', { level: 3 }, 'eventConfig.level', /repo_push does not take "level"; it takes tags/],
  ['build_start', { 'ref-regex': '(' }, 'eventConfig.ref-regex', /not a valid regular expression/],
  ['build_start', { 'ref-regex': '[z-a]' }, 'eventConfig.ref-regex', /not a valid regular expression/],
  ['build_start', { 'ref-regex': '(a+)+$' }, 'eventConfig.ref-regex', /must not repeat a group/],
  ['build_queued', { 'ref-regex': 'refs/(a|aa)+' }, 'eventConfig.ref-regex', /must not repeat a group/],
  ['build_success', { 'ref-regex': '(\\w*)*x' }, 'eventConfig.ref-regex', /must not repeat a group/],
  ['build_failure', { 'ref-regex': '(?:a{2,})*' }, 'eventConfig.ref-regex', /must not repeat a group/],
  ['build_cancelled', { 'ref-regex': '((ab)*c)+' }, 'eventConfig.ref-regex', /must not repeat a group/],
  ['build_start', { 'ref-regex': '(a)\\1' }, 'eventConfig.ref-regex', /backreferences/],
  ['build_start', { 'ref-regex': '(?<x>a)\\k<x>' }, 'eventConfig.ref-regex', /backreferences/],
  ['build_start', { 'ref-regex': '.*a.*a.*a.*b' }, 'eventConfig.ref-regex', /too many ways to match/],
  ['build_start', { 'ref-regex': 'refs/tags/v\\d+\\.\\d+\\.\\d+(-rc\\d+)?' }, 'eventConfig.ref-regex', /too many ways to match/],
  ['build_start', { 'ref-regex': 'a?'.repeat(24) + 'a'.repeat(24) }, 'eventConfig.ref-regex', /too many ways to match/],
  ['build_start', { 'ref-regex': 'r'.repeat(257) }, 'eventConfig.ref-regex', /at most 256 characters \(got 257\)/],
  ['build_start', { 'ref-regex': 5 }, 'eventConfig.ref-regex', /must be a string/],
  ['build_start', { ref_regex: 'main' }, 'eventConfig.ref_regex', /does not take "ref_regex"; it takes ref-regex/],
  ['build_success', { tags: ['x'] }, 'eventConfig.tags', /build_success does not take "tags"/],
  ['vulnerability_found', { level: -1 }, 'eventConfig.level', /integer from 0 to 5/],
  ['vulnerability_found', { level: 6 }, 'eventConfig.level', /integer from 0 to 5/],
  ['vulnerability_found', { level: '3' }, 'eventConfig.level', /integer from 0 to 5/],
  ['vulnerability_found', { level: 2.5 }, 'eventConfig.level', /integer from 0 to 5/],
  ['vulnerability_found', { level: true }, 'eventConfig.level', /integer from 0 to 5/],
  ['vulnerability_found', { environments: 'production' }, 'eventConfig.environments', /must be a list of environment names/],
  ['vulnerability_found', { environments: ['production', 1] }, 'eventConfig.environments', /environments\[1\] must be a string/],
  ['vulnerability_found', { environments: [] }, 'eventConfig.environments', /at least one environment/],
  ['vulnerability_found', { environments: ['prod-*'] }, 'eventConfig.environments', /plain names, matched exactly; globs are not supported/],
  ['vulnerability_found', { environments: ['has space'] }, 'eventConfig.environments', /not an environment name/],
  ['vulnerability_found', { fixable_only: 'yes' }, 'eventConfig.fixable_only', /true or false/],
  ['vulnerability_found', { skip_inherited: 1 }, 'eventConfig.skip_inherited', /true or false/],
  ['vulnerability_found', { min_level: 1 }, 'eventConfig.min_level', /does not take "min_level"; it takes level, environments, fixable_only, skip_inherited/],
  ['image_deployed', { min_level: 9 }, 'eventConfig.min_level', /integer from 0 to 5/],
  ['image_deployed', { environments: [null] }, 'eventConfig.environments', /\[0\] must be a string/],
  ['image_deployed', { foo: 1, level: 2 }, 'eventConfig.foo', /does not take "foo", "level"; it takes environments, min_level/],
];

describe('validateEventConfig', () => {
  test(`${valid.length} valid configs, normalised`, () => {
    for (const [event, config, normalised] of valid) {
      assert.deepEqual(validateEventConfig(event, config), { ok: true, value: normalised }, `${event} ${JSON.stringify(config)}`);
    }
  });

  test(`${invalid.length} invalid configs, each refused naming the field and the rule`, () => {
    for (const [event, config, field, message] of invalid) {
      const result = validateEventConfig(event, config);
      const label = `${event} ${JSON.stringify(config)?.slice(0, 80)}`;
      assert.equal(result.ok, false, label);
      if (result.ok) continue;
      assert.equal(result.field, field, label);
      assert.match(result.message, message, label);
    }
  });

});

describe('the ref-regex screen keeps accepted patterns fast', () => {
  test('the worst accepted shapes stay well under a second on the longest ref that can match', () => {
    const ref = 'a'.repeat(256);
    const worst = ['\\w*\\w*\\w*!', '.*a.*a.*b', 'a{1,16}a{1,16}a{1,16}a{1,16}a{1,16}!', `${'a?'.repeat(21)}${'a'.repeat(21)}!`];
    for (const pattern of worst) {
      assert.equal(refRegexProblem(pattern), null, pattern);
      const started = performance.now();
      assert.equal(refMatches(pattern, ref), false);
      assert.ok(performance.now() - started < 1000, `${pattern} took ${performance.now() - started} ms`);
    }
  });

  test('refs over 256 characters never match, whatever the pattern', () => {
    assert.equal(refMatches('refs/heads/', `refs/heads/${'x'.repeat(245)}`), true);
    assert.equal(refMatches('refs/heads/', `refs/heads/${'x'.repeat(246)}`), false);
  });
});

describe('tag globs', () => {
  const cases: Array<[pattern: string, tag: string, matches: boolean]> = [
    ['latest', 'latest', true],
    ['latest', 'latest2', false],
    ['Latest', 'latest', false],
    ['v*', 'v1.2.3', true],
    ['v*', 'v', true],
    ['v*', 'release', false],
    ['release-?', 'release-1', true],
    ['release-?', 'release-10', false],
    ['release-?', 'release-', false],
    ['*-rc*', '1.0-rc1', true],
    ['*-rc*', '1.0', false],
    ['v1.0', 'v1x0', false],
    ['*', 'anything', true],
    ['*a*a*a*a*a*a*b', 'a'.repeat(128), false],
    ['??', 'ab', true],
    ['*.*.*', '1.2.3', true],
  ];
  test('`*` any run, `?` exactly one character, the whole tag', () => {
    for (const [pattern, tag, matches] of cases) assert.equal(globMatches(pattern, tag), matches, `${pattern} ~ ${tag.slice(0, 20)}`);
  });
});
