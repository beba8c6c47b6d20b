import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Storage } from '../core/db/database.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import { formatImageReference } from './image-reference.js';
import { pushBody, pushView, renderPlatform, toPushRecord } from './push-body.js';
import { recordPushes } from './record-pushes.js';

/** `POST /api/v1/pushes` (ingest.md "Registry pushes"): a CI step reports an image it pushed. */
export const pushRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  app.post('/pushes', {
    config: { access: 'write' },
    schema: {
      summary: 'Record a pushed image (a CI step), with the children of an image index',
      tags: ['registry'],
      body: pushBody,
      response: { 200: pushView, 201: pushView, ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const record = toPushRecord(request.body);
    assertRepositoryInScope(request.caller, record.repository);
    const outcome = await recordPushes(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      source: 'pushes',
      records: [record],
    });
    const result = outcome.results[0]!;
    const children = record.children ?? [];
    return reply.status(result.status === 'recorded' ? 201 : 200).send({
      image: { url: formatImageReference(record), repository: record.repository, digest: record.digest!, tag: record.tag },
      is_index: children.length > 0,
      platform: renderPlatform(record.platform),
      manifests: children.map((c) => ({ digest: c.digest, platform: renderPlatform(c.platform) })),
      previous_digest: result.previousDigest,
    });
  });
};
