import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isSuppressingState, suppressionOf, type DecisionScope } from './suppression.js';
import { effectiveDecisions } from './vex-document.js';
import type { DecisionView } from './triage-queries.js';

const decision = (vulnerability_id: string, repository_id: string | null, pkg: string | null, state: string, created_at = '2026-01-01T00:00:00.000Z'): DecisionScope =>
  ({ vulnerability_id, repository_id, package: pkg, state, created_at });

test('suppressing states are not_affected, false_positive and resolved (with pedigree)', () => {
  assert.deepEqual(['not_affected', 'false_positive', 'resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage'].map(isSuppressingState),
    [true, true, true, true, false, false]);
});

test('the most specific decision holds: repository+package, repository, package, workspace', () => {
  const s = suppressionOf([
    decision('CVE-1', null, null, 'not_affected'),
    decision('CVE-1', null, 'openssl', 'exploitable'),
    decision('CVE-1', 'repo-a', null, 'in_triage'),
    decision('CVE-1', 'repo-a', 'zlib', 'false_positive'),
  ]);
  const f = (pkg: string) => ({ vulnerability_id: 'CVE-1', package: pkg });
  assert.equal(s.decisionFor('repo-a', f('zlib'))?.state, 'false_positive');
  assert.equal(s.decisionFor('repo-a', f('openssl'))?.state, 'in_triage');
  assert.equal(s.decisionFor('repo-b', f('openssl'))?.state, 'exploitable');
  assert.equal(s.decisionFor('repo-b', f('curl'))?.state, 'not_affected');
  assert.equal(s.decisionFor(null, f('curl'))?.state, 'not_affected');
  assert.equal(s.decisionFor('repo-a', { vulnerability_id: 'CVE-2', package: 'zlib' }), undefined);
  assert.equal(s.isSuppressed('repo-b', f('curl')), true);
  assert.equal(s.isSuppressed('repo-a', f('curl')), false);
  // Held by both: suppressed only when both suppress.
  assert.equal(s.isSuppressedInAll(['repo-a', 'repo-b'], f('zlib')), true);
  assert.equal(s.isSuppressedInAll(['repo-a', 'repo-b'], f('curl')), false);
  assert.equal(s.isSuppressedInAll([], f('curl')), true);
  assert.equal(s.size, 4);
});

test('of two decisions of one scope, the newer holds', () => {
  const s = suppressionOf([
    decision('CVE-1', null, null, 'not_affected', '2026-01-02T00:00:00.000Z'),
    decision('CVE-1', null, null, 'exploitable', '2026-01-01T00:00:00.000Z'),
  ]);
  assert.equal(s.decisionFor(null, { vulnerability_id: 'CVE-1', package: 'x' })?.state, 'not_affected');
});

test('the VEX of a repository: its decisions, and the workspace-wide ones it does not override', () => {
  const view = (id: string, vulnerability_id: string, repository_id: string | null, pkg: string | null): DecisionView => ({
    id, workspace_id: 'w', vulnerability_id, repository_id, package: pkg, state: 'not_affected', justification: null,
    detail: null, token_id: null, created_at: '2026-01-01T00:00:00.000Z', repository: repository_id,
  });
  const kept = effectiveDecisions([
    view('1', 'CVE-1', null, null), view('2', 'CVE-1', 'r', null), // overridden by the repository's own
    view('3', 'CVE-2', null, 'zlib'), view('4', 'CVE-2', 'r', 'curl'), // both hold: other packages
    view('5', 'CVE-3', null, 'zlib'), view('6', 'CVE-3', 'r', null), // the repository's "every package" ranks higher
    view('7', 'CVE-4', 'other', null), // another repository's: not here
  ], 'r');
  assert.deepEqual(kept.map((d) => d.id), ['2', '4', '3', '6']);
  assert.deepEqual(effectiveDecisions([view('1', 'CVE-1', null, null), view('2', 'CVE-1', 'r', null)], null).map((d) => d.id), ['1']);
});
