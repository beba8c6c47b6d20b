/*
 * Webhook signing per Standard Webhooks (notifications.md "Methods"): `webhook-signature` is `v1,` + base64
 * HMAC-SHA256 of `<webhook-id>.<webhook-timestamp>.<body>`, keyed with the base64-decoded part of a `whsec_` secret.
 * Quay receivers ignore these headers; receivers that check them can use any Standard Webhooks library.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A per-notification signing secret, shown once at creation (24 random bytes, as the spec's libraries generate). */
export function newSigningSecret(): string {
  return PREFIX + randomBytes(24).toString('base64');
}

function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  // Buffer.from(…, 'base64') skips junk silently; insist on strict base64 so a mangled secret fails loudly.
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(encoded) || encoded === '') {
    throw new Error('a webhook signing secret must be whsec_ followed by base64');
  }
  return Buffer.from(encoded, 'base64');
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string | Buffer): string {
  const hmac = createHmac('sha256', secretKey(secret));
  hmac.update(`${id}.${timestampSeconds}.`);
  hmac.update(body);
  return `v1,${hmac.digest('base64')}`;
}

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * `deliveryId` stays the same across retries (so receivers can drop duplicates); the timestamp is the send time, as
 * receivers reject timestamps more than a few minutes off their clock.
 */
export function webhookHeaders(secret: string, deliveryId: string, body: string | Buffer, now: Date = new Date()): WebhookHeaders {
  const timestamp = Math.floor(now.getTime() / 1000);
  return {
    'webhook-id': deliveryId,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook(secret, deliveryId, timestamp, body),
  };
}
