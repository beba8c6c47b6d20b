import type { Command } from 'commander';
import { isSha256Digest, parseImageReference, parseRepositoryName } from '../registry/image-reference.js';
import { apiTarget, callApi } from './api-client.js';
import { CliError, fail } from './output.js';

const TAG_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const COMMIT_RE = /^[0-9a-fA-F]{7,64}$/;
const TRIGGER_KIND_RE = /^[A-Za-z0-9._-]{1,64}$/;
const PRINTABLE_RE = /^[^\u0000-\u001f\u007f]{1,255}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

interface Build {
  build_id: string;
  phase: string;
  manifest_digests: string[];
}

/** `tidewatch build start|finish` for CI pipelines (spec ingest.md, "Builds"), with local checks first. */
export function registerBuild(program: Command): void {
  const build = program.command('build').description('report builds from CI pipelines (uses TIDEWATCH_URL, TIDEWATCH_TOKEN)');

  withTarget(build.command('start'))
    .description('report a build and print its id alone on stdout: BUILD=$(tidewatch build start …)')
    .argument('<repository>', 'repository built: host/path (short Docker Hub names such as nginx are normalised)')
    .option('--tag <tag>', 'a tag the build pushes; repeat for several (default: latest)', collect)
    .option('--name <name>', 'build name (default: the first 7 characters of --commit)')
    .option('--trigger-kind <kind>', 'what triggered it: github, gitlab, bitbucket, custom-git…')
    .option('--trigger-id <id>', 'the trigger\'s id in the CI system')
    .option('--commit <sha>', 'git commit built')
    .option('--ref <ref>', 'git ref built, e.g. refs/heads/main')
    .option('--queued', 'report it queued only; by default it is reported queued, then started')
    .action(async (repository: string, flags) => {
      const parsed = parseRepositoryName(repository);
      if (!parsed.ok) fail(`"${repository}" is not a valid repository name: ${parsed.reason}`, 2);
      const tags: string[] = flags.tag ?? [];
      for (const tag of tags) {
        if (!TAG_RE.test(tag)) fail(`--tag "${tag}" is not a Docker tag: up to 128 of A-Za-z0-9_.- not starting with . or -`, 2);
      }
      if (flags.commit !== undefined && !COMMIT_RE.test(flags.commit)) fail(`--commit must be a git commit id of 7–64 hex characters; got "${flags.commit}"`, 2);
      if (flags.triggerKind !== undefined && !TRIGGER_KIND_RE.test(flags.triggerKind)) fail('--trigger-kind must be 1–64 characters of A-Za-z0-9._-', 2);
      for (const [option, value] of [['--name', flags.name], ['--trigger-id', flags.triggerId], ['--ref', flags.ref]] as const) {
        if (value !== undefined && !PRINTABLE_RE.test(value)) fail(`${option} must be 1–255 printable characters`, 2);
      }
      const target = apiTarget(flags);
      const metadata = { ...(flags.commit ? { commit: flags.commit.toLowerCase() } : {}), ...(flags.ref ? { ref: flags.ref } : {}) };
      const name = flags.name ?? (flags.commit ? flags.commit.slice(0, 7).toLowerCase() : undefined);
      const created = await callApi<Build>(target, 'POST', '/api/v1/builds', {
        repository,
        ...(tags.length ? { docker_tags: tags } : {}),
        ...(name ? { build_name: name } : {}),
        ...(flags.triggerKind ? { trigger_kind: flags.triggerKind } : {}),
        ...(flags.triggerId ? { trigger_id: flags.triggerId } : {}),
        ...(Object.keys(metadata).length ? { trigger_metadata: metadata } : {}),
      });
      const id = created.body.build_id;
      if (!flags.queued) {
        try {
          await callApi<Build>(target, 'POST', `/api/v1/builds/${id}/phase`, { phase: 'started' });
        } catch (error) {
          if (!(error instanceof CliError)) throw error;
          fail(`build ${id} was reported queued but not started: ${error.message}`, error.exitCode);
        }
      }
      process.stdout.write(`${id}\n`);
    });

  withTarget(build.command('finish'))
    .description('report how a build ended: --digest … (success), --failed MESSAGE or --cancelled')
    .argument('<build-id>', 'the id `tidewatch build start` printed')
    .option('--digest <reference>', 'a manifest the build pushed: host/path@sha256:<64 hex>, or sha256:<64 hex> in the build\'s repository; repeat for several', collect)
    .option('--image-id <digest>', 'the image id (config digest, sha256:<64 hex>) of a successful build')
    .option('--failed <message>', 'the build failed, with this message')
    .option('--cancelled', 'the build was cancelled')
    .option('--json', 'print the build as JSON')
    .action(async (id: string, flags) => {
      if (!UUID_RE.test(id)) fail(`"${id}" is not a build id: give the UUID that \`tidewatch build start\` printed`, 2);
      const body = finishBody({ ...flags, digest: flags.digest ?? [] });
      const target = apiTarget(flags);
      const res = await callApi<Build>(target, 'POST', `/api/v1/builds/${id}/phase`, body);
      if (flags.json) return void process.stdout.write(JSON.stringify(res.body, null, 2) + '\n');
      const digests = res.body.manifest_digests.length;
      const detail = res.body.phase === 'success' ? ` (${digests} manifest${digests === 1 ? '' : 's'})` : '';
      process.stdout.write(`build ${res.body.build_id} is ${res.body.phase}${detail}\n`);
    });
}

function withTarget(command: Command): Command {
  return command
    .option('--url <url>', 'Tidewatch URL (overrides TIDEWATCH_URL)')
    .option('--token <token>', 'API token with role write (overrides TIDEWATCH_TOKEN)');
}

/** The phase report of `build finish`: exactly one outcome, each with only its own details. */
function finishBody(flags: { digest: string[]; imageId?: string; failed?: string; cancelled?: boolean }): Record<string, unknown> {
  const success = flags.digest.length > 0 || flags.imageId !== undefined;
  const outcomes = [success, flags.failed !== undefined, flags.cancelled === true].filter(Boolean).length;
  if (outcomes === 0) fail('say how the build ended: --digest <reference> (success), --failed <message> or --cancelled', 2);
  if (outcomes > 1) fail('give only one outcome: --digest/--image-id (success), --failed or --cancelled', 2);
  if (flags.cancelled) return { phase: 'cancelled' };
  if (flags.failed !== undefined) {
    if (flags.failed.trim() === '') fail('--failed needs a message saying why the build failed', 2);
    return { phase: 'failure', error_message: flags.failed };
  }
  if (flags.digest.length === 0) fail('a successful build needs at least one --digest: the manifests it pushed', 2);
  for (const d of flags.digest) {
    if (isSha256Digest(d)) continue;
    const parsed = parseImageReference(d);
    if (!parsed.ok || !parsed.ref.digest) {
      fail(`--digest "${d}" must be host/path@sha256:<64 lowercase hex> or sha256:<64 lowercase hex>${parsed.ok ? '' : `: ${parsed.reason}`}`, 2);
    }
  }
  if (flags.imageId !== undefined && !isSha256Digest(flags.imageId)) fail(`--image-id must be sha256:<64 lowercase hex>; got "${flags.imageId}"`, 2);
  return { phase: 'success', manifest_digests: flags.digest, ...(flags.imageId ? { image_id: flags.imageId } : {}) };
}
