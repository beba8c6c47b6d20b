import type { FastifyError, FastifyInstance } from 'fastify';
import { ApiError, errorCatalogue, type ErrorCode } from '../core/errors.js';
import { describeValidationError } from './validation.js';

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
};

function render(error: FastifyError & Partial<ApiError>): Rendered {
  if (error instanceof ApiError) return { code: error.code, message: error.message, field: error.field };
  if (error.validation) {
    const { field, message } = describeValidationError(error.validation as any, error.validationContext);
    return { code: 'TW_VALIDATION', message, field };
  }
  const mapped = error.code ? fastifyCodes[error.code] : undefined;
  if (mapped === 'TW_UNSUPPORTED_MEDIA_TYPE') {
    return { code: mapped, message: 'the body must be JSON: send Content-Type: application/json' };
  }
  if (mapped === 'TW_PAYLOAD_TOO_LARGE') return { code: mapped, message: 'the body is larger than this endpoint accepts' };
  if (mapped === 'TW_MALFORMED_JSON' || error instanceof SyntaxError) {
    return { code: 'TW_MALFORMED_JSON', message: `the body is not valid JSON: ${error.message}` };
  }
  if (mapped) return { code: mapped, message: error.message };
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return { code: 'TW_BAD_REQUEST', message: error.message };
  return { code: 'TW_INTERNAL', message: 'internal error; the server log has the details' };
}

/** Every error leaves as `{"error": {"code", "message"}}` with the status of its code (spec deployments.md). */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const out = render(error as FastifyError & Partial<ApiError>);
    const status = errorCatalogue[out.code].status;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.debug({ code: out.code, message: out.message }, 'request refused');
    if (error instanceof ApiError && error.headers) reply.headers(error.headers);
    return reply.status(status).send({ error: { code: out.code, message: out.message, ...(out.field ? { field: out.field } : {}) } });
  });
  app.setNotFoundHandler((request, reply) => {
    reply.status(404).send({ error: { code: 'TW_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` } });
  });
}
