/*
 * One catalogue of the errors the API answers with (Fastify's lib/errors.js idea). Every code is documented in the
 * README's "Errors" table; a test checks each is used and documented.
 */
export const errorCatalogue = {
  TW_VALIDATION: { status: 400, summary: 'a field of the request broke a rule; the message names the field and the rule' },
  TW_MALFORMED_JSON: { status: 400, summary: 'the body is not valid JSON' },
  TW_BAD_REQUEST: { status: 400, summary: 'the request cannot be understood (bad query, bad path)' },
  TW_UNAUTHORIZED: { status: 401, summary: 'no token, or a token that is unknown, revoked or expired' },
  TW_FORBIDDEN: { status: 403, summary: 'the token\u2019s role or repository scope does not allow this' },
  TW_NOT_FOUND: { status: 404, summary: 'no such resource in this workspace' },
  TW_CONFLICT: { status: 409, summary: 'the request conflicts with the current state (e.g. a build phase that cannot follow the current one)' },
  TW_PAYLOAD_TOO_LARGE: { status: 413, summary: 'the body is over the limit' },
  TW_UNSUPPORTED_MEDIA_TYPE: { status: 415, summary: 'the body\u2019s content type is not accepted here' },
  TW_RATE_LIMITED: { status: 429, summary: 'too many requests for this token; retry after the Retry-After seconds' },
  TW_UNAVAILABLE: { status: 503, summary: 'the database is not reachable or not migrated' },
  TW_INTERNAL: { status: 500, summary: 'a fault of Tidewatch; the log has the details' },
} as const;

export type ErrorCode = keyof typeof errorCatalogue;

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  /** The request field concerned, as a dotted path (`image.url`), when there is one. */
  readonly field: string | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(code: ErrorCode, message: string, options: { field?: string; headers?: Record<string, string> } = {}) {
    super(message);
    this.code = code;
    this.statusCode = errorCatalogue[code].status;
    this.field = options.field;
    this.headers = options.headers;
  }
}

export const invalid = (field: string, message: string) => new ApiError('TW_VALIDATION', message, { field });
export const notFound = (what: string) => new ApiError('TW_NOT_FOUND', `${what} not found`);
export const forbidden = (message: string) => new ApiError('TW_FORBIDDEN', message);
