import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateMethodConfig } from './event-config.js';

/* notifications.md "Methods": config checked at create time, a bad one is a 400 naming the field. */

const valid: Array<[method: string, config: Record<string, unknown>]> = [
  ['webhook', { url: 'https://hooks.example.com/tidewatch' }],
  ['webhook', { url: 'http://10.0.0.5:8080/in?x=1' }],
  ['webhook', { url: 'https://h.example/in', template: '{"text": "${repository} ${updated_tags}"}', headers: { Authorization: 'Bearer abc', 'X-Team': 'infra' } }],
  ['slack', { url: 'https://hooks.slack.com/services/T000/B000/XXXX' }],
  ['msteams', { url: 'https://acme.webhook.office.com/webhookb2/abc' }],
  ['email', { email: 'ops@example.com' }],
  ['email', { email: "o'brien+alerts@mail.example.co.uk" }],
];

const invalid: Array<[method: string, config: unknown, field: string, message: RegExp]> = [
  ['sms', { url: 'https://x.example' }, 'method', /one of webhook, slack, msteams, email/],
  ['webhook', null, 'config', /must be an object with url/],
  ['webhook', {}, 'config.url', /config\.url is required for webhook/],
  ['webhook', { url: 'ftp://x.example/a' }, 'config.url', /http or https URL \(got ftp:\)/],
  ['webhook', { url: 'not a url' }, 'config.url', /spaces or control characters/],
  ['webhook', { url: 'notaurl' }, 'config.url', /is not a URL/],
  ['webhook', { url: `https://x.example/${'a'.repeat(2048)}` }, 'config.url', /at most 2048 characters/],
  ['webhook', { url: 'https://user:pw@x.example/' }, 'config.url', /credentials/],
  ['webhook', { url: 'https://x.example/\n' }, 'config.url', /control characters/],
  ['webhook', { url: 42 }, 'config.url', /http or https URL/],
  ['webhook', { url: 'https://x.example', secret: 's' }, 'config.secret', /does not take "secret"; it takes url, template, headers/],
  ['webhook', { url: 'https://x.example', template: 7 }, 'config.template', /JSON template/],
  ['webhook', { url: 'https://x.example', template: '{"n": ${build_id}}' }, 'config.template', /not a usable template: the template is not JSON/],
  ['webhook', { url: 'https://x.example', template: '{"a": "${a b}"}' }, 'config.template', /not a dotted path/],
  ['webhook', { url: 'https://x.example', template: 'x'.repeat(65537) }, 'config.template', /at most 65536/],
  ['webhook', { url: 'https://x.example', headers: ['a'] }, 'config.headers', /object of header name/],
  ['webhook', { url: 'https://x.example', headers: { Host: 'evil' } }, 'config.headers', /must not set Host/],
  ['webhook', { url: 'https://x.example', headers: { 'Content-Length': '1' } }, 'config.headers', /must not set Content-Length/],
  ['webhook', { url: 'https://x.example', headers: { 'Transfer-Encoding': 'chunked' } }, 'config.headers', /hop-by-hop/],
  ['webhook', { url: 'https://x.example', headers: { 'Webhook-Signature': 'v1,x' } }, 'config.headers', /must not set Webhook-Signature/],
  ['webhook', { url: 'https://x.example', headers: { 'X-Tidewatch-Event': 'x' } }, 'config.headers', /must not set X-Tidewatch-Event/],
  ['webhook', { url: 'https://x.example', headers: { 'Bad Name': 'x' } }, 'config.headers', /not a header name/],
  ['webhook', { url: 'https://x.example', headers: { 'X-A': 'a\r\nX-Injected: 1' } }, 'config.headers', /without line breaks/],
  ['webhook', { url: 'https://x.example', headers: { 'X-A': 1 } }, 'config.headers', /X-A must be a string/],
  ['webhook', { url: 'https://x.example', headers: { 'x-a': '1', 'X-A': '2' } }, 'config.headers', /twice/],
  ['slack', { url: 'https://hooks.slack.com/x', channel: '#ops' }, 'config.channel', /does not take "channel"; it takes url/],
  ['msteams', {}, 'config.url', /required for msteams/],
  ['email', { email: 'not-an-address' }, 'config.email', /not a single e-mail address/],
  ['email', { email: 'a@b.example, c@d.example' }, 'config.email', /not a single e-mail address/],
  ['email', { email: 'ops@example.com\r\nBcc: x@evil.example' }, 'config.email', /not a single e-mail address/],
  ['email', { email: `${'a'.repeat(65)}@example.com` }, 'config.email', /not a single e-mail address/],
  ['email', { email: `a@${Array.from({ length: 5 }, () => 'b'.repeat(60)).join('.')}` }, 'config.email', /at most 254/],
  ['email', { email: null }, 'config.email', /must be an e-mail address/],
];

test(`${valid.length} valid method configs are kept as given`, () => {
  for (const [method, config] of valid) {
    assert.deepEqual(validateMethodConfig(method, config), { ok: true, value: config }, `${method} ${JSON.stringify(config)}`);
  }
});

test(`${invalid.length} invalid method configs, each refused naming the field and the rule`, () => {
  for (const [method, config, field, message] of invalid) {
    const result = validateMethodConfig(method, config);
    const label = `${method} ${JSON.stringify(config)?.slice(0, 80)}`;
    assert.equal(result.ok, false, label);
    if (result.ok) continue;
    assert.equal(result.field, field, label);
    assert.match(result.message, message, label);
  }
});

test('a webhook template is tried on the event\'s own sample payload when the event is given', () => {
  const template = '{"text": "${vulnerability.id} in ${package}"}';
  assert.equal(validateMethodConfig('webhook', { url: 'https://x.example', template }, 'vulnerability_found').ok, true);
  assert.equal(validateMethodConfig('webhook', { url: 'https://x.example', template: '{"t": "${build_id}"}' }, 'build_start').ok, true);
});
