import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from './ids.js';

test('newId makes RFC 9562 version 7 UUIDs that sort by creation time', () => {
  const a = newId(1_700_000_000_000);
  const b = newId(1_700_000_000_001);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.ok(a < b);
  assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), 1_700_000_000_000);
  const many = new Set(Array.from({ length: 10_000 }, () => newId()));
  assert.equal(many.size, 10_000);
});
