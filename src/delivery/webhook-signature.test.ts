import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Webhook } from 'standardwebhooks';
import { newSigningSecret, signWebhook, webhookHeaders } from './webhook-signature.js';

const body = JSON.stringify({ repository: 'acme/web', updated_tags: ['latest'], note: 'ünïcode ✓' });

test('a new secret is whsec_ and the base64 of 24 random bytes', () => {
  const secret = newSigningSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{32}$/);
  assert.equal(Buffer.from(secret.slice(6), 'base64').length, 24);
  assert.notEqual(newSigningSecret(), secret);
});

test('a Standard Webhooks receiver verifies our headers', () => {
  const secret = newSigningSecret();
  const headers = webhookHeaders(secret, '01890f4e-7f3c-7d2a-9b1e-3c4d5e6f7a8b', body, new Date());
  assert.deepEqual(Object.keys(headers), ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  assert.match(headers['webhook-signature'], /^v1,[A-Za-z0-9+/]+=*$/);
  assert.deepEqual(new Webhook(secret).verify(body, { ...headers }), JSON.parse(body));
  // A receiver holding the raw bytes of the body verifies the same.
  new Webhook(secret).verify(Buffer.from(body), { ...headers });
});

test('a tampered body, id, timestamp or another secret fails verification', () => {
  const secret = newSigningSecret();
  const headers = { ...webhookHeaders(secret, 'delivery-1', body) };
  const webhook = new Webhook(secret);
  assert.throws(() => webhook.verify(body.replace('acme', 'evil'), headers), /signature/i);
  assert.throws(() => webhook.verify(body, { ...headers, 'webhook-id': 'delivery-2' }), /signature/i);
  const earlier = String(Number(headers['webhook-timestamp']) - 1);
  assert.throws(() => webhook.verify(body, { ...headers, 'webhook-timestamp': earlier }), /signature/i);
  assert.throws(() => new Webhook(newSigningSecret()).verify(body, headers), /signature/i);
});

test('the signature matches the specification test vector', () => {
  // From the Standard Webhooks specification's reference libraries.
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const signed = signWebhook(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
  assert.equal(signed, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('the timestamp is whole seconds of `now`, and a mangled secret is refused', () => {
  const headers = webhookHeaders(newSigningSecret(), 'd', body, new Date(1_700_000_000_999));
  assert.equal(headers['webhook-timestamp'], '1700000000');
  assert.throws(() => signWebhook('whsec_not base64!', 'd', 1, body), /base64/);
  assert.throws(() => signWebhook('whsec_', 'd', 1, body), /base64/);
});
