/*
 * Shapes of the policies API (admission.md "Policies"). The body schema documents the policy for OpenAPI and types
 * the handlers; validatePolicy (policy.ts) is what checks it, through policyBodyValidator, since some of its rules
 * (a severity in any case, glob syntax, fixable_only needing deny_severity) are beyond JSON Schema.
 */
import { Type, type Static } from '@sinclair/typebox';
import type { FastifySchemaCompiler } from 'fastify';
import { ApiError } from '../core/errors.js';
import { severities } from '../scans/parsers/report-types.js';
import { validatorCompiler } from '../http/validation.js';
import { policyModes, validatePolicy, type Policy } from './policy.js';

const literals = <T extends string>(values: readonly T[]) => Type.Union(values.map((v) => Type.Literal(v)));

export const policyRules = Type.Object({
  deny_severity: Type.Optional(Type.String({
    description: `Refuse an open, unsuppressed vulnerability of this severity or worse: ${severities.join(', ')} (any case)`,
  })),
  fixable_only: Type.Optional(Type.Boolean({ description: 'With deny_severity: only fixable vulnerabilities count' })),
  require_scan: Type.Optional(Type.Boolean({ description: 'Refuse an image whose digest has no scan' })),
  require_digest: Type.Optional(Type.Boolean({ description: 'Refuse a tag Tidewatch cannot pin to a digest' })),
  allowed_repositories: Type.Optional(Type.Array(Type.String(), { description: 'Repository globs; an image from none of them is refused' })),
  ignore_vulnerabilities: Type.Optional(Type.Array(Type.String(), { description: 'Vulnerability ids that never count' })),
}, { additionalProperties: false });

export const policyBody = Type.Object({
  name: Type.String({ description: '1–63 characters of a-z, 0-9 and -' }),
  environments: Type.Array(Type.String(), { description: 'Environment globs: * within a /-separated segment, ** across, ? one character' }),
  mode: literals(policyModes),
  rules: policyRules,
}, { additionalProperties: false });

export const policyView = Type.Composite([policyBody, Type.Object({ created_at: Type.String(), updated_at: Type.String() })]);

export const policyParams = Type.Object({ name: Type.String({ minLength: 1, maxLength: 63 }) });

/** The body as validatePolicy returns it (severity in Quay's spelling, unknown keys refused). */
export type PolicyBody = Static<typeof policyBody> & Policy;

/*
 * For routes taking a policy body: the body is checked by validatePolicy, whose refusal names the field and the rule
 * (TW_VALIDATION, `rules.deny_severity must be one of …`); other parts go through the usual validator.
 */
export const policyBodyValidator: FastifySchemaCompiler<unknown> = (route) => {
  if (route.httpPart !== 'body') return validatorCompiler(route);
  return (data: unknown) => {
    const checked = validatePolicy(data);
    if (checked.ok) return { value: checked.value };
    return { error: new ApiError('TW_VALIDATION', checked.message, { field: checked.field }) };
  };
};
