/*
 * What the validating webhook answers and records for one review (admission.md "The review", "What gets recorded",
 * "Limits"). Pods and workloads are checked against policy; Pods are recorded. A review is never held up by
 * Tidewatch: what cannot be read is allowed unchecked with a warning, and a database error gives the cluster's
 * fail-open or fail-closed answer.
 */
import type { FastifyBaseLogger } from 'fastify';
import type { Db, Storage } from '../core/db/database.js';
import { isObject } from '../scans/parsers/json-reading.js';
import type { AdmissionAnswer, AdmissionReview } from './admission-review.js';
import { admissionEnvironment, workloadOf, type Workload, type WorkloadContainer } from './admission-workload.js';
import { checkReview, truncate, type ReviewCheck } from './review-check.js';
import type { ReviewCluster } from './review-clusters.js';
import { insertDecisions } from './review-decision-queries.js';
import { resolveImages, type ResolvedImage } from './review-images.js';
import { podRows } from './review-pod-queries.js';
import { podChanged, recordPod, removePod, removeWorkload, type PodState, type RecordingOutcome } from './review-recording.js';

export interface ReviewOutcome {
  answer: AdmissionAnswer;
  /** New deployments recorded (for the deployments metric). */
  deployed: number;
}

/** Far above any real Pod; past it a review is answered without being read further (admission.md "Limits"). */
export const MAX_CONTAINERS = 1000;
// Kubernetes prints every warning to the kubectl user; a few say it all.
const MAX_WARNINGS = 20;
const MAX_WARNING_LENGTH = 512;

const ENVIRONMENT_RE = /^[A-Za-z0-9._/-]{1,128}$/;
const PRINTABLE_RE = /^[^\u0000-\u001f\u007f]{1,253}$/;

/** The review of a known cluster; `unreachable` is set when the cluster itself came from memory (database down). */
export async function answerValidation(
  storage: Storage, cluster: ReviewCluster, review: AdmissionReview, log: FastifyBaseLogger, unreachable?: unknown,
): Promise<ReviewOutcome> {
  const workload = workloadOf(review);
  if (!workload || review.operation === 'CONNECT') return { answer: { allowed: true }, deployed: 0 };
  const toCheck = containersToCheck(review, workload);
  if (workload.containers.length > MAX_CONTAINERS) {
    const why = `it has ${workload.containers.length} containers, more than the ${MAX_CONTAINERS} Tidewatch reads`;
    return { answer: cannotCheck(cluster, toCheck.length > 0, why), deployed: 0 };
  }
  if (unreachable !== undefined) return { answer: databaseDown(cluster, toCheck.length > 0, unreachable, log), deployed: 0 };
  const namespace = namespaceOf(review);
  const environment = admissionEnvironment(cluster.name, namespace);
  const recordsPod = workload.isPod && !review.dryRun && review.operation !== 'DELETE';
  const warnings: string[] = [];
  let images: ResolvedImage[];
  let check: ReviewCheck;
  try {
    const resolution = await resolveImages(storage.db, cluster.workspaceId, recordsPod ? workload.containers : toCheck);
    for (const { container, reason } of resolution.unreadable) {
      if (toCheck.includes(container)) warnings.push(`Tidewatch did not check ${describe(container)}: "${truncate(container.image, 100)}" is not an image reference (${truncate(reason, 200)})`);
    }
    images = resolution.images;
    check = await checkReview(storage.db, cluster, environment, images.filter((i) => toCheck.includes(i.container)));
  } catch (error) {
    return { answer: databaseDown(cluster, toCheck.length > 0, error, log), deployed: 0 };
  }
  warnings.push(...check.warnings);
  let deployed = 0;
  // sideEffects: NoneOnDryRun — a dry run is checked and leaves no trace, decisions included.
  if (!review.dryRun) {
    try {
      const recording = await record(storage, cluster, review, workload, namespace, environment, images, check, warnings);
      deployed = recording.deployed;
    } catch (error) {
      log.warn({ err: error, cluster: cluster.name }, 'admission review: not recorded');
      warnings.push(`Tidewatch could not record this request: ${reason(error)}`);
    }
  }
  return { answer: { allowed: check.allowed, ...(check.message ? { message: check.message } : {}), warnings: bounded(warnings) }, deployed };
}

/**
 * Containers whose images are checked: all of them on CREATE; on UPDATE only those whose image changed, so an edit
 * that touches no image (a label, a ReplicaSet's replica count set by the Deployment controller) is never refused
 * for an image that gained a vulnerability since it started. Status updates and DELETEs are never checked.
 */
function containersToCheck(review: AdmissionReview, workload: Workload): WorkloadContainer[] {
  if (review.operation === 'CREATE') return workload.containers;
  if (review.operation !== 'UPDATE' || review.subResource === 'status') return [];
  const before = new Map((workloadOf(review, 'oldObject')?.containers ?? []).map((c) => [`${c.kind}/${c.name}`, c.image]));
  return workload.containers.filter((c) => before.get(`${c.kind}/${c.name}`) !== c.image);
}

async function record(
  storage: Storage, cluster: ReviewCluster, review: AdmissionReview, workload: Workload, namespace: string,
  environment: string, images: readonly ResolvedImage[], check: ReviewCheck, warnings: string[],
): Promise<RecordingOutcome> {
  const at = new Date().toISOString();
  const decisions = check.decisions.map((d) => ({ ...d, at }));
  const place = { workspaceId: cluster.workspaceId, clusterId: cluster.id, namespace, environment };
  let write: ((trx: Db) => Promise<RecordingOutcome>) | null = null;
  const unrecordable = whyNotRecordable(workload, environment);
  if (workload.isPod && check.allowed && unrecordable) {
    if (review.operation !== 'DELETE') warnings.push(`Tidewatch did not record this Pod: ${unrecordable}`);
  } else if (workload.isPod && review.operation === 'DELETE') {
    const key = { ...place, podName: workload.podName! };
    if ((await podRows(storage.db, key)).length > 0) write = (trx) => removePod(trx, storage.engine, key, workload.podUid);
  } else if (workload.isPod && check.allowed) {
    const state: PodState = { ...place, podName: workload.podName!, podUid: workload.podUid, containers: podContainers(workload, images) };
    // The API server's retries and status updates that change nothing stored skip the write (issue 6: fast answers).
    if (podChanged(await podRows(storage.db, state), state)) write = (trx) => recordPod(trx, storage.engine, state, at);
  } else if (!workload.isPod && review.operation === 'DELETE' && !workload.controlled && workload.name !== null) {
    const name = workload.name;
    write = (trx) => removeWorkload(trx, storage.engine, place, name);
  }
  if (!write && decisions.length === 0) return { deployed: 0, undeployed: 0 };
  return storage.transact(async (trx) => {
    await insertDecisions(trx, storage.engine, decisions);
    return write ? write(trx) : { deployed: 0, undeployed: 0 };
  });
}

function podContainers(workload: Workload, images: readonly ResolvedImage[]): PodState['containers'] {
  // Container names are unique in a Pod the API server accepts; a hand-made review repeating one keeps the first.
  const seen = new Set<string>();
  return images.filter((i) => !seen.has(i.container.name) && seen.add(i.container.name)).map((i) => ({
    container: i.container.name,
    workload: workload.name!,
    instanceName: `${workload.name}/${i.container.name}`,
    ref: i.ref,
    digest: i.digest,
    resolvedFrom: i.resolvedFrom,
  }));
}

/** Names a Pod must have to be counted and recorded; a reason, or null when it can be. */
function whyNotRecordable(workload: Workload, environment: string): string | null {
  if (!ENVIRONMENT_RE.test(environment)) return `its environment "${truncate(environment, 140)}" is not 1–128 characters of A-Za-z0-9._-/`;
  if (workload.podName === null || workload.name === null) return 'it has no name yet';
  if (!PRINTABLE_RE.test(workload.podName)) return 'its name is not 1–253 printable characters';
  const bad = workload.containers.find((c) => !PRINTABLE_RE.test(c.name) || `${workload.name}/${c.name}`.length > 255);
  if (bad || !PRINTABLE_RE.test(workload.name)) return 'a container or workload name is not printable or too long for an instance name';
  return null;
}

/** The database could not be asked: fail open with a warning, or refuse when the cluster fails closed. */
function databaseDown(cluster: ReviewCluster, refusable: boolean, error: unknown, log: FastifyBaseLogger): AdmissionAnswer {
  log.warn({ err: error, cluster: cluster.name }, 'admission review: database unreachable');
  return cannotCheck(cluster, refusable, `its database is unreachable (${reason(error)})`);
}

/**
 * Refusal only where a check was due: a Pod DELETE or status update is always let through, since refusing those
 * would stop the cluster from cleaning up or reporting, whatever the policy.
 */
function cannotCheck(cluster: ReviewCluster, refusable: boolean, why: string): AdmissionAnswer {
  if (cluster.failClosed && refusable) {
    return { allowed: false, message: `Tidewatch could not check this request: ${why}; cluster ${cluster.name} is set to fail closed` };
  }
  return { allowed: true, warnings: [`Tidewatch did not check or record this request: ${why}; allowed because cluster ${cluster.name} fails open`] };
}

function describe(c: WorkloadContainer): string {
  const kind = c.kind === 'container' ? 'container' : c.kind === 'init' ? 'init container' : 'ephemeral container';
  return `${kind} "${truncate(c.name, 64)}"`;
}

function reason(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return truncate(message.split('\n')[0] || 'unknown error', 200);
}

function bounded(warnings: string[]): string[] {
  const distinct = [...new Set(warnings)].map((w) => truncate(w, MAX_WARNING_LENGTH));
  if (distinct.length <= MAX_WARNINGS) return distinct;
  return [...distinct.slice(0, MAX_WARNINGS - 1), `… and ${distinct.length - MAX_WARNINGS + 1} more warnings`];
}

/** request.namespace, else the object's own (a hand-made review may leave the request's out), else Kubernetes' default. */
function namespaceOf(review: AdmissionReview): string {
  if (review.namespace !== null) return review.namespace;
  const metadata = (review.object ?? review.oldObject)?.metadata;
  const own = isObject(metadata) ? metadata.namespace : null;
  return typeof own === 'string' && own !== '' ? own : 'default';
}
