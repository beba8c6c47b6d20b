/* The Create Notification form's state, and the request body it becomes (notifications.md "API", POST). */
import type { EventId, MethodId } from './notification-model';
import { listOf } from '../../components/field-error';

export interface Draft {
  event: EventId | '';
  tags: string;
  refRegex: string;
  level: string;
  environments: string;
  fixableOnly: boolean;
  skipInherited: boolean;
  minLevel: string;
  method: MethodId | '';
  url: string;
  email: string;
  template: string;
  headers: string;
  title: string;
}

export const emptyDraft: Draft = {
  event: '', tags: '', refRegex: '', level: '', environments: '', fixableOnly: false, skipInherited: true, minLevel: '',
  method: '', url: '', email: '', template: '', headers: '', title: '',
};

export class DraftError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
  }
}

/** `Name: value` lines into a header object; a line without a colon is refused here, naming the line. */
export function parseHeaders(text: string): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  for (const [i, line] of lines.entries()) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new DraftError('config.headers', `config.headers line ${i + 1} must read "Name: value" (got "${line.slice(0, 40)}")`);
    out[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return lines.length > 0 ? out : undefined;
}

export function eventConfigOf(d: Draft): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  switch (d.event) {
    case 'repo_push':
      if (listOf(d.tags)) c.tags = listOf(d.tags);
      break;
    case 'vulnerability_found':
      if (d.level !== '') c.level = Number(d.level);
      if (listOf(d.environments)) c.environments = listOf(d.environments);
      if (d.fixableOnly) c.fixable_only = true;
      c.skip_inherited = d.skipInherited;
      break;
    case 'image_deployed':
      if (listOf(d.environments)) c.environments = listOf(d.environments);
      if (d.minLevel !== '') c.min_level = Number(d.minLevel);
      break;
    case '':
      break;
    default:
      if (d.refRegex.trim() !== '') c['ref-regex'] = d.refRegex.trim();
  }
  return c;
}

export function configOf(d: Draft): Record<string, unknown> {
  if (d.method === 'email') return { email: d.email.trim() };
  const c: Record<string, unknown> = { url: d.url.trim() };
  if (d.method === 'webhook') {
    if (d.template.trim() !== '') c.template = d.template;
    const headers = parseHeaders(d.headers);
    if (headers) c.headers = headers;
  }
  return c;
}

export function bodyOf(d: Draft): Record<string, unknown> {
  if (d.event === '') throw new DraftError('event', 'Choose the event: When this event occurs');
  if (d.method === '') throw new DraftError('method', 'Choose how to notify: Then issue a notification');
  return {
    event: d.event,
    method: d.method,
    config: configOf(d),
    eventConfig: eventConfigOf(d),
    ...(d.title.trim() !== '' ? { title: d.title.trim() } : {}),
  };
}
