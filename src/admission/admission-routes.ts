/*
 * The webhooks a Kubernetes API server calls (admission.md "The review", "Pinning tags"): POST
 * /api/v1/admission/<secret> (validating: check and record) and /api/v1/admission/<secret>/mutate (pin tags). The
 * API server sends no bearer token; the secret in the URL names the cluster. Every AdmissionReview is answered with
 * 200 and an AdmissionReview; only a body that is not one is 400, and an unknown secret 404.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { Storage } from '../core/db/database.js';
import { ApiError } from '../core/errors.js';
import type { Metrics } from '../http/metrics.js';
import { errorResponses } from '../http/error-schema.js';
import { AdmissionError, admissionResponse, readAdmissionReview, type AdmissionReview } from './admission-review.js';
import { clusterLookup, type ClusterLookup, type ReviewCluster } from './review-clusters.js';
import { answerValidation } from './review-handling.js';
import { answerMutation } from './review-pinning.js';

/**
 * An AdmissionReview holds the object and the old one; Kubernetes stores objects of up to 1.5 MiB and takes requests
 * of up to 3 MiB. 8 MiB leaves room for both and for a Pod of 10,000 containers, and still bounds what one caller
 * can make Tidewatch parse.
 */
export const ADMISSION_BODY_LIMIT = 8 * 1024 * 1024;

const answerSchema = Type.Object({
  apiVersion: Type.Union([Type.Literal('admission.k8s.io/v1'), Type.Literal('admission.k8s.io/v1beta1')]),
  kind: Type.Literal('AdmissionReview'),
  response: Type.Object({
    uid: Type.String({ description: 'request.uid of the review' }),
    allowed: Type.Boolean(),
    status: Type.Optional(Type.Object({ code: Type.Literal(403), message: Type.String() })),
    warnings: Type.Optional(Type.Array(Type.String())),
    patchType: Type.Optional(Type.Literal('JSONPatch')),
    patch: Type.Optional(Type.String({ description: 'base64 of the RFC 6902 operations' })),
  }),
});

const reviewBody = Type.Unknown({
  description: 'An AdmissionReview of admission.k8s.io/v1 or v1beta1, as the Kubernetes API server sends it; read by '
    + 'readAdmissionReview (a body that is not one is answered 400 naming the field).',
});

// Per request, without widening FastifyRequest for the whole app.
const lookups = new WeakMap<FastifyRequest, ClusterLookup & { found: ReviewCluster }>();

export const admissionRoutes: FastifyPluginAsyncTypebox<{ storage: Storage; metrics: Metrics }> = async (app, { storage, metrics }) => {
  const findCluster = clusterLookup(storage.db);

  const route = {
    bodyLimit: ADMISSION_BODY_LIMIT,
    config: { access: 'public' as const },
    // Before the body is read: an unknown URL must not make us parse megabytes.
    onRequest: async (request: FastifyRequest) => {
      const lookup = await findCluster((request.params as { secret: string }).secret);
      if (lookup.found) {
        lookups.set(request, lookup);
        return;
      }
      // Neither the database nor memory knows this secret: the API server then applies the webhook's failurePolicy
      // (Ignore, or Fail for a cluster made with fail_closed), which is the cluster's own choice.
      if (lookup.stale) throw new ApiError('TW_UNAVAILABLE', 'the database is not reachable right now and this cluster is not known to this process; retry shortly');
      throw new ApiError('TW_NOT_FOUND', 'no cluster has this webhook URL');
    },
  };
  const schema = (summary: string) => ({
    summary,
    tags: ['admission'],
    security: [],
    params: Type.Object({ secret: Type.String({ maxLength: 256 }) }),
    body: reviewBody,
    response: { 200: answerSchema, ...errorResponses(400, 404, 413, 415, 503) },
  });

  app.post('/admission/:secret', {
    ...route,
    schema: schema('Validating admission webhook: checks images against policies and records the Pods a cluster runs'),
  }, async (request) => {
    const review = read(request.body);
    const lookup = lookups.get(request)!;
    const { answer, deployed } = await answerValidation(storage, lookup.found, review, request.log, lookup.stale ? lookup.error : undefined);
    if (deployed > 0) metrics.deploymentsRecorded.inc(deployed);
    return admissionResponse(review, answer);
  });

  app.post('/admission/:secret/mutate', {
    ...route,
    schema: schema('Mutating admission webhook: pins tag-only images to the digest Tidewatch last saw pushed (JSONPatch)'),
  }, async (request) => {
    const review = read(request.body);
    const lookup = lookups.get(request)!;
    return admissionResponse(review, await answerMutation(storage.db, lookup.found, review, request.log, lookup.stale ? lookup.error : undefined));
  });
};

function read(body: unknown): AdmissionReview {
  try {
    return readAdmissionReview(body);
  } catch (error) {
    if (error instanceof AdmissionError) throw new ApiError('TW_BAD_REQUEST', `the body is not an AdmissionReview: ${error.message}`);
    throw error;
  }
}
