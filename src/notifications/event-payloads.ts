/*
 * Event payloads in Quay's wire format (notifications.md "Events and their payloads"; the seed's samples in
 * quay-repository-notifications.ja.txt): Quay's base fields first — repository, namespace, name, docker_url, homepage,
 * the order of the spec's example, of the seed's vulnerability sample and of Quay's own build_event_data — then the
 * event's own fields in the seed's key order. (The seed's other samples interleave the base fields; they are Quay's
 * hand-written sample dicts, not what Quay sends.) Optional fields are omitted when unknown, as Quay does. Only the
 * listed fields are sent: internal ones in the stored data (scan_id, level, inherited, source…) never leak.
 */
import type { EventKind } from '../events/event-kinds.js';
import { severities } from '../scans/parsers/report-types.js';
import { buildFields, isBuildEvent } from './build-fields.js';
import { bool, int, isObject, objectAt, setKnown, str, strings, type JsonObject } from './json-values.js';
import { buildPage, canonicalRepositoryOf, quayRepository, repositoryPage } from './quay-repository.js';
import { sampleEventData } from './sample-event-data.js';

export type { BuildEventData } from './build-fields.js';
export { levelOf, summaryOf, type MessageLevel } from './event-summary.js';

/** A rendered payload: JSON, with keys in wire order. */
export type QuayPayload = Record<string, unknown>;

/**
 * Renders the stored data of an event (events.data, as recordEvent wrote it) for delivery. Throws when the data lacks
 * what identifies the event (its repository; a build's id; the vulnerability's id; the deployment's environment and
 * digest): such data is not an event of that kind, and guessing would send a wrong notification.
 */
export function renderPayload(kind: EventKind, data: JsonObject, publicUrl: string): QuayPayload {
  const canonical = canonicalRepositoryOf(data);
  if (canonical === null) throw new Error(`${kind} data has no repository: expected host/path in "repository" or "docker_url"`);
  const repo = quayRepository(canonical);
  requireIdentity(kind, data);
  const buildId = str(data.build_id);
  const homepage = isBuildEvent(kind) && buildId !== undefined
    ? buildPage(publicUrl, canonical, buildId)
    : repositoryPage(publicUrl, canonical);
  const base: QuayPayload = {
    repository: repo.repository, namespace: repo.namespace, name: repo.name, docker_url: repo.docker_url, homepage,
  };
  return { ...base, ...ownFields(kind, data, repo.docker_url, repo.name) };
}

/** The sample payload of an event (the notification test endpoint sends it through the normal pipeline). */
export function samplePayload(kind: EventKind, publicUrl: string): QuayPayload {
  return renderPayload(kind, sampleEventData(kind), publicUrl);
}

function ownFields(kind: EventKind, data: JsonObject, dockerUrl: string, name: string): Record<string, unknown> {
  if (isBuildEvent(kind)) return buildFields(kind, data, dockerUrl, name);
  switch (kind) {
    case 'repo_push':
      return { updated_tags: strings(data.updated_tags) };
    case 'vulnerability_found':
      return vulnerabilityFields(data);
    case 'image_deployed':
      return deploymentFields(data, dockerUrl);
  }
}

const identity: Partial<Record<EventKind, Array<[label: string, read: (d: JsonObject) => unknown]>>> = {
  vulnerability_found: [['vulnerability.id', (d) => str(objectAt(d, 'vulnerability')?.id)]],
  image_deployed: [['environment', (d) => str(d.environment)], ['digest', (d) => str(d.digest)]],
};

function requireIdentity(kind: EventKind, data: JsonObject): void {
  const checks = isBuildEvent(kind) ? [['build_id', (d: JsonObject) => str(d.build_id)] as const] : identity[kind] ?? [];
  for (const [label, read] of checks) {
    if (read(data) === undefined) throw new Error(`${kind} data has no ${label}`);
  }
}

/** Seed 11.1.7: tags, vulnerability{id, description, link, priority, has_fix}; Tidewatch adds what Quay's lacks. */
function vulnerabilityFields(data: JsonObject): Record<string, unknown> {
  const v = objectAt(data, 'vulnerability') ?? {};
  const vulnerability: Record<string, unknown> = { id: str(v.id) };
  setKnown(vulnerability, 'description', str(v.description));
  setKnown(vulnerability, 'link', str(v.link));
  const priority = str(v.priority);
  vulnerability.priority = priority !== undefined && (severities as readonly string[]).includes(priority) ? priority : 'Unknown';
  vulnerability.has_fix = bool(v.has_fix) ?? str(data.fixed_version) !== undefined;
  const out: Record<string, unknown> = { tags: strings(data.tags), vulnerability };
  setKnown(out, 'package', str(data.package));
  setKnown(out, 'installed_version', str(data.installed_version));
  setKnown(out, 'fixed_version', str(data.fixed_version));
  setKnown(out, 'digest', str(data.digest));
  return out;
}

/**
 * Tidewatch's own event (no Quay sample): recorded by deployments/record-deployment.ts. `vulnerabilities` (open,
 * unsuppressed counts by severity) is merged into the data by events/event-queries.ts recordEvent from the image's
 * current scan at the time of the deployment; an image nobody scanned has none, and the field is left out.
 */
function deploymentFields(data: JsonObject, dockerUrl: string): Record<string, unknown> {
  const out: Record<string, unknown> = {
    environment: str(data.environment),
    instance: str(data.instance) ?? dockerUrl,
    digest: str(data.digest),
    tags: strings(data.tags),
  };
  setKnown(out, 'platform', platform(data.platform));
  setKnown(out, 'replaced_digest', str(data.replaced_digest));
  setKnown(out, 'vulnerabilities', counts(data.vulnerabilities));
  return out;
}

function platform(value: unknown): Record<string, string> | undefined {
  if (!isObject(value)) return undefined;
  const os = str(value.os);
  const architecture = str(value.architecture);
  if (os === undefined || architecture === undefined) return undefined;
  const variant = str(value.variant);
  return { os, architecture, ...(variant !== undefined ? { variant } : {}) };
}

/** All six severities, in Quay's level order, so receivers need not guess which are missing. */
function counts(value: unknown): Record<string, number> | undefined {
  if (!isObject(value)) return undefined;
  return Object.fromEntries(severities.map((s) => [s, Math.max(0, int(value[s]) ?? 0)]));
}
