import { Type, type Static } from '@sinclair/typebox';

// Rules from spec ingest.md "Builds"; `errorMessage` is what a caller reads when a field breaks them.

const printable = (max: number, description: string) => Type.String({
  minLength: 1,
  maxLength: max,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  errorMessage: `must be 1–${max} printable characters`,
  description,
});

/** A Distribution tag (reference grammar), as the tags the build pushes. */
export const dockerTag = Type.String({
  pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$',
  errorMessage: 'must be a Docker tag: up to 128 of A-Za-z0-9_.- not starting with . or -',
});

const sha256Digest = (description: string) => Type.String({
  pattern: '^sha256:[a-f0-9]{64}$',
  errorMessage: 'must be sha256:<64 lowercase hex>',
  description,
});

export const commitSha = Type.String({
  pattern: '^[0-9a-fA-F]{7,64}$',
  errorMessage: 'must be a git commit id: 7–64 hex characters',
});

/** Most of what a CI knows about a build fits in a few KiB; the limit keeps one build from bloating every event. */
export const triggerMetadataMaxBytes = 64 * 1024;
export const triggerMetadataMaxDepth = 16;

/**
 * Quay's trigger_metadata: free JSON, of which Tidewatch reads `commit` (or `commit_sha`) and `ref`; those are checked,
 * the rest (default_branch, git_url, commit_info{url, message, date, author, committer}…) is kept as sent.
 */
export const triggerMetadata = Type.Object({
  commit: Type.Optional(commitSha),
  commit_sha: Type.Optional(commitSha),
  ref: Type.Optional(printable(1024, 'Git ref built, e.g. refs/heads/main.')),
}, {
  additionalProperties: true,
  description: `Quay's trigger metadata (commit, ref, default_branch, git_url, commit_info…); at most ${triggerMetadataMaxBytes} bytes as JSON.`,
});

export const createBuildBody = Type.Object({
  repository: Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Repository built: host/path; short Docker Hub names (nginx) are normalised.',
    examples: ['ghcr.io/acme/web'],
  }),
  docker_tags: Type.Optional(Type.Array(dockerTag, { maxItems: 100, description: 'Tags the build pushes; default ["latest"], as Quay.' })),
  build_name: Type.Optional(printable(255, 'Display name, e.g. the short commit (50bc599).')),
  trigger_kind: Type.Optional(Type.String({
    pattern: '^[A-Za-z0-9._-]{1,64}$',
    errorMessage: 'must be 1–64 characters of A-Za-z0-9._-',
    description: 'What triggered it: github, gitlab, bitbucket, custom-git…',
  })),
  trigger_id: Type.Optional(printable(255, 'Id of the trigger in the CI system.')),
  trigger_metadata: Type.Optional(triggerMetadata),
  is_manual: Type.Optional(Type.Boolean({ description: 'Started by hand rather than by a trigger.' })),
  manual_user: Type.Optional(Type.Union([printable(255, 'Who started it by hand.'), Type.Null()])),
}, { additionalProperties: false });
export type CreateBuildBody = Static<typeof createBuildBody>;

export const phaseBody = Type.Object({
  phase: Type.Union([Type.Literal('started'), Type.Literal('success'), Type.Literal('failure'), Type.Literal('cancelled')]),
  image_id: Type.Optional(sha256Digest('The image id (config digest); with phase success only.')),
  manifest_digests: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 1024 }), {
    maxItems: 100,
    description: 'Manifests pushed: host/path@sha256:<64 hex>, or sha256:<64 hex> in the build\'s repository; with phase success only.',
  })),
  error_message: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 8192,
    description: 'Why the build failed; with phase failure only.',
  })),
}, { additionalProperties: false });
export type PhaseBody = Static<typeof phaseBody>;

export const buildIdParams = Type.Object({
  id: Type.String({
    pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
    errorMessage: 'must be a build id (a UUID)',
  }),
});

export const listBuildsQuery = Type.Object({
  repository: Type.Optional(Type.String({ minLength: 1, maxLength: 255, description: 'Only this repository\'s builds.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
});

const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const buildRecord = Type.Object({
  build_id: Type.String(),
  repository: Type.String(),
  phase: Type.String({ enum: ['queued', 'started', 'success', 'failure', 'cancelled'] }),
  build_name: nullable(Type.String()),
  docker_tags: Type.Array(Type.String()),
  trigger_kind: nullable(Type.String()),
  trigger_id: nullable(Type.String()),
  trigger_metadata: nullable(Type.Object({}, { additionalProperties: true })),
  is_manual: Type.Boolean(),
  manual_user: nullable(Type.String()),
  commit: nullable(Type.String({ description: 'From trigger_metadata.commit (or commit_sha).' })),
  ref: nullable(Type.String({ description: 'From trigger_metadata.ref.' })),
  image_id: nullable(Type.String()),
  manifest_digests: Type.Array(Type.String(), { description: 'host/path@sha256:… of each manifest the build pushed.' }),
  error_message: nullable(Type.String()),
  created_at: Type.String({ format: 'date-time', description: 'When it was queued.' }),
  started_at: nullable(Type.String({ format: 'date-time' })),
  finished_at: nullable(Type.String({ format: 'date-time' })),
  updated_at: Type.String({ format: 'date-time' }),
});

export const buildList = Type.Object({
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
  next_offset: nullable(Type.Integer()),
  builds: Type.Array(buildRecord),
});
