/*
 * One-line summaries and levels of rendered payloads, for the Slack, Teams and e-mail methods (notifications.md
 * "Methods": summary text, a colour by level). They read the payload, not the stored data, so what a message says is
 * what a webhook receiver of the same event gets.
 */
import type { EventKind } from '../events/event-kinds.js';
import { int, isObject, objectAt, str, strings, type JsonObject } from './json-values.js';

/** Quay's notification levels (its Slack colours are keyed by them). */
export type MessageLevel = 'primary' | 'info' | 'success' | 'warning' | 'error';

const summaryMax = 240;

/** One line: an e-mail subject or a chat message's first line. */
export function summaryOf(kind: EventKind, payload: JsonObject): string {
  const repository = str(payload.docker_url) ?? str(payload.repository) ?? 'a repository';
  return oneLine(`${repository}: ${what(kind, payload)}`);
}

/** Quay's levels: a failed build and a critical vulnerability are errors; High/Medium ones warnings. */
export function levelOf(kind: EventKind, payload: JsonObject): MessageLevel {
  switch (kind) {
    case 'repo_push':
      return 'primary';
    case 'build_queued':
    case 'build_start':
    case 'build_cancelled':
      return 'info';
    case 'build_success':
      return 'success';
    case 'build_failure':
      return 'error';
    case 'vulnerability_found': {
      const priority = str(objectAt(payload, 'vulnerability')?.priority);
      if (priority === 'Critical') return 'error';
      return priority === 'High' || priority === 'Medium' ? 'warning' : 'info';
    }
    case 'image_deployed': {
      // Tidewatch's own event: what the deployed image brings decides, as it would for its vulnerabilities.
      const counts = objectAt(payload, 'vulnerabilities');
      if ((int(counts?.Critical) ?? 0) > 0) return 'error';
      return (int(counts?.High) ?? 0) > 0 ? 'warning' : 'primary';
    }
  }
}

function what(kind: EventKind, p: JsonObject): string {
  switch (kind) {
    case 'repo_push': {
      const tags = strings(p.updated_tags);
      return tags.length === 0 ? 'pushed' : `pushed ${tags.length === 1 ? 'tag' : 'tags'} ${list(tags)}`;
    }
    case 'build_queued':
      return `${build(p)} queued${refOf(p)}`;
    case 'build_start':
      return `${build(p)} started${refOf(p)}`;
    case 'build_success':
      return `${build(p)} succeeded${refOf(p)}${strings(p.docker_tags).length > 0 ? `, tagged ${list(strings(p.docker_tags))}` : ''}`;
    case 'build_failure':
      return `${build(p)} failed${refOf(p)}${firstLine(p.error_message)}`;
    case 'build_cancelled':
      return `${build(p)} cancelled${refOf(p)}`;
    case 'vulnerability_found':
      return vulnerability(p);
    case 'image_deployed':
      return deployment(p);
  }
}

function vulnerability(p: JsonObject): string {
  const v = objectAt(p, 'vulnerability') ?? {};
  const fix = v.has_fix === true ? 'fix available' : 'no fix yet';
  const pkg = [str(p.package), str(p.installed_version)].filter((s) => s !== undefined).join(' ');
  return `vulnerability ${str(v.id) ?? '?'} (${str(v.priority) ?? 'Unknown'}, ${fix})${pkg ? ` in ${pkg}` : ''}`;
}

function deployment(p: JsonObject): string {
  const tags = strings(p.tags);
  const digest = shortDigest(str(p.digest) ?? '');
  const instance = str(p.instance);
  let text = `deployed ${digest}${tags.length > 0 ? ` (${list(tags)})` : ''} to ${str(p.environment) ?? '?'}`;
  if (instance && instance !== str(p.docker_url)) text += ` as ${instance}`;
  const open = openCounts(p.vulnerabilities);
  return open ? `${text}, open: ${open}` : text;
}

/** "1 Critical, 3 High": the non-zero open counts, worst first; '' when there are none or none are known. */
export function openCounts(value: unknown): string {
  if (!isObject(value)) return '';
  return Object.entries(value)
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .map(([severity, n]) => `${String(n)} ${severity}`)
    .join(', ');
}

export function shortDigest(digest: string): string {
  return digest.startsWith('sha256:') ? digest.slice(0, 19) : digest;
}

/** Build errors may be whole log excerpts; their first line is the summary's. */
function firstLine(value: unknown): string {
  const line = str(value)?.split(/\r?\n/).find((l) => l.trim() !== '');
  return line ? `: ${line.trim()}` : '';
}

const build = (p: JsonObject): string => `build ${str(p.build_name) ?? str(p.build_id)?.slice(0, 8) ?? '?'}`;

function refOf(p: JsonObject): string {
  const ref = str(objectAt(p, 'trigger_metadata')?.ref);
  return ref ? ` (${ref})` : '';
}

/** A long tag list would push everything else out of a subject line. */
function list(items: string[]): string {
  const shown = items.slice(0, 5).join(', ');
  return items.length > 5 ? `${shown} and ${items.length - 5} more` : shown;
}

/**
 * Payload text is user- and scanner-supplied: a newline in an e-mail subject would be header injection, and control
 * characters have no place in a one-line summary.
 */
export function oneLine(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/ {2,}/g, ' ').trim();
  return flat.length > summaryMax ? `${flat.slice(0, summaryMax - 1)}…` : flat;
}
