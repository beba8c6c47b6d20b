import { Type } from '@sinclair/typebox';
import { decisionSchema } from '../triage/triage-schemas.js';
import { severities } from './parsers/report-types.js';

export const scanQuery = Type.Object({
  image: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 1024,
    description: 'The image the report is about, pinned by digest: host/path[:tag]@sha256:<64 hex>. Wins over what the report says.',
  })),
  repository: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'For a VEX document: the repository its decisions are limited to (default: ?image=\'s, else the whole workspace).',
  })),
});

const bySeverity = Type.Object(Object.fromEntries(severities.map((s) => [s, Type.Integer()])) as Record<(typeof severities)[number], ReturnType<typeof Type.Integer>>);

export const scanAnswer = Type.Object({
  scan_id: Type.String(),
  image: Type.Object({ repository: Type.String(), digest: Type.String() }),
  format: Type.String({ description: 'trivy | grype | cyclonedx | sarif | clair' }),
  scanner: Type.Object({ name: Type.String(), version: Type.Union([Type.String(), Type.Null()]) }),
  findings: Type.Integer(),
  new: Type.Integer({ description: 'findings not in the digest\u2019s previous scan' }),
  resolved: Type.Integer({ description: 'findings of the previous scan this one no longer has' }),
  by_severity: bySeverity,
  suppressed: Type.Integer({ description: 'findings a triage decision takes out of the counts (they stay visible)' }),
  warnings: Type.Optional(Type.Array(Type.String())),
});

export const vexAnswer = Type.Object({
  triage: Type.Integer({ description: 'decisions recorded from the VEX document' }),
  repository: Type.Union([Type.String(), Type.Null()]),
  decisions: Type.Array(decisionSchema),
});
