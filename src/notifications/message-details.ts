/*
 * What a chat message or e-mail shows beyond the summary line: facts (name → value) and links. Shared by every
 * message format so Slack, Teams and e-mail say the same thing. Values are plain text; each format escapes them.
 */
import type { EventKind } from '../events/event-kinds.js';
import { isObject, objectAt, str, strings, type JsonObject } from './json-values.js';
import { openCounts, shortDigest } from './event-summary.js';
import { environmentPage, imagePage, publicUrlOf } from './quay-repository.js';

export interface Fact {
  name: string;
  value: string;
}

export interface Link {
  label: string;
  url: string;
}

const descriptionMax = 500;

export function detailsOf(kind: EventKind, p: JsonObject): Fact[] {
  const facts: Array<[string, string | undefined]> = [['Repository', str(p.docker_url)]];
  if (kind === 'repo_push') facts.push(['Tags', joined(p.updated_tags)]);
  if (kind.startsWith('build_')) {
    const trigger = objectAt(p, 'trigger_metadata');
    facts.push(
      ['Build', str(p.build_name) ?? str(p.build_id)],
      ['Tags', joined(p.docker_tags)],
      ['Ref', str(trigger?.ref)],
      ['Commit', str(trigger?.commit)?.slice(0, 12)],
      ['Commit message', str(objectAt(trigger, 'commit_info')?.message)?.split('\n')[0]],
      ['Trigger', str(p.trigger_kind)],
      ['Started by', str(p.manual_user)],
      ['Image', str(p.image_id)],
      ['Error', str(p.error_message)],
    );
  }
  if (kind === 'vulnerability_found') {
    const v = objectAt(p, 'vulnerability') ?? {};
    facts.push(
      ['Vulnerability', str(v.id)],
      ['Severity', str(v.priority)],
      ['Package', str(p.package)],
      ['Installed', str(p.installed_version)],
      ['Fixed in', str(p.fixed_version) ?? (v.has_fix === true ? 'a newer version' : 'no fix yet')],
      ['Tags', joined(p.tags)],
      ['Digest', str(p.digest)],
      ['Description', clip(str(v.description))],
    );
  }
  if (kind === 'image_deployed') {
    facts.push(
      ['Environment', str(p.environment)],
      ['Instance', str(p.instance)],
      ['Digest', str(p.digest)],
      ['Tags', joined(p.tags)],
      ['Platform', platform(p.platform)],
      ['Replaced', mapDefined(str(p.replaced_digest), shortDigest)],
      ['Open vulnerabilities', isObject(p.vulnerabilities) ? openCounts(p.vulnerabilities) || 'none' : undefined],
    );
  }
  return facts.filter((f): f is [string, string] => f[1] !== undefined && f[1] !== '').map(([name, value]) => ({ name, value }));
}

/**
 * The homepage first (ui.md: every payload's homepage opens the matching page), then the image and environment pages
 * and the vulnerability's own link. Only http(s) addresses: a scanner's `link` could be `javascript:…`, and these end
 * up as href attributes.
 */
export function linksOf(kind: EventKind, p: JsonObject): Link[] {
  const links: Link[] = [];
  const homepage = str(p.homepage);
  if (homepage) links.push({ label: kind.startsWith('build_') ? 'Open build' : 'Open repository', url: homepage });
  const base = publicUrlOf(p);
  const repository = str(p.docker_url);
  const digest = str(p.digest);
  if (base !== null && repository && digest && (kind === 'vulnerability_found' || kind === 'image_deployed')) {
    links.push({ label: 'Open image', url: imagePage(base, repository, digest) });
  }
  const environment = str(p.environment);
  if (base !== null && environment && kind === 'image_deployed') {
    links.push({ label: `Open ${environment}`, url: environmentPage(base, environment) });
  }
  const advisory = str(objectAt(p, 'vulnerability')?.link);
  if (advisory && kind === 'vulnerability_found') links.push({ label: 'Vulnerability details', url: advisory });
  return links.filter((l) => isWebUrl(l.url));
}

export function isWebUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

function joined(value: unknown): string | undefined {
  const items = strings(value);
  return items.length > 0 ? items.join(', ') : undefined;
}

function platform(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  return [str(value.os), str(value.architecture), str(value.variant)].filter((s) => s !== undefined).join('/') || undefined;
}

function mapDefined<T, U>(value: T | undefined, f: (v: T) => U): U | undefined {
  return value === undefined ? undefined : f(value);
}

function clip(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  return text.length > descriptionMax ? `${text.slice(0, descriptionMax - 1)}…` : text;
}
