import type { Command } from 'commander';
import { parseImageReference } from '../registry/image-reference.js';
import { apiTarget, callApi } from './api-client.js';
import { CliError, fail } from './output.js';

/** Exit codes a pipeline can branch on (issue 6): only an enforce refusal is 1. */
export const POLICY_ALLOWED = 0;
export const POLICY_REFUSED = 1;
export const POLICY_ERROR = 2;

export interface PolicyCheckAnswer {
  image: string;
  environment: string;
  digest: string | null;
  resolved_from: 'digest' | 'tag' | null;
  allowed: boolean;
  result: 'allowed' | 'warned' | 'refused';
  decisions: Array<{ policy: string; mode: string; rule: string; message: string }>;
  warnings: string[];
}

/**
 * `tidewatch policy check <image> --env E` (admission.md "Policies"): the admission check for a CD pipeline, before it
 * deploys. Over the HTTP API (GET /api/v1/policies/check), so it answers exactly as the webhook would.
 */
export function registerPolicyCommands(program: Command): void {
  const policy = program.command('policy').description('admission policies');
  policy.command('check')
    .description('would the policies of an environment admit this image? (uses TIDEWATCH_URL, TIDEWATCH_TOKEN)')
    .argument('<image>', 'image reference: [host/]path[:tag][@sha256:<64 hex>]; a tag is resolved as Tidewatch last saw it pushed')
    .requiredOption('--env <environment>', 'the environment it would be deployed to, e.g. production or prod-eu/payments')
    .option('--format <format>', 'text or json', 'text')
    .option('--url <url>', 'Tidewatch URL (overrides TIDEWATCH_URL)')
    .option('--token <token>', 'API token, role read (overrides TIDEWATCH_TOKEN)')
    .addHelpText('after', `
Exit codes:
  ${POLICY_ALLOWED}  allowed (warn and audit policies included: their warnings are printed)
  ${POLICY_REFUSED}  refused: an enforce policy would refuse the image (the reasons are printed)
  ${POLICY_ERROR}  usage error, or Tidewatch refused the request or could not be reached

Example: tidewatch policy check ghcr.io/acme/web:1.4.2 --env production || exit 1`)
    .action(async (image: string, flags: { env: string; format: string; url?: string; token?: string }) => {
      const parsed = parseImageReference(image);
      if (!parsed.ok) fail(`"${image}" is not a valid image reference: ${parsed.reason}`, POLICY_ERROR);
      if (!/^[A-Za-z0-9._/-]{1,128}$/.test(flags.env)) fail(`--env must be 1–128 characters of A-Za-z0-9._-/; got "${flags.env}"`, POLICY_ERROR);
      if (!['text', 'json'].includes(flags.format)) fail(`--format must be text or json; got "${flags.format}"`, POLICY_ERROR);
      const target = apiTarget(flags);
      const query = new URLSearchParams({ image, environment: flags.env });
      let answer: PolicyCheckAnswer;
      try {
        ({ body: answer } = await callApi<PolicyCheckAnswer>(target, 'GET', `/api/v1/policies/check?${query}`));
      } catch (error) {
        // Whatever went wrong on the way is not a refusal: a pipeline must tell "blocked" from "could not ask".
        if (error instanceof CliError) fail(error.message, POLICY_ERROR);
        throw error;
      }
      process.stdout.write(flags.format === 'json' ? `${JSON.stringify(answer, null, 2)}\n` : text(answer));
      if (!answer.allowed) {
        const refusals = answer.decisions.filter((d) => d.mode === 'enforce').length;
        fail(`${answer.image} is refused in ${answer.environment} by ${refusals} enforce rule${refusals === 1 ? '' : 's'}`, POLICY_REFUSED);
      }
    });
}

export function text(a: PolicyCheckAnswer): string {
  const pin = a.resolved_from === 'tag' ? ' (digest resolved from the tag)' : a.digest === null ? ' (no digest known)' : '';
  const lines = [`${a.result}: ${a.image} in ${a.environment}${pin}`];
  for (const d of a.decisions.filter((x) => x.mode === 'enforce')) lines.push(`  refused: ${d.message}`);
  for (const w of a.warnings) lines.push(`  warning: ${w}`);
  for (const d of a.decisions.filter((x) => x.mode === 'audit')) lines.push(`  audit: ${d.message}`);
  return `${lines.join('\n')}\n`;
}
