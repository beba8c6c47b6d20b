/*
 * What `tidewatch k8s manifest` prints (admission.md "Clusters"): the admissionregistration.k8s.io/v1 webhook
 * configurations that send a cluster's admissions to Tidewatch.
 */
import { toYaml, type YamlValue } from './yaml-text.js';

export interface ManifestOptions {
  /** Tidewatch's name for the cluster (kept as an annotation). */
  cluster: string;
  /** Tidewatch's base URL as the API server reaches it: https only. */
  url: string;
  /** The cluster's webhook path, `/api/v1/admission/<secret>`. */
  webhookPath: string;
  /** The CA that signed Tidewatch's serving certificate (the file given to --ca-file). */
  caBundlePem: string;
  /** Also register the tag-pinning MutatingWebhookConfiguration. */
  mutate: boolean;
  /** failurePolicy Fail instead of Ignore: admissions are refused while Tidewatch is unreachable. */
  failClosed: boolean;
}

export class ManifestError extends Error {}

const operations = { all: ['CREATE', 'UPDATE', 'DELETE'], write: ['CREATE', 'UPDATE'] };

/*
 * Pods are recorded, so their DELETEs and status updates (the digest the kubelet pulled) matter; workloads are only
 * checked. pods/ephemeralcontainers is where `kubectl debug` adds images to a running Pod: without it, those would
 * escape the gate.
 */
const podResources = ['pods', 'pods/status', 'pods/ephemeralcontainers'];
const workloadRules = (ops: string[]) => [
  rule([''], ['replicationcontrollers'], ops),
  rule(['apps'], ['deployments', 'replicasets', 'statefulsets', 'daemonsets'], ops),
  rule(['batch'], ['jobs', 'cronjobs'], ops),
];

function rule(apiGroups: string[], resources: string[], ops: string[]): YamlValue {
  return { apiGroups, apiVersions: ['*'], operations: ops, resources, scope: 'Namespaced' };
}

/** The configurations as objects (rendered by renderManifest; also what its test compares the YAML against). */
export function manifestObjects(options: ManifestOptions): YamlValue[] {
  const base = webhookBase(options);
  const caBundle = caBundleOf(options.caBundlePem);
  const metadata = { name: 'tidewatch', annotations: { 'tidewatch.io/cluster': options.cluster } };
  const common = (url: string) => ({
    admissionReviewVersions: ['v1', 'v1beta1'],
    clientConfig: { url, caBundle },
    failurePolicy: options.failClosed ? 'Fail' : 'Ignore',
    matchPolicy: 'Equivalent',
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] },
        { key: 'tidewatch.io/webhook', operator: 'NotIn', values: ['ignore'] },
      ],
    },
    // Tidewatch records what it admits, but not for a dry run (admission.md "The review").
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: 5,
  });
  const docs: YamlValue[] = [{
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata,
    webhooks: [{
      name: 'admission.tidewatch.io',
      ...common(base),
      rules: [rule([''], podResources, operations.all), ...workloadRules(operations.write)],
    }],
  }];
  if (options.mutate) {
    docs.push({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata,
      webhooks: [{
        name: 'pin.tidewatch.io',
        ...common(`${base}/mutate`),
        // Status updates cannot change images and a DELETE has none to pin.
        rules: [rule([''], ['pods', 'pods/ephemeralcontainers'], operations.write), ...workloadRules(operations.write)],
        // Called again if a later mutating webhook rewrites an image, so the image that runs is the one pinned.
        reinvocationPolicy: 'IfNeeded',
      }],
    });
  }
  return docs;
}

export function renderManifest(options: ManifestOptions): string {
  const header = [
    `# Tidewatch admission webhooks for cluster ${JSON.stringify(options.cluster)}.`,
    '# Label a namespace tidewatch.io/webhook=ignore to leave it out (e.g. the one Tidewatch itself runs in).',
  ];
  return `${header.join('\n')}\n${manifestObjects(options).map(toYaml).join('---\n')}`;
}

function webhookBase({ url, webhookPath }: ManifestOptions): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ManifestError(`--url must be an absolute URL such as https://tidewatch.example.com, but it is ${JSON.stringify(url)}`);
  }
  // The API server refuses webhook URLs that are not https, or that carry credentials, a query or a fragment.
  if (parsed.protocol !== 'https:') throw new ManifestError('--url must use https: the Kubernetes API server only calls webhooks over TLS');
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ManifestError('--url must not contain credentials, a query or a fragment');
  }
  if (!/^\/[A-Za-z0-9._~/-]+$/.test(webhookPath)) {
    throw new ManifestError(`the webhook path must be a URL path such as /api/v1/admission/<secret>, but it is ${JSON.stringify(webhookPath)}`);
  }
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}${webhookPath}`;
}

function caBundleOf(pem: string): string {
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new ManifestError('the CA file must hold a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  return Buffer.from(pem, 'utf8').toString('base64');
}
