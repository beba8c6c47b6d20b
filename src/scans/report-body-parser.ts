import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from '../core/errors.js';
import type { ParsedReport } from './parsers/report-types.js';
import { ReportParsePool } from './report-parse-pool.js';
import type { PrepareFailure } from './report-preparation.js';

/** security.md "Bad input": scan reports may be up to 10 MiB — on the wire, and once decompressed. */
export const REPORT_LIMIT_BYTES = 10 * 1024 * 1024;

/** A report as the body parser hands it to the route: parsed, and whether it is a VEX document. */
export class PreparedReport {
  constructor(readonly report: ParsedReport, readonly vex: boolean, readonly descriptionHashes: Array<string | null>) {}
}

/**
 * The body parser of the scan-report scope (a Fastify plugin scope, so other routes keep their own): JSON under
 * application/json and any `+json` type scanners and CI tools send (application/vnd.cyclonedx+json,
 * application/sarif+json), optionally `Content-Encoding: gzip`. The bytes are decompressed (capped at the same limit,
 * so a gzip bomb is a 413 after 10 MiB of output, not an exhausted heap), parsed and read into findings by a worker
 * thread (report-parse-pool.ts); the route gets a PreparedReport.
 */
export function registerReportBodyParser(app: FastifyInstance, limit = REPORT_LIMIT_BYTES): ReportBodyParser {
  const pool = new ReportParsePool();
  app.addHook('onClose', () => pool.close());
  const parse = async (request: FastifyRequest, body: Buffer): Promise<PreparedReport> => {
    const result = await pool.prepare({ bytes: body, gzip: isGzip(request), limit });
    if (!result.ok) throw refusal(result.failure, limit);
    return new PreparedReport(result.report, result.vex, result.descriptionHashes);
  };
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, parse);
  app.addContentTypeParser(/^application\/[a-z0-9!#$&^_.-]+\+json\s*(;.*)?$/i, { parseAs: 'buffer' }, parse);
  return { descriptionsStored: (hashes) => pool.descriptionsStored(hashes) };
}

export interface ReportBodyParser {
  /** After a scan's commit: its descriptions are stored, and later reports need not carry their texts here. */
  descriptionsStored(hashes: ReadonlyArray<string | null>): void;
}

function isGzip(request: FastifyRequest): boolean {
  const encoding = String(request.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'identity' || encoding === '') return false;
  if (encoding === 'gzip' || encoding === 'x-gzip') return true;
  throw new ApiError('TW_UNSUPPORTED_MEDIA_TYPE', `Content-Encoding ${encoding} is not accepted: send the report as it is, or gzip-compressed with Content-Encoding: gzip`);
}

/** The API's answer to each refusal, worded as for every other JSON body (http/error-handler.ts). */
function refusal(failure: PrepareFailure, limit: number): Error {
  switch (failure.kind) {
    case 'too-large':
      return new ApiError('TW_PAYLOAD_TOO_LARGE', `the body is larger than this endpoint accepts (at most ${limit} bytes once decompressed)`);
    case 'gunzip':
      return new ApiError('TW_BAD_REQUEST', `the body is sent with Content-Encoding: gzip but does not decompress: ${failure.message}`);
    case 'empty':
      return fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY');
    case 'forbidden-key':
      return fastifyError('FST_ERR_CTP_INVALID_JSON_BODY');
    case 'syntax':
      return new SyntaxError(failure.message);
    case 'nul':
      return new ApiError('TW_VALIDATION', `the report holds the NUL character (\\u0000) at ${failure.path}, which cannot be stored; remove it`, { field: 'body' });
    case 'report':
      return new ApiError('TW_VALIDATION', failure.message, { field: 'body' });
  }
}

const fastifyError = (code: string) => Object.assign(new Error(code), { code, statusCode: 400 });
