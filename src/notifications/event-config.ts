/*
 * A notification's per-event filter, `eventConfig` (notifications.md "Events and their payloads", third column):
 * validated and normalised when the notification is created (a bad one is a 400 naming the field), and matched
 * against each event. Pure: what the matcher needs to know beyond the event (where a digest runs, what an image has
 * open) comes in a context the caller fills.
 *
 * Decisions:
 * - repo_push `tags`: globs over the whole tag, `*` any run of characters, `?` exactly one (tags hold no '/', so
 *   there is no segment rule); any pushed tag matching any pattern fires.
 * - `ref-regex`: see ref-regex.ts (`^` implied, `$` not, as Quay; patterns screened for catastrophic backtracking).
 * - `environments` (both events): plain names, matched exactly and case-sensitively. Environment names allow neither
 *   `*` nor `?` (deployments.md), and the set is small and known, so a list of names says where a rule fires without
 *   glob puzzles about '/' in `prod-eu/payments`; a pattern is refused with that explanation.
 * - `level` and `min_level` are integers 0..5 (0 = Critical … 5 = Unknown); Quay's UI sends strings, but the spec
 *   validates at create time, so "3" is refused rather than guessed at.
 * - `min_level` N fires when the image has an open vulnerability of index ≤ N ("at or above" in severity); an image
 *   with no scan has no counts and does not fire.
 * - An empty `tags` or `environments` list is refused: it would be a notification that never fires.
 * - A key set to null is taken as not set (forms send null for an empty field).
 * - vulnerability_found's normalised config always carries `skip_inherited`, so reading a notification back shows
 *   the default in force.
 */
import { eventKinds, type EventKind } from '../events/event-kinds.js';
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { bool, int, objectAt, str, strings, type JsonObject } from './json-values.js';
import { environmentsOk, levelOk, patternListOk, type KeyCheck } from './event-config-checks.js';
import { refMatches, refRegexProblem } from './ref-regex.js';

export { validateMethodConfig, type NotificationMethod } from './method-config.js';

export type ConfigResult = { ok: true; value: Record<string, unknown> } | { ok: false; field: string; message: string };

export interface MatchContext {
  /** vulnerability_found `environments`: the environments where the event's digest runs now. */
  runningIn?: readonly string[];
  /**
   * image_deployed `min_level`: the deployed image's open (unsuppressed) vulnerabilities by severity; absent when the
   * image has no scan. Falls back to the payload's `vulnerabilities` when the data carries them.
   */
  openVulnerabilities?: Readonly<Partial<Record<Severity, number>>>;
}

const refRegexCheck: KeyCheck = (value) => {
  if (typeof value !== 'string') return 'must be a string (a regular expression matched at the start of the ref)';
  return refRegexProblem(value) ?? { value };
};

const booleanCheck: KeyCheck = (value) => (typeof value === 'boolean' ? { value } : 'must be true or false');

const buildKeys: Record<string, KeyCheck> = { 'ref-regex': refRegexCheck };

const allowedKeys: Record<EventKind, Record<string, KeyCheck>> = {
  repo_push: { tags: patternListOk },
  build_queued: buildKeys,
  build_start: buildKeys,
  build_success: buildKeys,
  build_failure: buildKeys,
  build_cancelled: buildKeys,
  vulnerability_found: { level: levelOk, environments: environmentsOk, fixable_only: booleanCheck, skip_inherited: booleanCheck },
  image_deployed: { environments: environmentsOk, min_level: levelOk },
};

export function isEventKind(value: unknown): value is EventKind {
  return typeof value === 'string' && (eventKinds as readonly string[]).includes(value);
}

export function validateEventConfig(event: unknown, config: unknown): ConfigResult {
  if (!isEventKind(event)) return { ok: false, field: 'event', message: `event must be one of ${eventKinds.join(', ')}` };
  if (config === undefined || config === null) config = {};
  if (typeof config !== 'object' || Array.isArray(config)) {
    return { ok: false, field: 'eventConfig', message: 'eventConfig must be an object' };
  }
  const checks = allowedKeys[event];
  const entries = Object.entries(config as Record<string, unknown>);
  const unknown = entries.map(([k]) => k).filter((k) => !Object.hasOwn(checks, k));
  if (unknown.length > 0) {
    const allowed = Object.keys(checks);
    return {
      ok: false,
      field: `eventConfig.${unknown[0]!}`,
      message: `eventConfig of ${event} does not take ${unknown.map((k) => JSON.stringify(k)).join(', ')}; `
        + (allowed.length > 0 ? `it takes ${allowed.join(', ')}` : 'it takes no keys'),
    };
  }
  const value: Record<string, unknown> = {};
  for (const [key, raw] of entries) {
    if (raw === null) continue;
    const checked = checks[key]!(raw);
    if (typeof checked === 'string') {
      // A check about one list item starts with its index: "eventConfig.tags[2] must be a string".
      const message = `eventConfig.${key}${checked.startsWith('[') ? '' : ' '}${checked}`;
      return { ok: false, field: `eventConfig.${key}`, message };
    }
    value[key] = checked.value;
  }
  if (event === 'vulnerability_found') value.skip_inherited ??= true;
  return { ok: true, value };
}

/**
 * Whether an event passes a notification's (normalised) eventConfig. Read defensively: a stored value of the wrong
 * type counts as not set, and a ref-regex that no longer compiles matches nothing.
 */
export function matchesEventConfig(event: EventKind, config: JsonObject, data: JsonObject, context: MatchContext = {}): boolean {
  switch (event) {
    case 'repo_push': {
      const patterns = Array.isArray(config.tags) ? strings(config.tags) : undefined;
      return patterns === undefined || strings(data.updated_tags).some((tag) => patterns.some((p) => globMatches(p, tag)));
    }
    case 'build_queued':
    case 'build_start':
    case 'build_success':
    case 'build_failure':
    case 'build_cancelled': {
      const pattern = typeof config['ref-regex'] === 'string' ? config['ref-regex'] : undefined;
      if (pattern === undefined) return true;
      const ref = str(objectAt(data, 'trigger_metadata')?.ref);
      return ref !== undefined && refMatches(pattern, ref);
    }
    case 'vulnerability_found':
      return vulnerabilityMatches(config, data, context);
    case 'image_deployed':
      return deploymentMatches(config, data, context);
  }
}

function vulnerabilityMatches(config: JsonObject, data: JsonObject, context: MatchContext): boolean {
  if ((bool(config.skip_inherited) ?? true) && data.inherited === true) return false;
  const vulnerability = objectAt(data, 'vulnerability');
  const level = int(config.level);
  if (level !== undefined && levelOfVulnerability(data) > level) return false;
  if (config.fixable_only === true && vulnerability?.has_fix !== true) return false;
  if (Array.isArray(config.environments)) {
    const wanted = strings(config.environments);
    if (!(context.runningIn ?? []).some((env) => wanted.includes(env))) return false;
  }
  return true;
}

/** The level index the scans area stored (data.level), else the one of the priority; unreadable is Unknown (5). */
function levelOfVulnerability(data: JsonObject): number {
  const stored = int(data.level);
  if (stored !== undefined && stored >= 0 && stored < severities.length) return stored;
  const index = (severities as readonly unknown[]).indexOf(objectAt(data, 'vulnerability')?.priority);
  return index === -1 ? severities.length - 1 : index;
}

function deploymentMatches(config: JsonObject, data: JsonObject, context: MatchContext): boolean {
  if (Array.isArray(config.environments)) {
    const environment = str(data.environment);
    if (environment === undefined || !strings(config.environments).includes(environment)) return false;
  }
  const minLevel = int(config.min_level);
  if (minLevel !== undefined) {
    // No scan, no counts: "has open vulnerabilities at or above" cannot be true of an image nobody has scanned.
    const counts = context.openVulnerabilities ?? objectAt(data, 'vulnerabilities');
    if (!counts) return false;
    const open = severities.slice(0, minLevel + 1).reduce((sum, s) => sum + Math.max(0, int(counts[s]) ?? 0), 0);
    if (open === 0) return false;
  }
  return true;
}

/**
 * Tag globs: `*` any run of characters, `?` exactly one; the whole tag must match. Matched greedily with one
 * backtrack point (O(pattern × tag)) rather than through a RegExp, where `*a*a*a*b` would backtrack polynomially.
 */
export function globMatches(pattern: string, tag: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < tag.length) {
    if (p < pattern.length && (pattern[p] === '?' || (pattern[p] !== '*' && pattern[p] === tag[t]))) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star !== -1) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
