import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Storage } from '../core/db/database.js';
import { invalid } from '../core/errors.js';
import type { Metrics } from '../http/metrics.js';
import { errorResponses } from '../http/error-schema.js';
import { assertRepositoryInScope } from '../auth/authenticate.js';
import { parseImageReference, parseRepositoryName, type ImageReference } from '../registry/image-reference.js';
import { deploymentBody, deploymentRecord, undeployQuery } from './deployment-schemas.js';
import { recordDeployment, undeploy } from './record-deployment.js';
import { renderDeployment } from './render-deployment.js';

export interface DeploymentRoutesOptions {
  storage: Storage;
  metrics: Metrics;
}

/** Spec deployments.md, "Recording a deployment": the Atomist-compatible endpoint and undeploy. */
export const deploymentRoutes: FastifyPluginAsyncTypebox<DeploymentRoutesOptions> = async (app, { storage, metrics }) => {
  app.post('/deployments', {
    config: { access: 'write' },
    schema: {
      summary: 'Record that an image digest runs in an environment (Atomist-compatible)',
      tags: ['deployments'],
      body: deploymentBody,
      response: { 200: deploymentRecord, 201: deploymentRecord, ...errorResponses(400, 401, 403, 413, 415) },
    },
  }, async (request, reply) => {
    const body = request.body;
    const image = pinnedImage(body.image.url);
    assertRepositoryInScope(request.caller, image.repository);
    const environment = body.environment?.name ?? 'deployed';
    const outcome = await recordDeployment(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      image,
      instanceName: body.image.name ?? null,
      environment,
      platform: {
        os: body.platform?.os ?? 'linux',
        architecture: body.platform?.architecture ?? 'amd64',
        variant: body.platform?.variant ?? null,
      },
      source: request.headers['user-agent']?.startsWith('tidewatch-cli') ? 'cli' : 'api',
    });
    if (outcome.created) metrics.deploymentsRecorded.inc();
    return reply.status(outcome.created ? 201 : 200).send(renderDeployment(outcome));
  });

  app.delete('/deployments', {
    config: { access: 'write' },
    schema: {
      summary: 'End the running deployment of an instance (undeploy)',
      tags: ['deployments'],
      querystring: undeployQuery,
      response: { 200: deploymentRecord, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { environment = 'deployed', name } = request.query;
    // An instance named after its repository may be given by its short name (`nginx`), as in `image.url`.
    const normalised = parseRepositoryName(name);
    const names = normalised.ok && normalised.repository !== name ? [name, normalised.repository] : [name];
    const outcome = await undeploy(storage, {
      workspaceId: request.caller.workspaceId,
      tokenId: request.caller.tokenId,
      environment,
      instanceNames: names,
      allowed: (repository) => assertRepositoryInScope(request.caller, repository),
    });
    return renderDeployment(outcome);
  });
};

/** `image.url` parsed and required to carry a digest: tags move, so a deployment is always of a digest. */
export function pinnedImage(url: string): ImageReference & { digest: string } {
  const parsed = parseImageReference(url);
  if (!parsed.ok) throw invalid('image.url', `image.url is not a valid image reference: ${parsed.reason}`);
  if (!parsed.ref.digest) {
    throw invalid('image.url', `image.url must be pinned by digest: …@sha256:<64 hex> (got "${truncate(url)}")`);
  }
  return parsed.ref as ImageReference & { digest: string };
}

function truncate(s: string): string {
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

