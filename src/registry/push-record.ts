/*
 * What every registry-hook parser produces (ingest.md "Registry pushes"): pure data, from unknown JSON to our types.
 * Parsers do no I/O and read no clock. A body that is not the registry's payload at all throws PayloadError (the route
 * answers 400); anything of the right shape that we do not record (blob pushes, pulls, other event kinds) is counted as
 * ignored, because registries retry failed deliveries forever.
 */
import { createHash } from 'node:crypto';
import { isSha256Digest, parseImageReference, parseRepositoryName } from './image-reference.js';

export interface Platform {
  os: string;
  architecture: string;
  variant: string | null;
}

export interface PushRecord {
  /** The source's identity of the event (Distribution event id, CloudEvents id, delivery GUID, or a body hash). */
  sourceEventId: string | null;
  action: 'push' | 'delete';
  /** Canonical `host/path`. */
  repository: string;
  tag: string | null;
  digest: string | null;
  mediaType: string | null;
  platform?: Platform | null;
  /** Child manifests of an image index, one per platform. */
  children?: Array<{ digest: string; platform: Platform | null }>;
  /**
   * Set when sourceEventId is a hash of a body that a later, distinct event can repeat word for word (Quay's repo_push
   * carries no id, time or digest): the id then only dedupes redeliveries within this many seconds.
   */
  dedupeWindowSeconds?: number;
}

export interface ParsedPushes {
  records: PushRecord[];
  /** Items of the body that were understood and deliberately not recorded. */
  ignored: number;
  /** Why, one short line per ignored item (logged at debug level). */
  notes: string[];
}

/** What a route knows besides the body. */
export interface HookContext {
  /** Registry host configured on the hook endpoint; wins over what the payload says. */
  registryHost?: string | null;
  /** Event name from a header (GitHub's X-GitHub-Event). */
  eventName?: string | null;
  /** Delivery id from a header (GitHub's X-GitHub-Delivery). */
  deliveryId?: string | null;
}

export type HookParser = (json: unknown, context: HookContext) => ParsedPushes;

/** The body is not this registry's payload at all. */
export class PayloadError extends Error {}

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A non-empty string, or null. */
export function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

export function kindOf(value: unknown): string {
  if (value === null) return 'it is null';
  if (Array.isArray(value)) return 'it is an array';
  if (value === undefined) return 'it is missing';
  return `it is ${typeof value === 'object' ? 'an object' : `a ${typeof value}`}`;
}

export const manifestMediaTypes = new Set([
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v1+prettyjws',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.artifact.manifest.v1+json',
]);

export const indexMediaTypes = new Set([
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
]);

export function isIndexMediaType(mediaType: string | null): boolean {
  return mediaType !== null && indexMediaTypes.has(mediaType);
}

export function isManifestOrIndex(mediaType: string): boolean {
  return manifestMediaTypes.has(mediaType) || indexMediaTypes.has(mediaType);
}

export function validDigest(value: unknown): string | null {
  return typeof value === 'string' && isSha256Digest(value) ? value : null;
}

/** The tag when it is one the Distribution grammar allows, else null. */
export function validTag(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const parsed = parseImageReference(`x:${value}`);
  return parsed.ok && parsed.ref.tag === value && parsed.ref.digest === null ? value : null;
}

/**
 * `host/path` as a container runtime resolves it, or null when the host would not be read as a registry host (a bare
 * `registry` would turn into docker.io/registry/…): then the hook endpoint must be configured with a registry_host.
 */
export function repositoryAt(host: string, path: string): string | null {
  const lowered = host.toLowerCase();
  const parsed = parseRepositoryName(`${lowered}/${path}`);
  if (!parsed.ok) return null;
  const sameHost = parsed.domain === lowered || (lowered === 'index.docker.io' && parsed.domain === 'docker.io');
  return sameHost ? parsed.repository : null;
}

/**
 * The source's own event id when it is a plain, reasonably short string; otherwise (absent, or one PostgreSQL could not
 * store, such as one holding NUL) a hash of what identifies the event.
 */
export function sourceIdOr(value: unknown, identifying: unknown): string {
  return typeof value === 'string' && /^[\x20-\x7e]{1,200}$/.test(value) ? value : contentHash(identifying);
}

/** How deep a registry's payload may nest; theirs nest under ten levels. */
export const maxPayloadDepth = 256;

/**
 * Whether the JSON nests deeper than `max` levels, walked without recursion. contentHash and the ignore notes
 * stringify parts of the body, and JSON.stringify overflows the stack a few thousand levels down (a 500).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  while (pending.length > 0) {
    const [v, depth] = pending.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) pending.push([child, depth + 1]);
  }
  return false;
}

/** A stable identity for bodies that carry none: the same delivery hashes the same. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value) ?? '').digest('hex');
}

// The rule POST /api/v1/pushes and deployments apply to platform fields.
const PLATFORM_FIELD_RE = /^[A-Za-z0-9._-]{1,64}$/;
const platformField = (value: unknown) => (typeof value === 'string' && PLATFORM_FIELD_RE.test(value) ? value : null);

/** Platform from an OCI-style `{os, architecture, variant}` object, or null when it does not name one. */
export function platformOf(value: unknown): Platform | null {
  if (!isObject(value)) return null;
  const os = platformField(value.os);
  const architecture = platformField(value.architecture);
  if (!os || !architecture) return null;
  return { os, architecture, variant: platformField(value.variant) };
}

/** Accumulates the parse of one body. */
export function collector(): ParsedPushes & { ignore(note: string): void } {
  const out = {
    records: [] as PushRecord[],
    ignored: 0,
    notes: [] as string[],
    ignore(note: string) {
      out.ignored++;
      // Bounded: a body of 10,000 blob events must not make 10,000 log lines.
      if (out.notes.length < 20) out.notes.push(note);
    },
  };
  return out;
}
