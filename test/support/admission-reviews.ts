import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestApp } from './app.js';

/*
 * AdmissionReviews as a Kubernetes API server sends them (admission.k8s.io/v1), built by the tests of
 * src/admission/admission-routes*.test.ts and review-*.test.ts. Written from the Kubernetes API reference, not from
 * the code under test.
 */

export type ApiVersion = 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';

export interface ContainerSpec {
  name: string;
  image: string;
}

export interface PodSpec {
  name: string;
  uid?: string;
  namespace?: string;
  /** The controller: e.g. ReplicaSet `web-7d4b9c` with pod-template-hash `7d4b9c`. */
  owner?: { kind: string; name: string; hash?: string };
  containers: ContainerSpec[];
  initContainers?: ContainerSpec[];
  /** imageID reported by the kubelet, by container name (containerStatuses / initContainerStatuses). */
  imageIds?: Record<string, string>;
}

export function podObject(p: PodSpec): Record<string, unknown> {
  const statusOf = (list: ContainerSpec[] = []) => list.filter((c) => p.imageIds?.[c.name])
    .map((c) => ({ name: c.name, image: c.image, imageID: p.imageIds![c.name], ready: true, restartCount: 0 }));
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: p.name,
      namespace: p.namespace ?? 'payments',
      uid: p.uid ?? `uid-${p.name}`,
      ...(p.owner ? {
        generateName: `${p.owner.name}-`,
        labels: { app: 'x', ...(p.owner.hash ? { 'pod-template-hash': p.owner.hash } : {}) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: p.owner.kind, name: p.owner.name, uid: randomUUID(), controller: true, blockOwnerDeletion: true }],
      } : {}),
    },
    spec: {
      containers: p.containers.map((c) => ({ ...c, imagePullPolicy: 'IfNotPresent' })),
      ...(p.initContainers ? { initContainers: p.initContainers } : {}),
    },
    status: p.imageIds
      ? { phase: 'Running', containerStatuses: statusOf(p.containers), initContainerStatuses: statusOf(p.initContainers) }
      : { phase: 'Pending' },
  };
}

export interface RequestSpec {
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  kind?: { group: string; version: string; kind: string };
  resource?: string;
  subResource?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
  apiVersion?: ApiVersion;
  uid?: string;
}

export function admissionReview(r: RequestSpec): { apiVersion: ApiVersion; kind: 'AdmissionReview'; request: Record<string, unknown> } {
  const kind = r.kind ?? { group: '', version: 'v1', kind: 'Pod' };
  const metadata = ((r.object ?? r.oldObject) as { metadata?: { name?: string; namespace?: string } } | undefined)?.metadata;
  return {
    apiVersion: r.apiVersion ?? 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: r.uid ?? randomUUID(),
      kind,
      resource: { group: kind.group, version: kind.version, resource: r.resource ?? `${kind.kind.toLowerCase()}s` },
      requestKind: kind,
      requestResource: { group: kind.group, version: kind.version, resource: r.resource ?? `${kind.kind.toLowerCase()}s` },
      ...(r.subResource ? { subResource: r.subResource } : {}),
      name: r.name ?? metadata?.name,
      namespace: r.namespace ?? metadata?.namespace ?? 'payments',
      operation: r.operation,
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:authenticated'] },
      object: r.object ?? null,
      oldObject: r.oldObject ?? null,
      dryRun: r.dryRun ?? false,
      options: { apiVersion: 'meta.k8s.io/v1', kind: r.operation === 'DELETE' ? 'DeleteOptions' : 'CreateOptions' },
    },
  };
}

/** A workload (Deployment, ReplicaSet, …) with a pod template of these containers. */
export function workloadObject(kind: string, name: string, containers: ContainerSpec[], namespace = 'payments'): Record<string, unknown> {
  const template = { metadata: { labels: { app: name } }, spec: { containers } };
  return {
    apiVersion: kind === 'CronJob' ? 'batch/v1' : 'apps/v1',
    kind,
    metadata: { name, namespace, uid: `uid-${name}` },
    spec: kind === 'CronJob' ? { schedule: '* * * * *', jobTemplate: { spec: { template } } } : { replicas: 1, template },
  };
}

export const groupOf: Record<string, string> = { Deployment: 'apps', ReplicaSet: 'apps', StatefulSet: 'apps', DaemonSet: 'apps', Job: 'batch', CronJob: 'batch', Pod: '' };

/** Registers a cluster through the API (POST /api/v1/clusters) and returns its webhook secret. */
export async function createCluster(t: TestApp, name: string, failClosed = false): Promise<string> {
  const res = await t.call('POST', '/api/v1/clusters', { body: { name, ...(failClosed ? { fail_closed: true } : {}) } });
  assert.equal(res.statusCode, 201, res.body);
  return (res.json() as { secret: string }).secret;
}

/** POSTs a review (any body) to the validating or mutating endpoint, without a token, as the API server does. */
export function sendReview(t: TestApp, secret: string, body: unknown, mutate = false): Promise<LightMyRequestResponse> {
  return t.call('POST', `/api/v1/admission/${secret}${mutate ? '/mutate' : ''}`, { token: null, body });
}

export interface ReviewAnswer {
  apiVersion: string;
  kind: string;
  response: { uid: string; allowed: boolean; status?: { code: number; message: string }; warnings?: string[]; patchType?: string; patch?: string };
}

/** sendReview, asserting a 200 AdmissionReview answer echoing the uid and apiVersion. */
export async function review(t: TestApp, secret: string, body: ReturnType<typeof admissionReview>, mutate = false): Promise<ReviewAnswer['response']> {
  const res = await sendReview(t, secret, body, mutate);
  assert.equal(res.statusCode, 200, res.body);
  const answer = res.json() as ReviewAnswer;
  assert.equal(answer.apiVersion, body.apiVersion);
  assert.equal(answer.kind, 'AdmissionReview');
  assert.equal(answer.response.uid, body.request.uid);
  return answer.response;
}

export const sha = (n: number | string) => `sha256:${String(n).padStart(64, '0')}`;
