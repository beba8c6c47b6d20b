import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ManifestError, renderManifest } from '../admission/k8s-manifest.js';
import { webhookPath } from '../admission/cluster-secret.js';
import { CLUSTER_NAME_PATTERN } from '../admission/cluster-schemas.js';
import { fail } from './output.js';

const SECRET_RE = /^[A-Za-z0-9_-]{16,256}$/;

/**
 * `tidewatch k8s manifest` (admission.md "Clusters"): the webhook configurations to `kubectl apply` in a cluster.
 * Offline: the manifest needs the cluster's secret, which Tidewatch shows only once (POST /api/v1/clusters or
 * /rotate), so the operator passes it — preferably in TIDEWATCH_CLUSTER_SECRET, which stays out of shell history and
 * of `ps`. A placeholder instead would give a manifest that applies cleanly and then sends every admission to a 404:
 * with failurePolicy Ignore, a cluster silently without its gate.
 */
export function registerK8sCommands(program: Command): void {
  const k8s = program.command('k8s').description('Kubernetes admission webhook helpers');
  k8s.command('manifest')
    .description('print the ValidatingWebhookConfiguration (and with --mutate the MutatingWebhookConfiguration) for a cluster')
    .requiredOption('--cluster <name>', 'the cluster\'s name in Tidewatch (POST /api/v1/clusters)')
    .requiredOption('--url <url>', 'Tidewatch\'s https base URL as the cluster\'s API server reaches it')
    .requiredOption('--ca-file <file>', 'PEM file of the CA that signed Tidewatch\'s serving certificate (becomes caBundle)')
    .option('--secret <secret>', 'the cluster\'s webhook secret (default: TIDEWATCH_CLUSTER_SECRET)')
    .option('--mutate', 'also print the MutatingWebhookConfiguration that pins tags to digests')
    .option('--fail-closed', 'failurePolicy Fail: refuse admissions while Tidewatch cannot be reached (default Ignore)')
    .addHelpText('after', `
The secret is the one shown when the cluster was created (or last rotated); Tidewatch keeps only its hash. Lost it?
POST /api/v1/clusters/<name>/rotate gives a new one (the old URL stops working), then apply the new manifest.

Exit codes: 0 printed; 2 bad input (flags, CA file, secret).
Example: TIDEWATCH_CLUSTER_SECRET=twk_… tidewatch k8s manifest --cluster prod-eu \\
           --url https://tidewatch.example.com --ca-file ca.pem --mutate | kubectl apply -f -`)
    .action((flags: { cluster: string; url: string; caFile: string; secret?: string; mutate?: boolean; failClosed?: boolean }) => {
      if (!new RegExp(CLUSTER_NAME_PATTERN).test(flags.cluster)) {
        fail(`--cluster must be 1–63 characters of a-z, 0-9 and -, starting and ending with a letter or digit; got "${flags.cluster}"`, 2);
      }
      const secret = flags.secret ?? process.env.TIDEWATCH_CLUSTER_SECRET;
      if (!secret) {
        fail('the cluster\'s webhook secret is needed: set TIDEWATCH_CLUSTER_SECRET (or pass --secret) to the secret shown when the cluster was created; POST /api/v1/clusters/<name>/rotate makes a new one', 2);
      }
      if (!SECRET_RE.test(secret)) fail('the webhook secret must be the one Tidewatch showed (twk_ followed by letters, digits, - and _)', 2);
      let caBundlePem: string;
      try {
        caBundlePem = readFileSync(flags.caFile, 'utf8');
      } catch (error) {
        return fail(`--ca-file ${flags.caFile} cannot be read: ${(error as Error).message}`, 2);
      }
      try {
        process.stdout.write(renderManifest({
          cluster: flags.cluster,
          url: flags.url,
          webhookPath: webhookPath(secret),
          caBundlePem,
          mutate: flags.mutate === true,
          failClosed: flags.failClosed === true,
        }));
      } catch (error) {
        if (error instanceof ManifestError) fail(error.message, 2);
        throw error;
      }
    });
}
