import { Type } from '@sinclair/typebox';
import { digestCountsSchema } from '../trend/exposure-schemas.js';
import { platformSchema } from '../deployments/deployment-schemas.js';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const imageParams = Type.Object({
  '*': Type.String({
    maxLength: 600,
    description: 'The image: host/path@sha256:<64 hex> with its slashes, e.g. ghcr.io/acme/web@sha256:…',
  }),
});

export const imageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: 'findings per page' })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
  severity: Type.Optional(Type.String({ maxLength: 200, description: 'comma-separated severities, e.g. Critical,High' })),
  fix_state: Type.Optional(Type.String({ maxLength: 200, description: 'comma-separated: fixed, not_fixed, wont_fix, unknown' })),
  triage: Type.Optional(Type.Union([Type.Literal('suppressed'), Type.Literal('open')], {
    errorMessage: 'must be suppressed or open',
    description: 'suppressed: a not_affected, false_positive or resolved decision holds; open: the others',
  })),
});

const platform = Type.Object({
  digest: Type.String(),
  os: nullable(Type.String()),
  architecture: nullable(Type.String()),
  variant: nullable(Type.String()),
});

export const triageViewSchema = Type.Object({
  id: Type.String(),
  state: Type.String(),
  justification: nullable(Type.String()),
  detail: nullable(Type.String()),
  repository: nullable(Type.String({ description: 'null: the decision holds for the whole workspace' })),
  package: nullable(Type.String({ description: 'null: every package' })),
  created_at: Type.String(),
});

const finding = Type.Object({
  vulnerability_id: Type.String(),
  package: Type.String(),
  installed_version: nullable(Type.String()),
  fixed_version: nullable(Type.String()),
  fix_state: Type.String(),
  severity: Type.String(),
  cvss: nullable(Type.Number()),
  location: nullable(Type.String()),
  link: nullable(Type.String()),
  description: nullable(Type.String()),
  triage: nullable(triageViewSchema),
  suppressed: Type.Boolean(),
});

export const imageAnswer = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  image: Type.String({ description: 'repository@digest' }),
  media_type: nullable(Type.String()),
  is_index: Type.Boolean(),
  first_seen_at: nullable(Type.String()),
  deleted_at: nullable(Type.String()),
  tags: Type.Array(Type.Object({ name: Type.String(), updated_at: Type.String() }), { description: 'tags pointing at it now' }),
  former_tags: Type.Array(Type.Object({
    name: Type.String(),
    digest_now: nullable(Type.String()),
    updated_at: Type.String(),
    pointed_at: Type.String({ description: 'when the tag last pointed at this digest' }),
  }), { description: 'tags that pointed at it and have moved on' }),
  platforms: Type.Array(platform, { description: 'the platform manifests of an index, or the image\'s own platform' }),
  indexes: Type.Array(platform, { description: 'image indexes listing this digest as a platform manifest' }),
  builds: Type.Array(Type.Object({
    build_id: Type.String(),
    repository: Type.String(),
    phase: Type.String(),
    build_name: nullable(Type.String()),
    commit: nullable(Type.String()),
    ref: nullable(Type.String()),
    docker_tags: Type.Array(Type.String()),
    trigger_kind: nullable(Type.String()),
    created_at: Type.String(),
    finished_at: nullable(Type.String()),
  })),
  deployments: Type.Object({
    running: Type.Array(Type.Object({
      environment: Type.String(),
      name: Type.String(),
      tag: nullable(Type.String()),
      platform: platformSchema,
      since: Type.String(),
      last_seen_at: Type.String(),
      source: Type.String(),
    })),
    previous: Type.Array(Type.Object({
      environment: Type.String(),
      name: Type.String(),
      tag: nullable(Type.String()),
      platform: platformSchema,
      from: Type.String(),
      until: Type.String(),
      replaced_by: nullable(Type.String({ description: 'the digest that replaced it; null when undeployed' })),
    })),
    previous_total: Type.Integer(),
  }),
  scan: nullable(Type.Object({
    scan_id: Type.String(),
    format: Type.String(),
    scanner: Type.Object({ name: nullable(Type.String()), version: nullable(Type.String()) }),
    scanned_at: Type.String(),
    findings_count: Type.Integer(),
    vulnerabilities: digestCountsSchema,
  })),
  findings: Type.Object({
    total: Type.Integer({ description: 'findings that pass the filter' }),
    limit: Type.Integer(),
    offset: Type.Integer(),
    next_offset: nullable(Type.Integer()),
    items: Type.Array(finding),
  }),
});
