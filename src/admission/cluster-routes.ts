/*
 * Clusters (admission.md "Clusters"): a Kubernetes cluster whose API server sends its admissions to Tidewatch. The
 * API server sends no bearer token, so the secret is in the webhook URL; it is shown once, on create and on rotate.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Storage } from '../core/db/database.js';
import { isUniqueViolation } from '../core/db/database-errors.js';
import { ApiError } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { errorResponses } from '../http/error-schema.js';
import { recordAudit } from '../audit/audit-queries.js';
import type { Caller } from '../auth/authenticate.js';
import { hashClusterSecret, newClusterSecret, webhookPath } from './cluster-secret.js';
import { deleteCluster, findClusterByName, insertCluster, listClusters, rotateClusterSecret, type Cluster } from './cluster-queries.js';
import { clusterParams, clusterView, clusterWithSecret, createClusterBody } from './cluster-schemas.js';

const view = (c: Cluster) => ({ name: c.name, fail_closed: c.failClosed, created_at: c.createdAt });
const notFound = (name: string) => new ApiError('TW_NOT_FOUND', `cluster ${name} not found`);
const conflict = (name: string) => new ApiError('TW_CONFLICT', `a cluster named ${name} already exists`, { field: 'name' });

/*
 * A cluster's admissions record deployments of every repository it runs, so a token limited to some repositories
 * cannot create, rotate or delete one.
 */
function refuseScoped(caller: Caller, what: string): void {
  if (caller.repoGlob !== null) {
    throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${caller.repoGlob}; it cannot ${what} a cluster, whose admissions reach every repository`);
  }
}

export const clusterRoutes: FastifyPluginAsyncTypebox<{ storage: Storage; publicUrl: string }> = async (app, { storage, publicUrl }) => {
  const withSecret = (c: Cluster, secret: string) => ({ ...view(c), webhook_url: `${publicUrl}${webhookPath(secret)}`, secret });

  app.post('/clusters', {
    config: { access: 'admin' },
    schema: {
      summary: 'Register a Kubernetes cluster: its webhook URL and secret are shown once',
      tags: ['admission'],
      body: createClusterBody,
      response: { 201: clusterWithSecret, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { caller } = request;
    refuseScoped(caller, 'create');
    const { name, fail_closed: failClosed = false } = request.body;
    const secret = newClusterSecret();
    const cluster: Cluster = { id: newId(), workspaceId: caller.workspaceId, name, failClosed, createdAt: nowIso() };
    try {
      await storage.transact(async (trx) => {
        if (await findClusterByName(trx, caller.workspaceId, name)) throw conflict(name);
        await insertCluster(trx, { ...cluster, secretHash: hashClusterSecret(secret) });
        await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'cluster.create', target: name, detail: { fail_closed: failClosed } });
      });
    } catch (e) {
      // Two creates of one name at once: the unique constraint refuses the second.
      if (isUniqueViolation(e)) throw conflict(name);
      throw e;
    }
    return reply.status(201).send(withSecret(cluster, secret));
  });

  app.get('/clusters', {
    config: { access: 'admin' },
    schema: {
      summary: 'List clusters (never their secrets)',
      tags: ['admission'],
      response: { 200: Type.Object({ clusters: Type.Array(clusterView) }), ...errorResponses(401, 403) },
    },
  }, async (request) => ({ clusters: (await listClusters(storage.db, request.caller.workspaceId)).map(view) }));

  app.post('/clusters/:name/rotate', {
    config: { access: 'admin' },
    schema: {
      summary: 'Give a cluster a new secret: the old webhook URL stops working at once',
      tags: ['admission'],
      params: clusterParams,
      response: { 200: clusterWithSecret, ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request) => {
    const { caller } = request;
    refuseScoped(caller, 'rotate the secret of');
    const secret = newClusterSecret();
    const rotated = await storage.transact(async (trx) => {
      const done = await rotateClusterSecret(trx, caller.workspaceId, request.params.name, hashClusterSecret(secret));
      if (done) await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'cluster.rotate', target: done.name });
      return done;
    });
    if (!rotated) throw notFound(request.params.name);
    return withSecret(rotated, secret);
  });

  app.delete('/clusters/:name', {
    config: { access: 'admin' },
    schema: {
      summary: 'Delete a cluster: its webhook URL stops working; its recorded deployments and decisions stay',
      tags: ['admission'],
      params: clusterParams,
      response: { ...errorResponses(400, 401, 403, 404) },
    },
  }, async (request, reply) => {
    const { caller } = request;
    refuseScoped(caller, 'delete');
    const deleted = await storage.transact(async (trx) => {
      const done = await deleteCluster(trx, caller.workspaceId, request.params.name);
      if (done) await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'cluster.delete', target: done.name });
      return done;
    });
    if (!deleted) throw notFound(request.params.name);
    return reply.status(204).send();
  });
};
