/*
 * One attempt of one delivery, per method (notifications.md "Methods"). Never throws: whatever goes wrong becomes the
 * attempt's error, which the worker stores as a row. Every URL goes through the outbound guard again here, with the
 * allow list, on the address actually connected to.
 */
import { openSecret } from '../core/secret-box.js';
import { isEventKind } from '../notifications/event-config.js';
import { renderPayload } from '../notifications/event-payloads.js';
import { isObject, str, type JsonObject } from '../notifications/json-values.js';
import { emailMessage, slackMessage, teamsMessageCard } from '../notifications/message-formats.js';
import type { DeliveryWork } from './claim-deliveries.js';
import type { AttemptResult } from './delivery-schedule.js';
import type { EmailSender } from './email-sender.js';
import type { Agent } from 'undici';
import { guardedRequest, type AllowList, type Resolver } from './outbound-guard.js';
import { webhookHeaders } from './webhook-signature.js';
import { renderTemplate } from './webhook-template.js';

export interface SendContext {
  publicUrl: string;
  allow: AllowList;
  timeoutMs: number;
  /** Master keys by key id, to open signing secrets (secret-box.ts). */
  keys: ReadonlyMap<string, Buffer>;
  /** null when TIDEWATCH_SMTP_URL is not set. */
  mailer: EmailSender | null;
  resolve?: Resolver;
  /** The worker's guardedDispatcher: connections to a receiver are kept between its deliveries. */
  dispatcher?: Agent;
}

const USER_AGENT = 'Tidewatch-Notifications/1';

class Permanent extends Error {}

/** What a per-target concurrency limit counts: the receiver's origin, or the one SMTP server. */
export function targetOf(work: Pick<DeliveryWork, 'method' | 'config'>): string {
  if (work.method === 'email') return 'smtp:';
  try {
    const url = str((JSON.parse(work.config) as JsonObject).url);
    return url === undefined ? 'invalid:' : new URL(url).origin;
  } catch {
    return 'invalid:';
  }
}

export async function sendDelivery(work: DeliveryWork, ctx: SendContext): Promise<AttemptResult> {
  const started = performance.now();
  const failed = (error: unknown, permanent = false): AttemptResult => ({
    ok: false,
    statusCode: null,
    error: error instanceof Error ? error.message : String(error),
    latencyMs: Math.round(performance.now() - started),
    excerpt: null,
    permanent: permanent || error instanceof Permanent,
  });
  try {
    const kind = work.event_kind;
    if (!isEventKind(kind)) throw new Permanent(`unknown event kind "${kind}"`);
    const config = parseObject(work.config, 'the notification config');
    let payload: Record<string, unknown>;
    try {
      payload = renderPayload(kind, parseObject(work.event_data, 'the event data'), ctx.publicUrl);
    } catch (error) {
      throw new Permanent(`the event cannot be rendered: ${(error as Error).message}`);
    }
    switch (work.method) {
      case 'webhook':
        return await post(str(config.url), webhookRequest(work, config, payload, ctx), ctx, started);
      case 'slack':
        return await post(str(config.url), jsonRequest(JSON.stringify(slackMessage(kind, payload))), ctx, started);
      case 'msteams':
        return await post(str(config.url), jsonRequest(JSON.stringify(teamsMessageCard(kind, payload))), ctx, started);
      case 'email': {
        const to = str(config.email);
        if (to === undefined) throw new Permanent('the notification has no e-mail address');
        if (ctx.mailer === null) throw new Error('no SMTP server is configured (set TIDEWATCH_SMTP_URL)');
        const response = await ctx.mailer.send(to, emailMessage(kind, payload));
        return { ok: true, statusCode: null, error: null, latencyMs: Math.round(performance.now() - started), excerpt: response.slice(0, 4096) };
      }
      default:
        throw new Permanent(`unknown method "${work.method}"`);
    }
  } catch (error) {
    return failed(error);
  }
}

interface OutboundRequest {
  headers: Record<string, string>;
  body: string;
}

function jsonRequest(body: string): OutboundRequest {
  return { headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT }, body };
}

/**
 * The bare payload or the template's output, signed per Standard Webhooks with the notification's secret; the
 * webhook-id is the delivery id, the same on every attempt, so receivers can drop duplicates.
 */
function webhookRequest(work: DeliveryWork, config: JsonObject, payload: Record<string, unknown>, ctx: SendContext): OutboundRequest {
  const template = str(config.template);
  let body: string;
  try {
    body = template === undefined ? JSON.stringify(payload) : renderTemplate(template, payload);
  } catch (error) {
    throw new Permanent(`the template cannot be rendered: ${(error as Error).message}`);
  }
  if (work.secret_enc === null) throw new Permanent('the notification has no signing secret');
  let secret: string;
  try {
    secret = openSecret(work.secret_enc, ctx.keys, work.notification_id);
  } catch (error) {
    throw new Error(`the signing secret cannot be opened (was TIDEWATCH_SECRET_KEY changed?): ${(error as Error).message}`);
  }
  const custom = isObject(config.headers) ? config.headers : {};
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': USER_AGENT };
  for (const [name, value] of Object.entries(custom)) if (typeof value === 'string') headers[name.toLowerCase()] = value;
  Object.assign(headers, webhookHeaders(secret, work.id, body), {
    'x-tidewatch-event': work.event_kind,
    'x-tidewatch-event-time': work.event_created_at,
  });
  return { headers, body };
}

async function post(url: string | undefined, request: OutboundRequest, ctx: SendContext, started: number): Promise<AttemptResult> {
  if (url === undefined) throw new Permanent('the notification has no URL');
  const response = await guardedRequest(url, {
    allow: ctx.allow,
    method: 'POST',
    headers: request.headers,
    body: request.body,
    timeoutMs: ctx.timeoutMs,
    ...(ctx.resolve ? { resolve: ctx.resolve } : {}),
    ...(ctx.dispatcher ? { dispatcher: ctx.dispatcher } : {}),
  });
  const retryAfter = response.headers['retry-after'];
  return {
    ok: response.ok,
    statusCode: response.status,
    error: response.ok ? null : response.status >= 300 && response.status < 400
      ? `HTTP ${response.status}: redirects are not followed`
      : `HTTP ${response.status}`,
    latencyMs: Math.round(performance.now() - started),
    excerpt: response.excerpt,
    retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter,
  };
}

function parseObject(text: string, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Permanent(`${what} is not JSON`);
  }
  if (!isObject(value)) throw new Permanent(`${what} is not a JSON object`);
  return value;
}
