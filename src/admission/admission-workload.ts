/*
 * What a review admits (admission.md "The review" and "What gets recorded"): the containers of a Pod or of a workload's
 * pod template, each with its image reference, and for Pods the workload name and the digests the kubelet reported.
 */
import { isObject, type JsonObject } from '../scans/parsers/json-reading.js';
import { isSha256Digest, parseImageReference, type ReferenceResult } from '../registry/image-reference.js';
import type { AdmissionReview } from './admission-review.js';

export type ContainerKind = 'container' | 'init' | 'ephemeral';

export interface WorkloadContainer {
  name: string;
  kind: ContainerKind;
  /** The image field as written, "" when missing (a mutating webhook sees objects before validation). */
  image: string;
  reference: ReferenceResult;
  /** JSON Pointer of the image field in the object, for a patch. */
  imagePath: string;
  /** Digest the kubelet reported pulling (a Pod's status.*ContainerStatuses[].imageID), or null. */
  statusDigest: string | null;
}

export interface Workload {
  /** Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob or ReplicationController. */
  kind: string;
  isPod: boolean;
  /**
   * The instance-name prefix: the controller from ownerReferences (a ReplicaSet `<deployment>-<pod-template-hash>`
   * counts as its Deployment), else the object's own name (generateName without its trailing "-" first, so every
   * replica of one generated name shares it); null only for an object with no name at all.
   */
  name: string | null;
  /**
   * The object has a controller in ownerReferences (a Pod of a ReplicaSet, a ReplicaSet of a Deployment): deleting it
   * does not end its workload, whose other objects live on.
   */
  controlled: boolean;
  /** A Pod's own name and uid (known once created), to tell one Pod's repeated DELETEs from another Pod's. */
  podName: string | null;
  podUid: string | null;
  /** JSON Pointer of the pod template (`/spec/template`, a CronJob's `/spec/jobTemplate/spec/template`); null for a Pod. */
  templatePath: string | null;
  containers: WorkloadContainer[];
}

// A Map, so a kind such as "constructor" cannot reach Object.prototype. Old group names (extensions) still arrive
// from webhooks registered with matchPolicy Exact.
const readKinds = new Map<string, { groups: string[]; template: string[] | null }>([
  ['Pod', { groups: [''], template: null }],
  ['ReplicationController', { groups: [''], template: ['spec', 'template'] }],
  ['Deployment', { groups: ['apps', 'extensions'], template: ['spec', 'template'] }],
  ['ReplicaSet', { groups: ['apps', 'extensions'], template: ['spec', 'template'] }],
  ['DaemonSet', { groups: ['apps', 'extensions'], template: ['spec', 'template'] }],
  ['StatefulSet', { groups: ['apps'], template: ['spec', 'template'] }],
  ['Job', { groups: ['batch'], template: ['spec', 'template'] }],
  ['CronJob', { groups: ['batch'], template: ['spec', 'jobTemplate', 'spec', 'template'] }],
]);

const containerFields: Array<[string, ContainerKind, string]> = [
  ['containers', 'container', 'containerStatuses'],
  ['initContainers', 'init', 'initContainerStatuses'],
  ['ephemeralContainers', 'ephemeral', 'ephemeralContainerStatuses'],
];

/**
 * The workload a review admits, or null for a kind it does not read (allowed, records nothing) or a review without
 * the object. Reads `object`, or `oldObject` on DELETE; `source` picks one explicitly (to compare an UPDATE's images).
 */
export function workloadOf(
  review: Pick<AdmissionReview, 'kind' | 'operation' | 'object' | 'oldObject' | 'name'>,
  source: 'object' | 'oldObject' = review.operation === 'DELETE' ? 'oldObject' : 'object',
): Workload | null {
  const read = readKinds.get(review.kind.kind);
  if (!read || !read.groups.includes(review.kind.group)) return null;
  const object = review[source];
  if (!object) return null;
  const template = read.template ? at(object, read.template) : object;
  const spec = at(template, ['spec']);
  const isPod = read.template === null;
  const statuses = isPod ? statusDigests(at(object, ['status'])) : new Map<string, string>();
  const specPath = `${read.template ? `/${read.template.join('/')}` : ''}/spec`;
  const containers: WorkloadContainer[] = [];
  for (const [field, kind] of containerFields) {
    const list = spec?.[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c: unknown, i) => {
      if (!isObject(c)) return;
      const image = typeof c.image === 'string' ? c.image : '';
      const name = typeof c.name === 'string' ? c.name : '';
      containers.push({
        name, kind, image,
        reference: parseImageReference(image),
        imagePath: `${specPath}/${field}/${i}/image`,
        statusDigest: statuses.get(`${kind}/${name}`) ?? null,
      });
    });
  }
  const metadata = at(object, ['metadata']);
  const controller = controllerName(metadata);
  return {
    kind: review.kind.kind,
    isPod,
    name: controller ?? ownName(metadata) ?? review.name,
    controlled: controller !== null,
    podName: isPod ? (text(metadata?.name) ?? review.name) : null,
    podUid: isPod ? text(metadata?.uid) : null,
    templatePath: read.template ? `/${read.template.join('/')}` : null,
    containers,
  };
}

/** Instance name `<workload>/<container>` (admission.md); null when the workload has no name. */
export function instanceName(workload: Pick<Workload, 'name'>, container: Pick<WorkloadContainer, 'name'>): string | null {
  return workload.name === null ? null : `${workload.name}/${container.name}`;
}

/** Environment `<cluster>/<namespace>` of what a cluster's webhook records. */
export function admissionEnvironment(cluster: string, namespace: string): string {
  return `${cluster}/${namespace}`;
}

/**
 * The manifest digest in a kubelet imageID: `docker-pullable://nginx@sha256:…` (dockershim) or
 * `docker.io/library/nginx@sha256:…` (containerd, CRI-O). A bare `sha256:…` or `docker://sha256:…` is the local image
 * (config) ID, not a manifest digest, so it gives nothing rather than a digest no registry knows.
 */
export function digestOfImageId(imageId: unknown): string | null {
  if (typeof imageId !== 'string') return null;
  const id = imageId.replace(/^docker-pullable:\/\//, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(id)) return null;
  const at = id.lastIndexOf('@');
  if (at <= 0) return null;
  const digest = id.slice(at + 1);
  return isSha256Digest(digest) ? digest : null;
}

function statusDigests(status: JsonObject | null): Map<string, string> {
  const digests = new Map<string, string>();
  for (const [, kind, field] of containerFields) {
    const list = status?.[field];
    if (!Array.isArray(list)) continue;
    for (const s of list) {
      if (!isObject(s) || typeof s.name !== 'string') continue;
      const digest = digestOfImageId(s.imageID);
      if (digest) digests.set(`${kind}/${s.name}`, digest);
    }
  }
  return digests;
}

function controllerName(metadata: JsonObject | null): string | null {
  const owners = Array.isArray(metadata?.ownerReferences) ? metadata.ownerReferences.filter(isObject) : [];
  // Only one owner may be the controller; hand-written objects sometimes leave the flag out, so the first owner then.
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  const name = text(owner?.name);
  if (!owner || name === null) return null;
  // The Deployment controller names its ReplicaSets `<deployment>-<hash>` and stamps the hash on the Pods' labels;
  // without the label a standalone ReplicaSet with a hash-like suffix would lose part of its name, so none is guessed.
  const hash = text(at(metadata, ['labels'])?.['pod-template-hash']);
  if (owner.kind === 'ReplicaSet' && hash !== null && name.endsWith(`-${hash}`) && name.length > hash.length + 1) {
    return name.slice(0, -hash.length - 1);
  }
  return name;
}

function ownName(metadata: JsonObject | null): string | null {
  const generated = text(metadata?.generateName)?.replace(/-+$/, '');
  return generated || text(metadata?.name);
}

function at(value: unknown, path: string[]): JsonObject | null {
  let node: unknown = value;
  for (const key of path) node = isObject(node) && Object.hasOwn(node, key) ? node[key] : undefined;
  return isObject(node) ? node : null;
}

const text = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
