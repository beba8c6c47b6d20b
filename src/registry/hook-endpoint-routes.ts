import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Storage } from '../core/db/database.js';
import { ApiError, invalid } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { errorResponses } from '../http/error-schema.js';
import { recordAudit } from '../audit/audit-queries.js';
import { globWithin } from '../auth/repository-glob.js';
import { repositoryAt } from './push-record.js';
import { generateHookSecret, hashHookSecret, sealSigningSecret } from './hook-secret.js';
import {
  deleteHookEndpoint, findHookEndpoint, hookKinds, insertHookEndpoint, listHookEndpoints, type HookEndpoint,
} from './hook-endpoint-queries.js';

const createBody = Type.Object({
  kind: Type.Union(hookKinds.map((k) => Type.Literal(k)), { errorMessage: `must be one of ${hookKinds.join(', ')}` }),
  registry_host: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 255,
    description: 'Registry host (host[:port]) naming the repositories of this endpoint\'s deliveries, instead of the host the payload names.',
  })),
  secret: Type.Optional(Type.String({
    minLength: 1,
    maxLength: 256,
    pattern: '^[^\\u0000-\\u001f\\u007f]+$',
    errorMessage: 'must be 1–256 printable characters',
    description: 'GitHub only: the webhook secret; deliveries must then carry a valid X-Hub-Signature-256.',
  })),
}, { additionalProperties: false });

const hookView = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  registry_host: Type.Union([Type.String(), Type.Null()]),
  signed: Type.Boolean({ description: 'Deliveries must carry a valid X-Hub-Signature-256' }),
  repository_glob: Type.Union([Type.String(), Type.Null()]),
  created_at: Type.String(),
});

const view = (e: HookEndpoint) => ({
  id: e.id,
  kind: e.kind,
  registry_host: e.config.registry_host,
  signed: e.config.signing_secret !== null,
  repository_glob: e.config.repository_glob,
  created_at: e.createdAt,
});

/** Hook endpoints for registries that cannot send a bearer token (ingest.md "Registry pushes"); admin only. */
export const hookEndpointRoutes: FastifyPluginAsyncTypebox<{ storage: Storage; publicUrl: string }> = async (app, { storage, publicUrl }) => {
  app.post('/hooks', {
    config: { access: 'admin' },
    schema: {
      summary: 'Create a hook endpoint: a secret URL for a registry (the URL and secret are shown once)',
      tags: ['registry'],
      body: createBody,
      response: { 201: Type.Composite([hookView, Type.Object({ url: Type.String(), secret: Type.String() })]), ...errorResponses(400, 401, 403) },
    },
  }, async (request, reply) => {
    const { kind, registry_host: rawHost, secret: signingSecret } = request.body;
    if (signingSecret !== undefined && kind !== 'github') throw invalid('secret', 'secret (a signing secret) is only for kind github');
    if (rawHost !== undefined && kind === 'dockerhub') throw invalid('registry_host', 'registry_host does not apply to Docker Hub, which is always docker.io');
    const registryHost = rawHost === undefined ? null : rawHost.toLowerCase();
    if (registryHost !== null && repositoryAt(registryHost, 'x') === null) {
      throw invalid('registry_host', 'registry_host must be host[:port] as a container runtime reads it: with a dot or a port, or localhost');
    }
    const id = newId();
    const urlSecret = generateHookSecret();
    const endpoint: HookEndpoint = {
      id,
      workspaceId: request.caller.workspaceId,
      kind,
      config: {
        registry_host: registryHost,
        signing_secret: signingSecret === undefined ? null : sealSigningSecret(signingSecret, urlSecret, id),
        repository_glob: request.caller.repoGlob,
      },
      createdAt: nowIso(),
    };
    await storage.transact(async (trx) => {
      await insertHookEndpoint(trx, { ...endpoint, secretHash: hashHookSecret(urlSecret) });
      await recordAudit(trx, { workspaceId: endpoint.workspaceId, tokenId: request.caller.tokenId, action: 'hook.create', target: id, detail: { kind, registry_host: registryHost } });
    });
    return reply.status(201).send({ ...view(endpoint), url: `${publicUrl}/api/v1/hooks/${kind}/${urlSecret}`, secret: urlSecret });
  });

  app.get('/hooks', {
    config: { access: 'admin' },
    schema: { summary: 'List hook endpoints (never their secrets)', tags: ['registry'], response: { 200: Type.Object({ hooks: Type.Array(hookView) }), ...errorResponses(401, 403) } },
  }, async (request) => {
    const all = await listHookEndpoints(storage.db, request.caller.workspaceId);
    return { hooks: all.filter((e) => globWithin(request.caller.repoGlob, e.config.repository_glob)).map(view) };
  });

  app.delete('/hooks/:id', {
    config: { access: 'admin' },
    schema: { summary: 'Delete a hook endpoint', tags: ['registry'], params: Type.Object({ id: Type.String({ maxLength: 64 }) }), response: { ...errorResponses(401, 403, 404) } },
  }, async (request, reply) => {
    const { workspaceId, repoGlob, tokenId } = request.caller;
    const id = request.params.id;
    // No id holds NUL, and PostgreSQL refuses it in text parameters: answer as for any unknown id.
    const done = !id.includes('\u0000') && await storage.transact(async (trx) => {
      const found = await findHookEndpoint(trx, workspaceId, id);
      if (found && !globWithin(repoGlob, found.config.repository_glob)) {
        throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${repoGlob}; it cannot delete a hook endpoint that reaches further`);
      }
      const deleted = await deleteHookEndpoint(trx, workspaceId, id);
      if (deleted) await recordAudit(trx, { workspaceId, tokenId, action: 'hook.delete', target: id });
      return deleted;
    });
    if (!done) throw new ApiError('TW_NOT_FOUND', `hook endpoint ${id} not found`);
    return reply.status(204).send();
  });
};
