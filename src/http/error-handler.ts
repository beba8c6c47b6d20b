import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, errorCatalogue, type ErrorCode } from '../core/errors.js';
import { describeValidationError } from './validation.js';
import { isDatabaseUnavailable } from '../core/db/database-errors.js';

interface Rendered {
  code: ErrorCode;
  message: string;
  field?: string | undefined;
}

// Fastify's own error codes, translated into ours in this one place.
const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'TW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'TW_PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'TW_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'TW_MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'TW_BAD_REQUEST',
  FST_ERR_CTP_INVALID_TYPE: 'TW_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_BAD_URL: 'TW_BAD_REQUEST',
  FST_ERR_MAX_PARAM_LENGTH: 'TW_BAD_REQUEST',
};

const unsupportedMediaType = 'the body must be JSON: send Content-Type: application/json';

function render(error: FastifyError & Partial<ApiError>, request: FastifyRequest): Rendered {
  if (error instanceof ApiError) return { code: error.code, message: error.message, field: error.field };
  if (error.validation) {
    const { field, message } = describeValidationError(error.validation as any, error.validationContext);
    return { code: 'TW_VALIDATION', message, field };
  }
  const fst: string | undefined = (error as FastifyError).code;
  const mapped = fst ? fastifyCodes[fst] : undefined;
  if (mapped === 'TW_UNSUPPORTED_MEDIA_TYPE') return { code: mapped, message: unsupportedMediaType };
  if (mapped === 'TW_PAYLOAD_TOO_LARGE') {
    const limit = request.routeOptions?.bodyLimit;
    return { code: mapped, message: `the body is larger than this endpoint accepts${limit ? ` (at most ${limit} bytes)` : ''}` };
  }
  if (fst === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return { code: 'TW_MALFORMED_JSON', message: 'the body is not valid JSON: it is empty; send a JSON object' };
  }
  if (fst === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    // Fastify drops the parser's own message, and refuses prototype-poisoning keys with the same error.
    return {
      code: 'TW_MALFORMED_JSON',
      message: 'the body is not valid JSON, or holds a "__proto__" or "constructor.prototype" key, which is refused',
    };
  }
  if (mapped === 'TW_MALFORMED_JSON' || error instanceof SyntaxError) {
    return { code: 'TW_MALFORMED_JSON', message: `the body is not valid JSON: ${error.message}` };
  }
  if (fst === 'FST_ERR_BAD_URL') return { code: 'TW_BAD_REQUEST', message: 'the path is not valid: it holds a malformed percent-encoding' };
  if (fst === 'FST_ERR_MAX_PARAM_LENGTH') return { code: 'TW_BAD_REQUEST', message: 'a path segment is longer than 512 characters' };
  if (mapped) return { code: mapped, message: error.message };
  if (isDatabaseUnavailable(error)) {
    return { code: 'TW_UNAVAILABLE', message: 'the database is not reachable right now; nothing was stored, retry shortly' };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { code: 'TW_BAD_REQUEST', message: error.message };
  return { code: 'TW_INTERNAL', message: 'internal error; the server log has the details' };
}

function sendError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const out = render(error as FastifyError & Partial<ApiError>, request);
  const status = errorCatalogue[out.code].status;
  if (status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.debug({ code: out.code, message: out.message }, 'request refused');
  if (error instanceof ApiError && error.headers) reply.headers(error.headers);
  if (out.code === 'TW_UNAVAILABLE') reply.header('retry-after', '1');
  return reply.status(status).send({ error: { code: out.code, message: out.message, ...(out.field ? { field: out.field } : {}) } });
}

/**
 * For Fastify's `frameworkErrors` option: errors raised before routing (a malformed percent-encoding, a path parameter
 * over maxParamLength) otherwise leave in Fastify's own shape, not ours. Wire it with `Fastify({ frameworkErrors })`.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  void sendError(error, request, reply);
}

/** Every error leaves as `{"error": {"code", "message"}}` with the status of its code (spec deployments.md). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => sendError(error, request, reply));
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'TW_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
