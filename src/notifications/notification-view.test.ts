import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maskUrl, publicConfig } from './notification-view.js';

test('maskUrl keeps what identifies a receiver and hides generated tokens', () => {
  assert.equal(maskUrl('https://hooks.slack.com/services/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'), 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/Xy7a****');
  assert.equal(
    maskUrl('https://acme.webhook.office.com/webhookb2/1f0b9c8e-1234-4a5b-9c8d-0e1f2a3b4c5d@72f988bf-86f1-41af-91ab-2d7cd011db47/IncomingWebhook/0123456789abcdef0123/1f0b9c8e-1234-4a5b-9c8d-0e1f2a3b4c5d'),
    'https://acme.webhook.office.com/webhookb2/1f0b****/IncomingWebhook/0123****/1f0b****',
  );
  assert.equal(
    maskUrl('https://prod-01.westus.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=Q2xvdWRTZWNyZXQ'),
    'https://prod-01.westus.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sp=****&sv=1.0&sig=****',
  );
  assert.equal(maskUrl('https://ci.example.com/hooks/notifications-receiver'), 'https://ci.example.com/hooks/notifications-receiver');
  assert.equal(maskUrl('not a url'), '****');
});

test('publicConfig masks secret-looking headers and leaves the rest', () => {
  assert.deepEqual(publicConfig({
    url: 'https://example.com/h?token=abc', template: '{"a":"${name}"}',
    headers: { Authorization: 'Basic dXNlcjpwYXNz', 'X-Auth-Token': 'abc', 'X-Signature-Key': 'k', 'X-Env': 'prod' },
  }), {
    url: 'https://example.com/h?token=****', template: '{"a":"${name}"}',
    headers: { Authorization: 'Basic ****', 'X-Auth-Token': '****', 'X-Signature-Key': '****', 'X-Env': 'prod' },
  });
  assert.deepEqual(publicConfig({ email: 'a@example.com' }), { email: 'a@example.com' });
});
