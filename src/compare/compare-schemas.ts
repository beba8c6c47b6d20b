import { Type } from '@sinclair/typebox';
import { severityCounts } from '../trend/exposure-schemas.js';

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const compareQuery = Type.Object({
  base: Type.Optional(Type.String({ maxLength: 1100, description: 'host/path@sha256:<64 hex>, or env:<environment>' })),
  head: Type.Optional(Type.String({ maxLength: 1100, description: 'host/path@sha256:<64 hex>, or env:<environment>' })),
});

const side = Type.Object({
  given: Type.String({ description: 'the reference as given' }),
  kind: Type.Union([Type.Literal('env'), Type.Literal('image')]),
  environment: nullable(Type.String()),
  repository: nullable(Type.String()),
  digest: nullable(Type.String()),
  images: Type.Integer({ description: 'distinct digests compared on this side' }),
  scanned_images: Type.Integer(),
  unscanned_images: Type.Integer(),
  unscanned: Type.Array(Type.String(), { description: 'digests without a scan: their vulnerabilities are unknown' }),
  status: Type.Union([Type.Literal('scanned'), Type.Literal('partially_scanned'), Type.Literal('unscanned'), Type.Literal('empty')]),
  suppressed: Type.Integer({ description: 'vulnerabilities left out because triage suppresses them' }),
});

const unit = Type.Object({
  repository: Type.String(),
  digest: Type.String(),
  tag: nullable(Type.String()),
  scanned: Type.Boolean(),
});

const entry = Type.Object({
  vulnerability_id: Type.String(),
  package: Type.String(),
  severity: Type.String(),
  fixable: Type.Boolean(),
  fixed_version: nullable(Type.String()),
});

const counts = Type.Object({
  by_severity: severityCounts,
  fixable: severityCounts,
  total: Type.Integer(),
  fixable_total: Type.Integer(),
});

export const compareAnswer = Type.Object({
  base: side,
  head: side,
  instances: Type.Array(Type.Object({
    name: Type.String({ description: 'instance name (environments) or repository (images)' }),
    change: Type.Union([Type.Literal('added'), Type.Literal('removed'), Type.Literal('changed'), Type.Literal('unchanged')]),
    base: nullable(unit),
    head: nullable(unit),
  }), { description: 'what differs: instances only in head (added), only in base (removed), or running another digest (changed)' }),
  instances_unchanged: Type.Integer({ description: 'instances running the same digest on both sides (not listed)' }),
  vulnerabilities: Type.Object({
    added: Type.Array(entry, { description: 'in head, not in base' }),
    removed: Type.Array(entry, { description: 'in base, not in head' }),
    unchanged: Type.Array(entry),
  }),
  counts: Type.Object({ added: counts, removed: counts, unchanged: counts }),
});
