import type { Command } from 'commander';
import { parseImageReference } from '../registry/image-reference.js';
import { apiTarget, callApi } from './api-client.js';
import { fail } from './output.js';

/** `tidewatch deploy` for CD pipelines: the same record as the seed's curl, with local checks first. */
export function registerDeploy(program: Command): void {
  program.command('deploy')
    .description('record that an image digest now runs in an environment (uses TIDEWATCH_URL, TIDEWATCH_TOKEN)')
    .argument('<image>', 'image reference pinned by digest: [host/]path[:tag]@sha256:<64 hex>')
    .option('--env <name>', 'environment', 'deployed')
    .option('--name <name>', 'instance name (default: the repository)')
    .option('--platform <os/arch[/variant]>', 'platform, e.g. linux/arm64/v8', 'linux/amd64')
    .option('--url <url>', 'Tidewatch URL (overrides TIDEWATCH_URL)')
    .option('--token <token>', 'API token (overrides TIDEWATCH_TOKEN)')
    .option('--json', 'print the stored record as JSON')
    .action(async (image: string, flags) => {
      const parsed = parseImageReference(image);
      if (!parsed.ok) fail(`"${image}" is not a valid image reference: ${parsed.reason}`, 2);
      if (!parsed.ref.digest) fail(`"${image}" must be pinned by digest: …@sha256:<64 hex> (tags move)`, 2);
      if (!/^[A-Za-z0-9._/-]{1,128}$/.test(flags.env)) fail('--env must be 1–128 characters of A-Za-z0-9._-/', 2);
      const platform = parsePlatform(flags.platform);
      const target = apiTarget(flags);
      const res = await callApi<any>(target, 'POST', '/api/v1/deployments', {
        image: { url: image, ...(flags.name ? { name: flags.name } : {}) },
        environment: { name: flags.env },
        platform,
      });
      if (flags.json) return void process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
      const d = res.body;
      const what = res.status === 201 ? 'recorded' : 'already recorded (refreshed)';
      const replaced = d.replaced ? `, replacing ${d.replaced}` : '';
      process.stdout.write(`${what}: ${d.image.url} in ${d.environment} as ${d.name}${replaced}\n`);
    });
}

export function parsePlatform(value: string): { os: string; architecture: string; variant?: string } {
  const parts = value.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[A-Za-z0-9._-]{1,64}$/.test(p))) {
    fail(`--platform must be os/architecture[/variant], e.g. linux/arm64/v8; got "${value}"`, 2);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}
