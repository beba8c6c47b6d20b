/*
 * Admission policies (admission.md "Policies"): their shape, its validation, and which apply to an environment.
 * Evaluating an image against them is in policy-evaluation.ts, re-exported here.
 */
import { severities, type Severity } from '../scans/parsers/report-types.js';
import { isValidGlob, matchesGlob } from '../auth/repository-glob.js';
import { isObject, kind as describe } from '../scans/parsers/json-reading.js';

export { evaluate } from './policy-evaluation.js';
export type { ImageUnderPolicy, ImageFacts, PolicyDecision, PolicyEvaluation } from './policy-evaluation.js';

export const policyModes = ['enforce', 'warn', 'audit'] as const;
export type PolicyMode = (typeof policyModes)[number];

/** The rules that can refuse an image; ignore_vulnerabilities and fixable_only only refine deny_severity. */
export type PolicyRule = 'deny_severity' | 'require_scan' | 'require_digest' | 'allowed_repositories';

export interface PolicyRules {
  deny_severity?: Severity;
  fixable_only?: boolean;
  require_scan?: boolean;
  require_digest?: boolean;
  allowed_repositories?: string[];
  ignore_vulnerabilities?: string[];
}

export interface Policy {
  name: string;
  /** Environment globs: `*` within a `/`-separated segment (`prod-eu/*`), `**` across, `?` one character. */
  environments: string[];
  mode: PolicyMode;
  rules: PolicyRules;
}

export type PolicyValidation = { ok: true; value: Policy } | { ok: false; field: string; message: string };

const NAME_RE = /^[a-z0-9-]{1,63}$/;
// Environment names are 1–128 of A-Za-z0-9._-/ (deployments.md); a glob adds * and ?.
const ENVIRONMENT_GLOB_RE = /^[A-Za-z0-9._/*?-]{1,128}$/;
// Vulnerability ids are CVE-…, GHSA-…, RHSA-2023:1234, pyup.io-…: printable ASCII without spaces.
const VULNERABILITY_ID_RE = /^[\x21-\x7e]{1,128}$/;
const MAX_LIST = 1000;
const topKeys = new Set(['name', 'environments', 'mode', 'rules']);
const ruleKeys = new Set([
  'deny_severity', 'fixable_only', 'require_scan', 'require_digest', 'allowed_repositories', 'ignore_vulnerabilities',
]);

class Invalid extends Error {
  constructor(readonly field: string, rule: string) {
    super(`${field} ${rule}`);
  }
}

/** Checks a policy body; a refusal names the field (dotted path, as the API's other errors) and the rule it broke. */
export function validatePolicy(body: unknown): PolicyValidation {
  try {
    return { ok: true, value: readPolicy(body) };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, field: e.field, message: e.message };
    throw e;
  }
}

function readPolicy(body: unknown): Policy {
  if (!isObject(body)) throw new Invalid('body', `must be a JSON object, but ${describe(body)}`);
  refuseUnknownKeys(body, topKeys, '');
  const { name, mode, rules } = body;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new Invalid('name', 'must be 1–63 characters of a-z, 0-9 and -');
  }
  // GET /api/v1/policies/check is the pipeline check: a policy of that name could never be read back.
  if (name === 'check') throw new Invalid('name', 'must not be check, which names the policy check endpoint');
  const environments = stringList(body.environments, 'environments', 'an environment glob of 1–128 characters of A-Za-z0-9._-/*?', (g) => ENVIRONMENT_GLOB_RE.test(g));
  if (!policyModes.includes(mode as PolicyMode)) throw new Invalid('mode', 'must be one of enforce, warn, audit');
  return { name, environments, mode: mode as PolicyMode, rules: readRules(rules) };
}

function readRules(rules: unknown): PolicyRules {
  if (!isObject(rules)) throw new Invalid('rules', `must be an object, but ${describe(rules)}`);
  refuseUnknownKeys(rules, ruleKeys, 'rules.');
  const out: PolicyRules = {};
  if (rules.deny_severity !== undefined) {
    // Case-insensitive, as scanners write CRITICAL or critical; stored in Quay's spelling.
    const severity = severities.find((s) => typeof rules.deny_severity === 'string' && s.toLowerCase() === rules.deny_severity.toLowerCase());
    if (!severity) throw new Invalid('rules.deny_severity', `must be one of ${severities.join(', ')}`);
    out.deny_severity = severity;
  }
  for (const key of ['fixable_only', 'require_scan', 'require_digest'] as const) {
    if (rules[key] === undefined) continue;
    if (typeof rules[key] !== 'boolean') throw new Invalid(`rules.${key}`, 'must be true or false');
    out[key] = rules[key];
  }
  if (out.fixable_only && !out.deny_severity) {
    throw new Invalid('rules.fixable_only', 'needs rules.deny_severity: it only narrows which vulnerabilities count');
  }
  if (rules.allowed_repositories !== undefined) {
    out.allowed_repositories = stringList(rules.allowed_repositories, 'rules.allowed_repositories', 'a repository glob such as registry.example.com/acme/*', isValidGlob);
  }
  if (rules.ignore_vulnerabilities !== undefined) {
    out.ignore_vulnerabilities = stringList(rules.ignore_vulnerabilities, 'rules.ignore_vulnerabilities', 'a vulnerability id of 1–128 printable characters without spaces', (id) => VULNERABILITY_ID_RE.test(id), 0);
  }
  // A policy that can refuse nothing is a mistake the author should hear about, not a silent no-op.
  if (!out.deny_severity && !out.require_scan && !out.require_digest && !out.allowed_repositories) {
    throw new Invalid('rules', 'must set at least one of deny_severity, require_scan: true, require_digest: true, allowed_repositories');
  }
  return out;
}

function refuseUnknownKeys(value: Record<string, unknown>, known: Set<string>, prefix: string): void {
  const unknown = Object.keys(value).find((k) => !known.has(k));
  if (unknown !== undefined) throw new Invalid(`${prefix}${unknown}`, 'is not a known field');
}

/** An array of strings that each pass `valid`; at least `min` of them (an empty allow-list would refuse everything). */
function stringList(value: unknown, field: string, what: string, valid: (s: string) => boolean, min = 1): string[] {
  if (!Array.isArray(value)) throw new Invalid(field, `must be an array, but ${describe(value)}`);
  if (value.length < min) throw new Invalid(field, 'must not be empty');
  if (value.length > MAX_LIST) throw new Invalid(field, `must have at most ${MAX_LIST} entries`);
  value.forEach((item, i) => {
    if (typeof item !== 'string' || !valid(item)) throw new Invalid(`${field}.${i}`, `must be ${what}`);
  });
  return [...value] as string[];
}

/** The policies whose environment globs match (every one of them applies, admission.md). */
export function policiesFor<P extends Pick<Policy, 'environments'>>(environment: string, policies: readonly P[]): P[] {
  return policies.filter((p) => p.environments.some((glob) => matchesGlob(glob, environment)));
}
