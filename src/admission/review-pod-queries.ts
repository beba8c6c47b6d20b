/*
 * SQL of the live Pods an admission webhook saw (admission.md "What gets recorded"; table admission_pods, migration
 * 002): one row per (Pod, container), keyed by cluster, namespace, Pod name and container, so the API server's retries
 * of one Pod count once and a Pod DELETE removes exactly that Pod's rows.
 */
import type { Db } from '../core/db/database.js';
import type { AdmissionPodTable } from '../core/db/schema.js';

export type PodRow = AdmissionPodTable;

export interface PodKey {
  clusterId: string;
  namespace: string;
  podName: string;
}

/** The rows of one Pod, one per container. */
export async function podRows(db: Db, key: PodKey): Promise<PodRow[]> {
  return db.selectFrom('admission_pods').selectAll()
    .where('cluster_id', '=', key.clusterId).where('namespace', '=', key.namespace).where('pod_name', '=', key.podName)
    .execute();
}

/** Inserts or replaces containers' rows (the Pod's name and container are the key) in one statement. */
export async function upsertPodRows(trx: Db, rows: readonly PodRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx.insertInto('admission_pods').values([...rows])
    .onConflict((oc) => oc.columns(['cluster_id', 'namespace', 'pod_name', 'container']).doUpdateSet((eb) => ({
      pod_uid: eb.ref('excluded.pod_uid'),
      environment: eb.ref('excluded.environment'),
      workload: eb.ref('excluded.workload'),
      instance_name: eb.ref('excluded.instance_name'),
      repository: eb.ref('excluded.repository'),
      tag: eb.ref('excluded.tag'),
      digest: eb.ref('excluded.digest'),
      resolved_from: eb.ref('excluded.resolved_from'),
      updated_at: eb.ref('excluded.updated_at'),
    })))
    .execute();
}

export async function deletePodRows(trx: Db, key: PodKey): Promise<void> {
  await trx.deleteFrom('admission_pods')
    .where('cluster_id', '=', key.clusterId).where('namespace', '=', key.namespace).where('pod_name', '=', key.podName)
    .execute();
}

/** The live Pods' rows of instances (`<workload>/<container>`) in a namespace: how many run each, and which digests. */
export async function instanceRows(db: Db, clusterId: string, namespace: string, instanceNames: readonly string[]): Promise<PodRow[]> {
  if (instanceNames.length === 0) return [];
  return db.selectFrom('admission_pods').selectAll()
    .where('cluster_id', '=', clusterId).where('namespace', '=', namespace).where('instance_name', 'in', [...instanceNames])
    .execute();
}

/** Rows of every Pod of a workload in a namespace (a workload DELETE ends them all). */
export async function workloadRows(db: Db, clusterId: string, namespace: string, workload: string): Promise<PodRow[]> {
  return db.selectFrom('admission_pods').selectAll()
    .where('cluster_id', '=', clusterId).where('namespace', '=', namespace).where('workload', '=', workload)
    .execute();
}

export async function deleteWorkloadRows(trx: Db, clusterId: string, namespace: string, workload: string): Promise<void> {
  await trx.deleteFrom('admission_pods')
    .where('cluster_id', '=', clusterId).where('namespace', '=', namespace).where('workload', '=', workload)
    .execute();
}

export interface RunningInstance {
  instance_name: string;
  digest: string;
  repository: string;
  last_seen_at: string;
}

/**
 * The running deployments of some instances of an environment, with their repository, in one query: whether a new
 * Pod's containers only repeat what is recorded (review-recording.ts), without a round trip per container.
 */
export async function runningInstances(
  db: Db, workspaceId: string, environment: string, instanceNames: readonly string[],
): Promise<RunningInstance[]> {
  if (instanceNames.length === 0) return [];
  return db.selectFrom('deployments as d')
    .innerJoin('environments as e', 'e.id', 'd.environment_id')
    .innerJoin('repositories as r', 'r.id', 'd.repository_id')
    .select(['d.instance_name', 'd.digest', 'r.name as repository', 'd.last_seen_at'])
    .where('e.workspace_id', '=', workspaceId).where('e.name', '=', environment)
    .where('d.instance_name', 'in', [...instanceNames]).where('d.undeployed_at', 'is', null)
    .execute();
}
