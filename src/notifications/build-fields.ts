/*
 * The build events' own fields, in the key order of the seed's samples (quay-repository-notifications.ja.txt
 * 11.1.2–11.1.6). Read from the event data the builds area writes: the fields of `POST /api/v1/builds` and of its
 * phase reports (ingest.md "Builds") plus `build_id`.
 */
import type { EventKind } from '../events/event-kinds.js';
import { bool, isObject, objectAt, setKnown, str, strings, type JsonObject } from './json-values.js';

export type BuildEventKind = Extract<EventKind, `build_${string}`>;

/** What renderPayload reads of a build event's data; every field but repository and build_id may be missing. */
export interface BuildEventData {
  /** Canonical host/path. */
  repository: string;
  build_id: string;
  build_name?: string;
  docker_tags?: string[];
  trigger_kind?: string;
  trigger_id?: string;
  /** Quay's shape: commit, ref, default_branch, git_url, commit_info{url, date, message, committer, author}. */
  trigger_metadata?: Record<string, unknown>;
  is_manual?: boolean;
  manual_user?: string | null;
  image_id?: string;
  /** `host/path@sha256:…` as Quay sends them; bare digests are qualified with docker_url. */
  manifest_digests?: string[];
  error_message?: string;
}

export function isBuildEvent(kind: EventKind): kind is BuildEventKind {
  return kind.startsWith('build_');
}

export function buildFields(kind: BuildEventKind, data: JsonObject, dockerUrl: string, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.build_id = str(data.build_id);
  setKnown(out, 'trigger_kind', str(data.trigger_kind));
  // The seed's failure sample puts error_message right after trigger_kind; kept, since receivers may diff payloads.
  if (kind === 'build_failure') setKnown(out, 'error_message', str(data.error_message));
  setKnown(out, 'trigger_id', str(data.trigger_id));
  out.docker_tags = strings(data.docker_tags);
  if (kind === 'build_queued') {
    // Quay's `repo` is the repository's name without its namespace.
    out.repo = name;
    setKnown(out, 'trigger_metadata', triggerMetadata(data.trigger_metadata));
    // Quay: a build without a trigger is a manual one; manual_user is always sent, null when nobody started it.
    out.is_manual = bool(data.is_manual) ?? str(data.trigger_kind) === undefined;
    out.manual_user = str(data.manual_user) ?? null;
    return out;
  }
  out.build_name = buildName(data);
  if (kind === 'build_success') setKnown(out, 'image_id', str(data.image_id));
  setKnown(out, 'trigger_metadata', triggerMetadata(data.trigger_metadata));
  if (kind === 'build_success') {
    out.manifest_digests = strings(data.manifest_digests).map((d) => (d.startsWith('sha256:') ? `${dockerUrl}@${d}` : d));
  }
  return out;
}

/** Quay always names a build; without a name given, the short commit does, then the start of the build id. */
function buildName(data: JsonObject): string {
  const commit = str(objectAt(data, 'trigger_metadata')?.commit);
  return str(data.build_name) ?? commit?.slice(0, 7) ?? str(data.build_id)?.slice(0, 7) ?? '';
}

const triggerOrder = ['commit', 'ref', 'default_branch', 'git_url', 'commit_info'];
const commitInfoOrder = ['url', 'date', 'message', 'committer', 'author'];
const personOrder = ['username', 'url', 'avatar_url'];

/**
 * trigger_metadata comes from the CI system, so its keys arrive in any order. Quay's known keys are put in the
 * order four of the seed's five build samples agree on (the build_queued sample lists default_branch first and author
 * before committer); keys Quay does not know follow as sent, since the metadata is the reporter's by design.
 */
function triggerMetadata(value: unknown): Record<string, unknown> | undefined {
  if (!isObject(value)) return undefined;
  return ordered(value, triggerOrder, {
    commit_info: (info) => (isObject(info) ? ordered(info, commitInfoOrder, { committer: person, author: person }) : undefined),
  });
}

function person(value: unknown): Record<string, unknown> | undefined {
  return isObject(value) ? ordered(value, personOrder, {}) : undefined;
}

function ordered(
  value: JsonObject, order: readonly string[], nested: Record<string, (v: unknown) => unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of order) setKnown(out, key, nested[key] ? nested[key](value[key]) : value[key]);
  for (const [key, v] of Object.entries(value)) if (!order.includes(key) && v !== undefined) out[key] = v;
  return out;
}
