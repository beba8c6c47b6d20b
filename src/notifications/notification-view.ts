/*
 * How a notification reads back (notifications.md "API"): Quay's view plus Tidewatch's, with `config` never showing
 * a secret in full. The signing secret is not in config at all (it is sealed in secret_enc and shown once, in the
 * create answer); what else in a config can be a credential is masked:
 * - a Slack or Teams incoming-webhook URL *is* a credential, and webhook URLs often carry tokens: long path segments
 *   that look generated (digits, or mixed-case letters) show their first 4 characters, query values their key only
 *   unless short and harmless (`api-version=2016-06-01` stays);
 * - headers whose name says auth, token, secret, key, password, signature, cookie or session show only a leading
 *   scheme word ("Bearer ****").
 */
import type { DeliveryRow } from '../delivery/delivery-queries.js';
import { isObject, type JsonObject } from './json-values.js';
import type { NotificationRow } from './notification-queries.js';

export interface NotificationView {
  uuid: string;
  title: string | null;
  event: string;
  method: string;
  config: Record<string, unknown>;
  event_config: Record<string, unknown>;
  number_of_failures: number;
  enabled: boolean;
  created_at: string;
  last_delivery: LastDeliveryView | null;
}

export interface LastDeliveryView {
  id: string;
  status: string;
  attempts: number;
  created_at: string;
  completed_at: string | null;
  next_attempt_at: string | null;
}

const MASK = '****';
const secretName = /auth|token|secret|key|pass|signature|cookie|session|credential/i;

export function notificationView(row: NotificationRow, last: DeliveryRow | undefined): NotificationView {
  return {
    uuid: row.id,
    title: row.title,
    event: row.event,
    method: row.method,
    config: publicConfig(parse(row.config)),
    event_config: parse(row.event_config),
    number_of_failures: row.number_of_failures,
    enabled: row.enabled === 1,
    created_at: row.created_at,
    last_delivery: last === undefined ? null : {
      id: last.id,
      status: last.status,
      attempts: last.attempts,
      created_at: last.created_at,
      completed_at: last.completed_at,
      next_attempt_at: last.status === 'pending' ? last.next_attempt_at : null,
    },
  };
}

export function publicConfig(config: JsonObject): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  if (typeof config.url === 'string') out.url = maskUrl(config.url);
  if (isObject(config.headers)) {
    out.headers = Object.fromEntries(Object.entries(config.headers).map(([name, value]) => [
      name, secretName.test(name) && typeof value === 'string' ? maskHeaderValue(value) : value,
    ]));
  }
  return out;
}

export function maskUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return MASK;
  }
  const path = url.pathname.split('/').map((segment) => (looksGenerated(segment) ? `${segment.slice(0, 4)}${MASK}` : segment)).join('/');
  const query = [...url.searchParams].map(([key, value]) => {
    const shown = !secretName.test(key) && !/^sig$|^sp$|^code$/i.test(key) && value.length <= 12;
    return `${encodeURIComponent(key)}=${shown ? encodeURIComponent(value) : MASK}`;
  });
  return `${url.origin}${path}${query.length > 0 ? `?${query.join('&')}` : ''}`;
}

function looksGenerated(segment: string): boolean {
  if (segment.length < 16) return false;
  return /\d/.test(segment) || (/^[A-Za-z0-9_]+$/.test(segment) && /[a-z]/.test(segment) && /[A-Z]/.test(segment));
}

function maskHeaderValue(value: string): string {
  const scheme = /^(Bearer|Basic|Token|Digest|Bot)\s/i.exec(value);
  return scheme ? `${scheme[1]} ${MASK}` : MASK;
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return isObject(value) ? { ...value } : {};
  } catch {
    return {};
  }
}
