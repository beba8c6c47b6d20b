/*
 * AdmissionReview in and out (admission.md "The review"): pure, no I/O. What a review admits (Pods, workloads, their
 * images) is read in admission-workload.ts, and the mutating answer's patch built in image-pinning.ts; both are
 * re-exported here so callers import the review API from one module.
 */
import { isObject, texts, kind as describe, type JsonObject } from '../scans/parsers/json-reading.js';
import type { JsonPatchOperation } from './image-pinning.js';

export { workloadOf, instanceName, admissionEnvironment, digestOfImageId } from './admission-workload.js';
export type { Workload, WorkloadContainer, ContainerKind } from './admission-workload.js';
export { pinningPatch } from './image-pinning.js';
export type { JsonPatchOperation, TagResolver } from './image-pinning.js';

export const admissionApiVersions = ['admission.k8s.io/v1', 'admission.k8s.io/v1beta1'] as const;
export type AdmissionApiVersion = (typeof admissionApiVersions)[number];

export const admissionOperations = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'] as const;
export type AdmissionOperation = (typeof admissionOperations)[number];

export interface GroupVersionKind { group: string; version: string; kind: string }
export interface GroupVersionResource { group: string; version: string; resource: string }

export interface AdmissionUserInfo {
  username: string | null;
  uid: string | null;
  groups: string[];
  extra: Record<string, string[]>;
}

/** The request of an AdmissionReview, with the envelope's apiVersion (the answer must use the same one). */
export interface AdmissionReview {
  apiVersion: AdmissionApiVersion;
  uid: string;
  operation: AdmissionOperation;
  /** The kind of `object`, after the API server's conversion (matchPolicy Equivalent). */
  kind: GroupVersionKind;
  resource: GroupVersionResource;
  /** `status` for pods/status, `ephemeralcontainers`…; null for the resource itself. */
  subResource: string | null;
  /** null for cluster-scoped objects. */
  namespace: string | null;
  /** null when the object is named by generateName and not named yet. */
  name: string | null;
  dryRun: boolean;
  /** null on DELETE (and on CONNECT); "", "None" and {} read as null too. */
  object: JsonObject | null;
  oldObject: JsonObject | null;
  userInfo: AdmissionUserInfo;
}

/** A body that is not an AdmissionReview (answered 400); the message names the field and what it holds instead. */
export class AdmissionError extends Error {}

const invalid = (what: string) => new AdmissionError(`AdmissionReview: ${what}.`);

export function readAdmissionReview(json: unknown): AdmissionReview {
  if (!isObject(json)) throw invalid(`the body must be a JSON object, but ${describe(json)}`);
  if (json.kind !== 'AdmissionReview') throw invalid(`kind must be "AdmissionReview", but ${describe(json.kind)}`);
  const apiVersion = oneOf(json.apiVersion, admissionApiVersions, 'apiVersion');
  const request = json.request;
  if (!isObject(request)) throw invalid(`request must be an object, but ${describe(request)}`);
  if (typeof request.uid !== 'string' || request.uid === '') {
    throw invalid(`request.uid must be a non-empty string, but ${describe(request.uid)}`);
  }
  const kindOf = readGroupVersion(request.kind, 'kind');
  const resourceOf = readGroupVersion(request.resource, 'resource');
  const dryRun = request.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw invalid(`request.dryRun must be true or false, but ${describe(dryRun)}`);
  return {
    apiVersion,
    uid: request.uid,
    operation: oneOf(request.operation, admissionOperations, 'request.operation'),
    kind: { group: kindOf.group, version: kindOf.version, kind: kindOf.name },
    resource: { group: resourceOf.group, version: resourceOf.version, resource: resourceOf.name },
    subResource: optionalText(request.subResource, 'request.subResource'),
    namespace: optionalText(request.namespace, 'request.namespace'),
    name: optionalText(request.name, 'request.name'),
    dryRun,
    object: objectOrNull(request.object),
    oldObject: objectOrNull(request.oldObject),
    userInfo: readUserInfo(request.userInfo),
  };
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  if (allowed.includes(value as T)) return value as T;
  const names = allowed.map((a) => `"${a}"`);
  throw invalid(`${field} must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, but ${describe(value)}`);
}

/** kind {group, version, kind} or resource {group, version, resource}; the core group is "" (or left out). */
function readGroupVersion(value: unknown, field: 'kind' | 'resource') {
  if (!isObject(value)) throw invalid(`request.${field} must be an object, but ${describe(value)}`);
  const name = value[field];
  if (typeof name !== 'string' || name === '') {
    throw invalid(`request.${field}.${field} must be a non-empty string, but ${describe(name)}`);
  }
  if (typeof value.version !== 'string' || value.version === '') {
    throw invalid(`request.${field}.version must be a non-empty string, but ${describe(value.version)}`);
  }
  const group = value.group ?? '';
  if (typeof group !== 'string') throw invalid(`request.${field}.group must be a string, but ${describe(group)}`);
  return { group, version: value.version, name };
}

// Captures hold "", "None", null or {} where a request has no object (CREATE's oldObject, DELETE's object).
const objectOrNull = (value: unknown): JsonObject | null =>
  isObject(value) && Object.keys(value).length > 0 ? value : null;

function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw invalid(`${field} must be a string, but ${describe(value)}`);
  return value;
}

// Who asked is kept for the decision log only, so a malformed userInfo is read as far as it goes rather than refused.
function readUserInfo(value: unknown): AdmissionUserInfo {
  const info = isObject(value) ? value : {};
  // fromEntries defines keys, so an "__proto__" key stays a key instead of replacing the prototype.
  const extra = Object.fromEntries(Object.entries(isObject(info.extra) ? info.extra : {}).map(([k, v]) => [k, texts(v)]));
  return {
    username: typeof info.username === 'string' && info.username !== '' ? info.username : null,
    uid: typeof info.uid === 'string' && info.uid !== '' ? info.uid : null,
    groups: texts(info.groups),
    extra,
  };
}

export interface AdmissionAnswer {
  allowed: boolean;
  /** Why it was refused (status.message); unused when allowed. */
  message?: string;
  warnings?: string[];
  /** The mutating answer's operations; an empty list sends no patch. Never sent with a refusal. */
  patch?: JsonPatchOperation[] | null;
}

export interface AdmissionReviewAnswer {
  apiVersion: AdmissionApiVersion;
  kind: 'AdmissionReview';
  response: {
    uid: string;
    allowed: boolean;
    status?: { code: 403; message: string };
    warnings?: string[];
    patchType?: 'JSONPatch';
    /** base64 of the JSON text of the operations. */
    patch?: string;
  };
}

/** The answer the API server expects: the same apiVersion (a v1beta1 review answered as v1 is an error), uid echoed. */
export function admissionResponse(
  review: Pick<AdmissionReview, 'apiVersion' | 'uid'>,
  answer: AdmissionAnswer,
): AdmissionReviewAnswer {
  const response: AdmissionReviewAnswer['response'] = { uid: review.uid, allowed: answer.allowed };
  if (!answer.allowed) response.status = { code: 403, message: answer.message || 'refused by a Tidewatch policy' };
  if (answer.warnings && answer.warnings.length > 0) response.warnings = [...answer.warnings];
  if (answer.allowed && answer.patch && answer.patch.length > 0) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(answer.patch), 'utf8').toString('base64');
  }
  return { apiVersion: review.apiVersion, kind: 'AdmissionReview', response };
}
