import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonText } from './json-text.js';

/** JSON.parse of the text, or the error's class: what a body parser makes of it. */
function parsed(text: string): unknown {
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    return { error: (error as Error).name };
  }
}

const bytes = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
const long = 'x'.repeat(5000);

const cases: Array<[string, Buffer]> = [
  ['ASCII only', bytes('{"a":"b","n":[1,2.5,true,null]}')],
  ['an accented letter', bytes('{"d":"café"}')],
  ['CJK and an emoji (a surrogate pair)', bytes('{"d":"漢字 🚀 done"}')],
  ['non-ASCII in a key', bytes('{"clé":"v"}')],
  ['several runs and escapes beside them', bytes('{"d":"a\\n€b\\"ü\\u00e9"}')],
  ['a character across the 4096-byte chunk boundary', bytes(`{"d":"${'y'.repeat(4096 - 7)}`, 'é€😀', '"}')],
  ['non-ASCII in a later chunk only', bytes(`{"p":"${long}","d":"ñ"}`)],
  ['non-ASCII as the last bytes (truncated JSON)', bytes('{"d":"é')],
  ['a lone continuation byte', bytes('{"d":"a', [0x80], 'b"}')],
  ['a lead byte cut short by ASCII', bytes('{"d":"a', [0xe2, 0x82], 'b"}')],
  ['an overlong encoding', bytes('{"d":"', [0xc0, 0xaf], '"}')],
  ['an encoded surrogate (invalid UTF-8)', bytes('{"d":"', [0xed, 0xa0, 0x80], '"}')],
  ['bytes that are never UTF-8', bytes('{"d":"', [0xff, 0xfe], '"}')],
  ['a backslash before non-ASCII (an invalid escape)', bytes('{"d":"\\é"}')],
  ['an escaped backslash before non-ASCII', bytes('{"d":"\\\\é"}')],
  ['non-ASCII outside a string', bytes('{"d":1é}')],
  ['a byte order mark', bytes([0xef, 0xbb, 0xbf], '{"d":1}')],
  ['non-ASCII whitespace between tokens', bytes('{"d":\u00a01}')],
  ['an empty body', bytes('')],
];

for (const [name, body] of cases) {
  test(`${name}: parses to what toString('utf8') parses to`, () => {
    assert.deepEqual(parsed(jsonText(body)), parsed(body.toString('utf8')));
  });
}

test('ASCII text comes back as it is, and a text with runs outside ASCII escapes them', () => {
  assert.equal(jsonText(bytes('{"a":1}')), '{"a":1}');
  assert.equal(jsonText(bytes('{"d":"é😀"}')), '{"d":"\\u00e9\\ud83d\\ude00"}');
});

test('a text of 192 KiB to ~1 MB is padded with spaces to just past 1,031,913 bytes (kept outside V8\'s heap) and parses the same', () => {
  const value = { d: 'é'.repeat(10), p: 'x'.repeat(300 * 1024) };
  for (const body of [Buffer.from(JSON.stringify({ p: value.p })), Buffer.from(JSON.stringify(value))]) {
    const text = jsonText(body);
    assert.equal(text.length, 1_031_914);
    assert.match(text.slice(-10), /^ {10}$/);
    assert.deepEqual(JSON.parse(text), JSON.parse(body.toString('utf8')));
  }
  const twice = jsonText(Buffer.from('{"a":1}'.padEnd(200 * 1024, ' ')));
  assert.deepEqual(JSON.parse(twice), { a: 1 }, 'the reused buffer holds nothing of the text before');
  const small = Buffer.from(JSON.stringify({ p: 'x'.repeat(1000) }));
  assert.equal(jsonText(small), small.toString('latin1'), 'a short text is not padded');
  const large = Buffer.from(JSON.stringify({ p: 'x'.repeat(1_100_000) }));
  assert.equal(jsonText(large), large.toString('latin1'), 'nor one already past the limit');
});
