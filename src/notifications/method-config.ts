/*
 * A notification's method `config` (notifications.md "Methods"), checked at create time. URL checks here are
 * syntactic; the outbound guard (delivery/outbound-guard.ts, security.md) judges the address at create time and
 * at every send.
 */
import type { EventKind } from '../events/event-kinds.js';
import { TemplateError, validateTemplate } from '../delivery/webhook-template.js';
import { samplePayload } from './event-payloads.js';

export const notificationMethods = ['webhook', 'slack', 'msteams', 'email'] as const;
export type NotificationMethod = (typeof notificationMethods)[number];

export type MethodConfigResult = { ok: true; value: Record<string, unknown> } | { ok: false; field: string; message: string };

type Check = (value: unknown, event: EventKind | undefined) => { value: unknown } | string;

const maxUrl = 2048;
const maxTemplate = 64 * 1024;
const maxHeaders = 20;
const maxHeaderValue = 1024;
const maxEmail = 254;

const urlCheck: Check = (value) => {
  if (typeof value !== 'string' || value === '') return 'must be an http or https URL';
  if (value.length > maxUrl) return `must be at most ${maxUrl} characters (got ${value.length})`;
  // WHATWG parsing trims and drops tabs and newlines silently; the URL stored must be the URL sent.
  if (/[\s\u0000-\u001f\u007f]/.test(value)) return 'must not contain spaces or control characters';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${JSON.stringify(value)} is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `must be an http or https URL (got ${url.protocol})`;
  if (url.hostname === '') return 'must name a host';
  // The outbound guard refuses these at send time; say so now, and keep passwords out of a config that is read back.
  if (url.username !== '' || url.password !== '') return 'must not carry credentials; put them in a header instead';
  return { value };
};

const templateCheck: Check = (value, event) => {
  if (typeof value !== 'string') return 'must be a string holding a JSON template';
  if (value.length > maxTemplate) return `must be at most ${maxTemplate} characters (got ${value.length})`;
  try {
    // The event's own sample, so `${vulnerability.id}` in a vulnerability_found template is known to resolve.
    validateTemplate(value, event === undefined ? undefined : samplePayload(event, 'https://tidewatch.invalid'));
  } catch (error) {
    if (error instanceof TemplateError) return `is not a usable template: ${error.message}`;
    throw error;
  }
  return { value };
};

// RFC 9110 §5.6.2 token.
const headerNameRe = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
// Visible ASCII, space and tab: undici refuses the rest, and CR/LF would split headers.
const headerValueRe = /^[\t\x20-\x7e]*$/;
/** Hop-by-hop headers (RFC 9110 §7.6.1) and the ones Tidewatch sets itself. */
const reservedHeaders = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'te', 'trailer',
  'transfer-encoding', 'upgrade', 'host', 'content-length', 'content-type', 'content-encoding', 'expect',
]);
const reservedPrefixes = ['webhook-', 'x-tidewatch-'];

const headersCheck: Check = (value) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'must be an object of header name → value';
  const entries = Object.entries(value);
  if (entries.length > maxHeaders) return `must hold at most ${maxHeaders} headers (got ${entries.length})`;
  const seen = new Set<string>();
  for (const [name, v] of entries) {
    const lower = name.toLowerCase();
    if (!headerNameRe.test(name)) return `${JSON.stringify(name)} is not a header name`;
    if (reservedHeaders.has(lower) || reservedPrefixes.some((p) => lower.startsWith(p))) {
      return `must not set ${name}: Tidewatch sets it, or it is hop-by-hop`;
    }
    if (seen.has(lower)) return `names ${name} twice (header names ignore case)`;
    seen.add(lower);
    if (typeof v !== 'string') return `${name} must be a string`;
    if (v.length > maxHeaderValue || !headerValueRe.test(v)) {
      return `${name} must be at most ${maxHeaderValue} printable ASCII characters, without line breaks`;
    }
  }
  return { value: { ...value } };
};

// The HTML standard's "valid e-mail address" (what <input type=email> accepts), ASCII only: internationalised
// domains go in as punycode.
const emailRe = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const emailCheck: Check = (value) => {
  if (typeof value !== 'string' || value === '') return 'must be an e-mail address';
  if (value.length > maxEmail) return `must be at most ${maxEmail} characters (got ${value.length})`;
  if (!emailRe.test(value) || value.indexOf('@') > 64) return `${JSON.stringify(value)} is not a single e-mail address`;
  return { value };
};

const methodKeys: Record<NotificationMethod, { required: string[]; checks: Record<string, Check> }> = {
  webhook: { required: ['url'], checks: { url: urlCheck, template: templateCheck, headers: headersCheck } },
  slack: { required: ['url'], checks: { url: urlCheck } },
  msteams: { required: ['url'], checks: { url: urlCheck } },
  email: { required: ['email'], checks: { email: emailCheck } },
};

/**
 * Checks and normalises a method's config. `event`, when given, lets a webhook template be tried on that event's
 * sample payload rather than on a generic one.
 */
export function validateMethodConfig(method: unknown, config: unknown, event?: EventKind): MethodConfigResult {
  if (typeof method !== 'string' || !Object.hasOwn(methodKeys, method)) {
    return { ok: false, field: 'method', message: `method must be one of ${notificationMethods.join(', ')}` };
  }
  const { required, checks } = methodKeys[method as NotificationMethod];
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    return { ok: false, field: 'config', message: `config of ${method} must be an object with ${required.join(', ')}` };
  }
  const entries = Object.entries(config);
  const unknown = entries.map(([k]) => k).filter((k) => !Object.hasOwn(checks, k));
  if (unknown.length > 0) {
    return {
      ok: false,
      field: `config.${unknown[0]!}`,
      message: `config of ${method} does not take ${unknown.map((k) => JSON.stringify(k)).join(', ')}; it takes ${Object.keys(checks).join(', ')}`,
    };
  }
  const missing = required.find((k) => (config as Record<string, unknown>)[k] === undefined);
  if (missing !== undefined) return { ok: false, field: `config.${missing}`, message: `config.${missing} is required for ${method}` };
  const value: Record<string, unknown> = {};
  for (const [key, raw] of entries) {
    if (raw === null && !required.includes(key)) continue;
    const checked = checks[key]!(raw, event);
    if (typeof checked === 'string') return { ok: false, field: `config.${key}`, message: `config.${key} ${checked}` };
    value[key] = checked.value;
  }
  return { ok: true, value };
}
