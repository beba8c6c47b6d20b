import { Type, type Static } from '@sinclair/typebox';
import { vulnerabilityIdSchema } from '../vulnerabilities/vulnerability-id.js';
import { isSuppressingState, triageJustifications, triageStates } from './suppression.js';
import type { DecisionView } from './triage-queries.js';

const printable = (min: number, max: number, description: string) => Type.String({
  minLength: min,
  maxLength: max,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  errorMessage: `must be ${min}–${max} printable characters`,
  description,
});

const stateSchema = (description: string) => Type.Union(triageStates.map((s) => Type.Literal(s)), {
  errorMessage: `must be one of ${triageStates.join(', ')} (CycloneDX analysis states)`,
  description,
});

export const decisionBody = Type.Object({
  vulnerability: vulnerabilityIdSchema('Vulnerability id as scanners name it: CVE-…, GHSA-…'),
  state: stateSchema('CycloneDX analysis state; not_affected, false_positive and resolved take findings out of the counts'),
  justification: Type.Optional(Type.Union(triageJustifications.map((s) => Type.Literal(s)), {
    errorMessage: `must be one of ${triageJustifications.join(', ')} (CycloneDX analysis justifications)`,
    description: 'Why it is not_affected (CycloneDX analysis justification); only with that state',
  })),
  detail: Type.Optional(Type.String({ maxLength: 4096, description: 'Why, in words' })),
  repository: Type.Optional(Type.String({
    minLength: 1, maxLength: 255, description: 'host/path the decision is limited to; omitted, it holds for the whole workspace',
  })),
  package: Type.Optional(printable(1, 512, 'Package name as the scanner names it; omitted, every package')),
}, { additionalProperties: false });
export type DecisionBody = Static<typeof decisionBody>;

export const decisionSchema = Type.Object({
  id: Type.String(),
  vulnerability: Type.String(),
  state: Type.String(),
  justification: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  repository: Type.Union([Type.String(), Type.Null()], { description: 'null: the whole workspace' }),
  package: Type.Union([Type.String(), Type.Null()], { description: 'null: every package' }),
  suppressed: Type.Boolean({ description: 'not_affected, false_positive and resolved take findings out of the counts' }),
  token_id: Type.Union([Type.String(), Type.Null()], { description: 'who decided' }),
  created_at: Type.String({ description: 'when' }),
});

export const decisionList = Type.Object({
  decisions: Type.Array(decisionSchema),
  total: Type.Integer({ description: 'decisions matching the filters (and visible to the token), over all pages' }),
  limit: Type.Integer(),
  offset: Type.Integer(),
});

export const listQuery = Type.Object({
  vulnerability: Type.Optional(vulnerabilityIdSchema('Only decisions about this vulnerability')),
  repository: Type.Optional(Type.String({
    minLength: 1, maxLength: 255, description: 'Only decisions that hold for this repository: its own and the workspace-wide ones',
  })),
  package: Type.Optional(printable(1, 512, 'Only decisions that hold for this package: its own and those for every package')),
  state: Type.Optional(stateSchema('Only decisions in this state')),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

export const vexQuery = Type.Object({
  repository: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'host/path; omitted, the workspace-wide decisions' })),
  sbom: Type.Optional(Type.String({
    pattern: '^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    errorMessage: 'must be the serialNumber of a CycloneDX SBOM: urn:uuid:<uuid>',
    description: 'Serial number of the CycloneDX SBOM Trivy will scan: affects refs become BOM-Links into it',
  })),
  sbom_version: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, default: 1 })),
});

export const vexSchema = Type.Object({
  bomFormat: Type.Literal('CycloneDX'),
  specVersion: Type.String(),
  serialNumber: Type.String(),
  version: Type.Integer(),
  metadata: Type.Unknown(),
  components: Type.Optional(Type.Array(Type.Unknown())),
  vulnerabilities: Type.Array(Type.Unknown()),
});

export function renderDecision(d: DecisionView) {
  return {
    id: d.id,
    vulnerability: d.vulnerability_id,
    state: d.state,
    justification: d.justification,
    detail: d.detail,
    repository: d.repository,
    package: d.package,
    suppressed: isSuppressingState(d.state),
    token_id: d.token_id,
    created_at: d.created_at,
  };
}
