/*
 * Admission policies (admission.md "Policies"): CRUD for admins, and the same check the admission webhook makes, for
 * a CD pipeline before it deploys (GET /policies/check).
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Storage } from '../core/db/database.js';
import { isUniqueViolation } from '../core/db/database-errors.js';
import { ApiError, invalid } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { nowIso } from '../core/clock.js';
import { errorResponses } from '../http/error-schema.js';
import { recordAudit } from '../audit/audit-queries.js';
import { assertRepositoryInScope, type Caller } from '../auth/authenticate.js';
import { environmentName } from '../deployments/deployment-schemas.js';
import { parseImageReference } from '../registry/image-reference.js';
import { checkImages, imageUnderPolicyOf } from './policy-check.js';
import { deletePolicy, findPolicy, insertPolicy, listPolicies, updatePolicy, type StoredPolicy } from './policy-queries.js';
import { policyBody, policyBodyValidator, policyParams, policyView, type PolicyBody } from './policy-schemas.js';

const view = (p: StoredPolicy) => ({
  name: p.name, environments: p.environments, mode: p.mode, rules: p.rules, created_at: p.createdAt, updated_at: p.updatedAt,
});
const notFound = (name: string) => new ApiError('TW_NOT_FOUND', `policy ${name} not found`);
const conflict = (name: string) => new ApiError('TW_CONFLICT', `a policy named ${name} already exists`, { field: 'name' });

/* A policy applies to every repository of its environments: a token limited to some repositories cannot change one. */
function refuseScoped(caller: Caller): void {
  if (caller.repoGlob !== null) {
    throw new ApiError('TW_FORBIDDEN', `this token is limited to repositories matching ${caller.repoGlob}; policies apply to every repository, so it cannot change them`);
  }
}

/** A unique-constraint race (two writers of one name) answers as the check before it would have. */
async function conflictOnRace<T>(name: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(name);
    throw e;
  }
}

const checkQuery = Type.Object({
  image: Type.String({ minLength: 1, maxLength: 512, description: 'Image reference: repo:tag, repo@sha256:…, or both' }),
  environment: environmentName,
}, { additionalProperties: false });

const decisionView = Type.Object({
  policy: Type.String(),
  mode: Type.String(),
  rule: Type.String(),
  message: Type.String(),
});

const checkAnswer = Type.Object({
  image: Type.String({ description: 'The reference as the policies name it (canonical, with the resolved digest)' }),
  environment: Type.String(),
  digest: Type.Union([Type.String(), Type.Null()]),
  resolved_from: Type.Union([Type.Literal('digest'), Type.Literal('tag'), Type.Null()], {
    description: 'digest: the reference names it; tag: the digest Tidewatch last saw pushed for the tag; null: none known',
  }),
  allowed: Type.Boolean({ description: 'false when an enforce policy refuses the image' }),
  result: Type.Union([Type.Literal('allowed'), Type.Literal('warned'), Type.Literal('refused')]),
  decisions: Type.Array(decisionView, { description: 'Every broken rule of every policy that applies, audit ones included' }),
  warnings: Type.Array(Type.String()),
});

export const policyRoutes: FastifyPluginAsyncTypebox<{ storage: Storage }> = async (app, { storage }) => {
  const { db } = storage;

  app.post('/policies', {
    config: { access: 'admin' },
    validatorCompiler: policyBodyValidator,
    schema: {
      summary: 'Create an admission policy',
      tags: ['admission'],
      body: policyBody,
      response: { 201: policyView, ...errorResponses(400, 401, 403, 409) },
    },
  }, async (request, reply) => {
    const { caller } = request;
    refuseScoped(caller);
    const body = request.body as PolicyBody;
    const at = nowIso();
    const policy: StoredPolicy = { ...body, id: newId(), createdAt: at, updatedAt: at };
    await conflictOnRace(body.name, () => storage.transact(async (trx) => {
      if (await findPolicy(trx, caller.workspaceId, body.name)) throw conflict(body.name);
      await insertPolicy(trx, caller.workspaceId, policy);
      await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'policy.create', target: body.name, detail: { mode: body.mode } });
    }));
    return reply.status(201).send(view(policy));
  });

  app.get('/policies', {
    config: { access: 'read' },
    schema: { summary: 'List admission policies', tags: ['admission'], response: { 200: Type.Object({ policies: Type.Array(policyView) }), ...errorResponses(401, 403) } },
  }, async (request) => ({ policies: (await listPolicies(db, request.caller.workspaceId)).map(view) }));

  // Registered before /policies/:name; Fastify's router prefers the static segment anyway.
  app.get('/policies/check', {
    config: { access: 'read' },
    schema: {
      summary: 'Would the policies of an environment admit this image? (the admission check, for pipelines)',
      tags: ['admission'],
      querystring: checkQuery,
      response: { 200: checkAnswer, ...errorResponses(400, 401, 403) },
    },
  }, async (request) => {
    const { caller } = request;
    const { image, environment } = request.query;
    const parsed = parseImageReference(image);
    if (!parsed.ok) throw invalid('query.image', `query.image is not a valid image reference: ${parsed.reason}`);
    assertRepositoryInScope(caller, parsed.ref.repository);
    const subject = await imageUnderPolicyOf(db, caller.workspaceId, parsed.ref);
    const [evaluation] = await checkImages(db, caller.workspaceId, environment, [subject]);
    return {
      image: subject.reference,
      environment,
      digest: subject.digest,
      resolved_from: subject.pinned ? 'digest' as const : subject.resolvedFromTag ? 'tag' as const : null,
      allowed: evaluation!.allowed,
      result: evaluation!.result,
      decisions: evaluation!.decisions,
      warnings: evaluation!.warnings,
    };
  });

  app.get('/policies/:name', {
    config: { access: 'read' },
    schema: { summary: 'One admission policy', tags: ['admission'], params: policyParams, response: { 200: policyView, ...errorResponses(400, 401, 403, 404) } },
  }, async (request) => {
    const found = await findPolicy(db, request.caller.workspaceId, request.params.name);
    if (!found) throw notFound(request.params.name);
    return view(found);
  });

  app.put('/policies/:name', {
    config: { access: 'admin' },
    validatorCompiler: policyBodyValidator,
    schema: {
      summary: 'Replace an admission policy (a different name in the body renames it)',
      tags: ['admission'],
      params: policyParams,
      body: policyBody,
      response: { 200: policyView, ...errorResponses(400, 401, 403, 404, 409) },
    },
  }, async (request) => {
    const { caller } = request;
    refuseScoped(caller);
    const body = request.body as PolicyBody;
    const { name } = request.params;
    const at = nowIso();
    const updated = await conflictOnRace(body.name, () => storage.transact(async (trx) => {
      const found = await findPolicy(trx, caller.workspaceId, name);
      if (!found) throw notFound(name);
      if (body.name !== name && await findPolicy(trx, caller.workspaceId, body.name)) throw conflict(body.name);
      await updatePolicy(trx, caller.workspaceId, name, body, at);
      await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'policy.update', target: body.name, detail: { mode: body.mode, ...(body.name !== name ? { renamed_from: name } : {}) } });
      return { ...found, ...body, updatedAt: at };
    }));
    return view(updated);
  });

  app.delete('/policies/:name', {
    config: { access: 'admin' },
    schema: { summary: 'Delete an admission policy', tags: ['admission'], params: policyParams, response: { ...errorResponses(400, 401, 403, 404) } },
  }, async (request, reply) => {
    const { caller } = request;
    refuseScoped(caller);
    const { name } = request.params;
    const done = await storage.transact(async (trx) => {
      const deleted = await deletePolicy(trx, caller.workspaceId, name);
      if (deleted) await recordAudit(trx, { workspaceId: caller.workspaceId, tokenId: caller.tokenId, action: 'policy.delete', target: name });
      return deleted;
    });
    if (!done) throw notFound(name);
    return reply.status(204).send();
  });
};
