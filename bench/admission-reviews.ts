/*
 * What bench:admission (bench/admission.ts) sends: the scans of its three images and the stream of Pod reviews a
 * cluster of 50 Deployments would send. Apart so a profiling run can send the same reviews in-process.
 */
import { randomBytes } from 'node:crypto';

export const DEPLOYMENTS = 50;
export const FINDINGS = 300;
export const IMAGES = ['web', 'proxy', 'agent'].map((name) => ({
  name, repository: `registry.example.com/bench/${name}`, digest: `sha256:${randomBytes(32).toString('hex')}`,
}));

/** A Trivy report of 300 findings: Critical and High ones without a fix (so the policy allows), the rest fixable. */
export function scanReport(image: (typeof IMAGES)[number]): string {
  const severities = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'];
  const vulnerabilities = Array.from({ length: FINDINGS }, (_, i) => {
    const severity = severities[i < 10 ? 0 : i < 70 ? 1 : i < 170 ? 2 : 3]!;
    const fixable = severity !== 'CRITICAL' && severity !== 'HIGH';
    return {
      VulnerabilityID: `CVE-2024-${String(10000 + i)}`, PkgName: `pkg-${i % 40}`, InstalledVersion: '1.0.0',
      ...(fixable ? { FixedVersion: '1.0.1', Status: 'fixed' } : { Status: 'affected' }), Severity: severity,
      Title: `finding ${i} of ${image.name}`,
    };
  });
  return JSON.stringify({
    SchemaVersion: 2, ArtifactName: `${image.repository}@${image.digest}`, ArtifactType: 'container_image',
    Results: [{ Target: `${image.name} (debian 12)`, Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulnerabilities }],
  });
}

/**
 * The n-th review of the stream: CREATE of Pod n/3, status of Pod n/3 − 100, DELETE of Pod n/3 − 200 (Pods before the
 * first get a CREATE instead), so about 200 Pods live at a time, four per Deployment.
 */
export function reviewBody(n: number, run: string): string {
  const phase = n % 3;
  let pod = Math.floor(n / 3) - phase * 100;
  const operation = pod < 0 ? 'CREATE' : (['CREATE', 'UPDATE', 'DELETE'] as const)[phase]!;
  if (pod < 0) pod = Math.floor(n / 3);
  const deployment = `app-${pod % DEPLOYMENTS}`;
  const hash = `${(pod % DEPLOYMENTS).toString(16).padStart(4, '0')}b9c`;
  const name = `${deployment}-${hash}-${run}${pod.toString(36)}`;
  const object = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name, namespace: 'shop', uid: `${run}-${pod}`, generateName: `${deployment}-${hash}-`,
      labels: { app: deployment, 'pod-template-hash': hash },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${deployment}-${hash}`, uid: `rs-${pod % DEPLOYMENTS}`, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      containers: IMAGES.map((i) => ({ name: i.name, image: `${i.repository}:1.0@${i.digest}`, imagePullPolicy: 'IfNotPresent', resources: {} })),
      restartPolicy: 'Always', serviceAccountName: 'default',
    },
    status: operation === 'CREATE'
      ? { phase: 'Pending' }
      : { phase: 'Running', containerStatuses: IMAGES.map((i) => ({ name: i.name, ready: true, restartCount: 0, image: `${i.repository}:1.0`, imageID: `${i.repository}@${i.digest}` })) },
  };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: {
      uid: `${run}-${n}`, kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' },
      ...(operation === 'UPDATE' ? { subResource: 'status' } : {}),
      name, namespace: 'shop', operation,
      userInfo: { username: 'system:serviceaccount:kube-system:replicaset-controller', groups: ['system:authenticated'] },
      object: operation === 'DELETE' ? null : object, oldObject: operation === 'CREATE' ? null : object, dryRun: false,
    },
  });
}
