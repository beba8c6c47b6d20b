import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTemplate, SAMPLE_PAYLOAD, TemplateError, validateTemplate } from './webhook-template.js';

const push = {
  repository: 'acme/web',
  namespace: 'acme',
  name: 'web',
  docker_url: 'registry.example.com/acme/web',
  updated_tags: ['latest', 'v1.2'],
};
const vulnerability = {
  ...push,
  tags: ['latest'],
  vulnerability: { id: 'CVE-2024-3094', description: 'xz "backdoor"\nin liblzma\\', priority: 'Critical', has_fix: true },
  count: 3,
  nothing: null,
};
const render = (template: string, payload: unknown = vulnerability) => JSON.parse(renderTemplate(template, payload));

test('placeholders inside a string become text; arrays are joined with commas', () => {
  assert.deepEqual(render('{"text": "${repository} pushed ${updated_tags}"}', push), { text: 'acme/web pushed latest,v1.2' });
  assert.deepEqual(render('{"t": "${count} found, fix: ${vulnerability.has_fix}"}'), { t: '3 found, fix: true' });
  assert.deepEqual(render('{"v": "is ${vulnerability}"}', { vulnerability: { id: 'X' } }), { v: 'is {"id":"X"}' });
});

test('a lone placeholder keeps the value\u2019s JSON type, as in Quay', () => {
  assert.deepEqual(render('{"tags": "${updated_tags}", "n": "${count}", "fix": "${vulnerability.has_fix}"}'), {
    tags: ['latest', 'v1.2'],
    n: 3,
    fix: true,
  });
  assert.equal(render('"${vulnerability.id}"'), 'CVE-2024-3094');
  assert.deepEqual(render('{"v": "${vulnerability}"}'), { v: vulnerability.vulnerability });
});

test('dotted paths, array indexes and a leading $. reach nested values', () => {
  assert.deepEqual(render('["${vulnerability.priority}", "${updated_tags[1]}", "${updated_tags.0}", "${$.name}"]'), [
    'Critical',
    'v1.2',
    'latest',
    'web',
  ]);
});

test('a missing path or a null value renders as an empty string', () => {
  assert.deepEqual(render('{"a": "${no.such.path}", "b": "x${vulnerability.cvss}y", "c": "${nothing}", "d": "${updated_tags[9]}"}'), {
    a: '',
    b: 'xy',
    c: '',
    d: '',
  });
  // Only the payload's own fields are reachable, not JavaScript's prototypes.
  assert.deepEqual(render('["${constructor}", "${__proto__}", "${repository.length}"]'), ['', '', '']);
});

test('payload values are JSON-escaped and cannot inject fields', () => {
  const out = renderTemplate('{"text": "${vulnerability.description}", "ok": true}', vulnerability);
  assert.deepEqual(JSON.parse(out), { text: 'xz "backdoor"\nin liblzma\\', ok: true });
  const hostile = { repository: '", "admin": true, "x": "' };
  assert.deepEqual(Object.keys(render('{"text": "${repository}"}', hostile)), ['text']);
});

test('keys are templated too, and non-string template values pass through', () => {
  assert.deepEqual(render('{"${name}": {"tags": ["${tags}"], "n": 1, "f": false, "z": null}}'), {
    web: { tags: [['latest']], n: 1, f: false, z: null },
  });
});

test('validateTemplate accepts good templates and refuses what would not render to JSON', () => {
  validateTemplate('{"text": "${repository} pushed ${updated_tags}"}');
  validateTemplate('{"id": "${vulnerability.id}"}', vulnerability);
  validateTemplate('{"plain": "no placeholders"}', SAMPLE_PAYLOAD);
  const refused: Array<[string, RegExp]> = [
    ['{"n": ${count}}', /not JSON/],
    ['{"text": "${repository}"', /not JSON/],
    ['{"text": "${}"}', /empty placeholder/],
    ['{"text": "${vulnerability[*].id}"}', /not a dotted path/],
    ['{"text": "${a..b}"}', /not a dotted path/],
    ['{"${?(@.x)}": 1}', /not a dotted path/],
    ['', /not JSON/],
  ];
  for (const [template, reason] of refused) {
    assert.throws(() => validateTemplate(template), (error: unknown) => error instanceof TemplateError && reason.test(error.message), template);
  }
});
