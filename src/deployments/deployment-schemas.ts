import { Type, type Static } from '@sinclair/typebox';

// Rules from spec deployments.md; `errorMessage` is what a caller reads when a field breaks them.
export const environmentName = Type.String({
  pattern: '^[A-Za-z0-9._/-]{1,128}$',
  errorMessage: 'must be 1–128 characters of A-Za-z0-9._-/',
  description: 'Environment name: 1–128 characters of A-Za-z0-9._-/ (so cluster/namespace works).',
  examples: ['production', 'prod-eu/payments'],
});

const platformField = (what: string) => Type.String({
  pattern: '^[A-Za-z0-9._-]{1,64}$',
  errorMessage: 'must be 1–64 characters of A-Za-z0-9._-',
  description: what,
});

// `image.name` and the undeploy `name`: one rule, so a name that can be recorded can be undeployed and no control
// character (PostgreSQL refuses NUL in text) reaches a query.
const instanceName = (description: string) => Type.String({
  minLength: 1,
  maxLength: 255,
  pattern: '^[^\\u0000-\\u001f\\u007f]+$',
  errorMessage: 'must be 1–255 printable characters',
  description,
});

export const deploymentBody = Type.Object({
  image: Type.Object({
    url: Type.String({
      minLength: 1,
      maxLength: 1024,
      description: 'Image reference pinned by digest: [host/]path[:tag]@sha256:<64 hex>.',
      examples: ['ghcr.io/acme/web:1.4.2@sha256:' + 'a'.repeat(64)],
    }),
    name: Type.Optional(instanceName('Instance name; defaults to the repository. Distinct names for several containers of one image.')),
  }),
  environment: Type.Optional(Type.Object({ name: Type.Optional(environmentName) })),
  platform: Type.Optional(Type.Object({
    os: Type.Optional(platformField('Operating system; default linux.')),
    architecture: Type.Optional(platformField('Instruction set architecture; default amd64.')),
    variant: Type.Optional(platformField('Variant, e.g. v8.')),
  })),
});
export type DeploymentBody = Static<typeof deploymentBody>;

export const platformSchema = Type.Object({
  os: Type.String(),
  architecture: Type.String(),
  variant: Type.Optional(Type.String()),
});

export const deploymentRecord = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  name: Type.String({ description: 'Instance name' }),
  image: Type.Object({
    url: Type.String(),
    repository: Type.String(),
    digest: Type.String(),
    tag: Type.Union([Type.String(), Type.Null()]),
  }),
  platform: platformSchema,
  deployed_at: Type.String({ format: 'date-time' }),
  last_seen_at: Type.String({ format: 'date-time' }),
  undeployed_at: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  replaced: Type.Union([Type.String(), Type.Null()], { description: 'The digest this deployment replaced, or null' }),
});

export const undeployQuery = Type.Object({
  environment: Type.Optional(environmentName),
  name: instanceName('Instance name (image.name, or the repository).'),
});
