/*
 * `POST /api/v1/pushes` (ingest.md "Registry pushes", the CI-step row): the body's schema, and the pure step from a
 * body that passed it to a PushRecord. `manifests` lists an image index's children, so a CI step that pushed a
 * multi-arch image can say which digest runs on which platform.
 */
import { Type, type Static } from '@sinclair/typebox';
import { invalid } from '../core/errors.js';
import { parseImageReference } from './image-reference.js';
import type { Platform, PushRecord } from './push-record.js';

const platformField = (what: string) => Type.String({
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  errorMessage: 'must be 1–64 characters of A-Za-z0-9._-',
  description: what,
});

const platform = Type.Object({
  os: platformField('Operating system, e.g. linux.'),
  architecture: platformField('Instruction set architecture, e.g. amd64.'),
  variant: Type.Optional(platformField('Variant, e.g. v8.')),
}, { additionalProperties: false });

const digest = Type.String({
  pattern: '^sha256:[a-f0-9]{64}$',
  errorMessage: 'must be sha256: followed by 64 lowercase hex characters',
});

export const pushBody = Type.Object({
  image: Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'The pushed image, pinned by digest: host/path[:tag]@sha256:<64 hex>.',
    examples: ['registry.example.com/acme/web:1.4.2@sha256:' + 'a'.repeat(64)],
  }),
  platform: Type.Optional(platform),
  manifests: Type.Optional(Type.Array(Type.Object({
    digest,
    platform: Type.Optional(platform),
  }, { additionalProperties: false }), { maxItems: 256, description: 'The children of an image index, one per platform.' })),
}, { additionalProperties: false });
export type PushBody = Static<typeof pushBody>;

const platformView = Type.Object({ os: Type.String(), architecture: Type.String(), variant: Type.Optional(Type.String()) });

export const pushView = Type.Object({
  image: Type.Object({
    url: Type.String(),
    repository: Type.String(),
    digest: Type.String(),
    tag: Type.Union([Type.String(), Type.Null()]),
  }),
  is_index: Type.Boolean(),
  platform: Type.Union([platformView, Type.Null()]),
  manifests: Type.Array(Type.Object({ digest: Type.String(), platform: Type.Union([platformView, Type.Null()]) })),
  previous_digest: Type.Union([Type.String(), Type.Null()], { description: 'The digest the tag pointed at before, or null' }),
});

export function toPushRecord(body: PushBody): PushRecord {
  const parsed = parseImageReference(body.image);
  if (!parsed.ok) throw invalid('image', `image is not a valid image reference: ${parsed.reason}`);
  if (!parsed.ref.digest) throw invalid('image', 'image must be pinned by digest: host/path[:tag]@sha256:<64 hex>');
  const children = (body.manifests ?? []).map((m) => ({ digest: m.digest, platform: m.platform ? toPlatform(m.platform) : null }));
  if (children.some((c) => c.digest === parsed.ref.digest)) throw invalid('manifests', 'an image index cannot list itself among its manifests');
  return {
    sourceEventId: null,
    action: 'push',
    repository: parsed.ref.repository,
    tag: parsed.ref.tag,
    digest: parsed.ref.digest,
    mediaType: null,
    platform: body.platform ? toPlatform(body.platform) : null,
    children,
  };
}

function toPlatform(p: { os: string; architecture: string; variant?: string }): Platform {
  return { os: p.os, architecture: p.architecture, variant: p.variant ?? null };
}

/** Platform as the API shows it: no variant key when there is none (as deployments do). */
export function renderPlatform(p: Platform | null | undefined) {
  return p ? { os: p.os, architecture: p.architecture, ...(p.variant ? { variant: p.variant } : {}) } : null;
}
