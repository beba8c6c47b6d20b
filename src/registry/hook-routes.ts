import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Storage } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope, type Caller } from '../auth/authenticate.js';
import { maxPayloadDepth, nestsDeeperThan, PayloadError, type HookContext, type HookParser } from './push-record.js';
import { parseDistribution } from './distribution-parser.js';
import { parseHarbor } from './harbor-parser.js';
import { parseDockerHub } from './dockerhub-parser.js';
import { parseQuay } from './quay-parser.js';
import { parseGitHub } from './github-parser.js';
import { recordPushes } from './record-pushes.js';
import { findHookEndpointBySecret, hookKinds, type HookEndpoint, type HookKind } from './hook-endpoint-queries.js';
import { hashHookSecret, openSigningSecret, verifyGitHubSignature } from './hook-secret.js';

const parsers: Record<HookKind, HookParser> = {
  distribution: parseDistribution,
  harbor: parseHarbor,
  dockerhub: parseDockerHub,
  quay: parseQuay,
  github: parseGitHub,
};

/** Media types Distribution sends its envelopes with (v1 by 2.x, v2 by 3.x), and CloudEvents' own (Harbor). */
const registryJsonTypes = [
  'application/vnd.docker.distribution.events.v1+json',
  'application/vnd.docker.distribution.events.v2+json',
  'application/cloudevents+json',
];

const hookAnswer = Type.Object({
  recorded: Type.Integer({ description: 'Pushes and deletes stored' }),
  duplicates: Type.Integer({ description: 'Redelivered events, stored before' }),
  ignored: Type.Integer({ description: 'Items understood and not recorded: blob pushes, pulls, other event kinds' }),
  events: Type.Integer({ description: 'repo_push events emitted' }),
});

// Per request, without widening FastifyRequest for the whole app.
const rawBodies = new WeakMap<FastifyRequest, Buffer>();
const endpoints = new WeakMap<FastifyRequest, { endpoint: HookEndpoint; urlSecret: string }>();

/**
 * Registry hooks (ingest.md "Registry pushes"): `POST /hooks/<kind>` with a bearer token of role write, and
 * `POST /hooks/<kind>/<secret>` for registries that cannot send headers. Items the registry sends that we do not record
 * are accepted (registries retry failed deliveries forever); a body that is not the registry's payload is 400 and
 * nothing is stored.
 */
export const hookRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  // Fastify's own JSON parser for the registries' media types too, keeping the raw bytes GitHub signs.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser(['application/json', ...registryJsonTypes], { parseAs: 'buffer' }, (request, body, done) => {
    rawBodies.set(request, body as Buffer);
    parseJson(request, body as unknown as string, done);
  });

  for (const kind of hookKinds) {
    const handler = (request: FastifyRequest, reply: FastifyReply) => ingest(kind, request, reply);
    app.post(`/hooks/${kind}`, {
      config: { access: 'write' },
      schema: { summary: `Receive ${kind} registry notifications (bearer token)`, tags: ['registry'], response: { 202: hookAnswer, ...errorResponses(400, 401, 403, 413, 415) } },
    }, handler);
    app.post(`/hooks/${kind}/:secret`, {
      config: { access: 'public' },
      // Before the body is read: an unknown URL must not make us parse a megabyte.
      onRequest: async (request) => {
        const urlSecret = (request.params as { secret: string }).secret;
        const endpoint = await findHookEndpointBySecret(storage.db, hashHookSecret(urlSecret));
        if (!endpoint || endpoint.kind !== kind) throw new ApiError('TW_NOT_FOUND', `no ${kind} hook endpoint at this URL`);
        endpoints.set(request, { endpoint, urlSecret });
      },
      schema: {
        summary: `Receive ${kind} registry notifications (secret URL from POST /hooks)`,
        tags: ['registry'],
        security: [],
        params: Type.Object({ secret: Type.String({ maxLength: 256 }) }),
        response: { 202: hookAnswer, ...errorResponses(400, 401, 403, 404, 413, 415) },
      },
    }, handler);
  }

  async function ingest(kind: HookKind, request: FastifyRequest, reply: FastifyReply) {
    const via = endpoints.get(request);
    const endpoint = via?.endpoint;
    if (via && kind === 'github' && via.endpoint.config.signing_secret !== null) {
      const signingSecret = openSigningSecret(via.endpoint.config.signing_secret, via.urlSecret, via.endpoint.id);
      if (!verifyGitHubSignature(signingSecret, rawBodies.get(request) ?? Buffer.alloc(0), header(request, 'x-hub-signature-256'))) {
        throw new ApiError('TW_UNAUTHORIZED', 'X-Hub-Signature-256 must be sha256= and the HMAC-SHA256 of the body under this hook\'s secret');
      }
    }
    const context: HookContext = {
      registryHost: endpoint?.config.registry_host ?? null,
      ...(kind === 'github' ? { eventName: header(request, 'x-github-event'), deliveryId: header(request, 'x-github-delivery') } : {}),
    };
    if (nestsDeeperThan(request.body, maxPayloadDepth)) {
      throw new ApiError('TW_BAD_REQUEST', `the body is not a ${kind} notification: it nests more than ${maxPayloadDepth} levels deep`);
    }
    let parsed;
    try {
      parsed = parsers[kind](request.body, context);
    } catch (error) {
      if (error instanceof PayloadError) throw new ApiError('TW_BAD_REQUEST', `the body is not a ${kind} notification: ${error.message}`);
      throw error;
    }
    if (parsed.ignored > 0) request.log.debug({ kind, ignored: parsed.ignored, notes: parsed.notes }, 'registry hook: items ignored');
    // A hook endpoint acts with role write within the scope of the token that created it, no further.
    const caller: Caller = endpoint
      ? { workspaceId: endpoint.workspaceId, tokenId: endpoint.id, role: 'write', repoGlob: endpoint.config.repository_glob }
      : request.caller;
    for (const record of parsed.records) assertRepositoryInScope(caller, record.repository);
    const outcome = await recordPushes(storage, {
      workspaceId: caller.workspaceId,
      tokenId: endpoint ? null : caller.tokenId,
      source: kind,
      records: parsed.records,
      ignored: parsed.ignored,
      hookEndpointId: endpoint?.id ?? null,
    });
    const { recorded, duplicates, ignored, events } = outcome;
    return reply.status(202).send({ recorded, duplicates, ignored, events });
  }
};

function header(request: FastifyRequest, name: string): string | null {
  const value = request.headers[name];
  return typeof value === 'string' ? value : null;
}
