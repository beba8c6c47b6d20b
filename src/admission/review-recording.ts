/*
 * Recording what a cluster runs from its Pod reviews (admission.md "What gets recorded"). Each live Pod's containers
 * are rows of admission_pods; the deployments themselves go through recordDeployment/undeploy, the service behind
 * POST /api/v1/deployments (instance key, replace, idempotent repeat, one image_deployed event per new deployment),
 * inside the caller's transaction so the Pod rows and the deployments change together.
 */
import { sql } from 'kysely';
import type { Db } from '../core/db/database.js';
import type { EngineCapabilities } from '../core/db/engine.js';
import { ADMISSION_TAG_SOURCE, recordDeployment, undeploy, type Writer } from '../deployments/record-deployment.js';
import type { ImageReference } from '../registry/image-reference.js';
import {
  deletePodRows, deleteWorkloadRows, instanceRows, podRows, runningInstances, upsertPodRows, workloadRows, type PodKey, type PodRow,
  type RunningInstance,
} from './review-pod-queries.js';

export interface PodPlace extends PodKey {
  workspaceId: string;
  /** `<cluster>/<namespace>` */
  environment: string;
}

export interface PodContainer {
  container: string;
  workload: string;
  /** `<workload>/<container>` */
  instanceName: string;
  ref: ImageReference;
  digest: string | null;
  resolvedFrom: string | null;
}

export interface PodState extends PodPlace {
  podUid: string | null;
  containers: PodContainer[];
}

export interface RecordingOutcome {
  /** New deployments started (image_deployed events sent). */
  deployed: number;
  undeployed: number;
}

const platform = { os: 'linux', architecture: 'amd64', variant: null };

/** Whether a Pod's review would change anything stored; false lets a repeated review skip the write transaction. */
export function podChanged(existing: readonly PodRow[], state: PodState): boolean {
  if (existing.length !== state.containers.length) return true;
  return state.containers.some((c) => {
    const row = existing.find((r) => r.container === c.container);
    return !row || !sameRow(row, rowOf(state, c, row.created_at, row.updated_at));
  });
}

/** A Pod created or updated (a status update included): its rows, and a deployment for each newly known digest. */
export async function recordPod(trx: Db, engine: EngineCapabilities, state: PodState, at: string): Promise<RecordingOutcome> {
  const outcome: RecordingOutcome = { deployed: 0, undeployed: 0 };
  const existing = await podRows(trx, state);
  // Another Pod under this name (the old one's DELETE was missed): its rows go, as a DELETE would have taken them.
  const samePod = existing.every((r) => r.pod_uid === null || state.podUid === null || r.pod_uid === state.podUid);
  const left = new Set<string>();
  if (!samePod || existing.some((r) => !state.containers.some((c) => c.container === r.container))) {
    await deletePodRows(trx, state);
    for (const r of existing) left.add(r.instance_name);
  }
  const changed: Array<{ c: PodContainer; row: PodRow; digestIsNew: boolean }> = [];
  for (const c of state.containers) {
    const before = samePod ? existing.find((r) => r.container === c.container) : undefined;
    const row = rowOf(state, c, before?.created_at ?? at, at);
    if (before && sameRow(before, row) && !left.has(before.instance_name)) continue;
    if (before && before.instance_name !== row.instance_name) left.add(before.instance_name);
    const digestIsNew = !before || before.digest !== row.digest || before.instance_name !== row.instance_name
      || before.repository !== row.repository || left.has(row.instance_name);
    changed.push({ c, row, digestIsNew });
  }
  await upsertPodRows(trx, changed.map((x) => x.row));
  const toRecord = changed.filter((x) => x.c.digest !== null && x.digestIsNew).map((x) => x.c);
  const running = new Map((await runningInstances(trx, state.workspaceId, state.environment, toRecord.map((c) => c.instanceName)))
    .map((r) => [r.instance_name, r]));
  for (const c of toRecord) {
    if (runsAlready(running.get(c.instanceName), c, at)) continue;
    if (await deploy(trx, engine, state, c.instanceName, c.ref, c.digest!, c.resolvedFrom)) outcome.deployed++;
  }
  add(outcome, await settleInstances(trx, engine, state, [...left]));
  return outcome;
}

/** A Pod DELETE: its rows go; an instance left without Pods is undeployed. A DELETE of an older Pod of that name is ignored. */
export async function removePod(trx: Db, engine: EngineCapabilities, place: PodPlace, podUid: string | null): Promise<RecordingOutcome> {
  const rows = await podRows(trx, place);
  if (rows.length === 0 || rows.some((r) => r.pod_uid !== null && podUid !== null && r.pod_uid !== podUid)) {
    return { deployed: 0, undeployed: 0 };
  }
  await deletePodRows(trx, place);
  return settleAll(trx, engine, place, rows);
}

/** A workload DELETE: every Pod row of the workload goes and each of its instances is undeployed. */
export async function removeWorkload(
  trx: Db, engine: EngineCapabilities, place: Omit<PodPlace, 'podName'>, workload: string,
): Promise<RecordingOutcome> {
  const rows = await workloadRows(trx, place.clusterId, place.namespace, workload);
  if (rows.length === 0) return { deployed: 0, undeployed: 0 };
  await deleteWorkloadRows(trx, place.clusterId, place.namespace, workload);
  return settleAll(trx, engine, place, rows);
}

async function settleAll(trx: Db, engine: EngineCapabilities, place: Omit<PodPlace, 'podName'>, rows: readonly PodRow[]) {
  return settleInstances(trx, engine, place, [...new Set(rows.map((r) => r.instance_name))]);
}

/**
 * After Pods of instances went: an instance with none left ends its deployment; if the digest recorded for it runs in
 * none of the Pods left (a rollout given up, its new Pods deleted), the newest remaining Pod's digest is recorded.
 * Two queries whatever the number of instances; the rare undeploy or re-record then goes through the service.
 */
async function settleInstances(
  trx: Db, engine: EngineCapabilities, place: Omit<PodPlace, 'podName'>, instances: readonly string[],
): Promise<RecordingOutcome> {
  const outcome: RecordingOutcome = { deployed: 0, undeployed: 0 };
  if (instances.length === 0) return outcome;
  const running = await runningInstances(trx, place.workspaceId, place.environment, instances);
  if (running.length === 0) return outcome;
  const live = await instanceRows(trx, place.clusterId, place.namespace, running.map((r) => r.instance_name));
  for (const r of running) {
    const rows = live.filter((row) => row.instance_name === r.instance_name);
    if (rows.length === 0) {
      await undeploy(within(trx, engine), {
        workspaceId: place.workspaceId, tokenId: null, environment: place.environment, instanceNames: [r.instance_name], allowed: () => {},
      });
      outcome.undeployed++;
      continue;
    }
    if (rows.some((row) => row.digest === r.digest)) continue;
    const newest = rows.filter((row) => row.digest !== null).sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1))[0];
    if (!newest) continue;
    const [domain, ...path] = newest.repository.split('/');
    const ref: ImageReference = { domain: domain!, path: path.join('/'), repository: newest.repository, tag: newest.tag, digest: newest.digest };
    if (await deploy(trx, engine, place, r.instance_name, ref, newest.digest!, newest.resolved_from)) outcome.deployed++;
  }
  return outcome;
}

// A new replica of a running instance is the common case: it is an idempotent repeat, and recordDeployment's only
// effect would be last_seen_at, which a minute's staleness does not hurt (as tokens' last_used_at).
const SEEN_FRESH_MS = 60_000;

/** The instance already runs this digest of this repository, seen within the last minute: nothing to record. */
function runsAlready(running: RunningInstance | undefined, c: PodContainer, at: string): boolean {
  return running !== undefined && running.digest === c.digest && running.repository === c.ref.repository
    && Date.parse(at) - Date.parse(running.last_seen_at) <= SEEN_FRESH_MS;
}

async function deploy(
  trx: Db, engine: EngineCapabilities, place: Omit<PodPlace, 'podName'>, instanceName: string, ref: ImageReference,
  digest: string, resolvedFrom: string | null,
): Promise<boolean> {
  const outcome = await recordDeployment(within(trx, engine), {
    workspaceId: place.workspaceId,
    tokenId: null,
    image: { ...ref, digest },
    instanceName,
    environment: place.environment,
    platform,
    // The views show the source; a digest taken from tag history rather than from the kubelet or the reference says so.
    source: resolvedFrom === 'tag' ? ADMISSION_TAG_SOURCE : 'admission',
  });
  return outcome.created;
}

/**
 * recordDeployment and undeploy open their own transaction through a Writer; this one runs their work inside the
 * caller's, in a savepoint, so a unique-key race that recordDeployment retries rolls back only its own attempt.
 */
function within(trx: Db, engine: EngineCapabilities): Writer {
  return {
    engine,
    transact: async (work) => {
      await sql`savepoint tw_admission_record`.execute(trx);
      try {
        const value = await work(trx);
        await sql`release savepoint tw_admission_record`.execute(trx);
        return value;
      } catch (error) {
        await sql`rollback to savepoint tw_admission_record`.execute(trx);
        await sql`release savepoint tw_admission_record`.execute(trx);
        throw error;
      }
    },
  };
}

function rowOf(state: PodState, c: PodContainer, createdAt: string, updatedAt: string): PodRow {
  return {
    workspace_id: state.workspaceId,
    cluster_id: state.clusterId,
    namespace: state.namespace,
    pod_name: state.podName,
    container: c.container,
    pod_uid: state.podUid,
    environment: state.environment,
    workload: c.workload,
    instance_name: c.instanceName,
    repository: c.ref.repository,
    tag: c.ref.tag,
    digest: c.digest,
    resolved_from: c.resolvedFrom,
    created_at: createdAt,
    updated_at: updatedAt,
  };
}

/*
 * A status update that only repeats what is stored changes nothing (updated_at is not news). Nor does the kubelet
 * confirming a pinned reference's digest: 'status' and 'reference' are both certain; only a digest taken from tag
 * history ('tag') is worth replacing by the kubelet's word.
 */
function sameRow(a: PodRow, b: PodRow): boolean {
  const sameSource = a.resolved_from === b.resolved_from
    || (a.digest !== null && a.resolved_from !== 'tag' && b.resolved_from !== 'tag');
  return a.pod_uid === b.pod_uid && a.workload === b.workload && a.instance_name === b.instance_name
    && a.repository === b.repository && a.tag === b.tag && a.digest === b.digest && sameSource
    && a.environment === b.environment;
}

function add(into: RecordingOutcome, more: RecordingOutcome): void {
  into.deployed += more.deployed;
  into.undeployed += more.undeployed;
}
